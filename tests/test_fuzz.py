"""Fuzzing: whatever text or data comes in, only documented errors come out.

Hypothesis feeds the parser (random text; the bundled spec and the example policies with bytes
flipped, deleted, duplicated, spliced or hostile tokens inserted), the facts loader (random
YAML and JSON documents; the example facts mutated) and the evaluator (facts made from the
policy's vocabulary, valid and broken, through `parse_facts` and `evaluate` in the three explain
modes, then rendered). The property: a result, or `DiagnosticError` whose every diagnostic has
a code from docs/errors.md; nothing else escapes.

The suite runs a bounded number of examples (profile `aicxs-fuzz`). A long campaign:
    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py --hypothesis-show-statistics
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aicxs.aicxs_dsl import DiagnosticError, parse_text
from aicxs.aicxs_dsl.parser import decode
from aicxs.engine import load_policy
from aicxs.engine.facts.convert import _Invalid
from aicxs.engine.loader import CompiledPolicy, compile_policy, standard_from_module
from aicxs.engine.outcome import Report
from aicxs.engine.render import report_json, report_text
from aicxs.engine.types import Type, key_field
from tests.conftest import ROOT

_COMMON = {
    "deadline": None,
    "database": None,
    "derandomize": False,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("aicxs-fuzz", max_examples=50, **_COMMON)
settings.register_profile("long", max_examples=20_000, **_COMMON)
PROFILE = settings.get_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "aicxs-fuzz")
    if os.environ.get("HYPOTHESIS_PROFILE") in ("aicxs-fuzz", "long")
    else "aicxs-fuzz"
)

CODES = set(re.findall(r"^### `(aicxs_[a-z_]+)`", (ROOT / "docs/errors.md").read_text(), re.M))
SPEC_TEXT = (ROOT / "spec" / "aicxs-2024.aicx").read_text("utf-8")
POLICIES = {p.name: p.read_text("utf-8") for p in sorted((ROOT / "policies").glob("*.aicx"))}
FACTS = {p.name: p.read_text("utf-8") for p in sorted((ROOT / "policies").glob("*.facts.yaml"))}
AS_OF = dt.date(2026, 11, 27)

# The spec in top-level chunks (each declaration with the comments before it), so a mutated
# piece of the standard parses fast; a whole mutated spec is drawn too, more rarely.
SPEC_CHUNKS = re.split(r"\n(?=[a-z])", SPEC_TEXT)
HOSTILE_TOKENS = [
    "{", "}", "(", ")", "[", "]", '"', '"""', "#", "\\", "\r", "\r\n", "\t", "\ufeff", "\x00",
    "\x1b[2J", "\ud800", " not ", " and ", " implies ", "all s in systems: ", "count(",
    "param ", "99999999999999999999999", "2025-02-30", "1.5", "-", "..", "policy", "standard",
    "clause", "rule", "waive", "level", "é", "\u2028", "𝔸", ": ", "- ", "&a ", "*a", "<<: ",
    "!!python/object ", "? ", "---\n", "~", ".nan", "-.inf", "1e999", "NaN", '"\\ud83d"',
]  # fmt: skip


