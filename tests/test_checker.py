"""Semantic checks of the standard (titles, cycles, coverage, crosswalks) and its graph.

Each test edits one or a few lines of a copy of the bundled standard and loads it whole, so the
checks run in their real setting. The graph tests run the CLI on the bundled standard.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from aicxs.aicxs_dsl import ast, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, Severity, render_text
from aicxs.engine.loader import LoadedStandard, standard_from_module
from tests.conftest import ROOT, run_cli

SPEC_NAME = "spec/aicxs-2024.aicx"

KR2_COVERS = (
    '  covers P4.2 because "escalation protocols (P4.2) are how a customer reaches a human"\n'
)


def edited(spec_text: str, *edits: tuple[str, str]) -> str:
    text = spec_text
    for old, new in edits:
        assert text.count(old) == 1, f"anchor {old!r} must occur exactly once in the spec"
        text = text.replace(old, new)
    return text


def load(text: str) -> LoadedStandard:
    return standard_from_module(parse_text(text, SPEC_NAME))


def errors(text: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        load(text)
    return info.value.diagnostics


def line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle)) + 1


def only(found: list[Diagnostic]) -> Diagnostic:
    assert len(found) == 1, render_text(found)
    return found[0]


def add_requires(clause_title_line: str, target: str) -> tuple[str, str]:
    """An edit adding `requires <target>` as the first attribute of a clause."""
    return clause_title_line, f"{clause_title_line}\n    requires {target}"


P1_1 = '  clause P1.1 "AI strategy aligned to CX objectives" {'
P1_2 = '  clause P1.2 "Governance structures" {'
P2_3 = '  clause P2.3 "Audit trails" {'
P2_5 = '  clause P2.5 "Bias detection and mitigation" {'
P6_4 = '  clause P6.4 "Customer feedback integration" {'


# ---- duplicate titles ------------------------------------------------------------------------


def test_duplicate_pillar_title_as_in_the_source_erratum(spec_text: str, snapshot: object) -> None:
    text = edited(
        spec_text, ('pillar P3 "Data Privacy & Consent"', 'pillar P3 "Algorithmic Transparency"')
    )
    d = only(errors(text))
    assert d.code == "aicxs_duplicate_title"
    assert d.message == (
        'pillar `P3` has the same title as pillar `P2`: "Algorithmic Transparency"'
    )
    assert d.span is not None
    assert (d.span.line, d.span.col) == (line_of(text, 'pillar P3 "'), 1)
    assert d.span.text() == 'pillar P3 "Algorithmic Transparency" {'
    assert d.notes == (f"`P2` is declared at {SPEC_NAME}:{line_of(text, 'pillar P2 ')}:1",)
    assert d.help == "give each pillar a title that says what it is about"
    assert render_text([d]) == snapshot


def test_titles_compare_ignoring_case_and_spacing(spec_text: str) -> None:
    text = edited(
        spec_text,
        ('clause P1.2 "Governance structures"', 'clause P1.2 "Risk  management FRAMEWORKS"'),
    )
    d = only(errors(text))
    assert d.code == "aicxs_duplicate_title"
    # Reported at the later clause (P1.4), naming the first one.
    assert d.message == (
        'clause `P1.4` has the same title as clause `P1.2`: "Risk management frameworks"'
    )


# ---- requires cycles -------------------------------------------------------------------------


def test_two_clause_requires_cycle(spec_text: str, snapshot: object) -> None:
    text = edited(spec_text, add_requires(P2_3, "P2.5"), add_requires(P2_5, "P2.3"))
    d = only(errors(text))
    assert d.code == "aicxs_cycle"
    assert d.message == "clause `P2.3` is circular: P2.3 -> P2.5 -> P2.3"
    assert d.span is not None
    # At the `requires` of the clause the path starts from.
    assert d.span.line == line_of(text, P2_3) + 1
    assert d.span.text() == "requires P2.5"
    assert d.help == (
        "a clause cannot (even indirectly) require itself: remove one `requires` on the path"
    )
    assert render_text([d]) == snapshot


def test_three_clause_requires_cycle(spec_text: str, snapshot: object) -> None:
    # P1.1 requires P1.2 and P1.5 requires P1.1 already; P1.2 -> P1.5 closes the loop.
    text = edited(spec_text, add_requires(P1_2, "P1.5"))
    d = only(errors(text))
    assert d.code == "aicxs_cycle"
    assert d.message == "clause `P1.1` is circular: P1.1 -> P1.2 -> P1.5 -> P1.1"
    assert d.span is not None and d.span.text() == "requires P1.2"
    assert d.span.line > line_of(text, P1_1)
    assert d.span.line < line_of(text, P1_2)
    assert render_text([d]) == snapshot


def test_clause_that_requires_itself(spec_text: str) -> None:
    text = edited(spec_text, add_requires(P6_4, "P6.4"))
    d = only(errors(text))
    assert d.code == "aicxs_cycle"
    assert d.message == "clause `P6.4` is circular: P6.4 -> P6.4"
    assert d.span is not None and d.span.line == line_of(text, P6_4) + 1


def test_separate_cycles_are_each_reported_once(spec_text: str) -> None:
    text = edited(
        spec_text,
        add_requires(P2_3, "P2.5"),
        add_requires(P2_5, "P2.3"),
        add_requires(P1_2, "P1.5"),
    )
    found = errors(text)
    assert [d.message for d in found] == [
        "clause `P1.1` is circular: P1.1 -> P1.2 -> P1.5 -> P1.1",
        "clause `P2.3` is circular: P2.3 -> P2.5 -> P2.3",
    ]


# ---- key requirements ------------------------------------------------------------------------


def test_key_requirement_covering_nothing(spec_text: str, snapshot: object) -> None:
    kr2 = 'key requirement KR2 "Customers must have the right to human escalation" {'
    text = edited(spec_text, (KR2_COVERS, ""))
    d = only(errors(text))
    assert d.code == "aicxs_empty_key_requirement"
    assert d.message == "key requirement `KR2` covers no clause and has no check"
    assert d.span is not None and d.span.text() == kr2
    assert (d.span.line, d.span.col) == (line_of(text, kr2), 1)
    assert d.help == "add `covers P1.1, ...` or a `check`"
    assert render_text([d]) == snapshot


def test_key_requirement_covering_an_undefined_clause(spec_text: str) -> None:
    text = edited(spec_text, (KR2_COVERS, KR2_COVERS.replace("P4.2 ", "P4.20 ", 1)))
    d = only(errors(text))
    assert d.code == "aicxs_unknown_clause"
    assert d.message == "key requirement `KR2` covers undefined clause `P4.20`"
    assert d.span is not None and d.span.line == line_of(text, "covers P4.20")
    assert d.help == "did you mean `P4.2`?"


# ---- clauses without checks ------------------------------------------------------------------

P5_3_CHECK = (
    "    check organisation.trust.ai_principles_published\n"
    "          and organisation.trust.transparency_report_published\n"
)


def test_clause_without_a_check_is_a_warning(spec_text: str, snapshot: object) -> None:
    text = edited(spec_text, (P5_3_CHECK, ""))
    loaded = load(text)  # a warning does not stop loading
    # The two facts only P5.3's check read are now read by none (see the unused-facts tests).
    assert [w.code for w in loaded.warnings[1:]] == ["aicxs_unread_fact"] * 2
    d = loaded.warnings[0]
    assert d.code == "aicxs_no_check"
    assert d.severity is Severity.WARNING
    assert d.message == "clause `P5.3` has no `check`: it will always be unknown"
    assert d.span is not None
    assert d.span.text() == '  clause P5.3 "Trust-building practices" {'.strip()
    assert d.span.line == line_of(text, 'clause P5.3 "')
    assert d.help == "add a `check` over the facts vocabulary"
    assert render_text([d]) == snapshot


P4_2 = '  clause P4.2 "Escalation protocols" {'


def test_a_clause_requiring_a_higher_level_clause_is_a_warning(
    tmp_spec: Path, spec_text: str, snapshot: object
) -> None:
    """P4.2 is expected at level 2 and P4.1 only at level 3: with `requires P4.1`, level 2
    could not be reached before level 3 is (issue 15, item 13; it linted clean)."""
    text = edited(spec_text, add_requires(P4_2, "P4.1"))
    d = only(load(text).warnings)
    assert d.code == "aicxs_requires_higher_level"
    assert d.severity is Severity.WARNING
    assert d.message == (
        "clause `P4.2` (level 2) requires clause `P4.1` (level 3): a level-2 clause cannot be "
        "met before level 3 is"
    )
    assert d.span is not None and d.span.text() == "requires P4.1"
    assert d.span.line == line_of(text, P4_2) + 1
    assert render_text([d]) == snapshot
    tmp_spec.write_text(text, "utf-8")
    run = run_cli("lint", str(tmp_spec))
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "aicxs_requires_higher_level (warning)" in run.stdout


def test_requiring_a_clause_of_the_same_or_a_lower_level_is_fine(spec_text: str) -> None:
    # P4.5 (level 2) requires P4.2 (level 2) already; P4.1 (level 3) requiring P4.2 is lower.
    text = edited(spec_text, add_requires('  clause P4.1 "Human oversight requirements" {', "P4.2"))
    assert load(text).warnings == ()


def test_the_language_references_example_requires_no_higher_level(spec_text: str) -> None:
    """docs/language.md's example had P4.2 (level 2) require P4.1 (level 3)."""
    doc = (ROOT / "docs" / "language.md").read_text("utf-8")
    levels = {c.id: c.level for c in load(spec_text).standard.clauses.values()}
    found = 0
    for clause, body in re.findall(r"clause (P[0-9.]+) \"[^\"]*\" \{(.*?)\n  \}", doc, re.S):
        level = int(re.search(r"\n    level ([0-9]+)", body).group(1))  # type: ignore[union-attr]
        for target in re.findall(r"\n    requires ([A-Z0-9., ]+)", body):
            for t in target.replace(" ", "").split(","):
                found += 1
                assert levels[t] <= level, f"{clause} (level {level}) requires {t}"
    assert found


