"""A `Report` → one self-contained HTML page for auditors (templates/report.html.j2).

The page needs nothing but itself: styles and the maturity chart (SVG) are inline, a
Content-Security-Policy forbids every fetch, and the one tiny script (opening every
explanation before printing) is allowed by its hash. Everything from the standard, the policy
or the facts is escaped by Jinja2's autoescape. This module only prepares the data the
template shows: the verdict, the chart's geometry, the tables and the explanation trees.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from aicxs.engine.explain import LABEL, node_json
from aicxs.engine.model import Clause
from aicxs.engine.outcome import Report, Result, Status, standard_name
from aicxs.engine.provenance import provenance
from aicxs.engine.render import STATUS_LABEL, VERDICT_WORD, evidence_text, level_name, missing_on
from aicxs.engine.reports.common import (
    COVERAGE_ORDER,
    checked_status,
    crosswalk,
    outcome,
    tailoring,
    tool_version,
)
from aicxs.engine.values import render_value

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy

# Opens every explanation for printing and closes again those the reader had closed.
PRINT_SCRIPT = (
    'addEventListener("beforeprint",()=>{for(const d of document.querySelectorAll('
    '"details:not([open])")){d.dataset.closed="1";d.open=true}});'
    'addEventListener("afterprint",()=>{for(const d of document.querySelectorAll('
    '"details[data-closed]")){d.open=false;delete d.dataset.closed}});'
)
CHART_LABEL_WIDTH = 290
CHART_PLOT_WIDTH = 420
CHART_ROW = 34
CHART_BAR = 18
CHART_TOP = 34


def report_html(
    report: Report, compiled: CompiledPolicy, mode: str = "fails", extra: Markup | None = None
) -> str:
    """The page; `extra` is a section of the caller's, shown after the verdict (the web
    assessment's roadmap), already escaped and styled only with the report's own classes."""
    css = _asset("report.css")
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=_view(report, compiled, mode),
            css=css,
            script=PRINT_SCRIPT,
            csp=_csp(css, PRINT_SCRIPT),
            extra=extra,
        )
    )
    return page.lstrip()


def maturity_chart_svg(report: Report) -> Markup:
    """The report's maturity chart alone (the same SVG), for pages that show it elsewhere."""
    chart = _environment().get_template("maturity-chart.svg.j2")
    return Markup(chart.render(ch=maturity_chart(report)).strip())


def report_css() -> str:
    """The report's stylesheet, for pages that show its chart and badges."""
    return _asset("report.css")


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["value"] = show_value
    env.filters["truth"] = truth_label
    return env


@functools.lru_cache(maxsize=4)
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text("utf-8")


