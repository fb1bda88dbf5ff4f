"""An item bound to a quantifier variable, and where it sits in the facts.

The interpreter (`evaluator.py`) binds each item of a list it quantifies over; explanations
name it (`systems[voice-ivr]`), locate it (`$.systems[2]`) and group what it misses by the
vocabulary's path of its list (`systems[]`). Kept apart so the tally of unknown items
(`tally.py`) and the onboarding tools can use it without the interpreter.
"""

from __future__ import annotations

from typing import Any

from aicxs.engine.types import Type as FactType
from aicxs.engine.values import Read


class Binding:
    """An item bound to a quantifier variable, with where it is: `systems[voice-ivr]` as
    shown, `$.systems[2]` as JSON path and `systems[]` as the vocabulary names its list. For
    list items these are worked out only when an explanation asks, so passing items cost
    nothing but the binding."""

    __slots__ = ("_ident", "_index", "_json", "_list", "_pattern", "_shown", "record", "value")

    def __init__(
        self, value: Any, shown: str, json: str, record: FactType | None, pattern: str = ""
    ) -> None:
        self.value, self._shown, self._json, self.record = value, shown, json, record
        self._pattern = pattern
        self._list: Read | None = None
        self._ident: Any = None
        self._index = 0

    @classmethod
    def item(
        cls, value: Any, listed: Read, index: int, ident: Any, record: FactType | None
    ) -> Binding:
        b = cls(value, "", "", record)
        b._list, b._index, b._ident = listed, index, ident
        return b

    @property
    def name(self) -> str:
        """The item's key (its `id`), or its position when it has none."""
        if self._list is None:
            return self._shown.rsplit("[", 1)[-1][:-1]
        return str(self._ident) if self._ident is not None else str(self._index)

    @property
    def shown(self) -> str:
        if not self._shown and self._list is not None:
            self._shown = f"{self._list.path}[{self.name}]"
        return self._shown

    @property
    def json(self) -> str:
        if not self._json and self._list is not None:
            self._json = f"{self._list.json_path}[{self._index}]"
        return self._json

    @property
    def pattern(self) -> str:
        """The list's path in the vocabulary, with `[]`: `systems[]`, `systems[].tools[]`."""
        if self._list is not None:
            return (self._list.fact or self._list.path) + "[]"
        if not self._pattern and "[" in self._shown:  # `systems[web-chat]`: a top-level list
            self._pattern = self._shown[: self._shown.index("[")] + "[]"
        return self._pattern
