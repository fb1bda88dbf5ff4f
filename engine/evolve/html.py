"""The Evolve pages: the recorded assessments with their maturity over time (an SVG line
chart per policy), and the comparison of two. Self-contained like the HTML report (inline CSS,
no script, a Content-Security-Policy that forbids every fetch); everything from the records is
escaped by Jinja2's autoescape. `web` gives the links of the served pages (None on paper).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import jinja2

from aicxs.engine.evolve.compare import Comparison
from aicxs.engine.evolve.render import shown, status_word, verdict_word
from aicxs.engine.store import RecordSummary

CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_PLOT, CHART_WIDTH = 48, 930, 16, 220, 960
WebLinks = Mapping[str, str]  # history, compare, assess: the served pages' addresses


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader(__package__, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.lru_cache(maxsize=1)
def css() -> str:
    return resources.files(__package__).joinpath("templates", "evolve.css").read_text("utf-8")


def csp() -> str:
    """No fetch of any kind, no script; only our own style, pinned by its hash. (Served, the
    pages also forbid framing, by a header: a <meta> policy cannot.)"""
    digest = base64.b64encode(hashlib.sha256(css().encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
        "form-action 'self'"
    )


def _page(template: str, title: str, web: WebLinks | None, **data: Any) -> str:
    page = _environment().get_template(template)
    return page.render(title=title, css=css(), csp=csp(), web=web, **data).lstrip()


# ---- history and the chart over time --------------------------------------------------------


def history_html(records: Sequence[RecordSummary], web: WebLinks | None = None) -> str:
    by_policy: dict[str, list[RecordSummary]] = {}
    for r in records:
        by_policy.setdefault(r.policy_id, []).append(r)
    groups = [_group(policy, rs) for policy, rs in by_policy.items()]
    return _page("history.html.j2", "Recorded assessments", web, groups=groups)


def _group(policy: str, records: list[RecordSummary]) -> dict[str, Any]:
    last = records[-1]
    return {
        "policy": policy,
        "title": last.policy_title,
        "pillars": [{"id": p, "title": t} for p, t, _ in last.maturity],
        "records": [
            {**r.as_dict(), "maturity": r.maturity, "verdict_word": verdict_word(r.verdict)}
            for r in records
        ],
        "chart": evolution_chart(records),
    }


def evolution_chart(records: Sequence[RecordSummary]) -> dict[str, Any]:
    """Geometry of a line chart: x = the records in order, y = level; one line per pillar and
    a thicker one overall; a dashed line at the target level."""
    top = max([4, *(r.target_level for r in records), *(r.overall_level for r in records)])
    n = len(records)
    step = (CHART_RIGHT - CHART_LEFT) / max(1, n - 1)
    xs = [
        round(CHART_LEFT + (i * step if n > 1 else (CHART_RIGHT - CHART_LEFT) / 2), 1)
        for i in range(n)
    ]

    def y(level: int) -> float:
        return round(CHART_TOP + CHART_PLOT - CHART_PLOT * level / top, 1)

    series: dict[str, list[int | None]] = {"Overall": [r.overall_level for r in records]}
    names = [(p, t) for p, t, _ in records[-1].maturity]
    for p, t in names:
        series[f"{p} {t}"] = [
            next((lv for pid, _, lv in r.maturity if pid == p), None) for r in records
        ]
    lines = []
    for number, (name, values) in enumerate(series.items()):
        # Pillars at the same level would hide each other: each line is drawn a little apart
        # (the table below the chart has the exact levels).
        nudge = 0.0 if number == 0 else (number - 3.5) * 2.5
        dots = [
            {"x": x, "y": round(y(v) + nudge, 1), "level": v}
            for x, v in zip(xs, values, strict=True)
            if v is not None
        ]
        lines.append(
            {
                "name": name,
                "css": f"p{number}",
                "overall": number == 0,
                "points": " ".join(f"{d['x']},{d['y']}" for d in dots),
                "dots": dots,
                "values": ", ".join("-" if v is None else str(v) for v in values),
            }
        )
    target = records[-1].target_level
    described = "; ".join(
        f"#{r.id} as of {r.as_of}: level {r.overall_level} ({verdict_word(r.verdict)})"
        for r in records
    )
    return {
        "width": CHART_WIDTH,
        "height": CHART_TOP + CHART_PLOT + 44,
        "left": CHART_LEFT,
        "right": CHART_RIGHT,
        "bottom": CHART_TOP + CHART_PLOT,
        "levels": [{"level": lv, "y": y(lv)} for lv in range(top + 1)],
        "xs": [{"x": x, "id": r.id, "as_of": r.as_of} for x, r in zip(xs, records, strict=True)],
        "lines": lines,
        "target": target,
        "target_y": y(target),
        "description": f"{described}; target level {target}.",
    }


# ---- a comparison ---------------------------------------------------------------------------


def comparison_html(c: Comparison, web: WebLinks | None = None) -> str:
    title = f"{c.b.policy_title}: assessment {c.a.id} → {c.b.id}"
    return _page("compare.html.j2", title, web, view=_view(c))


def _view(c: Comparison) -> dict[str, Any]:
    return {
        "a": c.a,
        "b": c.b,
        "verdict": {
            "before": c.verdict.before,
            "after": c.verdict.after,
            "before_word": verdict_word(c.verdict.before),
            "after_word": verdict_word(c.verdict.after),
        },
        "overall": c.overall,
        "pillars": [
            {
                "name": p.name,
                "before": p.before,
                "after": p.after,
                "direction": "same"
                if not p.changed
                else "up"
                if (p.after or 0) > (p.before or 0)
                else "down",
            }
            for p in c.pillars
        ],
        "inputs": c.inputs,
        "flips": [
            {
                "id": f.id,
                "title": f.title,
                "before": f.before,
                "after": f.after,
                "before_word": status_word(f.before),
                "after_word": status_word(f.after),
                "why": f.why,
                "facts": [
                    {"path": x.path, "before": shown(x.before), "after": shown(x.after)}
                    for x in f.facts
                ],
            }
            for f in c.flips
        ],
        "reasons": c.reasons,
        "facts": [
            {"path": x.path, "before": shown(x.before), "after": shown(x.after)} for x in c.facts
        ],
    }