def _csp(css: str, script: str) -> str:
    """No fetch of any kind; only our own style and script, pinned by their hashes."""

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    return (
        f"default-src 'none'; style-src {digest(css)}; script-src {digest(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def show_value(value: Any) -> str:
    """A fact's value as the language writes it (`true`, `"chat"`, `90 days`)."""
    if value is None:
        return "missing"
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        shown = ", ".join(show_value(v) for v in value[:5])
        return f"[{shown}{', ...' if len(value) > 5 else ''}]"
    if isinstance(value, dict):
        return "{...}"
    return str(value)


# ---- the page's data ------------------------------------------------------------------------


@dataclass
class Row:
    """One result as the tables show it."""

    id: str
    kind: str
    title: str
    status: str  # the Status value, also the CSS class suffix
    label: str
    level: int | None
    owner: str
    owner_title: str
    evidence_expected: Sequence[str]
    key_requirements: Sequence[str]
    outcome: str  # `fails: 1 of 3 systems fail: voice-ivr`
    details: dict[str, Any]


def _view(report: Report, compiled: CompiledPolicy, mode: str) -> dict[str, Any]:
    std = report.standard
    clauses = [r for r in report.results if r.kind == "clause"]
    counts = Counter(r.status for r in clauses)
    t = tailoring(compiled, report.as_of)
    frameworks = crosswalk(report, compiled)
    return {
        "title": f"{standard_name(std)} assessment: {report.policy['title']}",
        "standard": std,
        "policy": {**report.policy, "text": compiled.policy.text},
        "facts": {"path": report.facts.path, **report.systems},
        "out_of_scope": list(report.out_of_scope),
        "as_of": report.as_of.isoformat(),
        "version": tool_version(),
        "provenance": _provenance(report, compiled),
        "verdict": {
            "key": report.verdict,
            "word": VERDICT_WORD[report.verdict],
            "reasons": report.reasons,
        },
        "maturity": {
            "overall": report.overall_level,
            "overall_name": level_name(report, report.overall_level) or "none",
            "target": report.target_level,
            "target_name": level_name(report, report.target_level),
        },
        "summary": [
            {"status": s.value, "label": STATUS_LABEL[s], "count": counts.get(s, 0)} for s in Status
        ],
        "clause_count": len(clauses),
        "chart": maturity_chart(report),
        "key_requirements": [
            _row(report, compiled, r, mode) for r in report.results if r.kind == "key_requirement"
        ],
        "pillars": _pillars(report, compiled, mode),
        "findings": report.findings,
        "tailoring": t,
        "missing": _missing(report, mode),
        "missing_count": len(report.missing_facts),
        "crosswalk": frameworks,
        "coverage_order": COVERAGE_ORDER,
    }


def _provenance(report: Report, compiled: CompiledPolicy) -> dict[str, Any]:
    """The tool and the digest of each file evaluated, for the sign-off block."""
    made = report.provenance or provenance(compiled, report.facts)
    return {
        "tool": f"{made.tool} {made.version}",
        "inputs": [
            {"role": role.capitalize(), "file": i.file, "sha256": i.sha256, "of": i.of}
            for role, i in made.inputs()
        ],
    }


def _pillars(report: Report, compiled: CompiledPolicy, mode: str) -> list[dict[str, Any]]:
    out = []
    for p in report.pillars:
        rows = []
        for clause_id in compiled.standard.pillars[p.pillar].clauses:
            r = report.result(clause_id)
            if r is None:
                continue
            rows.append(_row(report, compiled, r, mode))
            rows.extend(_row(report, compiled, sub, mode) for sub in r.rules)
        out.append(
            {
                "id": p.pillar,
                "title": p.title,
                "level": p.level,
                "level_name": level_name(report, p.level) or "none",
                "blockers": p.next_level_blockers,
                "rows": rows,
            }
        )
    return out


def _row(report: Report, compiled: CompiledPolicy, r: Result, mode: str) -> Row:
    roles = compiled.standard.roles
    owner = r.owner or ""
    return Row(
        id=r.id,
        kind=r.kind,
        title=r.title,
        status=r.status.value,
        label=STATUS_LABEL[r.status],
        level=r.level,
        owner=owner,
        owner_title=roles[owner].title if owner in roles else owner,
        evidence_expected=r.evidence_expected,
        key_requirements=r.trace.key_requirements if r.trace else [],
        outcome=outcome(r),
        details={**_details(report, r, mode), "interpretation": _interpretation(compiled, r)},
    )


def _interpretation(compiled: CompiledPolicy, r: Result) -> dict[str, str] | None:
    """What the standard marks as its reading of the source text, for a clause or a key
    requirement: the rationale (with the document it is taken from) and the reason for the
    clause's level or the key requirement's clauses."""
    std = compiled.standard
    item = std.clauses.get(r.id) if r.kind == "clause" else std.key_requirements.get(r.id)
    if item is None or not item.provenance.interpretation:
        return None
    because = item.level_because if isinstance(item, Clause) else item.covers_because
    return {
        "after": item.provenance.document,
        "rationale": " ".join(item.provenance.rationale.split()),
        "because": " ".join(because.split()),
        "because_of": "level" if isinstance(item, Clause) else "covers",
    }


def _details(report: Report, r: Result, mode: str) -> dict[str, Any]:
    t = r.trace
    tree = None
    if r.node is not None and mode != "none":
        tree = node_json(r.node, report.facts, "full" if mode == "full" else "fails")
        _show_values(tree, report.facts.data)
    return {
        "source": r.span.location(),
        "pillar": f"{t.pillar} {t.pillar_title}" if t else "",
        "refines": t.refines if t else None,
        "crosswalk": [x.phrase() for x in t.crosswalk] if t else [],
        "reason": r.reason,
        "checked": checked_status(r).value if r.status is Status.WAIVED else "",
        "covers": [{"id": c, "status": s.value, "label": STATUS_LABEL[s]} for c, s in r.covers],
        "blocked_by": r.blocked_by,
        "tree": tree,
        "missing": [
            f"{g.fact}{' on ' if g.items else ''}{missing_on(g, mode)}" for g in r.missing.groups
        ],
        "evidence": [evidence_text(ev) for ev in r.evidence],
    }


def _show_values(tree: dict[str, Any], data: Any) -> None:
    """Give each fact of an explanation tree its value as the language writes it (`90 days`,
    `2025-10-16`), from the typed facts; JSON data alone would show them as strings."""
    for fact in tree.get("facts", ()):
        found = _at(data, fact.get("json_path", ""))
        fact["shown"] = render_value(found) if found is not _ABSENT else show_value(fact["value"])
    for child in tree.get("conditions", ()):
        _show_values(child, data)
    for item in tree.get("items", ()):
        for part in ("where", "check"):
            if part in item:
                _show_values(item[part], data)


_ABSENT = object()
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def _at(data: Any, json_path: str) -> Any:
    """The value at a JSON path such as `$.systems[2].escalation.max_wait`, or `_ABSENT`."""
    if not json_path.startswith("$"):
        return _ABSENT
    current = data
    for key, index in _STEP.findall(json_path[1:]):
        if key and isinstance(current, dict) and key in current:
            current = current[key]
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return _ABSENT
    return current


def _missing(report: Report, mode: str) -> list[dict[str, Any]]:
    """Each missing fact with its question, the items that miss it and the results it
    leaves unknown."""
    needed: dict[str, list[str]] = {g.fact: [] for g in report.missing_facts.groups}
    for r in report.results:
        for sub in (r, *r.rules):
            for g in sub.missing.groups:
                if g.fact in needed and sub.id not in needed[g.fact]:
                    needed[g.fact].append(sub.id)
    return [
        {
            "fact": g.fact,
            "question": g.question,
            "on": missing_on(g, mode),
            "needed_by": needed[g.fact],
        }
        for g in report.missing_facts.groups
    ]


def truth_label(truth: str) -> str:
    return LABEL.get(truth, "VALUE")


# ---- the maturity chart ---------------------------------------------------------------------


def maturity_chart(report: Report) -> dict[str, Any]:
    """Geometry of a horizontal bar chart: each pillar's level against the target level."""
    levels = sorted(report.standard.get("levels", {}) or {1: "", 2: "", 3: "", 4: ""})
    top = max([*levels, report.target_level, 1])

    def x(level: int) -> float:
        return round(CHART_LABEL_WIDTH + CHART_PLOT_WIDTH * level / float(top), 1)

    bars = []
    for i, p in enumerate(report.pillars):
        y = CHART_TOP + i * CHART_ROW
        # A pillar short of the target is red only when a clause it needs definitely fails;
        # when only missing facts stand in the way (a clause unknown, or blocked by an
        # unknown prerequisite) it is amber: undecided, not failed.
        tone = "met" if p.level >= report.target_level else _TONE[p.shortfall]
        bars.append(
            {
                "pillar": p.pillar,
                "title": p.title,
                "level": p.level,
                "name": level_name(report, p.level) or "none",
                "y": y,
                "text_y": y + CHART_BAR / 2 + 4.5,
                "width": round(x(p.level) - CHART_LABEL_WIDTH, 1),
                "tone": tone,
                "end": x(p.level),
            }
        )
    height = CHART_TOP + len(bars) * CHART_ROW + 8
    return {
        "width": CHART_LABEL_WIDTH + CHART_PLOT_WIDTH + 110,
        "height": height,
        "plot_left": CHART_LABEL_WIDTH,
        "bar_height": CHART_BAR,
        "ticks": [{"level": n, "x": x(n), "name": level_name(report, n)} for n in [0, *levels]],
        "target": {
            "level": report.target_level,
            "x": x(report.target_level),
            "name": level_name(report, report.target_level),
        },
        "bars": bars,
        "axis_bottom": height - 8,
        "description": "; ".join(
            f"{b['pillar']} {b['title']}: level {b['level']} ({b['name']})" for b in bars
        )
        + f"; target level {report.target_level}.",
    }


_TONE = {"fails": "short", "undecided": "open", "none": "met"}
