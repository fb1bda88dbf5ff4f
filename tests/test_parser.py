"""The parser and the name/type checks: user mistakes become located, helpful diagnostics.

Each mistake is asserted structurally (code, message, line/column, underlined text, help) and
its rendered form is pinned by a snapshot. Syntax mistakes use small texts; mistakes in names
and types edit one line of a copy of the bundled standard, which is then loaded in full.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from aicxs import engine
from aicxs.aicxs_dsl import ast, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, render_text
from aicxs.aicxs_dsl.parser import MAX_NESTING
from aicxs.aicxs_dsl.source import Source, Span
from aicxs.engine.loader import standard_from_module
from aicxs.engine.schema import DURATION_PATTERN
from aicxs.engine.types import Duration, length_note
from tests.conftest import ROOT, run_cli

SPEC_NAME = "spec/aicxs-2024.aicx"
S0 = Span(Source("<test>", ""), 0, 0)  # spans do not take part in comparisons


# ---- helpers ---------------------------------------------------------------------------------


def syntax_errors(text: str, path: str = "standard.aicx") -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        parse_text(text, path)
    return info.value.diagnostics


def only(diagnostics: list[Diagnostic]) -> Diagnostic:
    assert len(diagnostics) == 1, render_text(diagnostics)
    return diagnostics[0]


def edit(spec_text: str, old: str, new: str) -> str:
    """The spec with the one occurrence of `old` replaced (fails loudly if the anchor moved)."""
    assert spec_text.count(old) == 1, f"anchor {old!r} must occur exactly once in the spec"
    return spec_text.replace(old, new)


def load_errors(text: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        standard_from_module(parse_text(text, SPEC_NAME))
    return info.value.diagnostics


def position(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the first `needle` in `text` at or after offset `start`."""
    at = text.index(needle, start)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def at(d: Diagnostic) -> tuple[int, int]:
    assert d.span is not None, render_text([d])
    return d.span.line, d.span.col


# ---- syntax mistakes -------------------------------------------------------------------------

STANDARD_HEAD = 'standard AICXS 2024 {\n  title "AI in Customer Experience Standard"\n}\n\n'


def test_misspelt_keyword_suggests_the_keyword(snapshot: object) -> None:
    text = STANDARD_HEAD + 'levle 1 "Experimental" {\n  text "Ad-hoc AI projects"\n}\n'
    d = only(syntax_errors(text))
    assert d.code == "aicxs_parse_error"
    assert d.message == "unexpected name `levle`"
    assert at(d) == (5, 1)
    assert d.span is not None and d.span.text() == "levle"
    assert d.help.startswith("did you mean `level`? (expected ")
    assert "`pillar`" in d.help and "`role`" in d.help
    assert render_text([d]) == snapshot


def test_misspelt_attribute_keyword_inside_a_clause(snapshot: object) -> None:
    text = 'pillar P1 "Governance" {\n  clause P1.1 "Strategy" {\n    ownr cx_leader\n  }\n}\n'
    d = only(syntax_errors(text))
    assert (d.code, d.message) == ("aicxs_parse_error", "unexpected name `ownr`")
    assert at(d) == (3, 5)
    assert d.span is not None and d.span.text() == "ownr"
    assert d.help.startswith("did you mean `owner`?")
    assert render_text([d]) == snapshot


def test_unterminated_string(snapshot: object) -> None:
    text = 'standard AICXS 2024 {\n  title "AI in Customer Experience\n}\n'
    d = only(syntax_errors(text))
    assert d.code == "aicxs_unterminated_string"
    assert d.message == "this text is never closed"
    assert at(d) == (2, 9)
    assert d.span is not None and d.span.text() == '"'
    assert d.help == 'close it with `"` on the same line, or use `"""` for several lines'
    assert render_text([d]) == snapshot


def test_unclosed_block_points_at_the_brace_never_closed(snapshot: object) -> None:
    text = (
        STANDARD_HEAD
        + 'pillar P1 "Governance" {\n  clause P1.1 "Strategy" {\n    level 2\n  }\n'
        + '\n  clause P1.2 "Structures" {\n    level 2\n  }\n'
    )
    d = only(syntax_errors(text))
    assert d.code == "aicxs_unclosed_block"
    assert d.message == "this `{` is never closed"
    # The pillar's `{` (line 5), not a clause's: both clauses are closed.
    assert at(d) == (5, 24)
    assert d.span is not None and d.span.text() == "{"
    assert d.help == "add the missing `}` (blocks close in the reverse order they open)"
    assert render_text([d]) == snapshot


def test_block_left_open_before_the_next_declaration_is_named() -> None:
    """The usual form of a forgotten `}`: the next declaration follows. The diagnostic must
    lead to the block left open (line 5), not only list the attributes a block may hold."""
    text = (
        STANDARD_HEAD
        + 'pillar P1 "Governance" {\n  clause P1.1 "Strategy" {\n    level 2\n  }\n'
        + '\nkey requirement KR1 "Transparency" {\n  covers P1.1\n}\n'
    )
    d = only(syntax_errors(text))
    rendered = render_text([d])
    assert d.code == "aicxs_unclosed_block" or "5:24" in rendered, rendered


