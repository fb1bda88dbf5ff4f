"""Options every command shares: `-o FILE` writes what the command prints (atomically) and says
on stderr what it wrote, unless `-q`; the policy is an argument everywhere (`assess --policy`
is a deprecated alias that still works); bare `aicxs` prints the help; help texts are the
command's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AS_OF, run_cli

TELECOM = ("policies/telecom.aicx", "--facts", "policies/telecom.facts.yaml", "--as-of", AS_OF)
AICXS = Path(sys.executable).parent / "aicxs"

# command line → what `-o` writes (the same text the command prints without it)
WRITERS = {
    "check": (("check", *TELECOM), "the report"),
    "explain": (("explain", "policies/telecom.aicx", "P4.2", *TELECOM[1:]), "the explanation"),
    "roadmap": (("roadmap", *TELECOM), "the roadmap"),
    "schema": (("schema", "policies/telecom.aicx"), "the schema"),
    "graph": (("graph", "spec/aicxs-2024.aicx", "--format", "mermaid"), "the graph"),
    "lint": (("lint", "policies/"), "the findings"),
    "docs": (("docs", "spec/aicxs-2024.aicx"), "the document"),
    "export": (
        ("export", "oscal-catalog", "spec/aicxs-2024.aicx", "--as-of", AS_OF),
        "the catalog",
    ),
    "test": (("test", "policies/startup.tests.yaml"), "the results"),
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_o_writes_what_would_be_printed_and_says_so(name: str, tmp_path: Path) -> None:
    args, what = WRITERS[name]
    printed = run_cli(*args)
    target = tmp_path / "out.txt"
    written = run_cli(*args, "-o", str(target))
    assert written.exit_code == printed.exit_code
    assert written.stdout == ""
    assert target.read_text("utf-8") == printed.stdout
    assert written.stderr == f"wrote {what} to {target}\n"


@pytest.mark.parametrize("name", ["check", "explain", "lint"])
def test_q_writes_quietly(name: str, tmp_path: Path) -> None:
    args, _ = WRITERS[name]
    target = tmp_path / "out.txt"
    quiet = run_cli(*args, "-o", str(target), "-q")
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert target.read_text("utf-8") == run_cli(*args).stdout


@pytest.mark.parametrize("name", [*WRITERS, "assess"])
def test_help_lists_the_output_option(name: str) -> None:
    args = ("export", "oscal-catalog") if name == "export" else (name,)
    shown = run_cli(*args, "--help").stdout
    assert "-o, --output FILE" in shown


def test_bare_aicxs_prints_the_help_and_exits_0() -> None:
    run = subprocess.run([str(AICXS)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Usage: aicxs [OPTIONS] [COMMAND] [ARGS]...")
    assert "Commands:" in run.stdout and "assess" in run.stdout
    assert run.stderr == ""


def test_the_oscal_catalog_says_what_its_date_is_for() -> None:
    shown = " ".join(run_cli("export", "oscal-catalog", "--help").stdout.split())
    assert "Evaluation date for all date rules" not in shown
    assert "--as-of DATE The catalog's `last-modified` date" in shown


ANSWERS = "organisation.strategy.documented: yes\n"


def _assess(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    (tmp_path / "answers.yaml").write_text(ANSWERS, "utf-8")
    r = run_cli(
        "assess",
        *args,
        "-o",
        str(tmp_path / "facts.yaml"),
        "--answers",
        str(tmp_path / "answers.yaml"),
        "--as-of",
        AS_OF,
    )
    return r.exit_code, r.stdout, r.stderr


def test_assess_takes_the_policy_as_an_argument(tmp_path: Path) -> None:
    code, out, err = _assess(tmp_path, "policies/telecom.aicx")
    assert (code, err) == (1, "")
    assert out.startswith("Online Assessment · AICXS 2024 · policy velocity_telecom\n")


def test_assess_policy_option_is_a_deprecated_alias_that_still_works(tmp_path: Path) -> None:
    code, out, err = _assess(tmp_path, "--policy", "policies/telecom.aicx")
    assert code == 1
    assert out.startswith("Online Assessment · AICXS 2024 · policy velocity_telecom\n")
    assert err == (
        "note: `--policy` is deprecated; give the policy as an argument: "
        "`aicxs assess policies/telecom.aicx ...`\n"
    )


def test_assess_refuses_two_different_policies(tmp_path: Path) -> None:
    code, _, err = _assess(tmp_path, "policies/startup.aicx", "--policy", "policies/telecom.aicx")
    assert code == 2
    assert "two policies given: `policies/startup.aicx` and `--policy policies/telecom.aicx`" in err
