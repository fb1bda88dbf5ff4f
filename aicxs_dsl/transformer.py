"""Lark parse tree → AST.

One short method per grammar rule, each building one AST node with its span. No semantics
here: names are not resolved and types are not checked (that is `engine/checker.py`). Nothing
after this module ever sees a `lark.Tree`.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Source, Span

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unquote(raw: str) -> str:
    """The value of a string token: quotes removed, escapes decoded, long text dedented."""
    body = raw[3:-3] if raw.startswith('"""') else raw[1:-1]
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(ch)
    text = "".join(out)
    return inspect.cleandoc(text) if raw.startswith('"""') else text


class BadLiteral(Exception):
    """A literal the grammar accepts but that has no value (a date such as 2025-02-30)."""

    def __init__(
        self,
        span: Span,
        message: str,
        help: str = "write dates as YYYY-MM-DD with a real month and day",
    ) -> None:
        super().__init__(message)
        self.span, self.message, self.help = span, message, help


def _attr(name: str) -> Any:
    """A transformer method for an attribute rule: its tokens become `Attr.values`."""

    def method(self: AstBuilder, meta: Meta, children: list[Any]) -> ast.Attr:
        reasons = [c.text for c in children if isinstance(c, _Because)]
        values = tuple(  # [optional] parts left out
            self._value(c) for c in children if c is not None and not isinstance(c, _Because)
        )
        return ast.Attr(
            name, values, span=self._span(meta), because=reasons[0] if reasons else None
        )

    return v_args(meta=True)(method)


@dataclass(frozen=True, slots=True)
class _Because:
    """The `because "..."` after a `level` or `covers` line, until its attribute takes it."""

    text: str


def _compare(op: str) -> Any:
    def method(self: AstBuilder, meta: Meta, children: list[Any]) -> ast.Compare:
        return ast.Compare(op, children[0], children[1], span=self._span(meta))

    return v_args(meta=True)(method)


def _arith(op: str) -> Any:
    def method(self: AstBuilder, meta: Meta, children: list[Any]) -> ast.Arith:
        return ast.Arith(op, children[0], children[1], span=self._span(meta))

    return v_args(meta=True)(method)


def _type(name: str) -> Any:
    def method(self: AstBuilder, meta: Meta, children: list[Any]) -> ast.TypeRef:
        return ast.TypeRef(name, span=self._span(meta))

    return v_args(meta=True)(method)