def test_stray_character(snapshot: object) -> None:
    text = 'standard AICXS 2024 {\n  title "AI in Customer Experience Standard" @\n}\n'
    d = only(syntax_errors(text))
    assert (d.code, d.message) == ("aicxs_parse_error", "unexpected character `@`")
    assert at(d) == (2, 46)
    assert d.span is not None and d.span.text() == "@"
    assert d.help.startswith("expected `")
    assert render_text([d]) == snapshot


def test_stray_character_help_does_not_hide_that_the_list_is_cut() -> None:
    """The help lists at most 12 expected tokens; when it cuts the list it must say so
    (as the token errors do with `, ...`), or the reader takes a partial list as complete:
    here it omits `}`, the likeliest fix."""
    text = 'standard AICXS 2024 {\n  title "AI in Customer Experience Standard" @\n}\n'
    d = only(syntax_errors(text))
    assert "`}`" in d.help or d.help.endswith("more)"), d.help


def test_stray_character_caret_lines_up_under_tab_indented_code() -> None:
    """Columns count a tab as one character; the caret line must still sit under the
    character when the source line is indented with tabs."""
    text = 'pillar P1 "Governance" {\n\tclause P1.1 "Strategy" {\n\t\tcheck a ~ b\n\t}\n}\n'
    d = only(syntax_errors(text))
    assert d.message == "unexpected character `~`"
    assert at(d) == (3, 11)
    assert d.span is not None
    frame = d.span.snippet().split("\n")
    code, caret = frame[1].split("| ", 1)[1], frame[2].split("| ", 1)[1]
    assert caret.expandtabs(8).index("^") == code.expandtabs(8).index("~"), d.span.snippet()


POLICY_WITH_COUNT_FACT = """\
policy acme implements AICXS 2024 {
  target level 2
  facts {
    count: int "How many AI systems are in the inventory?"
  }
  rule ACME-1 refines P1.2 "Inventory size" {
    check count >= 1
  }
}
"""


def test_keyword_used_as_a_name(snapshot: object) -> None:
    """`count` is a keyword of the language; a fact of that name cannot start a path. The
    diagnostic must point at `count` and say why, not at the `>=` after it."""
    d = only(syntax_errors(POLICY_WITH_COUNT_FACT, "policies/acme.aicx"))
    assert d.code == "aicxs_parse_error"
    assert d.span is not None and d.span.text() == "count", render_text([d])
    assert at(d) == (7, 11)
    assert "`count` is a keyword" in d.message
    assert render_text([d]) == snapshot


def test_missing_clause_title(snapshot: object) -> None:
    text = 'pillar P1 "Governance" {\n  clause P1.1 {\n    level 2\n  }\n}\n'
    d = only(syntax_errors(text))
    assert (d.code, d.message) == ("aicxs_parse_error", "unexpected symbol `{`")
    assert at(d) == (2, 15)
    assert d.span is not None and d.span.text() == "{"
    assert d.help == 'expected a quoted text such as `"..."`'
    assert render_text([d]) == snapshot


def test_missing_operand_at_the_end_of_a_check(snapshot: object) -> None:
    text = (
        'pillar P1 "Governance" {\n  clause P1.1 "Strategy" {\n'
        "    check organisation.strategy.documented and\n  }\n}\n"
    )
    d = only(syntax_errors(text))
    assert (d.code, d.message) == ("aicxs_parse_error", "unexpected symbol `}`")
    assert at(d) == (4, 3)
    assert d.help.startswith("expected `(`, `-`, `[`, `count`, `false`, `not`, `param`")
    assert d.help.endswith("more)")
    assert render_text([d]) == snapshot


def test_file_that_ends_mid_declaration_points_at_the_end(snapshot: object) -> None:
    """Lark reports the end of input at the last token; the caret must be at the end of the
    file, not under the first letter of `AICXS`."""
    text = "standard AICXS"
    d = only(syntax_errors(text))
    assert d.code == "aicxs_unexpected_end"
    assert d.message == "the file ends in the middle of a declaration"
    assert d.help == "expected a version such as `2024` or `2024.1`"
    assert at(d) == (1, 15), render_text([d])
    assert render_text([d]) == snapshot


def test_bad_date_literal_in_a_check(snapshot: object) -> None:
    text = (
        'pillar P1 "Governance" {\n  clause P1.1 "Strategy" {\n'
        "    check organisation.strategy.last_reviewed > 2025-02-30\n  }\n}\n"
    )
    d = only(syntax_errors(text))
    assert d.code == "aicxs_bad_literal"
    assert "is not a date" in d.message
    assert "day is out of range for month" in d.message
    assert at(d) == (3, 49)
    assert d.span is not None and d.span.text() == "2025-02-30"
    assert d.help == "write dates as YYYY-MM-DD with a real month and day"
    assert render_text([d]) == snapshot


