"""Reports for auditors and CI: a `Report` → self-contained HTML, SARIF 2.1.0, JUnit XML,
an OSCAL assessment-results document, or CSV; and the standard → an OSCAL catalog.

    from aicxs.engine.reports import render_report
    text = render_report("sarif", report, compiled)

Each renderer reads what evaluation recorded (and the compiled policy, for the standard's
text and the policy's tailoring); none evaluates anything. Same inputs, same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy
    from aicxs.engine.outcome import Report

FORMATS = ("html", "sarif", "junit", "oscal", "csv")


def render_report(fmt: str, report: Report, compiled: CompiledPolicy, mode: str = "fails") -> str:
    """`fmt` is one of `FORMATS`; `mode` (`fails`, `full`, `none`) is how much of each
    explanation to show. Renderers are imported on use: the CLI starts fast."""
    match fmt:
        case "html":
            from aicxs.engine.reports.html import report_html

            return report_html(report, compiled, mode)
        case "sarif":
            from aicxs.engine.reports.sarif import report_sarif

            return report_sarif(report, compiled, mode)
        case "junit":
            from aicxs.engine.reports.junit import report_junit

            return report_junit(report, compiled, mode)
        case "oscal":
            from aicxs.engine.reports.oscal_results import assessment_results

            return assessment_results(report, compiled, mode)
        case "csv":
            from aicxs.engine.reports.csvout import report_csv

            return report_csv(report, compiled)
    raise ValueError(f"unknown report format `{fmt}`; use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render_report"]
