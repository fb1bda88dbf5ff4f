"""The outcome of `aicxs diff` → JSON data, terminal text, or Markdown.

`diff_json` is the one shape every renderer reads: the two standards, each change with its
classification and reason, then each policy (does it still load, which of its tailoring a change
touches, which verdicts and statuses flip on its facts). Text and Markdown never compute
anything; they lay that data out (Markdown through a Jinja2 template).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from typing import Any

from aicxs.aicxs_dsl.escape import printable_lines
from aicxs.aicxs_dsl.words import count
from aicxs.engine.authoring.diff import word_diff
from aicxs.engine.authoring.diff_change import Change, StandardDiff
from aicxs.engine.authoring.docs import environment
from aicxs.engine.authoring.impact import PolicyImpact
from aicxs.engine.markdown import md_code, md_text

DIFF_SCHEMA_VERSION = 1
WIDTH = 100
STATUS_TEXT = {
    "no_longer_loads": "NO LONGER LOADS against {new}",
    "does_not_load": "does not load against either version",
    "now_loads": "loads against {new} only",
    "changes_meaning": "loads; its tailoring touches changed requirements",
    "loads": "loads; none of its tailoring touches a change",
}
SECTIONS = (  # heading, the kinds' common prefix
    ("Standard", ("standard_", "level_", "role_", "stage_", "pillar_")),
    ("Parameters", ("parameter_",)),
    ("Crosswalk frameworks", ("framework_",)),
    ("Clauses", ("clause_",)),
    ("Key requirements", ("key_requirement_",)),
    ("Facts vocabulary", ("fact_",)),
)
WORDING = ("_text_changed", "_question_changed", "stage_changed")
CODE = ("clause_check_changed", "key_requirement_check_changed")


def diff_json(
    d: StandardDiff, impacts: list[PolicyImpact], as_of: dt.date | None = None
) -> dict[str, Any]:
    breaking = len(d.breaking)
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "old": {"standard": d.old.name, "file": d.old.span.source.path},
        "new": {"standard": d.new.name, "file": d.new.span.source.path},
        "warnings": list(_warnings(d)),
        "summary": {
            "changes": len(d.changes),
            "breaking": breaking,
            "not_breaking": len(d.changes) - breaking,
            "needs_review": len(d.to_review),
            "policies": len(impacts),
            "policies_no_longer_loading": sum(i.status == "no_longer_loads" for i in impacts),
        },
        "renamed": [
            {"old": old, "new": new, "similarity": d.similarity[old]}
            for old, new in d.renamed.items()
        ],
        "split": [{"old": old, "new": new} for new, old in d.split_from.items()],
        "changes": [_change_json(c) for c in d.changes],
        "as_of": as_of.isoformat() if as_of and any(i.evaluation for i in impacts) else None,
        "policies": [_impact_json(i) for i in impacts],
    }


def _warnings(d: StandardDiff) -> Iterator[str]:
    """What the author should fix before publishing: breaking changes under the old name."""
    old, new = d.old, d.new
    if d.breaking and (old.id, old.version, old.amendment) == (new.id, new.version, new.amendment):
        amended = f"{new.id} {new.version}.{new.amendment + 1}"
        yield (
            f"breaking changes but the version is unchanged: name an amendment, e.g. "
            f"`standard {amended}`, so that policies say which version they implement"
        )


def _change_json(c: Change) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "subject": c.subject,
        "breaking": c.breaking,
        "needs_review": c.review and not c.breaking,
        "summary": c.summary,
        "reason": c.reason,
        "old": c.old,
        "new": c.new,
        "words": [{"old": old, "new": new} for old, new in c.words],
        "affects": list(c.affects),
    }


def _impact_json(i: PolicyImpact) -> dict[str, Any]:
    ev = i.evaluation
    return {
        "file": i.path,
        "policy": i.name,
        "title": i.title,
        "status": i.status,
        "notes": i.notes,
        "diagnostics": {
            "old": [x.as_dict() for x in i.old_errors],
            "new": [x.as_dict() for x in i.new_errors],
            "facts": [x.as_dict() for x in i.facts_errors],
        },
        "touches": [
            {
                "item": t.item,
                "location": t.location,
                "changes": [
                    {
                        "kind": c.kind,
                        "subject": c.subject,
                        "breaking": c.breaking,
                        "needs_review": c.review and not c.breaking,
                        "summary": c.summary,
                    }
                    for c in t.changes
                ],
            }
            for t in i.touches
        ],
        "evaluation": None
        if ev is None
        else {
            "facts": ev.facts,
            "as_of": ev.as_of.isoformat(),
            "verdict": {"old": ev.verdict[0], "new": ev.verdict[1]},
            "level": {"old": ev.level[0], "new": ev.level[1]},
            "pillars": [{"pillar": p, "old": a, "new": b} for p, a, b in ev.pillars],
            "flips": [
                {
                    "old_id": f.old_id,
                    "new_id": f.new_id,
                    "title": f.title,
                    "old": f.old,
                    "new": f.new,
                }
                for f in ev.flips
            ],
        },
    }


# ---- text ----------------------------------------------------------------------------------


def diff_text(data: dict[str, Any]) -> str:
    return printable_lines(_text(data)) + "\n"


def _text(data: dict[str, Any]) -> Iterator[str]:
    old, new, summary = data["old"], data["new"], data["summary"]
    yield f"{old['standard']} → {new['standard']}"
    yield f"old: {old['file']}"
    yield f"new: {new['file']}"
    n, b, r = summary["changes"], summary["breaking"], summary["needs_review"]
    if not n:
        yield "no changes"
    else:
        many, safe = count(n, "change"), n - b - r
        yield f"{many}: {b} breaking for existing policies, {r} to review, {safe} safe"
    for warning in data["warnings"]:
        yield from _wrapped("warning: ", warning)
    for r in data["renamed"]:
        yield f"renamed: {r['old']} → {r['new']} (similarity {r['similarity']:.2f})"
    for s in data["split"]:
        yield f"split:   {s['old']} → {s['old']} + {s['new']}"
    for heading, changes in sections(data["changes"]):
        yield ""
        yield f"{heading} ({_count(changes)})"
        for c in changes:
            yield from _change_lines(c)
    policies = data["policies"]
    if policies:
        broken = summary["policies_no_longer_loading"]
        yield ""
        yield f"Policies ({len(policies)}, {broken} no longer loading)"
    for p in policies:
        yield ""
        yield from _policy_lines(p, new["standard"])


def sections(changes: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The changes grouped under the headings of `SECTIONS`, empty ones left out."""
    grouped = [
        (heading, [c for c in changes if c["kind"].startswith(prefixes)])
        for heading, prefixes in SECTIONS
    ]
    return [(heading, found) for heading, found in grouped if found]


