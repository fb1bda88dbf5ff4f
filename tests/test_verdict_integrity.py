"""The loopholes of the verdict-integrity issue, each reproduced from outside, as a user would:
through the CLI and through the Python API. Each must be refused with a located error, or end
in a verdict that is not `certified` with a finding or reason that says why
(PRODUCT.md, "Verdict integrity").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import aicxs
from tests.conftest import AS_OF, ROOT, run_cli

TELECOM = ROOT / "policies" / "telecom.aicx"
TELECOM_FACTS = ROOT / "policies" / "telecom.facts.yaml"
STARTUP = ROOT / "policies" / "startup.aicx"
STARTUP_FACTS = ROOT / "policies" / "startup.facts.yaml"


def facts_copy(tmp_path: Path, source: Path, change: dict[str, object]) -> Path:
    """The facts of `source` with top-level keys (or `organisation.x.y` paths) replaced."""
    data = yaml.safe_load(source.read_text("utf-8"))
    for path, value in change.items():
        *parents, last = path.split(".")
        target = data
        for p in parents:
            target = target[p]
        target[last] = value
    out = tmp_path / "facts.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return out


def policy_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text("utf-8")
    assert old in text
    out = tmp_path / source.name
    out.write_text(text.replace(old, new, 1), "utf-8")
    return out


def check(policy: Path, facts: Path, *extra: str) -> tuple[int, dict, str]:
    r = run_cli("check", str(policy), "--facts", str(facts), "--as-of", AS_OF, *extra)
    data = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    return r.exit_code, data, r.stderr


# ---- 1. an empty estate certifies nothing --------------------------------------------------


def test_an_empty_estate_is_undetermined_with_a_finding(tmp_path: Path) -> None:
    facts = facts_copy(tmp_path, STARTUP_FACTS, {"systems": [], "evidence": []})
    code, data, _ = check(STARTUP, facts, "--format", "json")
    assert code == 1
    assert data["verdict"] == "undetermined"
    assert data["findings"][0].startswith("nothing in scope: the facts list no systems")
    report = aicxs.load_policy(STARTUP).evaluate(yaml.safe_load(facts.read_text()), as_of=AS_OF)
    assert report.verdict == "undetermined"


def test_a_quantifier_over_no_system_says_it_is_vacuous(tmp_path: Path) -> None:
    facts = facts_copy(tmp_path, STARTUP_FACTS, {"systems": [], "evidence": []})
    code, data, _ = check(STARTUP, facts, "--format", "json", "--explain", "full")
    assert code == 1
    summaries = [
        node["summary"]
        for r in data["results"]
        if (node := r["explanation"]) and node.get("vacuous")
    ]
    assert summaries and all(s.startswith("vacuous: no item of systems") for s in summaries)


# ---- 2. a scope cannot hide a failing system ------------------------------------------------


def test_a_scope_below_the_least_scope_is_refused_at_load(tmp_path: Path) -> None:
    policy = policy_copy(
        tmp_path,
        TELECOM,
        "  target level 2\n",
        '  target level 2\n  scope s in systems where s.channel != "voice" because "pilot"\n',
    )
    r = run_cli("check", str(policy), "--facts", str(TELECOM_FACTS), "--as-of", AS_OF)
    assert r.exit_code == 2 and r.stdout == ""
    assert f"{policy}:" in r.stderr and "aicxs_scope_below_least" in r.stderr
    with pytest.raises(aicxs.AicxsError) as err:
        aicxs.load_policy(policy)
    assert err.value.code == "aicxs_scope_below_least"


def test_a_scope_without_a_justification_is_refused(tmp_path: Path) -> None:
    policy = policy_copy(
        tmp_path,
        TELECOM,
        "  target level 2\n",
        '  target level 2\n  scope s in systems where s.customer_facing because "  "\n',
    )
    r = run_cli("lint", str(policy))
    assert r.exit_code == 2
    assert "aicxs_blank_text" in r.stdout + r.stderr or "aicxs_scope_unjustified" in (
        r.stdout + r.stderr
    )


# ---- 3. facts from the future ----------------------------------------------------------------


def test_a_date_after_the_evaluation_date_is_a_located_input_error(tmp_path: Path) -> None:
    text = TELECOM_FACTS.read_text("utf-8").replace(
        "last_test: 2026-10-12", "last_test: 2027-04-20"
    )
    facts = tmp_path / "facts.yaml"
    facts.write_text(text, "utf-8")
    line = text.splitlines().index("      last_test: 2027-04-20") + 1
    r = run_cli("check", str(TELECOM), "--facts", str(facts), "--as-of", AS_OF)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith(f"{facts}:{line}:") and "aicxs_facts_future_date" in r.stderr
    policy = aicxs.load_policy(TELECOM)
    with pytest.raises(aicxs.AicxsError) as err:
        policy.evaluate(facts, as_of=AS_OF)
    assert err.value.code == "aicxs_facts_future_date"


# ---- 4. a share written as a percentage -------------------------------------------------------


def test_a_share_of_72_is_refused_with_the_percent_hint(tmp_path: Path) -> None:
    facts = facts_copy(tmp_path, TELECOM_FACTS, {"organisation.training.staff_trained_share": 72})
    r = run_cli("check", str(TELECOM), "--facts", str(facts), "--as-of", AS_OF)
    assert r.exit_code == 2
    assert "outside its range 0 .. 1" in r.stderr and "72 % is 0.72" in r.stderr


# ---- 5. target 0 and blank words --------------------------------------------------------------


def test_target_level_0_is_refused(tmp_path: Path) -> None:
    policy = policy_copy(tmp_path, TELECOM, "target level 2", "target level 0")
    r = run_cli("lint", str(policy))
    assert r.exit_code == 2 and "target" in (r.stdout + r.stderr)


def test_a_blank_waiver_approver_is_refused(tmp_path: Path) -> None:
    insurer = ROOT / "policies" / "insurer.aicx"
    policy = policy_copy(
        tmp_path, insurer, 'approver "Marcus Reid, General Counsel"', 'approver "   "'
    )
    r = run_cli("lint", str(policy))
    assert r.exit_code == 2 and "aicxs_blank_text" in (r.stdout + r.stderr)


# ---- 7. a definite failure above an unknown -----------------------------------------------------


def test_a_definite_failure_is_named_first_and_decides_not_certified(tmp_path: Path) -> None:
    """The telecom fails KR1 and KR2 whatever its unknown facts would say: not certified, and
    the reasons name the definite failures before anything undecided."""
    data = yaml.safe_load(TELECOM_FACTS.read_text("utf-8"))
    del data["organisation"]["training"]  # now unknown as well
    facts = tmp_path / "facts.yaml"
    facts.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    code, report, _ = check(TELECOM, facts, "--format", "json")
    assert code == 1
    assert report["verdict"] == "not_certified"
    assert "fails" in report["reasons"][0]


# ---- 9. one list of missing facts -----------------------------------------------------------------


def test_a_failing_result_lists_the_missing_facts_behind_its_failure() -> None:
    """voice-ivr fails P4.2 (no escalation) and its wait time is missing: once escalation is
    fixed the wait decides, so the result, the report's list and the roadmap all name it."""
    policy = aicxs.load_policy(TELECOM)
    report = policy.evaluate(TELECOM_FACTS, as_of=AS_OF)
    p42 = report.result("P4.2")
    assert p42 is not None and p42.status.value == "fail"
    assert "systems[voice-ivr].escalation.max_wait" in list(p42.missing)
    assert "systems[voice-ivr].escalation.max_wait" in list(report.missing_facts)
    roadmap = run_cli(
        "roadmap", str(TELECOM), "--facts", str(TELECOM_FACTS), "--as-of", AS_OF
    ).stdout
    assert "escalation.max_wait" in roadmap
