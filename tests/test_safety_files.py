"""Issue 17, the files: nothing a user names as input or output may corrupt a file it did
not ask to write, hang, or take unbounded memory.

`-o` over devices, FIFOs and links (items 1, 2); special files and the size limits (5); the
policies folder of `serve` (6); `check --batch` and links out of its folder (10), and
documents over the limits, refused while they are read (11). The outputs are in
tests/test_safety_outputs.py. Device tests touch `/dev/null` and `/dev/full` only in ways that
leave them character devices (checked before and after); FIFOs are made in temporary folders.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import stat
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, ROOT, run_cli

CORPUS = ROOT / "tests" / "hostile"
POLICY = CORPUS / "aicx" / "ok-clean.aicx"
CLEAN_FACTS = CORPUS / "facts" / "ok-clean.yaml"
CHECK_CLEAN = ("check", str(POLICY), "--facts", str(CLEAN_FACTS), "--as-of", AS_OF)


# ---- 1. `-o` over device files and FIFOs ----------------------------------------------------


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
    assert (run.exit_code, run.stdout, run.stderr) == (1, "", "wrote the report to /dev/null\n")
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
    assert done.stdout.startswith("AICXS 2024 · policy acme")
    assert done.stderr == "wrote the report to /dev/stdout\n"


def test_output_to_a_folder_is_a_located_error(tmp_path: Path) -> None:
    run = run_cli(*CHECK_CLEAN, "-o", str(tmp_path))
    assert run.exit_code == 2
    assert run.stderr.startswith(
        f"{tmp_path}: aicxs_file_error: cannot write `{tmp_path}`: is a directory\n"
    )
    assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []


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


# ---- 5. special files and the size limits ---------------------------------------------------


def _not_regular(name: str, kind: str = "a character device") -> str:
    return f"{name}: aicxs_file_not_regular: `{name}` is {kind}, not a regular file\n"


@pytest.mark.parametrize(
    "args",
    [
        ("check", str(POLICY), "--facts", "/dev/null"),
        ("check", "/dev/null", "--facts", str(CLEAN_FACTS)),
        ("check", str(POLICY), "--facts", str(CLEAN_FACTS), "--spec", "/dev/null"),
        ("lint", "/dev/null"),
        ("fmt", "--check", "/dev/null"),
        ("schema", "/dev/null"),
    ],
    ids=["facts", "policy", "spec", "lint", "fmt", "schema"],
)
def test_a_device_is_refused_wherever_a_file_is_read(args: tuple[str, ...]) -> None:
    before = _device("/dev/null")
    run = run_cli(*args, "--as-of", AS_OF) if args[0] == "check" else run_cli(*args)
    assert run.exit_code == 2, run.stdout + run.stderr
    assert _not_regular("/dev/null") in run.stdout + run.stderr
    assert _device("/dev/null") == before


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "facts.yaml"
    os.mkfifo(fifo)

    def writer() -> None:  # if aicxs waited for a writer, this one would let it go on
        fd = os.open(fifo, os.O_WRONLY)
        with contextlib.suppress(BrokenPipeError):  # aicxs did not wait: nobody reads
            os.write(fd, b"systems: []\n")
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        run = run_cli(*CHECK_CLEAN[:3], str(fifo), "--as-of", AS_OF)
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # let the writer go in any case
        thread.join(5)
    assert run.exit_code == 2, run.stdout
    assert run.stderr.startswith(_not_regular(str(fifo), "a FIFO (named pipe)"))


def test_dev_zero_is_refused_not_read_until_memory_runs_out() -> None:
    def capped() -> None:  # the old reader ran out of memory; never let it take the machine's
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "aicxs", *CHECK_CLEAN[:3], "/dev/zero", "--as-of", AS_OF],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=capped,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith(_not_regular("/dev/zero"))


def test_a_file_is_read_no_further_than_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aicxs.aicxs_dsl import reading

    path = tmp_path / "growing.yaml"
    path.write_bytes(b"x" * 10_000)
    real = os.fstat

    def says_empty(fd: int) -> os.stat_result:  # a file that grows after its size was read
        st = real(fd)
        return os.stat_result((st.st_mode, *st[1:6], 0, *st[7:]))

    monkeypatch.setattr(reading.os, "fstat", says_empty)
    read: list[int] = []

    class Counted(io.FileIO):
        def read(self, n: int = -1) -> bytes:
            data = super().read(n) or b""
            read.append(len(data))
            return data

    monkeypatch.setattr(reading.io, "FileIO", Counted)
    assert reading.read_limited(path, 100) is None
    assert sum(read) == 101
    assert reading.read_limited(path, 10_000) == b"x" * 10_000


# ---- 6. the policies folder of `serve` ------------------------------------------------------


def _served_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "acme.aicx").write_bytes(POLICY.read_bytes())
    return folder


def test_a_fifo_among_the_served_policies_is_listed_not_waited_on(tmp_path: Path) -> None:
    from tests.test_server import SHOW_PATHS, serving

    folder = _served_folder(tmp_path)
    fifo = folder / "pipe.aicx"
    os.mkfifo(fifo)

    def writer() -> None:  # if the server waited on the FIFO, this would let it go on
        fd = os.open(fifo, os.O_WRONLY)
        with contextlib.suppress(BrokenPipeError):
            os.write(fd, b"# not a policy\n")
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        with serving(folder, reload_interval=0.05, exposure=SHOW_PATHS) as client:  # whole errors
            health = client.get("/health")
            listed = {p["file"]: p for p in client.get("/v1/policies").json()["policies"]}
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        thread.join(5)
    served = health.json()
    assert list(served.pop("revisions")) == ["acme"]  # the live revision of the one served
    assert served == {"status": "ok", "policies": 1, "failing_files": 1}
    [diagnostic] = listed[str(fifo)]["error"]["diagnostics"]
    assert (diagnostic["code"], diagnostic["message"]) == (
        "aicxs_file_not_regular",
        f"`{fifo}` is a FIFO (named pipe), not a regular file",
    )


def test_a_link_to_dev_zero_among_the_served_policies_is_listed_not_read(tmp_path: Path) -> None:
    from aicxs.engine.service.registry import PolicyRegistry

    folder = _served_folder(tmp_path)
    (folder / "zero.aicx").symlink_to("/dev/zero")
    registry = PolicyRegistry(folder)
    changes = {c.file: c for c in registry.refresh()}
    assert sorted(registry.by_id) == ["acme"]
    [diagnostic] = changes[str(folder / "zero.aicx")].diagnostics
    assert diagnostic.code == "aicxs_file_not_regular"
    assert diagnostic.message.endswith("is a character device, not a regular file")


def test_health_reports_a_reload_that_is_stuck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aicxs.engine.service import registry
    from tests.test_server import serving, wait_for

    folder = _served_folder(tmp_path)
    release, entered = threading.Event(), threading.Event()
    load = registry._load

    def hanging(name: str, *args: Any) -> Any:  # a file system that stops answering
        if name.endswith("new.aicx"):
            entered.set()
            release.wait(30)
        return load(name, *args)

    monkeypatch.setattr(registry, "_load", hanging)
    monkeypatch.setattr(registry, "STUCK_AFTER", 0.3)
    with serving(folder, reload_interval=0.05) as client:
        before = client.get("/health").json()
        assert before["status"] == "ok"
        (folder / "new.aicx").write_bytes(POLICY.read_bytes().replace(b"acme", b"beta"))
        assert entered.wait(10)
        wait_for(lambda: client.get("/health").status_code == 503)
        health = client.get("/health").json()
        assert health["status"] == "reload_stuck" and health["reload_running_seconds"] >= 0.3
        assert (health["policies"], health["failing_files"]) == (1, 0)
        assert health["revisions"] == before["revisions"]  # what answers while it hangs
        release.set()
        wait_for(
            lambda: (
                {k: v for k, v in client.get("/health").json().items() if k != "revisions"}
                == {
                    "status": "ok",
                    "policies": 2,
                    "failing_files": 0,
                }
            )
        )


# ---- 10. `check --batch` and links ----------------------------------------------------------


def _batch(*args: str) -> tuple[int, list[str], str]:
    run = run_cli("check", str(POLICY), "--batch", *args, "--as-of", AS_OF, "--engine", "local")
    return (
        run.exit_code,
        [json.loads(line)["source"] for line in run.stdout.splitlines()],
        run.stderr,
    )


def test_batch_skips_links_that_leave_the_folder_and_says_so(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "more").mkdir(parents=True)
    (outside / "secret.yaml").write_bytes(CLEAN_FACTS.read_bytes())
    (outside / "more" / "b.yaml").write_bytes(CLEAN_FACTS.read_bytes())
    estate = tmp_path / "estate"
    estate.mkdir()
    (estate / "a.yaml").write_bytes(CLEAN_FACTS.read_bytes())
    (estate / "again.yaml").symlink_to(estate / "a.yaml")  # stays inside: read
    (estate / "secret.yaml").symlink_to(outside / "secret.yaml")
    (estate / "more").symlink_to(outside / "more")
    (estate / "loop").symlink_to(estate)  # a folder of its own: read once, not for ever
    code, sources, stderr = _batch(str(estate))
    assert code == 1, stderr
    assert sources == [str(estate / "a.yaml"), str(estate / "again.yaml")]
    assert stderr == (
        "2 documents: 0 certified, 2 undetermined\n"
        f"skipped 2 links that lead out of `{estate}` (give --follow-links to read them): "
        f"{estate / 'more'}, {estate / 'secret.yaml'}\n"
    )
    code, sources, stderr = _batch(str(estate), "--follow-links")
    assert sources == [
        str(estate / "a.yaml"),
        str(estate / "again.yaml"),
        str(estate / "more" / "b.yaml"),
        str(estate / "secret.yaml"),
    ]
    assert stderr == "4 documents: 0 certified, 4 undetermined\n"


# ---- 11. `check --batch` and over-limit documents -------------------------------------------


def test_an_over_limit_json_lines_document_is_refused_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aicxs.engine.service.batch import documents

    monkeypatch.setenv("AICXS_MAX_FACTS_BYTES", "10000")
    estate = tmp_path / "estate.jsonl"
    big = json.dumps({"systems": [{"id": f"s{i}"} for i in range(200_000)]})  # 3.3 MB
    estate.write_text(f'{{"systems": []}}\n{big}\n{{"systems": []}}\n')
    tracemalloc.start()
    try:
        docs = list(documents(estate))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(d.source, d.data is None) for d in docs] == [
        (f"{estate}:1", False),
        (f"{estate}:2", True),
        (f"{estate}:3", False),
    ]
    [refused] = docs[1].unreadable
    assert (refused.code, refused.message) == (
        "aicxs_limit_file_size",
        "document is larger than 10,000 bytes",
    )
    assert peak < 1_000_000, f"the reader held {peak:,} bytes for a 3 MB line"
    code, _, stderr = _batch(str(estate))
    assert code == 2 and stderr == "3 documents: 0 certified, 2 undetermined, 1 invalid\n"


def test_batch_refuses_a_json_lines_file_that_is_not_a_regular_file() -> None:
    run = run_cli("check", str(POLICY), "--batch", "/dev/null", "--as-of", AS_OF)
    assert run.exit_code == 2
    assert run.stderr.startswith(_not_regular("/dev/null"))


def test_a_json_list_over_the_limit_is_refused_before_it_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """YAML is checked as a stream; JSON by its structure, before any value is decoded."""
    from aicxs.aicxs_dsl.diagnostics import DiagnosticError
    from aicxs.engine import load_policy

    compiled = load_policy(POLICY)
    monkeypatch.setenv("AICXS_MAX_LIST_ITEMS", "1000")
    systems = ",".join(f'{{"id":"s{i}","customer_facing":true}}' for i in range(100_000))
    text = f'{{"organisation": {{}},\n "systems": [{systems}]}}'
    tracemalloc.start()
    try:
        with pytest.raises(DiagnosticError) as info:
            compiled.parse_facts(text, "estate.json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    [d] = info.value.diagnostics
    assert (d.code, d.message, d.location()) == (
        "aicxs_limit_list_length",
        "`systems` has more than 1,000 items",
        "estate.json:2:2",
    )
    assert peak < 3 * len(text), f"{peak:,} bytes held to refuse {len(text):,} bytes of JSON"


@pytest.mark.parametrize(
    ("items", "refused"),
    [
        (['"a,]"'] * 10, False),  # at the limit, strings holding brackets and commas
        (['"a,]"'] * 11, True),
        (['"\\"]{,\\\\"'] * 11, True),  # escaped quotes and backslashes
        (['[{"k": ",,,,,,,,,,,,"}]'] * 10, False),  # commas inside strings inside lists
        (["[" + ",".join(["1"] * 11) + "]"], True),  # a long list inside a list
        (['{"a": 1' + "".join(f', "k{i}": 1' for i in range(10)) + "}"], True),  # 11 keys
    ],
)
def test_the_json_structure_scan_counts_items_not_characters(
    monkeypatch: pytest.MonkeyPatch, items: list[str], refused: bool
) -> None:
    from aicxs.aicxs_dsl.diagnostics import DiagnosticError
    from aicxs.aicxs_dsl.source import Source
    from aicxs.engine.facts.json_scan import check_lengths

    monkeypatch.setenv("AICXS_MAX_LIST_ITEMS", "10")
    text = '{"pad": "' + "," * 50 + '", "list": [' + ", ".join(items) + "]}"
    json.loads(text)  # the cases are JSON
    if refused:
        with pytest.raises(DiagnosticError, match="has more than 10 items"):
            check_lengths(text, Source("f.json", text))
    else:
        check_lengths(text, Source("f.json", text))
