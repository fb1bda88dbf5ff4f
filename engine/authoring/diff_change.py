"""What a difference between two standards is: a `Change` with its kind, subject, before and
after, and whether it is *breaking* for existing policies (one may stop loading, or a result
that was met may no longer be) and why, or else whether it *needs review* (changed words of a
requirement, a looser threshold: nothing breaks, but what is required may have changed); the
`StandardDiff` that collects them. Shared by the modules that compare each part of the standard
(`diff_*.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.engine.authoring.diff_checks import changed_words, touches_obligation, words_text
from aicxs.engine.model import Standard


@dataclass(frozen=True)
class Change:
    kind: str  # stable, e.g. `clause_check_changed`, `parameter_default_changed`
    subject: str  # what changed: `P4.2`, `max_human_wait`, `systems[].kind`, `level 3`
    summary: str
    breaking: bool
    reason: str  # why it is breaking or not, for existing policies
    old: Any = None  # JSON-ready values before and after
    new: Any = None
    touches: tuple[str, ...] = ()  # `clause:P4.2`, `parameter:x`, `level:3`, `role:x`, `fact:p`
    affects: tuple[str, ...] = ()  # what depends on the clause (key requirements, clauses)
    review: bool = False  # not breaking, but a reader must judge what it changes
    words: tuple[tuple[str, str], ...] = ()  # a text change: (dropped, added) per passage


def _breaking(
    kind: str,
    subject: str,
    summary: str,
    reason: str,
    old: Any = None,
    new: Any = None,
    touches: tuple[str, ...] = (),
    affects: tuple[str, ...] = (),
) -> Change:
    """A change that may stop an existing policy loading, or a met result being met."""
    return Change(kind, subject, summary, True, reason, old, new, touches, affects)


def _safe(
    kind: str,
    subject: str,
    summary: str,
    reason: str,
    old: Any = None,
    new: Any = None,
    touches: tuple[str, ...] = (),
    affects: tuple[str, ...] = (),
) -> Change:
    """A change that cannot make an existing policy fail to load, or a met result unmet."""
    return Change(kind, subject, summary, False, reason, old, new, touches, affects)


@dataclass
class StandardDiff:
    old: Standard
    new: Standard
    changes: list[Change]
    renamed: dict[str, str]  # old clause id → new id
    similarity: dict[str, float]  # old id of a renamed clause → title+text similarity
    split_from: dict[str, str]  # new clause id → the kept clause it took part of
    repurposed: dict[str, float] = field(default_factory=dict)  # id kept, retitled, read anew

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    @property
    def to_review(self) -> list[Change]:
        return [c for c in self.changes if c.review and not c.breaking]


def _wording(kind: str, subject: str, what: str, old: str, new: str) -> Iterator[Change]:
    """Descriptive words (the standard's or a level's text): not evaluated, nothing to judge."""
    if _norm(old) != _norm(new):
        reason = "wording only: not evaluated"
        yield _safe(kind, subject, f"{what} reworded", reason, _norm(old), _norm(new))


def _requirement_text(
    kind: str, subject: str, what: str, old: str, new: str, checked: str = ""
) -> Iterator[Change]:
    """The words of a requirement (a clause's, a key requirement's or a parameter's text):
    they state what is required, so a change needs review, with the words it changes."""
    if _norm(old) == _norm(new):
        return
    words = changed_words(_norm(old), _norm(new))
    reason = (
        "a number or an interval in the words changed: read whether what is required changed"
        if touches_obligation(words)
        else "the words that state what is required changed: read whether the meaning did"
    )
    yield Change(
        kind,
        subject,
        f"{what} changed: {words_text(words)}",
        False,
        reason + (f"; {checked}" if checked else ""),
        _norm(old),
        _norm(new),
        review=True,
        words=tuple(words),
    )


def _norm(text: str) -> str:
    return " ".join(text.split())


def _expr(e: ast.Expr | None) -> str | None:
    return expr_text(e) if e is not None else None
