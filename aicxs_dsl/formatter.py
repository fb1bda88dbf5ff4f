"""AST → canonical `.aicx` text: two-space indentation, one attribute per line, comments kept.

The layout is fixed (so diffs show only real changes) and idempotent: formatting formatted
text changes nothing, and `parse(format(x)) == parse(x)`. Blank lines the author put between
items are kept (one at most); comments stay with the item that follows them, or at the end of
the line they ended. Long checks break before `and` / `or`, and after a quantifier's `:`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span

WIDTH = 100
_QUOTE_RUN = re.compile('"{3,}')
INDENT = "  "

# Binding strength: a child needs brackets when it binds more loosely than its place allows.
_QUANT, _IMPLIES, _OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _ATOM = range(10)


def format_module(module: ast.Module) -> str:
    return _Writer(module).run()


class _Writer:
    def __init__(self, module: ast.Module) -> None:
        self.module = module
        self.lines: list[str] = []
        self.origins: list[int] = []  # the source line each output line ends
        self.comments = sorted(module.comments, key=lambda c: c.line)
        self.next_comment = 0
        self.text_lines = module.span.source.text.split("\n") if module.span.end else []

    def run(self) -> str:
        for i, decl in enumerate(self.module.decls):
            self._item(decl.span, 0, force_blank=i > 0)
            self._decl(decl)
        self._comments_before(10**9, 0)
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return "\n".join(self.lines) + "\n" if self.lines else ""

    # ---- lines and comments -------------------------------------------------------------
    def emit(self, depth: int, text: str, origin: int) -> None:
        self.lines.append(f"{INDENT * depth}{text}" if text else "")
        self.origins.append(origin)

    def _item(self, span: Span, depth: int, force_blank: bool = False) -> None:
        """Before an item: the comments above it, and a blank line if the author left one."""
        line = span.line
        first = self.comments[self.next_comment].line if self._pending(line) else line
        after_previous = not self.origins or first > self.origins[-1]  # not on the same line
        blank = force_blank or (after_previous and first >= 2 and self._blank(first - 1))
        if blank and self.lines and self.lines[-1] and not self.lines[-1].endswith("{"):
            self.emit(0, "", 0)
        had_comments = first < line
        self._comments_before(line, depth)
        if had_comments and self._blank(line - 1):
            self.emit(0, "", 0)

    def _pending(self, line: int) -> bool:
        return self.next_comment < len(self.comments) and (
            self.comments[self.next_comment].line < line
        )

    def _blank(self, line: int) -> bool:
        return 0 < line <= len(self.text_lines) and not self.text_lines[line - 1].strip()

    def _comments_before(self, line: int, depth: int) -> None:
        while self._pending(line):
            c = self.comments[self.next_comment]
            self.next_comment += 1
            if c.trailing and self.origins and self.origins[-1] == c.line:
                self.lines[-1] += f"  {c.text}"
                continue
            if (
                self.lines
                and self.lines[-1]
                and c.line >= 2
                and self._blank(c.line - 1)
                and not self.lines[-1].endswith("{")
            ):
                self.emit(0, "", 0)
            self.emit(depth, c.text, c.line)

    def _trailing(self, line: int) -> None:
        """A comment at the end of `line` goes at the end of the output line for it."""
        if self._pending(line + 1):
            c = self.comments[self.next_comment]
            if c.trailing and c.line == line:
                self.next_comment += 1
                self.lines[-1] += f"  {c.text}"

    # ---- declarations ---------------------------------------------------------------------
    def _decl(self, d: ast.Decl) -> None:
        match d:
            case ast.StandardDecl():
                version = ast.version_text(d.version, d.amendment)
                self._block(f"standard {d.id} {version}", d.attrs, d.span, 0)
            case ast.LevelDecl():
                self._block(f"level {d.number} {_string(d.name)}", d.attrs, d.span, 0)
            case ast.RoleDecl():
                self._block(f"role {d.name} {_string(d.title)}", d.attrs, d.span, 0)
            case ast.StageDecl():
                self._block(f"stage {d.number} {d.name} {_string(d.title)}", d.attrs, d.span, 0)
            case ast.ParameterDecl():
                self._block(f"parameter {d.name}: {_type(d.type)}", d.attrs, d.span, 0)
            case ast.FrameworkDecl():
                self._block(f"framework {d.id} {_string(d.title)}", d.attrs, d.span, 0)
            case ast.FactsDecl():
                self._facts(d, 0)
            case ast.PillarDecl():
                self._block(f"pillar {d.id} {_string(d.title)}", d.attrs, d.span, 0, d.clauses)
            case ast.KeyRequirementDecl():
                self._block(f"key requirement {d.id} {_string(d.title)}", d.attrs, d.span, 0)
            case ast.PolicyDecl():
                self._block(
                    f"policy {d.name} implements {d.standard} "
                    f"{ast.version_text(d.version, d.amendment)}",
                    d.attrs,
                    d.span,
                    0,
                    (*d.waivers, *d.rules, *d.facts),
                )

    def _block(
        self,
        header: str,
        attrs: Sequence[ast.Attr],
        span: Span,
        depth: int,
        children: Sequence[object] = (),
    ) -> None:
        self.emit(depth, header + " {", span.line)
        self._trailing(span.line)
        for attr in attrs:
            self._item(attr.span, depth + 1)
            self._attr(attr, depth + 1)
        for child in children:
            self._child(child, depth + 1)
        self._close(span, depth)

    def _close(self, span: Span, depth: int) -> None:
        self._comments_before(span.end_line, depth + 1)
        self.emit(depth, "}", span.end_line)
        self._trailing(span.end_line)

    def _child(self, child: object, depth: int) -> None:
        match child:
            case ast.ClauseDecl():
                self._item(child.span, depth)
                self._block(
                    f"clause {child.id} {_string(child.title)}", child.attrs, child.span, depth
                )
            case ast.WaiverDecl():
                self._item(child.span, depth)
                self._block(f"waive {child.clause}", child.attrs, child.span, depth)
            case ast.RuleDecl():
                self._item(child.span, depth)
                self._block(
                    f"rule {child.id} refines {child.refines} {_string(child.title)}",
                    child.attrs,
                    child.span,
                    depth,
                )
            case ast.FactsDecl():
                self._item(child.span, depth)
                self._facts(child, depth)

    def _facts(self, d: ast.FactsDecl, depth: int) -> None:
        head = "facts " + ".".join(d.extends.parts) if d.extends else "facts"
        self.emit(depth, head + " {", d.span.line)
        self._trailing(d.span.line)
        self._fields(d.fields, depth + 1)
        self._close(d.span, depth)

    def _fields(self, fields: Sequence[ast.Field], depth: int) -> None:
        for f in fields:
            self._item(f.span, depth)
            flags = "".join(f" {flag}" for flag in f.flags)
            text = f"{f.name}: {_type(f.type)}{flags} {_string(f.question)}"
            if f.fields is None:
                self.emit(depth, text, f.span.end_line)
                self._trailing(f.span.line)
                continue
            self.emit(depth, text + " {", f.span.line)
            self._trailing(f.span.line)
            self._fields(f.fields, depth + 1)
            self._close(f.span, depth)

    # ---- attributes -----------------------------------------------------------------------
    def _attr(self, attr: ast.Attr, depth: int) -> None:
        name, values = attr.name, attr.values
        line = attr.span.end_line
        if name in ("text", "erratum") and isinstance(values[0], str) and "\n" in values[0]:
            self.emit(depth, f'{name} """', attr.span.line)
            self._trailing(attr.span.line)
            for text_line in values[0].split("\n"):
                escaped = _QUOTE_RUN.sub(
                    lambda m: '\\"' * len(m.group()), text_line.replace("\\", "\\\\")
                )  # no run of three quotes may stand unescaped inside """..."""
                self.emit(depth + 1 if escaped else 0, escaped, 0)
            self.emit(depth, '"""', line)
            self._trailing(line)
            return
        if name in ("check", "default", "set", "bounds", "scope", "least_scope"):
            for i, text in enumerate(_expr_attr(attr, len(INDENT * depth))):
                self.emit(depth if i == 0 else 0, text, line)
        else:
            text = _simple_attr(attr)
            if len(INDENT * depth) + len(text) > WIDTH and name in _LISTS:
                for i, part in enumerate(_wrap_list(attr, len(INDENT * depth))):
                    self.emit(depth if i == 0 else 0, part, line)
            else:
                self.emit(depth, text, line)
        self._trailing(line)


