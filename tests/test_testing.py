"""`aicxs test`: test files, the runner, fact overrides, failures, coverage, JUnit and JSON.

The repository's own test files (spec/*.tests.yaml, policies/*.tests.yaml) must pass with 100%
of clauses and key requirements seen both passing and failing. A deliberately wrong expectation
(tests/data/testing/telecom-wrong.tests.yaml) pins what a failure prints. Mistakes in test files
are located at their line, with pinned messages.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from junitparser import Failure, JUnitXml, Skipped

from aicxs.aicxs_dsl.diagnostics import DiagnosticError
from aicxs.engine.testing.coverage import Coverage, conditions
from aicxs.engine.testing.overrides import parse_fact_path
from aicxs.engine.testing.runner import run_case, run_tests, select
from aicxs.engine.testing.testfile import load_test_file, load_test_files
from aicxs.engine.testing.testschema import schema_of_tests
from aicxs.engine.values import UNKNOWN
from tests.conftest import ROOT, run_cli

WRONG = "tests/data/testing/telecom-wrong.tests.yaml"
REPO_TESTS = sorted(
    str(p.relative_to(ROOT)) for d in ("spec", "policies") for p in (ROOT / d).glob("*.tests.yaml")
)

TELECOM = """\
policy: telecom.aicx
facts: telecom.facts.yaml
as_of: 2026-11-27
cases:
{cases}
"""


def write_tests(tmp_path: Path, cases: str, head: str = TELECOM) -> Path:
    """A test file of `cases` in a folder holding a copy of the telecom policy and facts."""
    for name in ("telecom.aicx", "telecom.facts.yaml"):
        (tmp_path / name).write_text((ROOT / "policies" / name).read_text("utf-8"), "utf-8")
    path = tmp_path / "t.tests.yaml"
    path.write_text(head.format(cases=cases), "utf-8")
    return path


def relative(text: str, tmp_path: Path) -> str:
    return text.replace(str(tmp_path), "<tmp>")


# ---- the repository's tests -----------------------------------------------------------------


def test_every_example_policy_and_the_standard_have_tests() -> None:
    policies = sorted(p.stem for p in (ROOT / "policies").glob("*.aicx"))
    assert [f"policies/{p}.tests.yaml" for p in policies] == [
        t for t in REPO_TESTS if t.startswith("policies/")
    ]
    assert "spec/aicxs-2024.tests.yaml" in REPO_TESTS


def test_repository_tests_pass_with_full_clause_and_key_requirement_coverage() -> None:
    r = run_cli("test", "spec/", "policies/", "--coverage", "--fail-under", "100")
    assert r.exit_code == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(line.endswith("passed") and "failed" not in line for line in lines)
    for label, total in [("clauses", 31), ("key requirements", 6)]:
        row = next(line for line in lines if line.strip().startswith(f"{label} "))
        assert row.split()[-2:] == [f"{total}/{total}", "100.0%"], row
    gated = next(line for line in lines if "gated by --fail-under" in line)
    assert gated.split()[-2:] == ["37/37", "100.0%"]
    assert "Not covered" not in r.stdout


def test_repository_test_files_follow_the_published_schema() -> None:
    schema = schema_of_tests()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in REPO_TESTS:
        doc = yaml.load((ROOT / path).read_text("utf-8"), Loader=yaml.SafeLoader)
        doc = json.loads(json.dumps(doc, default=str))  # dates as YAML gives them, as text
        assert list(validator.iter_errors(doc)) == [], path


def test_runner_reports_each_expectation_with_the_actual_value() -> None:
    files = load_test_files(["policies/telecom.tests.yaml"])
    [run] = run_tests(select(files, "^as recorded"))
    assert run.passed
    got = {(c.expectation.target, (c.expectation.expected, c.actual)) for c in run.checked}
    assert ("KR1", ("fail", "fail")) in got
    assert ("P4.5", ("blocked", "blocked")) in got
    assert ("P4", ("1", "1")) in got
    assert ("verdict", ("not_certified", "not_certified")) in got


def test_run_pattern_selects_by_name_or_file() -> None:
    files = load_test_files(["spec/", "policies/"])
    by_name = select(files, "P4\\.2 fails")
    assert {c.name for _, c in by_name} == {
        "P4.2 fails when a customer cannot ask for a human, failing KR2 and blocking P4.5",
        "P4.2 fails when the voice line keeps callers waiting 150 seconds for a human",
        "P4.2 fails when the conversation is not handed over with its context",
    }
    by_file = select(files, "^policies/insurer")
    assert {f.path for f, _ in by_file} == {"policies/insurer.tests.yaml"}


def test_run_option_on_the_command_line() -> None:
    r = run_cli("test", "policies/", "--run", "certified at level", "-v")
    assert r.exit_code == 0
    assert "2 cases in 2 files: 2 passed" in r.stdout
    assert "  PASS  with the customers' consent recorded for every system, the bank is" in r.stdout


def test_run_pattern_mistakes_exit_2() -> None:
    bad = run_cli("test", "policies/", "--run", "(unclosed")
    assert bad.exit_code == 2 and "is not a regular expression" in bad.stderr
    none = run_cli("test", "policies/", "--run", "no such case")
    assert none.exit_code == 2
    assert "no case matches `no such case` (of 40 cases in 4 files)" in none.stderr


# ---- fact overrides -------------------------------------------------------------------------


def test_set_changes_a_fact_with_its_type_and_leaves_the_base_alone(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        """\
  - name: slower
    set:
      "systems[web-chat].escalation.max_wait": 130 seconds
      organisation.strategy.last_reviewed: 2025-01-01
    expect: {P4.2: fail, P1.1: fail}
  - name: base
    expect: {P4.2: fail}""",
    )
    tf = load_test_file(path)
    slower, base = tf.cases
    chat = slower.facts.data["systems"][1]
    assert chat["escalation"]["max_wait"] == 130
    assert slower.facts.data["organisation"]["strategy"]["last_reviewed"] == dt.date(2025, 1, 1)
    assert base.facts is tf.facts
    assert tf.facts.data["systems"][1]["escalation"]["max_wait"] == 95
    assert all(run_case(tf, c).passed for c in tf.cases)


def test_set_fact_is_located_in_the_test_file_others_in_the_facts_file(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        """\
  - name: disclosed
    set: {"systems[voice-ivr].disclosure.at_first_turn": true}
    expect: {P5.2: fail}""",
    )
    [case] = load_test_file(path).cases
    assert case.facts.location("$.systems[0].disclosure.at_first_turn") == f"{path}:6"
    assert case.facts.location("$.systems[0].disclosure.clear_on_handover") == (
        f"{tmp_path}/telecom.facts.yaml:61"
    )
    assert case.facts.position("$.systems[0].disclosure.at_first_turn") is None


def test_unset_makes_a_fact_missing_so_checks_are_unknown(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        """\
  - name: no wait measured
    unset: ["systems[web-chat].escalation.max_wait", "organisation.training"]
    expect: {P4.4: unknown}""",
    )
    tf = load_test_file(path)
    [case] = tf.cases
    assert "max_wait" not in case.facts.data["systems"][1]["escalation"]
    assert "training" not in case.facts.data["organisation"]
    run = run_case(tf, case)
    assert run.passed
    assert tuple(run.report.result("P4.4").missing) == (  # type: ignore[union-attr]
        "organisation.training.last_refresh",
        "organisation.training.programme_exists",
        "organisation.training.staff_trained_share",
    )


def test_set_a_new_item_adds_it_and_unset_an_item_removes_it(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        """\
  - name: estate change
    unset: ["systems[voice-ivr]"]
    set:
      "systems[kiosk]": {customer_facing: false, risk: low, risk_assessed: false}
      "systems[kiosk].business_case_approved": true
    expect: {P1.4: fail, P5.2: pass}""",
    )
    tf = load_test_file(path)
    [case] = tf.cases
    ids = [s["id"] for s in case.facts.data["systems"]]
    assert ids == [
        "web-chat",
        "email-replies",
        "retention-offers",
        "device-credit",
        "store-assist",
        "kiosk",
    ]
    assert case.facts.data["systems"][-1]["business_case_approved"] is True
    # web-chat moved from index 1 to 0: its facts are still found in the facts file
    assert case.facts.location("$.systems[0].escalation.max_wait") == (
        tf.facts.location("$.systems[1].escalation.max_wait")
    )
    assert case.facts.location("$.systems[5].risk") == f"{path}:8"
    run = run_case(tf, case)
    assert run.passed, [c.expectation.describe() for c in run.failures]
    assert "kiosk" in "\n".join(
        line for r in [run.report.result("P1.4")] if r for line in _explain(run.report, r)
    )


def _explain(report: object, result: object) -> list[str]:
    from aicxs.engine.render import result_lines

    return list(result_lines(report, result, "fails"))  # type: ignore[arg-type]


def test_unset_then_set_replaces_a_record(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        """\
  - name: new escalation
    unset: ["systems[voice-ivr].escalation"]
    set: {"systems[voice-ivr].escalation.available": true}
    expect: {P4.2: unknown}""",
    )
    [case] = load_test_file(path).cases
    assert case.facts.data["systems"][0]["escalation"] == {"available": True}


def test_inline_facts_are_located_in_the_test_file(tmp_path: Path) -> None:
    path = tmp_path / "inline.tests.yaml"
    path.write_text(
        f"standard: {ROOT / 'spec' / 'aicxs-2024.aicx'}\n"
        "policy: {target: 2}\n"
        "facts:\n"
        "  organisation:\n"
        "    strategy: {documented: true, aligned_to_cx_objectives: true, last_reviewed: 2026-01-05}\n"
        "  systems: []\n"
        "as_of: 2026-11-27\n"
        "cases:\n"
        "  - name: strategy\n"
        "    expect: {P1.1: blocked, P1.2: unknown}\n",
        "utf-8",
    )
    tf = load_test_file(path)
    run = run_case(tf, tf.cases[0])
    assert run.passed, [c.expectation.describe() for c in run.failures]
    assert tf.facts.location("$.organisation.strategy.documented") == f"{path}:5"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
            st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,8}", fullmatch=True),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_fact_paths_parse_back_into_their_parts(parts: list[tuple[str, str | None]]) -> None:
    text = ".".join(name + (f"[{item}]" if item else "") for name, item in parts)
    assert parse_fact_path(text) == parts


@pytest.mark.parametrize("text", ["", "systems[", "systems[a]x", "a..b", "1abc", "a.b[]"])
def test_malformed_fact_paths_are_refused(text: str) -> None:
    assert parse_fact_path(text) is None


# ---- failures -------------------------------------------------------------------------------


def test_wrong_expectation_prints_expected_actual_and_explanation(snapshot: object) -> None:
    r = run_cli("test", WRONG)
    assert r.exit_code == 1
    assert r.stderr == ""
    assert "P5.2: expected pass, got fail" in r.stdout
    assert (
        "systems[voice-ivr].disclosure.at_first_turn: false   policies/telecom.facts.yaml:59"
        in (r.stdout)
    )
    assert "2 cases in 1 file: 1 passed, 1 failed" in r.stdout
    assert r.stdout == snapshot


def test_wrong_expectation_as_json() -> None:
    r = run_cli("test", WRONG, "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["summary"] == {"files": 1, "cases": 2, "passed": 1, "failed": 1}
    wrong = doc["files"][0]["cases"][1]
    assert wrong["passed"] is False and wrong["line"] == 12
    failed = [e for e in wrong["expectations"] if not e["ok"]]
    assert [(e["target"], e["expected"], e["actual"]) for e in failed] == [
        ("P5.2", "pass", "fail"),
        ("verdict", "certified", "not_certified"),
        ("P5", "2", "1"),
        ("P5.2", "0 of 3 systems", "not found"),
    ]
    assert any("voice-ivr" in line for line in wrong["explanations"]["P5.2"])
    assert wrong["changes"] == [
        {
            "change": "set",
            "path": "systems[voice-ivr].disclosure.method",
            "value": "spoken",
            "line": 13,
        }
    ]


def test_results_can_be_written_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    r = run_cli("test", "policies/startup.tests.yaml", "--format", "json", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads(out.read_text("utf-8"))["summary"]["passed"] == 6


def test_a_mutated_standard_given_with_spec_fails_the_standards_tests(tmp_path: Path) -> None:
    text = (ROOT / "spec" / "aicxs-2024.aicx").read_text("utf-8")
    broken = text.replace(
        "s.escalation.max_wait <= param max_human_wait",
        "s.escalation.max_wait > param max_human_wait",
    )
    assert broken != text
    mutant = tmp_path / "aicxs-2024.aicx"
    mutant.write_text(broken, "utf-8")
    r = run_cli("test", "spec/aicxs-2024.tests.yaml", "--spec", str(mutant), "--run", "P4.2")
    assert r.exit_code == 1
    assert "P4.2: expected pass, got fail" in r.stdout  # the 120-second case
    assert f"{mutant}:" in r.stdout  # explanations now cite the mutant


# ---- coverage -------------------------------------------------------------------------------


def test_coverage_reasons(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        """\
  - name: as recorded
    expect: {KR1: fail}
  - name: web chat without context handover
    set: {"systems[web-chat].escalation.handover_with_context": false}
    expect: {P4.2: fail}""",
    )
    tf = load_test_file(path)
    cov = Coverage()
    cov.register(tf.policy)
    for case in tf.cases:
        run_case(tf, case, cov)
    items = {(i.kind, i.id, i.text): i for i in cov.items.values()}
    p42 = items[("clause", "P4.2", "Escalation protocols")]
    assert p42.reason() == "only ever failed" and p42.seen == {"fail": 2}
    p12 = items[("clause", "P1.2", "Governance structures")]
    assert p12.reason() == "only ever passed"
    p41 = items[("clause", "P4.1", "Human oversight requirements")]
    assert p41.reason() == "never passed or failed (seen: blocked 2)"
    vt1 = items[("rule", "VT-1", "Priority care for customers flagged as vulnerable")]
    assert vt1.reason() == "only ever passed"
    handover = items[("condition", "P4.2", "s.escalation.handover_with_context")]
    assert handover.seen == {"pass": 2 + 1, "fail": 1 + 2}  # 3 customer-facing systems, twice
    # the `where` of a quantifier is seen failing for the items it leaves out
    where = items[("condition", "P4.2", "s.customer_facing")]
    assert where.seen == {"pass": 6, "fail": 6}
    assert cov.figure("clause").covered == 0 and cov.figure("clause").total == 31


def test_coverage_never_evaluated_and_excluded(tmp_path: Path) -> None:
    head = TELECOM.replace("policy: telecom.aicx", "policy: bank.aicx").replace(
        "telecom.facts.yaml", "retail-bank.facts.yaml"
    )
    for name in ("retail-bank.aicx", "retail-bank.facts.yaml"):
        target = "bank.aicx" if name.endswith(".aicx") else name
        (tmp_path / target).write_text((ROOT / "policies" / name).read_text("utf-8"), "utf-8")
    path = tmp_path / "t.tests.yaml"
    path.write_text(
        head.format(cases="  - name: as recorded\n    expect: {verdict: certified}"), "utf-8"
    )
    tf = load_test_file(path)
    cov = Coverage()
    cov.register(tf.policy)
    run_case(tf, tf.cases[0], cov)
    assert [i.id for i in cov.excluded()] == ["P6.5"]  # excluded by the policy: not counted
    assert all(i.id != "P6.5" for i in cov.uncovered())
    assert cov.figure("clause").total == 30
    never = [i for i in cov.uncovered() if i.reason() == "never evaluated"]
    assert never == []  # every check ran; P2.4 is waived but still evaluated
    cov2 = Coverage()
    cov2.register(tf.policy)  # registered, never run
    assert {i.reason() for i in cov2.uncovered()} == {"never evaluated"}


def test_coverage_conditions_flatten_and_chains() -> None:
    from aicxs.engine import load_standard

    check = load_standard().standard.clauses["P4.2"].check
    assert check is not None
    assert [" ".join(c.span.text().split()) for c in conditions(check)] == [
        "s.customer_facing",
        "s.escalation.available and s.escalation.max_wait <= param max_human_wait and s.escalation.handover_with_context",
        "s.escalation.available",
        "s.escalation.max_wait <= param max_human_wait",
        "s.escalation.handover_with_context",
    ]


def test_coverage_table_and_uncovered_list(snapshot: object) -> None:
    r = run_cli("test", "tests/data/testing/mini.tests.yaml", "--coverage")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert "  P1.2        3     0     0     1           -  no" in lines
    assert "  P2.2        2     1     1     0         3/4  yes" in lines
    reasons = [line.split("): ", 1)[1] for line in lines[lines.index("Not covered (9):") + 1 :]]
    assert set(reasons) == {
        "only ever passed",
        "only ever failed",
        "never evaluated",
        "never passed or failed (seen: unknown 4)",
    }
    assert r.stdout == snapshot


def test_fail_under_gates_the_clause_and_key_requirement_figure(tmp_path: Path) -> None:
    path = write_tests(tmp_path, "  - name: as recorded\n    expect: {KR1: fail}")
    r = run_cli("test", str(path), "--fail-under", "50")
    assert r.exit_code == 1
    assert r.stderr == (
        "coverage of clauses and key requirements is 0.0% (0 of 37), under --fail-under 50%\n"
    )
    assert run_cli("test", str(path), "--fail-under", "0").exit_code == 0


def test_coverage_in_json() -> None:
    r = run_cli("test", "policies/", "--format", "json", "--coverage")
    doc = json.loads(r.stdout)
    figures = doc["coverage"]["figures"]
    assert set(figures) == {
        "clauses",
        "key_requirements",
        "rules",
        "conditions",
        "clauses_and_key_requirements",
    }
    assert figures["rules"] == {"covered": 5, "total": 5, "percent": 100.0}
    nb1 = next(i for i in doc["coverage"]["items"] if i["id"] == "NB-1" and i["kind"] == "rule")
    assert nb1["covered"] is True and nb1["file"] == "policies/retail-bank.aicx"


# ---- JUnit ----------------------------------------------------------------------------------


def test_junit_is_read_back_by_junitparser(tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    r = run_cli("test", "policies/", WRONG, "--format", "junit", "-o", str(out))
    assert r.exit_code == 1
    xml = JUnitXml.fromfile(str(out))
    suites = {s.name: s for s in xml}
    assert set(suites) == {
        "policies/insurer.tests.yaml",
        "policies/retail-bank.tests.yaml",
        "policies/startup.tests.yaml",
        "policies/telecom.tests.yaml",
        WRONG,
    }
    cases = [(s.name, c) for s in xml for c in s]
    assert xml.tests == len(cases)
    failures = [
        (c.classname, c.name, r) for _, c in cases for r in c.result if isinstance(r, Failure)
    ]
    assert [(n, f.message) for _, n, f in failures] == [
        ("P5.2 is pass", "P5.2: expected pass, got fail"),
        ("verdict is certified", "verdict: expected certified, got not_certified"),
        ("maturity of P5 is 2", "maturity of P5: expected level 2, got level 1"),
        (
            'explanation of P5.2 contains "0 of 3 systems"',
            'explanation of P5.2: expected to contain "0 of 3 systems"; it does not',
        ),
    ]
    assert {c for c, _, _ in failures} == {
        f"{WRONG}::speaking the disclosure is enough for P5.2 (wrong on purpose)"
    }
    assert "systems[voice-ivr].disclosure.at_first_turn: false" in (failures[0][2].text or "")
    skipped = {c.name: r.message for _, c in cases for r in c.result if isinstance(r, Skipped)}
    assert skipped["P2.4 is waived"].startswith(
        "P2.4 is waived, as expected, so its check does not count: waived until 2027-02-28"
    )
    assert skipped["KR1 is unknown"] == (
        "KR1 is unknown, as expected: covered clauses not met: P5.1 is unknown, P5.2 is unknown"
    )
    assert skipped["VT-1 is unknown"] == (
        "VT-1 is unknown, as expected: facts are missing: systems[web-chat].priority_care_routing"
    )
    assert skipped["P6.5 is not_applicable"].startswith(
        "P6.5 is excluded by the policy, as expected"
    )
    passed = [c for _, c in cases if c.is_passed]
    assert len(passed) + len(failures) + sum(1 for _, c in cases if c.is_skipped) == xml.tests


def test_junit_on_stdout_keeps_coverage_on_stderr() -> None:
    r = run_cli("test", "policies/telecom.tests.yaml", "--format", "junit", "--coverage")
    assert r.exit_code == 0
    assert r.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert r.stderr.startswith("Coverage:")


# ---- mistakes in test files -----------------------------------------------------------------

MISTAKES = {
    "unknown_clause_id": "  - name: a\n    expect: {P4.9: fail}",
    "unknown_status_word": "  - name: a\n    expect: {P4.2: failed}",
    "bad_fact_path": '  - name: a\n    set: {"systems[voice-ivr].disclosure.at_first_trun": true}\n    expect: {P5.2: pass}',
    "unknown_item": '  - name: a\n    set: {"systems[voice-irv].disclosure.at_first_turn": true}\n    expect: {P5.2: pass}',
    "path_into_a_fact": '  - name: a\n    set: {"systems[voice-ivr].risk.level": high}\n    expect: {P5.2: pass}',
    "list_without_item": '  - name: a\n    set: {"systems.risk": high}\n    expect: {P5.2: pass}',
    "fact_value_type": '  - name: a\n    set: {"systems[voice-ivr].escalation.max_wait": fast}\n    expect: {P4.2: fail}',
    "set_to_nothing": '  - name: a\n    set: {"systems[voice-ivr].risk": null}\n    expect: {P4.2: fail}',
    "unknown_case_key": "  - name: a\n    sett: {a: 1}\n    expect: {verdit: certified}",
    "unknown_pillar": "  - name: a\n    expect: {maturity: {P7: 1}}",
    "level_too_high": "  - name: a\n    expect: {maturity: {P4: 5}}",
    "bad_date": "  - name: a\n    as_of: 2026-13-01\n    expect: {P5.2: pass}",
    "duplicate_case": "  - name: a\n    expect: {KR1: fail}\n  - name: a\n    expect: {KR2: fail}",
    "missing_expect": "  - name: a",
    "unknown_explanation_id": "  - name: a\n    expect: {explanation_contains: {P5.22: voice-ivr}}",
    "yaml_syntax": "  - name: a\n    expect: {P5.2: [pass}",
    "yaml_alias": "  - name: a\n    expect: &e {KR1: fail}\n  - name: b\n    expect: *e",
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_in_a_test_file_is_located_and_exits_2(
    name: str, tmp_path: Path, snapshot: object
) -> None:
    path = write_tests(tmp_path, MISTAKES[name])
    r = run_cli("test", str(path))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"{path}:")
    assert "help:" in r.stderr and "Traceback" not in r.stderr
    assert relative(r.stderr, tmp_path) == snapshot


def test_mistakes_in_several_cases_are_all_reported_at_once(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        MISTAKES["unknown_clause_id"]
        + "\n"
        + MISTAKES["unknown_status_word"].replace("name: a", "name: b"),
    )
    with pytest.raises(DiagnosticError) as err:
        load_test_files([str(path)])
    found = [(d.code, d.span.line if d.span else 0) for d in err.value.diagnostics]
    assert found == [("aicxs_test_unknown_id", 6), ("aicxs_test_unknown_status", 8)]
    assert "did you mean `P4.1`?" in err.value.diagnostics[0].help
    assert "did you mean `fail`?" in err.value.diagnostics[1].help


def test_file_level_mistakes(tmp_path: Path) -> None:
    write_tests(tmp_path, "")
    cases = "cases: [{name: a, expect: {KR1: fail}}]\n"
    samples = {
        "policy: telecom.aicx\nfacts: telecom.facts.yaml\n" + cases: (
            "aicxs_test_missing_key",
            "the test file needs `as_of`",
        ),
        "policy: nope.aicx\nfacts: telecom.facts.yaml\nas_of: 2026-11-27\n" + cases: (
            "aicxs_test_file_error",
            "`policy` names `nope.aicx`, which is not a file beside the test file",
        ),
        "polcy: telecom.aicx\nfacts: telecom.facts.yaml\nas_of: 2026-11-27\n" + cases: (
            "aicxs_test_unknown_key",
            "the test file has no key `polcy`",
        ),
        "- just\n- a list\n": ("aicxs_test_type", "a test file holds a mapping"),
        "policy: {target: 2}\nfacts: telecom.facts.yaml\nas_of: 2026-11-27\n" + cases: (
            "aicxs_test_missing_key",
            "an inline policy needs `standard:`",
        ),
    }
    for n, (text, (code, message)) in enumerate(samples.items()):
        path = tmp_path / f"f{n}.tests.yaml"
        path.write_text(text, "utf-8")
        with pytest.raises(DiagnosticError) as err:
            load_test_file(path)
        found = [(d.code, d.message) for d in err.value.diagnostics]
        assert any(c == code and m.startswith(message) for c, m in found), found


def test_inline_policy_mistakes_point_at_the_test_file(tmp_path: Path) -> None:
    spec = ROOT / "spec" / "aicxs-2024.aicx"
    path = tmp_path / "std.tests.yaml"
    path.write_text(
        f"standard: {spec}\n"
        "policy:\n"
        "  target: 2\n"
        "  set: {max_human_wait: 300 seconds}\n"
        "  waive:\n"
        '    P4.2: {justification: "x", approver: "y", expires: 2027-01-01}\n'
        f"facts: {ROOT / 'spec' / 'aicxs-2024.tests.facts.yaml'}\n"
        "as_of: 2026-11-27\n"
        "cases: [{name: a, expect: {KR2: pass}}]\n",
        "utf-8",
    )
    with pytest.raises(DiagnosticError) as err:
        load_test_file(path)
    found = [(d.code, d.span.path, d.span.line) for d in err.value.diagnostics if d.span]
    assert found == [
        ("aicxs_parameter_looser", str(path), 4),
        ("aicxs_waiver_of_mandatory", str(path), 6),
    ]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    r = run_cli("test", str(tmp_path / "nope"), str(tmp_path))
    assert r.exit_code == 2
    assert relative(r.stderr, tmp_path) == (
        "<tmp>: aicxs_test_no_files: no `*.tests.yaml` file under `<tmp>`\n"
        "help: test files are named like `telecom.tests.yaml`, beside the policy\n\n"
        "<tmp>/nope: aicxs_test_file_error: cannot read `<tmp>/nope`: no such file or folder\n"
        "help: give test files or folders that hold them\n\n"
        "2 errors; nothing was evaluated\n"
    )


def test_missing_facts_in_a_case_are_unknown_never_pass(tmp_path: Path) -> None:
    path = write_tests(
        tmp_path,
        """\
  - name: unmeasured
    unset: ["systems[web-chat].escalation.max_wait"]
    set: {"systems[voice-ivr].escalation": {available: true, max_wait: 60 seconds, handover_with_context: true}}
    expect: {P4.2: unknown, KR2: unknown, verdict: not_certified}""",
    )
    tf = load_test_file(path)
    run = run_case(tf, tf.cases[0])
    assert run.passed, [c.expectation.describe() for c in run.failures]
    chat = tf.cases[0].facts.data["systems"][1]["escalation"]
    assert chat.get("max_wait", UNKNOWN) is UNKNOWN


def test_inline_facts_mistakes_point_at_the_test_file(tmp_path: Path) -> None:
    path = tmp_path / "inline.tests.yaml"
    path.write_text(
        f"standard: {ROOT / 'spec' / 'aicxs-2024.aicx'}\n"
        "policy: {target: 2}\n"
        "facts:\n"
        '  organisation: {strategy: {documented: "yes"}}\n'
        "as_of: 2026-11-27\n"
        "cases: [{name: a, expect: {P1.1: fail}}]\n",
        "utf-8",
    )
    with pytest.raises(DiagnosticError) as err:
        load_test_file(path)
    [d] = err.value.diagnostics
    assert (d.code, d.span.path if d.span else "", d.span.line if d.span else 0) == (
        "aicxs_facts_type",
        str(path),
        4,
    )
    assert d.message.startswith("`organisation.strategy.documented` should be true or false")
