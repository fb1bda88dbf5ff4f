"""The store's records and their comparison → terminal text and JSON data.

`history_text` is a table of records; `comparison_text` says what changed between two, the
results that flipped first, each with the facts that changed under it; `comparison_json` holds
the same, deterministic for the same two records (a fact the facts lack is `null`, with
`"missing": true`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.aicxs_dsl.words import count
from aicxs.engine.evolve.compare import MISSING, Change, Comparison, FactChange, Flip
from aicxs.engine.store import RecordSummary

VERDICT = {"certified": "CERTIFIED", "not_certified": "NOT CERTIFIED"}
VERDICT["undetermined"] = "UNDETERMINED"
STATUS = {"not_applicable": "N/A", "absent": "(none)"}


def verdict_word(verdict: str) -> str:
    return VERDICT.get(verdict, verdict.upper())


def status_word(status: str) -> str:
    return STATUS.get(status, status.upper())


def shown(value: Any) -> str:
    """A fact value as the facts file writes it; `missing` when the facts lack it."""
    if value is MISSING:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json_dumps(value, indent=None)


# ---- history --------------------------------------------------------------------------------


def history_text(records: Sequence[RecordSummary], where: str) -> str:
    if not records:
        return f"no record in {where} yet: `aicxs check POLICY --facts FILE --record` adds one\n"
    lines = [f"{count(len(records), 'record')} in {where}", ""]
    lines.append(f"{'#':>4}  {'RECORDED (UTC)':<20} {'AS OF':<10}  {'POLICY':<22} LEVEL  VERDICT")
    for r in records:
        lines.append(
            f"{r.id:>4}  {r.recorded_at:<20} {r.as_of:<10}  {r.policy_id[:22]:<22} "
            f"{r.overall_level:>2}/{r.target_level:<2}  {verdict_word(r.verdict)}"
            f"  ({r.origin}: {r.facts_source})"
        )
    return "\n".join(lines) + "\n"


def history_json(records: Sequence[RecordSummary], where: str) -> str:
    data = {"store": where, "records": [r.as_dict() for r in records]}
    return json_dumps(data) + "\n"


# ---- comparison -----------------------------------------------------------------------------


def comparison_text(c: Comparison) -> str:
    return "\n".join(_text(c)) + "\n"


def _text(c: Comparison) -> Iterator[str]:
    a, b = c.a, c.b
    yield f"Record {a.id} → record {b.id} · {b.policy_title} (policy {b.policy_id})"
    yield f"  {a.id}: {_when(a)}"
    yield f"  {b.id}: {_when(b)}"
    yield ""
    arrow = "unchanged" if not c.verdict.changed else "changed"
    yield (
        f"Verdict:  {verdict_word(c.verdict.before)} → {verdict_word(c.verdict.after)} ({arrow})"
    )
    yield f"Maturity: level {c.overall.before} → {c.overall.after}"
    for p in c.pillars:
        mark = "" if not p.changed else ("  up" if (p.after or 0) > (p.before or 0) else "  down")
        yield f"  {p.name:<42} {_level(p.before):>2} → {_level(p.after)}{mark}"
    yield ""
    yield "Inputs"
    for i in c.inputs:
        what = "same" if not i.changed else f"{_short(i)}"
        yield f"  {i.name:<9} {what}"
    yield ""
    if not c.flips:
        yield "No result changed status."
    else:
        yield f"{count(len(c.flips), 'result')} changed status"
    for f in c.flips:
        yield from _flip_text(f)
    if c.facts:
        yield ""
        yield f"{count(len(c.facts), 'fact')} changed"
        for x in c.facts:
            yield f"  {x.path}: {shown(x.before)} → {shown(x.after)}"


def _when(r: RecordSummary) -> str:
    return (
        f"as of {r.as_of}, recorded {r.recorded_at} ({r.origin}), facts {r.facts_source}, "
        f"{verdict_word(r.verdict)}, level {r.overall_level}"
    )


def _level(n: int | None) -> str:
    return "-" if n is None else str(n)


def _short(i: Change) -> str:
    return f"changed ({i.before} → {i.after})"


def _flip_text(f: Flip) -> Iterator[str]:
    yield ""
    yield f"  {f.id:<6} {f.title}"
    yield f"         {status_word(f.before)} → {status_word(f.after)}"
    for why in f.why:
        yield f"         why: {why}"
    for fact in f.facts:
        yield f"           {fact.path}: {shown(fact.before)} → {shown(fact.after)}"


def comparison_json(c: Comparison) -> str:
    data = {
        "before": c.a.as_dict(),
        "after": c.b.as_dict(),
        "verdict": _change(c.verdict),
        "overall_level": _change(c.overall),
        "pillars": [_change(p) for p in c.pillars],
        "inputs": [_change(i) for i in c.inputs],
        "flipped": [_flip_json(f) for f in c.flips],
        "facts_changed": [_fact_json(x) for x in c.facts],
        "reasons": list(c.reasons),
    }
    return json_dumps(data) + "\n"


def _change(ch: Change) -> dict[str, Any]:
    return {"name": ch.name, "before": ch.before, "after": ch.after, "changed": ch.changed}


def _flip_json(f: Flip) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind,
        "title": f.title,
        "before": f.before,
        "after": f.after,
        "why": list(f.why),
        "facts": [_fact_json(x) for x in f.facts],
    }


def _fact_json(x: FactChange) -> dict[str, Any]:
    out: dict[str, Any] = {"path": x.path}
    for side, value in (("before", x.before), ("after", x.after)):
        out[side] = None if value is MISSING else value
        if value is MISSING:
            out[f"{side}_missing"] = True
    return out
