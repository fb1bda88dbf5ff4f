"""`aicxs explain` in depth (engine/drilldown.py): a key requirement followed into the clauses it
covers, conditions never cut with `...`, the clause's text and expected evidence in text mode,
a pillar, and a system (by its id as the ID, or with `--system`: the same view)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, ROOT, run_cli


def explain(policy: str, *args: str) -> tuple[int, str, str]:
    r = run_cli(
        "explain", f"policies/{policy}.aicx", *args,
        "--facts", f"policies/{policy}.facts.yaml", "--as-of", AS_OF,
    )  # fmt: skip
    assert "Traceback" not in r.stdout + r.stderr
    return r.exit_code, r.stdout, r.stderr


def test_a_key_requirement_is_followed_into_the_clauses_it_covers() -> None:
    code, out, _ = explain("telecom", "KR2")
    assert code == 1
    head, drilled = out.split("KR2 covers P4.2, which is not met:\n")
    assert head.startswith('FAIL    KR2 "Customers must have the right to human escalation"\n')
    assert "covered clauses not met: P4.2 is fail" in head
    assert drilled.startswith('FAIL    P4.2 "Escalation protocols"\n')
    assert "|   voice-ivr\n" in drilled  # P4.2's own explanation: the failing system
    assert (
        "systems[voice-ivr].escalation.available: false   policies/telecom.facts.yaml:64" in drilled
    )


def test_met_clauses_of_a_key_requirement_are_named_not_explained() -> None:
    _, out, _ = explain("telecom", "KR6")
    assert "\nKR6 covers P4.5, which is not met:\nBLOCKED P4.5 " in out
    assert out.endswith("\nKR6 also covers P4.3, which is met.\n")
    assert 'PASS    P4.3 "' not in out  # met: named, not explained
    _, out, _ = explain("retail-bank", "KR1")
    assert out.endswith("\nKR1 also covers P5.1, P5.2, which are met.\n")


def test_no_condition_is_cut_in_depth() -> None:
    for ident in ("P4.2", "KR2", "P4", "voice-ivr"):
        _, out, _ = explain("telecom", ident)
        assert not [line for line in out.splitlines() if line.endswith("...")], ident
    _, out, _ = explain("telecom", "P4.2")
    joined = " ".join(line.strip("| ").strip() for line in out.splitlines())
    assert (
        "all s in systems where s.customer_facing: s.escalation.available and "
        "s.escalation.max_wait <= param max_human_wait and s.escalation.handover_with_context"
    ) in " ".join(joined.split())
    assert max(len(line) for line in out.splitlines() if line.startswith("| FAIL")) <= 100


def test_text_mode_shows_the_clause_text_and_the_evidence_it_expects() -> None:
    _, out, _ = explain("telecom", "P4.2")
    assert "        text: Every customer-facing AI system shall let the customer ask for a\n" in out
    assert (
        "        evidence expected:\n"
        "          - Escalation protocol\n"
        "          - Measured wait times for a human (95th percentile)\n"
        "          - Handover design showing the context passed\n"
    ) in out


def test_an_organisation_rule_shows_its_own_text() -> None:
    _, out, _ = explain("telecom", "VT-1")
    assert out.startswith("PASS    VT-1 ")
    assert "refines P4." in out


def test_a_pillar_lists_its_clauses_and_explains_those_not_met() -> None:
    code, out, _ = explain("telecom", "P4")
    assert code == 1  # below the target level
    assert out.startswith('P4 "Human-AI Collaboration"\n        level 1 (Experimental), target 2')
    assert "        level 2 needs: P4.2, P4.5\n" in out
    assert "| FAIL    P4.2   Escalation protocols\n" in out
    assert "| PASS    P4.3   Augmentation vs automation decisions\n" in out
    assert re.search(r"^\| PASS    VT-1 .*\(rule refining P4\.\d\)$", out, re.M)
    assert '\nFAIL    P4.2 "Escalation protocols"\n' in out  # in depth
    assert '\nPASS    P4.3 "' not in out  # met: listed, not explained


def test_a_pillar_at_its_target_exits_0() -> None:
    code, out, _ = explain("retail-bank", "P1")
    assert code == 0 and out.startswith('P1 "')


def test_a_system_gathers_what_it_fails_by_clause() -> None:
    code, out, _ = explain("telecom", "voice-ivr")
    assert code == 1
    first, summary = out.splitlines()[:2]
    assert first.startswith("systems[voice-ivr] ") and first.endswith(
        "policies/telecom.facts.yaml:47"
    )
    assert re.fullmatch(r"        of \d+ results that check it: \d+ fail, \d+ pass", summary)
    assert '\nFAIL    P4.2 "Escalation protocols"\n' in out
    assert "| FAIL    systems[voice-ivr] in: all s in systems where s.customer_facing\n" in out
    assert "systems[voice-ivr].escalation.available: false" in out
    assert "web-chat" not in out  # only this system


def test_the_system_option_and_a_system_id_give_the_same_view() -> None:
    by_id = explain("startup", "app-assistant")
    by_option = explain("startup", "--system", "app-assistant")
    assert by_id == by_option
    assert "is unknown" in by_id[1]
    assert "missing facts: systems[app-assistant]." in by_id[1]


def test_a_system_within_a_clause_shows_it_even_when_it_passes() -> None:
    code, out, _ = explain("telecom", "P4.2", "--system", "web-chat")
    assert code == 0
    assert "| PASS    systems[web-chat] in: all s in systems where s.customer_facing\n" in out
    assert "voice-ivr" not in out
    code, out, _ = explain("telecom", "P4", "--system", "web-chat")
    assert code == 0 and '"Escalation protocols"' not in out  # passes: nothing to show


def test_json_of_a_key_requirement_a_pillar_and_a_system() -> None:
    kr: Any = json.loads(explain("telecom", "KR2", "--format", "json")[1])
    assert kr["id"] == "KR2" and kr["text"].startswith("Every customer")
    assert [c["id"] for c in kr["clauses"]] == ["P4.2"]
    assert kr["clauses"][0]["evidence_expected"][0] == "Escalation protocol"
    pillar: Any = json.loads(explain("telecom", "P4", "--format", "json")[1])
    assert pillar["pillar"] == {
        "id": "P4",
        "title": "Human-AI Collaboration",
        "level": 1,
        "target": 2,
        "next_level_blockers": ["P4.2", "P4.5"],
    }
    assert [r["id"] for r in pillar["results"]][:2] == ["P4.1", "P4.2"]
    system: Any = json.loads(explain("telecom", "--system", "voice-ivr", "--format", "json")[1])
    p42 = next(r for r in system["results"] if r["id"] == "P4.2")
    assert (p42["status"], p42["system_status"]) == ("fail", "fail")
    assert p42["items"][0]["quantifier"] == "all s in systems where s.customer_facing"
    assert p42["items"][0]["check"]["truth"] == "false"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("voice-iv",),
            "no clause, rule, key requirement, pillar or system `voice-iv`; did you mean `voice-ivr`?",
        ),
        (("P44",), "did you mean `P4`?"),
        (("--system", "voice"), "no system `voice` in the facts; the facts list: `voice-ivr`"),
        ((), "give an ID (a clause, rule, key requirement or pillar), or --system"),
        (
            ("voice-ivr", "--system", "web-chat"),
            "`voice-ivr` and `--system web-chat` name two systems",
        ),
    ],
)
def test_mistakes_in_what_to_explain(args: tuple[str, ...], message: str) -> None:
    code, _, err = explain("telecom", *args)
    assert code == 2
    assert message in " ".join(err.split())


def test_a_withdrawn_clause_is_named_withdrawn_not_unknown(tmp_path: Path) -> None:
    """P6.5 is withdrawn in the 2025 draft: asking for it says so, with the reason, exit 2."""
    policy = tmp_path / "startup.aicx"
    text = (ROOT / "policies" / "startup.aicx").read_text("utf-8")
    policy.write_text(text.replace("implements AICXS 2024 {", "implements AICXS 2025 {"), "utf-8")
    run = run_cli(
        "explain", str(policy), "P6.5",
        "--spec", "spec/aicxs-2025-draft.aicx",
        "--facts", "policies/startup.facts.yaml", "--as-of", AS_OF,
    )  # fmt: skip
    assert run.exit_code == 2, run.stderr
    assert (
        "clause `P6.5` was withdrawn in AICXS 2025 (Experiments are one kind of improvement "
        "cycle, now governed by P6.3): it is never evaluated, so there is no result to explain"
    ) in " ".join(run.stderr.split())
