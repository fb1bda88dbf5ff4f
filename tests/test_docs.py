"""`aicxs docs`: the standard as a document. The bundled standard's Markdown is kept in the
repository (docs/AICXS-2024.md) and must be current and complete; the HTML must be well-formed
and fetch nothing; a small standard's Markdown and HTML are pinned by snapshots."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from aicxs.engine.authoring.docs import html_prose, markdown_anchor, markdown_cell, render_docs
from aicxs.engine.catalogue import fact_rows
from aicxs.engine.loader import load_standard
from tests.conftest import ROOT, SPEC, run_cli

DOC = ROOT / "docs" / "AICXS-2024.md"
REGENERATE = "aicxs docs spec/aicxs-2024.aicx -o docs/AICXS-2024.md"

TINY = '''\
standard TINY 1 {
  title "A tiny standard"
  text """
    Two clauses, to show how each part of a standard is laid out.
  """
  erratum "Clause T1.2 was numbered T1.3 in the first print."
}

level 1 "Starting" {
  text "Nothing is in place."
}

level 2 "Managed" {
  text "The basics are in place."
}

role cx_leader "CX Leaders" {
  text "Customer experience teams"
}

stage 1 assess "Assess" {
  text "See where you stand"
}

parameter max_wait: duration {
  text "Longest wait for a human"
  default 120 seconds
  bounds 0 seconds .. 600 seconds
  stricter lower
}

framework GDPR "General Data Protection Regulation" {
  ref "Art. 22(3)" "Right to human intervention"
  ref "Art. 99" "Entry into force | application"
}

facts {
  systems: list "Which systems?" {
    id: string key "Identifier?"
    escalation: record optional "How to reach a human?" {
      max_wait: duration "Longest wait <95th percentile>?"
    }
  }
}

pillar T1 "Humans & AI" {
  text "People stay in charge."

  clause T1.1 "Reach a human" {
    level 1
    owner cx_leader
    text "A customer shall reach a human within `max_wait`."
    evidence "Wait-time report"
    crosswalk GDPR "Art. 22(3)" related to applies to "solely automated <decisions>"
    check all s in systems: s.escalation.max_wait <= param max_wait
  }

  clause T1.2 "Hand over | with <context>" {
    level 2
    owner cx_leader
    text "The conversation shall be handed over."
    requires T1.1
  }
}

key requirement KR1 "Humans are reachable" {
  mandatory
  text "A human can always be reached."
  covers T1.1
}
'''


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.aicx"
    path.write_text(TINY, "utf-8")
    return path


def docs(*args: str) -> str:
    r = run_cli("docs", *args)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


# ---- the bundled standard's document ---------------------------------------------------------


def test_the_kept_document_of_the_bundled_standard_is_current() -> None:
    assert DOC.is_file(), f"{DOC} is missing: generate it with `{REGENERATE}`"
    kept = DOC.read_text("utf-8")
    assert docs(str(SPEC.relative_to(ROOT))) == kept, (
        f"{DOC.relative_to(ROOT)} is stale: the standard changed since it was generated; "
        f"regenerate it with `{REGENERATE}`"
    )


def sections(markdown: str, level: str) -> dict[str, str]:
    """Heading text → the text under it, for headings of one level (e.g. `###`)."""
    parts = re.split(rf"^{level} (.+)$", markdown, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_the_kept_document_shows_every_clause_level_key_requirement_and_crosswalk() -> None:
    std = load_standard(SPEC).standard
    text = DOC.read_text("utf-8")
    clauses = sections(text, "####")
    for c in std.clauses.values():
        body = clauses.get(f"{c.id} {c.title}")
        assert body is not None, f"clause {c.id} has no section"
        assert " ".join(c.text.split()) in " ".join(body.split())
        assert f"level {c.level} ({std.levels[c.level].name})" in body
        assert std.roles[c.owner].title in body
        for x in c.crosswalk:
            title = std.frameworks[x.framework].refs[x.ref]
            line = f"  - {x.framework} {x.ref}: {title} ({x.relationship}"
            assert line in body, f"{c.id}: {line!r}"
            if x.applicability:
                assert f"applies to {x.applicability})" in body
        for target, _ in c.requires:
            assert f"[{target} {std.clauses[target].title}]" in body
        if c.check is not None:
            assert "```aicx" in body
    maturity = sections(text, "##")["Maturity model"]
    for n, level in std.levels.items():
        assert f"| {n} | {level.name} | {level.text} |" in maturity
    krs = sections(text, "###")
    for kr in std.key_requirements.values():
        body = krs[f"{kr.id} {kr.title}"]
        for target, _ in kr.covers:
            assert f"- [{target} {std.clauses[target].title}]" in body
    for fw in std.frameworks.values():
        table = krs[f"{fw.id}: {fw.title}"]
        for ref, title in fw.refs.items():
            row = next((r for r in table.splitlines() if r.startswith(f"| {ref} |")), None)
            assert row is not None, f"{fw.id} {ref} has no row in its crosswalk table"
            assert title in row
            cited = [
                (c.id, x.relationship)
                for c in std.clauses.values()
                for x in c.crosswalk
                if (x.framework, x.ref) == (fw.id, ref)
            ]
            for cid, relationship in cited:
                assert f"[{cid}](#" in row
                assert f"({relationship}" in row.split(f"[{cid}](#")[1]


def test_the_document_says_what_each_relationship_means() -> None:
    crosswalk = sections(DOC.read_text("utf-8"), "##")["Crosswalk"]
    assert "NIST IR 8477" in crosswalk
    for name in ("equal", "subset of", "superset of", "intersects with", "related to"):
        assert re.search(rf"^\| {name} \| \w", crosswalk, re.MULTILINE), name


def test_the_document_shows_every_fact_with_its_question_and_every_parameter() -> None:
    std = load_standard(SPEC).standard
    text = DOC.read_text("utf-8")
    facts = sections(text, "##")["Facts vocabulary"]
    assert (
        "| `systems[].escalation.max_wait` | `duration` | optional | What is the longest measured wait"
        in facts
    )
    assert "| `systems[].id` | `string` | key |" in facts
    assert "| `systems[].bias_testing.characteristics_tested` | `list of string` |" in facts
    rows = fact_rows(std.vocabulary)
    for row in rows:
        assert f"| `{row.path}` | `{row.type}` |" in facts
    assert facts.count("\n| `") == len(rows) == 126  # every declared fact, records included
    params = sections(text, "##")["Parameters"]
    for name in std.parameters:
        assert f"| `{name}` |" in params
    assert (
        "| `max_human_wait` | Longest a customer may wait for a human after asking for one | "
        "duration | 120 seconds | 0 seconds .. 600 seconds | only lower it | P4.2 |"
    ) in params
    assert "| only raise it | P4.4 |" in params  # min_training_coverage: stricter higher


def test_every_link_of_the_document_leads_to_a_heading() -> None:
    text = DOC.read_text("utf-8")
    headings = re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    anchors = {markdown_anchor(html.unescape(h)) for h in headings}  # as GitHub reads them
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links, "the document links its clauses"
    assert links <= anchors, sorted(links - anchors)


# ---- HTML ----------------------------------------------------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class _Balance(HTMLParser):
    """Fails on a close tag that does not match the open one; collects ids and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("href", "src") and value:
                self.hrefs.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> at {self.getpos()} closes <{self.stack[-1:]}>")
            return
        self.stack.pop()


