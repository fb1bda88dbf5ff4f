"""A `Report` → the terminal summary, JSON data (see report-schema.json) or Markdown.

The text fits an 80-column terminal: a per-pillar table, the mandatory key requirements,
maturity, the verdict, then an explanation of every result that did not pass (or of all, in
`full` mode). Rendering never evaluates anything; it reads what evaluation recorded.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from aicxs.aicxs_dsl.escape import json_dumps, printable_lines
from aicxs.aicxs_dsl.words import count
from aicxs.engine.explain import LABEL, Style, is_coloured, node_lines, plain
from aicxs.engine.markdown import md_cell, md_code, md_fence, md_text
from aicxs.engine.missing import SHOWN_ITEMS, MissingFact, MissingFacts, item_name, names_phrase
from aicxs.engine.outcome import (
    REPORT_SCHEMA_ID,
    REPORT_SCHEMA_VERSION,
    Report,
    Result,
    Status,
    clauses,
    key_requirements,
    level_name,
    report_json,
    result_json,
    standard_name,
)

STATUS_LABEL = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.UNKNOWN: "UNKNOWN",
    Status.ERROR: "ERROR",
    Status.NOT_APPLICABLE: "N/A",
    Status.WAIVED: "WAIVED",
    Status.BLOCKED: "BLOCKED",
}
STATUS_TRUTH = {
    Status.PASS: "true",
    Status.FAIL: "false",
    Status.UNKNOWN: "unknown",
    Status.ERROR: "error",
    Status.BLOCKED: "false",
    Status.WAIVED: "waived",
    Status.NOT_APPLICABLE: "waived",
}
VERDICT_WORD = {
    "certified": "CERTIFIED",
    "not_certified": "NOT CERTIFIED",
    "undetermined": "UNDETERMINED",
}
_COLUMNS = (
    Status.PASS,
    Status.FAIL,
    Status.UNKNOWN,
    Status.ERROR,
    Status.NOT_APPLICABLE,
    Status.WAIVED,
    Status.BLOCKED,
)


# ---- text -----------------------------------------------------------------------------------


def report_text(
    report: Report, mode: str = "fails", style: Style = plain, verbose: bool = False
) -> str:
    """The terminal summary; every line `printable` (no escape sequence, no forged line)."""
    return printable_lines(_text(report, mode, style, verbose), is_coloured(style)) + "\n"


def _text(report: Report, mode: str, style: Style, verbose: bool) -> Iterator[str]:
    std, pol = report.standard, report.policy
    yield f"{standard_name(std)} · policy {pol['id']} · as of {report.as_of}"
    yield f"policy: {pol['source']}"
    n = report.systems
    undecided = f", {n['scope_unknown']} undecided" if n.get("scope_unknown") else ""
    yield (
        f"facts:  {report.facts.path} ({count(n['total'], 'system')}, {n['in_scope']} in scope"
        f"{undecided})"
    )
    yield from _scope_lines(report)
    yield ""
    yield f"{'PILLAR':<44}{'LEVEL':>5}  PASS FAIL UNKN  N/A OTHER"
    for p in report.pillars:
        counts = Counter(
            r.status for r in clauses(report) if r.trace and r.trace.pillar == p.pillar
        )
        other = counts[Status.ERROR] + counts[Status.WAIVED] + counts[Status.BLOCKED]
        title = _clip(f"{p.pillar} {p.title}", 43)
        yield (
            f"{title:<44}{p.level:>5}  {counts[Status.PASS]:>4} {counts[Status.FAIL]:>4} "
            f"{counts[Status.UNKNOWN]:>4} {counts[Status.NOT_APPLICABLE]:>4} {other:>5}"
        )
    yield ""
    yield "Mandatory key requirements"
    for kr in key_requirements(report):
        if kr.mandatory:
            yield f"  {_status(kr.status, style)} {kr.id:<4} {_clip(kr.title, 60)}"
    yield ""
    overall, target = report.overall_level, report.target_level
    yield (
        f"Maturity: level {overall} ({level_name(report, overall) or 'none'}), target "
        f"{target} ({level_name(report, target)})"
    )
    for finding in report.findings:
        yield f"Finding:  {finding}"
    if report.missing_facts:
        missing, groups = len(report.missing_facts), len(report.missing_facts.groups)
        where = " (listed at the end)" if mode != "none" else ""
        yield f"Missing facts: {missing:,}, answering {count(groups, 'question')}{where}"
    word = VERDICT_WORD[report.verdict]
    yield f"Verdict:  {style(word, 'true' if report.verdict == 'certified' else 'false')}"
    for reason in report.reasons:
        yield f"  - {reason}"
    if verbose:
        yield ""
        yield "Clauses behind the verdict"
        for r in clauses(report):
            yield f"  {_status(r.status, style)} {r.id:<6}{_clip(r.title, 58)}"
    if mode != "none":
        shown = [
            r
            for r in report.results
            if mode == "full" or r.status not in (Status.PASS, Status.NOT_APPLICABLE)
        ]
        for r in shown:
            yield ""
            yield from result_lines(report, r, mode, style)
    if report.missing_facts and mode != "none":
        yield ""
        yield from missing_lines(report.missing_facts, mode)


def _scope_lines(report: Report) -> Iterator[str]:
    """The policy's scope, why, and the systems it leaves out (named, in every format)."""
    scope = report.policy.get("scope")
    if scope is not None:
        yield from textwrap.wrap(
            f"scope:  {scope['where']} (because {scope['because']})",
            80,
            subsequent_indent=" " * 8,
            break_on_hyphens=False,
        )
    if report.out_of_scope:
        yield from textwrap.wrap(
            "out of scope: " + ", ".join(report.out_of_scope),
            80,
            subsequent_indent=" " * 8,
            break_on_hyphens=False,
        )


