"""The `aicxs` command: parses arguments, calls the engine, renders, picks the exit code.

Exit codes: 0 = passed (or clean), 1 = a requirement failed or is unknown (or a lint warning,
or `fmt --check` found a file to reformat), 2 = the input is invalid (usage, syntax, names,
types, facts), 3 = internal error (a bug: please report it with the traceback).
This is the only module that prints or exits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
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
        from aicxs.aicxs_dsl.diagnostics import DiagnosticError, Severity, render_text

        try:
            code = fn(*args, **kwargs)
        except DiagnosticError as err:
            click.echo(render_text(err.diagnostics), err=True)
            n = sum(d.severity is Severity.ERROR for d in err.diagnostics)
            warnings = len(err.diagnostics) - n
            also = f" and {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
            click.echo(f"\n{n} error{'s' if n != 1 else ''}{also}; nothing was evaluated", err=True)
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


def _style(enabled: bool) -> Callable[[str, str], str]:
    def style(text: str, truth: str) -> str:
        return click.style(text, fg=COLOURS.get(truth)) if enabled else text

    return style


def _colour(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ


def _as_of(value: str | None) -> dt.date:
    from aicxs.engine.loader import environ_as_of

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
    from aicxs.engine.files import write_atomic

    write_atomic(Path(output), text)


def _emit_chunks(chunks: Iterable[str], output: str | None) -> None:
    """`_emit` for a text that comes in pieces, written as they come."""
    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    from aicxs.engine.files import open_atomic

    with open_atomic(Path(output)) as f:
        for chunk in chunks:
            f.write(chunk)


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


def _batch_options(fn: F) -> F:
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


@cli.command()
@click.argument("policy")
@click.option(
    "--facts",
    "facts_path",
    metavar="FILE",
    help="The organisation's facts (YAML or JSON); or give --batch.",
)
@_spec_option
@_as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html", "sarif", "junit", "oscal", "csv"]),
    default="text",
    show_default=True,
    help="html: a self-contained report for auditors; sarif, junit: for CI; oscal: "
    "OSCAL assessment results; csv: one row per result.",
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
@click.option(
    "--missing-facts",
    "missing_path",
    metavar="FILE",
    help="Also write every missing fact here, one JSON line each (path, fact, item, "
    "question, the results it leaves unknown).",
)
@_batch_options
@_guarded
def check(
    policy: str,
    facts_path: str | None,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    mode: str | None,
    output: str | None,
    verbose: bool,
    missing_path: str | None,
    **batch: Any,
) -> int:
    """Evaluate POLICY against the organisation's facts; give the verdict and why.

    With --batch PATH (a folder of facts files, or a JSON Lines file of facts documents),
    evaluate every document, in parallel, and print one JSON line per document, in order."""
    from aicxs.engine import load_policy
    from aicxs.engine.loader import explain_mode
    from aicxs.engine.render import missing_facts_lines, report_markdown, report_text

    if batch["batch_path"] is not None or facts_path is None:
        if missing_path is not None:
            raise click.UsageError("--missing-facts goes with --facts, not --batch")
        return _check_batch(policy, facts_path, spec_path, as_of, fmt, mode, output, **batch)
    date = _as_of(as_of)
    mode = mode or "fails"
    compiled = load_policy(policy, spec_path)
    report = compiled.evaluate(compiled.load_facts(facts_path), date, explain=explain_mode(mode))
    if missing_path is not None:
        _emit_chunks(missing_facts_lines(report), missing_path)
    if fmt == "json":
        _emit_chunks(report.json_chunks(), output)  # a result at a time: never the whole text
    elif fmt == "markdown":
        _emit(report_markdown(report, mode), output)
    elif fmt in ("html", "sarif", "junit", "oscal", "csv"):
        from aicxs.engine.reports import render_report

        _emit(render_report(fmt, report, compiled, mode), output)
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
@click.option(
    "--system",
    metavar="SYSTEM",
    help="Only this item (a system's id) of every list the checks go through, in full.",
)
@_guarded
def explain(
    policy: str,
    ident: str,
    facts_path: str,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    system: str | None,
) -> int:
    """Explain one clause, organisation rule or key requirement (ID) in depth."""
    from aicxs.aicxs_dsl.diagnostics import did_you_mean
    from aicxs.engine import load_policy
    from aicxs.engine.render import result_json, result_lines

    compiled = load_policy(policy, spec_path)
    facts = compiled.load_facts(facts_path)
    if system is not None:
        _known_system(facts.data, system)
    # One system: compact elsewhere, in full for it; else everything in full.
    mode: Any = "fails" if system is not None else "full"
    report = compiled.evaluate(facts, _as_of(as_of), explain=mode, system=system)
    result = report.result(ident)
    if result is None:
        ids = [r.id for r in report.results] + [s.id for r in report.results for s in r.rules]
        hint = did_you_mean(ident, ids) or "ids look like `P4.2` or `KR1`"
        raise click.BadParameter(
            f"no clause, rule or key requirement `{ident}`; {hint}", param_hint="ID"
        )
    if fmt == "json":
        data = result_json(report, result, "full", system)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        style = _style(_colour())
        click.echo("\n".join(result_lines(report, result, "full", style, system)))
    return EXIT_OK if result.status.satisfied else EXIT_FAILED


def _known_system(data: dict[str, Any], system: str) -> None:
    """`--system` names a system of the facts (by its id)."""
    from aicxs.aicxs_dsl.diagnostics import did_you_mean

    listed = data.get("systems")
    ids = (
        [str(s.get("id")) for s in listed if isinstance(s, dict)]
        if isinstance(listed, list)
        else []
    )
    if system not in ids:
        hint = did_you_mean(system, ids) or f"the facts list {len(ids):,} systems"
        raise click.BadParameter(
            f"no system `{system}` in the facts; {hint}", param_hint="--system"
        )


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
    from aicxs.aicxs_dsl.diagnostics import (
        Diagnostic,
        DiagnosticError,
        render_text,
        sort_diagnostics,
    )
    from aicxs.engine.loader import is_policy_file, load_policy, load_standard

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
    from aicxs.aicxs_dsl import parse_file
    from aicxs.aicxs_dsl.formatter import format_module
    from aicxs.engine.files import write_atomic

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
    type=click.Choice(["json", "dot", "mermaid", "list"]),
    default="json",
    show_default=True,
)
@click.option("--impact", metavar="ID", help="Only what depends on this clause, as a list.")
@_guarded
def graph(path: str, fmt: str, impact: str | None) -> int:
    """The requirement dependency graph of a standard or policy."""
    from aicxs.aicxs_dsl.diagnostics import did_you_mean
    from aicxs.engine.authoring.impact import graph_list, impact_list
    from aicxs.engine.graph import as_dot, as_json, as_mermaid, dependents
    from aicxs.engine.loader import is_policy_file, load_policy, load_standard

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
        elif fmt == "list":
            click.echo(impact_list(g, impact, affected), nl=False)
        else:
            click.echo(as_mermaid(sub, [impact]), nl=False)
        return EXIT_OK
    renderers = {
        "json": lambda: json.dumps(as_json(g), indent=2) + "\n",
        "dot": lambda: as_dot(g),
        "mermaid": lambda: as_mermaid(g),
        "list": lambda: graph_list(g),
    }
    click.echo(renderers[fmt](), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("path")
@_guarded
def schema(path: str) -> int:
    """The JSON Schema (2020-12) of the facts a standard or policy reads."""
    from aicxs.engine.loader import is_policy_file, load_policy, load_standard
    from aicxs.engine.schema import facts_schema

    if is_policy_file(path):
        doc = load_policy(path).schema
    else:
        std = load_standard(path).standard
        doc = facts_schema(std.vocabulary, f"Facts for {std.name}")
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    return EXIT_OK


# ---- aicxs test: policy tests and clause coverage ------------------------------------------


@cli.command("test")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--run",
    "pattern",
    metavar="PATTERN",
    help="Only the cases whose name (or FILE::NAME) matches this regular expression.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
)
@click.option(
    "--coverage",
    "show_coverage",
    is_flag=True,
    help="Report which clauses, key requirements, rules and sub-conditions the cases saw both "
    "pass and fail.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Exit 1 if under PCT% of clauses and key requirements were seen both passing and "
    "failing (implies --coverage).",
)
@click.option(
    "--spec",
    "spec_path",
    metavar="FILE",
    help="The standard to test against, instead of each test file's (e.g. a changed copy).",
)
@click.option("-o", "--output", metavar="FILE", help="Write the results here, not to stdout.")
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only the failures.")
@_guarded
def test_command(
    paths: tuple[str, ...],
    pattern: str | None,
    fmt: str,
    show_coverage: bool,
    fail_under: float | None,
    spec_path: str | None,
    output: str | None,
    verbose: bool,
) -> int:
    """Run the policy tests in PATHS (`*.tests.yaml` files, or folders of them)."""
    import re

    from aicxs.engine.testing.coverage import Coverage
    from aicxs.engine.testing.runner import run_tests, select
    from aicxs.engine.testing.testfile import load_test_files
    from aicxs.engine.testing.testreport import coverage_text, runs_json, runs_junit, runs_text

    try:
        re.compile(pattern or "")
    except re.error as err:
        raise click.BadParameter(
            f"`{pattern}` is not a regular expression: {err}", param_hint="--run"
        ) from None
    files = load_test_files(list(paths), spec_path)
    chosen = select(files, pattern)
    if not chosen:
        total = sum(len(f.cases) for f in files)
        raise click.BadParameter(
            f"no case matches `{pattern}` (of {total} cases in {len(files)} files)",
            param_hint="--run",
        )
    coverage = Coverage() if show_coverage or fail_under is not None else None
    if coverage is not None:
        for f in files:
            coverage.register(f.policy)
    runs = run_tests(chosen, coverage)
    colour = output is None and _colour()
    if fmt == "json":
        _emit(json.dumps(runs_json(runs, coverage), indent=2, ensure_ascii=False) + "\n", output)
    elif fmt == "junit":
        _emit(runs_junit(runs), output)
        if coverage is not None:
            click.echo(coverage_text(coverage), err=True, nl=False)
    else:
        text = runs_text(runs, _style(colour), verbose)
        if coverage is not None:
            text += "\n" + coverage_text(coverage, _style(colour))
        _emit(text, output)
    failed = any(not r.passed for r in runs)
    if coverage is not None and fail_under is not None:
        gated = coverage.gated()
        if gated.percent < fail_under:
            click.echo(
                f"coverage of clauses and key requirements is {gated.percent:.1f}% "
                f"({gated.covered} of {gated.total}), under --fail-under {fail_under:g}%",
                err=True,
            )
            failed = True
    return EXIT_FAILED if failed else EXIT_OK


# ---- aicxs docs / diff: standards-author tooling ---------------------------------------------


@cli.command()
@click.argument("spec_path", metavar="SPEC")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
    help="Markdown, or one self-contained HTML page (inline CSS, nothing fetched).",
)
@click.option("-o", "--output", metavar="FILE", help="Write the document here, not to stdout.")
@_guarded
def docs(spec_path: str, fmt: str, output: str | None) -> int:
    """The standard SPEC as a readable document: maturity model, roles, pathway, parameters,
    every clause with its check, key requirements, facts vocabulary, crosswalk tables."""
    from aicxs.engine.authoring.docs import render_docs
    from aicxs.engine.loader import is_policy_file, load_standard

    if is_policy_file(spec_path):
        raise click.BadParameter(
            f"`{spec_path}` is a policy; give the standard it implements, "
            "e.g. spec/aicxs-2024.aicx",
            param_hint="SPEC",
        )
    _emit(render_docs(load_standard(spec_path).standard, fmt), output)
    return EXIT_OK


@cli.command()
@click.argument("old_path", metavar="OLD")
@click.argument("new_path", metavar="NEW")
@click.option(
    "--policies",
    "policies_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False),
    help="Load each policy *.aicx in DIR against both versions: which no longer load, and "
    "which of their exclusions, waivers, rules and settings touch a change.",
)
@click.option(
    "--facts",
    "facts_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False),
    help="Evaluate each policy on DIR/<name>.facts.yaml with both versions and list the "
    "verdicts and statuses that flip (needs --policies).",
)
@_as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", metavar="FILE", help="Write the diff here, not to stdout.")
@_guarded
def diff(
    old_path: str,
    new_path: str,
    policies_dir: str | None,
    facts_dir: str | None,
    as_of: str | None,
    fmt: str,
    output: str | None,
) -> int:
    """What changes from standard OLD to NEW, clause by clause, each change classed as breaking
    for existing policies or not. Exit 1 when something breaks (a breaking change, or a policy
    that no longer loads), 0 when nothing does."""
    from aicxs.engine.authoring.diff_report import diff_json, diff_markdown, diff_text
    from aicxs.engine.authoring.impact import compare

    if facts_dir is not None and policies_dir is None:
        raise click.BadParameter(
            "--facts needs --policies: the facts files are evaluated with their policies",
            param_hint="--facts",
        )
    date = _as_of(as_of)
    d, impacts = compare(
        Path(old_path),
        Path(new_path),
        Path(policies_dir) if policies_dir else None,
        Path(facts_dir) if facts_dir else None,
        date,
    )
    data = diff_json(d, impacts, date)
    if fmt == "json":
        _emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n", output)
    elif fmt == "markdown":
        _emit(diff_markdown(data), output)
    else:
        _emit(diff_text(data), output)
    broken = data["summary"]["breaking"] or data["summary"]["policies_no_longer_loading"]
    return EXIT_FAILED if broken else EXIT_OK


# ---- reports for auditors and CI: html, sarif, junit, oscal, csv ----------------------------


@cli.group()
def export() -> None:
    """Export the standard for other tools."""


@export.command("oscal-catalog")
@click.argument("spec_file", metavar="SPEC")
@_as_of_option
@click.option("-o", "--output", metavar="FILE", help="Write the catalog here, not to stdout.")
@_guarded
def export_oscal_catalog(spec_file: str, as_of: str | None, output: str | None) -> int:
    """The standard SPEC (an .aicx file) as an OSCAL 1.1.3 catalog (JSON).

    --as-of dates the catalog's `last-modified`, so the same inputs give the same bytes."""
    from aicxs.engine.loader import is_policy_file, load_standard
    from aicxs.engine.reports.oscal import oscal_catalog

    if is_policy_file(spec_file):
        raise click.BadParameter(
            f"`{spec_file}` is a policy, not a standard; give the standard's .aicx file "
            "(e.g. spec/aicxs-2024.aicx)",
            param_hint="SPEC",
        )
    date = _as_of(as_of)
    _emit(oscal_catalog(load_standard(spec_file).standard, date), output)
    return EXIT_OK


