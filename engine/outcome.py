"""What evaluation returns: immutable data, never printed here.

A `Report` holds one `Result` per clause, organisation rule and key requirement, each with its
`Status`, explanation `Node`, missing facts and `Trace` to the standard; the maturity per pillar
and overall; and the certification `Verdict` with its reasons. Reports are frozen and picklable
(they cross process pools), and know their JSON form (`to_dict`, see report-schema.json).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from aicxs.aicxs_dsl.ast import version_text
from aicxs.aicxs_dsl.escape import json_dumps, json_escaped
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.explain import node_json
from aicxs.engine.facts import FactsDocument
from aicxs.engine.missing import EMPTY, SHOWN_ITEMS, MissingFacts
from aicxs.engine.model import strength
from aicxs.engine.provenance import Provenance
from aicxs.engine.values import Node

Explain = Literal["fails", "full", "none"]
EXPLAIN_MODES: tuple[Explain, ...] = ("fails", "full", "none")
REPORT_SCHEMA_VERSION = 1
# A stable name, not a web address: the schema ships with the package and the decision service
# serves it at `/schemas/report-1.json` (docs/service.md, "The contract").
REPORT_SCHEMA_ID = "urn:aicxs:schemas:report-1"


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"
    BLOCKED = "blocked"

    @property
    def satisfied(self) -> bool:
        """Counts as met for maturity and prerequisites."""
        return self in (Status.PASS, Status.WAIVED, Status.NOT_APPLICABLE)


class Verdict(StrEnum):
    CERTIFIED = "certified"
    NOT_CERTIFIED = "not_certified"
    UNDETERMINED = "undetermined"


class Kind(StrEnum):
    """What a result answers to."""

    CLAUSE = "clause"
    RULE = "rule"  # an organisation rule refining a clause
    KEY_REQUIREMENT = "key_requirement"


STATUS_OF_TRUTH = {
    "true": Status.PASS,
    "false": Status.FAIL,
    "unknown": Status.UNKNOWN,
    "error": Status.ERROR,
}
_SUMMARY_ORDER = tuple(Status)


@dataclass(frozen=True)
class Crosswalk:
    """A crosswalk reference as a report carries it: `relationship` (NIST IR 8477: how the
    clause relates to the reference) and `applicability` (whom it binds) are None when the
    standard does not state them."""

    framework: str
    ref: str
    title: str
    relationship: str | None = None
    applicability: str | None = None

    def phrase(self) -> str:
        """`GDPR Art. 22(3) (related to, applies to solely automated decisions)`."""
        detail = strength(self.relationship, self.applicability)
        return f"{self.framework} {self.ref}" + (f" ({detail})" if detail else "")


@dataclass(frozen=True)
class Trace:
    clause: str  # the clause the result answers to (for a rule: the clause it refines)
    pillar: str
    pillar_title: str
    key_requirements: tuple[str, ...]
    crosswalk: tuple[Crosswalk, ...]
    refines: str | None = None


@dataclass(frozen=True)
class Result:
    id: str
    kind: Kind
    title: str
    status: Status
    span: Span
    trace: Trace | None = None
    level: int | None = None
    owner: str | None = None
    evidence_expected: tuple[str, ...] = ()
    node: Node | None = None  # the check's explanation (None when evaluated with explain="none")
    rules: tuple[Result, ...] = ()  # organisation rules refining a clause
    blocked_by: tuple[str, ...] = ()
    covers: tuple[tuple[str, Status], ...] = ()  # key requirements: their clauses
    missing: MissingFacts = EMPTY  # iterates as the sorted fact paths
    reason: str = ""  # why not_applicable / waived / blocked / error
    evidence: tuple[Mapping[str, Any], ...] = ()  # cited from the facts file
    mandatory: bool = False
    checked: Status | None = None  # what its checks alone gave, before waivers and prerequisites


@dataclass(frozen=True)
class PillarMaturity:
    pillar: str
    title: str
    level: int
    next_level_blockers: tuple[str, ...]  # clauses that keep it from the next level
    shortfall: str = "none"  # against the target: none | undecided (only unknowns) | fails


@dataclass(frozen=True)
class Report:
    standard: Mapping[str, Any]  # id, version, title, levels {number: name}
    policy: Mapping[str, Any]  # id, title, source
    facts: FactsDocument
    as_of: dt.date
    results: tuple[Result, ...]
    pillars: tuple[PillarMaturity, ...]
    overall_level: int
    target_level: int
    verdict: Verdict
    reasons: tuple[str, ...]
    findings: tuple[str, ...]  # e.g. an expired waiver
    missing_facts: MissingFacts  # of every result, and of the scope; iterates as fact paths
    systems: Mapping[str, int]  # total, in_scope, scope_unknown
    explain: Explain = "fails"  # how much explanation evaluation recorded
    out_of_scope: tuple[str, ...] = ()  # systems the policy's scope leaves out, by id
    provenance: Provenance | None = None  # what it was evaluated from (`check --provenance`)

    def result(self, ident: str) -> Result | None:
        """The result of a clause, organisation rule or key requirement, by id."""
        for r in self.results:
            if r.id == ident:
                return r
            for sub in r.rules:
                if sub.id == ident:
                    return sub
        return None

    def to_dict(self, explain: Explain | None = None) -> dict[str, Any]:
        """The report as JSON data, valid against report-schema.json. `explain` may ask for
        less than evaluation recorded (`none` < `fails` < `full`), never more."""
        return report_json(self, self._mode(explain))

    def to_json(self, explain: Explain | None = None) -> str:
        """The same text as `aicxs check --format json`."""
        return "".join(self.json_chunks(explain))

    def json_chunks(self, explain: Explain | None = None) -> Iterator[str]:
        """`to_json()` in pieces, a result at a time, to write without holding it whole."""
        return report_chunks(self, self._mode(explain))

    def _mode(self, explain: Explain | None) -> Explain:
        if explain is None:
            return self.explain
        if explain not in EXPLAIN_MODES:
            raise ValueError(f"explain must be one of {', '.join(EXPLAIN_MODES)}, not {explain!r}")
        if EXPLAIN_MODES_RANK[explain] > EXPLAIN_MODES_RANK[self.explain]:
            raise ValueError(
                f"this report was evaluated with explain={self.explain!r}; evaluate with "
                f"explain={explain!r} to render its explanations"
            )
        return explain


EXPLAIN_MODES_RANK: dict[str, int] = {"none": 0, "fails": 1, "full": 2}


# ---- JSON -----------------------------------------------------------------------------------


def clauses(report: Report) -> list[Result]:
    return [r for r in report.results if r.kind is Kind.CLAUSE]


def key_requirements(report: Report) -> list[Result]:
    return [r for r in report.results if r.kind is Kind.KEY_REQUIREMENT]


def level_name(report: Report, level: int) -> str:
    return str(report.standard.get("levels", {}).get(level, ""))


def report_json(report: Report, mode: str = "fails") -> dict[str, Any]:
    """The report as JSON data, valid against engine/report-schema.json."""
    data = report_head(report, mode)
    data["results"] = [result_json(report, r, mode) for r in report.results]
    return data


def standard_name(standard: Mapping[str, Any]) -> str:
    """`AICXS 2024`, or `AICXS 2024.1` for an amended standard, from a report's `standard`."""
    return f"{standard['id']} {version_text(standard['version'], standard.get('amendment', 0))}"


