"""`aicxs diff`: a semantic diff between two versions of the standard, each change classed as
breaking or not for existing policies; which policies no longer load, which tailoring a change
touches, and which verdicts and statuses flip on each organisation's facts. The 2025 draft makes
one deliberate change of each kind; each is asserted structurally, then the whole output is
pinned in text, JSON and Markdown. Also `aicxs graph --impact ID --format list`."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from aicxs.aicxs_dsl import textdiff
from aicxs.engine.authoring.diff import word_diff
from tests.conftest import AS_OF, ROOT, SPEC, run_cli

OLD = "spec/aicxs-2024.aicx"
NEW = "spec/aicxs-2025-draft.aicx"
FULL = (OLD, NEW, "--policies", "policies/", "--facts", "policies/", "--as-of", AS_OF)

# Every change the draft makes on purpose: (kind, subject) → breaking?
DELIBERATE = {
    ("standard_version_changed", "AICXS 2025"): True,
    ("standard_text_changed", "AICXS 2025"): False,
    ("stage_changed", "implement"): False,
    ("stage_changed", "certify"): False,
    ("parameter_default_changed", "max_human_wait"): True,
    ("parameter_bounds_changed", "max_human_wait"): True,
    ("framework_ref_added", "EU_AI_ACT Art. 27"): False,
    ("clause_text_changed", "P1.1"): False,
    ("clause_level_changed", "P2.3"): True,
    ("clause_prerequisites_changed", "P2.5"): True,
    ("clause_crosswalk_changed", "P3.5"): False,
    ("clause_text_changed", "P4.2"): False,
    ("clause_evidence_changed", "P4.2"): False,
    ("clause_check_changed", "P4.2"): True,
    ("clause_split", "P4.6"): True,
    ("clause_renamed", "P4.7"): True,
    ("clause_title_changed", "P4.7"): False,
    ("clause_pillar_changed", "P4.7"): True,
    ("clause_text_changed", "P4.7"): False,
    ("clause_text_changed", "P5.1"): False,
    ("clause_crosswalk_changed", "P5.2"): False,
    ("clause_owner_changed", "P5.4"): False,
    ("clause_text_changed", "P6.3"): False,
    ("clause_evidence_changed", "P6.3"): False,
    ("clause_crosswalk_changed", "P6.3"): False,
    ("clause_check_changed", "P6.3"): True,
    ("clause_withdrawn", "P6.5"): True,
    ("key_requirement_coverage_changed", "KR2"): True,
    ("fact_retyped", "systems[].kind"): False,
    ("fact_added", "systems[].escalation.same_channel"): False,
}


def diff_json(*args: str) -> tuple[int, dict[str, Any]]:
    r = run_cli("diff", *args, "--format", "json")
    assert r.stderr == "", r.stderr
    return r.exit_code, json.loads(r.stdout)


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    from click.testing import CliRunner

    from aicxs.cli import cli

    with pytest.MonkeyPatch.context() as mp:  # as `_at_root` does for each test
        mp.chdir(ROOT)
        result = CliRunner().invoke(cli, ["diff", *FULL, "--format", "json"], prog_name="aicxs")
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def change(data: dict[str, Any], kind: str, subject: str) -> dict[str, Any]:
    found = [c for c in data["changes"] if (c["kind"], c["subject"]) == (kind, subject)]
    assert len(found) == 1, f"{kind} {subject}: {found}"
    return found[0]


def policy(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in data["policies"] if p["policy"] == name)


# ---- the standards -------------------------------------------------------------------------


def test_a_standard_compared_with_itself_has_no_change() -> None:
    code, data = diff_json(OLD, OLD, "--policies", "policies/")
    assert code == 0
    assert data["changes"] == [] and data["renamed"] == [] and data["split"] == []
    assert data["summary"]["breaking"] == 0
    assert {p["status"] for p in data["policies"]} == {"loads"}
    assert all(p["notes"] == [] and p["touches"] == [] for p in data["policies"])
    r = run_cli("diff", OLD, str(SPEC))
    assert (r.exit_code, r.stdout.splitlines()[3]) == (0, "no changes")


def test_each_deliberate_change_of_the_draft_is_found_and_classed(full: dict[str, Any]) -> None:
    found = {(c["kind"], c["subject"]): c["breaking"] for c in full["changes"]}
    assert found == DELIBERATE
    assert full["summary"] == {
        "changes": 30,
        "breaking": 12,
        "not_breaking": 18,
        "needs_review": 6,
        "policies": 4,
        "policies_no_longer_loading": 1,
    }
    for c in full["changes"]:
        assert c["summary"] and c["reason"], c
    # Not breaking, but what is required may have changed: changed words and titles.
    assert {(c["kind"], c["subject"]) for c in full["changes"] if c["needs_review"]} == {
        ("clause_text_changed", "P1.1"),
        ("clause_text_changed", "P4.2"),
        ("clause_title_changed", "P4.7"),
        ("clause_text_changed", "P4.7"),
        ("clause_text_changed", "P5.1"),
        ("clause_text_changed", "P6.3"),
    }
    assert full["warnings"] == []  # the version changed with the breaking changes


def test_the_split_clause_is_found_by_the_text_it_took(full: dict[str, Any]) -> None:
    assert full["split"] == [{"old": "P4.2", "new": "P4.6"}]
    split = change(full, "clause_split", "P4.6")
    assert split["old"] == "P4.2"
    assert split["new"] == {
        "id": "P4.6",
        "title": "Handover quality",
        "pillar": "P4",
        "level": 2,
        "owner": "cx_leader",
    }
    assert "mandatory key requirement KR2" in split["reason"]
    check = change(full, "clause_check_changed", "P4.2")
    assert "s.escalation.handover_with_context" in check["old"]
    assert "s.escalation.handover_with_context" not in check["new"]
    assert check["affects"] == ["KR2", "KR6", "P4.5"]
    assert change(full, "key_requirement_coverage_changed", "KR2")["new"] == ["P4.2", "P4.6"]


def test_the_moved_clause_is_matched_by_similarity_not_reported_as_removed_and_added(
    full: dict[str, Any],
) -> None:
    [renamed] = full["renamed"]
    assert (renamed["old"], renamed["new"]) == ("P5.5", "P4.7")
    assert renamed["similarity"] >= 0.6
    kinds = {c["kind"] for c in full["changes"] if c["subject"] in ("P5.5", "P4.7")}
    assert "clause_removed" not in kinds and "clause_added" not in kinds
    moved = change(full, "clause_pillar_changed", "P4.7")
    assert (moved["old"], moved["new"]) == ("P5", "P4")
    assert (
        "`P5.5` no longer load until they name `P4.7`"
        in change(full, "clause_renamed", "P4.7")["reason"]
    )


def test_withdrawn_clause_and_tightened_parameter_say_what_no_longer_loads(
    full: dict[str, Any],
) -> None:
    withdrawn = change(full, "clause_withdrawn", "P6.5")
    assert "policies that exclude, waive or refine `P6.5` no longer load" in withdrawn["reason"]
    assert withdrawn["new"] == {
        "withdrawn": "Experiments are one kind of improvement cycle, now governed by P6.3",
        "in": "2025",
    }
    default = change(full, "parameter_default_changed", "max_human_wait")
    assert (default["old"], default["new"]) == ("120 seconds", "90 seconds")
    assert "(stricter)" in default["summary"]
    assert "between 90 seconds and 120 seconds is now looser" in default["reason"]
    bounds = change(full, "parameter_bounds_changed", "max_human_wait")
    assert bounds["new"] == "0 seconds .. 300 seconds"
    assert bounds["reason"].startswith("narrowed")


def test_level_prerequisite_owner_and_crosswalk_changes(full: dict[str, Any]) -> None:
    level = change(full, "clause_level_changed", "P2.3")
    assert (level["old"], level["new"]) == (3, 2)
    assert level["reason"].startswith("earlier")
    prereq = change(full, "clause_prerequisites_changed", "P2.5")
    assert (prereq["old"], prereq["new"]) == ([], ["P1.4"])
    assert "blocked" in prereq["reason"]
    owner = change(full, "clause_owner_changed", "P5.4")
    assert (owner["old"], owner["new"]) == ("compliance_officer", "cx_leader")
    art27 = change(full, "clause_crosswalk_changed", "P3.5")
    assert art27["new"][0].startswith("EU_AI_ACT Art. 27 (related to, applies to deployers ")
    assert art27["summary"] == "P3.5 crosswalk + EU_AI_ACT Art. 27"
    text = change(full, "clause_text_changed", "P1.1")
    assert "did not change" in text["reason"]  # wording only, same check
    assert change(full, "fact_retyped", "systems[].kind")["summary"].endswith("`ai_agent`")


def test_the_reverse_diff_classes_loosening_as_not_breaking() -> None:
    code, data = diff_json(NEW, OLD)
    assert code == 1
    found = {(c["kind"], c["subject"]): c["breaking"] for c in data["changes"]}
    assert found[("parameter_default_changed", "max_human_wait")] is False  # looser again
    assert found[("parameter_bounds_changed", "max_human_wait")] is False  # widened
    assert found[("clause_level_changed", "P2.3")] is False  # later: no level can drop
    assert found[("clause_prerequisites_changed", "P2.5")] is False  # no longer blocked
    assert found[("key_requirement_coverage_changed", "KR2")] is False
    assert found[("clause_removed", "P4.6")] is True
    assert found[("clause_reinstated", "P6.5")] is True  # a requirement again
    assert found[("clause_renamed", "P5.5")] is True
    assert found[("fact_removed", "systems[].escalation.same_channel")] is True
    assert found[("fact_retyped", "systems[].kind")] is True  # a value is no longer allowed
    assert data["split"] == []


# ---- policies and their facts --------------------------------------------------------------


def test_the_bank_no_longer_loads_and_its_touched_tailoring_is_named(full: dict[str, Any]) -> None:
    bank = policy(full, "retail_bank")
    assert bank["status"] == "no_longer_loads"
    [error] = bank["diagnostics"]["new"]
    assert (error["code"], error["file"], error["line"], error["column"]) == (
        "aicxs_withdrawn_clause",
        "policies/retail-bank.aicx",
        38,
        3,
    )
    assert bank["diagnostics"]["old"] == []
    touched = {t["item"]: [c["kind"] for c in t["changes"]] for t in bank["touches"]}
    assert touched == {
        "set max_human_wait = 90 seconds": [
            "parameter_default_changed",
            "parameter_bounds_changed",
        ],
        "exclude P6.5": ["clause_withdrawn"],
        "rule NB-1 refines P4.2": [
            "clause_text_changed",
            "clause_evidence_changed",
            "clause_check_changed",
            "clause_split",
        ],
        "rule NB-2 refines P2.5": ["clause_prerequisites_changed"],
    }
    assert bank["evaluation"] is None
    assert any("not compared" in n for n in bank["notes"])
    assert any("read as `implements AICXS 2025`" in n for n in bank["notes"])


def test_verdicts_and_statuses_that_flip_per_organisation(full: dict[str, Any]) -> None:
    def flips(name: str) -> dict[str, tuple[str | None, str | None]]:
        ev = policy(full, name)["evaluation"]
        assert ev["as_of"] == AS_OF
        return {f["new_id"] or f["old_id"]: (f["old"], f["new"]) for f in ev["flips"]}

    insurer = policy(full, "harbour_mutual")["evaluation"]
    assert insurer["verdict"] == {"old": "not_certified", "new": "not_certified"}
    assert insurer["level"] == {"old": 2, "new": 1}
    assert insurer["pillars"] == [{"pillar": "P4", "old": 4, "new": 1}]
    assert flips("harbour_mutual") == {
        "KR2": ("pass", "fail"),  # the voice line's 105 s wait is over the new 90 s default
        "KR6": ("pass", "fail"),
        "P4.2": ("pass", "fail"),
        "P4.5": ("pass", "blocked"),
        "P4.6": (None, "unknown"),  # asks a new fact, `escalation.same_channel`
        "P6.5": ("pass", None),
    }
    startup = policy(full, "lumen_labs")["evaluation"]
    assert startup["verdict"] == {"old": "undetermined", "new": "not_certified"}
    assert flips("lumen_labs")["P2.5"] == ("unknown", "blocked")  # new prerequisite P1.4
    telecom = policy(full, "velocity_telecom")["evaluation"]
    assert telecom["pillars"] == [{"pillar": "P2", "old": 2, "new": 1}]  # P2.3 now at level 2
    assert set(flips("velocity_telecom")) == {"P4.6", "P6.5"}  # P5.5 → P4.7 fails in both
    assert {p["status"] for p in full["policies"]} == {"loads", "no_longer_loads"}


def test_a_setting_looser_than_the_new_default_no_longer_loads(tmp_path: Path) -> None:
    (tmp_path / "acme.aicx").write_text(
        "policy acme implements AICXS 2024 {\n"
        "  target level 2\n"
        "  set max_human_wait = 100 seconds\n"
        "  waive P5.5 {\n"
        '    justification "Opt-out routes are being rebuilt"\n'
        '    approver "A. Person"\n'
        "    expires 2027-01-31\n"
        "  }\n"
        "}\n",
        "utf-8",
    )
    code, data = diff_json(OLD, NEW, "--policies", str(tmp_path))
    assert code == 1
    [acme] = data["policies"]
    assert acme["status"] == "no_longer_loads"
    codes = [(d["code"], d["line"]) for d in acme["diagnostics"]["new"]]
    assert codes == [("aicxs_parameter_looser", 3), ("aicxs_unknown_clause", 4)]
    touched = {t["item"]: [c["kind"] for c in t["changes"]] for t in acme["touches"]}
    assert touched["waive P5.5"] == [
        "clause_renamed",
        "clause_title_changed",
        "clause_pillar_changed",
        "clause_text_changed",
    ]
    assert touched["set max_human_wait = 100 seconds"][0] == "parameter_default_changed"


def test_a_policy_without_facts_beside_it_is_noted(tmp_path: Path) -> None:
    (tmp_path / "lean.aicx").write_text(
        "policy lean implements AICXS 2024 {\n  target level 2\n}\n", "utf-8"
    )
    _, data = diff_json(OLD, NEW, "--policies", str(tmp_path), "--facts", str(tmp_path))
    [lean] = data["policies"]
    assert lean["status"] == "loads" and lean["evaluation"] is None
    assert (
        lean["notes"][-1] == f"no facts file {tmp_path / 'lean.facts.yaml'}: verdicts not compared"
    )


def test_a_policy_that_does_not_parse_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "bad.aicx").write_text(
        "policy bad implements AICXS 2024 {\n  target level\n", "utf-8"
    )
    _, data = diff_json(OLD, NEW, "--policies", str(tmp_path))
    [bad] = data["policies"]
    assert bad["status"] == "does_not_load"
    assert bad["diagnostics"]["new"][0]["file"] == str(tmp_path / "bad.aicx")


# ---- pinned outputs ------------------------------------------------------------------------


def test_text_output(snapshot: object) -> None:
    r = run_cli("diff", *FULL)
    assert (r.exit_code, r.stderr) == (1, "")
    assert r.stdout == snapshot


def test_json_output_is_pinned_and_deterministic(full: dict[str, Any], snapshot: object) -> None:
    r = run_cli("diff", *FULL, "--format", "json")
    assert json.loads(r.stdout) == full
    assert r.stdout == snapshot


def test_markdown_output(snapshot: object) -> None:
    r = run_cli("diff", *FULL, "--format", "markdown")
    assert r.exit_code == 1
    assert r.stdout == snapshot


# ---- mistakes ------------------------------------------------------------------------------


def test_facts_without_policies_is_a_usage_error() -> None:
    r = run_cli("diff", OLD, NEW, "--facts", "policies/")
    assert r.exit_code == 2
    assert "--facts needs --policies" in r.stderr


def test_a_missing_standard_is_located_with_exit_2(tmp_path: Path) -> None:
    r = run_cli("diff", OLD, str(tmp_path / "gone.aicx"))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{tmp_path / 'gone.aicx'}: aicxs_file_error: cannot read")


def test_a_policy_given_as_a_standard_is_reported_with_exit_2() -> None:
    r = run_cli("diff", OLD, "policies/telecom.aicx")
    assert r.exit_code == 2
    assert "policies/telecom.aicx:" in r.stderr and "Traceback" not in r.stderr


def test_a_bad_date_is_a_usage_error() -> None:
    r = run_cli("diff", *FULL[:-1], "27/11/2026")
    assert r.exit_code == 2
    assert "`27/11/2026` is not a date; write YYYY-MM-DD" in r.stderr


def test_a_missing_policies_folder_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli("diff", OLD, NEW, "--policies", str(tmp_path / "none"))
    assert r.exit_code == 2
    assert "does not exist" in r.stderr


# ---- helpers and graph impact ----------------------------------------------------------------


def test_word_diff_marks_dropped_and_added_words() -> None:
    assert word_diff("reach a human within two minutes", "reach a human within 90 seconds") == (
        "reach a human within [-two minutes-] {+90 seconds+}"
    )
    assert word_diff("a b", "a b c", ("~~", "~~"), ("**", "**")) == "a b **c**"


def test_graph_impact_as_a_list(snapshot: object) -> None:
    r = run_cli("graph", OLD, "--impact", "P4.2", "--format", "list")
    assert r.exit_code == 0
    assert r.stdout == snapshot
    policy_run = run_cli(
        "graph", "policies/retail-bank.aicx", "--impact", "P4.2", "--format", "list"
    )
    assert (
        "  NB-3  rule             Vulnerable-customer register linked to every customer-facing system\n        NB-3 refines P4.5 requires P4.2\n"
        in policy_run.stdout
    )


def test_graph_as_a_list_names_every_node() -> None:
    r = run_cli("graph", OLD, "--format", "list")
    lines = r.stdout.splitlines()
    assert len(lines) == 31 + 6 + 6 + 4  # clauses, pillars, key requirements, levels
    assert "P4.2  clause           Escalation protocols" in lines
    assert lines[0] == "KR1   key requirement  Every AI-customer interaction must be transparent"


def test_the_draft_lints_clean_and_is_formatted() -> None:
    lint = run_cli("lint", NEW)
    assert (lint.exit_code, lint.stdout.strip()) == (0, "1 file checked: 0 errors, 0 warnings")
    text = (ROOT / NEW).read_text("utf-8")
    from aicxs.aicxs_dsl import parse_file
    from aicxs.aicxs_dsl.formatter import format_module

    assert format_module(parse_file(ROOT / NEW)) == text


def test_changes_that_cannot_break_a_policy_are_classed_safe(
    tmp_spec: Path, spec_text: str
) -> None:
    edits = [
        ('  mandatory\n  text "Every AI system that faces', '  text "Every AI system that faces'),
        (
            '  clause P6.1 "AI performance monitoring" {\n    level 2',
            '  clause P6.1 "AI performance monitoring" {\n    level 3',
        ),
        (
            "  default 90 days\n  bounds 1 day .. 365 days",
            "  default 90 days\n  bounds 1 day .. 730 days",
        ),
        (
            'ref "Art. 9" "Risk management system"',
            'ref "Art. 9" "Risk management system (Article 9)"',
        ),
        (
            "When was the AI strategy last reviewed and re-approved?",
            "When was the AI strategy last re-approved?",
        ),
    ]
    text = spec_text
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    tmp_spec.write_text(text, "utf-8")
    code, data = diff_json(OLD, str(tmp_spec))
    found = {(c["kind"], c["subject"]): c["breaking"] for c in data["changes"]}
    assert found == {
        ("key_requirement_mandatory_changed", "KR4"): False,
        ("clause_level_changed", "P6.1"): False,
        ("parameter_bounds_changed", "bias_test_interval"): False,
        ("framework_ref_retitled", "EU_AI_ACT Art. 9"): False,
        ("fact_question_changed", "organisation.strategy.last_reviewed"): False,
    }
    assert code == 0  # nothing breaks


def test_a_changed_relationship_is_a_crosswalk_change(tmp_path: Path) -> None:
    """The same reference cited with another strength is reported, old and new side by side."""
    line = 'crosswalk GDPR "Art. 6" intersects with, "Art. 7" intersects with'
    text = (ROOT / OLD).read_text("utf-8")
    assert text.count(line) == 1
    weaker = tmp_path / "weaker.aicx"
    weaker.write_text(
        text.replace(line, line.replace('"Art. 7" intersects with', '"Art. 7" related to'))
    )
    code, data = diff_json(OLD, str(weaker))
    assert code == 0  # a safe change only
    found = change(data, "clause_crosswalk_changed", "P3.2")
    assert found["summary"] == "P3.2 crosswalk ~ GDPR Art. 7: intersects with → related to"
    assert found["breaking"] is False
    assert (found["old"][1], found["new"][1]) == (
        "GDPR Art. 7 (intersects with)",
        "GDPR Art. 7 (related to)",
    )


# ---- issue 15: what changed words and numbers mean -------------------------------------------

P1_2_WORDS = "that meets at least quarterly (every"
P1_2_PARAM = "meeting_interval <= param governance_meeting_interval"
P1_2_NUMBER = "meeting_interval <= 92 days"
AUDIT_PARAM = "s.audit_trail.retention >= param min_audit_log_retention"


def revised(tmp_path: Path, spec_text: str, *edits: tuple[str, str], name: str = "new") -> str:
    text = spec_text
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.aicx"
    path.write_text(text, "utf-8")
    return str(path)


def test_a_changed_obligation_in_the_words_needs_review_and_shows_the_words(
    tmp_path: Path, spec_text: str
) -> None:
    new = revised(tmp_path, spec_text, (P1_2_WORDS, "that meets at least monthly (every"))
    code, data = diff_json(OLD, new)
    assert code == 0  # nothing breaks: the check did not change
    [c] = data["changes"]
    assert (c["kind"], c["subject"], c["breaking"], c["needs_review"]) == (
        "clause_text_changed",
        "P1.2",
        False,
        True,
    )
    assert c["summary"] == "P1.2 text changed: quarterly → monthly"
    assert c["words"] == [{"old": "quarterly", "new": "monthly"}]
    assert c["reason"].startswith("a number or an interval in the words changed")
    assert "the check, which did not change: does it still say" in c["reason"]
    assert data["summary"]["needs_review"] == 1
    lines = run_cli("diff", OLD, new).stdout.splitlines()
    assert "1 change: 0 breaking for existing policies, 1 to review, 0 safe" in lines
    assert "  REVIEW    P1.2 text changed: quarterly → monthly" in lines


@pytest.mark.parametrize(
    ("edit", "summary", "breaking"),
    [
        ((P1_2_NUMBER, "meeting_interval <= 31 days"), "92 days → 31 days (stricter)", True),
        ((P1_2_NUMBER, "meeting_interval <= 184 days"), "92 days → 184 days (looser)", False),
        (
            ("s.audit_trail.retention >= 184 days", "s.audit_trail.retention >= 365 days"),
            "184 days → 365 days (stricter)",
            True,
        ),
        ((P1_2_NUMBER, "meeting_interval == 92 days"), None, True),  # not only a number
    ],
)
def test_a_number_in_a_check_says_stricter_or_looser(
    tmp_path: Path, spec_text: str, edit: tuple[str, str], summary: str | None, breaking: bool
) -> None:
    """The standard reads its numbers from parameters; a revision that writes one into a check
    (the 2024 text once had `92 days` and `184 days` there) is compared number against number."""
    written = (
        (P1_2_PARAM, P1_2_NUMBER),
        (AUDIT_PARAM, AUDIT_PARAM.replace("param min_audit_log_retention", "184 days")),
    )
    old = revised(tmp_path, spec_text, *written, name="old")
    _, data = diff_json(old, revised(tmp_path, (Path(old)).read_text("utf-8"), edit))
    [c] = data["changes"]
    assert c["kind"] == "clause_check_changed"
    assert c["breaking"] is breaking and c["needs_review"] is not breaking
    assert c["summary"].endswith(f"check: {summary}" if summary else "check changed")
    if not breaking:
        assert c["reason"].startswith("looser: a result that was met stays met")


def test_a_parameter_change_names_the_clauses_and_key_requirements_that_read_it(
    tmp_path: Path, spec_text: str
) -> None:
    edit = (
        "  default 90 days\n  bounds 1 day .. 365 days",
        "  default 60 days\n  bounds 1 day .. 365 days",
    )
    _, data = diff_json(OLD, revised(tmp_path, spec_text, edit))  # bias_test_interval
    [c] = data["changes"]
    assert (c["kind"], c["subject"]) == ("parameter_default_changed", "bias_test_interval")
    assert c["affects"] == ["KR4", "P2.5"]  # P2.5 reads it; KR4 covers P2.5
    assert "(stricter)" in c["summary"]


# ---- issue 15: withdrawn clauses and amendments ------------------------------------------------

P5_3_CHECK = (
    "    check organisation.trust.ai_principles_published\n"
    "          and organisation.trust.transparency_report_published\n"
)
WITHDRAWN = '    withdrawn "Superseded by the transparency duties of P2.1" in 2024.1\n'
AMEND = ("standard AICXS 2024 {", "standard AICXS 2024.1 {")


def test_a_withdrawn_clause_is_reported_as_withdrawn(tmp_path: Path, spec_text: str) -> None:
    new = revised(tmp_path, spec_text, AMEND, (P5_3_CHECK, WITHDRAWN))
    code, data = diff_json(OLD, new)
    assert code == 1
    assert (data["old"]["standard"], data["new"]["standard"]) == ("AICXS 2024", "AICXS 2024.1")
    found = {(c["kind"], c["subject"]): c["breaking"] for c in data["changes"]}
    assert found == {
        ("standard_version_changed", "AICXS 2024.1"): True,
        ("clause_withdrawn", "P5.3"): True,
    }
    c = change(data, "clause_withdrawn", "P5.3")
    assert c["summary"] == (
        'clause P5.3 "Trust-building practices" withdrawn in 2024.1: '
        "Superseded by the transparency duties of P2.1"
    )
    assert data["warnings"] == []  # the amendment is named
    assert run_cli("diff", OLD, new).stdout.startswith("AICXS 2024 → AICXS 2024.1\n")


def test_a_clause_deleted_outright_is_breaking_with_the_advice_to_withdraw_it(
    tmp_path: Path, spec_text: str
) -> None:
    start = spec_text.index('  clause P5.3 "Trust-building practices" {')
    end = spec_text.index('  clause P5.4 "Complaint handling')
    new = revised(tmp_path, spec_text, (spec_text[start:end], ""))
    _, data = diff_json(OLD, new)
    c = change(data, "clause_removed", "P5.3")
    assert c["breaking"] is True
    assert 'Retire a clause with `withdrawn "<reason>"` instead of deleting it' in c["reason"]
    assert data["warnings"] == [
        "breaking changes but the version is unchanged: name an amendment, e.g. "
        "`standard AICXS 2024.1`, so that policies say which version they implement"
    ]
    text = run_cli("diff", OLD, new).stdout.splitlines()
    assert text[0] == "AICXS 2024 → AICXS 2024"
    assert text[4].startswith("warning: breaking changes but the version is unchanged")


P5_3_START = '  clause P5.3 "Trust-building practices" {'
P5_4_START = '  clause P5.4 "Complaint handling'


def another_requirement_as_p5_3(spec_text: str) -> tuple[str, str]:
    """P5.3's block, and the same id given to a requirement that reads as another."""
    block = spec_text[spec_text.index(P5_3_START) : spec_text.index(P5_4_START)]
    words = block[block.index('text """') : block.index('"""', block.index('text """') + 8) + 3]
    other = block.replace('"Trust-building practices"', '"Accessible channels"').replace(
        words, 'text """Every customer-facing AI system shall be usable by voice alone."""'
    )
    return block, other


