"""The facts schema: generated from the vocabulary, valid JSON Schema 2020-12, and the errors it
finds in a facts file turned into diagnostics with file, line and JSON path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, render_text
from aicxs.engine import CompiledPolicy, load_policy
from aicxs.engine.types import Duration
from tests.conftest import run_cli

MINIMAL_POLICY = "policy p implements AICXS 2024 {\n  target level 2\n}\n"
FACTS_NAME = "facts/acme.yaml"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> CompiledPolicy:
    path = tmp_path_factory.mktemp("policy") / "p.aicx"
    path.write_text(MINIMAL_POLICY, "utf-8")
    return load_policy(path)


@pytest.fixture(scope="module")
def spec_schema() -> dict[str, Any]:
    run = run_cli("schema", "spec/aicxs-2024.aicx")
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


GOOD = {
    "organisation": {
        "strategy": {"documented": True, "last_reviewed": "2026-05-21"},
        "governance": {"meeting_interval": "42 days"},
        "training": {"staff_trained_share": 0.97},
    },
    "systems": [
        {
            "id": "web-chat",
            "kind": "chatbot",
            "risk": "high",
            "customer_facing": True,
            "escalation": {"available": True, "max_wait": "90 seconds"},
            "bias_testing": {"characteristics_tested": ["age", "sex"]},
        }
    ],
    "evidence": [{"fact": "organisation.strategy", "document": "AI strategy v3"}],
}


# ---- the schema itself ------------------------------------------------------------------------


def test_schema_is_valid_json_schema_2020_12(spec_schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(spec_schema)
    assert spec_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema.validators.validator_for(spec_schema) is jsonschema.Draft202012Validator


def test_schema_mirrors_the_vocabulary(spec_schema: dict[str, Any]) -> None:
    strategy = spec_schema["properties"]["organisation"]["properties"]["strategy"]
    assert strategy["additionalProperties"] is False
    assert strategy["properties"]["documented"] == {
        "type": ["boolean", "null"],  # an empty value is an unknown fact
        "description": "Does the organisation have a documented AI strategy?",
    }
    assert strategy["properties"]["last_reviewed"]["format"] == "date"
    system = spec_schema["properties"]["systems"]["items"]
    assert system["required"] == ["id"]  # only `key` fields are required
    assert system["properties"]["id"]["type"] == "string"  # and never empty
    assert system["properties"]["risk"]["enum"] == ["low", "medium", "high", None]
    assert "pattern" in system["properties"]["escalation"]["properties"]["max_wait"]


def test_schema_accepts_a_correct_facts_document(spec_schema: dict[str, Any]) -> None:
    assert list(validator(spec_schema).iter_errors(GOOD)) == []
    assert list(validator(spec_schema).iter_errors({})) == []  # absent facts are unknown


def test_schema_accepts_empty_values_as_the_loader_does(spec_schema: dict[str, Any]) -> None:
    """An empty value (`documented:`) is an unknown fact to the loader: an editor validating
    a half-filled facts file against the schema must not call it wrong; an empty key is."""
    doc = {"organisation": {"strategy": {"documented": None}, "trust": None}}
    doc["systems"] = [{"id": "chat", "risk": None, "escalation": {"max_wait": None}}]
    assert list(validator(spec_schema).iter_errors(doc)) == []
    keyless = {"systems": [{"id": None}]}
    assert [e.validator for e in validator(spec_schema).iter_errors(keyless)] == ["type"]


@pytest.mark.parametrize(
    ("where", "value", "keyword"),
    [
        (("organisation", "strategy", "documented"), "yes", "type"),
        (("organisation", "strategy", "last_reviewed"), "31/12/2025", "format"),
        (("systems", 0, "escalation", "max_wait"), "fast", "pattern"),
        (("systems", 0, "risk"), "extreme", "enum"),
        (("organisation", "training", "staff_trained_share"), "most", "type"),
    ],
    ids=["bool-as-yes", "date-dd-mm-yyyy", "duration-fast", "enum-value", "number-as-text"],
)
def test_schema_rejects_wrong_types(
    spec_schema: dict[str, Any], where: tuple[str | int, ...], value: object, keyword: str
) -> None:
    doc = json.loads(json.dumps(GOOD))
    target = doc
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    errors = list(validator(spec_schema).iter_errors(doc))
    assert [(e.validator, tuple(e.absolute_path)) for e in errors] == [(keyword, where)]


def test_schema_rejects_an_unknown_field_and_a_system_without_id(
    spec_schema: dict[str, Any],
) -> None:
    doc = json.loads(json.dumps(GOOD))
    doc["organisation"]["strategy"]["documentd"] = True
    doc["systems"].append({"name": "Voice IVR"})
    errors = sorted(validator(spec_schema).iter_errors(doc), key=lambda e: e.validator)
    assert [(e.validator, tuple(e.absolute_path)) for e in errors] == [
        ("additionalProperties", ("organisation", "strategy")),
        ("required", ("systems", 1)),
    ]


def test_policy_facts_extend_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "acme.aicx"
    path.write_text(
        "policy acme implements AICXS 2024 {\n  target level 2\n  facts systems {\n"
        '    tier: enum(gold, silver) "Which support tier does the system serve?"\n  }\n}\n',
        "utf-8",
    )
    schema = load_policy(path).schema
    jsonschema.Draft202012Validator.check_schema(schema)
    tier = schema["properties"]["systems"]["items"]["properties"]["tier"]
    assert tier == {
        "enum": ["gold", "silver", None],  # or empty: unknown
        "description": "Which support tier does the system serve?",
    }
    run = run_cli("schema", str(path))
    assert run.exit_code == 0
    assert json.loads(run.stdout) == schema


# ---- facts files: typed values ---------------------------------------------------------------


def test_a_correct_facts_file_is_typed(compiled: CompiledPolicy) -> None:
    doc = compiled.parse_facts(
        "organisation:\n  strategy:\n    documented: true\n    last_reviewed: 2026-05-21\n"
        "  training:\n    staff_trained_share: 1\n"
        "systems:\n  - id: web-chat\n    escalation:\n      max_wait: 90 seconds\n",
        FACTS_NAME,
    )
    org = doc.data["organisation"]
    assert org["strategy"] == {"documented": True, "last_reviewed": dt.date(2026, 5, 21)}
    assert org["training"]["staff_trained_share"] == 1.0
    assert isinstance(org["training"]["staff_trained_share"], float)
    wait = doc.data["systems"][0]["escalation"]["max_wait"]
    assert isinstance(wait, Duration) and wait == Duration.of(90, "seconds")
    assert doc.location("$.systems[0].escalation.max_wait") == f"{FACTS_NAME}:10"


# ---- facts files: mistakes become located diagnostics ----------------------------------------


def facts_errors(compiled: CompiledPolicy, text: str, name: str = FACTS_NAME) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        compiled.parse_facts(text, name)
    return info.value.diagnostics


def one(found: list[Diagnostic]) -> Diagnostic:
    assert len(found) == 1, render_text(found)
    return found[0]


CASES = {
    "bool-as-yes": (
        'organisation:\n  strategy:\n    documented: "yes"\n',
        "aicxs_facts_type",
        (3, 5),
        '`organisation.strategy.documented` should be true or false, not the text "yes" '
        "($.organisation.strategy.documented)",
        "write true or false",
    ),
    "date-dd-mm-yyyy": (
        "organisation:\n  strategy:\n    documented: true\n    last_reviewed: 31/12/2025\n",
        "aicxs_facts_schema",
        (4, 5),
        '`organisation.strategy.last_reviewed` is the text "31/12/2025", which is not a date '
        "($.organisation.strategy.last_reviewed)",
        "write dates as YYYY-MM-DD",
    ),
    "duration-fast": (
        "systems:\n  - id: web-chat\n    escalation:\n      max_wait: fast\n",
        "aicxs_facts_schema",
        (4, 7),
        '`systems[web-chat].escalation.max_wait` is the text "fast", which is not a duration '
        "($.systems[0].escalation.max_wait)",
        'write a duration such as "90 days" or "6 months" (units: seconds, minutes, hours, '
        "days, weeks, months or years; a month counts as 30 days 10 hours (a twelfth of a year) "
        "and a year as 365 days)",
    ),
    "enum-value": (
        "systems:\n  - id: web-chat\n    risk: extreme\n",
        "aicxs_facts_schema",
        (3, 5),
        '`systems[web-chat].risk` is the text "extreme", which is not one of: low, medium, high '
        "($.systems[0].risk)",
        "use one of: low, medium, high",
    ),
    "enum-near-miss": (
        "systems:\n  - id: web-chat\n    risk: hihg\n",
        "aicxs_facts_schema",
        (3, 5),
        '`systems[web-chat].risk` is the text "hihg", which is not one of: low, medium, high '
        "($.systems[0].risk)",
        "did you mean `high`?",
    ),
    "unknown-field": (
        "organisation:\n  strategy:\n    documentd: true\n",
        "aicxs_facts_schema",
        (3, 5),
        "`organisation.strategy` has no fact `documentd` in the vocabulary "
        "($.organisation.strategy.documentd)",
        "did you mean `documented`?",
    ),
    "system-without-id": (
        "systems:\n  - id: web-chat\n  - name: Voice IVR\n    risk: low\n",
        "aicxs_facts_schema",
        (3, 5),
        "`systems[1]` has no `id` ($.systems[1])",
        "every item needs its `id`: it names the item in explanations",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_facts_mistake_is_located(compiled: CompiledPolicy, case: str) -> None:
    text, code, (line, col), message, help = CASES[case]
    d = one(facts_errors(compiled, text))
    assert (d.code, d.message, d.help) == (code, message, help)
    assert d.span is not None
    assert (d.span.line, d.span.col) == (line, col)
    assert d.location() == f"{FACTS_NAME}:{line}:{col}"


def test_facts_mistakes_are_all_reported_in_order(
    compiled: CompiledPolicy, snapshot: object
) -> None:
    text = (
        "organisation:\n"
        "  strategy:\n"
        '    documented: "yes"\n'
        "    last_reviewed: 31/12/2025\n"
        "systems:\n"
        "  - id: web-chat\n"
        "    risk: extreme\n"
        "    escalation:\n"
        "      max_wait: fast\n"
        "  - name: Voice IVR\n"
    )
    found = facts_errors(compiled, text)
    assert [(d.code, d.span.line if d.span else 0) for d in found] == [
        ("aicxs_facts_type", 3),
        ("aicxs_facts_schema", 4),
        ("aicxs_facts_schema", 7),
        ("aicxs_facts_schema", 9),
        ("aicxs_facts_schema", 10),
    ]
    assert render_text(found) == snapshot


def test_facts_mistake_in_json_is_located_too(compiled: CompiledPolicy) -> None:
    text = '{\n  "organisation": {\n    "strategy": {\n      "documented": "yes"\n    }\n  }\n}\n'
    d = one(facts_errors(compiled, text, "facts/acme.json"))
    assert d.code == "aicxs_facts_type"
    assert d.location() == "facts/acme.json:4:7"
    assert d.message.endswith("($.organisation.strategy.documented)")


def test_duration_given_as_a_bare_number_asks_for_a_duration(compiled: CompiledPolicy) -> None:
    """`max_wait: 90` is a number where a duration such as "90 seconds" is expected; the help
    must say so (not "write a text", which `90` already looks like to the user)."""
    d = one(
        facts_errors(compiled, "systems:\n  - id: web-chat\n    escalation:\n      max_wait: 90\n")
    )
    assert d.span is not None and d.span.line == 4
    assert "duration" in d.message + d.help, render_text([d])


def test_two_systems_with_the_same_id_are_rejected(compiled: CompiledPolicy) -> None:
    """The `key` field names an item in every explanation; two systems called `web-chat`
    would make "1 of 2 systems fail: web-chat" ambiguous."""
    text = "systems:\n  - id: web-chat\n    risk: low\n  - id: web-chat\n    risk: high\n"
    found = facts_errors(compiled, text)
    assert any(d.span is not None and d.span.line == 4 for d in found), render_text(found)


# ---- YAML that would lose or distort data ----------------------------------------------------


def test_duplicate_yaml_keys_are_rejected(compiled: CompiledPolicy, snapshot: object) -> None:
    text = "organisation:\n  strategy:\n    documented: true\n    documented: false\n"
    d = one(facts_errors(compiled, text))
    assert d.code == "aicxs_facts_duplicate_key"
    assert d.message == "key `documented` appears twice in one mapping"
    assert d.span is not None and (d.span.line, d.span.col) == (4, 5)
    assert d.span.text() == "documented"
    assert d.help == "keep one: a repeated key would silently replace the first value"
    assert render_text([d]) == snapshot


def test_duplicate_json_keys_are_rejected(compiled: CompiledPolicy) -> None:
    text = '{"organisation": {"strategy": {"documented": true, "documented": false}}}'
    d = one(facts_errors(compiled, text, "facts/acme.json"))
    assert d.code == "aicxs_facts_duplicate_key"
    assert d.message == "key `documented` appears twice in one mapping"


def test_yaml_aliases_are_rejected(compiled: CompiledPolicy, snapshot: object) -> None:
    text = "organisation:\n  strategy: &strategy\n    documented: true\n  governance: *strategy\n"
    d = one(facts_errors(compiled, text))
    assert d.code == "aicxs_facts_alias"
    assert d.message == "YAML anchors and aliases are not allowed in facts files"
    assert d.span is not None and (d.span.line, d.span.col) == (4, 15)
    assert d.span.text() == "*"
    assert render_text([d]) == snapshot


def test_yaml_anchor_bomb_is_refused_before_expanding(compiled: CompiledPolicy) -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}] " for i in range(8)]
    d = facts_errors(compiled, "\n".join(rows) + "\n")[0]
    assert d.code == "aicxs_facts_alias"
    assert d.span is not None and d.span.line == 2


def test_facts_file_that_is_not_a_mapping(compiled: CompiledPolicy) -> None:
    d = one(facts_errors(compiled, "- organisation\n- systems\n"))
    assert d.code == "aicxs_facts_shape"
    assert d.message.startswith("a facts file holds a mapping")
    assert d.message.endswith("not a list")
