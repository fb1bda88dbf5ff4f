"""Two standards → the changes to their parameters, classified by what they do to policies: a
default made stricter or bounds narrowed may stop a `set` loading (breaking); a looser default
or wider bounds cannot. The parameter's declared direction (`stricter`) decides which is which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine import catalogue
from aicxs.engine.authoring.diff_change import (
    Change,
    StandardDiff,
    _breaking,
    _expr,
    _requirement_text,
    _safe,
)
from aicxs.engine.checker import constant
from aicxs.engine.graph import natural_key
from aicxs.engine.model import Parameter, Standard

# ---- parameters ----------------------------------------------------------------------------


def _parameter_changes(d: StandardDiff) -> Iterator[Change]:
    """Each change of a parameter, naming what reads it: the clauses and key requirements whose
    checks read it (`param NAME`), and the key requirements that cover those clauses."""
    old_readers, new_readers = readers(d.old), readers(d.new)
    for change in _parameter_pairs(d):
        found = new_readers.get(change.subject) or old_readers.get(change.subject, [])
        yield dataclasses.replace(change, affects=tuple(found))


def readers(std: Standard) -> dict[str, list[str]]:
    """Parameter → what reads it, directly or through a clause a key requirement covers."""
    feeds = catalogue.feeds(std)
    out: dict[str, list[str]] = {}
    for name, users in catalogue.parameter_users(std).items():
        found = set(users) | {kr for user in users for kr in feeds.get(user, [])}
        out[name] = sorted(found, key=natural_key)
    return out


def _parameter_pairs(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old.parameters, d.new.parameters
    for name in [*a, *(n for n in b if n not in a)]:
        touches = (f"parameter:{name}",)
        if name not in b:
            yield _breaking(
                "parameter_removed",
                name,
                f"parameter `{name}` removed",
                f"policies that `set {name}` no longer load",
                _param_text(a[name]),
                None,
                touches,
            )
        elif name not in a:
            yield _safe(
                "parameter_added",
                name,
                f"parameter `{name}` added (default {_expr(b[name].default)})",
                "a policy may now set it; until it does, checks read the default",
                None,
                _param_text(b[name]),
            )
        else:
            yield from _parameter_pair(a[name], b[name], touches)


def _param_text(p: Parameter) -> dict[str, Any]:
    return {
        "type": p.type.describe(),
        "default": _expr(p.default),
        "bounds": _bounds(p),
        "stricter": p.stricter,
    }


def _bounds(p: Parameter) -> str | None:
    return f"{expr_text(p.bounds[0])} .. {expr_text(p.bounds[1])}" if p.bounds else None


def _value(p: Parameter, e: ast.Expr | None) -> Any:
    return constant(e, p.type, []) if e is not None else None


def _parameter_pair(a: Parameter, b: Parameter, touches: tuple[str, ...]) -> Iterator[Change]:
    name = a.name
    if a.type != b.type:
        yield _breaking(
            "parameter_type_changed",
            name,
            f"`{name}` is now {with_article(b.type.describe())} (was {a.type.describe()})",
            f"policies that set `{name}` to {with_article(a.type.describe())} no longer load",
            a.type.describe(),
            b.type.describe(),
            touches,
        )
        return
    if _expr(a.default) != _expr(b.default):
        yield _default_change(a, b, touches)
    if _bounds(a) != _bounds(b):
        yield _bounds_change(a, b, touches)
    if a.stricter != b.stricter:
        yield _breaking(
            "parameter_direction_changed",
            name,
            f"`{name}`: a policy may now only make it {b.stricter or 'anything'} "
            f"(was {a.stricter or 'anything'})",
            "settings that were stricter may now count as looser, and no longer load",
            a.stricter,
            b.stricter,
            touches,
        )
    yield from _requirement_text("parameter_text_changed", name, f"`{name}`'s text", a.text, b.text)


def _default_change(a: Parameter, b: Parameter, touches: tuple[str, ...]) -> Change:
    old, new = _value(a, a.default), _value(b, b.default)
    shown_old, shown_new = _expr(a.default), _expr(b.default)
    summary = f"`{a.name}` default {shown_old} → {shown_new}"
    way = b.stricter
    stricter = (
        way is not None
        and old is not None
        and new is not None
        and ((way == "lower" and new < old) or (way == "higher" and new > old))
    )
    if stricter:
        reason = (
            f"stricter: policies that keep the default are judged by {shown_new}; a `set` "
            f"between {shown_new} and {shown_old} is now looser than the default and no "
            "longer loads"
        )
        return _breaking(
            "parameter_default_changed",
            a.name,
            summary + " (stricter)",
            reason,
            shown_old,
            shown_new,
            touches,
        )
    if way is not None:
        reason = (
            f"looser: policies that keep the default are judged by {shown_new}; every "
            "setting that loaded still loads"
        )
        return _safe(
            "parameter_default_changed",
            a.name,
            summary + " (looser)",
            reason,
            shown_old,
            shown_new,
            touches,
        )
    return _breaking(
        "parameter_default_changed",
        a.name,
        summary,
        "results may change for policies that keep the default",
        shown_old,
        shown_new,
        touches,
    )


def _bounds_change(a: Parameter, b: Parameter, touches: tuple[str, ...]) -> Change:
    old = [_value(a, e) for e in a.bounds] if a.bounds else None
    new = [_value(b, e) for e in b.bounds] if b.bounds else None
    summary = f"`{a.name}` bounds {_bounds(a) or 'none'} → {_bounds(b) or 'none'}"
    narrowed = new is not None and (
        old is None or None in old or None in new or new[0] > old[0] or new[1] < old[1]
    )
    reason = (
        f"narrowed: a `set` outside {_bounds(b)} no longer loads"
        if narrowed
        else "widened: every setting that loaded still loads"
    )
    return Change(
        kind="parameter_bounds_changed",
        subject=a.name,
        summary=summary,
        breaking=narrowed,
        reason=reason,
        old=_bounds(a),
        new=_bounds(b),
        touches=touches,
    )