def test_bad_date_message_names_the_date() -> None:
    """Messages name the thing in backticks (STYLE rule 17): which date is invalid?"""
    text = (
        "policy acme implements AICXS 2024 {\n  target level 2\n  waive P6.5 {\n"
        '    justification "No experiments yet"\n    approver "CAIO"\n'
        "    expires 2025-02-30\n  }\n}\n"
    )
    d = only(syntax_errors(text, "policies/acme.aicx"))
    assert "`2025-02-30`" in d.message, d.message


def test_bad_date_literal_in_a_waiver(snapshot: object) -> None:
    text = (
        "policy acme implements AICXS 2024 {\n  target level 2\n  waive P6.5 {\n"
        '    justification "No experiments yet"\n    approver "CAIO"\n'
        "    expires 2025-02-30\n  }\n}\n"
    )
    d = only(syntax_errors(text, "policies/acme.aicx"))
    assert d.code == "aicxs_bad_literal"
    assert "day is out of range for month" in d.message
    assert d.span is not None and d.span.line == 6
    assert d.span.text().endswith("2025-02-30")
    assert d.help == "write dates as YYYY-MM-DD with a real month and day"
    assert render_text([d]) == snapshot


def test_nesting_too_deep(snapshot: object) -> None:
    depth = MAX_NESTING + 6
    check = "(" * depth + "true" + ")" * depth
    text = f'pillar P1 "Governance" {{\n  clause P1.1 "Strategy" {{\n    check {check}\n  }}\n}}\n'
    d = only(syntax_errors(text))
    assert d.code == "aicxs_too_deep"
    assert d.message == f"brackets and blocks nest deeper than {MAX_NESTING}"
    # Two blocks are open, so the 63rd bracket is the 65th opener.
    assert at(d) == (3, 11 + MAX_NESTING - 2)
    assert d.span is not None and d.span.text() == "("
    assert d.help == "split the expression into simpler checks or remove redundant brackets"
    assert render_text([d]) == snapshot


def test_nesting_at_the_limit_is_accepted() -> None:
    depth = MAX_NESTING - 2  # plus the pillar and the clause block
    check = "(" * depth + "true" + ")" * depth
    text = f'pillar P1 "Governance" {{\n  clause P1.1 "Strategy" {{\n    check {check}\n  }}\n}}\n'
    module = parse_text(text)
    clause = module.decls[0].clauses[0]  # type: ignore[union-attr]
    assert clause.attrs[0].values == (ast.BoolLit(True, span=S),)


# ---- mistakes in names and types (a whole standard) ------------------------------------------


def test_unknown_fact_path_suggests_the_field(spec_text: str, snapshot: object) -> None:
    text = edit(
        spec_text,
        "    check organisation.strategy.documented\n",
        "    check organisation.strategy.documnted\n",
    )
    d = only(load_errors(text))
    assert d.code == "aicxs_unknown_fact"
    assert d.message == "`organisation.strategy` has no field `documnted`"
    assert at(d) == position(text, "organisation.strategy.documnted")
    assert d.span is not None and d.span.text() == "organisation.strategy.documnted"
    assert d.help == "did you mean `documented`?"
    assert render_text([d]) == snapshot


def test_unknown_top_level_fact(spec_text: str, snapshot: object) -> None:
    text = edit(
        spec_text,
        "    check organisation.strategy.documented\n",
        "    check organisaton.strategy.documented\n",
    )
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_unknown_fact", "unknown fact `organisaton`")
    assert at(d) == position(text, "organisaton.strategy")
    assert d.help == "did you mean `organisation`?"
    assert render_text([d]) == snapshot


def test_unknown_parameter(spec_text: str, snapshot: object) -> None:
    text = edit(
        spec_text,
        "s.escalation.max_wait <= param max_human_wait",
        "s.escalation.max_wait <= param max_human_wiat",
    )
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_unknown_parameter", "unknown parameter `max_human_wiat`")
    assert at(d) == position(text, "param max_human_wiat")
    assert d.span is not None and d.span.text() == "param max_human_wiat"
    assert d.help == "did you mean `max_human_wait`?"
    assert render_text([d]) == snapshot


def test_unknown_function(spec_text: str, snapshot: object) -> None:
    text = edit(
        spec_text,
        "and age(organisation.strategy.last_reviewed)",
        "and agee(organisation.strategy.last_reviewed)",
    )
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_unknown_function", "unknown function `agee`")
    assert at(d) == position(text, "agee(")
    assert d.span is not None and d.span.text() == "agee(organisation.strategy.last_reviewed)"
    assert d.help == "did you mean `age`?"
    assert render_text([d]) == snapshot


def test_date_compared_with_text(spec_text: str, snapshot: object) -> None:
    text = edit(
        spec_text,
        "age(organisation.strategy.last_reviewed) <= param strategy_review_interval",
        'organisation.strategy.last_reviewed >= "2025-01-01"',
    )
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_type_error", "cannot compare a `date` with a `string`")
    assert at(d) == position(text, 'organisation.strategy.last_reviewed >= "2025-01-01"')
    assert d.span is not None
    assert d.span.text() == 'organisation.strategy.last_reviewed >= "2025-01-01"'
    assert d.help == "compare with a date such as 2025-06-30"
    assert render_text([d]) == snapshot


