"""Nothing lost: every regular file aicxs writes replaces the old one in a single rename
(devices, FIFOs and links are written in place: tests/test_safety.py).

A write that fails (disk full, interrupted) leaves the old file intact and no temporary file;
a run killed with SIGKILL, at random moments and in the middle of a write, leaves the old file
or the complete new one, never a part; the leftover temporary file of a killed run is removed
by a later write once it is stale. New files get the usual permissions (not mkstemp's 0600).
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aicxs.aicxs_dsl.diagnostics import DiagnosticError
from aicxs.engine import files
from aicxs.engine.files import STALE_SECONDS, write_atomic
from tests.conftest import AS_OF, ROOT, run_cli

OLD = "the previous report, which must survive\n"
TELECOM = ["policies/telecom.aicx", "--facts", "policies/telecom.facts.yaml", "--as-of", AS_OF]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_check_output_replaces_the_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text(OLD)
    run = run_cli("check", *TELECOM, "--format", "json", "-o", str(out))
    assert run.exit_code == 1 and run.stdout == ""
    assert json.loads(out.read_text())["verdict"] == "not_certified"
    assert leftovers(tmp_path) == []


def test_failed_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.json"
    out.write_text(OLD)

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    run = run_cli("check", *TELECOM, "--format", "json", "-o", str(out))
    assert run.exit_code == 2
    assert f"{out}: aicxs_file_error: cannot write `{out}`: no space left on device" in run.stderr
    assert "Traceback" not in run.stderr
    assert out.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_interrupted_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.txt"
    out.write_text(OLD)

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, "new text")
    assert out.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_fmt_that_cannot_write_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.aicx"
    messy = "policy acme implements AICXS 2024 {\n      target level 2\n}\n"
    path.write_text(messy)

    def refused(src: str, dst: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refused)
    run = run_cli("fmt", str(path))
    assert run.exit_code == 2, run.stderr
    assert "cannot write" in run.stderr and "permission denied" in run.stderr
    assert path.read_text() == messy
    assert leftovers(tmp_path) == []


def test_a_folder_that_does_not_exist_is_a_user_error(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "report.txt"
    run = run_cli("check", *TELECOM, "-o", str(out))
    assert run.exit_code == 2
    assert run.stderr.startswith(f"{out}: aicxs_file_error: cannot write `{out}`: no such file")


def test_new_files_get_the_usual_mode_and_old_files_keep_theirs(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.txt", "x")
        assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o640)
        write_atomic(kept, "new")
        assert kept.stat().st_mode & 0o777 == 0o640 and kept.read_text() == "new"
    finally:
        os.umask(mask)


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text(OLD)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


# ---- SIGKILL -----------------------------------------------------------------------------

# A run whose write pauses after the temporary file is complete and before the rename: it
# prints `writing` and sleeps there, so the test can kill it exactly in the middle of a write.
PAUSED_WRITE = """
import os, sys, time
from aicxs.engine import files
real_fsync = os.fsync
def paused(fd):
    real_fsync(fd)
    print("writing", flush=True)
    time.sleep(60)
files.os.fsync = paused
from aicxs.cli import cli
cli(sys.argv[1:], prog_name="aicxs")
"""


def _aicxs(*args: str, code: str | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "aicxs"]
    return subprocess.Popen(
        [*command, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_killed_in_the_middle_of_a_write_the_old_file_survives(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text(OLD)
    args = ("check", *TELECOM, "--format", "json", "--explain", "full", "-o", str(out))
    proc = _aicxs(*args, code=PAUSED_WRITE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "writing\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert out.read_text() == OLD
    [leftover] = leftovers(tmp_path)
    assert leftover.startswith(".report.json.")
    # A later run removes the leftover once it is stale, and writes the report.
    stale = time.time() - STALE_SECONDS - 60
    os.utime(tmp_path / leftover, (stale, stale))
    run = run_cli(*args)
    assert run.exit_code == 1
    assert json.loads(out.read_text())["verdict"] == "not_certified"
    assert leftovers(tmp_path) == []


def test_killed_at_random_moments_the_file_is_old_or_complete(tmp_path: Path) -> None:
    """SIGKILL at random points of whole runs: the report is the old one or a complete new one."""
    out = tmp_path / "report.json"
    out.write_text(OLD)
    args = ("check", *TELECOM, "--format", "json", "--explain", "full", "-o", str(out))
    start = time.monotonic()
    _aicxs(*args).wait()
    duration = time.monotonic() - start
    complete = out.read_text()
    assert json.loads(complete)["verdict"] == "not_certified"
    rng = random.Random(20261127)
    for _ in range(4):
        out.write_text(OLD)
        proc = _aicxs(*args)
        time.sleep(rng.uniform(0.2, 1.0) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert out.read_text() in (OLD, complete)
        assert all(n.startswith(".report.json.") for n in leftovers(tmp_path))
    with pytest.raises(DiagnosticError):
        write_atomic(tmp_path / "no" / "such" / "folder", "x")


def test_a_stream_is_written_atomically_too(tmp_path: Path) -> None:
    """`open_atomic`: for outputs written line by line (e.g. `check --batch -o`)."""
    from aicxs.engine.files import open_atomic

    out = tmp_path / "results.jsonl"
    out.write_text(OLD)
    with pytest.raises(RuntimeError), open_atomic(out) as f:
        f.write('{"verdict": "certified"}\n')
        raise RuntimeError("the run broke half-way")
    assert out.read_text() == OLD and leftovers(tmp_path) == []
    with open_atomic(out) as f:
        f.write("one\n")
        f.write("two\n")
    assert out.read_text() == "one\ntwo\n" and leftovers(tmp_path) == []
