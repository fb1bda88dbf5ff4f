"""A plan policy evaluated over one facts document: statuses, maturity, verdict.

Clauses are evaluated in dependency order (prerequisites first, from the graph). A clause is
`not_applicable` when the policy excludes it, `waived` under a valid waiver, `blocked` when a
prerequisite is not met, and otherwise passes, fails, is unknown or errs with its check and the
organisation rules that refine it. Key requirements follow their clauses. A pillar is at level L
when every in-scope clause expected at levels <= L is met; the organisation is at its lowest
pillar's level. Certification needs every mandatory key requirement and the target level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.evaluator import Context, ScopeCount, evaluate_check, scope_of_items
from aicxs.engine.facts import FactsDocument
from aicxs.engine.facts.evidence import unmatched_evidence
from aicxs.engine.missing import EMPTY, MissingFacts, group, merge, scope_finding
from aicxs.engine.model import Clause, Rule
from aicxs.engine.outcome import (
    Crosswalk,
    Explain,
    Kind,
    PillarMaturity,
    Report,
    Result,
    Status,
    Trace,
)
from aicxs.engine.plan import Plan
from aicxs.engine.values import UNKNOWN, EvalError, Node, kleene_and, source_text
from aicxs.engine.verdict import clause_truth, decide, shortfall

_TRUTH = {
    Status.PASS: True,
    Status.FAIL: False,
    Status.UNKNOWN: UNKNOWN,
    Status.NOT_APPLICABLE: True,
    Status.WAIVED: True,
}


def evaluate(
    plan: Plan,
    facts: FactsDocument,
    as_of: dt.date,
    explain: Explain = "fails",
    system: str | None = None,
) -> Report:
    """`explain`: `fails` (the items that decided each result), `full` (every item) or `none`
    (decisions only, by the compiled fast path where it can decide). `system`: an item (by
    its key) explained in full wherever a check quantifies over it, whatever `explain` says."""
    std, policy = plan.standard, plan.policy
    ctx = Context(
        facts,
        plan.params,
        as_of,
        plan.vocabulary,
        scope=plan.scope,
        detail=explain,
        fast_items=plan.fast_items,
        fast_conditions=plan.fast_conditions,
        fast_unknowns=plan.fast_unknowns,
        questions=plan.questions,
        focus=system,
    )
    findings: list[str] = []
    by_id: dict[str, Result] = {}
    for clause_id in plan.order:
        by_id[clause_id] = _clause(plan, std.clauses[clause_id], ctx, by_id, findings)
    clauses = [by_id[c] for p in std.pillars.values() for c in p.clauses]
    krs = [_key_requirement(plan, kr_id, ctx, by_id) for kr_id in std.key_requirements]
    pillars = _maturity(plan, by_id)
    overall = min((p.level for p in pillars), default=0)
    results = clauses + krs
    missing = [r.missing for r in results] + [sub.missing for r in clauses for sub in r.rules]
    scoped = scope_of_items(ctx)
    systems = _systems(ctx, scoped, findings, missing)
    findings.extend(unmatched_evidence(facts))
    empty = _nothing_in_scope(plan, systems)
    findings[:0] = [empty] if empty else []  # the first finding: it alone refuses certification
    verdict, reasons = decide(plan, krs, pillars, by_id, bool(empty), findings)
    return Report(
        standard={
            "id": std.id,
            "version": std.version,
            **({"amendment": std.amendment} if std.amendment else {}),
            "title": std.title,
            "levels": {n: lv.name for n, lv in std.levels.items()},
        },
        policy=_policy_summary(plan),
        facts=facts,
        as_of=as_of,
        results=tuple(results),
        pillars=tuple(pillars),
        overall_level=overall,
        target_level=policy.target,
        verdict=verdict,
        reasons=tuple(reasons),
        findings=tuple(findings),
        missing_facts=merge(missing),
        systems=systems,
        explain=explain,
        out_of_scope=scoped.left_out,
    )


def _policy_summary(plan: Plan) -> dict[str, Any]:
    policy = plan.policy
    out: dict[str, Any] = {"id": policy.name, "title": policy.title, "source": policy.span.path}
    if policy.scope is not None:
        out["scope"] = {"where": source_text(policy.scope.where), "because": policy.scope.because}
    return out


def _nothing_in_scope(plan: Plan, systems: dict[str, int]) -> str:
    """Why nothing is certified when no system is in scope (empty when some may be)."""
    if systems["in_scope"] or systems["scope_unknown"]:
        return ""
    least = plan.standard.least_scope
    listed = ".".join(least.source.parts) if least is not None else "systems"
    if systems["total"] == 0:
        return f"nothing in scope: the facts list no {listed}; a verdict over none proves nothing"
    return (
        f"nothing in scope: the policy's scope leaves out all {systems['total']} {listed}; a "
        "verdict over none proves nothing"
    )


def _trace(plan: Plan, clause: Clause, refines: str | None = None) -> Trace:
    std = plan.standard
    crosswalk = tuple(
        Crosswalk(
            x.framework,
            x.ref,
            std.frameworks[x.framework].refs.get(x.ref, "")
            if x.framework in std.frameworks
            else "",
            x.relationship,
            x.applicability,
        )
        for x in clause.crosswalk
    )
    return Trace(
        clause.id,
        clause.pillar,
        std.pillars[clause.pillar].title,
        tuple(plan.feeds.get(clause.id, ())),
        crosswalk,
        refines,
    )


def _clause(
    plan: Plan,
    clause: Clause,
    ctx: Context,
    done: dict[str, Result],
    findings: list[str],
) -> Result:
    policy = plan.policy
    result = Result(
        clause.id,
        Kind.CLAUSE,
        clause.title,
        Status.UNKNOWN,
        clause.span,
        _trace(plan, clause),
        clause.level,
        clause.owner,
        tuple(clause.evidence),
        mandatory=clause.id in plan.mandatory,
    )
    if clause.id in policy.exclusions:
        reason = policy.exclusions[clause.id].justification
        return replace(result, status=Status.NOT_APPLICABLE, reason=reason)
    result = _run_checks(plan, clause, ctx, result)
    blockers = tuple(r for r, _ in clause.requires if not done[r].status.satisfied)
    waiver = policy.waivers.get(clause.id)
    if waiver is not None and waiver.expires >= ctx.as_of:
        result = replace(
            result,
            status=Status.WAIVED,
            reason=f"waived until {waiver.expires} by {waiver.approver}: {waiver.justification}",
        )
    elif blockers:
        reason = (
            "prerequisite "
            + ", ".join(f"{b} is {done[b].status.value}" for b in blockers)
            + " (requires)"
        )
        result = replace(result, status=Status.BLOCKED, blocked_by=blockers, reason=reason)
    if waiver is not None and waiver.expires < ctx.as_of:
        findings.append(
            f"the waiver of {clause.id} expired on {waiver.expires} "
            f"(approved by {waiver.approver}); {clause.id} is evaluated as unwaived"
        )
        expired = f"waiver expired on {waiver.expires}; evaluated as unwaived"
        result = replace(result, reason=f"{result.reason}; {expired}" if result.reason else expired)
    return result


def _run_checks(plan: Plan, clause: Clause, ctx: Context, result: Result) -> Result:
    """The clause's own check and its refining rules, combined with Kleene `and`."""
    truth: Any = True
    node: Node | None = None
    missing = EMPTY
    reason = ""
    if clause.check is None:
        truth = UNKNOWN
        reason = "the clause has no check"
    else:
        truth, node, missing = _check(plan, clause.check, ctx)
    rules = []
    for rule in plan.rules_for.get(clause.id, []):
        sub = _rule(plan, rule, clause, ctx)
        rules.append(sub)
        truth = kleene_and(truth, _TRUTH.get(sub.status, EvalError(sub.reason)))
    status = _status(truth)
    if status is Status.ERROR and not reason:
        reason = _first_error(node)
    return replace(
        result,
        status=status,
        checked=status,
        node=node,
        missing=missing,
        rules=tuple(rules),
        reason=reason,
        evidence=_cited_evidence(ctx.facts, node),
    )