def test_the_standards_and_example_policies_lint_clean() -> None:
    paths = ["spec/aicxs-2024.aicx", "spec/aicxs-2025-draft.aicx"]
    paths += [f"policies/{n}.aicx" for n in ("retail-bank", "telecom", "startup", "insurer")]
    run = run_cli("lint", *paths)
    assert "aicxs_requires_higher_level" not in run.stdout


def test_lint_exits_1_on_warnings_only(tmp_spec: Path, spec_text: str) -> None:
    tmp_spec.write_text(edited(spec_text, (P5_3_CHECK, "")), "utf-8")
    run = run_cli("lint", str(tmp_spec))
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "aicxs_no_check (warning): clause `P5.3` has no `check`" in run.stdout
    assert run.stdout.rstrip().endswith("1 file checked: 0 errors, 3 warnings")


# ---- crosswalks ------------------------------------------------------------------------------

ISO_LINE = 'crosswalk ISO_42001 "5.2" related to, "6.2" intersects with'
GDPR_LINE = 'crosswalk GDPR "Art. 6" intersects with, "Art. 7" intersects with'


def test_crosswalk_to_an_unknown_framework(spec_text: str, snapshot: object) -> None:
    text = edited(spec_text, (ISO_LINE, ISO_LINE.replace("ISO_42001", "ISO42001")))
    found = errors(text)
    assert found, "an unknown framework must be reported"
    d = found[0]
    assert d.code == "aicxs_bad_crosswalk"
    assert d.message == "unknown framework `ISO42001`"
    assert d.span is not None and d.span.line == line_of(text, "crosswalk ISO42001")
    assert d.help == "did you mean `ISO_42001`?"
    assert render_text([d]) == snapshot