def _count(changes: list[dict[str, Any]]) -> str:
    b = sum(c["breaking"] for c in changes)
    r = sum(c["needs_review"] for c in changes)
    return f"{count(len(changes), 'change')}, {b} breaking" + (f", {r} to review" if r else "")


def change_label(c: dict[str, Any]) -> str:
    """BREAKING, REVIEW (not breaking, but a reader must judge it) or safe."""
    return "BREAKING" if c["breaking"] else "REVIEW" if c["needs_review"] else "safe"


def shows_affects(c: dict[str, Any]) -> bool:
    """What depends on a change is shown unless the change is safe; for a parameter, always
    (the clauses and key requirements that read it)."""
    return bool(c["affects"]) and (change_label(c) != "safe" or c["kind"].startswith("parameter_"))


def _change_lines(c: dict[str, Any]) -> Iterator[str]:
    yield from _wrapped(f"  {change_label(c):<9} ", c["summary"])
    pad = " " * 12
    for line in details(c):
        yield from _wrapped(pad, line)
    yield from _wrapped(pad, f"why: {c['reason']}")
    if shows_affects(c):
        yield from _wrapped(pad, "affects: " + ", ".join(c["affects"]))


def details(c: dict[str, Any], markdown: bool = False) -> list[str]:
    """What a change's summary leaves out: the words or code before and after, the items
    added and removed. Words are marked `[-dropped-]` `{+added+}` (in Markdown ~~struck~~ and
    **bold**)."""
    old, new = c["old"], c["new"]
    if c["kind"].endswith(WORDING) and isinstance(old, str) and isinstance(new, str):
        if not markdown:
            return [word_diff(old, new)]
        before, after = (md_text(" ".join(x.split()), keep_code=True) for x in (old, new))
        return [word_diff(before, after, ("~~", "~~"), ("**", "**"))]  # escaped, our marks
    if c["kind"] in CODE:
        before, after = (md_code(x) if markdown and x else x or "(none)" for x in (old, new))
        return [f"before: {before}", f"after: {after}"] if markdown else [f"- {old}", f"+ {new}"]
    if isinstance(old, list) and isinstance(new, list) and c["kind"].endswith("evidence_changed"):
        dropped, added = ("dropped: ", "added: ") if markdown else ("- ", "+ ")
        shown = md_text if markdown else str
        return [dropped + shown(x) for x in old if x not in new] + [
            added + shown(x) for x in new if x not in old
        ]
    return []


