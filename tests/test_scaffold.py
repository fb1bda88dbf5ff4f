"""`aicxs init`: the scaffolded policy and facts template lint clean and evaluate (undetermined);
the template lists every fact of the vocabulary with its question; files are never overwritten
without `--force`; facts written by `render_facts` read back to the same values."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aicxs.engine.loader import load_policy, load_standard
from aicxs.engine.onboarding.scaffold import leaves, render_facts, slug_of
from aicxs.engine.types import Duration
from tests.conftest import AS_OF, run_cli


def init(tmp_path: Path, *extra: str, org: str = "Acme Bank") -> tuple[int, str, str]:
    r = run_cli("init", str(tmp_path / "acme"), "--org", org, *extra)
    assert "Traceback" not in r.stdout + r.stderr
    return (
        r.exit_code,
        r.stdout.replace(str(tmp_path), "<tmp>"),
        r.stderr.replace(str(tmp_path), "<tmp>"),
    )


def test_init_writes_a_policy_and_a_facts_template(tmp_path: Path, snapshot, monkeypatch) -> None:
    monkeypatch.setenv("AICXS_AS_OF", AS_OF)
    code, out, _ = init(tmp_path)
    assert code == 0
    assert out == snapshot
    policy = (tmp_path / "acme" / "acme-bank.aicx").read_text("utf-8")
    assert policy == snapshot(name="policy")
    facts = tmp_path / "acme" / "acme-bank.facts.yaml"
    head = facts.read_text("utf-8").splitlines()[:24]
    assert "\n".join(head) == snapshot(name="facts_head")


def test_scaffold_lints_clean_and_checks_undetermined(tmp_path: Path) -> None:
    init(tmp_path)
    policy, facts = tmp_path / "acme" / "acme-bank.aicx", tmp_path / "acme" / "acme-bank.facts.yaml"
    lint = run_cli("lint", str(policy))
    assert (lint.exit_code, lint.stdout.strip()) == (0, "1 file checked: 0 errors, 0 warnings")
    assert run_cli("fmt", "--check", str(policy)).exit_code == 0
    check = run_cli(
        "check", str(policy), "--facts", str(facts), "--as-of", AS_OF, "--explain", "none"
    )
    assert check.exit_code == 1
    assert "Verdict:  UNDETERMINED" in check.stdout
    assert "(0 systems, 0 in scope)" in check.stdout  # the example is no system of theirs
    assert "example-chatbot" not in check.stdout


def test_every_commented_example_is_valid_once_uncommented(tmp_path: Path) -> None:
    """The examples are code: uncommenting all of them gives a policy that lints and runs."""
    init(tmp_path)
    policy = tmp_path / "acme" / "acme-bank.aicx"
    text = re.sub(r"^  # (?=[a-z }])", "  ", policy.read_text("utf-8"), flags=re.M)
    for construct in (
        "scope s in",
        "set max_human_wait = 90 seconds",
        "exclude P6.5",
        "waive P2.4",
        "rule AB-1 refines P4.2",
        "facts systems {",
    ):
        assert f"\n  {construct}" in text
    policy.write_text(text, "utf-8")
    assert run_cli("lint", str(policy)).exit_code == 0
    compiled = load_policy(policy)
    assert set(compiled.policy.exclusions) == {"P6.5"} and set(compiled.policy.waivers) == {"P2.4"}
    facts = compiled.load_facts(tmp_path / "acme" / "acme-bank.facts.yaml")
    report = compiled.evaluate(facts, dt.date.fromisoformat(AS_OF), explain="none")
    assert report.verdict == "undetermined"
    assert report.result("P2.4").status.value == "waived"


def test_template_lists_every_fact_with_its_question_and_no_value(tmp_path: Path) -> None:
    init(tmp_path)
    text = (tmp_path / "acme" / "acme-bank.facts.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    comments = " ".join(
        re.sub(r"^[#\s]*", "", line.lstrip())
        if line.lstrip().startswith("#")
        else line.split("#", 1)[1]
        for line in text.splitlines()
        if "#" in line
    )
    comments = " ".join(comments.split())
    assert data["systems"] is None  # unknown: the example system is a comment
    example = yaml.safe_load(_uncommented_example(text))
    assert example["systems"][0]["id"] == "example-chatbot"
    vocabulary = load_standard().standard.vocabulary
    count = 0
    for path, fld in leaves(vocabulary):
        node = example["systems"][0] if path[0] == "systems" else data
        for part in path[1:] if path[0] == "systems" else path:
            assert part in node, path
            node = node[part] if node[part] is not None else {}
        assert node == {}, f"{path} has a value"
        assert " ".join(fld.question.split()) in comments, fld.question
        count += 1
    assert count == 92


def _uncommented_example(text: str) -> str:
    """The `systems:` block of a template with its example entry uncommented, as a person
    following the template's advice would."""
    block = text[text.index("\nsystems:") : text.index("\n\n", text.index("\nsystems:") + 1)]
    return re.sub(r"^  # (?=- |  )", "  ", block, flags=re.M)


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, snapshot) -> None:
    init(tmp_path)
    policy = tmp_path / "acme" / "acme-bank.aicx"
    policy.write_text("# mine\n", "utf-8")
    code, out, err = init(tmp_path)
    assert (code, out) == (2, "")
    assert err == snapshot
    assert policy.read_text("utf-8") == "# mine\n"
    code, _, _ = init(tmp_path, "--force")
    assert code == 0 and policy.read_text("utf-8").startswith("# Acme Bank")


