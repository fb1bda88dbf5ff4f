"""What every `aicxs` command shares: exit codes, the guard that turns mistakes into located
messages, colour, the evaluation date, writing the output, and the common options.

The CLI (`cli.py`, `engine/commands.py` and each wing's `cli.py`) is the only code that prints
or exits; the engine below it returns data and raises `DiagnosticError` for the user's mistakes.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])
COLOURS = {
    "true": "green",
    "false": "red",
    "unknown": "yellow",
    "error": "magenta",
    "waived": "cyan",
}


def guarded(fn: F) -> F:
    """Turn user mistakes into located messages (exit 2) and bugs into exit 3."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aicxs.aicxs_dsl.diagnostics import DiagnosticError, Severity, render_text
        from aicxs.aicxs_dsl.words import count

        try:
            code = fn(*args, **kwargs)
        except DiagnosticError as err:
            echo(render_text(err.diagnostics), err=True)
            n = sum(d.severity is Severity.ERROR for d in err.diagnostics)
            warnings = len(err.diagnostics) - n
            also = f" and {count(warnings, 'warning')}" if warnings else ""
            click.echo(f"\n{count(n, 'error')}{also}; nothing was evaluated", err=True)
            sys.exit(EXIT_INVALID)
        except (
            click.exceptions.Exit,
            click.ClickException,
            SystemExit,
            KeyboardInterrupt,
            BrokenPipeError,
        ):
            raise
        except Exception:
            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "aicxs_internal_error: this is a bug in aicxs, not in your input; "
                "please report it with the traceback above",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)
        sys.exit(code or EXIT_OK)

    return wrapper  # type: ignore[return-value]


def make_style(enabled: bool) -> Callable[[str, str], str]:
    def style(text: str, truth: str) -> str:
        return click.style(text, fg=COLOURS.get(truth)) if enabled else text

    return style


def use_colour(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ


def evaluation_date(value: str | None) -> dt.date:
    from aicxs.engine.loader import environ_as_of

    if value is None:
        return environ_as_of() or dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"`{value}` is not a date; write YYYY-MM-DD", param_hint="--as-of"
        ) from None


def emit(text: str, output: str | None, colours: bool = False) -> None:
    """Write a command's output to stdout, or to the file `-o` names (engine/files.py), and
    then say on stderr what was written unless `-q` was given (see `output_options`). No
    control character reaches either but the output's own line breaks and tabs (and, with
    `colours`, the colour codes of `make_style`): see aicxs_dsl/escape.py."""
    from aicxs.aicxs_dsl.escape import printable_output

    emit_chunks([printable_output(text, colours)], output)


def emit_chunks(chunks: Iterable[str], output: str | None, what: str | None = None) -> None:
    """`emit` for an output that comes in pieces (a report's JSON, a result at a time), each
    written as it comes and none held with the others; the pieces are already escaped (JSON
    text from `json_dumps`/`json_escaped`). `what` names it on stderr (default: what the
    command's `output_options` says)."""
    from aicxs.aicxs_dsl.escape import printable

    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    from aicxs.engine.files import open_atomic

    with open_atomic(Path(output)) as f:
        for chunk in chunks:
            f.write(chunk)
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    if not meta.get(_QUIET):
        what = what or meta.get(_WHAT, "the output")
        click.echo(f"wrote {what} to {printable(output)}", err=True)


_QUIET, _WHAT = "aicxs.quiet", "aicxs.output_what"


def output_options(what: str) -> Callable[[F], F]:
    """`-o/--output FILE` (the command gets `output`) and `-q/--quiet`, which `emit` reads: with
    `-o`, `emit` says on stderr what it wrote (`wrote the report to out.html`) unless `-q`."""

    def remember(ctx: click.Context, _param: click.Parameter, quiet: bool) -> None:
        ctx.meta[_QUIET] = quiet
        ctx.meta[_WHAT] = what

    def decorate(fn: F) -> F:
        fn = click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=remember,
            help="With -o: do not say on stderr what was written.",
        )(fn)
        return click.option(
            "-o", "--output", metavar="FILE", help=f"Write {what} here, not to stdout."
        )(fn)

    return decorate


def echo(text: str, err: bool = False, nl: bool = True, colours: bool = False) -> None:
    """`click.echo` of text that may quote the input: made printable as `emit` does."""
    from aicxs.aicxs_dsl.escape import printable_output

    click.echo(printable_output(text, colours), err=err, nl=nl)


def aicx_files(paths: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        path = Path(p)
        found.extend(sorted(path.rglob("*.aicx")) if path.is_dir() else [path])
    return found


facts_option = click.option(
    "--facts",
    "facts_path",
    required=True,
    metavar="FILE",
    help="The organisation's facts (YAML or JSON).",
)
spec_option = click.option(
    "--spec",
    "spec_path",
    metavar="FILE",
    help="The standard to use (default: the bundled one it implements).",
)
as_of_option = click.option(
    "--as-of", "as_of", metavar="DATE", help="Evaluation date for all date rules (default: today)."
)


def batch_options(fn: F) -> F:
    """`check --batch`: the options of an estate-scale run (see the serve / batch section)."""
    for option in reversed(
        [
            click.option(
                "--batch",
                "batch_path",
                metavar="PATH",
                help="Evaluate every facts file of a folder, or every line of a JSON Lines "
                "file; print one JSON line per document, in order.",
            ),
            click.option(
                "--follow-links",
                is_flag=True,
                help="With a --batch folder: read facts files that links lead to outside the "
                "folder too (by default they are skipped, and named).",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=1),
                help="Processes (or Dask workers) to use with --batch (default: all cores).",
            ),
            click.option(
                "--engine",
                type=click.Choice(["local", "processes", "dask"]),
                default="processes",
                show_default=True,
                help="Where --batch runs: this process, a process pool, or a Dask cluster.",
            ),
            click.option(
                "--scheduler",
                metavar="ADDRESS",
                help="With --engine dask: the scheduler (default: start a local cluster).",
            ),
        ]
    ):
        fn = option(fn)
    return fn
