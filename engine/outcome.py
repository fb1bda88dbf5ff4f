"""What evaluation returns: plain data, never printed here.

A `Report` holds one `Result` per clause, organisation rule and key requirement, each with its
`Status`, explanation `Node`, missing facts and `Trace` to the standard; the maturity per pillar
and overall; and the certification verdict with its reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aicxs.aicxs_dsl.source import Span
from aicxs.engine.facts import FactsDocument
from aicxs.engine.values import Node


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


STATUS_OF_TRUTH = {
    "true": Status.PASS,
    "false": Status.FAIL,
    "unknown": Status.UNKNOWN,
    "error": Status.ERROR,
}


@dataclass
class Trace:
    clause: str  # the clause the result answers to (for a rule: the clause it refines)
    pillar: str
    pillar_title: str
    key_requirements: list[str]
    crosswalk: list[dict[str, str]]  # {"framework", "ref", "title"}
    refines: str | None = None


@dataclass
class Result:
    id: str
    kind: str  # clause | rule | key_requirement
    title: str
    status: Status
    span: Span
    trace: Trace | None = None
    level: int | None = None
    owner: str | None = None
    evidence_expected: list[str] = field(default_factory=list)
    node: Node | None = None  # the check's explanation
    rules: list[Result] = field(default_factory=list)  # organisation rules refining a clause
    blocked_by: list[str] = field(default_factory=list)
    covers: list[tuple[str, Status]] = field(default_factory=list)  # key requirements
    missing: list[str] = field(default_factory=list)
    reason: str = ""  # why not_applicable / waived / blocked / error
    evidence: list[dict[str, Any]] = field(default_factory=list)  # cited from the facts file
    mandatory: bool = False
    checked: Status | None = None  # what its checks alone gave, before waivers and prerequisites


@dataclass
class PillarMaturity:
    pillar: str
    title: str
    level: int
    next_level_blockers: list[str]  # clauses that keep it from the next level


@dataclass
class Report:
    standard: dict[str, Any]
    policy: dict[str, Any]
    facts: FactsDocument
    as_of: dt.date
    results: list[Result]
    pillars: list[PillarMaturity]
    overall_level: int
    target_level: int
    verdict: str  # certified | not_certified | undetermined
    reasons: list[str]
    findings: list[str]  # e.g. an expired waiver
    missing_facts: list[str]
    systems: dict[str, int]  # {"total": n, "in_scope": m}

    def result(self, ident: str) -> Result | None:
        for r in self.results:
            if r.id == ident:
                return r
            for sub in r.rules:
                if sub.id == ident:
                    return sub
        return None
