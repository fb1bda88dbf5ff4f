"""Test files' JSON Schema (`tests-schema.json`) and its errors → located diagnostics worded for
the author of the test file: which key is unknown ("did you mean"), missing, or of the wrong
type, where in the file, and what to write instead.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import jsonschema

from aicxs.aicxs_dsl.diagnostics import Diagnostic, did_you_mean
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.testing.overrides import by_path
from aicxs.engine.yamldoc import YamlDoc, YamlPath

STATUSES = ("pass", "fail", "unknown", "error", "not_applicable", "waived", "blocked")


def schema_of_tests() -> dict[str, Any]:
    """The JSON Schema (2020-12) of test files, shipped as engine/tests-schema.json."""
    text = resources.files(__package__).joinpath("tests-schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _validator() -> jsonschema.protocols.Validator:
    schema = schema_of_tests()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_diagnostics(doc: YamlDoc) -> list[tuple[YamlPath, Diagnostic]]:
    """Every place the document breaks tests-schema.json: where, and a located diagnostic."""
    errors = _validator().iter_errors(doc.data)
    return [
        (tuple(e.absolute_path), _schema_diagnostic(doc, e)) for e in sorted(errors, key=by_path)
    ]


_KEY_WORDS = {
    (): ("description", "standard", "policy", "facts", "as_of", "cases"),
    ("case",): ("name", "description", "as_of", "set", "unset", "expect"),
    ("expect",): ("verdict", "maturity", "explanation_contains"),
    ("policy",): ("title", "target", "set", "exclude", "waive"),
}
_TYPE_WORDS = {
    "string": "a text",
    "object": "a mapping",
    "array": "a list",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def _schema_diagnostic(doc: YamlDoc, err: jsonschema.ValidationError) -> Diagnostic:
    path: YamlPath = tuple(err.absolute_path)
    where = _where(path)
    if "propertyNames" in err.schema_path:
        return _bad_key(doc, err, path)
    match err.validator:
        case "additionalProperties":
            extra = _extra_keys(err)[0]
            return Diagnostic(
                "aicxs_test_unknown_key",
                f"{where} has no key `{extra}`",
                doc.key_span((*path, extra)),
                _key_help(path, extra),
            )
        case "required":
            missing = str(err.message).split("'")[1]
            return Diagnostic(
                "aicxs_test_missing_key",
                f"{where} needs `{missing}`",
                doc.value_span(path),
                _REQUIRED_HELP.get(missing, f"add `{missing}:`"),
            )
        case "enum":
            allowed = [str(v) for v in err.validator_value]  # type: ignore[union-attr]
            word = "status" if set(allowed) == set(STATUSES) else "value"
            hint = did_you_mean(str(err.instance), allowed)
            return Diagnostic(
                "aicxs_test_unknown_status" if word == "status" else "aicxs_test_bad_value",
                f"`{err.instance}` is not {with_article(word)} ({where})",
                doc.value_span(path),
                (hint + " " if hint else "") + f"use one of: {', '.join(allowed)}",
            )
        case "type":
            want = err.validator_value
            wants = [want] if isinstance(want, str) else list(want)  # type: ignore[arg-type]
            words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wants)
            return Diagnostic(
                "aicxs_test_type",
                f"{where} should be {words}, not {_describe(err.instance)}",
                doc.value_span(path),
                f"write {words}",
            )
        case "format":
            return Diagnostic(
                "aicxs_test_bad_value",
                f"{where} is {_describe(err.instance)}, which is not a date",
                doc.value_span(path),
                "write dates as YYYY-MM-DD",
            )
        case "minItems" | "minProperties" | "minLength":
            return Diagnostic(
                "aicxs_test_bad_value",
                f"{where} is empty",
                doc.value_span(path),
                "give at least one entry, or remove the key",
            )
        case "minimum":
            return Diagnostic(
                "aicxs_test_bad_value",
                f"{where} is {err.instance}, below {err.validator_value}",
                doc.value_span(path),
                "levels and targets count from 0",
            )
    return Diagnostic(
        "aicxs_test_bad_value",
        f"{where}: {err.message}",
        doc.value_span(path),
        "see engine/tests-schema.json for the format of test files",
    )


_REQUIRED_HELP = {
    "policy": "name the policy under test, relative to this file: `policy: telecom.aicx`",
    "facts": "name the base facts, relative to this file: `facts: telecom.facts.yaml`",
    "as_of": "give the evaluation date of the cases: `as_of: 2026-11-27`",
    "cases": "add `cases:`, a list of cases each with `name:` and `expect:`",
    "name": "give the case a `name:` (it names the case in reports and in `--run`)",
    "expect": "say what the case expects, e.g. `expect: {P4.2: fail, verdict: not_certified}`",
    "target": "give the inline policy a target level: `target: 2`",
}


def _where(path: YamlPath) -> str:
    if not path:
        return "the test file"
    if path[0] == "cases" and len(path) >= 2:
        rest = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in path[2:])
        return f"case {int(path[1]) + 1}" + (f" `{rest[1:]}`" if rest else "")
    shown = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in path)
    return f"`{shown[1:]}`"


def _section(path: YamlPath) -> tuple[str, ...]:
    if not path:
        return ()
    if path[0] == "cases":
        return ("expect",) if path[-1] == "expect" else ("case",)
    return ("policy",) if path == ("policy",) else ("?",)


def _key_help(path: YamlPath, extra: str) -> str:
    known = _KEY_WORDS.get(_section(path), ())
    hint = did_you_mean(extra, known)
    if _section(path) == ("expect",):
        return hint or (
            "expect a status by id (`P4.2: fail`, `KR1: pass`), `verdict`, `maturity` "
            "or `explanation_contains`"
        )
    return hint or (f"the keys here are: {', '.join(known)}" if known else "remove it")


def _extra_keys(err: jsonschema.ValidationError) -> list[str]:
    schema = err.schema if isinstance(err.schema, dict) else {}
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    instance = err.instance if isinstance(err.instance, dict) else {}
    extras = [
        str(k) for k in instance if k not in known and not any(p.search(str(k)) for p in patterns)
    ]
    return extras or ["?"]


def _bad_key(doc: YamlDoc, err: jsonschema.ValidationError, path: YamlPath) -> Diagnostic:
    key = str(err.instance)
    owner = path[-1] if path else ""
    what = {
        "maturity": ("a pillar id such as `P4` or `overall`", "maturity: {P4: 2, overall: 2}"),
        "set": ("a parameter name such as `max_human_wait`", "set: {max_human_wait: 60 seconds}"),
    }.get(str(owner), ("an id such as `P4.2` or `KR1`", "P4.2: fail"))
    return Diagnostic(
        "aicxs_test_bad_value",
        f"`{key}` is not {what[0]} ({_where(path)})",
        doc.key_span((*path, key)),
        f"write it as in `{what[1]}`",
    )


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'the text "{value[:40]}"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"`{value}`"
