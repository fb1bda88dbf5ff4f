"""The README's Python API examples run as written, and print what their comments say; its
"Assess your organisation" walk-through is followed command by command.

Each ```python block of the API section is run in a fresh interpreter from the repository root;
a `print(...)` line ending in `# text` must print a line that starts with `text` (a trailing
`...` in the comment marks an abbreviation). Each `$ aicxs ...` line of the walk-through is run
in one empty folder, in order (`assess` through a real terminal, typing the answers shown), and
must print the lines the README shows (`...` elides lines)."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import ROOT

SECTION = re.compile(r"^## Python API\n(.*?)^## ", re.S | re.M)
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[str]:
    match = SECTION.search((ROOT / "README.md").read_text("utf-8"))
    assert match, "the README has no `## Python API` section"
    return BLOCK.findall(match.group(1))


def expected(code: str) -> list[str]:
    lines = [line for line in code.splitlines() if line.lstrip().startswith("print(")]
    return [line.rsplit("# ", 1)[1].removesuffix("...").rstrip() for line in lines]


@pytest.mark.parametrize("index", range(len(blocks())))
def test_the_readme_example_runs_and_prints_what_it_says(index: int) -> None:
    code = blocks()[index]
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    printed = run.stdout.splitlines()
    wanted = expected(code)
    assert len(printed) == len(wanted), run.stdout
    for got, want in zip(printed, wanted, strict=True):
        assert got.startswith(want), f"printed {got!r}, the README says {want!r}"


def test_the_examples_use_only_the_public_api() -> None:
    for code in blocks():
        assert "aicxs." not in re.sub(r"aicxs\.[A-Za-z_]+", _public, code)


def _public(match: re.Match[str]) -> str:
    import aicxs

    name = match.group().split(".", 1)[1]
    return "" if name in aicxs.__all__ else match.group()


# ---- "Assess your organisation", followed step by step ---------------------------------------

WALK = re.compile(r"^## Assess your organisation\n(.*?)^## ", re.S | re.M)
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
PROMPT = re.compile(r"^(.*\]: )(.*)$")  # `Question? [hint]: answer`, as a terminal shows it
AICXS = Path(sys.executable).parent / "aicxs"


def walk_commands() -> list[tuple[str, list[str]]]:
    """Each `$ command` of the section's console blocks, with the lines shown after it."""
    match = WALK.search((ROOT / "README.md").read_text("utf-8"))
    assert match, "the README has no `## Assess your organisation` section"
    found: list[tuple[str, list[str]]] = []
    for block in CONSOLE.findall(match.group(1)):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            else:
                found[-1][1].append(line)
    return found


def run_step(command: str, shown: list[str], cwd: Path) -> str:
    """Run one command as the README shows it; an interactive one through a real terminal,
    typing the answers shown after each prompt (`^C` is Ctrl-C). Its output, stdout and stderr
    together, with line ends as LF."""
    args = shlex.split(command)
    assert args[0] == "aicxs"
    env = {**os.environ, "AICXS_AS_OF": "2026-11-27", "NO_COLOR": "1"}
    answers = [m for line in shown if (m := PROMPT.match(line))]
    if not answers:
        done = subprocess.run(
            [str(AICXS), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        return done.stdout + done.stderr
    child = pexpect.spawn(
        str(AICXS), args[1:], cwd=str(cwd), env=env, encoding="utf-8", timeout=30,
        dimensions=(50, 250),
    )  # fmt: skip
    seen = io.StringIO()
    child.logfile_read = seen
    for prompt in answers:
        child.expect_exact(prompt.group(1))
        if prompt.group(2) == "^C":
            child.sendintr()
        else:
            child.sendline(prompt.group(2))
    child.expect(pexpect.EOF)
    child.close()
    return seen.getvalue().replace("\r\n", "\n")


def shows(output: str, shown: list[str]) -> None:
    """The lines shown appear in the output in order; runs of lines between `...` appear
    together, as consecutive lines."""
    lines = [line.rstrip() for line in output.splitlines()]
    runs: list[list[str]] = [[]]
    for line in shown:
        if line == "...":
            runs.append([])
        else:
            runs[-1].append(line.rstrip())
    at = 0
    for run in (r for r in runs if r):
        starts = [i for i in range(at, len(lines) - len(run) + 1) if lines[i : i + len(run)] == run]
        assert starts, f"the README shows\n{chr(10).join(run)}\nbut the output is\n{output}"
        at = starts[0] + len(run)


def test_the_assess_your_organisation_walk_through_runs_as_written(tmp_path: Path) -> None:
    steps = walk_commands()
    assert [c.split()[1] for c, _ in steps] == [
        "init", "assess", "check", "explain", "explain", "roadmap", "check",
    ]  # fmt: skip
    for command, shown in steps:
        shows(run_step(command, shown, tmp_path), shown)
    report = (tmp_path / "shop-co-report.html").read_text("utf-8")
    assert 'id="sign-off"' in report and "shop-co.facts.yaml" in report


def test_the_section_comes_right_after_the_quickstart() -> None:
    headings = re.findall(r"^## (.+)$", (ROOT / "README.md").read_text("utf-8"), re.M)
    assert headings.index("Assess your organisation") == headings.index("Quickstart") + 1
    assert headings.index("Assess your organisation") < headings.index("Python API")


# ---- the other examples, on the bundled files --------------------------------------------------


def bundled_examples() -> list[tuple[str, list[str]]]:
    """Each `$ aicxs ...` of the README outside the walk-through that reads only the bundled
    files (every path it names is in the repository) and writes nothing, with what it shows."""
    text = (ROOT / "README.md").read_text("utf-8")
    walk = WALK.search(text)
    assert walk
    found: list[tuple[str, list[str]]] = []
    for block in CONSOLE.findall(text.replace(walk.group(1), "")):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
    return [
        (command, shown)
        for command, shown in found
        if (args := shlex.split(command))[:1] == ["aicxs"]
        and args[1] in READ_ONLY
        and "-o" not in args
        and ">" not in args  # (a batch over a file the README makes first)
        and all((ROOT / a).exists() for a in args if "/" in a or a.endswith((".aicx", ".yaml")))
    ]


READ_ONLY = (
    "check",
    "lint",
    "fmt",
    "graph",
    "roadmap",
    "diff",
    "test",
    "explain",
)  # (`fmt --check`)


def test_the_bundled_examples_are_the_ones_expected() -> None:
    assert [c.split()[1] for c, _ in bundled_examples()] == [
        "check", "check", "lint", "fmt", "graph", "roadmap", "diff", "test",
    ]  # fmt: skip


@pytest.mark.parametrize(("command", "shown"), bundled_examples(), ids=lambda x: str(x)[:40])
def test_each_bundled_example_prints_what_the_readme_shows(command: str, shown: list[str]) -> None:
    shows(run_step(command, shown, ROOT), shown)
