"""Indexes derived from a standard, for the tools that publish and compare it.

`aicxs docs` and `aicxs diff` both need the same cross-references that the standard states only
one way round: each fact of the vocabulary under its full path (`systems[].escalation.max_wait`),
the parameters each check reads, the key requirements each clause feeds, and the clauses that
cite each crosswalk reference. Computed from the model; nothing here evaluates anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from aicxs.aicxs_dsl import ast
from aicxs.engine.graph import natural_key
from aicxs.engine.model import Standard
from aicxs.engine.types import FactField, Type


@dataclass(frozen=True)
class FactRow:
    """One declared fact under its full path; `depth` is how deep it is nested."""

    path: str  # `organisation.strategy.documented`, `systems[].escalation.max_wait`
    type: str  # as the language writes it: `bool`, `enum(low, medium, high)`, `list of string`
    key: bool
    optional: bool
    question: str
    depth: int
    field: FactField


def fact_rows(vocabulary: Type) -> list[FactRow]:
    """Every fact of the vocabulary, in declaration order, parents before their fields."""
    return list(_walk(vocabulary, "", 0))


def _walk(record: Type, prefix: str, depth: int) -> Iterator[FactRow]:
    for name, fld in record.fields.items():
        path = f"{prefix}{name}"
        yield FactRow(path, type_text(fld.type), fld.key, fld.optional, fld.question, depth, fld)
        if fld.type.kind == "record":
            yield from _walk(fld.type, path + ".", depth + 1)
        elif fld.type.kind == "list" and fld.type.item and fld.type.item.kind == "record":
            yield from _walk(fld.type.item, path + "[].", depth + 1)


def type_text(t: Type) -> str:
    """A fact's type as the language writes it (a list of records is `list`)."""
    if t.kind == "list" and t.item is not None and t.item.kind == "record":
        return "list"
    return t.describe()


def params_read(expr: ast.Expr | None) -> set[str]:
    """The parameters an expression reads with `param NAME`."""
    found: set[str] = set()
    if expr is not None:
        _collect_params(expr, found)
    return found


def _collect_params(node: object, found: set[str]) -> None:
    match node:
        case ast.ParamRef(name):
            found.add(name)
        case tuple():
            for item in node:
                _collect_params(item, found)
        case _ if dataclasses.is_dataclass(node) and not isinstance(node, type):
            for f in dataclasses.fields(node):
                if f.name != "span":
                    _collect_params(getattr(node, f.name), found)


def parameter_users(std: Standard) -> dict[str, list[str]]:
    """Parameter → the clauses and key requirements whose checks read it, in id order."""
    users: dict[str, list[str]] = {name: [] for name in std.parameters}
    checks = [(c.id, c.check) for c in std.clauses.values()]
    checks += [(kr.id, kr.check) for kr in std.key_requirements.values()]
    for ident, check in sorted(checks, key=lambda c: natural_key(c[0])):
        for name in sorted(params_read(check)):
            users.setdefault(name, []).append(ident)
    return users


def feeds(std: Standard) -> dict[str, list[str]]:
    """Clause → the key requirements that cover it."""
    out: dict[str, list[str]] = {}
    for kr in std.key_requirements.values():
        for clause, _ in kr.covers:
            out.setdefault(clause, []).append(kr.id)
    return out


def citations(std: Standard) -> dict[tuple[str, str], list[str]]:
    """(framework, reference) → the clauses that cite it, in clause order."""
    out: dict[tuple[str, str], list[str]] = {}
    for clause in std.clauses.values():
        for x in clause.crosswalk:
            cited = out.setdefault((x.framework, x.ref), [])
            if clause.id not in cited:
                cited.append(clause.id)
    return out


def owned_by(std: Standard) -> dict[str, list[str]]:
    """Role → the clauses it owns."""
    out: dict[str, list[str]] = {name: [] for name in std.roles}
    for clause in std.clauses.values():
        out.setdefault(clause.owner, []).append(clause.id)
    return out