# ---- aicxs init / assess / roadmap: getting started -----------------------------------------


_MINIMAL_POLICY = """\
policy assessment implements {standard} {version} {{
  title "Online Assessment"
  target level {target}
}}
"""


@cli.command()
@click.argument("directory", metavar="[DIR]", default=".", required=False)
@click.option("--org", required=True, metavar="NAME", help="The organisation's name.")
@click.option(
    "--target",
    type=int,
    metavar="LEVEL",
    help="The maturity level to certify at (default: the first level with clauses, 2).",
)
@click.option("--force", is_flag=True, help="Overwrite the files if they exist.")
@_guarded
def init(directory: str, org: str, target: int | None, force: bool) -> int:
    """Start a policy and a facts template for an organisation, in DIR (default: here)."""
    from aicxs.aicxs_dsl.diagnostics import Diagnostic, render_text
    from aicxs.engine.files import write_atomic
    from aicxs.engine.loader import environ_as_of, load_standard
    from aicxs.engine.onboarding.scaffold import scaffold, slug_of

    std = load_standard().standard
    if not slug_of(org):
        raise click.BadParameter(
            f"`{org}` has no letter or digit to name the files after", param_hint="--org"
        )
    target = _first_level(std) if target is None else target
    _check_level(std, target, "--target")
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise click.BadParameter(f"`{folder}` is a file, not a folder", param_hint="DIR")
    made = scaffold(org, target, std, std.vocabulary, environ_as_of() or dt.date.today())
    policy_path = folder / f"{made.slug}.aicx"
    facts_path = folder / f"{made.slug}.facts.yaml"
    taken = [p for p in (policy_path, facts_path) if p.exists()]
    if taken and not force:
        help_ = "pass `--force` to overwrite it, or choose another DIR or `--org`"
        found = [
            Diagnostic("aicxs_file_exists", "the file already exists", None, help_, path=str(p))
            for p in taken
        ]
        click.echo(render_text(found) + "\n\nnothing was written", err=True)
        return EXIT_INVALID
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(policy_path, made.policy_text)
    write_atomic(facts_path, made.facts_text)
    level = std.levels[target].name
    click.echo(
        f"created {policy_path}: policy `{made.name}`, {std.name} at target level {target} "
        f"({level}), tailoring examples in comments"
    )
    click.echo(
        f"created {facts_path}: {made.facts_count} facts with their questions, all unknown, "
        "one example system"
    )
    click.echo("\nnext: answer the questions, then see the verdict and what to do:")
    click.echo(f"  aicxs assess --policy {policy_path} -o {facts_path}")
    click.echo(f"  aicxs check {policy_path} --facts {facts_path}")
    click.echo(f"  aicxs roadmap {policy_path} --facts {facts_path}")
    return EXIT_OK


