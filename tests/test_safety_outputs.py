"""Issue 17, the outputs: nothing a user can put in a policy, a facts file, a file name or a
flag may run in a reader's terminal or browser, or end in exit 3.

Control characters in every output and message, one escaping function (item 3); Markdown
injection, checked with a real CommonMark parser (4); evidence links (7); file names with
control characters or bytes that are not UTF-8 (8); unknown keys with an empty value (9). The
inputs that are files live in tests/hostile/ (`output/` holds valid inputs with hostile texts).
The files read and written are in tests/test_safety_files.py.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from aicxs.aicxs_dsl.escape import CONTROL_CLASS, json_dumps, printable
from tests.conftest import AS_OF, ROOT, run_cli

CORPUS = ROOT / "tests" / "hostile"
OUTPUT = CORPUS / "output"
POLICY = CORPUS / "aicx" / "ok-clean.aicx"
CLEAN_FACTS = CORPUS / "facts" / "ok-clean.yaml"
CHECK_CLEAN = ("check", str(POLICY), "--facts", str(CLEAN_FACTS), "--as-of", AS_OF)
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
    from aicxs.engine.links import allowed_link
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
    assert "javascript:alert(1)" not in hrefs
    assert all(allowed_link(h) for h in hrefs), hrefs  # the standard's own file is a relative link


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
