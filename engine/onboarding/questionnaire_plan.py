"""The questionnaire's plan: which facts each pillar's checks read, and under which guards.

Walks the check ASTs of every clause (and the organisation rules refining it) for fact paths;
each read is a `Site` whose frames say when it matters: inside a quantifier (the item must be
in range: the `where` and the policy's scope) and on the right of an `implies` (its left side
must not be false; for `optional` facts also the right of an `and`/`or`). A fact belongs to the
pillar that reads it first; facts no check reads go to `Other`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.onboarding.answers import Bounds
from aicxs.engine.onboarding.scaffold import leaves
from aicxs.engine.types import FactField, Type

OTHER = "Other"


@dataclass(frozen=True)
class Range:
    """A read inside a quantifier: the item bound to `var` must be in range."""

    var: str
    source: ast.Path
    where: ast.Expr | None


@dataclass(frozen=True)
class Cond:
    """A read that matters only when `expr` is not `moot` (e.g. the right side of `implies`)."""

    expr: ast.Expr
    moot: bool
    soft: bool  # `and`/`or` short-circuits: guard `optional` facts only


Frame = Range | Cond


@dataclass(frozen=True)
class Site:
    frames: tuple[Frame, ...]
    var: str | None  # the quantifier variable bound to the item the fact belongs to


@dataclass
class Fact:
    path: tuple[str, ...]  # in the vocabulary: ("organisation", "strategy", "documented")
    declared: FactField  # its declaration: type, question, optional
    list_name: str | None  # `systems` for a fact of each item of that list
    sites: list[Site] = field(default_factory=list)  # every place a check reads it
    in_scope_filter: bool = False  # read by the policy's scope: asked with each new item
    naming: bool = False  # names each item (`systems.name`): asked with its id
    bounds: Bounds | None = None


@dataclass
class Group:
    id: str  # a pillar id, or `Other`
    title: str
    number: int  # 1-based among the pillars; 0 for `Other`
    early: list[Fact] = field(default_factory=list)  # organisation facts, asked first
    items: list[Fact] = field(default_factory=list)  # facts of each item (system)
    late: list[Fact] = field(default_factory=list)  # organisation facts whose relevance
    # depends on items' answers (e.g. "does any system run experiments?")

    def facts(self) -> list[Fact]:
        return [*self.early, *self.items, *self.late]


# ---- planning: facts by pillar --------------------------------------------------------------


@dataclass
class Plan:
    groups: list[Group]  # the pillars in order, then `Other`
    scope_facts: list[Fact]  # facts the policy's scope reads: asked with each new item
    naming_facts: list[Fact] = field(default_factory=list)  # asked first, with each new item


NAMING = ("name", "title")  # the fields that name an item, asked right after its id


def plan(compiled: CompiledPolicy) -> Plan:
    """The questionnaire of a `CompiledPolicy`: its facts grouped by pillar."""
    vocabulary: Type = compiled.vocabulary
    facts = {path: Fact(path, fld, _list_of(vocabulary, path)) for path, fld in leaves(vocabulary)}
    for fact in facts.values():
        fact.bounds = schema_bounds(compiled.schema, fact.path)
    std = compiled.standard
    owner: dict[tuple[str, ...], str] = {}
    for pillar in std.pillars.values():
        for clause_id in pillar.clauses:
            checks = [std.clauses[clause_id].check]
            checks += [r.check for r in compiled.plan.rules_for.get(clause_id, ())]
            checks += [
                kr.check
                for kr in std.key_requirements.values()
                if kr.covers[:1] and kr.covers[0][0] == clause_id
            ]
            for check in checks:
                if check is not None:
                    _record(check, facts, owner, pillar.id)
    if compiled.plan.scope is not None:
        var, where, source = compiled.plan.scope
        for path, _ in _reads(where, (Range(var, source, None),), {var: source.parts}):
            for leaf in _leaves_under(path, facts):
                facts[leaf].in_scope_filter = True
    for fact in facts.values():
        fact.naming = (
            fact.list_name is not None
            and len(fact.path) == 2
            and fact.path[-1] in NAMING
            and fact.declared.type.kind == "string"
            and not fact.in_scope_filter
        )
    return Plan(
        _groups(std, facts, owner),
        [f for f in facts.values() if f.in_scope_filter],
        [f for f in facts.values() if f.naming],
    )


def _list_of(vocabulary: Type, path: tuple[str, ...]) -> str | None:
    top = vocabulary.fields.get(path[0])
    return path[0] if top is not None and top.type.kind == "list" and len(path) > 1 else None


def _record(
    check: ast.Expr,
    facts: dict[tuple[str, ...], Fact],
    owner: dict[tuple[str, ...], str],
    group: str,
) -> None:
    for path, site in _reads(check, (), {}):
        for leaf in _leaves_under(path, facts):
            facts[leaf].sites.append(site)
            owner.setdefault(leaf, group)


def _leaves_under(
    path: tuple[str, ...], facts: dict[tuple[str, ...], Fact]
) -> list[tuple[str, ...]]:
    if path in facts:
        return [path]
    return [p for p in facts if p[: len(path)] == path]


def _reads(
    expr: ast.Expr, frames: tuple[Frame, ...], env: dict[str, tuple[str, ...]]
) -> Iterator[tuple[tuple[str, ...], Site]]:
    """Every fact path the expression reads, with the frames that decide whether it matters."""
    match expr:
        case ast.Path(parts):
            head = parts[0]
            if head in env:
                yield (*env[head], *parts[1:]), Site(frames, head)
            else:
                yield parts, Site(frames, None)
        case ast.Quantifier(_, var, source, where, body):
            inner = {**env, var: _source(source, env)}
            if where is not None:
                yield from _reads(where, (*frames, Range(var, source, None)), inner)
            yield from _reads(body, (*frames, Range(var, source, where)), inner)
        case ast.Count(var, source, where) if where is not None:
            yield from _reads(
                where, (*frames, Range(var, source, None)), {**env, var: _source(source, env)}
            )
        case ast.Implies(left, right) | ast.And(left, right) | ast.Or(left, right):
            yield from _reads(left, frames, env)
            guard = Cond(left, isinstance(expr, ast.Or), not isinstance(expr, ast.Implies))
            yield from _reads(right, (*frames, guard), env)
        case ast.Not(operand) | ast.Neg(operand):
            yield from _reads(operand, frames, env)
        case ast.Compare(_, left, right) | ast.Arith(_, left, right):
            yield from _reads(left, frames, env)
            yield from _reads(right, frames, env)
        case ast.Call(_, args) | ast.ListLit(args):
            for arg in args:
                yield from _reads(arg, frames, env)


def _source(source: ast.Path, env: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    head, *rest = source.parts
    return (*env[head], *rest) if head in env else source.parts


def _groups(
    std: Any, facts: dict[tuple[str, ...], Fact], owner: dict[tuple[str, ...], str]
) -> list[Group]:
    groups = {p.id: Group(p.id, p.title, n) for n, p in enumerate(std.pillars.values(), start=1)}
    other = Group(OTHER, "Other facts", 0)
    read_order = sorted(facts.values(), key=lambda f: _first_read(f, owner, facts))
    for fact in read_order:
        if fact.in_scope_filter or fact.naming:
            continue  # asked with each new item
        group = groups.get(owner.get(fact.path, ""), other)
        if fact.list_name is not None:
            group.items.append(fact)
        elif any(_reads_items(site) for site in fact.sites):
            group.late.append(fact)
        else:
            group.early.append(fact)
    return [*groups.values(), other]


def _first_read(
    fact: Fact, owner: dict[tuple[str, ...], str], facts: dict[tuple[str, ...], Fact]
) -> int:
    """Facts keep the order in which checks first read them; unread ones, the vocabulary's."""
    order = list(owner)
    return (
        order.index(fact.path) if fact.path in owner else len(order) + list(facts).index(fact.path)
    )


