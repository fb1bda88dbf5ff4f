"""Facts that cannot be true on the evaluation date: a date after it.

Every date of the AICXS facts vocabulary is a date something was done (last reviewed, last
tested, last refreshed), and evidence is dated when it was produced; a date after the evaluation
date would make `age(...)` negative and pass any "within N days" rule. Such a document is an
input error, located at the date in its file, never something evaluated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.engine.facts.document import FactsDocument
from aicxs.engine.facts.validation import display_path

MAX_REPORTED = 50


def check_dates_not_after(doc: FactsDocument, as_of: dt.date) -> None:
    """Raise a located error for every date in `doc` later than `as_of`."""
    found = [(parts, value) for parts, value in _dates(doc.data, ()) if value > as_of]
    found += [
        (("evidence", i, "date"), day)
        for i, entry in enumerate(doc.evidence)
        if (day := _date_of(entry.get("date"))) is not None and day > as_of
    ]
    if not found:
        return
    source = Source(doc.path, doc.text)
    data = {**doc.data, "evidence": doc.evidence}
    raise DiagnosticError(
        [_future(source, doc, parts, value, as_of, data) for parts, value in found[:MAX_REPORTED]]
    )


def _future(
    source: Source,
    doc: FactsDocument,
    parts: tuple[str | int, ...],
    value: dt.date,
    as_of: dt.date,
    data: dict[str, Any],
) -> Diagnostic:
    json_path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    pos = doc.position(json_path)
    shown = display_path(parts, data)
    return Diagnostic(
        "aicxs_facts_future_date",
        f"`{shown}` is {value.isoformat()}, after the evaluation date {as_of.isoformat()}",
        span_at(source, *pos, width=10) if pos else None,
        "a fact's date is when something was done, so it cannot be later than the evaluation "
        "date: correct the date, or evaluate as of a later date with `--as-of`",
        path=doc.path,
    )


def _dates(
    value: Any, parts: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], dt.date]]:
    if isinstance(value, dt.date):
        yield parts, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _dates(child, (*parts, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _dates(child, (*parts, i))


def _date_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None