def assert_documented(err: DiagnosticError) -> None:
    assert err.diagnostics, "a DiagnosticError must carry a diagnostic"
    event(f"error {err.diagnostics[0].code}")
    for d in err.diagnostics:
        assert d.code in CODES, f"{d.code} is not in docs/errors.md: {d.message}"
        assert d.message and d.help is not None
        if d.span is not None:
            d.span.snippet()  # every located diagnostic can be shown
            assert d.span.line >= 1 and d.span.col >= 1


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> bytes:
    """One of `texts`, as UTF-8 bytes, after one to four random edits."""
    data = bytearray(draw(st.sampled_from(texts)).encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        match draw(st.sampled_from(["flip", "delete", "duplicate", "splice", "insert"])):
            case "flip" if data:
                at = min(at, len(data) - 1)
                data[at] ^= 1 << draw(st.integers(0, 7))
            case "delete":
                data[at : at + draw(st.integers(1, 64))] = b""
            case "duplicate":
                end = at + draw(st.integers(1, 200))
                data[at:at] = data[at:end]
            case "splice":
                other = draw(st.sampled_from(texts)).encode("utf-8")
                start = draw(st.integers(0, len(other)))
                data[at:at] = other[start : start + draw(st.integers(1, 300))]
            case _:
                token = draw(st.sampled_from(HOSTILE_TOKENS))
                data[at:at] = token.encode("utf-8", "surrogatepass")
    return bytes(data)


def parse_bytes(data: bytes, name: str) -> Any:
    return parse_text(decode(name, data), name)


# ---- the parser and the checker ---------------------------------------------------------


@settings(PROFILE)
@given(st.text(max_size=300) | st.lists(st.sampled_from(HOSTILE_TOKENS), max_size=40).map("".join))
def test_random_text_parses_or_is_a_documented_error(text: str) -> None:
    try:
        module = parse_text(text, "random.aicx")
    except DiagnosticError as err:
        assert_documented(err)
        return
    for build in (standard_from_module, compile_policy):
        try:
            build(module)
        except DiagnosticError as err:
            assert_documented(err)


@settings(PROFILE)
@given(mutated(list(POLICIES.values())))
def test_mutated_policies_load_or_are_documented_errors(data: bytes) -> None:
    try:
        compiled = compile_policy(parse_bytes(data, "policies/mutated.aicx"))
    except DiagnosticError as err:
        assert_documented(err)
        return
    event("loaded")
    assert compiled.policy.name


@settings(PROFILE)
@given(st.one_of(mutated(SPEC_CHUNKS), mutated(SPEC_CHUNKS[:1] + SPEC_CHUNKS[1::7])))
def test_mutated_standard_loads_or_is_a_documented_error(data: bytes) -> None:
    try:
        standard_from_module(parse_bytes(data, "spec/mutated.aicx"))
    except DiagnosticError as err:
        assert_documented(err)


@settings(PROFILE.__class__(PROFILE, max_examples=max(5, PROFILE.max_examples // 20)))
@given(mutated([SPEC_TEXT]))
def test_mutated_whole_standard_loads_or_is_a_documented_error(data: bytes) -> None:
    try:
        standard_from_module(parse_bytes(data, "spec/mutated.aicx"))
    except DiagnosticError as err:
        assert_documented(err)


# ---- the facts loader -------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.dates().map(dt.date.isoformat)
    | st.sampled_from(["90 days", "120 seconds", "voice", "web-chat", "high", "yes", ""])
)
KEYS = st.sampled_from(["organisation", "systems", "id", "strategy", "documented", "evidence"])
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def telecom() -> CompiledPolicy:
    return load_policy(ROOT / "policies" / "telecom.aicx")


def _dump(data: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(data, allow_nan=True)
    return yaml.safe_dump(data, allow_unicode=True)


SYSTEM_KEYS = st.sampled_from(["id", "customer_facing", "channel", "risk", "escalation", "name"])
DOCUMENTS = (
    JSON_VALUES
    | st.dictionaries(KEYS, JSON_VALUES, max_size=5)
    | st.fixed_dictionaries(
        {},
        optional={
            "organisation": st.dictionaries(KEYS | st.text(max_size=8), JSON_VALUES, max_size=4),
            "systems": st.lists(st.dictionaries(SYSTEM_KEYS, JSON_VALUES, max_size=6), max_size=4),
            "evidence": JSON_VALUES,
        },
    )
)


@settings(PROFILE)
@given(data=DOCUMENTS, as_json=st.booleans())
def test_random_documents_load_or_are_documented_errors(
    telecom: CompiledPolicy, data: Any, as_json: bool
) -> None:
    name = "random.json" if as_json else "random.yaml"
    try:
        doc = telecom.parse_facts(_dump(data, as_json), name)
    except DiagnosticError as err:
        assert_documented(err)
        return
    event("loaded")
    assert isinstance(doc.data, dict)


@settings(PROFILE)
@given(data=mutated(list(FACTS.values())))
def test_mutated_facts_load_or_are_documented_errors(telecom: CompiledPolicy, data: bytes) -> None:
    try:
        doc = telecom.parse_facts(decode("mutated.facts.yaml", data), "mutated.facts.yaml")
    except DiagnosticError as err:
        assert_documented(err)
        return
    event("evaluated")
    evaluate_everything(telecom, doc)


# ---- the evaluator ----------------------------------------------------------------------


def facts_of(t: Type, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of type `t`, as a facts file writes them (YAML dates may be dates)."""
    match t.kind:
        case "bool":
            return st.booleans()
        case "int":
            return st.integers(-1000, 10**6)
        case "number":
            return st.floats(-1e6, 1e6, allow_nan=False) | st.integers(0, 100)
        case "string":
            return st.text(max_size=12)
        case "date":
            return st.dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31))
        case "duration":
            units = st.sampled_from(
                ["seconds", "minutes", "hours", "days", "weeks", "day", "months", "year"]
            )
            return st.builds(lambda n, u: f"{n} {u}", st.integers(0, 5000), units)
        case "enum":
            return st.sampled_from(t.values)
        case "list" if t.item is not None:
            key = key_field(t.item) if t.item.kind == "record" else None
            items = facts_of(t.item, depth + 1)
            if key:
                return st.lists(items, max_size=4, unique_by=lambda x: x[key])
            return st.lists(items, max_size=4)
        case "record":
            required = {n: facts_of(f.type, depth + 1) for n, f in t.fields.items() if f.key}
            optional = {n: facts_of(f.type, depth + 1) for n, f in t.fields.items() if not f.key}
            return st.fixed_dictionaries(required, optional=optional)
    return st.none()


@st.composite
def broken(draw: st.DrawFn, valid: Any) -> Any:
    """`valid` with one value, somewhere inside, replaced by random data."""
    path: list[Any] = []
    node = valid
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        path.append(key)
        node = node[key]
    if not path:
        return draw(JSON_VALUES)
    parent = valid
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = draw(JSON_VALUES)
    return valid


def evaluate_everything(compiled: CompiledPolicy, doc: Any) -> None:
    for mode in ("none", "fails", "full"):
        try:
            report = compiled.evaluate(doc, AS_OF, explain=mode)
        except DiagnosticError as err:  # facts implausible on the evaluation date
            assert_documented(err)
            assert {d.code for d in err.diagnostics} == {"aicxs_facts_future_date"}
            return
        assert isinstance(report, Report)
        assert report.verdict in ("certified", "not_certified", "undetermined")
        json.dumps(report_json(report, mode), ensure_ascii=False).encode("utf-8")
        report_text(report, mode, lambda text, truth: text).encode("utf-8")


@st.composite
def facts_documents(draw: st.DrawFn, compiled: CompiledPolicy) -> tuple[str, bool]:
    data = draw(facts_of(compiled.vocabulary))
    if draw(st.integers(0, 2)) == 0:
        data = draw(broken(data))
    as_json = draw(st.booleans())
    if as_json:
        return json.dumps(data, default=str, allow_nan=True), True
    return yaml.safe_dump(data, allow_unicode=True), False


POLICY_NAMES = sorted(POLICIES)


@settings(PROFILE)
@given(data=st.data(), policy=st.sampled_from(POLICY_NAMES))
def test_evaluation_of_any_facts_is_a_report_or_a_documented_error(
    data: st.DataObject, policy: str
) -> None:
    compiled = _compiled(policy)
    text, as_json = data.draw(facts_documents(compiled))
    try:
        doc = compiled.parse_facts(text, "fuzz.json" if as_json else "fuzz.yaml")
    except DiagnosticError as err:
        assert_documented(err)
        return
    event("evaluated")
    evaluate_everything(compiled, doc)


@settings(PROFILE)
@given(data=st.data(), policy=st.sampled_from(POLICY_NAMES))
def test_fast_and_slow_facts_paths_agree(data: st.DataObject, policy: str) -> None:
    """The one-pass converter accepts exactly what normalising + the schema + typing accept,
    and gives the same facts and evidence: each path is run alone, the other switched off."""
    compiled = _compiled(policy)
    text, as_json = data.draw(facts_documents(compiled))
    raw = json.loads(text) if as_json else yaml.safe_load(text)
    if data.draw(st.booleans()) and isinstance(raw, dict):
        raw["evidence"] = data.draw(EVIDENCE)
    with mock.patch("aicxs.engine.facts._normalise", side_effect=_SlowPath):
        fast = _facts_or_none(compiled, raw)
    with mock.patch("aicxs.engine.facts.converter", side_effect=_Invalid):
        slow = _facts_or_none(compiled, raw)
    event("accepted" if fast is not None else "refused")
    assert fast == slow


class _SlowPath(Exception):
    """Raised where the slow path would start: the fast path did not decide."""


EVIDENCE = st.lists(
    st.fixed_dictionaries(
        {"fact": st.sampled_from(["systems", "organisation.strategy", "x"])},
        optional={
            "source": st.text(max_size=10),
            "date": st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
            "by": st.text(max_size=10) | st.integers(),
        },
    )
    | JSON_VALUES,
    max_size=3,
)


def _facts_or_none(compiled: CompiledPolicy, raw: Any) -> Any:
    try:
        doc = compiled.facts_from_data(copy.deepcopy(raw), "fuzz.yaml")
    except (_SlowPath, DiagnosticError):
        return None
    return doc.data, doc.evidence


_COMPILED: dict[str, CompiledPolicy] = {}


def _compiled(name: str) -> CompiledPolicy:
    if name not in _COMPILED:
        _COMPILED[name] = load_policy(Path(ROOT / "policies" / name))
    return _COMPILED[name]