def test_unknown_framework_is_reported_once_per_line_not_once_per_reference(
    spec_text: str,
) -> None:
    text = edited(spec_text, (ISO_LINE, ISO_LINE.replace("ISO_42001", "ISO42001")))
    found = errors(text)
    assert len(found) == 1, render_text(found)


def test_malformed_crosswalk_reference(spec_text: str, snapshot: object) -> None:
    text = edited(spec_text, (GDPR_LINE, GDPR_LINE.replace('"Art. 6"', '"Art 6"')))
    d = only(errors(text))
    assert d.code == "aicxs_bad_crosswalk"
    assert d.message == "`Art 6` is not a reference of framework `GDPR`"
    assert d.span is not None and d.span.line == line_of(text, '"Art 6"')
    assert d.help == "did you mean `Art. 6`?"
    assert render_text([d]) == snapshot


def test_crosswalk_reference_far_from_any_says_how_to_declare_it(spec_text: str) -> None:
    text = edited(spec_text, (GDPR_LINE, 'crosswalk GDPR "Recital 71" related to'))
    d = only(errors(text))
    assert d.message == "`Recital 71` is not a reference of framework `GDPR`"
    assert d.help == "declare it in framework `GDPR` with `ref`"


def test_a_reference_without_a_relationship_is_a_located_warning(
    spec_text: str, snapshot: object
) -> None:
    text = edited(spec_text, (GDPR_LINE, 'crosswalk GDPR "Art. 6" intersects with, "Art. 7"'))
    d = only(load(text).warnings)  # a warning: the standard still loads
    assert (d.code, d.severity) == ("aicxs_crosswalk_no_relationship", Severity.WARNING)
    assert d.message == "clause `P3.2` cites `GDPR Art. 7` without saying how it relates to it"
    assert d.span is not None and d.span.text() == '"Art. 7"'
    assert d.span.line == line_of(text, 'crosswalk GDPR "Art. 6" intersects with, "Art. 7"')
    assert d.help.startswith("write one of `equal`, `subset of`, `superset of`, ")
    assert render_text([d]) == snapshot