class AstBuilder(Transformer[Token, ast.Module]):
    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def _span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 0)
        return Span(self.source, meta.start_pos, meta.end_pos)

    def _tok(self, token: Token) -> Span:
        return Span(self.source, token.start_pos or 0, token.end_pos or 0)

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(token)
        except ValueError as err:
            raise BadLiteral(self._tok(token), f"`{token}` is not a date: {err}") from None

    def _value(self, child: Any) -> ast.AttrValue:
        if not isinstance(child, Token):
            return child  # type: ignore[no-any-return]
        if child.type == "STRING":
            return unquote(child)
        if child.type == "INT":
            return int(child)
        if child.type == "DATE":
            return self._date(child)
        return str(child)

    # ---- declarations ---------------------------------------------------------------------
    @v_args(meta=True)
    def start(self, meta: Meta, decls: list[ast.Decl]) -> ast.Module:
        return ast.Module(tuple(decls), span=Span(self.source, 0, len(self.source.text)))

    @v_args(meta=True)
    def standard_decl(self, meta: Meta, c: list[Any]) -> ast.StandardDecl:
        (year, amendment), span = c[1], self._span(meta)
        return ast.StandardDecl(str(c[0]), year, tuple(c[2:]), span=span, amendment=amendment)

    def version(self, c: list[Token]) -> tuple[int, int]:
        """`2024` → (2024, 0); `2024.1` → (2024, 1). An amendment counts from 1, written
        without leading zeros, so each version has one spelling."""
        year, _, amendment = str(c[0]).partition(".")
        if amendment and (amendment.startswith("0") or len(amendment) > 4 or len(year) != 4):
            raise BadLiteral(
                self._tok(c[0]),
                f"`{c[0]}` is not a version of a standard",
                f"write the year (`{year}`), or the year and the amendment counted from 1 "
                f"(`{year}.1`, `{year}.2`, ...)",
            )
        return int(year), int(amendment or 0)

    @v_args(meta=True)
    def level_decl(self, meta: Meta, c: list[Any]) -> ast.LevelDecl:
        return ast.LevelDecl(int(c[0]), unquote(c[1]), tuple(c[2:]), span=self._span(meta))

    @v_args(meta=True)
    def role_decl(self, meta: Meta, c: list[Any]) -> ast.RoleDecl:
        return ast.RoleDecl(str(c[0]), unquote(c[1]), tuple(c[2:]), span=self._span(meta))

    @v_args(meta=True)
    def stage_decl(self, meta: Meta, c: list[Any]) -> ast.StageDecl:
        span = self._span(meta)
        return ast.StageDecl(int(c[0]), str(c[1]), unquote(c[2]), tuple(c[3:]), span=span)

    @v_args(meta=True)
    def parameter_decl(self, meta: Meta, c: list[Any]) -> ast.ParameterDecl:
        return ast.ParameterDecl(str(c[0]), c[1], tuple(c[2:]), span=self._span(meta))

    @v_args(meta=True)
    def framework_decl(self, meta: Meta, c: list[Any]) -> ast.FrameworkDecl:
        return ast.FrameworkDecl(str(c[0]), unquote(c[1]), tuple(c[2:]), span=self._span(meta))

    @v_args(meta=True)
    def pillar_decl(self, meta: Meta, c: list[Any]) -> ast.PillarDecl:
        attrs = tuple(x for x in c[2:] if isinstance(x, ast.Attr))
        clauses = tuple(x for x in c[2:] if isinstance(x, ast.ClauseDecl))
        return ast.PillarDecl(str(c[0]), unquote(c[1]), attrs, clauses, span=self._span(meta))

    @v_args(meta=True)
    def clause_decl(self, meta: Meta, c: list[Any]) -> ast.ClauseDecl:
        return ast.ClauseDecl(str(c[0]), unquote(c[1]), tuple(c[2:]), span=self._span(meta))

    @v_args(meta=True)
    def key_requirement_decl(self, meta: Meta, c: list[Any]) -> ast.KeyRequirementDecl:
        span = self._span(meta)
        return ast.KeyRequirementDecl(str(c[0]), unquote(c[1]), tuple(c[2:]), span=span)

    @v_args(meta=True)
    def policy_decl(self, meta: Meta, c: list[Any]) -> ast.PolicyDecl:
        items = c[3:]
        year, amendment = c[2]
        return ast.PolicyDecl(
            str(c[0]),
            str(c[1]),
            year,
            tuple(x for x in items if isinstance(x, ast.Attr)),
            tuple(x for x in items if isinstance(x, ast.WaiverDecl)),
            tuple(x for x in items if isinstance(x, ast.RuleDecl)),
            tuple(x for x in items if isinstance(x, ast.FactsDecl)),
            span=self._span(meta),
            amendment=amendment,
        )

    @v_args(meta=True)
    def waiver_decl(self, meta: Meta, c: list[Any]) -> ast.WaiverDecl:
        return ast.WaiverDecl(str(c[0]), tuple(c[1:]), span=self._span(meta))

    @v_args(meta=True)
    def rule_decl(self, meta: Meta, c: list[Any]) -> ast.RuleDecl:
        span = self._span(meta)
        return ast.RuleDecl(str(c[0]), str(c[1]), unquote(c[2]), tuple(c[3:]), span=span)

    # ---- facts ----------------------------------------------------------------------------
    @v_args(meta=True)
    def facts_decl(self, meta: Meta, c: list[Any]) -> ast.FactsDecl:
        extends = c[0] if c and isinstance(c[0], ast.Path) else None
        fields = tuple(x for x in c if isinstance(x, ast.Field))
        return ast.FactsDecl(extends, fields, span=self._span(meta))

    @v_args(meta=True)
    def field(self, meta: Meta, c: list[Any]) -> ast.Field:
        flags = tuple(x for x in c[2:] if isinstance(x, str) and not isinstance(x, Token))
        question = next(unquote(x) for x in c[2:] if isinstance(x, Token))
        body = c[-1] if isinstance(c[-1], tuple) else None
        return ast.Field(str(c[0]), c[1], flags, question, body, span=self._span(meta))

    def field_body(self, c: list[ast.Field]) -> tuple[ast.Field, ...]:
        return tuple(c)

    def flag_key(self, _: list[Any]) -> str:
        return "key"

    def flag_optional(self, _: list[Any]) -> str:
        return "optional"

    type_bool = _type("bool")

    @v_args(meta=True)
    def type_int(self, meta: Meta, c: list[Any]) -> ast.TypeRef:
        return self._ranged("int", meta, c)

    @v_args(meta=True)
    def type_number(self, meta: Meta, c: list[Any]) -> ast.TypeRef:
        return self._ranged("number", meta, c)

    def _ranged(self, name: str, meta: Meta, c: list[Any]) -> ast.TypeRef:
        low, high = c[1] if len(c) > 1 and c[1] is not None else (None, None)
        return ast.TypeRef(name, low=low, high=high, span=self._span(meta))

    def type_range(self, c: list[int | float]) -> tuple[int | float, int | float]:
        return c[0], c[1]

    def bound(self, c: list[Token | None]) -> int | float:
        sign, digits = c
        assert digits is not None
        value = float(digits) if digits.type == "DECIMAL" else int(digits)
        return -value if sign is not None else value

    type_string = _type("string")
    type_date = _type("date")
    type_duration = _type("duration")
    type_record = _type("record")
    type_list_of_records = _type("list")

    @v_args(meta=True)
    def type_enum(self, meta: Meta, c: list[Token]) -> ast.TypeRef:
        return ast.TypeRef("enum", tuple(str(v) for v in c), span=self._span(meta))

    @v_args(meta=True)
    def type_list(self, meta: Meta, c: list[Any]) -> ast.TypeRef:
        return ast.TypeRef("list", item=c[1], span=self._span(meta))

    # ---- attributes -----------------------------------------------------------------------
    title_attr = _attr("title")
    text_attr = _attr("text")
    erratum_attr = _attr("erratum")
    level_attr = _attr("level")
    owner_attr = _attr("owner")
    evidence_attr = _attr("evidence")
    requires_attr = _attr("requires")
    crosswalk_attr = _attr("crosswalk")
    check_attr = _attr("check")
    mandatory_attr = _attr("mandatory")
    covers_attr = _attr("covers")
    default_attr = _attr("default")
    bounds_attr = _attr("bounds")
    stricter_attr = _attr("stricter")
    ref_attr = _attr("ref")
    target_attr = _attr("target")
    scope_attr = _attr("scope")
    least_scope_attr = _attr("least_scope")
    set_attr = _attr("set")
    exclude_attr = _attr("exclude")
    justification_attr = _attr("justification")
    approver_attr = _attr("approver")
    expires_attr = _attr("expires")

    @v_args(meta=True)
    def source_attr(self, meta: Meta, c: list[Token]) -> ast.Attr:
        """`source seed` → ("seed",); `source "<document>"` → ("document", "<document>")."""
        token = c[0]
        values = ("document", unquote(token)) if token.type == "STRING" else (str(token),)
        return ast.Attr("source", values, span=self._span(meta))

    rationale_attr = _attr("rationale")

    def because(self, c: list[Token]) -> _Because:
        return _Because(unquote(c[0]))

    @v_args(meta=True)
    def withdrawn_attr(self, meta: Meta, c: list[Any]) -> ast.Attr:
        """`withdrawn "reason"` or `withdrawn "reason" in 2024.1`: the version is kept as text."""
        values: tuple[ast.AttrValue, ...] = (unquote(c[0]),)
        if c[1] is not None:
            values += (ast.version_text(*c[1]),)
        return ast.Attr("withdrawn", values, span=self._span(meta))

    def direction(self, c: list[Token]) -> str:
        return str(c[0])

    @v_args(meta=True)
    def crosswalk_ref(self, meta: Meta, c: list[Any]) -> ast.CrosswalkRef:
        ref, relationship, applies = c
        applicability = unquote(applies) if applies is not None else None
        return ast.CrosswalkRef(unquote(ref), relationship, applicability, span=self._span(meta))

    def relationship(self, c: list[Token]) -> str:
        return " ".join(str(t) for t in c)

    # ---- expressions ----------------------------------------------------------------------
    @v_args(meta=True)
    def quantifier(self, meta: Meta, c: list[Any]) -> ast.Quantifier:
        kind, var, source, where, body = c
        return ast.Quantifier(kind, str(var), source, where, body, span=self._span(meta))

    def quantifier_kind(self, c: list[Token]) -> str:
        return str(c[0])

    @v_args(meta=True)
    def count(self, meta: Meta, c: list[Any]) -> ast.Count:
        return ast.Count(str(c[0]), c[1], c[2], span=self._span(meta))

    @v_args(meta=True)
    def implies(self, meta: Meta, c: list[Any]) -> ast.Implies:
        return ast.Implies(c[0], c[1], span=self._span(meta))

    @v_args(meta=True)
    def or_(self, meta: Meta, c: list[Any]) -> ast.Or:
        return ast.Or(c[0], c[1], span=self._span(meta))

    @v_args(meta=True)
    def and_(self, meta: Meta, c: list[Any]) -> ast.And:
        return ast.And(c[0], c[1], span=self._span(meta))

    @v_args(meta=True)
    def not_(self, meta: Meta, c: list[Any]) -> ast.Not:
        return ast.Not(c[0], span=self._span(meta))

    cmp_eq = _compare("==")
    cmp_ne = _compare("!=")
    cmp_lt = _compare("<")
    cmp_le = _compare("<=")
    cmp_gt = _compare(">")
    cmp_ge = _compare(">=")
    member = _compare("in")
    not_member = _compare("not in")
    add = _arith("+")
    sub = _arith("-")
    mul = _arith("*")
    div = _arith("/")

    @v_args(meta=True)
    def neg(self, meta: Meta, c: list[Any]) -> ast.Neg:
        return ast.Neg(c[0], span=self._span(meta))

    @v_args(meta=True)
    def param_ref(self, meta: Meta, c: list[Token]) -> ast.ParamRef:
        return ast.ParamRef(str(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def call(self, meta: Meta, c: list[Any]) -> ast.Call:
        args = tuple(x for x in c[1:] if x is not None)
        return ast.Call(str(c[0]), args, span=self._span(meta))

    @v_args(meta=True)
    def list_lit(self, meta: Meta, c: list[Any]) -> ast.ListLit:
        return ast.ListLit(tuple(x for x in c if x is not None), span=self._span(meta))

    @v_args(meta=True)
    def path(self, meta: Meta, c: list[Token]) -> ast.Path:
        return ast.Path(tuple(str(t) for t in c), span=self._span(meta))

    @v_args(meta=True)
    def true_lit(self, meta: Meta, _: list[Token]) -> ast.BoolLit:
        return ast.BoolLit(True, span=self._span(meta))

    @v_args(meta=True)
    def false_lit(self, meta: Meta, _: list[Token]) -> ast.BoolLit:
        return ast.BoolLit(False, span=self._span(meta))

    @v_args(meta=True)
    def int_lit(self, meta: Meta, c: list[Token]) -> ast.IntLit:
        return ast.IntLit(int(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def number_lit(self, meta: Meta, c: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(str(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def string_lit(self, meta: Meta, c: list[Token]) -> ast.StringLit:
        return ast.StringLit(unquote(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def date_lit(self, meta: Meta, c: list[Token]) -> ast.DateLit:
        return ast.DateLit(self._date(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def duration_lit(self, meta: Meta, c: list[Any]) -> ast.DurationLit:
        return ast.DurationLit(int(c[0]), str(c[1]), span=self._span(meta))

    def unit(self, c: list[Token]) -> str:
        return str(c[0])
