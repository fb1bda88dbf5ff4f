"""The `aicxs` command: the root group; each command lives beside the part of the engine it
drives and is imported only when it runs (`aicxs check` never loads the server).

Exit codes: 0 = passed (or clean), 1 = a requirement failed or is unknown (or a lint warning,
or `fmt --check` found a file to reformat), 2 = the input is invalid (usage, syntax, names,
types, facts), 3 = internal error (a bug: please report it with the traceback).
Only the CLI (this module, `engine/commands.py` and the wings' `cli.py`) prints or exits.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

import click

from aicxs.engine.console import EXIT_FAILED

# command name → "module:attribute"; listed in `aicxs --help` in this order.
COMMANDS = {
    "check": "aicxs.engine.commands:check",
    "explain": "aicxs.engine.commands:explain",
    "lint": "aicxs.engine.commands:lint",
    "fmt": "aicxs.engine.commands:fmt",
    "graph": "aicxs.engine.commands:graph",
    "schema": "aicxs.engine.commands:schema",
    "test": "aicxs.engine.testing.cli:test_command",
    "docs": "aicxs.engine.authoring.cli:docs",
    "diff": "aicxs.engine.authoring.cli:diff",
    "export": "aicxs.engine.authoring.cli:export",
    "lsp": "aicxs.engine.authoring.cli:lsp",
    "init": "aicxs.engine.onboarding.cli:init",
    "assess": "aicxs.engine.onboarding.cli:assess",
    "roadmap": "aicxs.engine.onboarding.cli:roadmap",
    "serve": "aicxs.engine.service.cli:serve",
    "history": "aicxs.engine.evolve.cli:history",
    "compare": "aicxs.engine.evolve.cli:compare",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
@click.version_option(package_name="aicxs")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Policy-as-code for the AI in Customer Experience Standard (AICXS 2024)."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main() -> None:
    # A command is one short process that builds large acyclic data (trees, facts, reports):
    # Python's cyclic collector only walks it again and again (1.6x slower at 10,000 systems).
    # Switched off here, in the command's own process, never by the library; `serve`, which
    # runs for long, switches it back on.
    gc.disable()
    try:
        cli(prog_name="aicxs")
    except BrokenPipeError:
        # The reader went away (`aicxs check ... | head`): not an error of ours, and nothing
        # more can be written; stop quietly, as `cat` would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