def test_enum_value_not_in_the_enum(spec_text: str, snapshot: object) -> None:
    text = edit(
        spec_text, 's.augmentation.mode == "automate"', 's.augmentation.mode == "automated"'
    )
    d = only(load_errors(text))
    assert d.code == "aicxs_unknown_enum_value"
    assert d.message == '"automated" is not a value of `enum(augment, automate)`'
    assert at(d) == position(text, '"automated"')
    assert d.span is not None and d.span.text() == '"automated"'
    assert d.help == "did you mean `automate`?"
    assert render_text([d]) == snapshot


def test_check_that_is_not_true_or_false(spec_text: str, snapshot: object) -> None:
    old = "check all s in systems where s.data.personal_data: s.data.minimisation_review"
    text = edit(spec_text, old, "check count(s in systems)")
    d = only(load_errors(text))
    assert d.code == "aicxs_type_error"
    assert d.message == "a check must be true or false, but this is an `int`"
    assert at(d) == position(text, "count(s in systems)")
    assert d.span is not None and d.span.text() == "count(s in systems)"
    assert d.help == "compare it with something, e.g. `... >= 1` or `... == true`"
    assert render_text([d]) == snapshot


def test_requires_an_undefined_clause(spec_text: str, snapshot: object) -> None:
    anchor = '    requires P1.2\n    crosswalk NIST_AI_RMF "MAP 1.3"'
    text = edit(spec_text, anchor, anchor.replace("P1.2", "P1.20"))
    d = only(load_errors(text))
    assert d.code == "aicxs_unknown_clause"
    assert d.message == "clause `P1.1` requires undefined clause `P1.20`"
    assert at(d) == position(text, "requires P1.20")
    assert d.span is not None and "P1.20" in d.span.text()
    assert d.help == "did you mean `P1.2`?"
    assert render_text([d]) == snapshot


def test_requires_suggestion_is_never_the_clause_itself(spec_text: str) -> None:
    """`P1.9` is one edit away from P1.1 ... P1.5; suggesting `P1.1` inside clause P1.1 would
    advise a clause to require itself (a cycle)."""
    anchor = '    requires P1.2\n    crosswalk NIST_AI_RMF "MAP 1.3"'
    text = edit(spec_text, anchor, anchor.replace("P1.2", "P1.9"))
    d = only(load_errors(text))
    assert d.message == "clause `P1.1` requires undefined clause `P1.9`"
    assert "`P1.1`" not in d.help, d.help


def test_unknown_owner_role(spec_text: str, snapshot: object) -> None:
    anchor = (
        '  clause P1.1 "AI strategy aligned to CX objectives" {\n'
        '    level 2 because "it is basic governance"\n    owner '
    )
    text = edit(spec_text, anchor + "chief_ai_officer", anchor + "chief_ai_oficer")
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_unknown_role", "unknown role `chief_ai_oficer`")
    assert at(d) == position(text, "owner chief_ai_oficer")
    assert d.span is not None and d.span.text() == "owner chief_ai_oficer"
    assert d.help == "did you mean `chief_ai_officer`?"
    assert render_text([d]) == snapshot


def test_unknown_role_without_a_close_name_lists_the_roles(spec_text: str) -> None:
    anchor = (
        '  clause P1.1 "AI strategy aligned to CX objectives" {\n'
        '    level 2 because "it is basic governance"\n    owner '
    )
    text = edit(spec_text, anchor + "chief_ai_officer", anchor + "marketing")
    d = only(load_errors(text))
    assert d.message == "unknown role `marketing`"
    assert d.help.startswith("known roles: `chief_ai_officer`, `chief_data_officer`, ")


def test_crosswalk_reference_not_declared_in_its_framework(
    spec_text: str, snapshot: object
) -> None:
    text = edit(spec_text, 'crosswalk NIST_AI_RMF "MAP 1.3"', 'crosswalk NIST_AI_RMF "MAP 1.33"')
    d = only(load_errors(text))
    assert d.code == "aicxs_bad_crosswalk"
    assert d.message == "`MAP 1.33` is not a reference of framework `NIST_AI_RMF`"
    assert at(d) == position(text, '"MAP 1.33"')  # the reference itself, not its line
    assert d.span is not None and d.span.text() == '"MAP 1.33" intersects with'
    assert d.help == "did you mean `MAP 1.3`?"
    assert render_text([d]) == snapshot


def test_duplicate_clause_id(spec_text: str, snapshot: object) -> None:
    text = edit(
        spec_text,
        'clause P5.3 "Trust-building practices"',
        'clause P5.2 "Trust-building practices"',
    )
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_duplicate_id", "clause `P5.2` is declared twice")
    assert at(d) == position(text, 'clause P5.2 "Trust-building practices"')
    assert d.span is not None and d.span.text() == 'clause P5.2 "Trust-building practices" {'
    first = position(text, 'clause P5.2 "Customers must know')
    assert d.notes == (f"first declared at {SPEC_NAME}:{first[0]}:{first[1]}",)
    assert d.help == "give this clause another id, or remove one of the two"
    assert render_text([d]) == snapshot


