"""Shared fixtures: the repository root as working directory, the CLI runner, the spec text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from aicxs.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "aicxs-2024.aicx"
AS_OF = "2026-11-27"  # every evaluation in the tests is dated, so results never drift


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run every test from the repository root, so paths in outputs are stable."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("AICXS_AS_OF", raising=False)
    yield


def run_cli(*args: str) -> Run:
    """`aicxs ARGS...` in process; stdout and stderr kept apart."""
    result = CliRunner().invoke(cli, list(args), prog_name="aicxs")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def without_digests(text: str) -> str:
    """Output with each SHA-256 (of the standard, policy and facts files, in a report's
    provenance) as `<sha256>`: snapshots pin the layout, and tests/test_provenance.py checks
    the digests themselves against hashlib, so an edit to a file does not churn every snapshot."""
    return _DIGEST.sub("<sha256>", text)


_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture
def spec_text() -> str:
    return SPEC.read_text("utf-8")


@pytest.fixture
def tmp_spec(tmp_path: Path, spec_text: str) -> Iterator[Path]:
    """A writable copy of the bundled standard, for tests that break it on purpose."""
    path = tmp_path / "aicxs-2024.aicx"
    path.write_text(spec_text, "utf-8")
    yield path


_LAWFUL_BASIS = re.compile(r"consent: \{basis: [a-z_]+, recorded: true\}")


def consented(name: str) -> str:
    """An example's facts with the customers' consent recorded for every AI system.

    Key requirement KR5 asks for clear consent, as the standard writes it; the retail bank, so
    changed, is certified at level 3 (its recorded facts rely on contract and legal obligation).
    """
    text = (ROOT / "policies" / f"{name}.facts.yaml").read_text("utf-8")
    changed = _LAWFUL_BASIS.sub(
        "consent: {basis: consent, recorded: true, withdrawable: true}", text
    )
    assert changed != text, f"{name} records no lawful basis to change"
    return changed


def with_consent(name: str, folder: Path) -> Path:
    """`consented(name)` written to `folder`, for the command line."""
    path = folder / f"{name}.facts.yaml"
    path.write_text(consented(name), "utf-8")
    return path