def _rule(plan: Plan, rule: Rule, clause: Clause, ctx: Context) -> Result:
    result = Result(
        rule.id,
        Kind.RULE,
        rule.title,
        Status.UNKNOWN,
        rule.span,
        _trace(plan, clause, refines=clause.id),
        clause.level,
        rule.owner or clause.owner,
        tuple(rule.evidence),
    )
    if rule.check is None:
        return result
    truth, node, missing = _check(plan, rule.check, ctx)
    status = _status(truth)
    return replace(
        result,
        status=status,
        node=node,
        missing=missing,
        reason=_first_error(node) if status is Status.ERROR else "",
        evidence=_cited_evidence(ctx.facts, node),
    )


def _check(plan: Plan, expr: ast.Expr, ctx: Context) -> tuple[Any, Node | None, MissingFacts]:
    """A check's value, with its explanation and missing facts unless only decisions are
    wanted and the plan fast path can decide alone."""
    fast = plan.fast_checks.get(id(expr)) if ctx.detail == "none" else None
    if fast is not None:
        try:
            return fast(ctx.facts.data, ctx.as_of), None, EMPTY
        except Exception:  # a missing or ill-typed fact: the interpreter decides and explains
            pass
    node = evaluate_check(expr, ctx)
    return node.value, node, node.missing_facts(ctx.interned, plan.questions)


