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
from aicxs.engine.compiler import compile_check, quantifiers
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


# ---- sparse facts: the three-valued compiled items ------------------------------------------


def sparse(value: Any, rng: random.Random, keep: float) -> Any:
    """A copy with only `keep` of the facts of each record left (ids kept), as in an
    organisation half-way through its first assessment; lists keep their items."""
    if isinstance(value, dict):
        return {
            k: sparse(v, rng, keep)
            for k, v in value.items()
            if k == "id" or isinstance(v, list) or rng.random() < keep
        }
    if isinstance(value, list):
        return [sparse(v, rng, keep) for v in value]
    return value


def item_pairs(node: Any) -> set[tuple[str, str]]:
    """What an interpreted unknown item misses, as the quantifier would count it (inside it,
    what a decided condition read missing does not count)."""
    return set(node.missing_pairs(decided_too=False)) if node is not None else set()


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    name=st.sampled_from(EXAMPLES),
    keep=st.sampled_from([0.1, 0.3, 0.6, 0.9]),
)
def test_three_valued_items_agree_with_the_interpreter(
    loaded: dict[str, Any], seed: int, name: str, keep: float
) -> None:
    """Item by item, the compiled three-valued test gives the interpreter's truth and the
    same missing facts (what the interpreter's item where/body miss when the item is
    unknown), or gives up."""
    from aicxs.engine.evaluator import _items, _where
    from aicxs.engine.tally import unknown_item
    from aicxs.engine.values import UNKNOWN, kleene_and, kleene_implies

    policy, raw = loaded[name]
    doc = policy.facts_from_data(sparse(raw, random.Random(seed), keep))
    plan = policy.plan
    ctx = Context(doc, plan.params, AS_OF, policy.vocabulary, scope=plan.scope, detail="full")
    checks = [c.check for c in policy.standard.clauses.values()] + [
        r.check for r in policy.policy.rules
    ]
    decided = 0
    for check in checks:
        assert check is not None
        for q in quantifiers(check):
            fn = plan.fast_unknowns.get(id(q))
            if fn is None:
                continue
            _, bindings = _items(q.source, ctx)
            for b in bindings:
                found = unknown_item(fn, b, ctx)
                ctx.bindings[q.var], ctx.values[q.var] = b, b.value
                try:
                    where = _where(q.source, q.where, ctx, b)
                    body = (
                        None
                        if where is not None and where.value is False
                        else evaluate_check(q.body, ctx)
                    )
                finally:
                    ctx.bindings.pop(q.var), ctx.values.pop(q.var)
                if found is None:
                    continue  # gave up: the interpreter decides
                truth, noted = found
                decided += 1
                if body is None:
                    assert truth is None
                    continue
                w = True if where is None else where.value
                want = (
                    kleene_implies(w, body.value) if q.kind == "all" else kleene_and(w, body.value)
                )
                assert truth is want, (q.span.location(), b.name)
                if truth is UNKNOWN:
                    pairs = {_pair(tag, rest, q.var, b) for tag, rest in noted}
                    assert pairs == item_pairs(where) | item_pairs(body), b.name
    assert decided


def _pair(tag: str, rest: str, var: str, binding: Any) -> tuple[str, str]:
    if not tag:
        return rest, ""
    assert tag == var  # the standard's checks have no nested quantifiers
    return binding.pattern + rest, binding.shown


def copies(raw: dict[str, Any], n: int) -> dict[str, Any]:
    """The document with its systems copied `n` times, each copy with its own id."""
    systems = [
        {**s, "id": f"{s['id']}-{i}"} if i else s for i in range(n) for s in raw.get("systems", [])
    ]
    return {**raw, "systems": systems}


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(EXAMPLES))
def test_sparse_facts_agree_in_every_mode(loaded: dict[str, Any], seed: int, name: str) -> None:
    """Statuses, verdict and the missing facts of every result are the same whether unknown
    items are explained one by one (`full`) or, beyond the first few, counted (`fails`,
    `none`): copied six times, every example has more unknown items than are explained."""
    policy, raw = loaded[name]
    doc = policy.facts_from_data(sparse(copies(raw, 6), random.Random(seed), 0.3))
    reports = {m: policy.evaluate(doc, AS_OF, explain=m) for m in ("none", "fails", "full")}
    outcomes = {m: outcome(r) for m, r in reports.items()}
    assert outcomes["none"] == outcomes["fails"] == outcomes["full"]

    def missing(report: engine.Report) -> list[object]:
        return [(r.id, r.missing) for r in report.results] + [report.missing_facts]

    assert missing(reports["fails"]) == missing(reports["full"])