_LISTS = ("evidence", "requires", "covers", "crosswalk")


def _wrap_list(attr: ast.Attr, column: int) -> list[str]:
    """A long comma-separated attribute with one value per line, aligned under the first."""
    head = f"{attr.name} " + (f"{attr.values[0]} " if attr.name == "crosswalk" else "")
    values = attr.values[1:] if attr.name == "crosswalk" else attr.values
    quoted = [str(v) if attr.name in ("requires", "covers") else _string(str(v)) for v in values]
    pad = " " * (column + len(head))
    return [
        head + quoted[0] + ("," if len(quoted) > 1 else ""),
        *(pad + q + ("," if i < len(quoted) - 2 else "") for i, q in enumerate(quoted[1:])),
    ]


def _simple_attr(attr: ast.Attr) -> str:
    name, values = attr.name, attr.values
    match name:
        case "mandatory":
            return "mandatory"
        case "target":
            return f"target level {values[0]}"
        case "crosswalk":
            return f"crosswalk {values[0]} " + ", ".join(_string(str(v)) for v in values[1:])
        case "ref":
            return f"ref {_string(str(values[0]))} {_string(str(values[1]))}"
        case "exclude":
            return f"exclude {values[0]} because {_string(str(values[1]))}"
        case "withdrawn":
            where = f" in {values[1]}" if len(values) > 1 else ""
            return f"withdrawn {_string(str(values[0]))}{where}"
        case "requires" | "covers":
            return f"{name} " + ", ".join(str(v) for v in values)
        case "level" | "owner" | "stricter" | "expires":
            return f"{name} {_scalar(values[0])}"
    return f"{name} " + ", ".join(_string(str(v)) for v in values)