@pytest.mark.parametrize(
    ("org", "extra", "message"),
    [
        ("!!!", (), "`!!!` has no letter or digit"),
        ("Acme", ("--target", "5"), "AICXS 2024 has no level 5; its levels are 1 (Experimental)"),
    ],
)
def test_init_mistakes(tmp_path: Path, org: str, extra: tuple[str, ...], message: str) -> None:
    code, _, err = init(tmp_path, *extra, org=org)
    assert code == 2 and message in err
    assert not (tmp_path / "acme").exists()


def test_names_from_any_organisation_name(tmp_path: Path) -> None:
    assert slug_of("Zürich Mutual & Co.") == "zurich-mutual-co"
    code, out, _ = init(tmp_path, "--target", "3", org='123 "Quoted" Holdings')
    assert code == 0 and "policy `org_123_quoted_holdings`" in out
    policy = tmp_path / "acme" / "123-quoted-holdings.aicx"
    assert run_cli("lint", str(policy)).exit_code == 0
    compiled = load_policy(policy)
    assert (compiled.policy.title, compiled.policy.target) == ('123 "Quoted" Holdings', 3)


# ---- facts as YAML text read back the same ---------------------------------------------------

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
SYSTEM = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,10}", fullmatch=True),
        "name": TEXT,
        "kind": st.sampled_from(["chatbot", "analytics", "decision_engine"]),
        "bias_testing": st.fixed_dictionaries(
            {
                "characteristics_tested": st.lists(TEXT, max_size=3),
                "last_test": st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
            }
        ),
        "escalation": st.fixed_dictionaries(
            {"max_wait": st.integers(0, 10**6).map(lambda s: Duration(s * 60))}
        ),
    }
)
ORGANISATION = st.fixed_dictionaries(
    {
        "training": st.fixed_dictionaries(
            {
                "staff_trained_share": st.floats(0, 1, allow_nan=False),
                "programme_exists": st.booleans(),
            }
        ),
        "board_oversight": st.fixed_dictionaries({"accountable_executive": TEXT}),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    organisation=ORGANISATION,
    systems=st.lists(SYSTEM, min_size=1, max_size=2, unique_by=lambda s: s["id"]),
)
def test_rendered_facts_read_back_to_the_same_values(
    organisation: dict[str, object], systems: list[dict[str, object]]
) -> None:
    data = {"organisation": organisation, "systems": systems}
    text = render_facts(STARTUP.vocabulary, data, "round trip")
    assert _pruned(STARTUP.parse_facts(text, "x.yaml").data) == data


STARTUP = load_policy("policies/startup.aicx")


def _pruned(value: object) -> object:
    """Without the empty records of facts left unanswered."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def test_init_writes_the_facts_schema_that_the_template_names(tmp_path: Path) -> None:
    """The facts template's first line tells the YAML language server which schema to use:
    the file `aicxs schema` writes for the policy, beside it. The template, all its facts
    still empty, is valid against it; a wrong value is not."""
    import json

    import jsonschema
    import yaml

    init(tmp_path)
    folder = tmp_path / "acme"
    facts = (folder / "acme-bank.facts.yaml").read_text("utf-8")
    assert facts.splitlines()[0] == "# yaml-language-server: $schema=acme-bank.schema.json"
    written = (folder / "acme-bank.schema.json").read_text("utf-8")
    out = tmp_path / "schema.json"
    assert run_cli("schema", str(folder / "acme-bank.aicx"), "-o", str(out)).exit_code == 0
    assert written == out.read_text("utf-8")
    validator = jsonschema.Draft202012Validator(json.loads(written))
    assert list(validator.iter_errors(yaml.safe_load(facts))) == []
    wrong = yaml.safe_load(facts.replace("    documented:\n", "    documented: maybe\n", 1))
    assert [e.message for e in validator.iter_errors(wrong)] == [
        "'maybe' is not of type 'boolean', 'null'"
    ]
