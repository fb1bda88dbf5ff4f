"""Running policy tests: each case of a test file evaluated and compared with what it expects.

`run_tests(files)` evaluates every case (its facts, its `as_of`) with the file's compiled policy
and returns one `CaseRun` per case: the report, and for each expectation the actual value and
whether it matched. Nothing is printed here; `engine.testreport` renders runs as text, JSON or
JUnit XML. With a `Coverage`, each report (evaluated with full explanations) is recorded in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from aicxs.engine.outcome import Report, Result
from aicxs.engine.render import result_lines
from aicxs.engine.testing.coverage import Coverage
from aicxs.engine.testing.testcases import Case, Expectation
from aicxs.engine.testing.testfile import PolicyTestFile


@dataclass
class Checked:
    """One expectation of a case, with what evaluation actually gave."""

    expectation: Expectation
    actual: str
    ok: bool
    result: Result | None = None  # the result it is about (status and explanation expectations)


@dataclass
class CaseRun:
    file: PolicyTestFile
    case: Case
    report: Report
    checked: list[Checked] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checked)

    @property
    def failures(self) -> list[Checked]:
        return [c for c in self.checked if not c.ok]


def select(files: list[PolicyTestFile], pattern: str | None) -> list[tuple[PolicyTestFile, Case]]:
    """The cases to run: all, or those whose name (or `file::name`) matches the regular
    expression `pattern` (searched, as `go test -run` does)."""
    rx = re.compile(pattern) if pattern else None
    return [
        (f, c)
        for f in files
        for c in f.cases
        if rx is None or rx.search(c.name) or rx.search(f"{f.path}::{c.name}")
    ]


def run_tests(
    cases: Iterable[tuple[PolicyTestFile, Case]],
    coverage: Coverage | None = None,
    fail_fast: bool = False,
) -> list[CaseRun]:
    """Run the cases in order; with `fail_fast`, stop after the first that fails."""
    runs = []
    for test_file, case in cases:
        run = run_case(test_file, case, coverage)
        runs.append(run)
        if fail_fast and not run.passed:
            break
    return runs


def run_case(test_file: PolicyTestFile, case: Case, coverage: Coverage | None = None) -> CaseRun:
    policy = test_file.policy
    full = coverage is not None or case.needs_explanations
    report = policy.evaluate(case.facts, case.as_of, explain="full" if full else "fails")
    if coverage is not None:
        coverage.record(policy, report)
    run = CaseRun(test_file, case, report)
    run.checked = [_check(report, e) for e in case.expectations]
    return run


def _check(report: Report, e: Expectation) -> Checked:
    match e.kind:
        case "status":
            result = report.result(e.target)
            actual = result.status.value if result else "absent"
            return Checked(e, actual, actual == e.expected, result)
        case "verdict":
            return Checked(e, report.verdict, report.verdict == e.expected)
        case "maturity":
            level = str(maturity_of(report, e.target))
            return Checked(e, level, level == e.expected)
    if e.target == "verdict":
        found = e.expected in "\n".join(report.reasons)
        return Checked(e, "found" if found else "not found", found)
    result = report.result(e.target)
    text = "\n".join(result_lines(report, result, "full")) if result else ""
    found = e.expected in text
    return Checked(e, "found" if found else "not found", found, result)


def maturity_of(report: Report, pillar: str) -> int:
    if pillar == "overall":
        return report.overall_level
    return next((p.level for p in report.pillars if p.pillar == pillar), 0)
