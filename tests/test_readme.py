"""The README's Python API examples run as written, and print what their comments say.

Each ```python block of the section is run in a fresh interpreter from the repository root;
a `print(...)` line ending in `# text` must print a line that starts with `text` (a trailing
`...` in the comment marks an abbreviation)."""

from __future__ import annotations

import re
import subprocess
import sys

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