def _first_level(std: Any) -> int:
    """The lowest level some clause is expected at (2 for AICXS 2024)."""
    levels: list[int] = [c.level for c in std.clauses.values()] or list(std.levels)
    return min(levels)


def _check_level(std: Any, level: int, option: str) -> None:
    if level not in std.levels:
        known = ", ".join(f"{n} ({lv.name})" for n, lv in sorted(std.levels.items()))
        raise click.BadParameter(
            f"{std.name} has no level {level}; its levels are {known}", param_hint=option
        )


@cli.command()
@click.option(
    "--policy",
    "policy_path",
    metavar="FILE",
    help="The policy whose facts to ask for (default: the bundled standard as it is).",
)
@click.option(
    "-o",
    "--output",
    default="facts.yaml",
    show_default=True,
    metavar="FILE",
    help="Where the answers are written; an existing file is resumed.",
)
@click.option(
    "--answers",
    "answers_path",
    metavar="FILE",
    help="Answers by fact path (YAML), for a run that asks nothing.",
)
@_as_of_option
@_guarded
def assess(
    policy_path: str | None, output: str, answers_path: str | None, as_of: str | None
) -> int:
    """The Online Assessment: answer questions, get the facts file and a first verdict."""
    from aicxs.engine.render import report_text

    date = _as_of(as_of)
    compiled = _assessed_policy(policy_path)
    out = Path(output)
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder `{out.parent}` does not exist", param_hint="-o")
    session = _session(compiled, out, date)
    answers = _answers(session, answers_path) if answers_path else None
    std = compiled.standard
    click.echo(f"Online Assessment · {std.name} · policy {compiled.policy.name}")
    if session.already:
        click.echo(
            f"Resuming from {out}: {session.already} facts already answered are not asked again."
        )
    if answers is None:
        click.echo(
            "Press Enter or type `skip` to leave a fact unknown. Ctrl-C stops; the answers "
            "so far are kept, and the same command goes on from there."
        )
    try:
        _drive(session, answers, lambda: _save(session, out))
    except (click.exceptions.Abort, KeyboardInterrupt):
        saved = session.changed
        if saved:
            _save(session, out)
        click.echo(_interrupted(session.recorded, saved, out), err=True)
        return EXIT_FAILED
    if session.changed or not out.exists():
        _save(session, out)
    if answers is not None and answers.unused():
        click.echo(
            "\nnot asked, so not used (already answered, or the question does not apply): "
            + ", ".join(answers.unused())
        )
    skipped = session.asked - session.recorded
    click.echo(
        f"\n{session.recorded} answers recorded, {skipped} questions left unknown; "
        f"the facts are in {out}.\n"
    )
    report = compiled.evaluate(compiled.load_facts(out), date, explain="none")
    click.echo(report_text(report, "none", _style(_colour())), nl=False)
    verdict: str = report.verdict
    return EXIT_OK if verdict == "certified" else EXIT_FAILED