def missing_lines(missing: MissingFacts, mode: str) -> Iterator[str]:
    """The missing facts by question: what to answer for a result to be decided."""
    n = len(missing)
    yield f"Missing facts: {n:,}, by the question that answers them"
    for g in missing.groups:
        yield from _fact_lines(g, mode, 2)
        yield from textwrap.wrap(
            g.question,
            80,
            initial_indent=" " * 6,
            subsequent_indent=" " * 6,
            break_on_hyphens=False,
        )


def _fact_lines(g: MissingFact, mode: str, indent: int) -> list[str]:
    """`systems[].risk_assessed on 2: support-triage, tariff-recommender`, wrapped."""
    return textwrap.wrap(
        f"{g.fact}{_on_items(g, mode)}",
        80,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 2),
        break_on_hyphens=False,
        break_long_words=False,
    )


def _on_items(g: MissingFact, mode: str) -> str:
    """` on 2: tariff-recommender, support-triage` (empty for a fact outside lists)."""
    return f" on {missing_on(g, mode)}" if g.items else ""


def missing_on(g: MissingFact, mode: str) -> str:
    """`2: tariff-recommender, support-triage`: how many items miss a fact, and which (all in
    `full` mode, else the first 10); empty for a fact outside lists."""
    if not g.items:
        return ""
    limit = g.count if mode == "full" else SHOWN_ITEMS
    return f"{g.count:,}: {names_phrase(g.names(limit), g.count, limit)}"


