"""User mistakes at the command line: each gives a located message with what to do, a
documented exit code, and never a traceback. Messages are pinned by snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import AS_OF, run_cli

POLICY = """\
policy acme implements AICXS 2024 {
  target level 2
  set max_human_wait = 60 seconds
}
"""

FACTS = """\
organisation:
  strategy:
    documented: true
systems:
  - id: web-chat
    customer_facing: true
    escalation:
      available: true
"""


def write(tmp_path: Path, policy: str = POLICY, facts: str = FACTS) -> tuple[str, str]:
    (tmp_path / "p.aicx").write_text(policy, "utf-8")
    (tmp_path / "f.yaml").write_text(facts, "utf-8")
    return str(tmp_path / "p.aicx"), str(tmp_path / "f.yaml")


def check(policy: str, facts: str, *extra: str) -> tuple[int, str]:
    r = run_cli("check", policy, "--facts", facts, "--as-of", AS_OF, *extra)
    assert "Traceback" not in r.stderr + r.stdout
    return r.exit_code, r.stderr


def relative(text: str, tmp_path: Path) -> str:
    return text.replace(str(tmp_path), "<tmp>")


MISTAKES = {
    "facts_wrong_type": (POLICY, FACTS.replace("available: true", 'available: "yes"')),
    "facts_system_without_id": (
        POLICY,
        FACTS.replace("  - id: web-chat\n    customer", "  - customer"),
    ),
    "facts_unknown_field": (POLICY, FACTS.replace("customer_facing", "customer_facin")),
    "facts_bad_date": (
        POLICY,
        FACTS.replace("    documented: true", "    last_reviewed: 31/12/2025"),
    ),
    "facts_bad_duration": (POLICY, FACTS.replace("available: true", "max_wait: fast")),
    "facts_yaml_syntax": (POLICY, FACTS.replace("  strategy:", "  strategy: [")),
    "facts_duplicate_key": (
        POLICY,
        FACTS.replace("    documented: true", "    documented: true\n    documented: false"),
    ),
    "facts_alias": (
        POLICY,
        "organisation: &o\n  strategy: {documented: true}\nsystems: []\nx: *o\n",
    ),
    "policy_unknown_clause": (
        POLICY.replace("  target", '  exclude P1.55 because "n/a"\n  target'),
        FACTS,
    ),
    "policy_looser_parameter": (POLICY.replace("60 seconds", "300 seconds"), FACTS),
    "policy_out_of_bounds": (POLICY.replace("60 seconds", "900 seconds"), FACTS),
    "policy_waiver_on_mandatory": (
        POLICY.replace(
            "  target",
            '  waive P4.2 {\n    justification "x"\n    approver "y"\n    expires 2027-01-01\n  }\n  target',
        ),
        FACTS,
    ),
    "policy_exclusion_of_key_requirement": (
        POLICY.replace("  target", '  exclude KR1 because "x"\n  target'),
        FACTS,
    ),
    "policy_version_mismatch": (POLICY.replace("AICXS 2024", "AICXS 2025"), FACTS),
    "policy_unknown_parameter": (POLICY.replace("max_human_wait", "max_human_wiat"), FACTS),
    "policy_rule_unknown_fact": (
        POLICY.replace(
            "  target",
            '  rule ACME-1 refines P4.2 "Voice" {\n    check all s in systems: s.escalaton.available\n  }\n  target',
        ),
        FACTS,
    ),
    "policy_rule_wrong_type": (
        POLICY.replace(
            "  target",
            '  rule ACME-1 refines P4.2 "Voice" {\n    check all s in systems: s.escalation.max_wait <= 30\n  }\n  target',
        ),
        FACTS,
    ),
    "policy_syntax": (POLICY.replace("target level 2", "target levl 2"), FACTS),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_user_mistake_is_located_and_exits_2(name: str, tmp_path: Path, snapshot: object) -> None:
    policy, facts = write(tmp_path, *MISTAKES[name])
    code, err = check(policy, facts)
    assert code == 2
    assert "help:" in err
    assert ":" in err.splitlines()[0]
    assert relative(err, tmp_path) == snapshot


def test_facts_error_names_file_line_and_json_path(tmp_path: Path) -> None:
    policy, facts = write(tmp_path, *MISTAKES["facts_wrong_type"])
    _, err = check(policy, facts)
    assert err.startswith(f"{facts}:8:")
    assert "$.systems[0].escalation.available" in err
    assert "systems[web-chat].escalation.available" in err


def test_looser_parameter_cites_policy_and_standard(tmp_path: Path) -> None:
    policy, facts = write(tmp_path, *MISTAKES["policy_looser_parameter"])
    _, err = check(policy, facts)
    assert err.startswith(f"{policy}:3:3: aicxs_parameter_looser")
    assert "note: `max_human_wait` is declared at spec/aicxs-2024.aicx:" in err


def test_unknown_clause_suggests_the_near_one(tmp_path: Path) -> None:
    policy, facts = write(tmp_path, *MISTAKES["policy_unknown_clause"])
    assert "did you mean `P1.5`?" in check(policy, facts)[1]


def test_missing_facts_file(tmp_path: Path, snapshot: object) -> None:
    policy, _ = write(tmp_path)
    code, err = check(policy, str(tmp_path / "nope.yaml"))
    assert code == 2
    assert relative(err, tmp_path) == snapshot


def test_missing_policy_file(tmp_path: Path) -> None:
    code, err = check(str(tmp_path / "nope.aicx"), str(tmp_path / "f.yaml"))
    assert code == 2 and "cannot read" in err


def test_bad_as_of(tmp_path: Path) -> None:
    policy, facts = write(tmp_path)
    r = run_cli("check", policy, "--facts", facts, "--as-of", "27/11/2026")
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.stderr


def test_bad_format_flag(tmp_path: Path) -> None:
    policy, facts = write(tmp_path)
    r = run_cli("check", policy, "--facts", facts, "--format", "pdf")
    assert r.exit_code == 2 and "'pdf' is not one of" in r.stderr


def test_missing_facts_are_unknown_not_pass(tmp_path: Path) -> None:
    policy, facts = write(tmp_path)
    code, _ = check(policy, facts)
    r = run_cli("check", policy, "--facts", facts, "--as-of", AS_OF)
    assert code == 1
    assert "UNKNOWN" in r.stdout and "missing facts:" in r.stdout
    assert "Verdict:  UNDETERMINED" in r.stdout or "NOT CERTIFIED" in r.stdout


def test_internal_error_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from aicxs.engine import loader

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(loader, "load_policy", broken)
    monkeypatch.setattr("aicxs.engine.load_policy", broken)
    policy, facts = write(tmp_path)
    r = run_cli("check", policy, "--facts", facts)
    assert r.exit_code == 3
    assert "aicxs_internal_error" in r.stderr and "RuntimeError: boom" in r.stderr


def test_version() -> None:
    r = run_cli("--version")
    assert r.exit_code == 0 and "version" in r.stdout