def _reads_items(site: Site) -> bool:
    """Whether the read's relevance depends on answers about items (a quantifier in a guard)."""
    return any(
        isinstance(f, Cond)
        and any(s.var is not None or _quantifies(f.expr) for _, s in _reads(f.expr, (), {}))
        for f in site.frames
    )


def _quantifies(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Quantifier | ast.Count) or any(
        _quantifies(c) for c in _children(expr)
    )


def _children(expr: ast.Expr) -> list[ast.Expr]:
    match expr:
        case ast.Not(x) | ast.Neg(x):
            return [x]
        case ast.And(a, b) | ast.Or(a, b) | ast.Implies(a, b):
            return [a, b]
        case ast.Compare(_, a, b) | ast.Arith(_, a, b):
            return [a, b]
        case ast.Call(_, args) | ast.ListLit(args):
            return list(args)
    return []


def schema_bounds(schema: Mapping[str, Any], path: tuple[str, ...]) -> Bounds | None:
    """The `minimum`/`maximum` a facts schema gives a number, if it gives any."""
    node: Any = schema
    for part in path:
        node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict) and node.get("type") == "array" and "items" in node:
            node = node["items"] if part != path[-1] else node
    if not isinstance(node, dict):
        return None
    low, high = (
        node.get("minimum", node.get("exclusiveMinimum")),
        node.get("maximum", node.get("exclusiveMaximum")),
    )
    if low is None and high is None:
        return None
    return Bounds(low, high, "exclusiveMinimum" in node, "exclusiveMaximum" in node)


def clauses_reading(compiled: CompiledPolicy) -> dict[tuple[str, ...], list[str]]:
    """For each fact of the vocabulary, the clauses whose checks (or whose organisation rules'
    or key requirements' checks) read it, in the standard's order."""
    facts = {path: Fact(path, fld, None) for path, fld in leaves(compiled.vocabulary)}
    std = compiled.standard
    out: dict[tuple[str, ...], list[str]] = {}
    for clause_id, clause in std.clauses.items():
        checks = [clause.check, *(r.check for r in compiled.plan.rules_for.get(clause_id, ()))]
        for check in checks:
            for path, _ in _reads(check, (), {}) if check is not None else ():
                for leaf in _leaves_under(path, facts):
                    if clause_id not in out.setdefault(leaf, []):
                        out[leaf].append(clause_id)
    return out
