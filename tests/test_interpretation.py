"""The standard, faithfully: where each statement comes from (`source`, `rationale`, `level ...
because`, `covers ... because`), the lint that asks for it, and every reader that shows it —
`aicxs docs` (Markdown and HTML), the HTML report beside a clause, and the OSCAL catalog."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from markupsafe import escape

from aicxs import engine
from aicxs.aicxs_dsl import parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, render_text
from aicxs.aicxs_dsl.formatter import format_module
from aicxs.engine.authoring.docs import render_docs
from aicxs.engine.interpretation import thresholds
from aicxs.engine.loader import LoadedStandard, load_standard, standard_from_module
from aicxs.engine.reports import render_report
from aicxs.engine.reports.oscal import catalog
from aicxs.engine.verdict import CERTIFICATION_RULE
from tests.conftest import AS_OF, ROOT

HEAD = """standard AICXS 2024 {
  title "Test"
}

level 1 "Experimental" {
  text "t"
}

role owner "Owner" {
  text "t"
}

facts {
  organisation: record "?" {
    meeting_interval: duration "?"
    documented: bool "?"
  }
}
"""

CLAUSE = """
pillar P1 "Governance" {
  source interpretation
  clause P1.2 "Governance structures" {
    level 1 because "it is basic governance"
    owner owner
    text "The body meets at least quarterly."
    source interpretation
%s
    check organisation.documented and organisation.meeting_interval <= 92 days
  }
}
"""


def load(text: str) -> LoadedStandard:
    return standard_from_module(parse_text(text, "std.aicx"))


def errors(text: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        load(text)
    return info.value.diagnostics


def codes(found: tuple[Diagnostic, ...] | list[Diagnostic]) -> list[str]:
    return [d.code for d in found]


# ---- the lint -------------------------------------------------------------------------------


def test_a_number_in_a_check_with_no_rationale_is_warned_at_the_number(snapshot: object) -> None:
    """The audit's case: P1.2 wrote `92 days` ("quarterly") into its check and said nowhere why."""
    loaded = load(HEAD + CLAUSE % "")
    (d,) = loaded.warnings
    assert d.code == "aicxs_no_rationale"
    assert d.message == "the check of clause `P1.2` sets `92 days` with no rationale"
    assert d.span is not None and d.span.text() == "92 days"
    assert "make it a parameter" in d.help
    assert render_text([d]) == snapshot


def test_a_rationale_explains_the_number() -> None:
    loaded = load(HEAD + CLAUSE % '    rationale "a calendar quarter is at most 92 days long"')
    assert loaded.warnings == ()
    assert loaded.standard.clauses["P1.2"].provenance.rationale.startswith("a calendar quarter")


def test_a_parameter_default_with_no_rationale_is_warned() -> None:
    text = HEAD + (
        "parameter gap: duration {\n"
        '  text "Longest gap"\n'
        "  default 92 days\n"
        "  source interpretation\n"
        "}\n"
    )  # (the facts, which no check reads here, are warned of too: `aicxs_unread_fact`)
    (d,) = [w for w in load(text).warnings if w.code != "aicxs_unread_fact"]
    assert (d.code, d.message) == (
        "aicxs_no_rationale",
        "the default of parameter `gap` sets `92 days` with no rationale",
    )
    assert d.span is not None and d.span.text() == "92 days"


def test_zero_and_one_in_a_check_are_not_thresholds() -> None:
    check = parse_text(
        HEAD.replace("documented: bool", "names: list of string")
        + CLAUSE.replace(
            "organisation.documented and organisation.meeting_interval <= 92 days",
            "len(organisation.names) > 0 and len(organisation.names) >= 1",
        )
        % "",
        "std.aicx",
    )
    loaded = standard_from_module(check)
    assert list(thresholds(loaded.standard.clauses["P1.2"].check)) == []
    assert codes(loaded.warnings) == ["aicxs_unread_fact"]  # meeting_interval, no longer read


def test_a_statement_that_does_not_say_where_it_comes_from_is_warned() -> None:
    text = HEAD + CLAUSE.replace("    source interpretation\n", "", 1) % '    rationale "why"'
    text = text.replace("  source interpretation\n", "", 1)  # the pillar's
    found = load(text).warnings
    assert codes(found) == ["aicxs_no_source", "aicxs_no_source"]
    assert [d.message for d in found] == [
        "pillar `P1` does not say where it comes from",
        "clause `P1.2` does not say where it comes from",
    ]


def test_an_unknown_source_word_is_an_error_and_a_document_is_quoted() -> None:
    wrong = HEAD + CLAUSE.replace("    source interpretation\n", "    source gdpr\n", 1) % ""
    (d,) = [e for e in errors(wrong) if e.code == "aicxs_unknown_source"]
    assert d.message == "`gdpr` is not a source"
    assert 'source "<document>"' in d.help
    quoted = (
        HEAD
        + CLAUSE.replace("    source interpretation\n", '    source "GDPR Art. 5(1)(e)"\n', 1)
        % '    rationale "storage limitation"'
    )
    clause = load(quoted).standard.clauses["P1.2"]
    assert clause.provenance.document == "GDPR Art. 5(1)(e)"
    assert clause.provenance.interpretation


def test_a_blank_rationale_proves_nothing() -> None:
    found = errors(HEAD + CLAUSE % '    rationale "  "')
    assert codes(found) == ["aicxs_blank_text", "aicxs_no_rationale"]  # blank is none
    assert found[0].message == "the `rationale` is blank"


