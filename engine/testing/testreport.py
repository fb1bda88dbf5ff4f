"""Test runs and coverage → text for people, JSON for programs, JUnit XML for CI.

A failing case shows what it expected and what evaluation gave, each with the line of the test
file that states it, then the actual explanation of that result (the same lines `aicxs check`
prints), so the reader sees why without running anything else. In JUnit, every expectation is
a testcase; an expectation met by an `unknown` or `waived` result is *skipped*, with a message
saying so, because such a result was not decided by a check on the facts.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from aicxs.aicxs_dsl.escape import printable_lines
from aicxs.aicxs_dsl.words import count
from aicxs.engine.explain import Style, is_coloured, plain
from aicxs.engine.outcome import Report, Result
from aicxs.engine.render import result_lines
from aicxs.engine.testing.coverage import Coverage, Figure, Item
from aicxs.engine.testing.runner import CaseRun, Checked, maturity_of

TESTS_SCHEMA_VERSION = 1
_SKIPPED = ("unknown", "waived", "not_applicable")


def _by_file(runs: list[CaseRun]) -> Iterator[tuple[str, list[CaseRun]]]:
    for path, group in groupby(runs, key=lambda r: r.file.path):
        yield path, list(group)


def _counts(runs: list[CaseRun]) -> str:
    failed = sum(not r.passed for r in runs)
    return f"{len(runs) - failed} passed" + (f", {failed} failed" if failed else "")


# ---- text -----------------------------------------------------------------------------------


def runs_text(runs: list[CaseRun], style: Style = plain, verbose: bool = False) -> str:
    return printable_lines(_runs_text(runs, style, verbose), is_coloured(style)) + "\n"


def _runs_text(runs: list[CaseRun], style: Style, verbose: bool) -> Iterator[str]:
    files = list(_by_file(runs))
    for path, group in files:
        yield f"{path}: {_counts(group)}"
        if verbose:
            for r in group:
                word = style("PASS", "true") if r.passed else style("FAIL", "false")
                yield f"  {word}  {r.case.name}"
    for r in runs:
        if not r.passed:
            yield ""
            yield from failure_lines(r, style)
    yield ""
    n = len(files)
    yield (f"{count(len(runs), 'case')} in {count(n, 'file')}: " + (_counts(runs)))


def failure_lines(run: CaseRun, style: Style = plain) -> Iterator[str]:
    """A failed case: where it is, what it changed, each expectation not met, and the actual
    explanation of each result concerned."""
    case = run.case
    yield f"{style('FAIL', 'false')}  {case.span.path}:{case.span.line}: {case.name}"
    yield f"  as of {case.as_of}; facts {run.file.facts.path}" + (
        "" if case.changes else "; no changes"
    )
    for change in case.changes:
        yield f"    {change.describe()}   ({change.span.path}:{change.span.line})"
    explained: set[str] = set()
    for checked in run.failures:
        e = checked.expectation
        yield ""
        yield f"  {e.span.path}:{e.span.line}: {_mismatch(checked)}"
        for line in _why(run.report, checked, explained, style):
            yield f"    {line}" if line else ""


def _mismatch(c: Checked) -> str:
    e = c.expectation
    match e.kind:
        case "status":
            return f"{e.target}: expected {e.expected}, got {c.actual}"
        case "verdict":
            return f"verdict: expected {e.expected}, got {c.actual}"
        case "maturity":
            return f"maturity of {e.target}: expected level {e.expected}, got level {c.actual}"
    return f"explanation of {e.target}: expected to contain {json.dumps(e.expected)}; it does not"


def _why(report: Report, c: Checked, explained: set[str], style: Style) -> Iterator[str]:
    e = c.expectation
    if e.kind == "verdict" or (e.kind == "explanation" and e.target == "verdict"):
        if "verdict" not in explained:
            explained.add("verdict")
            yield f"the verdict is {report.verdict}:"
            yield from (f"  - {reason}" for reason in report.reasons)
        return
    if e.kind == "maturity":
        yield from _maturity_why(report, e.target)
        return
    result = c.result
    if result is None:
        return
    if result.id in explained:
        yield f"(the explanation of {result.id} is shown above)"
        return
    explained.add(result.id)
    mode = "full" if e.kind == "explanation" else "fails"
    yield from result_lines(report, result, mode, style)


def _maturity_why(report: Report, target: str) -> Iterator[str]:
    pillars = (
        report.pillars if target == "overall" else [p for p in report.pillars if p.pillar == target]
    )
    if target == "overall":
        yield f"overall level {report.overall_level}: the lowest pillar's level"
    for p in pillars:
        blockers = ", ".join(p.next_level_blockers)
        needs = f"; level {p.level + 1} needs: {blockers}" if blockers else ""
        yield f"pillar {p.pillar} {p.title} is at level {p.level}{needs}"


# ---- JSON -----------------------------------------------------------------------------------


def runs_json(runs: list[CaseRun], coverage: Coverage | None = None) -> dict[str, Any]:
    failed = sum(not r.passed for r in runs)
    out: dict[str, Any] = {
        "schema_version": TESTS_SCHEMA_VERSION,
        "summary": {
            "files": len(list(_by_file(runs))),
            "cases": len(runs),
            "passed": len(runs) - failed,
            "failed": failed,
        },
        "files": [
            {
                "path": path,
                "policy": group[0].file.policy.policy.span.path,
                "standard": group[0].file.policy.standard.span.path,
                "facts": group[0].file.facts.path,
                "cases": [_case_json(r) for r in group],
            }
            for path, group in _by_file(runs)
        ],
    }
    if coverage is not None:
        out["coverage"] = coverage_json(coverage)
    return out


def _case_json(run: CaseRun) -> dict[str, Any]:
    case = run.case
    return {
        "name": case.name,
        "line": case.span.line,
        "as_of": case.as_of.isoformat(),
        "passed": run.passed,
        "verdict": run.report.verdict,
        "changes": [
            {"change": c.verb, "path": c.path, "value": c.value, "line": c.span.line}
            for c in case.changes
        ],
        "expectations": [
            {
                "kind": c.expectation.kind,
                "target": c.expectation.target,
                "expected": c.expectation.expected,
                "actual": c.actual,
                "ok": c.ok,
                "line": c.expectation.span.line,
            }
            for c in run.checked
        ],
        "explanations": {
            c.result.id: list(result_lines(run.report, c.result, "fails"))
            for c in run.failures
            if c.result is not None
        },
    }


def coverage_json(coverage: Coverage) -> dict[str, Any]:
    return {
        "figures": {name: _figure_json(f) for name, f in figures(coverage).items()},
        "items": [
            {
                "kind": i.kind,
                "id": i.id,
                "text": i.text,
                "file": i.span.path,
                "line": i.span.line,
                "column": i.span.col,
                "seen": dict(sorted(i.seen.items())),
                "covered": i.covered,
                "reason": i.reason(),
            }
            for i in coverage.items.values()
            if coverage.applicable(i)
        ],
        "not_applicable": [i.id for i in coverage.excluded()],
    }


def _figure_json(f: Figure) -> dict[str, Any]:
    return {"covered": f.covered, "total": f.total, "percent": round(f.percent, 1)}


def figures(coverage: Coverage) -> dict[str, Figure]:
    return {
        "clauses": coverage.figure("clause"),
        "key_requirements": coverage.figure("key_requirement"),
        "rules": coverage.figure("rule"),
        "conditions": coverage.figure("condition"),
        "clauses_and_key_requirements": coverage.gated(),
    }


# ---- coverage as text -----------------------------------------------------------------------

_FIGURE_NAMES = {
    "clauses": "clauses",
    "key_requirements": "key requirements",
    "rules": "organisation rules",
    "conditions": "sub-conditions",
    "clauses_and_key_requirements": "clauses + key requirements",
}


def coverage_text(coverage: Coverage, style: Style = plain) -> str:
    return printable_lines(_coverage_text(coverage, style), is_coloured(style)) + "\n"


def _coverage_text(coverage: Coverage, style: Style) -> Iterator[str]:
    yield "Coverage: which requirements the cases saw both pass and fail"
    yield "(PASS, FAIL, UNKN, OTHER: how many evaluations gave each status; CONDITIONS: the"
    yield "sub-conditions of its check seen both passing and failing, of all)"
    rows = [i for i in coverage.items.values() if i.kind != "condition" and coverage.applicable(i)]
    for path, group in groupby(rows, key=lambda i: i.span.path):
        yield ""
        yield path
        yield f"  {'ID':<8} PASS  FAIL  UNKN OTHER  CONDITIONS  COVERED"
        for item in group:
            subs = [c for c in coverage.conditions_of(item) if coverage.applicable(c)]
            sub = f"{sum(c.covered for c in subs)}/{len(subs)}" if subs else "-"
            mark = style("yes", "true") if item.covered else style("no", "false")
            seen = item.seen
            yield (
                f"  {item.id:<8}{seen['pass']:>5} {seen['fail']:>5} {seen['unknown']:>5} "
                f"{item.other:>5}  {sub:>10}  {mark}"
            )
    yield ""
    yield "Seen both passing and failing:"
    shown = {
        _FIGURE_NAMES[name] + (" (gated by --fail-under)" if name.startswith("clauses_") else ""): f
        for name, f in figures(coverage).items()
        if name != "rules" or f.total
    }
    room = max(len(label) for label in shown) + 2
    for label, f in shown.items():
        yield f"  {label:<{room}}{f.covered:>4}/{f.total:<4}{f.percent:>6.1f}%"
    excluded = coverage.excluded()
    if excluded:
        yield ""
        yield (
            "Not applicable in every case (excluded by the policy), not counted: "
            + ", ".join(i.id for i in excluded)
        )
    missing = coverage.uncovered()
    if missing:
        yield ""
        yield f"Not covered ({len(missing)}):"
        for item in missing:
            yield f"  {_item_label(item)}: {item.reason()}"


def _item_label(item: Item) -> str:
    where = f"{item.span.path}:{item.span.line}:{item.span.col}"
    if item.kind == "condition":
        text = item.text if len(item.text) <= 64 else f"{item.text[:36]} ... {item.text[-23:]}"
        return f"{item.id} sub-condition `{text}` ({where})"
    kind = item.kind.replace("_", " ")
    return f'{kind} {item.id} "{item.text}" ({where})'


# ---- JUnit XML ------------------------------------------------------------------------------


def runs_junit(runs: list[CaseRun]) -> str:
    """JUnit XML: a testsuite per test file, a testcase per expectation of each case
    (`classname` = `file::case`), failures with expected vs actual and the explanation."""
    root = ET.Element("testsuites", name="aicxs test")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for path, group in _by_file(runs):
        suite = ET.SubElement(root, "testsuite", name=path)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for run in group:
            for checked in run.checked:
                _testcase(suite, run, checked, counts)
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("errors", "0")
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _testcase(suite: ET.Element, run: CaseRun, checked: Checked, counts: dict[str, int]) -> None:
    e = checked.expectation
    case = ET.SubElement(
        suite,
        "testcase",
        name=e.describe(),
        classname=f"{run.file.path}::{run.case.name}",
        file=e.span.path,
        line=str(e.span.line),
    )
    counts["tests"] += 1
    if not checked.ok:
        counts["failures"] += 1
        failure = ET.SubElement(case, "failure", message=_mismatch(checked), type="expectation")
        failure.text = "\n".join(_why(run.report, checked, set(), plain))
    elif e.kind == "status" and checked.actual in _SKIPPED and checked.result is not None:
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message=_undecided(checked.result))


def _undecided(result: Result) -> str:
    """Why an expected `unknown`, `waived` or `not_applicable` result was not decided by a
    check on the facts."""
    status = result.status.value
    if status == "waived":
        return f"{result.id} is waived, as expected, so its check does not count: {result.reason}"
    if status == "not_applicable":
        return f"{result.id} is excluded by the policy, as expected: {result.reason}"
    why = f"facts are missing: {', '.join(result.missing)}" if result.missing else result.reason
    return f"{result.id} is unknown, as expected: {why}"


__all__ = ["coverage_text", "maturity_of", "runs_json", "runs_junit", "runs_text"]
