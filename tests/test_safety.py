"""Issue 17: nothing a user can put in a policy, a facts file, a file name or a flag may corrupt
a file it did not ask to write, run in a reader's terminal or browser, or end in exit 3.

One section per item of the issue: `-o` over device files, FIFOs and links; control
characters in every output and message; Markdown injection; special files and the size
limits; the policies folder of `serve`; evidence links; file names; empty unknown keys;
`check --batch` and links; `check --batch` and over-limit documents. The inputs that are
files live in `tests/hostile/` (`output/` holds valid inputs with hostile texts).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import stat
import subprocess
import sys
import threading
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

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
    from tests.test_server import serving

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
        with serving(folder, reload_interval=0.05) as client:
            health = client.get("/health")
            listed = {p["file"]: p for p in client.get("/v1/policies").json()["policies"]}
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        thread.join(5)
    assert health.json() == {"status": "ok", "policies": 1, "failing_files": 1}
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
        assert client.get("/health").json()["status"] == "ok"
        (folder / "new.aicx").write_bytes(POLICY.read_bytes().replace(b"acme", b"beta"))
        assert entered.wait(10)
        wait_for(lambda: client.get("/health").status_code == 503)
        health = client.get("/health").json()
        assert health["status"] == "reload_stuck" and health["reload_running_seconds"] >= 0.3
        assert (health["policies"], health["failing_files"]) == (1, 0)
        release.set()
        wait_for(
            lambda: (
                client.get("/health").json()
                == {
                    "status": "ok",
                    "policies": 2,
                    "failing_files": 0,
                }
            )
        )


# ---- 9. unknown keys with an empty value ----------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_an_unknown_key_with_an_empty_value_is_refused(tmp_path: Path, suffix: str) -> None:
    facts = tmp_path / f"facts{suffix}"
    facts.write_text(
        "organisaton:\nsytems:\nsystems:\n  - id: a\n    escalation:\n      availble:\n"
        if suffix == ".yaml"
        else '{"organisaton": null, "sytems": null,\n'
        ' "systems": [{"id": "a", "escalation": {"availble": null}}]}'
    )
    run = run_cli(*CHECK_CLEAN[:3], str(facts), "--as-of", AS_OF)
    assert run.exit_code == 2, run.stdout
    found = re.findall(r"aicxs_facts_schema: (.*)\n(?:.*\n)*?help: (.*)", run.stderr)
    assert found == [
        (
            "the document has no fact `organisaton` in the vocabulary ($.organisaton)",
            "did you mean `organisation`?",
        ),
        (
            "the document has no fact `sytems` in the vocabulary ($.sytems)",
            "did you mean `systems`?",
        ),
        (
            "`systems[a].escalation` has no fact `availble` in the vocabulary "
            "($.systems[0].escalation.availble)",
            "did you mean `available`?",
        ),
    ]


# ---- 7. evidence links ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:x",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "https://a.example/\x1b[2J",
    ],
)
def test_an_evidence_link_that_is_not_http_https_or_a_file_is_refused(
    tmp_path: Path, url: str
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps({"systems": [], "evidence": [{"fact": "systems", "url": url}]}, indent=1)
    )
    run = run_cli(*CHECK_CLEAN[:3], str(facts), "--as-of", AS_OF)
    assert run.exit_code == 2, run.stdout
    header = run.stderr.splitlines()[0]
    assert header.startswith(f"{facts}:6:") and ": aicxs_facts_url: `evidence[0].url` is " in header
    assert (
        "help: give an http or https address, or a relative path or `file:` reference" in run.stderr
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://wiki.example/queue?a=1&b=2#x",
        "http://intranet/doc",
        "docs/queue-report.pdf",
        "/srv/evidence/queue.pdf",
        "file:///srv/evidence/queue.pdf",
        "../evidence.pdf",
    ],
)
def test_http_https_relative_and_file_links_are_kept(url: str) -> None:
    from aicxs.engine import load_policy

    compiled = load_policy(POLICY)
    facts = compiled.facts_from_data({"systems": [], "evidence": [{"fact": "systems", "url": url}]})
    assert facts.evidence == [{"fact": "systems", "url": url}]


def test_oscal_never_carries_a_script_link(tmp_path: Path) -> None:
    """Even given evidence that skipped validation (a document built in code)."""
    from aicxs.engine import load_policy
    from aicxs.engine.facts import FactsDocument
    from aicxs.engine.reports import render_report

    compiled = load_policy(POLICY)
    good = compiled.load_facts(CLEAN_FACTS)
    evidence = [
        {"fact": "systems", "document": "a", "url": "javascript:alert(1)"},
        {"fact": "systems", "document": "b", "url": "https://wiki.example/b"},
    ]
    facts = FactsDocument(good.path, good.data, good.text, evidence)
    report = compiled.evaluate(facts, AS_OF)
    oscal = json.loads(render_report("oscal", report, compiled, "fails"))
    hrefs = re.findall(r'"href": "([^"]*)"', json.dumps(oscal, indent=1))
    assert "https://wiki.example/b" in hrefs
    assert not [h for h in hrefs if not h.startswith(("https:", "#", "file:", "tests/"))], hrefs


# ---- 8. file names --------------------------------------------------------------------------

NAMES = {
    "control": "acme\x1b[2J\nFAIL.aicx",
    "not-utf8": os.fsdecode(b"acme-\xff\xfe.aicx"),
}


@pytest.mark.parametrize("kind", sorted(NAMES))
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_name_with_control_characters_or_not_utf8_is_shown_escaped(
    tmp_path: Path, kind: str, fmt: str
) -> None:
    policy = tmp_path / NAMES[kind]
    policy.write_bytes(POLICY.read_bytes())
    facts = tmp_path / NAMES[kind].replace(".aicx", ".yaml")
    facts.write_bytes(CLEAN_FACTS.read_bytes())
    args = ("check", str(policy), "--facts", str(facts), "--as-of", AS_OF, "--format", fmt)
    run = run_cli(*args)
    out = tmp_path / "report.out"
    to_file = run_cli(*args, "-o", str(out))
    assert (run.exit_code, to_file.exit_code) == (1, 1), run.stderr + to_file.stderr
    assert out.read_text("utf-8") == run.stdout
    assert raw_controls(run.stdout, "\n\r" if fmt == "csv" else "\n") == []
    shown = "acme\\x1b[2J\\nFAIL" if kind == "control" else "acme-\\xff\\xfe"
    assert shown in run.stdout or shown.replace("\\", "\\\\") in run.stdout
    if fmt == "junit":
        ET.fromstring(run.stdout.encode())  # well-formed XML
    elif fmt in ("json", "sarif", "oscal"):
        json.loads(run.stdout)


def test_a_diagnostic_names_a_strange_file_escaped(tmp_path: Path) -> None:
    policy = tmp_path / NAMES["not-utf8"]
    policy.write_bytes(b"policy acme implements AICXS 2024 {\n  target levle 2\n}\n")
    run = run_cli("lint", str(policy))
    assert run.exit_code == 2
    assert f"{tmp_path}/acme-\\xff\\xfe.aicx:2:10: aicxs_parse_error" in run.stdout


# ---- 4. Markdown injection ------------------------------------------------------------------

INJECTED = {"html_block", "html_inline", "image", "link_open", "em_open", "s_open"}


def _tokens(text: str) -> list[Any]:
    """Every token of `text` read by a real CommonMark parser (raw HTML on, with GitHub's
    tables and strikethrough), children included."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    out: list[Any] = []
    for token in parser.parse(text):
        out += [token, *(token.children or [])]
    return out