def parse_html(text: str) -> _Balance:
    parser = _Balance()
    parser.feed(text)
    parser.close()
    return parser


def test_html_is_well_formed_self_contained_and_complete() -> None:
    page = docs(str(SPEC.relative_to(ROOT)), "--format", "html")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    parsed = parse_html(page)
    assert parsed.problems == []
    assert parsed.stack == []
    for forbidden in ("http://", "https://", "<script", "<link", "<img", "@import", "url("):
        assert forbidden not in page, forbidden
    assert all(h.startswith("#") for h in parsed.hrefs)  # every link stays on the page
    assert len(parsed.ids) == len(set(parsed.ids)), "ids are unique"
    assert set(h[1:] for h in parsed.hrefs) <= set(parsed.ids)
    std = load_standard(SPEC).standard
    assert set(std.clauses) | set(std.key_requirements) | set(std.pillars) <= set(parsed.ids)
    for n, level in std.levels.items():
        assert f"<tr><td>{n}</td><td>{level.name}</td>" in page
    for fw in std.frameworks.values():
        block = page.split(f'<section id="crosswalk-{fw.id}">')[1].split("</section>")[0]
        for ref in fw.refs:
            assert f"<tr><td>{ref}</td>" in block
    assert '<em class="relationship">(related to, applies to providers of high-risk AI' in page
    assert "Compliance &amp; Governance Officers" in page  # text is escaped


def test_html_escapes_text_and_shows_names_as_code() -> None:
    assert str(html_prose("Wait <at most> `max_wait`.\n\nThen & only then.")) == (
        "<p>Wait &lt;at most&gt; <code>max_wait</code>.</p>\n<p>Then &amp; only then.</p>"
    )


# ---- a small standard, pinned ----------------------------------------------------------------


def test_markdown_of_a_small_standard(tiny: Path, tmp_path: Path, snapshot: object) -> None:
    out = docs(str(tiny)).replace(str(tmp_path), "<tmp>")
    assert out == snapshot
    assert "| Art. 99 | Entry into force \\| application | none |" in out  # `|` escaped in cells
    assert "- **Check:** none (always unknown)" in out
    assert "#### T1.2 Hand over \\| with &lt;context&gt;" in out  # not read as an HTML tag
    assert "(related to, applies to solely automated &lt;decisions&gt;)" in out
    assert "[T1.2](#t12-hand-over--with-context)" in out