def _interrupted(recorded: int, saved: bool, out: Path) -> str:
    if saved or recorded:  # saved now, or with the groups completed before
        return (
            f"\nInterrupted: {recorded} answer{'s' if recorded != 1 else ''} of this session "
            f"are saved in {out}; run the same command to go on from there."
        )
    kept = f"{out} is unchanged" if out.exists() else "nothing was written"
    return f"\nInterrupted before any new answer: {kept}."


def _assessed_policy(policy_path: str | None) -> Any:
    from aicxs.aicxs_dsl import parse_text
    from aicxs.engine.loader import compile_policy, load_policy, load_standard

    if policy_path is not None:
        return load_policy(policy_path)
    std = load_standard().standard
    text = _MINIMAL_POLICY.format(standard=std.id, version=std.version, target=_first_level(std))
    return compile_policy(parse_text(text, f"(the bundled {std.name})"))


def _session(compiled: Any, out: Path, date: dt.date) -> Any:
    from aicxs.engine.onboarding.questionnaire import Session

    if not out.exists():
        return Session(compiled, as_of=date)
    doc = compiled.load_facts(out)
    return Session(compiled, doc.data, doc.evidence, date)


def _answers(session: Any, path: str) -> Any:
    from aicxs.engine.onboarding.answers import load_answers
    from aicxs.engine.onboarding.scaffold import leaves
    from aicxs.engine.types import key_field

    vocabulary = session.compiled.vocabulary
    keys = {
        name: key_field(f.type.item) or ""
        for name, f in vocabulary.fields.items()
        if f.type.kind == "list" and f.type.item is not None and f.type.item.kind == "record"
    }
    return load_answers(path, {p for p, _ in leaves(vocabulary)}, keys)