def _status(value: Any) -> Status:
    if value is True:
        return Status.PASS
    if value is False:
        return Status.FAIL
    if value is UNKNOWN:
        return Status.UNKNOWN
    return Status.ERROR


def _first_error(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node.value, EvalError):
        for child in node.children:
            if isinstance(child.value, EvalError):
                return _first_error(child)
        return node.value.message
    return ""


def _key_requirement(plan: Plan, kr_id: str, ctx: Context, done: dict[str, Result]) -> Result:
    kr = plan.standard.key_requirements[kr_id]
    truth: Any = True
    covers = tuple((clause_id, done[clause_id].status) for clause_id, _ in kr.covers)
    for clause_id, _ in kr.covers:
        truth = kleene_and(truth, clause_truth(done, clause_id))
    node: Node | None = None
    missing = EMPTY
    if kr.check is not None:
        own, node, missing = _check(plan, kr.check, ctx)
        truth = kleene_and(truth, own)
    unmet = [f"{c} is {s.value}" for c, s in covers if not s.satisfied]
    return Result(
        kr.id,
        Kind.KEY_REQUIREMENT,
        kr.title,
        _status(truth),
        kr.span,
        node=node,
        covers=covers,
        missing=missing,
        reason="covered clauses not met: " + ", ".join(unmet) if unmet else "",
        mandatory=kr.mandatory,
    )


def _maturity(plan: Plan, done: dict[str, Result]) -> list[PillarMaturity]:
    std = plan.standard
    levels = sorted(std.levels)
    out = []
    for pillar in std.pillars.values():
        reached, blockers = 0, list[str]()
        for level in levels:
            unmet = [
                c
                for c in pillar.clauses
                if std.clauses[c].level <= level and not done[c].status.satisfied
            ]
            if unmet:
                blockers = unmet
                break
            reached = level
        gap = shortfall(plan, done, pillar.id, plan.policy.target)
        out.append(PillarMaturity(pillar.id, pillar.title, reached, tuple(blockers), gap))
    return out


def _cited_evidence(facts: FactsDocument, node: Node | None) -> tuple[dict[str, Any], ...]:
    """Evidence entries of the facts file whose `fact` is (a prefix of) a fact this read."""
    if node is None or not facts.evidence:
        return ()
    read = _reads(node)
    return tuple(
        e
        for e in facts.evidence
        if any(
            p == e["fact"] or p.startswith(e["fact"] + ".") or p.startswith(e["fact"] + "[")
            for p in read
        )
    )


def _reads(node: Node) -> set[str]:
    found = {r.path for r in node.reads} | set(node.cited)
    for child in node.children:
        found |= _reads(child)
    for item in node.items or ():
        for part in (item.where, item.body):
            if part is not None:
                found |= _reads(part)
    return found


def _systems(
    ctx: Context, scoped: ScopeCount, findings: list[str], missing: list[MissingFacts]
) -> dict[str, int]:
    """Counts for the report header; items the scope cannot decide become one finding."""
    listed = ctx.facts.data.get("systems")
    total = len(listed) if isinstance(listed, list) else 0
    admitted, undecided = scoped.admitted, scoped.undecided
    if undecided:
        assert ctx.scope is not None  # only a scope can be undecided
        found = group((p for pairs in undecided.values() for p in pairs), ctx.questions)
        listed_as = ".".join(ctx.scope[2].parts)
        findings.append(scope_finding(found, list(undecided), scoped.considered, listed_as))
        missing.append(found)
    return {"total": total, "in_scope": admitted, "scope_unknown": len(undecided)}
