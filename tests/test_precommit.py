"""The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real `pre-commit` tool on a
temporary git repository whose `.pre-commit-config.yaml` uses them from a local copy of this
repository (its working tree, committed in a scratch repository so uncommitted work counts).

pre-commit builds a virtual environment and pip-installs aicxs into it from that path (the
dependencies come from the package index pip is configured with): about half a minute, once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
TELECOM = (ROOT / "policies" / "telecom.aicx").read_text("utf-8")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    run = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return run.stdout.strip()


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This repository's files (tracked and new, not ignored), committed in a scratch
    repository: its path and the commit."""
    copy = tmp_path_factory.mktemp("aicxs-hooks")
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "snapshot")
    return copy, git(copy, "rev-parse", "HEAD")


def pre_commit(repo: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "AICXS_AS_OF": "2026-11-27"}
    return subprocess.run(
        [*PRE_COMMIT, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_hooks_catch_a_bad_policy_and_format_a_messy_one(
    hooks_repo: tuple[Path, str], tmp_path: Path
) -> None:
    path, rev = hooks_repo
    repo = tmp_path / "policies-repo"
    (repo / "policies").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n"
        "      - id: aicxs-lint\n      - id: aicxs-fmt\n      - id: aicxs-test\n",
        "utf-8",
    )
    for name in ("telecom.aicx", "telecom.facts.yaml", "telecom.tests.yaml"):
        shutil.copy2(ROOT / "policies" / name, repo / "policies" / name)
    bad = repo / "policies" / "bad.aicx"
    bad.write_text(TELECOM.replace("owner cx_leader", "owner cx_leadr"), "utf-8")
    messy = repo / "policies" / "messy.aicx"
    messy_text = TELECOM.replace(
        "  set bias_test_interval = 60 days", "set  bias_test_interval=60 days"
    )
    messy.write_text(messy_text, "utf-8")
    git(repo, "add", "-A")

    first = pre_commit(repo, tmp_path / "cache", "run", "--all-files")
    out = first.stdout
    assert first.returncode == 1, out + first.stderr
    lint, fmt, tests = (out.split(f"aicxs {n}")[1] for n in ("lint", "fmt", "test"))
    assert "Failed" in lint.splitlines()[0]
    assert "policies/bad.aicx:31:5: aicxs_unknown_role: unknown role `cx_leadr`" in lint
    assert "help: did you mean `cx_leader`?" in lint
    assert "Failed" in fmt.splitlines()[0] and "files were modified by this hook" in fmt
    assert "reformatted policies/messy.aicx" in fmt
    assert messy.read_text("utf-8") == TELECOM
    assert "Passed" in tests.splitlines()[0]

    bad.write_text(TELECOM, "utf-8")
    git(repo, "add", "-A")
    second = pre_commit(repo, tmp_path / "cache", "run", "--all-files")
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("Passed") == 3
