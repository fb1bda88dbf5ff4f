"""Issue 17: nothing a user can put in a policy, a facts file, a file name or a flag may corrupt
a file it did not ask to write, run in a reader's terminal or browser, or end in exit 3.

One section per item of the issue: `-o` over device files, FIFOs and links; control
characters in every output and message; Markdown injection; special files and the size
limits; the policies folder of `serve`; evidence links; file names; empty unknown keys;
`check --batch` and links; `check --batch` and over-limit documents. The inputs that are
files live in `tests/hostile/` (`output/` holds valid inputs with hostile texts).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from aicxs.aicxs_dsl.escape import CONTROL_CLASS, json_dumps, printable
from tests.conftest import AS_OF, ROOT, run_cli

CORPUS = ROOT / "tests" / "hostile"
OUTPUT = CORPUS / "output"
POLICY = CORPUS / "aicx" / "ok-clean.aicx"
RAW = re.compile(f"[{CONTROL_CLASS}]")
FORMATS = ("text", "json", "markdown", "html", "sarif", "junit", "oscal", "csv")


def raw_controls(text: str, allowed: str = "\n") -> list[str]:
    """The control characters of `text` other than those of its own layout."""
    return sorted({c for c in RAW.findall(text) if c not in allowed})


def check_escapes(*options: str) -> tuple[int, str, str]:
    run = run_cli(
        "check",
        str(OUTPUT / "escapes.aicx"),
        "--facts",
        str(OUTPUT / "escapes.yaml"),
        "--as-of",
        AS_OF,
        *options,
    )
    return run.exit_code, run.stdout, run.stderr


# ---- 3. terminal escape sequences -----------------------------------------------------------


def test_printable_shows_every_control_character_as_an_escape() -> None:
    assert printable("a\x1b]52;c;eA==\x07b") == "a\\x1b]52;c;eA==\\x07b"
    assert printable("line\nforged\r\t") == "line\\nforged\\r\\t"
    assert printable("\x9b2J \u202egnp.exe \u2028") == "\\x9b2J \\u202egnp.exe \\u2028"
    assert printable("name-\udcff.aicx") == "name-\\xff.aicx"  # a byte that is not UTF-8
    assert printable("kept\nlines\n", keep="\n") == "kept\nlines\n"
    assert printable("plain text: ünïcödé ✓") == "plain text: ünïcödé ✓"


def test_only_the_colours_aicxs_writes_survive_in_colour_mode() -> None:
    ours = "\x1b[31mFAIL   \x1b[0m "
    assert printable(ours + "id\x1b[8mhidden\x1b]8;;x\x07", colours=True) == (
        ours + "id\\x1b[8mhidden\\x1b]8;;x\\x07"
    )
    assert printable(ours) == "\\x1b[31mFAIL   \\x1b[0m "


def test_json_escapes_what_json_leaves_raw() -> None:
    text = json_dumps({"id": "a\x9bb\u202ec\x1bd\udcff"})
    assert raw_controls(text) == []
    assert text == '{\n  "id": "a\\u009bb\\u202ec\\u001bd\\ufffd"\n}'


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_control_character_of_the_inputs_reaches_any_format(fmt: str) -> None:
    code, stdout, stderr = check_escapes("--format", fmt)
    assert code == 1, stderr
    assert raw_controls(stdout, "\n\r" if fmt == "csv" else "\n") == []
    assert raw_controls(stderr) == []


def test_a_line_break_in_a_value_forges_no_line_of_the_report() -> None:
    _, stdout, _ = check_escapes("--explain", "full")
    verdicts = [line for line in stdout.splitlines() if line.startswith("Verdict:")]
    assert verdicts == ["Verdict:  NOT CERTIFIED"]
    assert "web-chat\\nVerdict:  CERTIFIED\\r\\x1b[2J\\x1b[H\\x9b2J" in stdout


@pytest.mark.parametrize(
    "command",
    [
        ("explain", str(OUTPUT / "escapes.aicx"), "ACME-1"),
        ("roadmap", str(OUTPUT / "escapes.aicx")),
    ],
    ids=["explain", "roadmap"],
)
def test_explain_and_roadmap_show_no_control_character(command: tuple[str, ...]) -> None:
    run = run_cli(*command, "--facts", str(OUTPUT / "escapes.yaml"), "--as-of", AS_OF)
    assert run.exit_code == 1, run.stderr
    assert "voice-ivr\\x1b]52;c;cm0gLXJmIH4K\\x07" in run.stdout
    assert raw_controls(run.stdout) == [] and raw_controls(run.stderr) == []


def test_messages_on_stderr_show_no_control_character(tmp_path: Path) -> None:
    facts = tmp_path / "dup.yaml"
    facts.write_text('systems:\n  - id: "a\\e]52;c;eA==\\a"\n  - id: "a\\e]52;c;eA==\\a"\n')
    run = run_cli("check", str(POLICY), "--facts", str(facts), "--as-of", AS_OF)
    assert run.exit_code == 2
    assert "`a\\x1b]52;c;eA==\\x07` names two items of `systems`" in run.stderr
    assert raw_controls(run.stderr) == []


# ---- 1. `-o` over device files and FIFOs ----------------------------------------------------

CLEAN_FACTS = CORPUS / "facts" / "ok-clean.yaml"
CHECK_CLEAN = ("check", str(POLICY), "--facts", str(CLEAN_FACTS), "--as-of", AS_OF)


def test_output_to_a_fifo_writes_into_it_and_leaves_it_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that the writer never waits
    try:
        run = run_cli(*CHECK_CLEAN, "--explain", "none", "-o", str(fifo))
        assert run.exit_code == 1, run.stderr
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        received = os.read(reader, 1 << 16).decode()
    finally:
        os.close(reader)
    assert received.startswith("AICXS 2024 · policy acme") and "Verdict:" in received


def _device(path: str) -> tuple[int, int, int]:
    st = os.lstat(path)
    assert stat.S_ISCHR(st.st_mode), f"{path} is not a character device"
    return st.st_mode, st.st_ino, st.st_rdev


def test_output_to_dev_null_leaves_it_a_character_device() -> None:
    before = _device("/dev/null")
    run = run_cli(*CHECK_CLEAN, "--format", "json", "-o", "/dev/null")
    assert (run.exit_code, run.stdout, run.stderr) == (1, "", "")
    assert _device("/dev/null") == before


def test_output_to_dev_full_is_a_located_error_and_leaves_it_a_device() -> None:
    before = _device("/dev/full")
    run = run_cli(*CHECK_CLEAN, "-o", "/dev/full")
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "/dev/full: aicxs_file_error: cannot write `/dev/full`: no space left on device\n"
        "help: check that the folder exists, that you may write to it, and that the disk has "
        "room; it is written in place (it is a device, a FIFO or a link), so it may hold part "
        "of the output\n"
    )
    assert _device("/dev/full") == before


def test_output_to_dev_stdout_writes_to_whatever_stdout_is() -> None:
    """`-o /dev/stdout` with stdout a pipe (the same path as stdout on `/dev/null` in CI)."""
    done = subprocess.run(
        [sys.executable, "-m", "aicxs", *CHECK_CLEAN, "--explain", "none", "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("AICXS 2024 · policy acme") and done.stderr == ""


# ---- 2. `-o` through a symbolic link --------------------------------------------------------


def test_a_link_is_written_through_in_place(tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_text("old\n")
    target.chmod(0o640)
    inode = target.stat().st_ino
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    run = run_cli(*CHECK_CLEAN, "--explain", "none", "-o", str(link))
    assert run.exit_code == 1, run.stderr
    assert link.is_symlink() and "Verdict:" in target.read_text()
    assert (target.stat().st_ino, target.stat().st_mode & 0o777) == (inode, 0o640)


def test_a_link_of_another_user_in_a_sticky_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = shared / "report.txt"
    link.symlink_to(victim)
    if os.geteuid() == 0:
        os.lchown(link, 4242, 4242)  # planted by another user
    else:
        monkeypatch.setattr(os, "geteuid", lambda: os.lstat(link).st_uid + 1)
    owner = os.lstat(link).st_uid
    run = run_cli(*CHECK_CLEAN, "-o", str(link))
    assert run.exit_code == 2
    assert run.stderr.startswith(
        f"{link}: aicxs_output_link: `{link}` is a link owned by another user (uid {owner}) "
        "in a sticky folder: aicxs will not write through it\n"
    )
    assert victim.read_text() == "precious\n" and link.is_symlink()


def test_a_link_of_ones_own_in_a_sticky_folder_is_written_through(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    target = tmp_path / "mine.txt"
    target.write_text("old\n")
    (shared / "report.txt").symlink_to(target)
    run = run_cli(*CHECK_CLEAN, "--explain", "none", "-o", str(shared / "report.txt"))
    assert run.exit_code == 1, run.stderr
    assert "Verdict:" in target.read_text()