def result_lines(
    report: Report,
    r: Result,
    mode: str,
    style: Style = plain,
    width: int = 80,
    about: Callable[[Result], Iterable[str]] | None = None,
    only: str | None = None,
) -> Iterator[str]:
    """One result in depth: header, trace, reason, explanation, missing facts, evidence.
    `width` clips conditions (`WHOLE`: shown whole, wrapped); `about` gives lines to add
    under the header (e.g. the clause's text and the evidence it expects); `only`: of the
    items its checks quantify over, show the one with this name."""
    yield f'{_status(r.status, style)} {r.id} "{_clip(r.title, 56)}"'
    yield f"        {r.span.location()}"
    if r.trace is not None:
        t = r.trace
        feeds = f" · feeds {', '.join(t.key_requirements)}" if t.key_requirements else ""
        yield f"        pillar {t.pillar} {_clip(t.pillar_title, 40)}{feeds}"
        xs = [x.phrase() for x in t.crosswalk]
        if xs:
            yield from _wrap("crosswalk: " + "; ".join(xs))
        if t.refines:
            yield f"        refines {t.refines}"
    if r.owner:
        yield f"        owner: {r.owner} · expected at level {r.level}"
    if about is not None:
        yield from about(r)
    if r.reason:
        yield from _wrap(r.reason)
    for clause_id, status in r.covers:
        if mode == "full" or not status.satisfied:
            yield f"| {_status(status, style)} {clause_id}"
    # A waived result still shows what the waiver covers when its check does not pass.
    if r.node is not None and (
        mode == "full" or r.status is not Status.WAIVED or r.node.truth != "true"
    ):
        yield from node_lines(r.node, report.facts, mode, width, style, only)
    for sub in r.rules:
        if mode == "full" or sub.status is not Status.PASS:
            for line in result_lines(report, sub, mode, style, width, about, only):
                yield "  " + line
    missing = r.missing if only is None else r.missing.about(only)
    if missing and len(missing) <= SHOWN_ITEMS:
        yield from _wrap("missing facts: " + ", ".join(missing))
    elif missing:  # many: by fact, with the items that miss each
        yield f"        missing facts: {len(missing):,}, by fact"
        for g in missing.groups:
            yield from _fact_lines(g, mode, 10)
    for ev in r.evidence:
        yield from _wrap("evidence: " + evidence_text(ev))


def _wrap(text: str) -> list[str]:
    """Long detail lines wrapped to 80 columns under the result header."""
    return textwrap.wrap(
        text, 80, initial_indent=" " * 8, subsequent_indent=" " * 10, break_on_hyphens=False
    )


def evidence_text(ev: Mapping[str, Any]) -> str:
    parts = [str(ev.get("document") or ev.get("url") or ev["fact"])]
    if ev.get("attested_by"):
        parts.append(f"attested by {ev['attested_by']}")
    if ev.get("date"):
        parts.append(f"on {ev['date']}")
    return f"{ev['fact']}: " + ", ".join(parts)


def _status(status: Status, style: Style) -> str:
    return style(f"{STATUS_LABEL[status]:<7}", STATUS_TRUTH[status])


def _clip(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 3] + "..."


# ---- Markdown -------------------------------------------------------------------------------


def report_markdown(report: Report, mode: str = "fails") -> str:
    """The report in Markdown: every field from the standard, the policy or the facts is
    text (engine/markdown.py), every explanation a fence that nothing inside can close."""
    return "\n".join(_markdown(report, mode)) + "\n"