def test_a_blank_reason_for_a_level_is_refused() -> None:
    found = errors(
        HEAD
        + CLAUSE.replace('because "it is basic governance"', 'because " "') % '    rationale "r"'
    )
    assert [(d.code, d.message) for d in found] == [
        ("aicxs_blank_text", "the reason after `level ... because` is blank")
    ]


def test_the_2024_standard_leaves_no_number_unexplained_and_no_statement_unmarked() -> None:
    """Done when: no parameter default or number in a check lacks a rationale."""
    for path in ("spec/aicxs-2024.aicx", "spec/aicxs-2025-draft.aicx"):
        loaded = load_standard(ROOT / path)
        std = loaded.standard
        assert codes(loaded.warnings) == [], render_text(list(loaded.warnings))
        assert all(p.provenance.rationale for p in std.parameters.values())
        for item in [*std.clauses.values(), *std.key_requirements.values()]:
            assert item.provenance.source, item.id
            assert item.provenance.rationale or not list(thresholds(item.check)), item.id
        # The numbers the audit found written into checks are parameters now.
        numbers = [n for c in std.clauses.values() for n in thresholds(c.check)]
        assert numbers == []
        assert all(c.level_because for c in std.clauses.values())
        assert all(k.covers_because for k in std.key_requirements.values())


def test_provenance_formats_and_round_trips() -> None:
    text = HEAD + CLAUSE % (
        '    rationale """\n      A calendar quarter is at most 92 days long.\n'
        '      A body meeting quarterly never has a longer gap.\n    """'
    )
    text += (
        '\nkey requirement KR1 "Governed" {\n  covers P1.2 because "'
        + "the body and the inventory are the governance structures the requirement asks for"
        + '"\n  source seed\n}\n'
    )
    once = format_module(parse_text(text, "std.aicx"))
    assert format_module(parse_text(once, "std.aicx")) == once
    assert '\n    level 1 because "it is basic governance"\n' in once
    assert (
        '\n  covers P1.2\n    because "the body and the inventory' in once
    )  # too long for one line
    assert '\n    rationale """\n      A calendar quarter' in once
    std = load(once).standard
    assert std.key_requirements["KR1"].covers_because.startswith("the body and the inventory")
    assert [c for c, _ in std.key_requirements["KR1"].covers] == ["P1.2"]
    assert std.key_requirements["KR1"].provenance.source == "seed"


# ---- what readers see -----------------------------------------------------------------------


def test_docs_mark_every_interpretation_and_state_the_certification_rule() -> None:
    std = load_standard(ROOT / "spec" / "aicxs-2024.aicx").standard
    md = render_docs(std, "markdown")
    assert "## Certification\n\n**Interpretation:** " + CERTIFICATION_RULE in md
    assert "31 of 31 clauses, 11 of 11 parameters, 6 of 6 key requirements" in md
    for clause in std.clauses.values():
        section = md.split(f"#### {clause.id} ", 1)[1].split("\n#### ", 1)[0]
        assert "\n> **Interpretation" in section, clause.id
        assert f"**Interpretation:** {clause.level_because}." in section, clause.id
    p23 = md.split("#### P2.3 ", 1)[1].split("\n#### ", 1)[0]
    assert "the parameter `min_audit_log_retention`" in p23
    assert "- `min_audit_log_retention` = `184 days`: **Interpretation** (after EU AI Act" in md
    kr5 = md.split("### KR5 ", 1)[1].split("\n### ", 1)[0]
    assert "'Clear consent' is encoded as written" in kr5
    page = render_docs(std, "html")
    marks = re.findall(r'<p class="interpretation">', page)
    assert len(marks) >= len(std.clauses) + len(std.parameters) + len(std.key_requirements)
    assert str(escape(CERTIFICATION_RULE)) in page


def test_the_html_report_shows_the_interpretation_beside_a_clause() -> None:
    policy = engine.load_policy(ROOT / "policies" / "retail-bank.aicx")
    facts = policy.load_facts(ROOT / "policies" / "retail-bank.facts.yaml")
    report = policy.evaluate(facts, dt.date.fromisoformat(AS_OF))
    page = render_report("html", report, policy)
    row = page.split('id="row-P3.2"', 1)[1].split("</tbody>", 1)[0]
    assert 'class="interp" href="#why-P3.2"' in row
    assert "<dt>Interpretation</dt>" in row
    assert "GDPR does: Art. 6 allows consent, contract, legal obligation" in html.unescape(row)
    assert "Level: mandatory KR5 rests on it." in row


def test_the_oscal_catalog_carries_the_source_and_the_interpretation() -> None:
    std = load_standard(ROOT / "spec" / "aicxs-2024.aicx").standard
    doc = catalog(std, dt.date.fromisoformat(AS_OF))["catalog"]
    controls = {c["id"]: c for g in doc["groups"] for c in g["controls"]}
    p36 = controls["P3.6"]
    assert [p["value"] for p in p36["props"] if p["name"] == "source"] == ["interpretation"]
    (part,) = [p for p in p36["parts"] if p["name"] == "interpretation"]
    assert "no single maximum" in part["prose"]
    assert part["prose"].endswith("Expected at level 3: it is strong, systematic governance.")
    params = {p["id"]: p for p in doc["params"]}
    retention = params["min_audit_log_retention"]
    assert retention["guidelines"][0]["prose"].startswith("Deployers of high-risk AI systems")
    assert [p["value"] for p in retention["props"] if p["name"] == "source"] == [
        "EU AI Act Art. 26(6)"
    ]
