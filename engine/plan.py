"""What evaluation needs of a checked policy, worked out once: the evaluation `Plan`.

Built from the standard and the policy (never from the facts): the clauses in dependency
order, each clause's key requirements and refining rules, the parameters' values, the scope,
and the checks compiled to Python functions for the fast path (keyed by the AST node's `id()`,
which is why a plan is private to the policy that built it and never leaves the process).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.compiler import (
    CheckFn,
    ConditionFn,
    ItemFn,
    compile_check,
    compile_conditions,
    compile_item,
    quantifiers,
)
from aicxs.engine.compiler import _children as children
from aicxs.engine.cost import Cost, cost_of
from aicxs.engine.kleene_compiler import Item3Fn, compile_item3
from aicxs.engine.missing import Questions
from aicxs.engine.model import Policy, Rule, Standard
from aicxs.engine.types import Type


@dataclass(frozen=True, eq=False)
class Plan:
    standard: Standard
    policy: Policy
    params: Mapping[str, Any]  # every parameter's value: the policy's setting or the default
    vocabulary: Type  # the standard's facts plus the policy's own
    order: tuple[str, ...]  # clauses, prerequisites first
    feeds: Mapping[str, tuple[str, ...]]  # clause → key requirements it feeds
    mandatory: Mapping[str, str]  # clause → the mandatory key requirement covering it
    rules_for: Mapping[str, tuple[Rule, ...]]  # clause → organisation rules refining it
    scope: tuple[str, ast.Expr, ast.Path] | None  # the policy's (var, filter, list)
    fast_checks: Mapping[int, CheckFn | None] = field(repr=False)  # id(check) → fn
    fast_items: Mapping[int, ItemFn | None] = field(repr=False)  # id(quantifier) → fn
    fast_conditions: Mapping[int, ConditionFn] = field(repr=False)  # id(operand) → fn
    fast_unknowns: Mapping[int, Item3Fn | None] = field(repr=False)  # id(quantifier) → fn
    questions: Questions = field(repr=False)  # fact path → the vocabulary's question
    costs: tuple[Cost, ...] = field(repr=False)  # of each check, to bound a document's work


def build_plan(
    std: Standard,
    policy: Policy,
    params: dict[str, Any],
    vocabulary: Type,
    order: list[str],
    mandatory: dict[str, str],
) -> Plan:
    scope = None
    if policy.scope is not None:
        scope = (policy.scope.var, policy.scope.where, policy.scope.source)
    checks = [c.check for c in std.clauses.values()]
    checks += [kr.check for kr in std.key_requirements.values()]
    checks += [r.check for r in policy.rules]
    fast_checks: dict[int, CheckFn | None] = {}
    fast_items: dict[int, ItemFn | None] = {}
    fast_conditions: dict[int, ConditionFn] = {}
    fast_unknowns: dict[int, Item3Fn | None] = {}
    for check in checks:
        if check is None:
            continue
        fast_checks[id(check)] = compile_check(check, params, scope)
        for q in quantifiers(check):
            fast_items[id(q)] = compile_item(q, params, scope)
        for q, outer in _bound_around(check, frozenset()):
            fast_unknowns[id(q)] = compile_item3(q, params, scope, outer)
        fast_conditions.update(compile_conditions(check, params, scope))
    return Plan(
        std,
        policy,
        MappingProxyType(params),
        vocabulary,
        tuple(order),
        MappingProxyType(_feeds(std)),
        MappingProxyType(mandatory),
        MappingProxyType(_rules_for(policy)),
        scope,
        MappingProxyType(fast_checks),
        MappingProxyType(fast_items),
        MappingProxyType(fast_conditions),
        MappingProxyType(fast_unknowns),
        Questions(vocabulary),
        tuple(cost_of(c) for c in checks if c is not None) + _scope_cost(scope),
    )


def _scope_cost(scope: tuple[str, ast.Expr, ast.Path] | None) -> tuple[Cost, ...]:
    """The scope is decided once for each item of its list (for the report's counts)."""
    return (
        ()
        if scope is None
        else (cost_of(ast.Count(scope[0], scope[2], scope[1], span=scope[1].span)),)
    )


def _bound_around(
    expr: ast.Expr, bound: frozenset[str]
) -> list[tuple[ast.Quantifier, frozenset[str]]]:
    """Each quantifier of an expression with the variables bound where it stands."""
    found: list[tuple[ast.Quantifier, frozenset[str]]] = []
    stack = [(expr, bound)]
    while stack:
        e, around = stack.pop()
        if isinstance(e, ast.Quantifier):
            found.append((e, around))
        inner = around | {e.var} if isinstance(e, ast.Quantifier | ast.Count) else around
        stack.extend((child, inner) for child in children(e))
    return found


def _feeds(std: Standard) -> dict[str, tuple[str, ...]]:
    feeds: dict[str, list[str]] = {}
    for kr in std.key_requirements.values():
        for clause, _ in kr.covers:
            feeds.setdefault(clause, []).append(kr.id)
    return {c: tuple(krs) for c, krs in feeds.items()}


def _rules_for(policy: Policy) -> dict[str, tuple[Rule, ...]]:
    out: dict[str, list[Rule]] = {}
    for rule in policy.rules:
        out.setdefault(rule.refines, []).append(rule)
    return {c: tuple(rules) for c, rules in out.items()}
