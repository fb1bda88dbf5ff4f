"""The values of evaluation, and the pure logic over them: the third truth value `UNKNOWN`,
`EvalError`, the `Node` tree that records what a check read and decided, Kleene's `and`,
`or`, `not` and `implies`, comparison and arithmetic (dates and durations included), and how a
value is written back in the language. No facts, no context: the interpreter (`evaluator.py`)
and the compiled fast path (`compiler.py`) both build on this module.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.missing import EMPTY, MissingFacts, concrete_path, from_sets
from aicxs.engine.types import Duration


class _Unknown:
    """The third truth value: a fact the decision needs is missing."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True, slots=True)
class EvalError:
    """A check that broke on these facts (a value of an unexpected type, a division by 0)."""

    message: str


@dataclass(slots=True)
class Read:
    """One fact a node read: its path (as shown and as JSON path) and value."""

    path: str  # `systems[voice-ivr].escalation.max_wait`
    json_path: str  # `$.systems[2].escalation.max_wait`
    value: Any  # UNKNOWN when absent
    fact: str = ""  # `systems[].escalation.max_wait`: the vocabulary's path ("": `path`)
    item: str = ""  # `systems[voice-ivr]`: the item it belongs to ("" outside lists)


@dataclass(slots=True)
class Item:
    """One item of a quantifier: its name (the record's key) and the body's node."""

    name: str
    truth: Any  # True / False / UNKNOWN / EvalError
    where: Node | None
    body: Node | None


@dataclass(slots=True)
class Node:
    expr: ast.Expr
    value: Any
    children: Sequence[Node] = ()  # () when there are none: no list per leaf
    reads: Sequence[Read] = ()
    items: list[Item] | None = None  # quantifiers and count: the items worth showing
    hint: str = ""  # what would make a false comparison pass
    unlisted: int = 0  # in-range items the fast path decided without deciding the result
    cited: tuple[str, ...] = ()  # facts a compactly reported condition read (for evidence)
    # Compact explanations record the first few unknown items of a quantifier; the others are
    # counted here, with what they miss (fact → items, as `missing_pairs` gives them).
    untold: int = 0
    absent: dict[str, list[str]] | None = None

    @property
    def truth(self) -> str:
        return truth_of(self.value)

    def missing(self) -> list[str]:
        """Every fact path whose absence this node met: see `missing_pairs`."""
        return sorted({concrete_path(fact, item) for fact, item in self.missing_pairs()})

    def missing_pairs(self, decided_too: bool = True) -> Iterator[tuple[str, str]]:
        """(fact, item) of each missing fact this node read, repeats included: whatever the
        node's value (a failure stands in front of them, and once it is fixed they decide: a
        roadmap must ask for them), and inside a quantifier those of each item that decides
        it (a failing item of `all`), the same. An unknown item gives what made it unknown
        (`decided_too` False: a decided condition inside it needs nothing more); an item that
        decides nothing gives nothing."""
        if not decided_too and self.value is not UNKNOWN:
            return
        for r in self.reads:
            if r.value is UNKNOWN:
                yield (r.fact or r.path), r.item
        for child in self.relevant_children():
            yield from child.missing_pairs(decided_too)
        for item in self.items or ():
            if item.truth is UNKNOWN:
                for part in (item.where, item.body):
                    if part is not None:
                        yield from part.missing_pairs(False)
            elif self._decides(item) and item.body is not None:
                yield from item.body.missing_pairs()  # its filter held: nothing it read matters
        for fact, items in (self.absent or {}).items():
            for name in items:
                yield fact, name

    def relevant_children(self) -> Sequence[Node]:
        """The operands whose missing facts matter: all of them, except where the node holds
        whatever the others are: an `or` with a true operand (only the true ones count) and an
        `implies` with a false first part or a true second part (only that part counts). So
        `s.kind == "generative_assistant" implies s.disclosure.synthetic_content_marked` asks
        nothing of a voice assistant."""
        if self.value is not True or not self.children:
            return self.children
        if isinstance(self.expr, ast.Implies):
            first, second = self.children
            return (first,) if first.value is False else (second,)
        if isinstance(self.expr, ast.Or):
            return [c for c in self.children if c.value is True]
        return self.children

    def _decides(self, item: Item) -> bool:
        """Whether a decided item decides its quantifier: false in `all`, true in `any` and
        `none` (always interpreted, never only counted, whatever the explanation mode)."""
        kind = getattr(self.expr, "kind", None)
        against = {"all": False, "any": True, "none": True}
        return kind in against and item.truth is against[kind]

    def missing_facts(
        self, interned: dict[str, str] | None = None, questions: Mapping[str, str] | None = None
    ) -> MissingFacts:
        """What `missing_pairs` gives, grouped by fact (with `questions`, each fact's), each
        item's path kept once in `interned`."""
        found: dict[str, set[str]] = {}
        self.missing_sets(found, {} if interned is None else interned)
        return from_sets(found, questions) if found else EMPTY

    def missing_sets(
        self, found: dict[str, set[str]], interned: dict[str, str], decided_too: bool = True
    ) -> None:
        """Add what `missing_pairs` gives to `found` (fact → items), one copy of each item's
        path kept in `interned`: the grouped form results keep, built without the pairs."""
        if not decided_too and self.value is not UNKNOWN:
            return
        for r in self.reads:
            if r.value is UNKNOWN:
                found.setdefault(r.fact or r.path, set()).add(interned.setdefault(r.item, r.item))
        for child in self.relevant_children():
            child.missing_sets(found, interned, decided_too)
        for item in self.items or ():
            if item.truth is not UNKNOWN and self._decides(item) and item.body is not None:
                item.body.missing_sets(found, interned)
        self.unknown_items_missing(found, interned)

    def unknown_items_missing(self, found: dict[str, set[str]], interned: dict[str, str]) -> None:
        """What the unknown items of a quantifier miss, whatever the quantifier's own truth."""
        for item in self.items or ():
            if item.truth is UNKNOWN:
                for part in (item.where, item.body):
                    if part is not None:
                        part.missing_sets(found, interned, False)
        for fact, items in (self.absent or {}).items():
            found.setdefault(fact, set()).update(items)


