"""docs/language.md for authors who are not programmers (issue 15, item 15): plain words, and
what it says about `bounds`, `implies` and the amendment steps is what the tools do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aicxs.aicxs_dsl import parse_text
from tests.conftest import ROOT, run_cli

DOC = (ROOT / "docs" / "language.md").read_text("utf-8")


@pytest.mark.parametrize("jargon", ["right-associative", "lower snake case", "Kleene logic"])
def test_the_reference_explains_instead_of_naming_jargon(jargon: str) -> None:
    assert jargon not in DOC
    # The technical term appears at most once, in brackets after the plain explanation.
    assert DOC.count("Kleene") <= 1 and "(Logicians call these rules Kleene's" in DOC


def test_the_reference_says_what_implies_optional_and_an_unknown_where_mean() -> None:
    text = " ".join(DOC.split())
    assert "true when A is false (whatever B is)" in text
    assert "a missing optional fact still counts as **unknown** when a check reads it" in text
    assert "When an item's `where` cannot be decided" in text


def policy_setting(tmp_path: Path, value: str) -> str:
    """The codes `aicxs lint` gives a policy that sets `max_human_wait` to `value`."""
    path = tmp_path / "p.aicx"
    path.write_text(
        "policy p implements AICXS 2024 {\n  target level 2\n"
        f"  set max_human_wait = {value}\n}}\n",
        "utf-8",
    )
    run = run_cli("lint", str(path))
    return ",".join(sorted(set(re.findall(r"aicxs_[a-z_]+", run.stdout + run.stderr))))


def test_what_the_reference_says_bounds_allow_is_what_lint_allows(tmp_path: Path) -> None:
    """`bounds 0 seconds .. 600 seconds`, `stricter lower`, default 120 seconds: a policy
    chooses from 0 to 120 seconds; 600, inside the bounds, is never reachable."""
    assert "for `max_human_wait` above, from `0 seconds` to `120 seconds`" in " ".join(DOC.split())
    assert policy_setting(tmp_path, "0 seconds") == ""
    assert policy_setting(tmp_path, "120 seconds") == ""
    assert policy_setting(tmp_path, "121 seconds") == "aicxs_parameter_looser"
    assert policy_setting(tmp_path, "600 seconds") == "aicxs_parameter_looser"
    assert policy_setting(tmp_path, "601 seconds") == "aicxs_parameter_out_of_bounds"


def test_each_command_of_how_to_amend_the_standard_exists() -> None:
    section = DOC.split("## How to amend the standard", 1)[1]
    commands = re.findall(r"`aicxs ([a-z]+) ", section)
    assert commands == ["lint", "diff", "test"]
    for command in commands:
        assert run_cli(command, "--help").exit_code == 0
    assert "`standard AICXS 2025`" in section
    # ... and the amendment version it names is one the language reads
    assert "`standard AICXS 2024.1`" in section
    assert parse_text('standard AICXS 2024.1 {\n  title "t"\n}\n') is not None
    assert "spec/aicxs-2024.tests.yaml" in section