def _assert_no_element_injected(text: str, links: str = "") -> list[Any]:
    """No raw HTML (but the one comment `aicxs docs` writes), image, emphasis or link (but
    links to `links...`); every row of a table as wide as its header."""
    tokens = _tokens(text)
    ours = re.compile(r"<!-- Generated from (?:(?!-->).)* by `aicxs docs`[^>]*-->\n")
    tokens = [t for t in tokens if not (t.type == "html_block" and ours.fullmatch(t.content))]
    injected = [t for t in tokens if t.type in INJECTED - ({"link_open"} if links else set())]
    assert injected == [], [(t.type, t.content or t.attrs) for t in injected]
    hrefs = [str(t.attrs.get("href")) for t in tokens if t.type == "link_open"]
    assert all(h.startswith(links) for h in hrefs), hrefs
    rows: list[int] = []  # every row of a table has as many cells as its header
    for t in tokens:
        if t.type == "tr_open":
            rows.append(0)
        elif t.type in ("th_open", "td_open"):
            rows[-1] += 1
        elif t.type == "table_close":
            assert len(set(rows)) == 1, rows
            rows = []
    return tokens


def test_markdown_report_shows_every_field_as_text() -> None:
    run = run_cli(
        "check",
        str(OUTPUT / "markdown.aicx"),
        "--facts",
        str(OUTPUT / "markdown.yaml"),
        "--as-of",
        AS_OF,
        "--format",
        "markdown",
        "--explain",
        "full",
    )
    assert run.exit_code == 1, run.stderr
    tokens = _assert_no_element_injected(run.stdout)
    strong = {t.content for t in tokens if t.type == "text" and t.level == 3}
    heads = [t for t in tokens if t.type == "heading_open"]
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == len([h for h in heads if h.tag == "h3"])  # one whole fence each
    failing = next(f.content for f in fences if f.content.startswith("FAIL    P4.2"))
    assert "voice```\\n<img src=x onerror=alert(1)>\\n```" in failing
    assert "[click](javascript:alert(1)) | `x` <script>alert(2)</script>" in failing
    inline = " ".join(t.content for t in tokens if t.type == "inline")
    assert "- **Policy:** " not in inline and "<script>alert(1)</script> | [click]" in (
        " ".join(t.content for t in tokens if t.type == "text")
    )
    assert strong <= {"Policy:", "Facts:", "As of:", "Verdict:", "NOT CERTIFIED", "Maturity:"}


