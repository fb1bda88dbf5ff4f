"""What `aicxs explain` shows: one result in depth, and what a result stands for followed down.

A clause or organisation rule is shown whole: its normative text and the evidence it expects
under the header, every condition in full (never cut with `...`). A key requirement is followed
into the explanation of each clause it covers that is not met; a pillar lists its clauses and
explains those not met; a system (`--system ID`, or an item id given as the ID) gathers, clause
by clause, what that system fails or leaves unknown. Text and JSON; nothing is evaluated here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.words import count, verb
from aicxs.engine.explain import LABEL, WHOLE, Style, node_json, node_lines, plain
from aicxs.engine.missing import EMPTY
from aicxs.engine.outcome import Kind, Report, Result, Status, clauses, result_json
from aicxs.engine.render import STATUS_LABEL, STATUS_TRUTH, level_name, result_lines
from aicxs.engine.values import UNKNOWN, EvalError, Item, Node, source_text

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy

SYSTEMS = "systems"  # the list whose items `--system` names


@dataclass(frozen=True)
class SystemFinding:
    """What one system gives in one result: the item of each quantifier over the systems."""

    result: Result
    items: tuple[tuple[Node, Item], ...]  # (the quantifier, the system's item)

    @property
    def status(self) -> Status:
        truths = [_item_status(q, i) for q, i in self.items]
        for worst in (Status.ERROR, Status.FAIL, Status.UNKNOWN):
            if worst in truths:
                return worst
        return Status.PASS


# ---- what an ID names -----------------------------------------------------------------------


def system_ids(report: Report) -> list[str]:
    return listed_ids(report.facts.data)


def listed_ids(data: dict[str, Any]) -> list[str]:
    """The ids of the systems a facts document lists."""
    listed = data.get(SYSTEMS)
    items = listed if isinstance(listed, list) else []
    return [str(i["id"]) for i in items if isinstance(i, dict) and "id" in i]


def pillar_ids(report: Report) -> list[str]:
    return [p.pillar for p in report.pillars]


def results_of(report: Report, ident: str | None) -> list[Result]:
    """The clauses and rules an ID stands for, for `--system`: all (no ID), a pillar's, a key
    requirement's covered clauses, or the one result."""
    if ident is None:
        return [r for c in clauses(report) for r in (c, *c.rules)]
    if ident in pillar_ids(report):
        return [r for c in _pillar_clauses(report, ident) for r in (c, *c.rules)]
    found = report.result(ident)
    if found is None:
        return []
    if found.kind is Kind.KEY_REQUIREMENT:
        covered = [report.result(c) for c, _ in found.covers]
        return [found, *(r for c in covered if c is not None for r in (c, *c.rules))]
    return [found]


def _pillar_clauses(report: Report, pillar: str) -> list[Result]:
    return [r for r in clauses(report) if r.trace is not None and r.trace.pillar == pillar]


# ---- text -----------------------------------------------------------------------------------


def about_lines(compiled: CompiledPolicy) -> Any:
    """The `about` hook of `result_lines`: a clause's (or rule's, or key requirement's) text,
    and the evidence it expects."""

    def about(r: Result) -> Iterator[str]:
        text = _text_of(compiled, r)
        if text:
            yield from _wrapped("text: " + text)
        if r.evidence_expected:
            yield "        evidence expected:"
            for e in r.evidence_expected:
                yield from _wrapped("- " + e, indent=10)

    return about


def result_text(
    report: Report, compiled: CompiledPolicy, r: Result, style: Style = plain
) -> Iterator[str]:
    """One result in depth; a key requirement followed into its clauses not met."""
    about = about_lines(compiled)
    yield from result_lines(report, r, "full", style, WHOLE, about)
    if r.kind is not Kind.KEY_REQUIREMENT:
        return
    unmet = [c for c, s in r.covers if not s.satisfied]
    met = [c for c, s in r.covers if s.satisfied]
    for clause_id in unmet:
        covered = report.result(clause_id)
        if covered is not None:
            yield ""
            yield f"{r.id} covers {clause_id}, which is not met:"
            yield from result_lines(report, covered, "full", style, WHOLE, about)
    if met:
        shown = ", ".join(met)
        yield ""
        yield f"{r.id} also covers {shown}, which {verb(len(met), 'is', 'are')} met."