def test_a_withdrawn_id_reappearing_as_a_live_clause_is_breaking(
    tmp_path: Path, spec_text: str
) -> None:
    old = revised(tmp_path, spec_text, AMEND, (P5_3_CHECK, WITHDRAWN), name="old")
    next_amendment = ("standard AICXS 2024 {", "standard AICXS 2024.2 {")
    live = revised(
        tmp_path,
        spec_text,
        next_amendment,
        another_requirement_as_p5_3(spec_text),
        name="reused",
    )
    code, data = diff_json(old, live)
    assert code == 1
    c = change(data, "clause_id_reused", "P5.3")
    assert c["breaking"] is True
    assert c["summary"] == (
        'clause P5.3 "Accessible channels" reuses withdrawn id P5.3 '
        '(was "Trust-building practices")'
    )
    assert c["reason"].startswith("a withdrawn id is never reused")
    assert not [x for x in data["changes"] if x["kind"] in ("clause_added", "clause_renamed")]
    # the same requirement back in force is a reinstatement: breaking, as a new clause is
    back = revised(tmp_path, spec_text, next_amendment, name="back")
    code, data = diff_json(old, back)
    assert code == 1
    c = change(data, "clause_reinstated", "P5.3")
    assert c["summary"] == 'withdrawn clause P5.3 "Trust-building practices" is in force again'
    assert (
        c["reason"] == "a requirement again: policies must meet it for pillar P5 to reach level 4"
    )
    assert not [x for x in data["changes"] if x["kind"] == "clause_id_reused"]
    p5_3 = spec_text[spec_text.index(P5_3_START) : spec_text.index(P5_4_START)]
    gone = revised(tmp_path, spec_text, AMEND, (p5_3, ""), name="gone")
    _, data = diff_json(old, gone)
    [dropped] = data["changes"]
    assert (dropped["kind"], dropped["breaking"], dropped["needs_review"]) == (
        "clause_withdrawn_deleted",
        False,
        True,
    )


