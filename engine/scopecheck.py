"""A policy's scope against the standard's least scope, decided before anything runs.

The standard declares the least scope every policy must evaluate (for AICXS 2024: each
customer-facing system and each system that makes automated decisions about customers). A
policy may narrow the systems it evaluates, but a scope that could leave out a system inside the
least scope is refused at load, with an example of such a system.

Both filters read a few facts of one item. Each fact they read can take only a few values that
matter to them — the values of a `bool` or `enum`, and for other types the constants the filters
compare it with and values just beside them — so every combination is tried (bounded by
`MAX_COMBINATIONS`): a combination the least scope admits and the policy's scope refuses is the
example. Facts the filters do not read cannot change either filter, so they are left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.engine.evaluator import Binding, Context, evaluate_check
from aicxs.engine.facts import FactsDocument
from aicxs.engine.model import Policy, Scope, Standard
from aicxs.engine.types import Duration, Type
from aicxs.engine.values import render_value, source_text

MAX_COMBINATIONS = 4096
_OTHER_TEXT = "(any other text)"


def check_least_scope(
    policy: Policy, std: Standard, params: Mapping[str, Any], as_of: dt.date
) -> list[Diagnostic]:
    """The policy's scope refused where it could leave out a system of the least scope."""
    least, scope = std.least_scope, policy.scope
    if least is None or scope is None or least.source.parts != scope.source.parts:
        return []
    record = _item_type(std.vocabulary, scope.source.parts)
    if record is None:
        return []  # the type checker has reported it
    paths = sorted(_paths(least) | _paths(scope))
    domains = [_domain(_type_at(record, p), _constants(least, scope, params), as_of) for p in paths]
    count = 1
    for d in domains:
        count *= len(d)
    if count > MAX_COMBINATIONS:
        return [_too_complex(scope, least, count)]
    for values in itertools.product(*domains):
        item = _item(dict(zip(paths, values, strict=True)))
        if _holds(least, item, record, std, params, as_of) and not _holds(
            scope, item, record, std, params, as_of
        ):
            return [_left_out(scope, least, dict(zip(paths, values, strict=True)))]
    return []


def _holds(
    scope: Scope,
    item: dict[str, Any],
    record: Type,
    std: Standard,
    params: Mapping[str, Any],
    as_of: dt.date,
) -> bool:
    ctx = Context(FactsDocument("<scope check>", {}), params, as_of, std.vocabulary, detail="full")
    ctx.bindings[scope.var] = Binding(item, "item", "$.item", record)
    ctx.values[scope.var] = item
    return evaluate_check(scope.where, ctx).value is True


def _left_out(scope: Scope, least: Scope, example: dict[tuple[str, ...], Any]) -> Diagnostic:
    listed = ".".join(scope.source.parts)
    facts = ", ".join(f"`{'.'.join(p)}` {render_value(v)}" for p, v in example.items())
    return Diagnostic(
        "aicxs_scope_below_least",
        f"this scope leaves out {listed} the standard requires every policy to evaluate: "
        f"e.g. one with {facts}",
        scope.span,
        f"widen the filter so that it admits every item of the least scope, e.g. "
        f"`where {source_text(least.where)} or <your filter>`",
        notes=(
            f"{least.span.location()}: the standard's least scope: "
            f"{source_text(least.where)} ({least.because})",
        ),
    )


def _too_complex(scope: Scope, least: Scope, count: int) -> Diagnostic:
    return Diagnostic(
        "aicxs_scope_too_complex",
        f"this scope cannot be checked against the standard's least scope: its filter and the "
        f"least scope's read facts that combine in {count:,} ways (at most "
        f"{MAX_COMBINATIONS:,} are tried)",
        scope.span,
        "simplify the filter: compare fewer facts, or compare them with fewer constants",
        notes=(f"{least.span.location()}: the standard's least scope",),
    )


# ---- the facts the filters read, and the values that matter to them -------------------------


def _walk(node: object) -> Iterator[object]:
    yield node
    if isinstance(node, tuple):
        for child in node:
            yield from _walk(child)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name != "span":
                yield from _walk(getattr(node, f.name))


def _paths(scope: Scope) -> set[tuple[str, ...]]:
    return {
        tuple(n.parts[1:])
        for n in _walk(scope.where)
        if isinstance(n, ast.Path) and n.parts[0] == scope.var and len(n.parts) > 1
    }


def _constants(least: Scope, scope: Scope, params: Mapping[str, Any]) -> list[Any]:
    found: list[Any] = []
    for n in itertools.chain(_walk(least.where), _walk(scope.where)):
        match n:
            case ast.StringLit(value) | ast.IntLit(value) | ast.DateLit(value):
                found.append(value)
            case ast.NumberLit(text):
                found.append(float(text))
            case ast.DurationLit(amount, unit):
                found.append(Duration.of(amount, unit))
            case ast.ParamRef(name) if name in params:
                found.append(params[name])
    return found


def _domain(t: Type | None, constants: list[Any], as_of: dt.date) -> list[Any]:
    """The values of a fact of type `t` that can make a difference to filters comparing it
    with `constants`: each constant and the values just beside it."""
    if t is None:
        return [None]
    match t.kind:
        case "bool":
            return [False, True]
        case "enum":
            return list(t.values)
        case "string":
            return [*sorted({c for c in constants if isinstance(c, str)}), _OTHER_TEXT]
        case "list":
            texts = sorted({c for c in constants if isinstance(c, str)})
            return [[], *([c] for c in texts)]
        case "int" | "number" | "duration":
            step = 1 if t.kind != "number" else 0.5
            found = {0} | {c + d for c in _numbers(constants, t.kind) for d in (-step, 0, step)}
            values = sorted(found)
            return [Duration(int(v)) for v in values] if t.kind == "duration" else values
        case "date":
            days = {c for c in constants if isinstance(c, dt.date)} | {as_of}
            return sorted({d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)})
    return [None]


def _numbers(constants: list[Any], kind: str) -> list[float]:
    if kind == "duration":
        return [float(c) for c in constants if isinstance(c, Duration)]
    return [c for c in constants if isinstance(c, int | float) and not isinstance(c, bool)]


def _item(assignment: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for path, value in assignment.items():
        if value is None:
            continue
        node = item
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return item


def _item_type(vocabulary: Type, parts: tuple[str, ...]) -> Type | None:
    current: Type | None = vocabulary
    for part in parts:
        fld = current.fields.get(part) if current is not None else None
        current = fld.type if fld is not None else None
    return current.item if current is not None and current.kind == "list" else None


def _type_at(record: Type, path: tuple[str, ...]) -> Type | None:
    current: Type | None = record
    for part in path:
        fld = current.fields.get(part) if current is not None else None
        current = fld.type if fld is not None else None
    return current