def test_an_applicability_without_a_relationship_is_still_warned(spec_text: str) -> None:
    line = 'crosswalk GDPR "Art. 6" applies to "controllers", "Art. 7" related to'
    d = only(load(edited(spec_text, (GDPR_LINE, line))).warnings)
    assert d.message == "clause `P3.2` cites `GDPR Art. 6` without saying how it relates to it"


def test_lint_exits_1_on_a_reference_without_a_relationship(tmp_spec: Path, spec_text: str) -> None:
    tmp_spec.write_text(
        edited(spec_text, (GDPR_LINE, 'crosswalk GDPR "Art. 6", "Art. 7"')), "utf-8"
    )
    run = run_cli("lint", str(tmp_spec))
    assert run.exit_code == 1, run.stdout + run.stderr
    assert run.stdout.count("aicxs_crosswalk_no_relationship (warning)") == 2
    assert run.stdout.rstrip().endswith("1 file checked: 0 errors, 2 warnings")


@pytest.mark.parametrize("name", ["aicxs-2024.aicx", "aicxs-2025-draft.aicx"])
def test_every_crosswalk_reference_of_the_standard_states_its_relationship(name: str) -> None:
    path = Path(__file__).resolve().parent.parent / "spec" / name
    loaded = load(path.read_text("utf-8"))
    assert loaded.warnings == ()
    refs = [x for c in loaded.standard.clauses.values() for x in c.crosswalk]
    assert len(refs) > 80
    assert all(x.relationship is not None for x in refs)


def _strength(name: str, clause: str, framework: str) -> dict[str, tuple[str | None, str | None]]:
    path = Path(__file__).resolve().parent.parent / "spec" / name
    std = load(path.read_text("utf-8")).standard
    return {
        x.ref: (x.relationship, x.applicability)
        for x in std.clauses[clause].crosswalk
        if x.framework == framework
    }


PROVIDERS = "providers of high-risk AI systems"
ART22 = "solely automated decisions with legal or similarly significant effects"


@pytest.mark.parametrize("name", ["aicxs-2024.aicx", "aicxs-2025-draft.aicx"])
def test_the_mappings_the_audit_found_wrong_or_weak_are_fixed(name: str) -> None:
    """P4.2 no longer claims GDPR Art. 22(3) (a chat handover is not the safeguard for solely
    automated decisions); P3.1 is only related to AI Act Art. 10, which binds providers of
    high-risk systems; P2.2 → ISO A.8.5 and P5.5 (P4.7 in the draft) → GDPR Art. 21 are
    `related to`; P3.6 no longer cites ISO A.7.2, and the reference is gone with it."""
    assert "Art. 22(3)" not in _strength(name, "P4.2", "GDPR")
    assert _strength(name, "P3.1", "EU_AI_ACT") == {"Art. 10": ("related to", PROVIDERS)}
    assert _strength(name, "P2.2", "ISO_42001") == {"A.8.5": ("related to", None)}
    opt_out = _strength(name, "P4.7" if "2025" in name else "P5.5", "GDPR")
    assert opt_out["Art. 21"][0] == "related to"
    assert opt_out["Art. 22(3)"] == ("intersects with", ART22)
    assert _strength(name, "P3.6", "ISO_42001") == {}
    path = Path(__file__).resolve().parent.parent / "spec" / name
    assert "A.7.2" not in load(path.read_text("utf-8")).standard.frameworks["ISO_42001"].refs


def test_the_draft_relates_p3_5_to_the_fundamental_rights_impact_assessment_only() -> None:
    ((relationship, applicability),) = _strength(
        "aicxs-2025-draft.aicx", "P3.5", "EU_AI_ACT"
    ).values()
    assert relationship == "related to"
    assert applicability is not None and "public" in applicability


def test_eu_ai_act_references_say_whom_they_bind() -> None:
    """Articles 9 to 15 bind providers of high-risk systems, 26 their deployers: every such
    reference of the 2024 standard says so."""
    path = Path(__file__).resolve().parent.parent / "spec" / "aicxs-2024.aicx"
    std = load(path.read_text("utf-8")).standard
    for x in (x for c in std.clauses.values() for x in c.crosswalk):
        if x.framework == "EU_AI_ACT" and x.ref.split("(")[0] in {
            f"Art. {n}" for n in range(9, 16)
        }:
            assert x.applicability == PROVIDERS, x
        if x.framework == "EU_AI_ACT" and x.ref.startswith("Art. 26"):
            assert x.applicability is not None and x.applicability.startswith("deployers"), x


