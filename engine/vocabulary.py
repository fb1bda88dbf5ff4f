"""The `facts { ... }` blocks of a standard and its policy → the facts vocabulary: one record
`Type` whose fields carry their question, flags (`key`, `optional`) and origin; and the `Type`
a declaration names (`type_of`). Reports a fact declared twice, a record without fields, and
fields under a fact that is not a record.
"""

from __future__ import annotations

from collections.abc import Iterable

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.types import SCALAR_TYPES, FactField, Type


def type_of(ref: ast.TypeRef) -> Type:
    """The `Type` a declaration's type names (records and lists of records get no fields)."""
    if ref.low is not None and ref.high is not None:
        return Type(ref.name, low=ref.low, high=ref.high)
    if ref.name in SCALAR_TYPES:
        return SCALAR_TYPES[ref.name]
    if ref.name == "enum":
        return Type("enum", values=ref.values)
    if ref.name == "list" and ref.item is not None:
        return Type("list", item=type_of(ref.item))
    if ref.name == "list":
        return Type("list", item=Type("record"))
    return Type(ref.name)


def build_vocabulary(
    decls: Iterable[tuple[ast.FactsDecl, str]], root: Type, out: list[Diagnostic]
) -> None:
    """Add each facts block's fields to `root` (or to the record it extends)."""
    for decl, origin in decls:
        target = root
        if decl.extends is not None:
            found = _record_at(root, decl.extends.parts)
            if found is None:
                out.append(
                    Diagnostic(
                        "aicxs_unknown_fact",
                        f"`{'.'.join(decl.extends.parts)}` is not a record "
                        "or list of records of the facts vocabulary",
                        decl.extends.span,
                        "name a declared record, e.g. `facts systems { ... }`",
                    )
                )
                continue
            target = found
        _add_fields(target, decl.fields, origin, out)


def _record_at(root: Type, parts: tuple[str, ...]) -> Type | None:
    current: Type | None = root
    for part in parts:
        fld = current.fields.get(part) if current else None
        current = fld.type.item if fld and fld.type.kind == "list" else (fld.type if fld else None)
    return current if current is not None and current.kind == "record" else None


def _add_fields(
    record: Type, fields: tuple[ast.Field, ...], origin: str, out: list[Diagnostic]
) -> None:
    for f in fields:
        if f.name in record.fields:
            first = record.fields[f.name]
            out.append(
                Diagnostic(
                    "aicxs_duplicate_id",
                    f"fact `{f.name}` is declared twice",
                    f.span,
                    "rename or remove one of the two",
                    notes=(f"first declared at {first.decl.span.location()}",)
                    if first.decl
                    else (),
                )
            )
            continue
        ftype = type_of(f.type)
        nested = ftype.item if ftype.kind == "list" and ftype.item else ftype
        if nested.kind == "record":
            if f.fields is None:
                out.append(
                    Diagnostic(
                        "aicxs_missing_fields",
                        f"record `{f.name}` declares no fields",
                        f.span,
                        "add its fields in `{ ... }` after the question",
                    )
                )
            else:
                _add_fields(nested, f.fields, origin, out)
        elif f.fields is not None:
            out.append(
                Diagnostic(
                    "aicxs_unexpected_fields",
                    f"`{f.name}` is {with_article(ftype.describe())} and cannot have fields",
                    f.span,
                    "declare it as `record` or `list` to give it fields",
                )
            )
        record.fields[f.name] = FactField(
            f.name, ftype, f.question, "key" in f.flags, "optional" in f.flags, f, origin
        )
