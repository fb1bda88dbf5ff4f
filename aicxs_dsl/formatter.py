"""AST → canonical `.aicx` text: two-space indentation, one attribute per line, comments kept.

The layout is fixed (so diffs show only real changes) and idempotent: formatting formatted
text changes nothing, and `parse(format(x)) == parse(x)`. Blank lines the author put between
items are kept (one at most); comments stay with the item that follows them, or at the end of
the line they ended. Long checks wrap at `WIDTH`: they break before `and` / `or` / `implies`,
after a quantifier's `:` and inside a long `where`, continuation lines aligned under the start of
the expression (as spec/aicxs-2024.aicx is written).

Comments inside an attribute stay where they were written. Each line break the layout could make
(before an operand of `and` / `or`, before `implies`' right side, before a quantifier's body,
before each item of a list, before `because`) is an anchor. A comment on a line of its own is
put before the first anchor after it; a comment at the end of a line goes at the end of the line
before that anchor; the layout breaks at the anchors the comments chose (and wherever the width
asks). The comment then stands just before its anchor, so formatting again chooses the same
anchor: idempotent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span

WIDTH = 100
_QUOTE_RUN = re.compile('"{3,}')
INDENT = "  "

# Binding strength: a child needs brackets when it binds more loosely than its place allows.
_QUANT, _IMPLIES, _OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _ATOM = range(10)

# A line of an attribute: its text (continuation lines carry their own indentation) and the
# source offset of the first thing on it (where the author's comments are placed from).
Line = tuple[str, int]
# What lies between the items of a list attribute: strings (skipped whole), comments, commas.
_LIST_LEXEME = re.compile(r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|,')
_SPACE_AND_COMMENTS = re.compile(r"(?:\s|#[^\n]*)*")


@dataclass(frozen=True, slots=True)
class _Breaks:
    """Where the layout must break: at these source offsets (anchors a comment chose), or
    everywhere it can (to find the anchors)."""

    at: frozenset[int] = frozenset()
    everywhere: bool = False

    def must(self, e: ast.Expr) -> bool:
        return self.everywhere or any(e.span.start < p < e.span.end for p in self.at)


_NONE = _Breaks()
_ALL = _Breaks(everywhere=True)


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
        starts = module.span.source.line_starts if module.span.end else []
        # Where each comment starts: it runs to the end of its line.
        self.offsets = [
            starts[c.line - 1] + len(self.text_lines[c.line - 1].rstrip()) - len(c.text)
            if c.line <= len(starts)
            else 0
            for c in self.comments
        ]

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
        multiline = name in ("text", "erratum", "rationale")
        if multiline and isinstance(values[0], str) and "\n" in values[0]:
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
        column = len(INDENT * depth)
        inner = self._inner_comments(attr.span)
        placed: list[tuple[ast.Comment, int | None]] = []
        if inner:
            anchors = sorted(off for _, off in _attr_lines(attr, column, _ALL)[1:])
            for c, offset in inner:
                after = next((a for a in anchors if a > offset), None)
                if after is None and not c.trailing:
                    before = [a for a in anchors if a <= offset]
                    after = before[-1] if before else None  # None: above the attribute
                placed.append((c, after))
            breaks = _Breaks(frozenset(a for _, a in placed if a is not None))
        lines = _attr_lines(attr, column, breaks if inner else _NONE)
        for c, anchor in placed:
            if anchor is None and not c.trailing:
                self.emit(depth, c.text, c.line)
        for i, (text, offset) in enumerate(lines):
            if i:
                indent = " " * (len(text) - len(text.lstrip()))
                for c, anchor in placed:
                    if anchor == offset and not c.trailing:
                        self.emit(0, indent + c.text, 0)
            self.emit(0 if i else depth, text, line if i == len(lines) - 1 else 0)
            following = lines[i + 1][1] if i + 1 < len(lines) else None
            for c, anchor in placed:
                if c.trailing and anchor == following:
                    self.lines[-1] += f"  {c.text}"
        self._trailing(line)

    def _inner_comments(self, span: Span) -> list[tuple[ast.Comment, int]]:
        """The comments written inside an attribute (between its first and last token), each
        with its offset; taken, so that no other item places them."""
        found = []
        while (
            self.next_comment < len(self.comments)
            and self.comments[self.next_comment].line <= span.end_line
            and span.start < self.offsets[self.next_comment] < span.end
        ):
            found.append((self.comments[self.next_comment], self.offsets[self.next_comment]))
            self.next_comment += 1
        return found


_LISTS = ("evidence", "requires", "covers", "crosswalk")


def _wrap_list(attr: ast.Attr, column: int, split: bool = True) -> list[str]:
    """A long comma-separated attribute with one value per line, aligned under the first."""
    head = f"{attr.name} " + (f"{attr.values[0]} " if attr.name == "crosswalk" else "")
    values = attr.values[1:] if attr.name == "crosswalk" else attr.values
    quoted = [
        str(v)
        if attr.name in ("requires", "covers")
        else _crosswalk_ref(v)
        if attr.name == "crosswalk"
        else _string(str(v))
        for v in values
    ]
    pad = " " * (column + len(head))
    lines = [
        head + quoted[0] + ("," if len(quoted) > 1 else ""),
        *(pad + q + ("," if i < len(quoted) - 2 else "") for i, q in enumerate(quoted[1:])),
    ]
    if attr.name == "crosswalk" and split:  # a long applicability goes on a line of its own
        lines = [part for text in lines for part in _split_applies(text, column, pad)]
    return lines


def _applies_offset(attr: ast.Attr, item: int) -> int:
    """Where the `applies to` of the reference written at `item` starts in the source: the
    line it is moved to is anchored there, so a comment written after it stays with it."""
    at = attr.span.source.text.find("applies", item, attr.span.end)
    return at if at >= 0 else item


def _split_crosswalk(attr: ast.Attr, line: str, column: int) -> list[str]:
    """One line of a wrapped list; for a crosswalk, its long `applies to` on a line of its own."""
    if attr.name != "crosswalk":
        return [line]
    pad = " " * (column + len(f"crosswalk {attr.values[0]} "))
    return _split_applies(line, column, pad)


def _split_applies(text: str, column: int, pad: str) -> list[str]:
    """`"Art. 10" related to applies to "..."` past the line length: `applies to` on the next
    line, indented under the reference."""
    at = text.find(' applies to "', len(pad) if text.startswith(pad) else 0)
    if column + len(text) <= WIDTH or at < 0:
        return [text]
    return [text[:at], pad + INDENT + text[at + 1 :]]


def _simple_attr(attr: ast.Attr) -> str:
    name, values = attr.name, attr.values
    match name:
        case "mandatory":
            return "mandatory"
        case "target":
            return f"target level {values[0]}"
        case "crosswalk":
            return f"crosswalk {values[0]} " + ", ".join(_crosswalk_ref(v) for v in values[1:])
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
        case "source":
            return (
                f"source {_string(str(values[1]))}" if len(values) == 2 else f"source {values[0]}"
            )
    return f"{name} " + ", ".join(_string(str(v)) for v in values)


def _scalar(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _attr_lines(attr: ast.Attr, column: int, breaks: _Breaks) -> list[Line]:
    """An attribute (not a `\"\"\"` text) as lines: the first starts at `column`."""
    if attr.name in ("check", "default", "set", "bounds", "scope", "least_scope"):
        return _expr_attr(attr, column, breaks)
    text = _simple_attr(attr)
    if attr.name in _LISTS and (breaks.at or breaks.everywhere or column + len(text) > WIDTH):
        lines = [
            (part, offset if i == 0 else _applies_offset(attr, offset))
            for line, offset in zip(
                _wrap_list(attr, column, split=False), _item_offsets(attr), strict=True
            )
            for i, part in enumerate(_split_crosswalk(attr, line, column))
        ]
    else:
        lines = [(text, attr.span.start)]
    return _with_because(attr, column, lines)


def _with_because(attr: ast.Attr, column: int, lines: list[Line]) -> list[Line]:
    """`level 2` / `covers ...` with its `because "..."`: on the line when it fits, else on a
    line of its own, indented under the attribute."""
    if attr.because is None:
        return lines
    because = f"because {_string(attr.because)}"
    last, offset = lines[-1]
    if len(lines) == 1 and column + len(last) + 1 + len(because) <= WIDTH:
        return [(f"{last} {because}", offset)]
    source = attr.span.source.text
    at = source.rfind("because", attr.span.start, attr.span.end)
    return [*lines, (f"{' ' * column}{INDENT}{because}", at if at >= 0 else offset)]


def _item_offsets(attr: ast.Attr) -> list[int]:
    """Where each line of `_wrap_list` starts in the source: the attribute, then the item
    after each comma (past the spaces and comments that follow the comma)."""
    span = attr.span
    text = span.source.text
    offsets = [span.start]
    for m in _LIST_LEXEME.finditer(text, span.start, span.end):
        if m.group() == ",":
            offsets.append(_SPACE_AND_COMMENTS.match(text, m.end()).end())  # type: ignore[union-attr]
    count = len(attr.values) - (1 if attr.name == "crosswalk" else 0)
    return (offsets + [span.start] * count)[:count]


def _expr_attr(attr: ast.Attr, column: int, breaks: _Breaks) -> list[Line]:
    values, start = attr.values, attr.span.start
    match attr.name:
        case "set":
            head = f"set {values[0]} = "
        case "bounds":
            return [(f"bounds {expr_text(_e(values[0]))} .. {expr_text(_e(values[1]))}", start)]
        case "scope" | "least_scope":
            keyword = "least scope" if attr.name == "least_scope" else "scope"
            # On one line, as the example policies write it (their lines are pinned by the
            # reports that cite them): a scope's condition is a short list of properties.
            where = _e(values[2])
            out = [
                (
                    f"{keyword} {values[0]} in {expr_text(_e(values[1]))} where {expr_text(where)}",
                    start,
                )
            ]
            if len(values) > 3 and values[3] is not None:
                text = attr.span.source.text
                because = _SPACE_AND_COMMENTS.match(text, where.span.end).end()  # type: ignore[union-attr]
                out.append((f"{' ' * column}{INDENT}because {_string(str(values[3]))}", because))
            return out
        case _:
            head = f"{attr.name} "
    expr = _e(values[-1])
    lines = _wrap(expr, column + len(head), _QUANT, breaks)
    return [(head + lines[0][0], start), *lines[1:]]


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


def _wrap(
    e: ast.Expr, column: int, need: int, breaks: _Breaks = _NONE, tail: int = 0
) -> list[Line]:
    """`e` as lines: the first continues the current line at `column`; the rest are indented
    to start at `column` too (continuation lines carry their own indentation). `tail`: how
    many characters will follow on the last line."""
    flat = _one(e, need)
    if not breaks.must(e) and column + len(flat) + tail <= WIDTH:
        return [(flat, e.span.start)]
    bracket = _prec(e) < need
    lines = _wrap_bare(e, column + 1 if bracket else column, breaks, tail + bracket)
    if bracket:
        lines[0] = ("(" + lines[0][0], lines[0][1])
        lines[-1] = (lines[-1][0] + ")", lines[-1][1])
    return lines


def _wrap_bare(e: ast.Expr, column: int, breaks: _Breaks, tail: int) -> list[Line]:
    pad = " " * column
    if isinstance(e, ast.And | ast.Or):
        op = "and" if isinstance(e, ast.And) else "or"
        operands = _chain(e, type(e))
        strength = _AND if op == "and" else _OR
        lines = _wrap(operands[0], column, strength, breaks)
        for i, operand in enumerate(operands[1:], 2):
            last = tail if i == len(operands) else 0
            part = _wrap(operand, column + len(op) + 1, strength + 1, breaks, last)
            lines.append((f"{pad}{op} {part[0][0]}", part[0][1]))
            lines.extend(part[1:])
        return lines
    if isinstance(e, ast.Quantifier):
        head = f"{e.kind} {e.var} in {'.'.join(e.source.parts)}"
        lines = [(head + ":", e.span.start)]
        if e.where is not None:
            where = _wrap(e.where, column + len(head) + 7, _IMPLIES, breaks, 1)
            lines = [(f"{head} where {where[0][0]}", e.span.start), *where[1:]]
            lines[-1] = (lines[-1][0] + ":", lines[-1][1])
        body = _wrap(e.body, column + 2, _QUANT, breaks, tail)
        return [*lines, (" " * (column + 2) + body[0][0], body[0][1]), *body[1:]]
    if isinstance(e, ast.Implies):
        left = _wrap(e.left, column, _AND, breaks)
        right = _wrap(e.right, column + len("implies "), _IMPLIES, breaks, tail)
        return [*left, (f"{pad}implies {right[0][0]}", right[0][1]), *right[1:]]
    if isinstance(e, ast.Not):
        inner = _wrap(e.operand, column + 4, _NOT, breaks, tail)
        return [("not " + inner[0][0], e.span.start), *inner[1:]]
    if isinstance(e, ast.Compare):
        after = f" {e.op} {_one(e.right, _SUM)}"
        lines = _wrap(e.left, column, _SUM, breaks, len(after) + tail)
        text, offset = lines[-1]
        at = (column if len(lines) == 1 else 0) + len(text) + len(e.op) + 2
        right = _wrap(e.right, at, _SUM, breaks, tail)
        lines[-1] = (f"{text} {e.op} {right[0][0]}", offset)
        return [*lines, *right[1:]]
    if isinstance(e, ast.Count) and e.where is not None:
        head = f"count({e.var} in {'.'.join(e.source.parts)} where "
        where = _wrap(e.where, column + len(head), _IMPLIES, breaks, tail + 1)
        lines = [(head + where[0][0], e.span.start), *where[1:]]
        lines[-1] = (lines[-1][0] + ")", lines[-1][1])
        return lines
    return [(_bare(e), e.span.start)]


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
    assert not isinstance(value, str | int | dt.date | ast.CrosswalkRef), value
    return value


def _crosswalk_ref(value: ast.AttrValue) -> str:
    """`"Art. 10" related to applies to "providers of high-risk AI systems"`."""
    assert isinstance(value, ast.CrosswalkRef), value
    out = _string(value.ref)
    if value.relationship is not None:
        out += f" {value.relationship}"
    if value.applicability is not None:
        out += f" applies to {_string(value.applicability)}"
    return out


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