# ---- all diagnostics, sorted -----------------------------------------------------------------


def test_all_diagnostics_are_reported_sorted_by_location(spec_text: str) -> None:
    text = edited(
        spec_text,
        (KR2_COVERS, ""),  # near the end of the file
        ('pillar P3 "Data Privacy & Consent"', 'pillar P3 "Algorithmic Transparency"'),
        add_requires(P2_3, "P2.5"),
        add_requires(P2_5, "P2.3"),
        (GDPR_LINE, GDPR_LINE.replace('"Art. 6"', '"Art 6"')),
        ('s.augmentation.mode == "automate"', 's.augmentation.mode == "automated"'),
        (
            'owner cx_leader\n    text """\n      Customers shall be told',
            'owner cx_leeder\n    text """\n      Customers shall be told',
        ),
    )
    found = errors(text)
    codes = Counter(d.code for d in found)
    assert codes == {
        "aicxs_empty_key_requirement": 1,
        "aicxs_duplicate_title": 1,
        "aicxs_cycle": 1,
        "aicxs_bad_crosswalk": 1,
        "aicxs_unknown_enum_value": 1,
        "aicxs_unknown_role": 1,
    }, render_text(found)
    where = [(d.span.line, d.span.col) for d in found if d.span is not None]
    assert len(where) == len(found)
    assert where == sorted(where)
    assert found[-1].code == "aicxs_empty_key_requirement"


def test_lint_reports_every_error_with_a_count(tmp_spec: Path, spec_text: str) -> None:
    tmp_spec.write_text(
        edited(
            spec_text,
            ('pillar P3 "Data Privacy & Consent"', 'pillar P3 "Algorithmic Transparency"'),
            (KR2_COVERS, ""),
        ),
        "utf-8",
    )
    run = run_cli("lint", str(tmp_spec))
    assert run.exit_code == 2
    assert run.stdout.index("aicxs_duplicate_title") < run.stdout.index(
        "aicxs_empty_key_requirement"
    )
    assert run.stdout.rstrip().endswith("1 file checked: 2 errors, 0 warnings")


# ---- the graph -------------------------------------------------------------------------------


def graph_json() -> dict[str, list[dict[str, object]]]:
    run = run_cli("graph", SPEC_NAME, "--format", "json")
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def test_graph_json_nodes(spec_text: str) -> None:
    g = graph_json()
    kinds = Counter(n["kind"] for n in g["nodes"])
    assert kinds == {"pillar": 6, "clause": 31, "key_requirement": 6, "level": 4}
    levels = {n["id"]: n["title"] for n in g["nodes"] if n["kind"] == "level"}
    assert levels == {"L1": "Experimental", "L2": "Managed", "L3": "Integrated", "L4": "Optimised"}
    p42 = next(n for n in g["nodes"] if n["id"] == "P4.2")
    assert p42 == {
        "id": "P4.2",
        "kind": "clause",
        "title": "Escalation protocols",
        "pillar": "P4",
        "level": 2,
        "owner": "cx_leader",
    }


def test_graph_json_edges_match_the_standard(spec_text: str) -> None:
    g = graph_json()
    edges = {(e["source"], e["target"], e["kind"]) for e in g["edges"]}
    assert len(edges) == len(g["edges"])
    assert {k for _, _, k in edges} == {"requires", "covers", "part_of", "expected_at"}
    module = parse_text(spec_text, SPEC_NAME)
    want: set[tuple[str, str, str]] = set()
    for decl in module.decls:
        if isinstance(decl, ast.PillarDecl):
            for c in decl.clauses:
                want.add((c.id, decl.id, "part_of"))
                for a in c.attrs:
                    if a.name == "level":
                        want.add((c.id, f"L{a.values[0]}", "expected_at"))
                    if a.name == "requires":
                        want.update((c.id, str(v), "requires") for v in a.values)
        if isinstance(decl, ast.KeyRequirementDecl):
            for a in decl.attrs:
                if a.name == "covers":
                    want.update((decl.id, str(v), "covers") for v in a.values)
    assert edges == want
    assert ("P4.5", "P4.2", "requires") in edges
    assert ("KR2", "P4.2", "covers") in edges


def test_graph_impact_lists_what_depends_on_a_clause() -> None:
    run = run_cli("graph", SPEC_NAME, "--impact", "P4.2")
    assert run.exit_code == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["id"] == "P4.2"
    # KR2 covers P4.2; P4.5 requires it; KR6 covers P4.5.
    assert [n["id"] for n in out["dependents"]] == ["KR2", "KR6", "P4.5"]
    assert {(e["source"], e["target"], e["kind"]) for e in out["edges"]} == {
        ("KR2", "P4.2", "covers"),
        ("KR6", "P4.5", "covers"),
        ("P4.5", "P4.2", "requires"),
    }


