"""One case of a test file → a `Case`: its facts (the base facts with its `set:` and `unset:`,
see `overrides.py`), its `as_of`, and what it expects, as `Expectation`s: a status per clause,
rule or key requirement, the verdict, maturity levels, explanation fragments. Ids and pillars
are checked against the policy ("did you mean" included), each mistake located.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.facts import FactsDocument
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.testing.overrides import Base, Change, case_facts
from aicxs.engine.yamldoc import YamlDoc, YamlPath


@dataclass(frozen=True)
class Expectation:
    """One thing a case expects, with where it is written."""

    kind: str  # status | verdict | maturity | explanation
    target: str  # a requirement id, `verdict`, a pillar id or `overall`
    expected: str  # a status or verdict word, a level, or a text fragment
    span: Span

    def describe(self) -> str:
        match self.kind:
            case "status":
                return f"{self.target} is {self.expected}"
            case "verdict":
                return f"verdict is {self.expected}"
            case "maturity":
                return f"maturity of {self.target} is {self.expected}"
        return f"explanation of {self.target} contains {json.dumps(self.expected)}"


@dataclass
class Case:
    name: str
    span: Span  # the case's `name:`
    as_of: dt.date
    facts: FactsDocument
    changes: list[Change]
    expectations: list[Expectation]

    @property
    def needs_explanations(self) -> bool:
        return any(e.kind == "explanation" for e in self.expectations)


def _case(
    doc: YamlDoc,
    i: int,
    raw: dict[str, Any],
    compiled: CompiledPolicy,
    start: Base,
    as_of: dt.date,
) -> Case:
    at: YamlPath = ("cases", i)
    problems: list[Diagnostic] = []
    expectations = list(_expectations(doc, at, raw["expect"], compiled, problems))
    facts, changes = case_facts(doc, at, raw, compiled, start, problems)
    if problems:
        raise DiagnosticError(problems)
    when = dt.date.fromisoformat(raw["as_of"]) if "as_of" in raw else as_of
    return Case(raw["name"], doc.value_span((*at, "name")), when, facts, changes, expectations)


# ---- expectations ---------------------------------------------------------------------------


def _expectations(
    doc: YamlDoc,
    at: YamlPath,
    expect: dict[str, Any],
    compiled: CompiledPolicy,
    problems: list[Diagnostic],
) -> Iterator[Expectation]:
    ids = _requirement_ids(compiled)
    for key, value in expect.items():
        where: YamlPath = (*at, "expect", key)
        if key == "verdict":
            yield Expectation("verdict", "verdict", str(value), doc.value_span(where))
        elif key == "maturity":
            yield from _maturity(doc, where, value, compiled, problems)
        elif key == "explanation_contains":
            for target, fragments in value.items():
                spot: YamlPath = (*where, target)
                if target != "verdict" and _unknown_id(doc, spot, target, ids, problems):
                    continue
                for n, fragment in enumerate(
                    [fragments] if isinstance(fragments, str) else fragments
                ):
                    span = doc.value_span(spot if isinstance(fragments, str) else (*spot, n))
                    yield Expectation("explanation", target, fragment, span)
        elif not _unknown_id(doc, where, key, ids, problems):
            yield Expectation("status", key, str(value), doc.value_span(where))


def _requirement_ids(compiled: CompiledPolicy) -> list[str]:
    std = compiled.standard
    ids = [c for p in std.pillars.values() for c in p.clauses]
    return ids + list(std.key_requirements) + [r.id for r in compiled.policy.rules]


def _unknown_id(
    doc: YamlDoc, where: YamlPath, ident: str, ids: list[str], problems: list[Diagnostic]
) -> bool:
    if ident in ids:
        return False
    hint = did_you_mean(ident, ids)
    problems.append(
        Diagnostic(
            "aicxs_test_unknown_id",
            f"`{ident}` is not a clause, organisation rule or key requirement of the policy",
            doc.key_span(where),
            hint or f"ids look like `{ids[0]}` or `KR1`; see `aicxs graph` for them all",
        )
    )
    return True


def _maturity(
    doc: YamlDoc,
    where: YamlPath,
    levels: dict[str, int],
    compiled: CompiledPolicy,
    problems: list[Diagnostic],
) -> Iterator[Expectation]:
    pillars = list(compiled.standard.pillars)
    top = max(compiled.standard.levels, default=0)
    std_name = compiled.standard.name
    for pillar, level in levels.items():
        spot: YamlPath = (*where, pillar)
        if pillar != "overall" and pillar not in pillars:
            hint = did_you_mean(pillar, pillars)
            problems.append(
                Diagnostic(
                    "aicxs_test_unknown_id",
                    f"`{pillar}` is not a pillar of {std_name}",
                    doc.key_span(spot),
                    (hint + " " if hint else "") + f"pillars: {', '.join(pillars)}, or `overall`",
                )
            )
        elif level > top:
            problems.append(
                Diagnostic(
                    "aicxs_test_bad_value",
                    f"level {level} does not exist: {std_name} has levels 1 to {top}",
                    doc.value_span(spot),
                    f"expect a level from 0 (none reached) to {top}",
                )
            )
        else:
            yield Expectation("maturity", pillar, str(level), doc.value_span(spot))
