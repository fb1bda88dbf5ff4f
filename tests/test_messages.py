"""Messages a new user meets in the first hour, each located where the mistake is and saying
what to do: a `}` missing inside a block, YAML saved as `.json`, a facts file given to `lint`,
an evidence entry with a wrong field or a mistyped fact path, a date written with a time."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import AS_OF, ROOT, run_cli

WAIVER_OPEN = """\
policy shop implements AICXS 2024 {
  title "Shop"
  target level 2
  waive P2.4 {
    justification "Model cards are being written"
    approver "Jo Bloggs, CRO"
    expires 2026-12-30
}
"""


def test_a_missing_inner_brace_is_reported_at_the_inner_block(tmp_path: Path) -> None:
    (tmp_path / "shop.aicx").write_text(WAIVER_OPEN, "utf-8")
    r = run_cli("lint", str(tmp_path / "shop.aicx"))
    assert r.exit_code == 2
    out = r.stdout.replace(str(tmp_path), "<tmp>")
    assert out.startswith(
        "<tmp>/shop.aicx:4:14: aicxs_unclosed_block: this `{` is never closed\n"
        "  |\n"
        "4 |   waive P2.4 {\n"
        "  |              ^\n"
        "note: the `}` on line 8 is indented like an outer block's: it closes this one only "
        "because this one's own `}` is missing\n"
        "help: add its `}` before line 8, indented like this block's line\n"
    )


def test_an_unclosed_outer_block_is_still_reported_at_the_outer_block(tmp_path: Path) -> None:
    text = "policy shop implements AICXS 2024 {\n  target level 2\n"
    (tmp_path / "shop.aicx").write_text(text, "utf-8")
    r = run_cli("lint", str(tmp_path / "shop.aicx"))
    assert ":1:35: aicxs_unclosed_block: this `{` is never closed" in r.stdout
    assert "help: add the missing `}` (blocks close in the reverse order they open)" in r.stdout


def test_yaml_saved_as_json_is_recognised(tmp_path: Path) -> None:
    (tmp_path / "acme.json").write_text("organisation:\n  strategy:\n    documented: true\n")
    r = run_cli("check", "policies/telecom.aicx", "--facts", str(tmp_path / "acme.json"))
    assert r.exit_code == 2
    assert "acme.json:1:1: aicxs_facts_syntax: invalid JSON: Expecting value" in r.stderr
    assert (
        "help: this looks like YAML, but a `.json` file is read as JSON: save it as "
        "`acme.yaml` (or write it as JSON)"
    ) in r.stderr


def test_broken_json_that_is_not_yaml_keeps_the_json_help(tmp_path: Path) -> None:
    (tmp_path / "acme.json").write_text('{"organisation": {"strategy": }}\n')
    r = run_cli("check", "policies/telecom.aicx", "--facts", str(tmp_path / "acme.json"))
    assert "help: fix the JSON syntax at this point" in r.stderr


def test_lint_on_a_facts_file_says_what_it_is_and_which_command_reads_it() -> None:
    r = run_cli("lint", "policies/telecom.facts.yaml")
    assert r.exit_code == 2
    assert r.stdout.startswith(
        "policies/telecom.facts.yaml: aicxs_not_aicx: `policies/telecom.facts.yaml` is a "
        "facts file (YAML or JSON), not a standard or policy written in the `.aicx` language\n"
        "help: facts are read by `aicxs check POLICY --facts policies/telecom.facts.yaml`"
    )
    tests = run_cli("lint", "policies/telecom.tests.yaml")
    assert "is a policy test file" in tests.stdout
    assert "help: run its cases with `aicxs test policies/telecom.tests.yaml`" in tests.stdout


def test_a_policy_given_as_a_facts_file_to_check_says_the_same() -> None:
    r = run_cli("check", "policies/telecom.facts.yaml", "--facts", "policies/telecom.facts.yaml")
    assert r.exit_code == 2
    assert "aicxs_not_aicx" in r.stderr and "Traceback" not in r.stderr


def _facts_with(tmp_path: Path, entry: str) -> Path:
    text = (ROOT / "policies/telecom.facts.yaml").read_text("utf-8")
    target = tmp_path / "facts.yaml"
    target.write_text(text.replace("evidence:\n", f"evidence:\n  - {entry}\n", 1), "utf-8")
    return target


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_doc_in_evidence_suggests_document(tmp_path: Path) -> None:
    facts = _facts_with(tmp_path, '{fact: organisation.strategy, doc: "AI strategy v2"}')
    r = run_cli("check", "policies/telecom.aicx", "--facts", str(facts), "--as-of", AS_OF)
    assert r.exit_code == 2
    line = _line_of(facts, "doc:")
    assert (
        f"facts.yaml:{line}:35: aicxs_facts_schema: `evidence[0]` has no field `doc`: an "
        "evidence entry has `fact`, `document`, `url`, `attested_by`, `date` "
        "($.evidence[0].doc)"
    ) in r.stderr
    assert "help: did you mean `document`?" in r.stderr
    assert "facts` block" not in r.stderr


def test_a_mistyped_evidence_fact_path_is_located_with_a_suggestion(tmp_path: Path) -> None:
    facts = _facts_with(tmp_path, '{fact: "systems[voice-ivr].escalaton", document: "Review"}')
    r = run_cli(
        "check", "policies/telecom.aicx", "--facts", str(facts), "--as-of", AS_OF,
        "--format", "json",
    )  # fmt: skip
    line = _line_of(facts, "escalaton")
    finding = (
        f"evidence for `systems[voice-ivr].escalaton` ({facts}:{line}) matches no fact in "
        f"{facts}; did you mean `systems[voice-ivr].escalation`?"
    )
    assert finding in json.loads(r.stdout)["findings"]
    item = _facts_with(tmp_path, '{fact: "systems[voice-iv].escalation", document: "Review"}')
    r = run_cli("check", "policies/telecom.aicx", "--facts", str(item), "--as-of", AS_OF)
    assert "did you mean `systems[voice-ivr].escalation`?" in r.stdout


def test_a_mistyped_evidence_path_with_nothing_near_gets_no_suggestion(tmp_path: Path) -> None:
    facts = _facts_with(tmp_path, '{fact: "budget.total", document: "Ledger"}')
    r = run_cli("check", "policies/telecom.aicx", "--facts", str(facts), "--as-of", AS_OF)
    finding = next(line for line in r.stdout.splitlines() if "budget.total" in line)
    assert finding.endswith(f"matches no fact in {facts}")


def test_a_date_with_a_time_is_underlined_whole_with_its_json_path(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "organisation:\n  strategy:\n    last_reviewed: 2026-01-20 10:30:00  # at the board\n"
    )
    r = run_cli("check", "policies/telecom.aicx", "--facts", str(facts), "--as-of", AS_OF)
    assert r.exit_code == 2
    assert r.stderr.replace(str(tmp_path), "<tmp>").startswith(
        "<tmp>/facts.yaml:3:20: aicxs_facts_type: `organisation.strategy.last_reviewed` is a "
        "date with a time ($.organisation.strategy.last_reviewed)\n"
        "  |\n"
        "3 |     last_reviewed: 2026-01-20 10:30:00  # at the board\n"
        "  |                    ^^^^^^^^^^^^^^^^^^^\n"
        "help: write only the date, as YYYY-MM-DD: `2026-01-20`\n"
    )