def test_graph_help_says_what_impact_gives_in_each_format(snapshot: object) -> None:
    """`--impact` said "as a list" while its default output is JSON (issue 15, item 14)."""
    shown = run_cli("graph", "--help").stdout
    assert "as a list" not in shown
    assert "JSON by default" in " ".join(shown.split())
    assert shown == snapshot
    listed = run_cli("graph", SPEC_NAME, "--impact", "P4.2", "--format", "list")
    assert listed.stdout.startswith('P4.2 "Escalation protocols": 3 depend on it\n')


def test_graph_impact_follows_requires_transitively() -> None:
    run = run_cli("graph", SPEC_NAME, "--impact", "P6.1")
    out = json.loads(run.stdout)
    ids = [n["id"] for n in out["dependents"]]
    # P6.4 requires P6.3, which requires P6.1.
    assert {"P6.2", "P6.3", "P6.4", "P6.5"} <= set(ids)
    assert "P6.1" not in ids


def test_graph_impact_of_an_unknown_id_exits_2_with_a_suggestion() -> None:
    run = run_cli("graph", SPEC_NAME, "--impact", "P4.22")
    assert run.exit_code == 2
    assert "`P4.22` is not in the graph; did you mean `P4.2`?" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_graph_dot(snapshot: object) -> None:
    run = run_cli("graph", SPEC_NAME, "--format", "dot")
    assert run.exit_code == 0
    assert run.stdout.startswith("digraph aicxs {\n")
    assert '  "P4.5" -> "P4.2" [label="requires"];' in run.stdout
    assert run.stdout == snapshot


def test_graph_mermaid(snapshot: object) -> None:
    run = run_cli("graph", SPEC_NAME, "--format", "mermaid")
    assert run.exit_code == 0
    assert run.stdout.startswith("flowchart LR\n")
    assert run.stdout.count("-->|part_of|") == 31
    assert run.stdout == snapshot


def test_graph_impact_dot_highlights_the_clause(snapshot: object) -> None:
    run = run_cli("graph", SPEC_NAME, "--impact", "P4.2", "--format", "dot")
    assert run.exit_code == 0
    assert (
        '"P4.2" [label="P4.2\\nEscalation protocols", shape=box, style=filled, fillcolor=gold];'
        in run.stdout
    )
    assert run.stdout == snapshot


def test_a_policy_rule_cannot_carry_a_crosswalk(tmp_path: Path) -> None:
    """A rule refines a clause, and reports cite that clause's crosswalk: the grammar reads a
    `crosswalk` line anywhere, the policy's rule refuses it, located, exit 2."""
    root = Path(__file__).resolve().parent.parent
    text = (root / "policies" / "retail-bank.aicx").read_text("utf-8")
    head = '  rule NB-1 refines P4.2 "Voice callers reach a human within 45 seconds" {\n'
    assert text.count(head) == 1
    policy = tmp_path / "bank.aicx"
    policy.write_text(text.replace(head, head + '    crosswalk GDPR "Art. 22(3)" related to\n'))
    run = run_cli("lint", str(policy), "--spec", str(root / "spec" / "aicxs-2024.aicx"))
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "aicxs_unknown_attribute: `crosswalk` is not an attribute of rule `NB-1`" in (
        run.stdout + run.stderr
    )


# ---- amendments: `standard AICXS 2024.1` ------------------------------------------------------

HEADER = "standard AICXS 2024 {"
AMENDED = "standard AICXS 2024.1 {"


def _policy(tmp_path: Path, implements: str, extra: str = "") -> Path:
    path = tmp_path / "acme.aicx"
    path.write_text(
        f"policy acme implements {implements} {{\n  target level 2\n{extra}}}\n", "utf-8"
    )
    return path


