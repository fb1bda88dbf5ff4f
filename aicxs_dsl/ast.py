"""The abstract syntax tree of the aicxs language.

One frozen, slotted dataclass per grammar rule (the rule name in CamelCase). Children are tuples.
Every node has a `span` that is ignored by `==`, so hand-built trees compare equal to parsed
ones in tests. Nodes carry no behaviour: meaning is given by `engine/`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from aicxs.aicxs_dsl.source import Span


def _span() -> Span:
    """The span field: keyword-only, and ignored by `==`, `hash` and `repr`."""
    return field(compare=False, repr=False, hash=False, kw_only=True)  # type: ignore[no-any-return]


# ---- expressions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class NumberLit:
    text: str  # as written, e.g. `0.95`; kept as text so formatting round-trips exactly
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StringLit:
    value: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DateLit:
    value: dt.date
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DurationLit:
    amount: int
    unit: str  # as written: `day`, `days`, `seconds`, ...
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Path:
    """A fact path such as `organisation.strategy.documented` or `s.escalation.max_wait`.

    The first part is a quantifier variable when one of that name is in scope, otherwise a
    top-level fact of the vocabulary.
    """

    parts: tuple[str, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ParamRef:
    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # a built-in of engine/predicates.py
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class And:
    left: Expr
    right: Expr  # decided without it when `left` is false
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Or:
    left: Expr
    right: Expr  # decided without it when `left` is true
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Implies:
    left: Expr
    right: Expr  # true without it when `left` is false
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # one of == != < <= > >= in `not in`
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Arith:
    op: str  # one of + - * /
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Quantifier:
    kind: str  # all | any | none
    var: str
    source: Path  # a list of records in the facts
    where: Expr | None  # items for which it is false are not considered at all
    body: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Count:
    var: str
    source: Path
    where: Expr | None
    span: Span = _span()


Expr = (
    BoolLit
    | IntLit
    | NumberLit
    | StringLit
    | DateLit
    | DurationLit
    | ListLit
    | Path
    | ParamRef
    | Call
    | Not
    | And
    | Or
    | Implies
    | Compare
    | Arith
    | Neg
    | Quantifier
    | Count
)

# ---- types of facts and parameters ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeRef:
    """`bool`, `int`, `number`, `string`, `date`, `duration`, `enum(...)`, `record`,
    `list` (of records, fields in the body) or `list of <type>`."""

    name: str
    values: tuple[str, ...] = ()  # enum members
    item: TypeRef | None = None  # element type of `list of`
    low: int | float | None = None  # `number 0 .. 1`: the least value a fact may take
    high: int | float | None = None  # ... and the greatest (both included)
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: TypeRef
    flags: tuple[str, ...]  # `key` (identifies a record; required), `optional`
    question: str
    fields: tuple[Field, ...] | None  # body of a record or list of records
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FactsDecl:
    extends: Path | None  # the record a policy adds fields to; None = the top level
    fields: tuple[Field, ...]
    span: Span = _span()


# ---- attributes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute line: `level 2`, `owner cx_leader`, `check <expr>`, ...

    `name` is the keyword; `values` are its arguments as written (strings for text, ids and
    names, ints for numbers, dates, expressions for `check`, `default`, `bounds` and `set`);
    `because` is the reason written after a `level` or a `covers` line, if any.
    """

    name: str
    values: tuple[AttrValue, ...]
    span: Span = _span()
    because: str | None = None


@dataclass(frozen=True, slots=True)
class CrosswalkRef:
    """One reference of a `crosswalk` line, e.g. `"Art. 10" related to applies to "providers"`.

    `relationship` is as written, its words joined by one space (`"subset of"`), or None;
    `applicability` is the text after `applies to`, or None.
    """

    ref: str
    relationship: str | None
    applicability: str | None
    span: Span = _span()


AttrValue = str | int | dt.date | Expr | CrosswalkRef

# ---- declarations -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandardDecl:
    id: str
    version: int  # the year
    attrs: tuple[Attr, ...]
    span: Span = _span()
    amendment: int = field(default=0, kw_only=True)  # `2024.1` → 1; 0 for the year alone


@dataclass(frozen=True, slots=True)
class LevelDecl:
    number: int
    name: str
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class RoleDecl:
    name: str
    title: str
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StageDecl:
    number: int
    name: str
    title: str
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ParameterDecl:
    name: str
    type: TypeRef
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FrameworkDecl:
    id: str
    title: str
    attrs: tuple[Attr, ...]  # `ref "Art. 50(1)" "title"` lines
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ClauseDecl:
    id: str
    title: str
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PillarDecl:
    id: str
    title: str
    attrs: tuple[Attr, ...]
    clauses: tuple[ClauseDecl, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class KeyRequirementDecl:
    id: str
    title: str
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class WaiverDecl:
    clause: str
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class RuleDecl:
    id: str
    refines: str
    title: str
    attrs: tuple[Attr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PolicyDecl:
    name: str
    standard: str
    version: int
    attrs: tuple[Attr, ...]
    waivers: tuple[WaiverDecl, ...]
    rules: tuple[RuleDecl, ...]
    facts: tuple[FactsDecl, ...]
    span: Span = _span()
    amendment: int = field(default=0, kw_only=True)  # `implements AICXS 2024.1` → 1


Decl = (
    StandardDecl
    | LevelDecl
    | RoleDecl
    | StageDecl
    | ParameterDecl
    | FrameworkDecl
    | FactsDecl
    | PillarDecl
    | KeyRequirementDecl
    | PolicyDecl
)


def version_text(year: int, amendment: int) -> str:
    """A standard's version as written: `2024`, or `2024.1` for its first amendment."""
    return f"{year}.{amendment}" if amendment else str(year)


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # including the leading `#`
    line: int
    trailing: bool  # code stands before it on the same line


@dataclass(frozen=True, slots=True)
class Module:
    """One `.aicx` file."""

    decls: tuple[Decl, ...]
    span: Span = _span()
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False, kw_only=True)