def report_head(report: Report, mode: str, results: Any = ()) -> dict[str, Any]:
    """`report_json` with `results` standing in for the results (which a stream writes one by
    one, see `report_chunks`)."""
    counts = Counter(r.status for r in clauses(report))
    provenance = {"provenance": report.provenance.to_dict()} if report.provenance else {}
    return {
        "$schema": REPORT_SCHEMA_ID,
        "schema_version": REPORT_SCHEMA_VERSION,
        "standard": {
            k: report.standard[k]
            for k in ("id", "version", "amendment", "title")
            if k in report.standard  # `amendment` only when the standard is amended
        },
        "policy": dict(report.policy),
        "facts": {
            "source": report.facts.path,
            **report.systems,
            "out_of_scope": list(report.out_of_scope),
        },
        "as_of": report.as_of.isoformat(),
        **provenance,
        "verdict": report.verdict.value,
        "reasons": list(report.reasons),
        "findings": list(report.findings),
        "maturity": {
            "overall": report.overall_level,
            "overall_name": level_name(report, report.overall_level),
            "target": report.target_level,
            "pillars": [
                {
                    "id": p.pillar,
                    "title": p.title,
                    "level": p.level,
                    "next_level_blockers": list(p.next_level_blockers),
                    "shortfall": p.shortfall,
                }
                for p in report.pillars
            ],
        },
        "summary": {s.value: counts.get(s, 0) for s in _SUMMARY_ORDER},
        "results": results,
        "missing_facts": missing_paths(report.missing_facts, mode),
        "missing_by_fact": missing_json(report.missing_facts, mode),
    }


