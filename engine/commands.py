"""The pipeline's own commands: `check` and `explain` (evaluate), `lint`, `fmt`, `graph` and
`schema` (read a standard or policy). Each parses its options, calls the engine, renders and
picks the exit code."""

from __future__ import annotations

import difflib
import json
from typing import Any

import click

from aicxs.engine.console import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    aicx_files,
    as_of_option,
    batch_options,
    emit,
    evaluation_date,
    facts_option,
    guarded,
    make_style,
    spec_option,
    use_colour,
)
from aicxs.engine.evolve.cli import open_store, store_option
from aicxs.engine.service.cli import check_batch


@click.command()
@click.argument("policy")
@click.option(
    "--facts",
    "facts_path",
    metavar="FILE",
    help="The organisation's facts (YAML or JSON); or give --batch.",
)
@spec_option
@as_of_option
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
    "--record", is_flag=True, help="Keep this evaluation in the store (see `aicxs history`)."
)
@store_option
@batch_options
@guarded
def check(
    policy: str,
    facts_path: str | None,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    mode: str | None,
    output: str | None,
    verbose: bool,
    record: bool,
    store_url: str | None,
    **batch: Any,
) -> int:
    """Evaluate POLICY against the organisation's facts; give the verdict and why.

    With --batch PATH (a folder of facts files, or a JSON Lines file of facts documents),
    evaluate every document, in parallel, and print one JSON line per document, in order."""
    from aicxs.engine import load_policy
    from aicxs.engine.loader import explain_mode
    from aicxs.engine.render import report_json, report_markdown, report_text

    if batch["batch_path"] is not None or facts_path is None:
        if record:
            raise click.UsageError("`--record` keeps one evaluation: give `--facts FILE`")
        return check_batch(policy, facts_path, spec_path, as_of, fmt, mode, output, **batch)
    date = evaluation_date(as_of)
    mode = mode or "fails"
    compiled = load_policy(policy, spec_path)
    facts = compiled.load_facts(facts_path)
    report = compiled.evaluate(facts, date, explain="full" if record else explain_mode(mode))
    if record:
        store = open_store(store_url)
        kept = store.record(report, compiled, facts, "check")
        store.close()
        click.echo(f"recorded as #{kept.id} in {store.shown} (see `aicxs history`)", err=True)
    if fmt == "json":
        text = json.dumps(report_json(report, mode), indent=2, ensure_ascii=False)
        emit(text + "\n", output)
    elif fmt == "markdown":
        emit(report_markdown(report, mode), output)
    elif fmt in ("html", "sarif", "junit", "oscal", "csv"):
        from aicxs.engine.reports import render_report

        emit(render_report(fmt, report, compiled, mode), output)
    else:
        colour = output is None and use_colour()
        emit(report_text(report, mode, make_style(colour), verbose), output)
    return EXIT_OK if report.verdict == "certified" else EXIT_FAILED


@click.command()
@click.argument("policy")
@click.argument("ident", metavar="ID")
@facts_option
@spec_option
@as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@guarded
def explain(
    policy: str, ident: str, facts_path: str, spec_path: str | None, as_of: str | None, fmt: str
) -> int:
    """Explain one clause, organisation rule or key requirement (ID) in depth."""
    from aicxs.aicxs_dsl.diagnostics import did_you_mean
    from aicxs.engine import load_policy
    from aicxs.engine.render import result_json, result_lines

    compiled = load_policy(policy, spec_path)
    report = compiled.evaluate(
        compiled.load_facts(facts_path), evaluation_date(as_of), explain="full"
    )
    result = report.result(ident)
    if result is None:
        ids = [r.id for r in report.results] + [s.id for r in report.results for s in r.rules]
        hint = did_you_mean(ident, ids) or "ids look like `P4.2` or `KR1`"
        raise click.BadParameter(
            f"no clause, rule or key requirement `{ident}`; {hint}", param_hint="ID"
        )
    if fmt == "json":
        click.echo(json.dumps(result_json(report, result, "full"), indent=2, ensure_ascii=False))
    else:
        style = make_style(use_colour())
        click.echo("\n".join(result_lines(report, result, "full", style)))
    return EXIT_OK if result.status.satisfied else EXIT_FAILED


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--spec", "spec_path", metavar="FILE", help="The standard that policies are checked against."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@guarded
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
    files = aicx_files(paths)
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


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file is not formatted."
)
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes; change nothing.")
@guarded
def fmt(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> int:
    """Format .aicx files in the canonical layout (comments kept); rewrites them in place."""
    from aicxs.aicxs_dsl import parse_file
    from aicxs.aicxs_dsl.formatter import format_module
    from aicxs.engine.files import write_atomic

    changed = []
    for path in aicx_files(paths):
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


@click.command()
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "dot", "mermaid", "list"]),
    default="json",
    show_default=True,
)
@click.option("--impact", metavar="ID", help="Only what depends on this clause, as a list.")
@guarded
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


@click.command()
@click.argument("path")
@guarded
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