def _save(session: Any, out: Path) -> None:
    from aicxs.engine.files import write_atomic

    write_atomic(out, session.facts_text())
    session.changed = False


def _drive(session: Any, answers: Any, save: Callable[[], None]) -> None:
    """Run the questionnaire: show each step, and send back what is typed (or the file's
    answer). A completed group is saved at once."""
    from aicxs.engine.onboarding.questionnaire import (
        AddItem,
        Ask,
        AskId,
        GroupDone,
        GroupStart,
        Rejected,
    )

    steps = session.run()
    reply: str | None = None
    last = ""
    while True:
        try:
            step = steps.send(reply)
        except StopIteration:
            return
        reply = None
        match step:
            case GroupStart():
                click.echo(f"\n== {step.title} ({step.label}) ==")
            case GroupDone(changed=True):
                save()
            case Rejected() if answers is not None:
                raise answers.error(last, step.message)
            case Rejected():
                click.echo(f"  invalid: {step.message}")
            case Ask() if answers is None:
                _show_question(step)
                reply = _typed(step)
            case Ask():
                last = step.question.shown
                reply = answers.answer(last)
                if reply:  # the transcript shows the questions the file answers
                    _show_question(step)
                    click.echo(f"{step.prompt}: {reply}")
            case AddItem() | AskId() if answers is None:
                reply = _typed(step)
            case AddItem() | AskId():
                listed = list(step.listed)
                ident = answers.next_item(step.list_name, listed)
                reply = ("y" if ident else "n") if isinstance(step, AddItem) else ident or ""
                click.echo(f"{step.prompt}: {reply}")