def test_an_amendment_is_named_formatted_and_reported_apart_from_the_year(
    tmp_path: Path, spec_text: str
) -> None:
    text = edited(spec_text, (HEADER, AMENDED))
    std = load(text).standard
    assert (std.name, std.version, std.amendment) == ("AICXS 2024.1", 2024, 1)
    from aicxs.aicxs_dsl.formatter import format_module

    assert format_module(parse_text(text, SPEC_NAME)) == text  # `2024.1` kept as written
    spec = tmp_path / "aicxs-2024.1.aicx"
    spec.write_text(text, "utf-8")
    facts = ("--facts", "policies/startup.facts.yaml", "--as-of", "2026-11-27")
    run = run_cli(
        "check", str(_policy(tmp_path, "AICXS 2024.1")), "--spec", str(spec), *facts,
        "--format", "json",
    )  # fmt: skip
    assert json.loads(run.stdout)["standard"] == {
        "id": "AICXS",
        "version": 2024,
        "amendment": 1,
        "title": "AI in Customer Experience Standard",
    }
    text = run_cli("check", str(_policy(tmp_path, "AICXS 2024.1")), "--spec", str(spec), *facts)
    assert text.stdout.startswith("AICXS 2024.1 · policy acme · as of 2026-11-27\n")
    unamended = run_cli(
        "check", "policies/startup.aicx", *facts, "--format", "json"
    )  # existing consumers: still `"version": 2024` and no `amendment`
    assert json.loads(unamended.stdout)["standard"] == {
        "id": "AICXS",
        "version": 2024,
        "title": "AI in Customer Experience Standard",
    }


def test_a_policy_must_name_the_amendment_it_implements(tmp_path: Path, spec_text: str) -> None:
    spec = tmp_path / "aicxs-2024.1.aicx"
    spec.write_text(edited(spec_text, (HEADER, AMENDED)), "utf-8")
    run = run_cli("lint", str(_policy(tmp_path, "AICXS 2024")), "--spec", str(spec))
    assert run.exit_code == 2
    assert (
        "aicxs_version_mismatch: policy `acme` implements `AICXS 2024`, but the standard "
        "loaded is `AICXS 2024.1`" in run.stdout
    )
    assert "help: write `implements AICXS 2024.1`" in run.stdout
    ok = run_cli("lint", str(_policy(tmp_path, "AICXS 2024.1")), "--spec", str(spec))
    assert ok.exit_code == 0, ok.stdout
    bundled = run_cli("lint", str(_policy(tmp_path, "AICXS 2024")))  # the unamended standard
    assert bundled.exit_code == 0, bundled.stdout


@pytest.mark.parametrize("version", ["2024.01", "2024.0", "24.1"])
def test_a_version_has_one_spelling(spec_text: str, version: str) -> None:
    with pytest.raises(DiagnosticError) as info:
        parse_text(edited(spec_text, (HEADER, f"standard AICXS {version} {{")), SPEC_NAME)
    d = only(info.value.diagnostics)
    assert (d.code, d.message) == (
        "aicxs_bad_literal",
        f"`{version}` is not a version of a standard",
    )
    assert d.help.startswith("write the year (`")
    assert d.span is not None and d.span.text() == version


# ---- withdrawn clauses ----------------------------------------------------------------------

WITHDRAWN = '    withdrawn "Superseded by the transparency duties of P2.1" in 2024.1\n'


def withdraw_p5_3(spec_text: str, *more: tuple[str, str]) -> str:
    """P5.3 withdrawn (its check removed): the revision the issue describes."""
    return edited(spec_text, (HEADER, AMENDED), (P5_3_CHECK, WITHDRAWN), *more)


def test_a_withdrawn_clause_is_kept_but_never_evaluated(tmp_path: Path, spec_text: str) -> None:
    text = withdraw_p5_3(spec_text)
    std = load(text).standard
    assert "P5.3" not in std.clauses and "P5.3" not in std.pillars["P5"].clauses
    c = std.withdrawn["P5.3"]
    assert (c.withdrawn, c.withdrawn_in, c.title) == (
        "Superseded by the transparency duties of P2.1",
        "2024.1",
        "Trust-building practices",
    )
    spec = tmp_path / "aicxs-2024.1.aicx"
    spec.write_text(text, "utf-8")
    run = run_cli(
        "check", str(_policy(tmp_path, "AICXS 2024.1")), "--spec", str(spec),
        "--facts", "policies/startup.facts.yaml", "--as-of", "2026-11-27", "--format", "json",
    )  # fmt: skip
    ids = [r["id"] for r in json.loads(run.stdout)["results"]]
    assert "P5.3" not in ids and {"P5.2", "P5.4"} <= set(ids)
    docs = run_cli("docs", str(spec)).stdout
    assert (
        "| [P5.3](#p53-trust-building-practices) | ~~Trust-building practices~~ (withdrawn)" in docs
    )
    assert "> **Withdrawn in AICXS 2024.1:** Superseded by the transparency duties of P2.1" in docs
    html = run_cli("docs", str(spec), "--format", "html").stdout
    assert '<article class="clause withdrawn" id="P5.3">' in html
    graph = run_cli("graph", str(spec), "--format", "list").stdout
    assert "P5.3  clause           Trust-building practices (withdrawn)" in graph.splitlines()
    catalog = json.loads(
        run_cli("export", "oscal-catalog", str(spec), "--as-of", "2026-11-27").stdout
    )
    [control] = [
        c for g in catalog["catalog"]["groups"] for c in g.get("controls", []) if c["id"] == "P5.3"
    ]
    assert {"name": "status", "value": "withdrawn", "remarks": "Withdrawn in AICXS 2024.1: "
            "Superseded by the transparency duties of P2.1"} in control["props"]  # fmt: skip


