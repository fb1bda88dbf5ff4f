"""What a change of words or of a number means: the words a text change drops and adds
(`quarterly → monthly`), and, when two checks differ only in their numbers, whether each number
moved the stricter or the looser way.

A number is judged by the comparison it stands in and by what the check needs of it: in
`age <= 92 days` a smaller number asks more (stricter); in `coverage >= 0.9` a larger one does.
Under `not`, on the left of `implies`, in the `where` of `all` and in `none`, the check asks the
opposite, so the direction turns. A number anywhere else (arithmetic, `count`, `==`, a function's
argument) is only "changed": no direction can be told without evaluating.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.aicxs_dsl.textdiff import opcodes
from aicxs.engine.types import Duration

# Words that state how often or how soon: a text change touching one is about an obligation.
TIME_WORDS = frozenset(
    (
        *("hourly", "daily", "weekly", "fortnightly", "monthly", "quarterly", "yearly"),
        *("annually", "biannually", "biennially", "immediately", "promptly"),
    )
)
SHOWN = 3  # changed passages named in a summary; all of them are in the JSON `words`


def changed_words(old: str, new: str) -> list[tuple[str, str]]:
    """Each passage a text change replaces, as (dropped words, added words); either may be
    empty (words only added, or only dropped). Punctuation alone is not a passage."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    found = [
        (_joined(a[i1:i2]), _joined(b[j1:j2]))
        for op, i1, i2, j1, j2 in opcodes(a, b)
        if op != "equal"
    ]
    return [(_worded(x), _worded(y)) for x, y in found if _WORD.search(x + y)]


def _worded(passage: str) -> str:
    """A passage as shown: without the punctuation at its ends; empty if it is nothing else."""
    return passage.strip(" ,;:.") if _WORD.search(passage) else ""


_TOKEN = re.compile(r"\w+(?:[.'’/-]\w+)*|[^\w\s]")  # words (`30`, `0.9`, `re-approved`), marks


_WORD = re.compile(r"\w")
LONG = 8  # words of a passage shown in a summary


def _joined(tokens: list[str]) -> str:
    return re.sub(r" ([,.;:!?)%])", r"\1", " ".join(tokens)).replace("( ", "(")


def words_text(words: list[tuple[str, str]]) -> str:
    """`quarterly → monthly; + within 30 days`: the first few passages, for a summary."""
    shown = [_passage(old, new) for old, new in words[:SHOWN]]
    more = len(words) - SHOWN
    return "; ".join(shown) + (f"; ... ({more} more)" if more > 0 else "")


def _passage(old: str, new: str) -> str:
    old, new = _short(old), _short(new)
    if old and new:
        return f"{old} → {new}"
    return f"+ {new}" if new else f"- {old}"


def _short(text: str) -> str:
    words = text.split()
    return " ".join(words[:LONG]) + " ..." if len(words) > LONG else text


def touches_obligation(words: list[tuple[str, str]]) -> bool:
    """Does a text change drop or add a number or a word of frequency (`quarterly`)?"""
    for old, new in words:
        for word in f"{old} {new}".lower().split():
            if any(ch.isdigit() for ch in word) or word.strip(".,;:()") in TIME_WORDS:
                return True
    return False


# ---- numbers in checks -----------------------------------------------------------------------

_NUMBERS = (ast.IntLit, ast.NumberLit, ast.DurationLit, ast.DateLit)
_ORDER = ("<", "<=", ">", ">=")


class _Different(Exception):
    """The checks differ in more than their numbers."""


def number_moves(old: ast.Expr, new: ast.Expr) -> list[tuple[str, str, str]] | None:
    """(old number, new number, `stricter` | `looser` | `changed`) for each number that differs
    between two checks of the same shape; None when they differ in anything else."""
    moves: list[tuple[str, str, str]] = []
    try:
        _walk(old, new, 1, None, moves)
    except _Different:
        return None
    return moves


def _walk(
    a: Any, b: Any, sign: int, cmp: tuple[str, str] | None, moves: list[tuple[str, str, str]]
) -> None:
    """`sign`: 1 when the check needs `a` true, -1 when it needs it false, 0 when unknown.
    `cmp`: (operator, side) when `a` is an operand of a comparison."""
    if type(a) is not type(b):
        raise _Different
    if isinstance(a, _NUMBERS):
        if a != b:
            moves.append((expr_text(a), expr_text(b), _way(a, b, sign, cmp)))
        return
    match a:
        case ast.Not():
            _walk(a.operand, b.operand, -sign, None, moves)
        case ast.Implies():
            _walk(a.left, b.left, -sign, None, moves)
            _walk(a.right, b.right, sign, None, moves)
        case ast.And() | ast.Or():
            _walk(a.left, b.left, sign, None, moves)
            _walk(a.right, b.right, sign, None, moves)
        case ast.Compare():
            if a.op != b.op:
                raise _Different
            _walk(a.left, b.left, sign, (a.op, "left"), moves)
            _walk(a.right, b.right, sign, (a.op, "right"), moves)
        case ast.Quantifier():
            if (a.kind, a.var, a.source) != (b.kind, b.var, b.source):
                raise _Different
            where = sign if a.kind == "any" else -sign  # `all ... where w: b` is `w implies b`
            if (a.where is None) != (b.where is None):
                raise _Different
            if a.where is not None:
                _walk(a.where, b.where, where, None, moves)
            _walk(a.body, b.body, -sign if a.kind == "none" else sign, None, moves)
        case tuple():
            if len(a) != len(b):
                raise _Different
            for x, y in zip(a, b, strict=True):
                _walk(x, y, 0, None, moves)
        case _ if dataclasses.is_dataclass(a):
            for f in dataclasses.fields(a):
                if f.name != "span":
                    _walk(getattr(a, f.name), getattr(b, f.name), 0, None, moves)
        case _:
            if a != b:
                raise _Different


def _way(a: ast.Expr, b: ast.Expr, sign: int, cmp: tuple[str, str] | None) -> str:
    before, after = _value(a), _value(b)
    if sign == 0 or cmp is None or cmp[0] not in _ORDER or before is None or after is None:
        return "changed"
    ceiling = (cmp[0] in ("<", "<=")) == (cmp[1] == "right")  # the number caps the other side
    looser = (after > before) == ceiling  # type: ignore[operator]
    return "looser" if looser == (sign > 0) else "stricter"


def _value(e: ast.Expr) -> int | float | dt.date | None:
    match e:
        case ast.IntLit(v) | ast.DateLit(v):
            return v
        case ast.NumberLit(text):
            return float(text)
        case ast.DurationLit(amount, unit):
            try:
                return int(Duration.of(amount, unit))
            except (KeyError, ValueError):  # a unit measured on the calendar
                return None
    return None


def moves_text(moves: list[tuple[str, str, str]]) -> str:
    """`92 days → 30 days (stricter)`, for each number that moved."""
    return "; ".join(f"{old} → {new} ({way})" for old, new, way in moves)


def overall(moves: list[tuple[str, str, str]]) -> str:
    """`stricter` or `looser` when every number moved that way, otherwise `changed`."""
    ways = {way for _, _, way in moves}
    return ways.pop() if len(ways) == 1 else "changed"