def pillar_text(
    report: Report, compiled: CompiledPolicy, pillar: str, style: Style = plain
) -> Iterator[str]:
    """A pillar: its level against the target, each clause's status, then in depth each clause
    not met."""
    p = next(x for x in report.pillars if x.pillar == pillar)
    target = report.target_level
    yield f'{p.pillar} "{p.title}"'
    yield (
        f"        level {p.level} ({level_name(report, p.level) or 'none'}), target {target} "
        f"({level_name(report, target)})"
    )
    if p.next_level_blockers:
        yield f"        level {p.level + 1} needs: {', '.join(p.next_level_blockers)}"
    text = compiled.standard.pillars[pillar].text
    if text:
        yield from _wrapped("text: " + text)
    rows = [r for c in _pillar_clauses(report, pillar) for r in (c, *c.rules)]
    for r in rows:
        refines = f" (rule refining {r.trace.refines})" if r.trace and r.trace.refines else ""
        yield f"| {_status(r.status, style)} {r.id:<6} {r.title}{refines}"
    about = about_lines(compiled)
    for r in _pillar_clauses(report, pillar):
        if not r.status.satisfied or any(not s.status.satisfied for s in r.rules):
            yield ""
            yield from result_lines(report, r, "full", style, WHOLE, about)


def system_findings(report: Report, system: str, within: list[Result]) -> list[SystemFinding]:
    """For each result of `within` whose checks quantify over the systems, the system's items."""
    found = []
    for r in within:
        if r.node is None:
            continue
        items = tuple(_system_items(r.node, system))
        if items:
            found.append(SystemFinding(r, items))
    return found


def system_text(
    report: Report,
    compiled: CompiledPolicy,
    system: str,
    within: list[Result],
    everything: bool,
    style: Style = plain,
) -> Iterator[str]:
    """What `system` fails or leaves unknown, clause by clause (with `everything`, also what it
    passes: a single clause asked for by its id)."""
    findings = system_findings(report, system, within)
    shown = [f for f in findings if everything or f.status is not Status.PASS]
    yield _system_header(report, system)
    yield "        " + _system_summary(system, findings)
    about = about_lines(compiled)
    for f in shown:
        yield ""
        header = replace(f.result, node=None, rules=(), missing=EMPTY, evidence=(), covers=())
        yield from result_lines(report, header, "full", style, WHOLE, about)
        for quantifier, item in f.items:
            status = _item_status(quantifier, item)
            where = _quantifier_text(quantifier)
            yield f"| {_status(status, style)} {SYSTEMS}[{system}] in: {where}"
            inner = "|   | "
            if item.where is not None and item.where.truth != "true":
                yield from _node(item.where, report, inner, style)
            if item.body is not None:
                yield from _node(item.body, report, inner, style)
        missing = _missing_on(f.result, system)
        if missing:
            yield from _wrapped("missing facts: " + ", ".join(missing))


def _system_header(report: Report, system: str) -> str:
    index = system_ids(report).index(system)
    item = report.facts.data[SYSTEMS][index]
    name = f' "{item["name"]}"' if isinstance(item.get("name"), str) else ""
    where = report.facts.location(f"$.{SYSTEMS}[{index}]")
    return f"{SYSTEMS}[{system}]{name}" + (f"   {where}" if where else "")


def _system_summary(system: str, findings: list[SystemFinding]) -> str:
    """`of 24 results that check it: 10 fail, 14 pass`."""
    if not findings:
        return f"no check evaluated `{system}` (out of the policy's scope, or none reads it)"
    words = {
        Status.FAIL: ("fails", "fail"),
        Status.UNKNOWN: ("is unknown", "are unknown"),
        Status.ERROR: ("is in error", "are in error"),
        Status.PASS: ("passes", "pass"),
    }
    parts = []
    for status, (one, many) in words.items():
        n = sum(1 for f in findings if f.status is status)
        if n:
            parts.append(f"{n} {verb(n, one, many)}")
    return f"of {count(len(findings), 'result')} that check it: " + ", ".join(parts)


def _node(node: Node, report: Report, prefix: str, style: Style) -> Iterator[str]:
    for line in node_lines(node, report.facts, "full", WHOLE, style):
        yield prefix + line.removeprefix("| ")


# ---- JSON -----------------------------------------------------------------------------------


def result_data(report: Report, compiled: CompiledPolicy, r: Result) -> dict[str, Any]:
    out = result_json(report, r, "full")
    if text := _text_of(compiled, r):
        out["text"] = text
    if r.kind is Kind.KEY_REQUIREMENT:
        out["clauses"] = [
            result_data(report, compiled, c)
            for cid, _ in r.covers
            if (c := report.result(cid)) is not None
        ]
    return out


