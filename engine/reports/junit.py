"""A `Report` → JUnit XML, for the test tab of a CI system (Jenkins, GitLab, GitHub actions).

First a `Certification` suite: the verdict, a case that fails unless the policy is certified,
and each mandatory key requirement, a case that fails unless it passes (unknown included), so a
CI run is red whenever the organisation is not certified. Then one suite per pillar, with one
test case per clause and per organisation rule that refines it, and one for the other key
requirements. A failing result is a `<failure>` with the explanation; an evaluation error an
`<error>`; unknown, waived, not applicable and blocked are `<skipped>` with a message that says
which and why, since none of them is a pass. A clause above the target level is never a failure
(the certification asked for does not need it): it is `<skipped>`, saying so.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aicxs.engine.outcome import Report, Result, Status, Verdict, standard_name
from aicxs.engine.render import VERDICT_WORD
from aicxs.engine.reports.common import (
    PHRASE,
    checked_status,
    explanation_text,
    headline,
    missing_names,
)

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy

SKIPPED = {
    Status.UNKNOWN: "unknown",
    Status.WAIVED: "waived",
    Status.NOT_APPLICABLE: "not applicable",
    Status.BLOCKED: "blocked",
}
# Characters XML 1.0 cannot carry, even escaped; a fact value could hold one.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def report_junit(report: Report, compiled: CompiledPolicy, mode: str = "fails") -> str:
    std = report.standard
    root = ET.Element("testsuites", name=f"{standard_name(std)} · policy {report.policy['id']}")
    package = f"{std['id']}{std['version']}"
    _certification(root, report, package, mode)
    level = {p.pillar: p.level for p in report.pillars}
    for pillar in compiled.standard.pillars.values():
        cases = [
            r
            for c in pillar.clauses
            if (clause := report.result(c)) is not None
            for r in (clause, *clause.rules)
        ]
        props = {
            "pillar": pillar.id,
            "maturity_level": str(level.get(pillar.id, 0)),
            "target_level": str(report.target_level),
        }
        _suite(
            root,
            report,
            f"{pillar.id} {pillar.title}",
            f"{package}.{pillar.id}",
            cases,
            props,
            mode,
        )
    krs = [r for r in report.results if r.kind == "key_requirement" and not r.mandatory]
    if krs:
        props = {"maturity_level": str(report.overall_level)}
        _suite(root, report, "Key requirements", f"{package}.KR", krs, props, mode)
    _count(root, root.findall("testsuite"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _certification(root: ET.Element, report: Report, package: str, mode: str) -> None:
    """The verdict and the mandatory key requirements, each failing unless met."""
    suite = ET.SubElement(root, "testsuite", name="Certification")
    properties = ET.SubElement(suite, "properties")
    props = {
        "verdict": report.verdict.value,
        "maturity_level": str(report.overall_level),
        "target_level": str(report.target_level),
        "systems_in_scope": str(report.systems.get("in_scope", 0)),
        "out_of_scope": ", ".join(report.out_of_scope),
    }
    for key, value in props.items():
        ET.SubElement(properties, "property", name=key, value=_xml(value))
    word = VERDICT_WORD[report.verdict]
    case = ET.SubElement(
        suite,
        "testcase",
        name=f"verdict: certified at level {report.target_level}",
        classname=f"{package}.verdict",
        file=str(report.policy["source"]),
        time="0",
    )
    reasons = _xml("\n".join(report.reasons))
    if report.verdict is not Verdict.CERTIFIED:
        failure = ET.SubElement(case, "failure", message=_xml(word), type=report.verdict.value)
        failure.text = reasons
    else:
        ET.SubElement(case, "system-out").text = reasons
    for kr in report.results:
        if kr.kind == "key_requirement" and kr.mandatory:
            _case(suite, report, kr, f"{package}.KR", mode, required=True)
    _count(suite, suite.findall("testcase"))
    suite.set("timestamp", f"{report.as_of.isoformat()}T00:00:00")


def _suite(
    root: ET.Element,
    report: Report,
    name: str,
    classname: str,
    results: list[Result],
    props: dict[str, str],
    mode: str,
) -> None:
    suite = ET.SubElement(root, "testsuite", name=_xml(name))
    properties = ET.SubElement(suite, "properties")
    for key, value in props.items():
        ET.SubElement(properties, "property", name=key, value=_xml(value))
    for r in results:
        _case(suite, report, r, classname, mode)
    _count(suite, suite.findall("testcase"))
    suite.set("timestamp", f"{report.as_of.isoformat()}T00:00:00")


def _case(
    suite: ET.Element,
    report: Report,
    r: Result,
    classname: str,
    mode: str,
    required: bool = False,
) -> None:
    """One result. `required`: anything but a pass is a failure (a mandatory requirement)."""
    title = f"{r.id} {r.title}" + (
        f" (refines {r.trace.refines})" if r.trace and r.trace.refines else ""
    )
    case = ET.SubElement(
        suite,
        "testcase",
        name=_xml(title),
        classname=classname,
        file=_xml(r.span.path),
        line=str(r.span.line),
        time="0",
    )
    text = _xml(explanation_text(report, r, mode))
    above = r.level is not None and r.level > report.target_level
    match r.status:
        case Status.PASS:
            pass
        case _ if required:
            message = _xml(f"{headline(r)} (mandatory: required for certification)")
            ET.SubElement(case, "failure", message=message, type=r.status.value).text = text
        case Status.FAIL | Status.ERROR if above:
            message = f"above the target level {report.target_level}: {headline(r)}"
            ET.SubElement(case, "skipped", message=_xml(message)).text = text
        case Status.FAIL:
            ET.SubElement(case, "failure", message=_xml(headline(r)), type="fail").text = text
        case Status.ERROR:
            ET.SubElement(case, "error", message=_xml(headline(r)), type="error").text = text
        case _:
            ET.SubElement(case, "skipped", message=_xml(_skip_message(r))).text = text
    ET.SubElement(case, "system-out").text = _xml(_details(r))


def _skip_message(r: Result) -> str:
    word = SKIPPED[r.status]
    if r.status is Status.UNKNOWN and r.missing:
        return f"{word}: missing facts: {missing_names(r.missing)}"
    if r.status is Status.WAIVED:
        return f"{word} (its check {PHRASE[checked_status(r)]}): {r.reason}"
    return f"{word}: {r.reason}" if r.reason else word


def _details(r: Result) -> str:
    lines = [f"source: {r.span.location()}"]
    if r.owner:
        lines.append(f"owner: {r.owner} · expected at level {r.level}")
    if r.evidence_expected:
        lines.append("evidence expected: " + "; ".join(r.evidence_expected))
    if r.trace is not None:
        t = r.trace
        if t.key_requirements:
            lines.append("feeds: " + ", ".join(t.key_requirements))
        if t.crosswalk:
            lines.append("crosswalk: " + "; ".join(x.phrase() for x in t.crosswalk))
    if r.covers:
        lines.append("covers: " + ", ".join(f"{c} ({s.value})" for c, s in r.covers))
    return "\n".join(lines)


def _count(element: ET.Element, children: Iterable[ET.Element]) -> None:
    """`tests`, `failures`, `errors`, `skipped` of a suite (from its cases) or of the root."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for child in children:
        if child.tag == "testcase":
            totals["tests"] += 1
            totals["failures"] += child.find("failure") is not None
            totals["errors"] += child.find("error") is not None
            totals["skipped"] += child.find("skipped") is not None
        else:
            for key in totals:
                totals[key] += int(child.get(key, "0"))
    for key, value in totals.items():
        element.set(key, str(value))
    element.set("time", "0")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