def test_html_of_a_small_standard(tiny: Path, tmp_path: Path, snapshot: object) -> None:
    out = docs(str(tiny), "--format", "html")
    assert parse_html(out).problems == []
    body = out.split("</style>", 1)[1]  # the stylesheet is not worth a snapshot
    assert body.replace(str(tmp_path), "<tmp>") == snapshot
    assert "<h4>T1.2 Hand over | with &lt;context&gt;</h4>" in out
    assert "(related to, applies to solely automated &lt;decisions&gt;)</em>" in out


def test_output_file_is_written_and_said_on_stderr(tiny: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    r = run_cli("docs", str(tiny), "-o", str(target))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote the document to {target}\n")
    assert target.read_text("utf-8").startswith("# TINY 1: A tiny standard\n")


def test_the_draft_revision_renders_its_new_clauses() -> None:
    out = docs("spec/aicxs-2025-draft.aicx")
    assert out.startswith("# AICXS 2025: AI in Customer Experience Standard\n")
    assert "#### P4.6 Handover quality" in out
    assert "#### P4.7 Opt-out to a human or non-AI route" in out
    # P6.5 is withdrawn: listed struck through, with the reason, never as a clause in force
    assert "| [P6.5](#p65-ab-testing-frameworks) | ~~A/B testing frameworks~~ (withdrawn)" in out
    assert (
        "> **Withdrawn in AICXS 2025:** Experiments are one kind of improvement cycle, now "
        "governed by P6.3" in out
    )


# ---- mistakes ------------------------------------------------------------------------------


def test_a_policy_given_as_the_standard_is_refused_with_exit_2() -> None:
    r = run_cli("docs", "policies/telecom.aicx")
    assert r.exit_code == 2
    assert "`policies/telecom.aicx` is a policy; give the standard it implements" in r.stderr


def test_a_missing_standard_is_reported_with_its_path_and_exit_2(tmp_path: Path) -> None:
    r = run_cli("docs", str(tmp_path / "nowhere.aicx"))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{tmp_path / 'nowhere.aicx'}: aicxs_file_error: cannot read")
    assert "Traceback" not in r.stderr


def test_a_broken_standard_is_reported_located_and_nothing_rendered(tiny: Path) -> None:
    broken = TINY.replace(
        'owner cx_leader\n    text "A customer', 'owner cx_lead\n    text "A customer'
    )
    tiny.write_text(broken, "utf-8")
    r = run_cli("docs", str(tiny))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert f"{tiny}:51:5: aicxs_unknown_role: unknown role `cx_lead`" in r.stderr
    assert "did you mean `cx_leader`?" in r.stderr


# ---- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("P4.2 Escalation protocols", "p42-escalation-protocols"),
        ("P1 AI Governance & Strategy", "p1-ai-governance--strategy"),
        ("P3.5 GDPR/global privacy compliance", "p35-gdprglobal-privacy-compliance"),
        ("EU_AI_ACT: Regulation (EU) 2024/1689", "eu_ai_act-regulation-eu-20241689"),
    ],
)
def test_markdown_anchor_is_githubs(heading: str, anchor: str) -> None:
    assert markdown_anchor(heading) == anchor


def test_markdown_cell_keeps_a_table_row_on_one_line() -> None:
    assert markdown_cell("a | b\n  c") == "a \\| b c"


def test_rendering_is_deterministic() -> None:
    std = load_standard(SPEC).standard
    assert render_docs(std, "html") == render_docs(std, "html")


def test_a_duration_in_months_is_shown_with_the_length_of_a_month(tmp_path: Path) -> None:
    """Months and years have fixed lengths (issue 15, item 11): the document says them."""
    path = tmp_path / "months.aicx"
    path.write_text(
        TINY.replace("default 120 seconds", "default 2 months").replace(
            "bounds 0 seconds .. 600 seconds", "bounds 0 seconds .. 1 year"
        ),
        "utf-8",
    )
    markdown = docs(str(path))
    row = next(line for line in markdown.split("\n") if line.startswith("| `max_wait`"))
    assert "2 months (a month counts as 30 days 10 hours (a twelfth of a year) and a year" in row


def test_a_withdrawal_reason_is_escaped_and_not_given_a_second_full_stop(
    tmp_path: Path, spec_text: str
) -> None:
    check = (
        "    check organisation.trust.ai_principles_published\n"
        "          and organisation.trust.transparency_report_published\n"
    )
    assert spec_text.count(check) == 1
    spec = tmp_path / "amended.aicx"
    spec.write_text(
        spec_text.replace("standard AICXS 2024 {", "standard AICXS 2024.1 {").replace(
            check, '    withdrawn "Superseded by P2.1 <b>now</b>." in 2024.1\n'
        ),
        "utf-8",
    )
    html = run_cli("docs", str(spec), "--format", "html").stdout
    assert (
        "Withdrawn in AICXS 2024.1:</strong> Superseded by P2.1 &lt;b&gt;now&lt;/b&gt;. It is "
        "not evaluated" in html
    )
    assert "<b>now</b>" not in html
