"""Missing facts, grouped by the fact of the vocabulary they are missing from.

Evaluation notes each missing fact as a pair: the fact as the vocabulary names it, with `[]`
for each list it sits in (`systems[].audit_trail.retention`), and the item it is missing on
(`systems[web-chat]`; empty outside lists). `MissingFacts` keeps the pairs of a result or a
report grouped (fact → items), each fact with the vocabulary's question, so an estate of
20,000 half-answered systems costs a pointer per missing fact, not a string. It still reads
as the sorted concrete paths (`systems[web-chat].audit_trail.retention`), which is what it was.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from aicxs.aicxs_dsl.words import count
from aicxs.engine.types import Type

SHOWN_ITEMS = 10  # items named per fact where the listing is bounded (explain `fails`, `none`)


def concrete_path(fact: str, item: str) -> str:
    """`systems[].consent.recorded` on `systems[web-chat]`: `systems[web-chat].consent.recorded`."""
    return item + fact[fact.rindex("[]") + 2 :] if item else fact


def item_name(fact: str, item: str) -> str:
    """How an item is named in a listing: its key (`web-chat`) for a fact of a top-level list,
    its whole path for a fact of a nested list (`systems[web-chat].tools[crm]`)."""
    head = fact[: fact.find("[]")]
    if fact.count("[]") == 1 and item.startswith(head + "[") and item.endswith("]"):
        return item[len(head) + 1 : -1]
    return item


@dataclass(frozen=True, eq=False)
class MissingFact:
    """One fact of the vocabulary, missing on `items` (none: a fact outside lists)."""

    fact: str  # `systems[].lifecycle`, or `organisation.strategy.last_reviewed`
    question: str  # the vocabulary's question for it ("" if it declares none)
    # `systems[web-chat]`, ...: in no particular order (sorting 20,000 of them for each result
    # would cost more than evaluating it); listings sort them, or take the first few.
    items: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """How many concrete facts are missing: one per item, or the fact itself."""
        return len(self.items) or 1

    def first(self, limit: int | None = None) -> list[str]:
        """The items in order (sorted), the first `limit` of them."""
        if limit is not None and limit < len(self.items):
            return heapq.nsmallest(limit, self.items)
        return sorted(self.items)

    def paths(self, limit: int | None = None) -> Iterator[str]:
        """The concrete paths, of the first `limit` items."""
        if not self.items:
            yield self.fact
        for item in self.first(limit):
            yield concrete_path(self.fact, item)

    def names(self, limit: int | None = None) -> list[str]:
        """The items it is missing on, named by key, the first `limit` of them."""
        return [item_name(self.fact, i) for i in self.first(limit)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MissingFact) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[str, str, frozenset[str]]:
        return self.fact, self.question, frozenset(self.items)


@dataclass(frozen=True)
class MissingFacts:
    """The missing facts of a result or a report: `groups` sorted by fact. Iterating gives
    the concrete paths, sorted; `len()` counts them."""

    groups: tuple[MissingFact, ...] = ()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(p for g in self.groups for p in g.paths()))

    def __len__(self) -> int:
        return sum(g.count for g in self.groups)

    def __bool__(self) -> bool:
        return bool(self.groups)

    def __contains__(self, path: object) -> bool:
        return any(path == p for g in self.groups for p in g.paths())

    def about(self, name: str) -> MissingFacts:
        """Those of the item named `name` (e.g. one system), and those outside lists."""
        kept = []
        for g in self.groups:
            items = tuple(i for i in g.items if item_name(g.fact, i) == name)
            if items or not g.items:
                kept.append(MissingFact(g.fact, g.question, items))
        return MissingFacts(tuple(kept))

    def bounded_paths(self, limit: int) -> list[str]:
        """The concrete paths of the first `limit` items of each fact, sorted."""
        return sorted(p for g in self.groups for p in g.paths(limit))


EMPTY = MissingFacts()
_OUTSIDE = frozenset({""})  # the item of a fact outside lists


def group(
    pairs: Iterable[tuple[str, str]], questions: Mapping[str, str] | None = None
) -> MissingFacts:
    """`MissingFacts` from (fact, item) pairs, in any order, repeats allowed."""
    found: dict[str, set[str]] = {}
    for fact, item in pairs:
        found.setdefault(fact, set()).add(item)
    return from_sets(found, questions)


def from_sets(
    found: Mapping[str, set[str]], questions: Mapping[str, str] | None = None
) -> MissingFacts:
    """`MissingFacts` from fact → items (an empty item: the fact outside lists)."""
    questions = {} if questions is None else questions
    return MissingFacts(
        tuple(
            MissingFact(
                fact, questions.get(fact, ""), tuple(items - _OUTSIDE if "" in items else items)
            )
            for fact, items in sorted(found.items())
        )
    )


def merge(parts: Iterable[MissingFacts]) -> MissingFacts:
    """The union of several results' missing facts (a report's)."""
    found: dict[str, set[str]] = {}
    questions: dict[str, str] = {}
    for part in parts:
        for g in part.groups:
            found.setdefault(g.fact, set()).update(g.items or ("",))
            questions[g.fact] = g.question
    return from_sets(found, questions)


class Questions(dict[str, str]):
    """The vocabulary's question for each fact path, looked up on first use."""

    def __init__(self, vocabulary: Type) -> None:
        super().__init__()
        self.vocabulary = vocabulary

    def __missing__(self, fact: str) -> str:
        self[fact] = question_of(self.vocabulary, fact)
        return self[fact]

    def get(self, fact: str, default: str = "") -> str:  # type: ignore[override]
        return self[fact]


