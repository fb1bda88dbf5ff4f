"""Diagnostics: what is wrong, where, and what to do about it.

Every stage of the pipeline reports problems as `Diagnostic` values; they are collected,
sorted by location and rendered by one renderer (`render_text`) in the form
`path:line:col: code: message`, a source frame with a caret, then `help:`.
`AicxsError` (also named `DiagnosticError` inside the package) carries them across the API
boundary: every mistake in a user's input is one, with `.code` and `.diagnostics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from aicxs.aicxs_dsl.escape import printable
from aicxs.aicxs_dsl.source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # stable, e.g. `aicxs_parse_error`; documented in docs/errors.md
    message: str  # lowercase, names the thing in backticks, says what is expected
    span: Span | None  # None only for problems with no source (an unreadable file)
    help: str = ""
    severity: Severity = Severity.ERROR
    path: str = ""  # used when `span` is None
    notes: tuple[str, ...] = ()  # extra located lines, e.g. the declaration a value breaks

    def location(self) -> str:
        return self.span.location() if self.span else self.path

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return (self.path, 0, 0, self.code)
        return (self.span.path, self.span.line, self.span.col, self.code)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.path if self.span else self.path,
            "line": self.span.line if self.span else None,
            "column": self.span.col if self.span else None,
            "help": self.help,
            "notes": list(self.notes),
        }


class AicxsError(Exception):
    """A user's input is wrong: `.diagnostics` says every problem found and where; `.code` is
    the first error's stable code (see docs/errors.md)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        super().__init__(render_text(self.diagnostics))

    @property
    def code(self) -> str:
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        return (errors or self.diagnostics)[0].code if self.diagnostics else "aicxs_internal_error"

    def __reduce__(self) -> tuple[type[AicxsError], tuple[list[Diagnostic]]]:
        return (type(self), (self.diagnostics,))


DiagnosticError = AicxsError  # the name the pipeline uses


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def render_one(d: Diagnostic) -> str:
    """One diagnostic; what it quotes of the input (a file name, an id, a value) is made
    `printable`, so no message can carry an escape sequence or forge a line."""
    label = d.code if d.severity is Severity.ERROR else f"{d.code} (warning)"
    lines = [printable(f"{d.location()}: {label}: {d.message}")]
    if d.span is not None:
        lines.append(d.span.snippet())
    lines.extend(printable(f"note: {note}") for note in d.notes)
    if d.help:
        lines.append(printable(f"help: {d.help}"))
    return "\n".join(lines)


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    """All diagnostics, one block each, separated by a blank line."""
    return "\n\n".join(render_one(d) for d in diagnostics)


def closest(word: str, candidates: Iterable[str], max_distance: int | None = None) -> str | None:
    """The candidate nearest to `word` by edit distance, if it is near enough to suggest."""
    limit = max_distance if max_distance is not None else (len(word) + 1) // 3
    best: tuple[int, str] | None = None
    for cand in sorted(set(candidates)):
        dist = _distance(word.lower(), cand.lower(), limit)
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, cand)
    return best[1] if best else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean `x`?` or the empty string."""
    match = closest(word, candidates)
    return f"did you mean `{match}`?" if match and match != word else ""


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance counting a swap of neighbours as one edit (so `levle` is 1 from `level`),
    giving up (returning limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]