def _wrapped(prefix: str, text: str) -> list[str]:
    indent = " " * len(prefix)
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=prefix,
        subsequent_indent=indent + ("  " if text[:2] in ("- ", "+ ") else ""),
        break_on_hyphens=False,
        break_long_words=False,
    ) or [prefix.rstrip()]


def _policy_lines(p: dict[str, Any], new_standard: str) -> Iterator[str]:
    status = STATUS_TEXT[p["status"]].format(new=new_standard)
    yield f'policy {p["policy"]} "{p["title"]}" ({p["file"]}): {status}'
    for note in p["notes"]:
        yield from _wrapped("  note: ", note)
    diagnostics = p["diagnostics"]
    for side, label in (("new", f"against {new_standard}"), ("old", "against the old version")):
        if diagnostics[side] and not (side == "old" and diagnostics["old"] == diagnostics["new"]):
            yield f"  does not load {label}:"
            for d in diagnostics[side]:
                yield "    " + _diagnostic_line(d)
    if p["touches"]:
        yield "  tailoring that touches a change:"
        for t in p["touches"]:
            yield f"    {t['item']}  ({t['location']})"
            for c in t["changes"]:
                yield from _wrapped(f"      {change_label(c):<9} ", c["summary"])
    if diagnostics["facts"]:
        yield "  facts do not load:"
        for d in diagnostics["facts"]:
            yield "    " + _diagnostic_line(d)
    ev = p["evaluation"]
    if ev is not None:
        yield from _evaluation_lines(ev)


def _diagnostic_line(d: dict[str, Any]) -> str:
    where = f"{d['file']}:{d['line']}:{d['column']}" if d["line"] else d["file"]
    help = f" (help: {d['help']})" if d["help"] else ""
    return f"{where}: {d['code']}: {d['message']}{help}"


def _evaluation_lines(ev: dict[str, Any]) -> Iterator[str]:
    yield f"  on {ev['facts']}, as of {ev['as_of']}:"
    v, lv = ev["verdict"], ev["level"]
    same = " (unchanged)" if v["old"] == v["new"] else ""
    yield f"    verdict   {v['old']} → {v['new']}{same}"
    same = " (unchanged)" if lv["old"] == lv["new"] else ""
    yield f"    maturity  level {lv['old']} → {lv['new']}{same}"
    for pl in ev["pillars"]:
        yield f"    pillar {pl['pillar']}: level {_level(pl['old'])} → {_level(pl['new'])}"
    if not ev["flips"]:
        yield "    no status flips"
    for f in ev["flips"]:
        ident = flip_id(f)
        yield f"    {ident:<12} {_status(f['old']):<14} → {_status(f['new']):<14} {f['title']}"


def flip_id(f: dict[str, Any]) -> str:
    if f["old_id"] and f["new_id"] and f["old_id"] != f["new_id"]:
        return f"{f['old_id']} → {f['new_id']}"
    return str(f["new_id"] or f["old_id"])


def _status(status: str | None) -> str:
    return status if status is not None else "(absent)"


def _level(level: int | None) -> str:
    return str(level) if level is not None else "(absent)"


# ---- markdown ------------------------------------------------------------------------------


def diff_markdown(data: dict[str, Any]) -> str:
    template = environment().get_template("diff.md.j2")
    return template.render(
        data=data,
        sections=sections(data["changes"]),
        details=details,
        label=change_label,
        shows_affects=shows_affects,
        flip_id=flip_id,
        status_text=STATUS_TEXT,
        where=_where,
    )


def _where(d: dict[str, Any]) -> str:
    """`file:line:col` of a diagnostic (the file alone when it has no position)."""
    return f"{d['file']}:{d['line']}:{d['column']}" if d["line"] else str(d["file"])