def question_of(vocabulary: Type, fact: str) -> str:
    """The question the vocabulary declares for `systems[].audit_trail.retention` ("" if none)."""
    current: Type | None = vocabulary
    question = ""
    for part in fact.split("."):
        name, lists = part.removesuffix("[]" * part.count("[]")), part.count("[]")
        fld = current.fields.get(name) if current is not None else None
        if fld is None:
            return ""
        question, current = fld.question, fld.type
        for _ in range(lists):
            current = current.item if current is not None else None
    return question


# ---- phrases --------------------------------------------------------------------------------


def relative(fact: str, listed: str) -> str:
    """`systems[].lifecycle` as seen from an item of `systems`: `lifecycle`."""
    return fact[len(listed) + 3 :] if fact.startswith(listed + "[].") else fact


def facts_phrase(groups: Sequence[MissingFact], listed: str = "", limit: int = 5) -> str:
    """`` `business_case_approved` on 410, `lifecycle` on 389 ``: the facts missing most often
    first, each named from the items of `listed` and with how many items it is missing on."""
    ordered = sorted(groups, key=lambda g: (-g.count, g.fact))
    parts = [
        f"`{relative(g.fact, listed)}` on {g.count:,}" if g.items else f"`{g.fact}`"
        for g in ordered[:limit]
    ]
    more = len(ordered) - limit
    return ", ".join(parts) + (
        f", and {count(more, 'more fact', 'more facts')}" if more > 0 else ""
    )


def names_phrase(names: Sequence[str], total: int | None = None, limit: int = SHOWN_ITEMS) -> str:
    """`a, b, c`, or when there are more than named: `first 10: a, b, ... (402 more)`."""
    total = len(names) if total is None else total
    shown = names[:limit]
    if total <= len(shown):
        return ", ".join(shown)
    return f"first {len(shown)}: " + ", ".join(shown) + f" ({total - len(shown):,} more)"


def scope_finding(found: MissingFacts, items: Sequence[str], total: int, listed: str) -> str:
    """One finding for every item of `listed` the policy's scope cannot decide for."""
    names = [item_name(listed + "[]", i) for i in items]
    n = len(items)
    what = f"{n:,} of {total:,} {listed}" if total else f"{n:,} {listed}"
    missing = facts_phrase(found.groups, listed) or "nothing"
    its = "its checks count it" if n == 1 else "their checks count them"
    return (
        f"the policy's scope is unknown for {what}: {names_phrase(names)} (missing: {missing}); "
        f"{its} as possibly in scope"
    )
