"""The `aicxs` command: parses arguments, calls the engine, renders, picks the exit code.

Exit codes: 0 = passed (or clean), 1 = a requirement failed or is unknown (or a lint warning,
or `fmt --check` found a file to reformat), 2 = the input is invalid (usage, syntax, names,
types, facts), 3 = internal error (a bug: please report it with the traceback).
This is the only module that prints or exits.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
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


def _guarded(fn: F) -> F:
    """Turn user mistakes into located messages (exit 2) and bugs into exit 3."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aicxs_dsl.diagnostics import DiagnosticError, render_text

        try:
            code = fn(*args, **kwargs)
        except DiagnosticError as err:
            click.echo(render_text(err.diagnostics), err=True)
            n = len(err.diagnostics)
            click.echo(f"\n{n} error{'s' if n != 1 else ''}; nothing was evaluated", err=True)
            sys.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
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


def _style(enabled: bool) -> Callable[[str, str], str]:
    def style(text: str, truth: str) -> str:
        return click.style(text, fg=COLOURS.get(truth)) if enabled else text

    return style


def _colour(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ


def _as_of(value: str | None) -> dt.date:
    from engine.api import environ_as_of

    if value is None:
        return environ_as_of() or dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"`{value}` is not a date; write YYYY-MM-DD", param_hint="--as-of"
        ) from None


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from engine.files import write_atomic

    write_atomic(Path(output), text)


def _aicx_files(paths: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        path = Path(p)
        found.extend(sorted(path.rglob("*.aicx")) if path.is_dir() else [path])
    return found


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aicxs")
def cli() -> None:
    """Policy-as-code for the AI in Customer Experience Standard (AICXS 2024)."""


# ---- check / explain ------------------------------------------------------------------------

_facts_option = click.option(
    "--facts",
    "facts_path",
    required=True,
    metavar="FILE",
    help="The organisation's facts (YAML or JSON).",
)
_spec_option = click.option(
    "--spec",
    "spec_path",
    metavar="FILE",
    help="The standard to use (default: the bundled one it implements).",
)
_as_of_option = click.option(
    "--as-of", "as_of", metavar="DATE", help="Evaluation date for all date rules (default: today)."
)


@cli.command()
@click.argument("policy")
@_facts_option
@_spec_option
@_as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--explain",
    "mode",
    type=click.Choice(["fails", "full", "none"]),
    default=None,
    help="Explanations: of what decided each result (default), of everything, or none "
    "(decisions only: fastest).",
)
@click.option("-o", "--output", metavar="FILE", help="Write the report here, not to stdout.")
@click.option("-v", "--verbose", is_flag=True, help="List the clauses behind the verdict.")
@_guarded
def check(
    policy: str,
    facts_path: str,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    mode: str | None,
    output: str | None,
    verbose: bool,
) -> int:
    """Evaluate POLICY against the organisation's facts; give the verdict and why."""
    from engine import load_policy
    from engine.render import report_json, report_markdown, report_text

    date = _as_of(as_of)
    mode = mode or "fails"
    compiled = load_policy(policy, spec_path)
    report = compiled.evaluate(compiled.load_facts(facts_path), date, explain=mode)
    if fmt == "json":
        text = json.dumps(report_json(report, mode), indent=2, ensure_ascii=False)
        _emit(text + "\n", output)
    elif fmt == "markdown":
        _emit(report_markdown(report, mode), output)
    else:
        colour = output is None and _colour()
        _emit(report_text(report, mode, _style(colour), verbose), output)
    return EXIT_OK if report.verdict == "certified" else EXIT_FAILED


@cli.command()
@click.argument("policy")
@click.argument("ident", metavar="ID")
@_facts_option
@_spec_option
@_as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def explain(
    policy: str, ident: str, facts_path: str, spec_path: str | None, as_of: str | None, fmt: str
) -> int:
    """Explain one clause, organisation rule or key requirement (ID) in depth."""
    from aicxs_dsl.diagnostics import did_you_mean
    from engine import load_policy
    from engine.render import _result_json, result_lines

    compiled = load_policy(policy, spec_path)
    report = compiled.evaluate(compiled.load_facts(facts_path), _as_of(as_of), explain="full")
    result = report.result(ident)
    if result is None:
        ids = [r.id for r in report.results] + [s.id for r in report.results for s in r.rules]
        hint = did_you_mean(ident, ids) or "ids look like `P4.2` or `KR1`"
        raise click.BadParameter(
            f"no clause, rule or key requirement `{ident}`; {hint}", param_hint="ID"
        )
    if fmt == "json":
        click.echo(json.dumps(_result_json(report, result, "full"), indent=2, ensure_ascii=False))
    else:
        style = _style(_colour())
        click.echo("\n".join(result_lines(report, result, "full", style)))
    return EXIT_OK if result.status.satisfied else EXIT_FAILED