def _show_question(step: Any) -> None:
    q = step.question
    optional = " (optional)" if q.fact.declared.optional else ""
    click.echo(f"\n[{step.label}, question {step.number} of {step.total}] {q.shown}{optional}")
    if q.type.kind == "enum":
        choices = "  ".join(f"{n}={v}" for n, v in enumerate(q.type.values, start=1))
        click.echo(f"  choices: {choices}")


def _typed(step: Any) -> str:
    return str(click.prompt(step.prompt, default="", show_default=False))


@cli.command()
@click.argument("policy")
@_facts_option
@click.option(
    "--to-level",
    "to_level",
    type=int,
    metavar="N",
    help="The maturity level to plan for (default: the next one).",
)
@_as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def roadmap(policy: str, facts_path: str, to_level: int | None, as_of: str | None, fmt: str) -> int:
    """What to fix to reach the next level (or N) and certification, prerequisites first."""
    from aicxs.engine import load_policy
    from aicxs.engine.onboarding.roadmap import roadmap as plan_roadmap
    from aicxs.engine.onboarding.roadmap_report import roadmap_json, roadmap_text

    compiled = load_policy(policy)
    if to_level is not None:
        _check_level(compiled.standard, to_level, "--to-level")
    plan = plan_roadmap(compiled, compiled.load_facts(facts_path), _as_of(as_of), to_level)
    if fmt == "json":
        click.echo(json.dumps(roadmap_json(plan), indent=2, ensure_ascii=False))
    else:
        click.echo(roadmap_text(plan), nl=False)
    return EXIT_FAILED if plan.steps else EXIT_OK


