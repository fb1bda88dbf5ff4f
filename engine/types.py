"""Types of facts, parameters and expressions, and the `Duration` value.

A `Type` is what the vocabulary declares (`bool`, `enum(...)`, a record with fields, a list) and
what the checker infers for an expression. Built from `aicxs_dsl.ast.TypeRef` / `Field`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.words import noun

SCALARS = ("bool", "int", "number", "string", "date", "duration")
UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


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


class Duration(int):
    """A length of time in whole seconds. An `int`, so comparisons run at C speed."""

    __slots__ = ()

    @property
    def seconds(self) -> int:
        return int(self)

    def __str__(self) -> str:
        """Whole days as days, anything else in seconds (the units facts are kept in)."""
        if self and self % 86400 == 0:
            n = self // 86400
            return f"{n} {noun(n, 'day')}"
        return f"{int(self)} {noun(int(self), 'second')}"

    def __repr__(self) -> str:
        return f"Duration({int(self)})"

    @classmethod
    def of(cls, amount: int, unit: str) -> Duration:
        return cls(amount * UNIT_SECONDS[unit.removesuffix("s")])

    @classmethod
    def parse(cls, text: str) -> Duration | None:
        """`90 days`, `120 seconds`, `1 week`; None if the text is not a duration."""
        amount, _, unit = text.strip().partition(" ")
        if not amount.isdigit() or len(amount) > 9 or unit.removesuffix("s") not in UNIT_SECONDS:
            return None
        return cls.of(int(amount), unit)
