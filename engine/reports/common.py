"""What the auditor and CI formats share: a `Report` (with its `CompiledPolicy`) → plain facts.

Every format says the same things in its own dialect: which results to list and in what order,
a one-line headline per result, where in the facts file a result's first cited fact is, the
policy's tailoring (exclusions, waivers, parameter settings), the crosswalk coverage per
framework, and identifiers that are stable across runs (uuid5 of names, times from `as_of`).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span
from aicxs.engine import provenance
from aicxs.engine.explain import quantifier_summary
from aicxs.engine.facts import FactsDocument
from aicxs.engine.missing import MissingFacts
from aicxs.engine.model import strength
from aicxs.engine.outcome import Report, Result, Status
from aicxs.engine.render import result_lines
from aicxs.engine.values import UNKNOWN, Node, Read, render_value, source_text

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy

# Every identifier the formats mint is a uuid5 in this namespace, of a path of stable names.
# The namespace is fixed (it was uuid5 of the URL namespace and a placeholder address): ids
# minted by earlier versions stay the same.
ID_NAMESPACE = uuid.UUID("5e4e18f8-d5f9-5db4-8448-83dc4945867d")
PHRASE = {
    Status.PASS: "passes",
    Status.FAIL: "fails",
    Status.UNKNOWN: "is unknown",
    Status.ERROR: "is in error",
    Status.NOT_APPLICABLE: "is not applicable",
    Status.WAIVED: "is waived",
    Status.BLOCKED: "is blocked",
}
# A waived result is reported with the truth of the check the waiver covers.
STATUS_OF_TRUTH = {
    "true": Status.PASS,
    "false": Status.FAIL,
    "unknown": Status.UNKNOWN,
    "error": Status.ERROR,
}
MAX_NAMES = 5
MAX_VALUES = 2


def tool_version() -> str:
    return provenance.tool_version()


def stable_uuid(*names: str) -> str:
    """The same names give the same uuid on every run and machine (RFC 4122 version 5)."""
    return str(uuid.uuid5(ID_NAMESPACE, "\x1f".join(names)))


def timestamp(day: dt.date) -> str:
    """Midnight UTC of the evaluation date: the only time any report states."""
    return f"{day.isoformat()}T00:00:00Z"


def prose(text: str) -> str:
    """Multi-line source text as paragraphs: lines joined, blank lines kept as breaks."""
    paragraphs = re.split(r"\n\s*\n", textwrap.dedent(text).strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


# ---- which results, in which order ----------------------------------------------------------


def each_result(report: Report) -> Iterator[Result]:
    """Clauses in the standard's order, each followed by the organisation rules that refine
    it, then the key requirements."""
    for r in report.results:
        yield r
        yield from r.rules


def checked_status(result: Result) -> Status:
    """The status the check itself gave: for a waived result, what the waiver covers."""
    if result.status is not Status.WAIVED:
        return result.status
    if result.node is None:
        return Status.PASS if not result.missing else Status.UNKNOWN
    return STATUS_OF_TRUTH.get(result.node.truth, Status.ERROR)


def is_problem(result: Result) -> bool:
    """Worth a CI finding: not met, or waived although its check does not pass."""
    if result.status is Status.WAIVED:
        return checked_status(result) is not Status.PASS
    return result.status in (Status.FAIL, Status.UNKNOWN, Status.ERROR, Status.BLOCKED)


def headline(result: Result) -> str:
    """One line: the result, its status, and what decided it."""
    return f'{result.id} "{result.title}" {outcome(result)}'


def outcome(result: Result) -> str:
    """`fails: 1 of 3 systems fail: voice-ivr`: the status and what decided it."""
    detail = _detail(result)
    return f"{PHRASE[result.status]}: {detail}" if detail else PHRASE[result.status]


def _detail(result: Result) -> str:
    status = checked_status(result)
    if result.status is Status.BLOCKED or (result.reason and status is not Status.FAIL):
        return result.reason
    if status is Status.UNKNOWN and result.missing:
        return "missing facts: " + missing_names(result.missing)
    if result.kind == "key_requirement":
        return result.reason
    if status is Status.FAIL and result.node is not None:
        return _cause(result.node)
    if status is Status.FAIL:
        failed = [sub.id for sub in result.rules if sub.status is not Status.PASS]
        return "organisation rule " + names(failed) + " not met" if failed else ""
    return result.reason


def _cause(node: Node) -> str:
    """The first quantifier summary on the failing path, or its deepest false condition
    with the facts it read."""
    last = node
    for n in _failing_path(node):
        if n.items is not None and n.children:
            return quantifier_summary(n)
        last = n
    observed = [f"{r.path}: {render_value(r.value)}" for r in _own_reads(last)][:MAX_VALUES]
    shown = f" ({'; '.join(observed)})" if observed else ""
    return f"{source_text(last.expr)} is false{shown}"


def _failing_path(node: Node) -> Iterator[Node]:
    """The node, then down through the first false operand of each and/or/not/implies."""
    yield node
    if isinstance(node.expr, ast.And | ast.Or | ast.Not | ast.Implies):
        for child in node.children:
            if child.truth in ("false", "error"):
                yield from _failing_path(child)
                return


def _own_reads(node: Node) -> list[Read]:
    """The facts a condition read, without those of nested quantifiers."""
    found = list(node.reads)
    for child in node.children:
        if not isinstance(child.expr, ast.Quantifier | ast.Count):
            found.extend(r for r in _own_reads(child) if r not in found)
    return found


def names(items: Sequence[str], limit: int = MAX_NAMES) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def missing_names(missing: MissingFacts, limit: int = MAX_NAMES) -> str:
    """The first missing fact paths, as `names` gives them, without listing every one."""
    first = missing.bounded_paths(limit)[:limit]
    more = len(missing) - len(first)
    return ", ".join(first) + (f" and {more} more" if more > 0 else "")


def explanation_text(report: Report, result: Result, mode: str) -> str:
    """The same explanation the terminal report prints for this result."""
    return "\n".join(result_lines(report, result, mode if mode != "none" else "fails"))


# ---- where: the facts file and the source ---------------------------------------------------


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int
    fact: str = ""  # the fact path shown, for a location in the facts file
    missing: bool = False  # the fact is absent: this is its nearest present parent


def source_location(result: Result) -> Location:
    return Location(result.span.path, result.span.line, result.span.col)


def fact_location(facts: FactsDocument, result: Result) -> Location | None:
    """The facts-file position of the first fact on the failing path of the explanation
    (a missing fact: its nearest present parent, e.g. the system that lacks it); None when
    nothing failed in the check itself (a blocked clause, a key requirement)."""
    if result.node is None:
        return None
    for read in _reads(result.node):
        pos = _position(facts, read.json_path)
        if pos is not None:
            return Location(facts.path, pos[0], pos[1], read.path, read.value is UNKNOWN)
    return None


def _reads(node: Node) -> Iterator[Read]:
    """Facts read on the failing path, in explanation order; a quantifier's failing items
    before the list itself."""
    if node.truth == "true":
        return
    for item in node.items or ():
        if item.truth is not True:
            for part in (item.body, item.where):
                if part is not None:
                    yield from _reads(part)
    yield from node.reads
    for child in node.children:
        yield from _reads(child)


_LAST_STEP = re.compile(r"(\.[^.\[\]]+|\[[^\]]*\])$")


def _position(facts: FactsDocument, json_path: str) -> tuple[int, int] | None:
    path = json_path
    while path and path != "$":
        pos = facts.position(path)
        if pos is not None:
            return pos
        shorter = _LAST_STEP.sub("", path)
        if shorter == path:
            return None
        path = shorter
    return None


def deciding_items(node: Node | None) -> list[str]:
    """The items (e.g. system ids) named on the failing path of an explanation."""
    found: list[str] = []
    if node is None or node.truth == "true":
        return found
    for item in node.items or ():
        if item.truth is not True and item.name not in found:
            found.append(item.name)
    for child in node.children:
        found.extend(i for i in deciding_items(child) if i not in found)
    return found


# ---- the policy's tailoring -----------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    clause: str
    title: str
    justification: str
    where: Location


@dataclass(frozen=True)
class Waiver:
    clause: str
    title: str
    justification: str
    approver: str
    expires: dt.date
    valid: bool  # unexpired on the evaluation date
    where: Location


@dataclass(frozen=True)
class Setting:
    name: str
    text: str
    default: str
    value: str
    stricter: str | None
    where: Location


@dataclass
class Tailoring:
    exclusions: list[Exclusion] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)


def tailoring(compiled: CompiledPolicy, as_of: dt.date) -> Tailoring:
    std, policy = compiled.standard, compiled.policy
    out = Tailoring()

    def title(clause: str) -> str:
        return std.clauses[clause].title if clause in std.clauses else ""

    def at(span: Span) -> Location:
        return Location(span.path, span.line, span.col)

    for ex in policy.exclusions.values():
        out.exclusions.append(Exclusion(ex.clause, title(ex.clause), ex.justification, at(ex.span)))
    for w in policy.waivers.values():
        out.waivers.append(
            Waiver(
                w.clause,
                title(w.clause),
                w.justification,
                w.approver,
                w.expires,
                w.expires >= as_of,
                at(w.span),
            )
        )
    for s in policy.settings.values():
        param = std.parameters[s.name]
        default = source_text(param.default) if param.default is not None else ""
        out.settings.append(
            Setting(s.name, param.text, default, source_text(s.expr), param.stricter, at(s.span))
        )
    return out


# ---- the crosswalk --------------------------------------------------------------------------

COVERAGE_ORDER = ("not met", "undetermined", "met", "not applicable")


@dataclass(frozen=True)
class Citation:
    """A clause citing a reference, with its status and how it relates to the reference."""

    clause: str
    status: Status
    relationship: str | None
    applicability: str | None

    @property
    def strength(self) -> str:
        return strength(self.relationship, self.applicability)


@dataclass
class Reference:
    ref: str
    title: str
    clauses: list[Citation]

    @property
    def coverage(self) -> str:
        """`met` when every citing clause is met (and one is in scope), `not met` when one
        definitely is not, `undetermined` when one is unknown, `not applicable` when every
        citing clause is excluded."""
        statuses = [c.status for c in self.clauses]
        if all(s is Status.NOT_APPLICABLE for s in statuses):
            return "not applicable"
        if any(s in (Status.FAIL, Status.ERROR, Status.BLOCKED) for s in statuses):
            return "not met"
        if any(not s.satisfied for s in statuses):
            return "undetermined"
        return "met"


@dataclass
class Framework:
    id: str
    title: str
    references: list[Reference]

    def count(self, coverage: str) -> int:
        return sum(r.coverage == coverage for r in self.references)


def crosswalk(report: Report, compiled: CompiledPolicy) -> list[Framework]:
    """Per framework of the standard, each cited reference with the clauses citing it."""
    std = compiled.standard
    status = {r.id: r.status for r in report.results if r.kind == "clause"}
    out = []
    for fw in std.frameworks.values():
        cited: dict[str, list[Citation]] = {}
        for clause in std.clauses.values():
            for x in clause.crosswalk:
                if x.framework == fw.id and clause.id in status:
                    how = Citation(clause.id, status[clause.id], x.relationship, x.applicability)
                    cited.setdefault(x.ref, []).append(how)
        refs = [Reference(ref, fw.refs.get(ref, ""), cited[ref]) for ref in fw.refs if ref in cited]
        refs += [Reference(ref, "", cl) for ref, cl in cited.items() if ref not in fw.refs]
        out.append(Framework(fw.id, fw.title, refs))
    return out