def test_unknown_attribute_in_a_clause(spec_text: str, snapshot: object) -> None:
    anchor = (
        '  clause P1.2 "Governance structures" {\n    level 2 because "it is basic governance"\n'
    )
    text = edit(spec_text, anchor, anchor + "    mandatory\n")
    d = only(load_errors(text))
    assert d.code == "aicxs_unknown_attribute"
    assert d.message == "`mandatory` is not an attribute of clause `P1.2`"
    assert at(d) == position(text, "mandatory\n", text.index(anchor))
    assert d.span is not None and d.span.text() == "mandatory"
    assert d.help == (
        "clause blocks take: `level`, `owner`, `text`, `evidence`, `requires`, `crosswalk`, `check`,"
        " `source`, `rationale`, `withdrawn`"
    )
    assert render_text([d]) == snapshot


def test_missing_required_attribute(spec_text: str, snapshot: object) -> None:
    anchor = '  clause P1.2 "Governance structures" {\n'
    text = edit(spec_text, anchor + '    level 2 because "it is basic governance"\n', anchor)
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_missing_attribute", "clause `P1.2` has no `level`")
    assert at(d) == position(text, anchor.strip())
    assert d.span is not None and d.span.text() == anchor.strip()
    assert d.help == "add a `level ...` line to the block"
    assert render_text([d]) == snapshot


def test_unknown_maturity_level(spec_text: str, snapshot: object) -> None:
    anchor = '  clause P1.2 "Governance structures" {\n    level '
    text = edit(spec_text, anchor + "2", anchor + "5")
    d = only(load_errors(text))
    assert (d.code, d.message) == ("aicxs_unknown_level", "unknown level `5`")
    assert d.span is not None and d.span.text() == 'level 5 because "it is basic governance"'
    assert d.help == "known levels: `1`, `2`, `3`, `4`"
    assert render_text([d]) == snapshot


def test_every_mistake_in_a_file_is_reported_in_order(spec_text: str) -> None:
    text = edit(
        spec_text, 's.augmentation.mode == "automate"', 's.augmentation.mode == "automated"'
    )
    text = edit(
        text,
        "s.escalation.max_wait <= param max_human_wait",
        "s.escalation.max_wait <= param max_wait",
    )
    text = edit(
        text,
        "    check organisation.strategy.documented\n",
        "    check organisation.strategy.documnted\n",
    )
    found = load_errors(text)
    assert [d.code for d in found] == [
        "aicxs_unknown_fact",
        "aicxs_unknown_parameter",
        "aicxs_unknown_enum_value",
    ]
    assert [at(d) for d in found] == sorted(at(d) for d in found)


# ---- the CLI -------------------------------------------------------------------------------


def test_lint_of_a_broken_file_exits_2_without_a_traceback(tmp_spec: Path) -> None:
    text = tmp_spec.read_text("utf-8")
    tmp_spec.write_text(
        edit(
            text,
            'owner cx_leader\n    text """\n      Customers shall be told',
            'owner cx_leeder\n    text """\n      Customers shall be told',
        ),
        "utf-8",
    )
    run = run_cli("lint", str(tmp_spec))
    assert run.exit_code == 2, run.stdout + run.stderr
    out = run.stdout + run.stderr
    assert "Traceback" not in out
    assert "aicxs_unknown_role: unknown role `cx_leeder`" in out
    assert "help: did you mean `cx_leader`?" in out
    assert "1 file checked: 1 error, 0 warnings" in out


def test_lint_of_a_syntax_error_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.aicx"
    path.write_text('standard AICXS 2024 {\n  title "AI in CX\n}\n', "utf-8")
    run = run_cli("lint", str(path))
    assert run.exit_code == 2
    out = run.stdout + run.stderr
    assert "Traceback" not in out
    assert f"{path}:2:9: aicxs_unterminated_string: this text is never closed" in out


def test_lint_of_the_bundled_spec_is_clean() -> None:
    run = run_cli("lint", SPEC_NAME)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "1 file checked: 0 errors, 0 warnings"