# ---- authoring tools ------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--spec", "spec_path", metavar="FILE", help="The standard that policies are checked against."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def lint(paths: tuple[str, ...], spec_path: str | None, fmt: str) -> int:
    """Check standards and policies: syntax, names, types, references, cycles, titles."""
    from aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, render_text, sort_diagnostics
    from engine.api import is_policy_file, load_policy, load_standard

    found: list[Diagnostic] = []
    files = _aicx_files(paths)
    for path in files:
        try:
            if is_policy_file(path):
                found.extend(load_policy(path, spec_path).warnings)
            else:
                found.extend(load_standard(path).warnings)
        except DiagnosticError as err:
            found.extend(err.diagnostics)
    found = sort_diagnostics(found)
    errors = sum(d.severity.value == "error" for d in found)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"files": [str(f) for f in files], "diagnostics": [d.as_dict() for d in found]},
                indent=2,
            )
        )
    else:
        if found:
            click.echo(render_text(found) + "\n")
        warnings = len(found) - errors
        click.echo(
            f"{len(files)} file{'s' if len(files) != 1 else ''} checked: "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
    return EXIT_INVALID if errors else EXIT_FAILED if found else EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file is not formatted."
)
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes; change nothing.")
@_guarded
def fmt(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> int:
    """Format .aicx files in the canonical layout (comments kept); rewrites them in place."""
    from aicxs_dsl import parse_file
    from aicxs_dsl.formatter import format_module
    from engine.files import write_atomic

    changed = []
    for path in _aicx_files(paths):
        before = path.read_text("utf-8")
        after = format_module(parse_file(path))
        if after == before:
            continue
        changed.append(path)
        if show_diff:
            click.echo(
                "".join(
                    difflib.unified_diff(
                        before.splitlines(True),
                        after.splitlines(True),
                        f"{path}",
                        f"{path} (formatted)",
                    )
                ),
                nl=False,
            )
        elif not check_only:
            write_atomic(path, after)
    verb = "would reformat" if check_only or show_diff else "reformatted"
    for path in changed:
        click.echo(f"{verb} {path}", err=True)
    if not changed:
        click.echo("all files formatted", err=True)
    return EXIT_FAILED if changed and (check_only or show_diff) else EXIT_OK


@cli.command()
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "dot", "mermaid"]),
    default="json",
    show_default=True,
)
@click.option("--impact", metavar="ID", help="Only what depends on this clause, as a list.")
@_guarded
def graph(path: str, fmt: str, impact: str | None) -> int:
    """The requirement dependency graph of a standard or policy."""
    from aicxs_dsl.diagnostics import did_you_mean
    from engine.api import is_policy_file, load_policy, load_standard
    from engine.graph import as_dot, as_json, as_mermaid, dependents

    g = load_policy(path).graph if is_policy_file(path) else load_standard(path).graph
    if impact is not None:
        if impact not in g:
            hint = did_you_mean(impact, [str(n) for n in g.nodes]) or "give a clause id"
            raise click.BadParameter(
                f"`{impact}` is not in the graph; {hint}", param_hint="--impact"
            )
        affected = dependents(g, impact)
        sub = g.subgraph([impact, *affected])
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "id": impact,
                        "dependents": [{"id": n, **g.nodes[n]} for n in affected],
                        **as_json(sub),
                    },
                    indent=2,
                )
            )
        elif fmt == "dot":
            click.echo(as_dot(sub, [impact]), nl=False)
        else:
            click.echo(as_mermaid(sub, [impact]), nl=False)
        return EXIT_OK
    renderers = {
        "json": lambda: json.dumps(as_json(g), indent=2) + "\n",
        "dot": lambda: as_dot(g),
        "mermaid": lambda: as_mermaid(g),
    }
    click.echo(renderers[fmt](), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("path")
@_guarded
def schema(path: str) -> int:
    """The JSON Schema (2020-12) of the facts a standard or policy reads."""
    from engine.api import is_policy_file, load_policy, load_standard
    from engine.schema import facts_schema

    if is_policy_file(path):
        doc = load_policy(path).schema
    else:
        std = load_standard(path).standard
        doc = facts_schema(std.vocabulary, f"Facts for {std.name}")
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    return EXIT_OK


# ---- aicxs test: policy tests and clause coverage ------------------------------------------


# ---- aicxs docs / diff: standards-author tooling ---------------------------------------------


# ---- reports for auditors and CI: html, sarif, junit, oscal, csv ----------------------------


# ---- aicxs init / assess / roadmap: getting started -----------------------------------------


# ---- aicxs serve / batch: the decision service and estate-scale runs -------------------------


def main() -> None:
    cli(prog_name="aicxs")


if __name__ == "__main__":
    main()
