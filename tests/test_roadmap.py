"""`aicxs roadmap`: an ordered plan (prerequisites first, by owner) whose fact changes, once
applied to a copy of the facts, raise the level as promised (re-checked with `aicxs check`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from aicxs.engine.onboarding.roadmap import Need, resolve, set_path
from aicxs.engine.types import Duration, Type
from tests.conftest import AS_OF, run_cli, with_consent

DAY = dt.date.fromisoformat(AS_OF)


def roadmap(name: str, *extra: str) -> tuple[int, str]:
    r = run_cli(
        "roadmap",
        f"policies/{name}.aicx",
        "--facts",
        f"policies/{name}.facts.yaml",
        "--as-of",
        AS_OF,
        *extra,
    )
    assert r.stderr == ""
    return r.exit_code, r.stdout


@pytest.mark.parametrize("name", ["telecom", "startup"])
def test_roadmap_text(name: str, snapshot) -> None:
    code, out = roadmap(name)
    assert code == 1
    assert out == snapshot


def applied(name: str, plan: dict[str, Any], tmp_path: Path) -> Path:
    """The example's facts with every proposed change and answer applied, as a new file."""
    data = yaml.safe_load(Path(f"policies/{name}.facts.yaml").read_text("utf-8"))
    changes = plan["answer_first"] + [c for s in plan["steps"] for c in s["changes"]]
    assert changes and all(c["value"] is not None for c in changes)
    for c in changes:
        set_path(data, c["json_path"], c["value"])
    out = tmp_path / f"{name}.facts.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return out


@pytest.mark.parametrize(
    ("name", "extra", "before", "goal"),
    [
        ("telecom", (), 1, 2),
        ("startup", (), 1, 2),
        ("telecom", ("--to-level", "3"), 1, 3),
        ("insurer", (), 2, 3),
    ],
)
def test_applying_the_plan_reaches_the_goal(
    name: str, extra: tuple[str, ...], before: int, goal: int, tmp_path: Path
) -> None:
    code, out = roadmap(name, "--format", "json", *extra)
    plan = json.loads(out)
    assert (code, plan["now"]["level"], plan["goal"]["level"]) == (1, before, goal)
    numbers = {s["id"]: s["step"] for s in plan["steps"]}
    assert [s["step"] for s in plan["steps"]] == list(range(1, len(numbers) + 1))
    for step in plan["steps"]:  # prerequisites first
        assert all(numbers[r] < step["step"] for r in step["requires"])
    assert plan["check"] == {"level": goal, "verdict": "certified", "reached": True}
    facts = applied(name, plan, tmp_path)
    check = run_cli(
        "check",
        f"policies/{name}.aicx",
        "--facts",
        str(facts),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    report = json.loads(check.stdout)
    assert report["maturity"]["overall"] >= goal
    assert report["verdict"] == "certified" and check.exit_code == 0


def test_telecom_plan_puts_escalation_before_the_human_touch() -> None:
    plan = json.loads(roadmap("telecom", "--format", "json")[1])
    steps = {s["id"]: s for s in plan["steps"]}
    assert list(steps) == ["P4.2", "P4.5", "P5.1", "P5.2"]
    assert steps["P4.5"]["status"] == "blocked" and steps["P4.5"]["requires"] == ["P4.2"]
    assert steps["P4.2"]["owner"] == "cx_leader" and steps["P5.1"]["owner"] == "compliance_officer"
    assert {c["fact"]: c["value"] for c in steps["P4.2"]["changes"]} == {
        "systems[voice-ivr].escalation.available": True,
        "systems[voice-ivr].escalation.handover_with_context": True,
        "systems[voice-ivr].escalation.max_wait": "120 seconds",
    }
    # `in [...]` and `== "spoken"` on the same fact: one value meets both
    assert steps["P5.1"]["changes"][0]["value"] == "spoken"
    assert [a["fact"] for a in plan["answer_first"]] == ["systems[voice-ivr].escalation.max_wait"]


def test_startup_unknowns_are_answered_first() -> None:
    plan = json.loads(roadmap("startup", "--format", "json")[1])
    answers = {a["fact"]: a["value"] for a in plan["answer_first"]}
    assert answers["organisation.strategy.last_reviewed"] == AS_OF  # read by age(): today
    assert answers["systems[support-triage].consent.basis"] == "consent"  # != "none"
    assert answers["systems[support-triage].consent.withdrawable"] is True  # then needed
    assert all(a["missing"] for a in plan["answer_first"])
    assert not [c for s in plan["steps"] for c in s["changes"] if not c["missing"]]


def test_nothing_to_do_when_the_goal_is_reached(tmp_path: Path) -> None:
    r = run_cli(
        "roadmap",
        "policies/retail-bank.aicx",
        "--facts",
        str(with_consent("retail-bank", tmp_path)),
        "--as-of",
        AS_OF,
        "--to-level",
        "3",
    )
    assert r.exit_code == 0
    assert r.stdout.endswith("Nothing to do: the goal is reached.\n")


def test_the_bank_is_told_that_kr5_needs_consent() -> None:
    """KR5's own check (clear consent) is a step of its own, after the clauses it covers."""
    code, out = roadmap("retail-bank", "--to-level", "3", "--format", "json")
    plan = json.loads(out)
    assert code == 1 and [s["id"] for s in plan["steps"]][-1] == "KR5"
    kr5 = plan["steps"][-1]
    assert kr5["owner"] == "chief_data_officer"
    changed = {c["fact"]: c["value"] for c in kr5["changes"]}
    assert changed["systems[fraud-scoring].consent.basis"] == "consent"
    assert plan["check"] == {"level": 3, "verdict": "certified", "reached": True}
    text = roadmap("retail-bank", "--to-level", "3")[1]
    assert "Then fix: 1 key requirement, numbered prerequisites first" in text
    assert "KR5 Customer data used for AI must have clear consent" in text
    assert "FAIL · mandatory key requirement" in text


def test_unknown_level_is_refused() -> None:
    r = run_cli(
        "roadmap",
        "policies/telecom.aicx",
        "--facts",
        "policies/telecom.facts.yaml",
        "--to-level",
        "7",
    )
    assert r.exit_code == 2
    assert "AICXS 2024 has no level 7; its levels are 1 (Experimental), 2 (Managed)" in r.stderr


@pytest.mark.parametrize(
    ("needs", "kind", "value"),
    [
        ([Need("<=", Duration(120))], Type("duration"), Duration(120)),
        ([Need("<", Duration(30 * 86400))], Type("duration"), Duration(29 * 86400)),
        ([Need(">=", 0.9)], Type("number"), 0.9),
        ([Need(">", 3)], Type("int"), 4),
        ([Need("<=", Duration(90 * 86400), "age")], Type("date"), DAY),
        ([Need(">=", Duration(30 * 86400), "age")], Type("date"), DAY - dt.timedelta(days=30)),
        ([Need("!=", "none")], Type("enum", values=("none", "consent")), "consent"),
        ([Need("in", ["a", "b"]), Need("==", "b")], Type("enum", values=("a", "b")), "b"),
        ([Need("==", False)], Type("bool"), False),
        ([Need(">", 0, "len")], Type("list", item=Type("string")), ["<fill in>"]),
        ([Need(">=", 5), Need("<=", 3)], Type("int"), None),  # no value meets both
    ],
)
def test_needs_resolve_to_the_boundary_value(needs: list[Need], kind: Type, value: object) -> None:
    assert resolve(needs, kind, DAY)[0] == value