def test_an_id_kept_for_another_requirement_is_breaking_not_a_retitle(
    tmp_path: Path, spec_text: str
) -> None:
    """The issue's case: P5.3 deleted and its id given to a new requirement read as "retitled"."""
    block, other = another_requirement_as_p5_3(spec_text)
    code, data = diff_json(OLD, revised(tmp_path, spec_text, (block, other)))
    assert code == 1
    c = change(data, "clause_id_reused", "P5.3")
    assert c["breaking"] is True
    assert c["summary"].startswith(
        'P5.3 "Accessible channels" keeps the id of "Trust-building practices" but reads as '
        "another requirement (similarity 0."
    )
    assert not [x for x in data["changes"] if x["kind"] == "clause_title_changed"]
    # a title reworded over the same requirement stays a title change, for review
    retitled = block.replace('"Trust-building practices"', '"Building customer trust"')
    _, data = diff_json(OLD, revised(tmp_path, spec_text, (block, retitled), name="retitled"))
    [c] = data["changes"]
    assert (c["kind"], c["breaking"], c["needs_review"]) == ("clause_title_changed", False, True)


# ---- bounded work: long texts are compared in bounded time -----------------------------------


def test_two_long_texts_that_share_nothing_are_diffed_without_comparing_every_pair(
    tmp_path: Path, spec_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two texts of 16,000 words took a minute to compare pair by pair; the comparisons now
    never weigh more than `WORK` pairs (difflib is watched, not the clock)."""
    start = spec_text.index(P5_3_START)
    words = spec_text[spec_text.index('text """', start) : spec_text.index("evidence", start)]
    long_old = 'text """' + " ".join(["alpha beta"] * 8_000) + '"""\n    '
    long_new = 'text """' + " ".join(["gamma delta"] * 8_000) + '"""\n    '
    old = revised(tmp_path, spec_text, (words, long_old), name="old")
    new = revised(tmp_path, spec_text, (words, long_new), name="new")
    weighed: list[int] = []
    real = difflib.SequenceMatcher

    def watched(junk: object, a: str, b: str, autojunk: bool = True) -> difflib.SequenceMatcher:
        weighed.append(len(a) * len(b))
        return real(None, a, b, autojunk=autojunk)

    monkeypatch.setattr(textdiff.difflib, "SequenceMatcher", watched)
    code, data = diff_json(old, new)
    assert code == 0
    [c] = data["changes"]
    assert (c["kind"], c["needs_review"]) == ("clause_text_changed", True)
    assert c["words"][0]["old"].startswith("alpha beta alpha beta")
    assert max(weighed, default=0) <= textdiff.WORK  # (the other clauses' texts are equal)
