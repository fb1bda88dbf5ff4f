"""The pipeline's own commands: `check` and `explain` (evaluate), `lint`, `fmt`, `graph` and
`schema` (read a standard or policy). Each parses its options, calls the engine, renders and
picks the exit code."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.engine.console import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    aicx_files,
    as_of_option,
    batch_options,
    echo,
    emit,
    emit_chunks,
    evaluation_date,
    facts_option,
    guarded,
    make_style,
    output_options,
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
@output_options("the report")
@click.option("-v", "--verbose", is_flag=True, help="List the clauses behind the verdict.")
@click.option(
    "--provenance",
    "with_provenance",
    is_flag=True,
    help="With --format json: add `provenance`, the tool's version and the SHA-256 of the "
    "standard, policy and facts files (html and oscal always carry it).",
)
@click.option(
    "--record", is_flag=True, help="Keep this evaluation in the store (see `aicxs history`)."
)
@click.option(
    "--missing-facts",
    "missing_path",
    metavar="FILE",
    help="Also write every missing fact here, one JSON line each (path, fact, item, "
    "question, the results that read it missing), whatever --explain says.",
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
    with_provenance: bool,
    record: bool,
    store_url: str | None,
    missing_path: str | None,
    **batch: Any,
) -> int:
    """Evaluate POLICY against the organisation's facts; give the verdict and why.

    With --batch PATH (a folder of facts files, or a JSON Lines file of facts documents),
    evaluate every document, in parallel, and print one JSON line per document, in order."""
    from aicxs.engine import load_policy
    from aicxs.engine.loader import explain_mode
    from aicxs.engine.provenance import provenance
    from aicxs.engine.render import missing_facts_lines, report_markdown, report_text

    if batch["batch_path"] is not None or facts_path is None:
        if record:
            raise click.UsageError("`--record` keeps one evaluation: give `--facts FILE`")
        if missing_path is not None:
            raise click.UsageError("`--missing-facts` goes with `--facts FILE`, not `--batch`")
        return check_batch(policy, facts_path, spec_path, as_of, fmt, mode, output, **batch)
    date = evaluation_date(as_of)
    mode = mode or "fails"
    compiled = load_policy(policy, spec_path)
    facts = compiled.load_facts(facts_path)
    report = compiled.evaluate(facts, date, explain="full" if record else explain_mode(mode))
    if with_provenance:  # not by default: the JSON stays the bytes the API and service give
        report = replace(report, provenance=provenance(compiled, facts))
    if record:
        store = open_store(store_url)
        kept = store.record(report, compiled, facts, "check")
        store.close()
        echo(f"recorded as #{kept.id} in {store.shown} (see `aicxs history`)", err=True)
    if missing_path is not None:
        emit_chunks(missing_facts_lines(report), missing_path, "the missing facts")
    if fmt == "json":
        emit_chunks(report.json_chunks(explain_mode(mode)), output)  # a result at a time
    elif fmt == "markdown":
        emit(report_markdown(report, mode), output)
    elif fmt in ("html", "sarif", "junit", "oscal", "csv"):
        from aicxs.engine.reports import render_report

        emit(render_report(fmt, report, compiled, mode), output)
    else:
        colour = output is None and use_colour()
        emit(report_text(report, mode, make_style(colour), verbose), output, colour)
    return EXIT_OK if report.verdict == "certified" else EXIT_FAILED


@click.command()
@click.argument("policy")
@click.argument("ident", metavar="[ID]", required=False)
@facts_option
@click.option(
    "--system",
    metavar="SYSTEM",
    help="Only what this system (its id in `systems`) fails or leaves unknown, by clause; "
    "with an ID, within that clause, key requirement or pillar.",
)
@spec_option
@as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@output_options("the explanation")
@guarded
def explain(
    policy: str,
    ident: str | None,
    facts_path: str,
    system: str | None,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    output: str | None,
) -> int:
    """Explain in depth one clause, organisation rule, key requirement (followed into the
    clauses it covers), pillar (`P4`) or system (its id: everything it fails or leaves
    unknown, by clause)."""
    from aicxs.engine import drilldown as dd
    from aicxs.engine import load_policy

    compiled = load_policy(policy, spec_path)
    facts = compiled.load_facts(facts_path)
    if system is None and ident is not None and ident in dd.listed_ids(facts.data):
        system = ident  # a system's id given as the ID (checked again below)
    # One system: the others compact, it in full wherever a check quantifies over the
    # systems (an estate of thousands costs what one system does); else everything in full.
    mode: Any = "fails" if system is not None else "full"
    report = compiled.evaluate(facts, evaluation_date(as_of), explain=mode, system=system)
    systems = dd.system_ids(report)
    if ident is None and system is None:
        raise click.UsageError(
            "give an ID (a clause, rule, key requirement or pillar), or --system"
        )
    named = ident is not None and (report.result(ident) or ident in dd.pillar_ids(report))
    if ident is not None and not named:
        if ident in compiled.standard.withdrawn:
            raise click.BadParameter(_withdrawn_id(compiled.standard, ident), param_hint="ID")
        if ident not in systems:
            raise click.BadParameter(_unknown_id(report, ident, systems), param_hint="ID")
        if system not in (None, ident):
            raise click.UsageError(f"`{ident}` and `--system {system}` name two systems; give one")
        ident, system = None, ident  # a system id given as the ID
    if system is not None and system not in systems:
        raise click.BadParameter(_unknown_system(system, systems), param_hint="--system")
    colour = output is None and use_colour()
    style = make_style(colour)
    if system is not None:
        within = dd.results_of(report, ident)
        chosen = report.result(ident) if ident is not None else None
        one = chosen is not None and chosen.kind != "key_requirement"  # one result: all of it
        if fmt == "json":
            data = dd.system_data(report, system, within, everything=one)
            emit(json_dumps(data) + "\n", output)
        else:
            lines = dd.system_text(report, compiled, system, within, everything=one, style=style)
            emit("\n".join(lines) + "\n", output, colours=colour)
        failing = [f for f in dd.system_findings(report, system, within) if not f.status.satisfied]
        return EXIT_FAILED if failing else EXIT_OK
    assert ident is not None
    if ident in dd.pillar_ids(report):
        if fmt == "json":
            data = dd.pillar_data(report, compiled, ident)
            emit(json_dumps(data) + "\n", output)
        else:
            lines = dd.pillar_text(report, compiled, ident, style)
            emit("\n".join(lines) + "\n", output, colours=colour)
        level = next(p.level for p in report.pillars if p.pillar == ident)
        return EXIT_OK if level >= report.target_level else EXIT_FAILED
    result = report.result(ident)
    assert result is not None
    if fmt == "json":
        emit(json_dumps(dd.result_data(report, compiled, result)) + "\n", output)
    else:
        lines = dd.result_text(report, compiled, result, style)
        emit("\n".join(lines) + "\n", output, colours=colour)
    return EXIT_OK if result.status.satisfied else EXIT_FAILED


def _unknown_id(report: Any, ident: str, systems: list[str]) -> str:
    from aicxs.aicxs_dsl.diagnostics import did_you_mean
    from aicxs.engine.drilldown import pillar_ids

    ids = [r.id for r in report.results] + [s.id for r in report.results for s in r.rules]
    hint = did_you_mean(ident, [*ids, *pillar_ids(report), *systems])
    return (
        f"no clause, rule, key requirement, pillar or system `{ident}`; "
        f"{hint or 'ids look like `P4.2`, `KR1`, `P4` or a system id such as `web-chat`'}"
    )


def _withdrawn_id(std: Any, ident: str) -> str:
    clause = std.withdrawn[ident]
    when = f" in {std.id} {clause.withdrawn_in}" if clause.withdrawn_in else ""
    return (
        f"clause `{ident}` was withdrawn{when} ({clause.withdrawn}): it is never evaluated, "
        f"so there is no result to explain; `aicxs docs` shows what it said"
    )


def _unknown_system(system: str, systems: list[str]) -> str:
    from aicxs.aicxs_dsl.diagnostics import did_you_mean

    listed = ", ".join(f"`{s}`" for s in systems[:10]) or "none"
    hint = did_you_mean(system, systems) or f"the facts list: {listed}"
    return f"no system `{system}` in the facts; {hint}"


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--spec", "spec_path", metavar="FILE", help="The standard that policies are checked against."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="sarif: SARIF 2.1.0 for code scanning (one result per diagnostic).",
)
@output_options("the findings")
@guarded
def lint(paths: tuple[str, ...], spec_path: str | None, fmt: str, output: str | None) -> int:
    """Check standards and policies: syntax, names, types, references, cycles, titles."""
    from aicxs.aicxs_dsl.diagnostics import (
        Diagnostic,
        DiagnosticError,
        render_text,
        sort_diagnostics,
    )
    from aicxs.aicxs_dsl.words import count
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
        doc = {"files": [str(f) for f in files], "diagnostics": [d.as_dict() for d in found]}
        emit(json_dumps(doc) + "\n", output)
    elif fmt == "sarif":
        from aicxs.engine.reports.sarif_lint import lint_sarif

        emit(lint_sarif(files, found), output)
    else:
        warnings = len(found) - errors
        summary = (
            f"{count(len(files), 'file')} checked: {count(errors, 'error')}, "
            f"{count(warnings, 'warning')}\n"
        )
        emit((render_text(found) + "\n\n" if found else "") + summary, output)
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
    from aicxs.aicxs_dsl.textdiff import unified_diff
    from aicxs.engine.files import write_atomic

    changed = []
    for path in aicx_files(paths):
        after = format_module(parse_file(path))  # refuses a device, a FIFO, a huge file
        before = path.read_text("utf-8")
        if after == before:
            continue
        changed.append(path)
        if show_diff:
            echo(
                "".join(
                    unified_diff(
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
        echo(f"{verb} {path}", err=True)
    if not changed:
        echo("all files formatted", err=True)
    return EXIT_FAILED if changed and (check_only or show_diff) else EXIT_OK


@click.command()
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "dot", "mermaid", "list"]),
    default="json",
    show_default=True,
    help="JSON (nodes and edges), Graphviz DOT, a Mermaid diagram, or a plain-text list.",
)
@click.option(
    "--impact",
    metavar="ID",
    help="Only this clause and what depends on it, in the chosen --format: JSON by default "
    "(the clause, its `dependents`, nodes and edges); `--format list` for plain text.",
)
@output_options("the graph")
@guarded
def graph(path: str, fmt: str, impact: str | None, output: str | None) -> int:
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
            doc = {
                "id": impact,
                "dependents": [{"id": n, **g.nodes[n]} for n in affected],
                **as_json(sub),
            }
            emit(json_dumps(doc) + "\n", output)
        elif fmt == "dot":
            emit(as_dot(sub, [impact]), output)
        elif fmt == "list":
            emit(impact_list(g, impact, affected), output)
        else:
            emit(as_mermaid(sub, [impact]), output)
        return EXIT_OK
    renderers = {
        "json": lambda: json_dumps(as_json(g)) + "\n",
        "dot": lambda: as_dot(g),
        "mermaid": lambda: as_mermaid(g),
        "list": lambda: graph_list(g),
    }
    emit(renderers[fmt](), output)
    return EXIT_OK


@click.command()
@click.argument("path")
@output_options("the schema")
@guarded
def schema(path: str, output: str | None) -> int:
    """The JSON Schema (2020-12) of the facts a standard or policy reads: each fact's question
    as its description; for editors, e.g. the YAML language server."""
    from aicxs.engine.loader import is_policy_file, load_policy, load_standard
    from aicxs.engine.schema import facts_schema

    if is_policy_file(path):
        doc = load_policy(path).schema
    else:
        std = load_standard(path).standard
        doc = facts_schema(std.vocabulary, f"Facts for {std.name}")
    emit(json_dumps(doc) + "\n", output)
    return EXIT_OK