def pillar_data(report: Report, compiled: CompiledPolicy, pillar: str) -> dict[str, Any]:
    p = next(x for x in report.pillars if x.pillar == pillar)
    return {
        "pillar": {
            "id": p.pillar,
            "title": p.title,
            "level": p.level,
            "target": report.target_level,
            "next_level_blockers": list(p.next_level_blockers),
        },
        "results": [result_data(report, compiled, r) for r in _pillar_clauses(report, pillar)],
    }


def system_data(
    report: Report, system: str, within: list[Result], everything: bool
) -> dict[str, Any]:
    findings = system_findings(report, system, within)
    return {
        "system": system,
        "results": [
            {
                "id": f.result.id,
                "kind": f.result.kind.value,
                "title": f.result.title,
                "status": f.result.status.value,
                "system_status": f.status.value,
                "items": [
                    {
                        "quantifier": _quantifier_text(q),
                        "status": _item_status(q, i).value,
                        **({"where": node_json(i.where, report.facts, "full")} if i.where else {}),
                        **({"check": node_json(i.body, report.facts, "full")} if i.body else {}),
                    }
                    for q, i in f.items
                ],
                "missing_facts": _missing_on(f.result, system),
            }
            for f in findings
            if everything or f.status is not Status.PASS
        ],
    }


# ---- helpers --------------------------------------------------------------------------------


def _text_of(compiled: CompiledPolicy, r: Result) -> str:
    std = compiled.standard
    if r.kind is Kind.CLAUSE and r.id in std.clauses:
        return std.clauses[r.id].text
    if r.kind is Kind.KEY_REQUIREMENT and r.id in std.key_requirements:
        return std.key_requirements[r.id].text
    rule = next((x for x in compiled.policy.rules if x.id == r.id), None)
    return rule.text if rule is not None else ""


def _wrapped(text: str, indent: int = 8) -> list[str]:
    """Prose under a result header: paragraphs kept, lines joined, wrapped to 80 columns."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        out.extend(
            textwrap.wrap(
                " ".join(paragraph.split()),
                80,
                initial_indent=" " * indent if not out else " " * (indent + 2),
                subsequent_indent=" " * (indent + 2),
                break_on_hyphens=False,
            )
        )
    return out


def _status(status: Status, style: Style) -> str:
    return style(f"{STATUS_LABEL[status]:<7}", STATUS_TRUTH[status])


def _missing_on(r: Result, system: str) -> list[str]:
    """The facts `r` read missing on the system (not those outside it)."""
    return [m for m in r.missing.about(system) if m.startswith(f"{SYSTEMS}[{system}]")]


def _system_items(node: Node, system: str) -> Iterator[tuple[Node, Item]]:
    """The items named `system` of every quantifier over the systems in a tree (not inside
    another system's item)."""
    expr = node.expr
    over_systems = isinstance(expr, ast.Quantifier | ast.Count) and expr.source.parts == (SYSTEMS,)
    for item in node.items or ():
        if over_systems and item.name == system:
            yield node, item
        elif not over_systems:
            for part in (item.where, item.body):
                if part is not None:
                    yield from _system_items(part, system)
    for child in node.children:
        yield from _system_items(child, system)


def _item_status(quantifier: Node, item: Item) -> Status:
    """How the system fares in one quantifier: `all` fails on a false item, `none` on a true
    one; `any` and `count` only say unknown or error (one item never decides them)."""
    truth = item.truth
    if isinstance(truth, EvalError):
        return Status.ERROR
    if truth is UNKNOWN:
        return Status.UNKNOWN
    if item.where is not None and item.where.value is False:
        return Status.PASS  # out of the quantifier's range: nothing asked of it
    expr = quantifier.expr
    if isinstance(expr, ast.Quantifier):
        bad = {"all": False, "none": True}.get(expr.kind)
        if bad is not None and truth is bad:
            return Status.FAIL
        if expr.kind == "any" and quantifier.value is False:
            return Status.FAIL  # no system satisfies it, this one included
    return Status.PASS


def _quantifier_text(node: Node) -> str:
    """The head of a quantifier, without its body: `all s in systems where s.customer_facing`."""
    expr = node.expr
    assert isinstance(expr, ast.Quantifier | ast.Count)
    kind = expr.kind if isinstance(expr, ast.Quantifier) else "count"
    head = f"{kind} {expr.var} in {'.'.join(expr.source.parts)}"
    return head + (f" where {source_text(expr.where)}" if expr.where is not None else "")


__all__ = [
    "LABEL",
    "SystemFinding",
    "about_lines",
    "pillar_data",
    "pillar_ids",
    "pillar_text",
    "result_data",
    "result_text",
    "results_of",
    "system_data",
    "system_findings",
    "system_ids",
    "system_text",
]