def _scalar(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _expr_attr(attr: ast.Attr, column: int) -> list[str]:
    values = attr.values
    match attr.name:
        case "set":
            return [f"set {values[0]} = {expr_text(_e(values[1]))}"]
        case "bounds":
            return [f"bounds {expr_text(_e(values[0]))} .. {expr_text(_e(values[1]))}"]
        case "scope" | "least_scope":
            where = expr_text(_e(values[2]))
            keyword = "least scope" if attr.name == "least_scope" else "scope"
            head = f"{keyword} {values[0]} in {expr_text(_e(values[1]))} where {where}"
            reason = values[3] if len(values) > 3 else None
            because = f"{' ' * column}{INDENT}because {_string(str(reason))}"
            return [head] if reason is None else [head, because]
    head = f"{attr.name} "
    lines = _wrap(_e(values[0]), column + len(head), _QUANT)
    return [head + lines[0], *lines[1:]]


# ---- expressions ------------------------------------------------------------------------


def expr_text(e: ast.Expr) -> str:
    """An expression on one line, with only the brackets its structure needs."""
    return _one(e, _QUANT)


def _prec(e: ast.Expr) -> int:
    match e:
        case ast.Quantifier():
            return _QUANT
        case ast.Implies():
            return _IMPLIES
        case ast.Or():
            return _OR
        case ast.And():
            return _AND
        case ast.Not():
            return _NOT
        case ast.Compare():
            return _CMP
        case ast.Arith(op=op):
            return _SUM if op in "+-" else _PRODUCT
        case ast.Neg():
            return _UNARY
    return _ATOM


def _one(e: ast.Expr, need: int) -> str:
    text = _bare(e)
    return f"({text})" if _prec(e) < need else text


def _bare(e: ast.Expr) -> str:
    match e:
        case ast.BoolLit(value):
            return "true" if value else "false"
        case ast.IntLit(value):
            return str(value)
        case ast.NumberLit(text):
            return text
        case ast.StringLit(value):
            return _string(value)
        case ast.DateLit(value):
            return value.isoformat()
        case ast.DurationLit(amount, unit):
            return f"{amount} {unit}"
        case ast.ListLit(items):
            return "[" + ", ".join(_one(i, _QUANT) for i in items) + "]"
        case ast.Path(parts):
            return ".".join(parts)
        case ast.ParamRef(name):
            return f"param {name}"
        case ast.Call(name, args):
            return f"{name}(" + ", ".join(_one(a, _QUANT) for a in args) + ")"
        case ast.Not(operand):
            return f"not {_one(operand, _NOT)}"
        case ast.And(left, right):
            return f"{_one(left, _AND)} and {_one(right, _NOT)}"
        case ast.Or(left, right):
            return f"{_one(left, _OR)} or {_one(right, _AND)}"
        case ast.Implies(left, right):  # `(a or b) implies c`: brackets for the reader
            return f"{_one(left, _AND)} implies {_one(right, _IMPLIES)}"
        case ast.Compare(op, left, right):
            return f"{_one(left, _SUM)} {op} {_one(right, _SUM)}"
        case ast.Arith(op, left, right):
            own = _SUM if op in "+-" else _PRODUCT
            return f"{_one(left, own)} {op} {_one(right, own + 1)}"
        case ast.Neg(operand):
            return f"-{_one(operand, _UNARY)}"
        case ast.Quantifier():
            return _quantifier_head(e) + " " + _one(e.body, _QUANT)
        case ast.Count(var, source, where):
            filt = f" where {_one(where, _IMPLIES)}" if where is not None else ""
            return f"count({var} in {'.'.join(source.parts)}{filt})"
    raise AssertionError(f"unhandled expression {e!r}")


def _quantifier_head(q: ast.Quantifier) -> str:
    filt = f" where {_one(q.where, _IMPLIES)}" if q.where is not None else ""
    return f"{q.kind} {q.var} in {'.'.join(q.source.parts)}{filt}:"


def _wrap(e: ast.Expr, column: int, need: int) -> list[str]:
    """`e` as lines: the first continues the current line at `column`; the rest are indented
    to start at `column` too (continuation lines carry their own indentation)."""
    flat = _one(e, need)
    if column + len(flat) <= WIDTH:
        return [flat]
    bracket = _prec(e) < need
    inner_col = column + 1 if bracket else column
    lines = _wrap_bare(e, inner_col)
    if bracket:
        lines[0] = "(" + lines[0]
        lines[-1] += ")"
    return lines


def _wrap_bare(e: ast.Expr, column: int) -> list[str]:
    pad = " " * column
    if isinstance(e, ast.And | ast.Or):
        op = "and" if isinstance(e, ast.And) else "or"
        operands = _chain(e, type(e))
        strength = _AND if op == "and" else _OR
        first = _wrap(operands[0], column, strength)
        lines = list(first)
        for operand in operands[1:]:
            part = _wrap(operand, column + len(op) + 1, strength + 1)
            lines.append(f"{pad}{op} {part[0]}")
            lines.extend(part[1:])
        return lines
    if isinstance(e, ast.Quantifier):
        body_col = column + 2
        body = _wrap(e.body, body_col, _QUANT)
        return [_quantifier_head(e), " " * body_col + body[0], *body[1:]]
    if isinstance(e, ast.Implies):
        left = _wrap(e.left, column, _AND)
        right = _wrap(e.right, column + len("implies "), _IMPLIES)
        return [*left, f"{pad}implies {right[0]}", *right[1:]]
    return [_bare(e)]


def _chain(e: ast.Expr, kind: type) -> list[ast.Expr]:
    """`a and b and c` (left-nested) as `[a, b, c]`."""
    out: list[ast.Expr] = []
    while isinstance(e, ast.And | ast.Or) and type(e) is kind:
        out.append(e.right)
        e = e.left
    out.append(e)
    return out[::-1]


def _e(value: ast.AttrValue) -> ast.Expr:
    """An attribute value that the grammar guarantees is an expression."""
    assert not isinstance(value, str | int | dt.date), value
    return value


def _type(t: ast.TypeRef) -> str:
    if t.name == "enum":
        return "enum(" + ", ".join(t.values) + ")"
    if t.name == "list" and t.item is not None:
        return f"list of {_type(t.item)}"
    if t.low is not None and t.high is not None:
        return f"{t.name} {_number(t.low)} .. {_number(t.high)}"
    return t.name


def _number(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped.replace(chr(9), chr(92) + "t")}"'
