"""The web assessment's pages: Jinja2 templates (autoescaped: every answer, id and label shown
back is escaped), the live result beside the form, and the roadmap section of the final page.

Pages load nothing from outside: the stylesheets (the HTML report's own, so the maturity chart
and badges look the same, and this package's `assess.css`) and the optional script that saves
each answer as it is given (`assess.js`) are inline, allowed by their hashes in the page's
Content-Security-Policy; every form also works without the script.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.aicxs_dsl.words import count
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.onboarding.roadmap import Roadmap
from aicxs.engine.onboarding.roadmap_report import roadmap_json
from aicxs.engine.outcome import Report, Status

VERDICT_WORD = {"certified": "CERTIFIED", "not_certified": "NOT CERTIFIED"}
VERDICT_WORD["undetermined"] = "UNDETERMINED"
UNKNOWN_SHOWN = 12  # unknown facts listed beside the form; the rest are counted


@dataclass(frozen=True)
class Renderers:
    """What these pages show but another wing makes; the CLI wires them (from `reports`)."""

    report_html: Callable[[Report, CompiledPolicy, Markup], str]  # the final page
    chart_svg: Callable[[Report], Markup]  # the report's maturity chart
    css: str  # the report's stylesheet


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["verdict"] = lambda v: VERDICT_WORD.get(str(v), str(v).upper())
    env.filters["count"] = count  # `{{ n|count("clause") }}`: 1 clause, 2 clauses
    return env


@functools.lru_cache(maxsize=4)
def asset(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text("utf-8")


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def csp(css: str, script: str = "") -> str:
    """Nothing from elsewhere; only this page's own style and script; forms post here only."""
    scripts = _digest(script) if script else "'none'"
    return (
        f"default-src 'none'; style-src {_digest(css)}; script-src {scripts}; "
        "connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def render(template: str, renderers: Renderers, **data: Any) -> tuple[str, str]:
    """A page and its Content-Security-Policy."""
    css = renderers.css + "\n" + asset("assess.css")
    script = asset("assess.js")
    page = environment().get_template(template).render(css=css, script=script, **data)
    return page, csp(css, script)


# ---- the live result ------------------------------------------------------------------------


def live(report: Report, renderers: Renderers, unknown_links: dict[str, str]) -> dict[str, Any]:
    """What the panel beside the form shows: the verdict, the maturity chart, the key
    requirements and the facts still unknown (each linked to its question)."""
    krs = [r for r in report.results if r.kind == "key_requirement"]
    missing = list(report.missing_facts)
    return {
        "verdict": report.verdict.value,
        "overall": report.overall_level,
        "target": report.target_level,
        "reasons": list(report.reasons),
        "chart": renderers.chart_svg(report),
        "key_requirements": [
            {"id": r.id, "title": r.title, "status": r.status.value, "label": _label(r.status)}
            for r in krs
        ],
        "unknown": [{"path": p, "href": unknown_links.get(p, "")} for p in missing[:UNKNOWN_SHOWN]],
        "unknown_count": len(missing),
    }


def _label(status: Status) -> str:
    return {"not_applicable": "N/A"}.get(status.value, status.value.upper())


def live_html(panel: dict[str, Any], links: dict[str, str]) -> str:
    return environment().get_template("live.html.j2").render(live=panel, links=links)


# ---- the final page -------------------------------------------------------------------------


def roadmap_section(plan: Roadmap, links: dict[str, str], recorded: int | None) -> Markup:
    data = roadmap_json(plan)
    data["owners"] = plan.owners
    section = environment().get_template("roadmap.html.j2")
    return Markup(section.render(plan=data, links=links, recorded=recorded))


def json_body(data: Any) -> bytes:
    return (json_dumps(data, indent=None) + "\n").encode("utf-8")