def test_docs_markdown_shows_the_standards_texts_as_text(tmp_spec: Path) -> None:
    text = tmp_spec.read_text("utf-8").replace(
        'title "AI in Customer Experience Standard"',
        'title "<script>alert(1)</script> [x](javascript:alert(1)) | # *em*"',
    )
    text = text.replace(
        'clause P1.1 "AI strategy aligned to CX objectives"',
        'clause P1.1 "AI strategy `` ``` `` <img src=x onerror=alert(1)> | x"',
    )
    tmp_spec.write_text(text.replace("customer-experience objectives", "- <b>x</b> [y](z)"))
    run = run_cli("docs", str(tmp_spec))
    assert run.exit_code == 0, run.stderr
    _assert_no_element_injected(run.stdout, links="#")
    assert "<script>alert(1)</script> [x](javascript:alert(1)) | # *em*" in " ".join(
        t.content for t in _tokens(run.stdout) if t.type == "text"
    )


def test_diff_markdown_shows_the_standards_texts_as_text(tmp_spec: Path) -> None:
    text = tmp_spec.read_text("utf-8").replace(
        'clause P1.1 "AI strategy aligned to CX objectives"',
        'clause P1.1 "AI strategy <img src=x onerror=alert(1)> [x](javascript:alert(1)) | x"',
    )
    tmp_spec.write_text(text.replace("customer-experience objectives", "<b>x</b> ``` | y"))
    run = run_cli("diff", "spec/aicxs-2024.aicx", str(tmp_spec), "--format", "markdown")
    assert run.exit_code in (0, 1), run.stderr
    ours = run.stdout.replace("~~", "").replace("*why*", "why").replace("*affects*", "affects")
    _assert_no_element_injected(ours)  # the diff's own marks (struck, *why*) taken out


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
