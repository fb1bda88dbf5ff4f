"""Types of facts, parameters and expressions, and the `Duration` value.

A `Type` is what the vocabulary declares (`bool`, `enum(...)`, a record with fields, a list) and
what the checker infers for an expression. Built from `aicxs_dsl.ast.TypeRef` / `Field`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.words import DURATION_UNITS, UNIT_LENGTHS, noun

__all__ = ["DURATION_UNITS", "UNIT_LENGTHS"]

SCALARS = ("bool", "int", "number", "string", "date", "duration")
DAY = 86400
# Durations are fixed lengths, not calendar arithmetic: a duration is a value compared with
# other durations (a fact's "90 days", a parameter's bounds) before any date is known. A year is
# 365 days and a month a twelfth of it (30 days 10 hours), so `12 months` is `1 year`.
YEAR = 365 * DAY
MONTH = YEAR // 12
UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": DAY,
    "week": 7 * DAY,
    "month": MONTH,
    "year": YEAR,
}


@dataclass(frozen=True, slots=True)
class Type:
    kind: str  # a SCALAR, or enum | record | list | any (`any` only for an empty list literal)
    values: tuple[str, ...] = ()  # enum members
    item: Type | None = None  # list element
    fields: dict[str, FactField] = field(default_factory=dict, compare=False, hash=False)
    # `number 0 .. 1`: the range a fact's values must lie in (not part of the type's identity)
    low: int | float | None = field(default=None, compare=False, hash=False)
    high: int | float | None = field(default=None, compare=False, hash=False)

    def describe(self) -> str:
        if self.kind == "enum":
            return "enum(" + ", ".join(self.values) + ")"
        if self.low is not None and self.high is not None:
            return f"{self.kind} {_number_text(self.low)} .. {_number_text(self.high)}"
        if self.kind == "list":
            return f"list of {self.item.describe()}" if self.item else "list"
        return self.kind

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "number")


@dataclass(slots=True)
class FactField:
    """One declared fact: a name, its type, its question and where it was declared."""

    name: str
    type: Type
    question: str
    key: bool = False  # identifies a record in its list; the only kind of required fact
    optional: bool = False  # absence is normal (questionnaires may skip it); a check that
    # needs it is still unknown without it
    decl: ast.Field | None = None
    origin: str = "standard"  # `standard` or the policy name that declared it


BOOL = Type("bool")
INT = Type("int")
NUMBER = Type("number")
STRING = Type("string")
DATE = Type("date")
DURATION = Type("duration")
ANY = Type("any")


def _number_text(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


SCALAR_TYPES = {t.kind: t for t in (BOOL, INT, NUMBER, STRING, DATE, DURATION)}


def key_field(record: Type) -> str | None:
    """The name of the record's `key` field, which names its items in explanations."""
    return next((f.name for f in record.fields.values() if f.key), None)


def length_note(expr: ast.Expr | None) -> str:
    """` (a month counts as ...)` when the expression writes a duration in months or years
    (whose lengths are fixed by the language, not by a calendar); otherwise empty."""
    stack: list[object] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.DurationLit) and node.unit.removesuffix("s") in ("month", "year"):
            return f" ({UNIT_LENGTHS})"
        if isinstance(node, tuple):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__ if f != "span")
    return ""


class Duration(int):
    """A length of time in whole seconds. An `int`, so comparisons run at C speed."""

    __slots__ = ()

    @property
    def seconds(self) -> int:
        return int(self)

    def __str__(self) -> str:
        """Whole days as days, whole months (not whole days) as months, anything else in
        seconds: the units facts are kept in, each read back as the same length."""
        if self and self % DAY == 0:
            n = self // DAY
            return f"{n} {noun(n, 'day')}"
        if self and self % MONTH == 0:
            n = self // MONTH
            return f"{n} {noun(n, 'month')}"
        return f"{int(self)} {noun(int(self), 'second')}"

    def __repr__(self) -> str:
        return f"Duration({int(self)})"

    @classmethod
    def of(cls, amount: int, unit: str) -> Duration:
        return cls(amount * UNIT_SECONDS[unit.removesuffix("s")])

    @classmethod
    def parse(cls, text: str) -> Duration | None:
        """`90 days`, `120 seconds`, `1 week`, `6 months`; None if the text is not a duration."""
        amount, _, unit = text.strip().partition(" ")
        if not amount.isdigit() or len(amount) > 9 or unit.removesuffix("s") not in UNIT_SECONDS:
            return None
        return cls.of(int(amount), unit)
