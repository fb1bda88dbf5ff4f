"""The compiled fast path agrees with the three-valued interpreter.

Checks are compiled to Python functions that decide with plain two-valued logic and give up
(raise) whenever a fact is missing or odd; the interpreter is the source of truth. These tests
evaluate the examples, and randomly damaged copies of their facts (facts removed, booleans
flipped, numbers and dates moved), in all three explanation modes, and require the same
statuses, verdict and maturity from each.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aicxs import engine
from aicxs.engine.compiler import compile_check
from aicxs.engine.evaluator import Context, evaluate_check
from aicxs.engine.types import Duration
from tests.conftest import ROOT

AS_OF = dt.date(2026, 11, 27)
EXAMPLES = ("retail-bank", "telecom", "startup", "insurer")


@pytest.fixture(scope="module")
def loaded() -> dict[str, tuple[engine.CompiledPolicy, dict[str, Any]]]:
    out = {}
    for name in EXAMPLES:
        policy = engine.load_policy(ROOT / "policies" / f"{name}.aicx")
        raw = yaml.safe_load((ROOT / "policies" / f"{name}.facts.yaml").read_text("utf-8"))
        raw.pop("evidence", None)
        out[name] = (policy, raw)
    return out


def outcome(report: engine.Report) -> tuple[object, ...]:
    statuses = [(r.id, r.status) for r in report.results]
    statuses += [(s.id, s.status) for r in report.results for s in r.rules]
    return (report.verdict, report.overall_level, [p.level for p in report.pillars], statuses)


def damage(value: Any, rng: random.Random) -> Any:
    """A copy of a facts document with some facts removed or changed (types kept)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k != "id" and rng.random() < 0.08:
                continue  # the fact goes missing
            out[k] = damage(v, rng)
        return out
    if isinstance(value, list):
        return [damage(v, rng) for v in value]
    if isinstance(value, bool):
        return (not value) if rng.random() < 0.1 else value
    if isinstance(value, int):
        return value + rng.randint(-200, 200) if rng.random() < 0.1 else value
    if isinstance(value, dt.date):
        moved = value - dt.timedelta(days=rng.randint(-400, 400))
        return min(moved, AS_OF) if rng.random() < 0.1 else value  # never after the evaluation
    return value


def test_examples_agree_in_every_mode(loaded: dict[str, Any]) -> None:
    for policy, raw in loaded.values():
        doc = policy.facts_from_data(raw)
        modes = {
            m: outcome(policy.evaluate(doc, AS_OF, explain=m)) for m in ("none", "fails", "full")
        }
        assert modes["none"] == modes["fails"] == modes["full"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(EXAMPLES))
def test_damaged_facts_agree_in_every_mode(loaded: dict[str, Any], seed: int, name: str) -> None:
    policy, raw = loaded[name]
    doc = policy.facts_from_data(damage(raw, random.Random(seed)))
    none, fails, full = (
        outcome(policy.evaluate(doc, AS_OF, explain=m)) for m in ("none", "fails", "full")
    )
    assert none == fails == full


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(EXAMPLES))
def test_each_compiled_check_matches_the_interpreter(
    loaded: dict[str, Any], seed: int, name: str
) -> None:
    """Where the compiled check decides, it decides as the interpreter; where a fact is
    missing it must give up rather than guess."""
    policy, raw = loaded[name]
    doc = policy.facts_from_data(damage(raw, random.Random(seed)))
    ctx = Context(doc, policy.plan.params, AS_OF, policy.vocabulary, scope=policy.plan.scope)
    for clause in policy.standard.clauses.values():
        assert clause.check is not None
        fn = compile_check(clause.check, policy.plan.params, policy.plan.scope)
        assert fn is not None
        expected = evaluate_check(clause.check, ctx).value
        try:
            got = fn(doc.data, AS_OF)
        except Exception:
            continue  # gave up: the interpreter decides
        assert got is expected, clause.id


def test_compiled_code_never_sees_user_text_as_code(loaded: dict[str, Any]) -> None:
    """User text (fact names, enum values, strings) becomes constants of the compiled functions,
    never identifiers: every name in the code is one the compiler made up."""
    import re
    import types

    policy, _ = loaded["retail-bank"]
    fns = [
        *policy.plan.fast_checks.values(),
        *policy.plan.fast_items.values(),
        *policy.plan.fast_conditions.values(),
    ]
    allowed = re.compile(r"(_k\d+|v_[a-z_0-9]+_\d+|v_[a-z_0-9]+|root|as_of|b|all|any|sum|\.0)$")
    strings: set[str] = set()
    for fn in fns:
        assert fn is not None
        codes = [fn.__code__]
        while codes:
            code = codes.pop()
            for name in (*code.co_names, *code.co_varnames):
                assert allowed.match(name), name
            strings.update(c for c in code.co_consts if isinstance(c, str))
            codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    assert {"lifecycle", "internal_pilot", "escalation"} <= strings


def test_durations_compare_as_numbers() -> None:
    assert Duration(120) <= Duration.of(2, "minutes") and str(Duration(120)) == "120 seconds"
    assert str(Duration.of(90, "days")) == "90 days"
