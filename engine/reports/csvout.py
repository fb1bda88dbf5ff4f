"""A `Report` → CSV (RFC 4180), one row per result, for spreadsheets.

Rows: each clause followed by the organisation rules that refine it, then the key
requirements. The columns and their order are stable (`COLUMNS`); lists are joined with `; `.
A cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
a carriage return) is prefixed with `'`, so a title written in a policy cannot become one.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from aicxs.engine.outcome import Report, Result
from aicxs.engine.reports.common import each_result

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy

COLUMNS = (
    "id",
    "kind",
    "title",
    "pillar",
    "level",
    "owner",
    "status",
    "reason",
    "missing_facts",
    "key_requirements",
    "crosswalk",
    "refines",
    "source",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def report_csv(report: Report, compiled: CompiledPolicy | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in each_result(report):
        writer.writerow([_cell(v) for v in _row(r)])
    return out.getvalue()


def _row(r: Result) -> list[str]:
    t = r.trace  # a key requirement has none
    return [
        r.id,
        r.kind,
        r.title,
        t.pillar if t else "",
        str(r.level) if r.level is not None else "",
        r.owner or "",
        r.status.value,
        r.reason,
        "; ".join(r.missing),
        "; ".join(t.key_requirements) if t else "",
        "; ".join(x.phrase() for x in t.crosswalk) if t else "",
        (t.refines or "") if t else "",
        r.span.location(),
    ]


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value