def _markdown(report: Report, mode: str) -> Iterator[str]:
    std, pol = report.standard, report.policy
    title = md_text(standard_name(std))
    yield f"# {title} assessment: policy {md_code(pol['id'])}"
    yield ""
    yield f"- **Policy:** {md_text(pol['title'])} ({md_code(pol['source'])})"
    yield (
        f"- **Facts:** {md_code(report.facts.path)} ({count(report.systems['total'], 'system')}, "
        f"{report.systems['in_scope']} in scope)"
    )
    if scope := report.policy.get("scope"):
        yield f"- **Scope:** `{scope['where']}` (because {scope['because']})"
    if report.out_of_scope:
        yield "- **Out of scope:** " + ", ".join(f"`{s}`" for s in report.out_of_scope)
    yield f"- **As of:** {report.as_of}"
    yield f"- **Verdict:** **{VERDICT_WORD[report.verdict]}**"
    for reason in report.reasons:
        yield f"  - {md_text(reason, keep_code=True)}"
    yield (
        f"- **Maturity:** level {report.overall_level} "
        f"({md_text(level_name(report, report.overall_level) or 'none')}), target "
        f"{report.target_level} ({md_text(level_name(report, report.target_level))})"
    )
    yield ""
    yield "## Maturity per pillar"
    yield ""
    yield "| Pillar | Title | Level | Next level needs |"
    yield "|---|---|---|---|"
    for p in report.pillars:
        blockers = md_cell(", ".join(p.next_level_blockers) or "-")
        yield f"| {md_cell(p.pillar)} | {md_cell(p.title)} | {p.level} | {blockers} |"
    yield ""
    yield "## Mandatory key requirements"
    yield ""
    yield "| Status | Id | Requirement | Clauses |"
    yield "|---|---|---|---|"
    for kr in key_requirements(report):
        if kr.mandatory:
            covered = md_cell(", ".join(f"{c} ({s.value})" for c, s in kr.covers))
            label = STATUS_LABEL[kr.status]
            yield f"| {label} | {md_cell(kr.id)} | {md_cell(kr.title)} | {covered} |"
    yield ""
    yield "## Clauses"
    yield ""
    yield "| Status | Clause | Title | Level | Owner | Key requirements |"
    yield "|---|---|---|---|---|---|"
    for r in clauses(report):
        krs = md_cell(", ".join(r.trace.key_requirements) if r.trace else "")
        cells = (md_cell(r.id), md_cell(r.title), r.level, md_cell(r.owner or ""), krs)
        yield f"| {STATUS_LABEL[r.status]} | {' | '.join(str(c) for c in cells)} |"
    if report.findings:
        yield ""
        yield "## Findings"
        yield ""
        for finding in report.findings:
            yield f"- {md_text(finding, keep_code=True)}"
    shown = [
        r
        for r in report.results
        if mode == "full" or r.status not in (Status.PASS, Status.NOT_APPLICABLE)
    ]
    if shown and mode != "none":
        yield ""
        yield "## Explanations"
        for r in shown:
            yield ""
            yield f"### {STATUS_LABEL[r.status]} {md_text(r.id)}: {md_text(r.title)}"
            yield ""
            yield from md_fence(result_lines(report, r, mode))
    if report.missing_facts:
        n = len(report.missing_facts)
        yield ""
        yield "## Missing facts"
        yield ""
        yield f"{n:,} missing, by the question that answers them:"
        yield ""
        yield "| Fact | Missing on | Question |"
        yield "|---|---|---|"
        for g in report.missing_facts.groups:
            on = missing_on(g, mode) or "-"
            yield f"| {md_code(g.fact, in_table=True)} | {md_cell(on)} | {md_cell(g.question)} |"


__all__ = [
    "LABEL",
    "REPORT_SCHEMA_ID",
    "REPORT_SCHEMA_VERSION",
    "clauses",
    "evidence_text",
    "key_requirements",
    "level_name",
    "missing_facts_lines",
    "report_json",
    "report_markdown",
    "report_text",
    "result_json",
]


# ---- the missing facts, one a line ----------------------------------------------------------


def missing_facts_lines(report: Report) -> Iterator[str]:
    """Every missing fact as a JSON line, sorted by fact then item: `path`, `fact` (the
    vocabulary's, with `[]` for lists), `item` (its key; null outside lists), `question`, and
    `needed_by` (the results that read it missing). The complete listing, whatever `--explain`
    says, for questionnaires and roadmaps; its lines agree with `missing_by_fact`'s counts."""
    results = [sub for r in report.results for sub in (r, *r.rules)]
    for g in report.missing_facts.groups:
        needing = [(r.id, _items_of(r.missing, g.fact)) for r in results]
        needing = [(ident, items) for ident, items in needing if items is not None]
        for item, path in zip(g.first() or [""], g.paths(), strict=True):
            line = {
                "path": path,
                "fact": g.fact,
                "item": item_name(g.fact, item) if item else None,
                "question": g.question,
                "needed_by": [ident for ident, items in needing if not items or item in items],
            }
            yield json_dumps(line, indent=None) + "\n"


def _items_of(missing: MissingFacts, fact: str) -> frozenset[str] | None:
    """The items a result misses `fact` on (empty: the fact outside lists); None if it does
    not miss it."""
    for g in missing.groups:
        if g.fact == fact:
            return frozenset(g.items)
    return None
