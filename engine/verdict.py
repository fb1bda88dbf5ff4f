"""The certification verdict, three-valued over the facts that are missing.

Certification needs every mandatory key requirement to pass and every in-scope clause expected
at or below the target level to be met. Each is true, false or unknown (Kleene logic: a clause
blocked by a prerequisite is as true as that prerequisite); their conjunction is the verdict:
true → `certified` (every way of answering the missing facts would certify), false →
`not_certified` (none would), unknown → `undetermined`. Kleene logic is sound both ways; where
the same missing fact decides two conditions in opposite directions it may say `undetermined`
of an estate that no answer could certify. Reasons list the definite failures first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aicxs.engine.outcome import PillarMaturity, Result, Status, Verdict
from aicxs.engine.plan import Plan
from aicxs.engine.values import UNKNOWN, EvalError, kleene_and

# What `aicxs docs` states as the certification rule: the seed's "Certify" stage names no rule,
# so this is the engine's reading, and the one `verdict` below applies.
CERTIFICATION_RULE = (
    'the source text\'s certification stage says only "Achieve formal certification". An '
    "organisation is certified to its policy's target level when every mandatory key "
    "requirement passes (none may be waived or excluded) and every clause of every pillar "
    "expected at or below the target level is met (passes, is waived, does not apply, or is "
    "excluded with a reason) for the systems in scope. A missing fact decides nothing: when the "
    "answer depends on facts not given, the verdict is undetermined, never certified; an empty "
    "estate certifies nothing."
)

_TRUTH = {
    Status.PASS: True,
    Status.FAIL: False,
    Status.UNKNOWN: UNKNOWN,
    Status.NOT_APPLICABLE: True,
    Status.WAIVED: True,
}
_PHRASE = {
    Status.FAIL: "fails",
    Status.UNKNOWN: "is unknown",
    Status.ERROR: "is in error",
    Status.BLOCKED: "is blocked",
    Status.PASS: "passes",
}


def clause_truth(done: dict[str, Result], clause_id: str) -> Any:
    """A blocked clause is as true as its checks and its prerequisites together."""
    r = done[clause_id]
    if r.status is Status.BLOCKED:
        own = _TRUTH.get(r.checked, EvalError(r.reason)) if r.checked else UNKNOWN
        return kleene_and(own, all_of(clause_truth(done, b) for b in r.blocked_by))
    if r.status is Status.ERROR:
        return EvalError(r.reason)
    return _TRUTH[r.status]


def all_of(values: Any) -> Any:
    total: Any = True
    for v in values:
        total = kleene_and(total, v)
    return total


def definite_failure(value: Any) -> bool:
    """False, or an error: no answer to a missing fact changes it."""
    return value is False or isinstance(value, EvalError)


def shortfall(plan: Plan, done: dict[str, Result], pillar: str, target: int) -> str:
    """What keeps a pillar from the target: `none`, `undecided` (only unknowns) or `fails`."""
    truth = all_of(clause_truth(done, c) for c in _needed(plan, pillar, target))
    if truth is True:
        return "none"
    return "fails" if definite_failure(truth) else "undecided"


def decide(
    plan: Plan,
    krs: Sequence[Result],
    pillars: Sequence[PillarMaturity],
    done: dict[str, Result],
    nothing_in_scope: bool,
    findings: Sequence[str],
) -> tuple[Verdict, list[str]]:
    """The verdict and its reasons (definite failures first, then what is undecided, then the
    findings). With nothing in scope (a finding says so) nothing evaluated certifies."""
    target = plan.policy.target
    mandatory = [kr for kr in krs if kr.mandatory]
    truths = [_TRUTH.get(kr.status, EvalError(kr.reason)) for kr in mandatory]
    for p in pillars:
        truths.extend(clause_truth(done, c) for c in _needed(plan, p.pillar, target))
    total = all_of(truths)
    definite: list[str] = []
    undecided: list[str] = []
    for kr, truth in zip(mandatory, truths, strict=False):
        if truth is not True:
            line = f"mandatory key requirement {kr.id} {_PHRASE[kr.status]}: {kr.title}"
            (definite if definite_failure(truth) else undecided).append(line)
    for p in pillars:
        definite.extend(_pillar_reason(plan, done, p, target, fails=True))
        undecided.extend(_pillar_reason(plan, done, p, target, fails=False))
    if total is True and not nothing_in_scope:
        name = plan.standard.levels[target].name
        return Verdict.CERTIFIED, [
            f"every mandatory key requirement passes and level {target} ({name}) is reached",
            *findings,
        ]
    reasons = [*definite, *undecided, *findings]
    if definite_failure(total):
        return Verdict.NOT_CERTIFIED, reasons
    return Verdict.UNDETERMINED, reasons


def _needed(plan: Plan, pillar: str, target: int) -> list[str]:
    std = plan.standard
    return [c for c in std.pillars[pillar].clauses if std.clauses[c].level <= target]


def _pillar_reason(
    plan: Plan, done: dict[str, Result], p: PillarMaturity, target: int, fails: bool
) -> list[str]:
    """`pillar P4 is at level 1 and cannot reach the target 2: P4.2 fails` (definite), or
    `pillar P2 is at level 1; the target 2 is undecided: P2.3 is unknown`."""
    unmet = [c for c in _needed(plan, p.pillar, target) if clause_truth(done, c) is not True]
    bad = [c for c in unmet if definite_failure(clause_truth(done, c))]
    if fails and bad:
        said = ", ".join(f"{c} {_PHRASE[done[c].status]}" for c in bad)
        head = f"pillar {p.pillar} is at level {p.level} and cannot reach the target {target}"
        return [f"{head}: {said}"]
    if not fails and unmet and not bad:
        said = ", ".join(f"{c} {_PHRASE[done[c].status]}" for c in unmet)
        head = f"pillar {p.pillar} is at level {p.level}; the target {target} is undecided"
        return [f"{head}: {said}"]
    return []