# ---- aicxs serve / batch: the decision service and estate-scale runs -------------------------


@cli.command()
@click.option(
    "--policies",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default="policies",
    show_default=True,
    help="The folder of policy files to serve (each reloaded when it changes).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8181, show_default=True)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=10 * 1024 * 1024,
    show_default=True,
    metavar="BYTES",
    help="The largest request body accepted (larger ones get 413).",
)
@click.option(
    "--reload-interval",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How often to look for changed policy files.",
)
@_guarded
def serve(folder: Path, host: str, port: int, max_body: int, reload_interval: float) -> int:
    """Serve the policies of a folder over HTTP: POST /v1/evaluate and friends (see
    GET /openapi.json)."""
    import logging

    import uvicorn
    from aicxs.engine.service.server import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    app = create_app(folder, max_body, reload_interval)
    uvicorn.run(app, host=host, port=port, log_level="info")
    return EXIT_OK


_BATCH_KINDS = ("certified", "not_certified", "undetermined", "invalid", "internal_error")


def _check_batch(
    policy: str,
    facts_path: str | None,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    mode: str | None,
    output: str | None,
    batch_path: str | None,
    workers: int | None,
    engine: str,
    scheduler: str | None,
) -> int:
    """`check --batch`: one JSON line per document on stdout (or -o), a summary on stderr."""
    from aicxs.engine import load_policy
    from aicxs.engine.service.batch import PolicySource

    path = _batch_arguments(facts_path, fmt, batch_path, engine, scheduler)
    date = _as_of(as_of)
    compiled = load_policy(policy, spec_path)  # any mistake in the policy stops us here
    source = PolicySource.of(compiled, spec_path)
    outcomes = _batch_outcomes(source, path, date, mode or "fails", engine, workers, scheduler)
    counts = dict.fromkeys(_BATCH_KINDS, 0)
    with _batch_output(output) as out, _progress(path) as advance:
        for outcome in outcomes:
            out.write(outcome.line + "\n")
            counts[outcome.kind] += 1
            advance()
        total = sum(counts.values())
        if total == 0:
            raise click.BadParameter(
                f"`{path}` holds no facts documents: a folder holds *.yaml, *.yml or *.json "
                "files, a JSON Lines file one JSON document a line",
                param_hint="--batch",
            )
    parts = [f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n or k == "certified"]
    click.echo(f"{total} document{'s' if total != 1 else ''}: {', '.join(parts)}", err=True)
    if counts["internal_error"]:
        return EXIT_INTERNAL
    if counts["invalid"]:
        return EXIT_INVALID
    return EXIT_FAILED if total > counts["certified"] else EXIT_OK