def truth_of(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, EvalError):
        return "error"
    return "value"


# ---- three-valued logic ---------------------------------------------------------------------


def kleene_not(a: Any) -> Any:
    if a is True or a is False:
        return not a
    return a


def kleene_and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    if isinstance(a, EvalError):
        return a
    if isinstance(b, EvalError):
        return b
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return True


def kleene_or(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    if isinstance(a, EvalError):
        return a
    if isinstance(b, EvalError):
        return b
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return False


def kleene_implies(a: Any, b: Any) -> Any:
    return kleene_or(kleene_not(a), b)


def _as_truth(value: Any) -> Any:
    if value is True or value is False or value is UNKNOWN or isinstance(value, EvalError):
        return value
    return EvalError(f"expected true or false, got {render_value(value)}")


# ---- values ---------------------------------------------------------------------------------


def _collect(values: list[Any]) -> Any:
    for v in values:
        if v is UNKNOWN or isinstance(v, EvalError):
            return v
    return values


def negate(a: Any) -> Any:
    """`-x` for numbers and durations (a negated duration stays a duration)."""
    if a is UNKNOWN or isinstance(a, EvalError):
        return a
    if isinstance(a, Duration):
        return Duration(-a)
    if isinstance(a, int | float) and not isinstance(a, bool):
        return -a
    return EvalError(f"cannot negate {render_value(a)}")


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def _compare(op: str, a: Any, b: Any) -> Any:
    for v in (a, b):
        if isinstance(v, EvalError):
            return v
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    try:
        return bool(_COMPARE[op](a, b))
    except TypeError:
        return EvalError(f"cannot compare {render_value(a)} with {render_value(b)}")


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def _arith(op: str, a: Any, b: Any) -> Any:
    for v in (a, b):
        if v is UNKNOWN or isinstance(v, EvalError):
            return v
    if isinstance(a, Duration) or isinstance(b, Duration):
        return _duration_arith(op, a, b)
    if isinstance(a, dt.date) and isinstance(b, dt.date) and op == "-":
        return Duration((a - b).days * 86400)
    try:
        return _ARITH[op](a, b)
    except ZeroDivisionError:
        return EvalError("division by zero")
    except (TypeError, OverflowError):
        return EvalError(f"cannot compute {render_value(a)} {op} {render_value(b)}")


def _duration_arith(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, dt.date) and isinstance(b, Duration):
        return (
            a + dt.timedelta(seconds=b.seconds)
            if op == "+"
            else a - dt.timedelta(seconds=b.seconds)
        )
    if isinstance(a, Duration) and isinstance(b, Duration) and op in "+-":
        return Duration(a.seconds + b.seconds if op == "+" else a.seconds - b.seconds)
    if op == "*" and isinstance(a, Duration) and isinstance(b, int):
        return Duration(a.seconds * b)
    if op == "*" and isinstance(b, Duration) and isinstance(a, int):
        return Duration(b.seconds * a)
    if op == "/" and isinstance(a, Duration) and isinstance(b, int):
        return Duration(a.seconds // b) if b else EvalError("division by zero")
    return EvalError(f"cannot compute {render_value(a)} {op} {render_value(b)}")


# ---- rendering values -----------------------------------------------------------------------


def render_value(value: Any) -> str:
    """A value as the language writes it: `true`, `2025-06-30`, `90 days`, `"chat"`."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is UNKNOWN:
        return "missing"
    if isinstance(value, EvalError):
        return f"error ({value.message})"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return (
            "["
            + ", ".join(render_value(v) for v in value[:5])
            + (", ..." if len(value) > 5 else "")
            + "]"
        )
    if isinstance(value, dict):
        return "{...}"
    return str(value)


def source_text(expr: ast.Expr) -> str:
    """The expression as written, on one line."""
    return _span_text(expr.span)


@functools.lru_cache(maxsize=8192)
def _span_text(span: Span) -> str:
    return " ".join(span.text().split())