def result_json(report: Report, r: Result, mode: str, only: str | None = None) -> dict[str, Any]:
    """One result as JSON data. `only`: of the items its checks quantify over, keep the one
    with this name (and its missing facts, with those outside lists)."""
    out: dict[str, Any] = {
        "id": r.id,
        "kind": r.kind.value,
        "title": r.title,
        "status": r.status.value,
        "source": {"file": r.span.path, "line": r.span.line, "column": r.span.col},
    }
    if r.kind is Kind.KEY_REQUIREMENT:
        out["mandatory"] = r.mandatory
        out["covers"] = [{"id": c, "status": s.value} for c, s in r.covers]
    else:
        out["level"] = r.level
        out["owner"] = r.owner
        out["evidence_expected"] = list(r.evidence_expected)
    if r.trace is not None:
        t = r.trace
        out["trace"] = {
            "clause": t.clause,
            "pillar": t.pillar,
            "pillar_title": t.pillar_title,
            "key_requirements": list(t.key_requirements),
            "crosswalk": [
                {
                    "framework": x.framework,
                    "ref": x.ref,
                    "title": x.title,
                    "relationship": x.relationship,
                    "applicability": x.applicability,
                }
                for x in t.crosswalk
            ],
            "refines": t.refines,
        }
    out["reason"] = r.reason
    out["blocked_by"] = list(r.blocked_by)
    missing = r.missing if only is None else r.missing.about(only)
    out["missing_facts"] = missing_paths(missing, mode)
    out["missing_by_fact"] = missing_json(missing, mode)
    out["evidence"] = [dict(e) for e in r.evidence]
    out["explanation"] = _explanation(report, r.node, mode, only)
    if r.kind is Kind.CLAUSE:
        out["rules"] = [result_json(report, sub, mode, only) for sub in r.rules]
    return out


def _explanation(
    report: Report, node: Node | None, mode: str, only: str | None = None
) -> dict[str, Any] | None:
    if node is None or mode == "none":
        return None
    return node_json(node, report.facts, "full" if mode == "full" else "fails", only)


def missing_paths(missing: MissingFacts, mode: str) -> list[str]:
    """Every missing fact path in `full` mode; else those of the first items of each fact."""
    return list(missing) if mode == "full" else missing.bounded_paths(SHOWN_ITEMS)


def missing_json(missing: MissingFacts, mode: str) -> list[dict[str, Any]]:
    """Missing facts grouped by the vocabulary's fact, each with its question, how many items
    miss it and which (all of them in `full` mode, else the first few)."""
    limit = None if mode == "full" else SHOWN_ITEMS
    return [
        {"fact": g.fact, "question": g.question, "count": g.count, "items": g.names(limit)}
        for g in missing.groups
    ]


_RESULTS = "\u0000results\u0000"  # stands in for the results in the head's text


def report_chunks(report: Report, mode: str) -> Iterator[str]:
    """The text of `json_dumps(report_json(report, mode))` and a newline, byte for byte, in
    pieces: the head, then each result encoded on its own (JSON text has no newline inside a
    string, so indenting it by lines is exact), then the tail. Only one result's JSON data
    exists at a time."""
    head = json_dumps(report_head(report, mode, _RESULTS))
    marker = json.dumps(_RESULTS)
    before, after = head.split(marker)
    if not report.results:
        yield before + "[]" + after + "\n"
        return
    yield before + "[\n"
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False)
    for i, r in enumerate(report.results):
        yield "    " if i == 0 else ",\n    "
        # A result listing thousands of items is passed on in parts, never as one text.
        pieces = encoder.iterencode(result_json(report, r, mode))
        while part := "".join(itertools.islice(pieces, _PIECES)):
            yield json_escaped(part).replace("\n", "\n    ")
    yield "\n  ]" + after + "\n"


_PIECES = 8192  # the encoder's pieces joined into one part (tens of kilobytes)