def test_what_a_withdrawn_clause_leaves_unread_is_a_located_warning(spec_text: str) -> None:
    text = withdraw_p5_3(spec_text)
    found = [(w.code, w.message, w.span.line if w.span else 0) for w in load(text).warnings]
    assert found == [
        (
            "aicxs_unread_fact",
            "no check reads the fact `organisation.trust.ai_principles_published`",
            line_of(text, "ai_principles_published:"),
        ),
        (
            "aicxs_unread_fact",
            "no check reads the fact `organisation.trust.transparency_report_published`",
            line_of(text, "transparency_report_published:"),
        ),
        (
            "aicxs_uncited_reference",
            "no clause cites `GOVERN 4.2` of framework `NIST_AI_RMF`",
            line_of(text, 'ref "GOVERN 4.2"'),
        ),
        (
            "aicxs_uncited_reference",
            "no clause cites `7.4` of framework `ISO_42001`",
            line_of(text, 'ref "7.4"'),
        ),
    ]
    assert all(w.severity is Severity.WARNING for w in load(text).warnings)


@pytest.mark.parametrize(
    ("edit", "message", "anchor"),
    [
        (
            ("  covers P5.1, P5.2\n", "  covers P5.1, P5.2, P5.3\n"),
            "clause `P5.3` was withdrawn in AICXS 2024.1 and cannot be covered by key "
            "requirement `KR1`",
            "covers P5.1, P5.2, P5.3",
        ),
        (
            ('  clause P5.4 "Complaint handling for AI decisions" {\n',
             '  clause P5.4 "Complaint handling for AI decisions" {\n    requires P5.3\n'),
            "clause `P5.3` was withdrawn in AICXS 2024.1 and cannot be required by `P5.4`",
            "requires P5.3",
        ),
        (
            (WITHDRAWN, WITHDRAWN + "    check organisation.trust.ai_principles_published\n"),
            "clause `P5.3` is withdrawn but has a `check`, which would never be evaluated",
            "check organisation.trust.ai_principles_published",
        ),
    ],
)  # fmt: skip
def test_leaning_on_a_withdrawn_clause_is_an_error(
    spec_text: str, edit: tuple[str, str], message: str, anchor: str
) -> None:
    text = withdraw_p5_3(spec_text)
    text = edited(text, edit)
    d = only(errors(text))
    assert (d.code, d.message) == ("aicxs_withdrawn_clause", message)
    assert d.span is not None and d.span.line == line_of(text, anchor)


def test_a_withdrawn_id_cannot_be_declared_again(spec_text: str) -> None:
    text = withdraw_p5_3(
        spec_text,
        ('  clause P5.4 "Complaint handling', '  clause P5.3 "Complaint handling'),
    )
    found = [(d.code, d.message) for d in errors(text)]
    assert ("aicxs_duplicate_id", "clause `P5.3` is declared twice") in found


@pytest.mark.parametrize(
    ("tailoring", "message"),
    [
        ('  exclude P5.3 because "Not relevant"\n', "cannot be excluded"),
        (
            '  waive P5.3 {\n    justification "Report due"\n    approver "A. Person"\n'
            "    expires 2027-01-31\n  }\n",
            "cannot be waived",
        ),
        (
            '  rule ACME-1 refines P5.3 "Principles" {\n    check true\n  }\n',
            "cannot be refined by `ACME-1`",
        ),
    ],
)
def test_a_policy_cannot_tailor_a_withdrawn_clause(
    tmp_path: Path, spec_text: str, tailoring: str, message: str
) -> None:
    spec = tmp_path / "aicxs-2024.1.aicx"
    spec.write_text(withdraw_p5_3(spec_text), "utf-8")
    run = run_cli("lint", str(_policy(tmp_path, "AICXS 2024.1", tailoring)), "--spec", str(spec))
    assert run.exit_code == 2
    assert (
        f"acme.aicx:3:3: aicxs_withdrawn_clause: clause `P5.3` was withdrawn in AICXS 2024.1 "
        f"and {message}" in run.stdout
    )
    assert "note: withdrawn: Superseded by the transparency duties of P2.1" in run.stdout