def test_lint_of_a_missing_file_exits_2_with_a_message(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.aicx"
    run = run_cli("lint", str(missing))
    assert run.exit_code == 2
    out = run.stdout + run.stderr
    assert "Traceback" not in out
    assert f"{missing}: aicxs_file_error: cannot read `{missing}`: no such file or directory" in out
    assert "help: give the path of a standard file, or a bundled one by name: `AICXS-2024`" in out


# ---- the AST ---------------------------------------------------------------------------------

S = Span(Source("<expected>", ""), 0, 0)  # spans do not take part in `==`


def path(dotted: str) -> ast.Path:
    return ast.Path(tuple(dotted.split(".")), span=S)


def check_of(expr_text: str) -> ast.Expr:
    text = f'pillar P1 "G" {{\n  clause P1.1 "A" {{\n    check {expr_text}\n  }}\n}}\n'
    pillar = parse_text(text).decls[0]
    assert isinstance(pillar, ast.PillarDecl)
    value = pillar.clauses[0].attrs[0].values[0]
    assert not isinstance(value, str | int | dt.date)
    return value


def test_boolean_precedence_not_and_or_implies() -> None:
    got = check_of("a or b and not c implies d")
    want = ast.Implies(
        ast.Or(path("a"), ast.And(path("b"), ast.Not(path("c"), span=S), span=S), span=S),
        path("d"),
        span=S,
    )
    assert got == want


def test_implies_groups_to_the_right_and_or_to_the_left() -> None:
    assert check_of("a implies b implies c") == ast.Implies(
        path("a"), ast.Implies(path("b"), path("c"), span=S), span=S
    )
    assert check_of("a or b or c") == ast.Or(
        ast.Or(path("a"), path("b"), span=S), path("c"), span=S
    )


def test_arithmetic_and_comparison() -> None:
    got = check_of("x.y + 2 * 3 <= param limit - 1 days")
    want = ast.Compare(
        "<=",
        ast.Arith(
            "+",
            path("x.y"),
            ast.Arith("*", ast.IntLit(2, span=S), ast.IntLit(3, span=S), span=S),
            span=S,
        ),
        ast.Arith("-", ast.ParamRef("limit", span=S), ast.DurationLit(1, "days", span=S), span=S),
        span=S,
    )
    assert got == want


def test_membership_and_literals() -> None:
    got = check_of('s.channel not in ["voice", "chat\\"x"] or -5 < 0.95 or d == 2025-06-30')
    want = ast.Or(
        ast.Or(
            ast.Compare(
                "not in",
                path("s.channel"),
                ast.ListLit(
                    (ast.StringLit("voice", span=S), ast.StringLit('chat"x', span=S)), span=S
                ),
                span=S,
            ),
            ast.Compare(
                "<", ast.Neg(ast.IntLit(5, span=S), span=S), ast.NumberLit("0.95", span=S), span=S
            ),
            span=S,
        ),
        ast.Compare("==", path("d"), ast.DateLit(dt.date(2025, 6, 30), span=S), span=S),
        span=S,
    )
    assert got == want


def test_quantifier_with_filter_and_count() -> None:
    got = check_of("all s in systems where s.customer_facing: count(x in s.items where x.ok) >= 2")
    want = ast.Quantifier(
        "all",
        "s",
        path("systems"),
        path("s.customer_facing"),
        ast.Compare(
            ">=",
            ast.Count("x", path("s.items"), path("x.ok"), span=S),
            ast.IntLit(2, span=S),
            span=S,
        ),
        span=S,
    )
    assert got == want


def test_calls_with_and_without_arguments() -> None:
    got = check_of("age(a.b) <= 30 days and today() > 2025-01-01 and is_set(a.c)")
    want = ast.And(
        ast.And(
            ast.Compare(
                "<=",
                ast.Call("age", (path("a.b"),), span=S),
                ast.DurationLit(30, "days", span=S),
                span=S,
            ),
            ast.Compare(
                ">",
                ast.Call("today", (), span=S),
                ast.DateLit(dt.date(2025, 1, 1), span=S),
                span=S,
            ),
            span=S,
        ),
        ast.Call("is_set", (path("a.c"),), span=S),
        span=S,
    )
    assert got == want


DECLS = '''\
# A comment before the pillar.
pillar P1 "Governance" {
  erratum """
    Line one
      indented
    end
  """
  clause P1.1 "Strategy" {  # trailing comment
    level 2
    owner cx_leader
    evidence "a", "b"
    evidence "c"
    requires P1.2, P1.3
    crosswalk GDPR "Art. 6", "Art. 7" subset of,
                   "Art. 13" related to applies to "controllers"
  }
}

key requirement KR1 "Transparency" {
  mandatory
  covers P1.1
}
'''


def test_declarations_and_attribute_values() -> None:
    module = parse_text(DECLS)
    attr = ast.Attr
    assert module.decls == (
        ast.PillarDecl(
            "P1",
            "Governance",
            (attr("erratum", ("Line one\n  indented\nend",), span=S),),
            (
                ast.ClauseDecl(
                    "P1.1",
                    "Strategy",
                    (
                        attr("level", (2,), span=S),
                        attr("owner", ("cx_leader",), span=S),
                        attr("evidence", ("a", "b"), span=S),
                        attr("evidence", ("c",), span=S),
                        attr("requires", ("P1.2", "P1.3"), span=S),
                        attr(
                            "crosswalk",
                            (
                                "GDPR",
                                ast.CrosswalkRef("Art. 6", None, None, span=S),
                                ast.CrosswalkRef("Art. 7", "subset of", None, span=S),
                                ast.CrosswalkRef("Art. 13", "related to", "controllers", span=S),
                            ),
                            span=S,
                        ),
                    ),
                    span=S,
                ),
            ),
            span=S,
        ),
        ast.KeyRequirementDecl(
            "KR1",
            "Transparency",
            (attr("mandatory", ("mandatory",), span=S), attr("covers", ("P1.1",), span=S)),
            span=S,
        ),
    )


def test_nodes_carry_1_based_spans_into_their_source() -> None:
    module = parse_text(DECLS, "standards/x.aicx")
    pillar = module.decls[0]
    assert isinstance(pillar, ast.PillarDecl)
    clause = pillar.clauses[0]
    assert (clause.span.line, clause.span.col, clause.span.end_line) == (8, 3, 16)
    assert clause.span.text().startswith('clause P1.1 "Strategy" {')
    assert clause.span.location() == "standards/x.aicx:8:3"
    requires = clause.attrs[4]
    assert (requires.span.line, requires.span.col) == (13, 5)
    assert requires.span.text() == "requires P1.2, P1.3"
    last = clause.attrs[5].values[-1]  # a crosswalk reference spans its relationship too
    assert isinstance(last, ast.CrosswalkRef)
    assert (last.span.line, last.span.col) == (15, 20)
    assert last.span.text() == '"Art. 13" related to applies to "controllers"'


def test_comments_are_collected_with_their_lines() -> None:
    module = parse_text(DECLS)
    assert module.comments == (
        ast.Comment("# A comment before the pillar.", 1, False),
        ast.Comment("# trailing comment", 8, True),
    )


def test_a_hash_inside_text_is_not_a_comment() -> None:
    module = parse_text('standard AICXS 2024 {\n  title "No. #1 # not a comment"\n}\n')
    assert module.comments == ()
    assert module.decls[0].attrs[0].values == ("No. #1 # not a comment",)  # type: ignore[union-attr]


def test_the_bundled_spec_parses_into_six_pillars_of_clauses(spec_text: str) -> None:
    module = parse_text(spec_text, SPEC_NAME)
    pillars = [d for d in module.decls if isinstance(d, ast.PillarDecl)]
    assert [p.id for p in pillars] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert sum(len(p.clauses) for p in pillars) == 31
    keys = [d.id for d in module.decls if isinstance(d, ast.KeyRequirementDecl)]
    assert keys == ["KR1", "KR2", "KR3", "KR4", "KR5", "KR6"]


# ---- crosswalk relationships (NIST IR 8477) and applicability --------------------------------

CROSSWALK_CLAUSE = """\
pillar P1 "Governance" {
  clause P1.1 "Strategy" {
    crosswalk GDPR "Art. 22(3)" intersects with, "Art. 13(2)(f)" related to
    crosswalk EU_AI_ACT "Art. 10" related to applies to "providers of high-risk AI systems"
    crosswalk ISO_42001 "5.2" equal, "6.2" subset of, "7.1" superset of
  }
}
"""


def _crosswalk_refs(text: str) -> list[tuple[str, str | None, str | None]]:
    (pillar,) = parse_text(text).decls
    assert isinstance(pillar, ast.PillarDecl)
    return [
        (v.ref, v.relationship, v.applicability)
        for a in pillar.clauses[0].attrs
        for v in a.values
        if isinstance(v, ast.CrosswalkRef)
    ]


def test_each_crosswalk_reference_carries_its_relationship_and_applicability() -> None:
    assert _crosswalk_refs(CROSSWALK_CLAUSE) == [
        ("Art. 22(3)", "intersects with", None),
        ("Art. 13(2)(f)", "related to", None),
        ("Art. 10", "related to", "providers of high-risk AI systems"),
        ("5.2", "equal", None),
        ("6.2", "subset of", None),
        ("7.1", "superset of", None),
    ]


def test_relationship_words_still_name_facts_in_checks() -> None:
    """The new keywords are keywords only after a crosswalk reference."""
    text = 'pillar P1 "G" {\n  clause P1.1 "S" {\n    check related.to and equal.with\n  }\n}\n'
    (pillar,) = parse_text(text).decls
    assert isinstance(pillar, ast.PillarDecl)
    (check,) = pillar.clauses[0].attrs
    assert isinstance(check.values[0], ast.And)


def test_an_unknown_relationship_names_the_five(snapshot: object) -> None:
    text = CROSSWALK_CLAUSE.replace('"Art. 22(3)" intersects with', '"Art. 22(3)" supports')
    d = only(syntax_errors(text))
    assert d.code == "aicxs_parse_error"
    assert d.message == "`supports` is not a crosswalk relationship"
    assert at(d) == position(text, "supports")
    assert "`equal`, `subset of`, `superset of`, `intersects with`, `related to`" in d.help
    assert render_text([d]) == snapshot


def test_a_misspelt_relationship_suggests_the_closest() -> None:
    text = CROSSWALK_CLAUSE.replace('"Art. 22(3)" intersects with', '"Art. 22(3)" intersect')
    d = only(syntax_errors(text))
    assert d.help.startswith("did you mean `intersects with`? ")


def test_a_half_relationship_says_the_word_it_lacks() -> None:
    text = CROSSWALK_CLAUSE.replace('"6.2" subset of', '"6.2" subset to')
    d = only(syntax_errors(text))
    assert (d.message, d.help) == ("unexpected keyword `to`", "expected `of`")


# ---- durations: months, years and unknown units (issue 15, item 11) -------------------------


def test_a_parameter_default_in_months_loads(spec_text: str) -> None:
    """`default 2 months` was a parse error that listed 36 tokens."""
    text = edit(
        spec_text,
        "  default 90 days\n  bounds 1 day .. 365 days\n",
        "  default 2 months\n  bounds 1 week .. 1 year\n",
    )
    loaded = standard_from_module(parse_text(text, SPEC_NAME))  # raises on any error
    param = loaded.standard.parameters["bias_test_interval"]
    assert param.default == ast.DurationLit(2, "months", span=S0)
    assert param.bounds == (
        ast.DurationLit(1, "week", span=S0),
        ast.DurationLit(1, "year", span=S0),
    )


def test_months_and_years_have_fixed_documented_lengths() -> None:
    """A year is 365 days and a month a twelfth of it, so `12 months` is `1 year`; a length
    that is not whole days reads back in months, as facts files may write it."""
    assert Duration.of(1, "year") == Duration.of(365, "days") == Duration.of(12, "months")
    assert Duration.of(1, "month") == Duration.of(30, "days") + Duration.of(10, "hours")
    assert str(Duration.of(2, "months")) == "2 months"
    assert str(Duration.of(12, "months")) == "365 days"
    for text in ("1 month", "6 months", "1 year", "3 years"):
        value = Duration.parse(text)
        assert value is not None and Duration.parse(str(value)) == value, text
    assert re.fullmatch(DURATION_PATTERN.strip("^$"), "18 months")
    assert Duration.parse("2 fortnights") is None
    # `aicxs docs` and the editor's hover say how long they are wherever they are written
    assert length_note(check_of("age(x) <= 1 year - 2 days")) == (
        " (a month counts as 30 days 10 hours (a twelfth of a year) and a year as 365 days)"
    )
    assert length_note(check_of("age(x) <= 52 weeks")) == ""


def test_age_against_months_counts_from_the_evaluation_date(tmp_path: Path) -> None:
    """`age(d) <= 12 months` holds for a date 365 days before `--as-of`, not for 366."""
    policy = (ROOT / "policies" / "startup.aicx").read_text("utf-8")
    policy = policy.rstrip().removesuffix("}") + (
        '  rule LL-1 refines P1.1 "Strategy reviewed within a year" {\n'
        '    text "The strategy is reviewed at least every 12 months."\n'
        "    owner chief_ai_officer\n"
        "    check age(organisation.strategy.last_reviewed) <= 12 months\n  }\n}\n"
    )
    path = tmp_path / "startup.aicx"
    path.write_text(policy, "utf-8")
    compiled = engine.load_policy(path)
    as_of = dt.date(2026, 3, 31)
    statuses = {}
    for days in (365, 366):
        reviewed = (as_of - dt.timedelta(days=days)).isoformat()
        doc = compiled.facts_from_data({"organisation": {"strategy": {"last_reviewed": reviewed}}})
        report = compiled.evaluate(doc, as_of)
        statuses[days] = next(r.status for c in report.results for r in c.rules if r.id == "LL-1")
    assert [str(s) for s in statuses.values()] == ["pass", "fail"], statuses


def test_a_facts_file_may_give_durations_in_months(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("organisation:\n  governance:\n    meeting_interval: 3 months\n", "utf-8")
    run = run_cli("check", "policies/startup.aicx", "--facts", str(facts), "--as-of", "2026-11-27")
    assert run.exit_code in (0, 1), run.stderr
    facts.write_text("organisation:\n  governance:\n    meeting_interval: 3 fortnights\n", "utf-8")
    run = run_cli("check", "policies/startup.aicx", "--facts", str(facts), "--as-of", "2026-11-27")
    assert run.exit_code == 2
    assert "months or years" in run.stderr, run.stderr


@pytest.mark.parametrize(("written", "unit"), [("2 fortnights", "fortnights"), ("3 mins", "mins")])
def test_an_unknown_unit_is_named_with_the_units_there_are(written: str, unit: str) -> None:
    text = STANDARD_HEAD + f'parameter p: duration {{\n  text "t"\n  default {written}\n}}\n'
    d = only(syntax_errors(text))
    assert d.code == "aicxs_unknown_unit"
    assert d.message == (
        f"unknown unit `{unit}`: use seconds, minutes, hours, days, weeks, months or years"
    )
    assert at(d) == position(text, unit)


def test_an_unknown_unit_in_a_check(snapshot: object) -> None:
    text = (
        'pillar P1 "Governance" {\n  clause P1.1 "Strategy" {\n'
        "    check age(organisation.strategy.last_reviewed) <= 2 Days\n  }\n}\n"
    )
    d = only(syntax_errors(text))
    assert d.code == "aicxs_unknown_unit"
    assert "did you mean `days`?" in d.help
    assert render_text([d]) == snapshot