def _batch_arguments(
    facts_path: str | None, fmt: str, batch_path: str | None, engine: str, scheduler: str | None
) -> Path:
    """Check the options' combination; the path to read."""
    if batch_path is None:
        raise click.UsageError(
            "give the facts: `--facts FILE` for one organisation, or `--batch PATH` for a "
            "folder or JSON Lines file of many"
        )
    if facts_path is not None:
        raise click.UsageError("give either `--facts FILE` or `--batch PATH`, not both")
    source = click.get_current_context().get_parameter_source("fmt")
    if fmt != "json" and source is click.core.ParameterSource.COMMANDLINE:
        raise click.BadParameter(
            "--batch writes JSON Lines; leave out --format, or give `json`", param_hint="--format"
        )
    if scheduler is not None and engine != "dask":
        raise click.BadParameter("a scheduler is for `--engine dask`", param_hint="--scheduler")
    path = Path(batch_path)
    if not path.exists():
        raise click.BadParameter(
            f"`{batch_path}` does not exist; give a folder of facts files or a JSON Lines file",
            param_hint="--batch",
        )
    if engine == "dask":
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise click.UsageError(
                "`--engine dask` needs Dask distributed: pip install 'aicxs[distributed]'"
            )
    return path


def _batch_outcomes(
    source: Any,
    path: Path,
    date: dt.date,
    explain: str,
    engine: str,
    workers: int | None,
    scheduler: str | None,
) -> Iterable[Any]:
    from aicxs.engine.loader import explain_mode
    from aicxs.engine.service.batch import documents, run_local, run_processes

    docs, mode = documents(path), explain_mode(explain)
    if engine == "local":
        return run_local(source, docs, date, mode)
    if engine == "processes":
        return run_processes(source, docs, date, mode, workers or os.cpu_count() or 1)
    from aicxs.engine.service.distributed import ClusterUnavailable, run_dask

    def guarded() -> Iterable[Any]:
        try:
            yield from run_dask(source, docs, date, mode, scheduler, workers)
        except ClusterUnavailable as err:
            raise click.BadParameter(str(err), param_hint="--scheduler") from None

    return guarded()


@contextlib.contextmanager
def _batch_output(output: str | None) -> Iterator[Any]:
    """stdout, or a file written beside its target and renamed into place when complete."""
    if output is None:
        yield sys.stdout
        return
    from aicxs.engine.files import open_atomic

    with open_atomic(Path(output)) as f:  # the shared atomic writer: modes, links, cleanup
        yield f


@contextlib.contextmanager
def _progress(path: Path) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from aicxs.engine.service.batch import count_documents

    with click.progressbar(
        length=count_documents(path), label="evaluating", file=sys.stderr, show_pos=True
    ) as bar:
        yield lambda: bar.update(1)


def main() -> None:
    try:
        cli(prog_name="aicxs")
    except BrokenPipeError:
        # The reader went away (`aicxs check ... | head`): not an error of ours, and nothing
        # more can be written; stop quietly, as `cat` would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
