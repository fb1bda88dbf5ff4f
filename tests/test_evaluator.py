"""Three-valued evaluation of checks.

Kleene's tables are checked as algebra; then, over random checks and facts with gaps, that a
missing fact never decides a result on its own: a check is true (or false) with gaps only if it
is true (or false) for every way of filling them. The compiled fast path must agree with the
interpreter wherever it decides. Then quantifier explanations and date arithmetic.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aicxs.aicxs_dsl import ast, parse_text
from aicxs.aicxs_dsl.source import Source, Span
from aicxs.engine.compiler import compile_check, compile_item
from aicxs.engine.evaluator import Context, evaluate_check
from aicxs.engine.explain import quantifier_summary
from aicxs.engine.facts import FactsDocument
from aicxs.engine.loader import CompiledPolicy, compile_policy
from aicxs.engine.types import Duration
from aicxs.engine.values import (
    UNKNOWN,
    EvalError,
    Node,
    kleene_and,
    kleene_implies,
    kleene_not,
    kleene_or,
)

AS_OF = dt.date(2026, 11, 27)
MINIMAL_POLICY = "policy p implements AICXS 2024 {\n  target level 2\n}\n"


@functools.cache
def compiled() -> CompiledPolicy:
    return compile_policy(parse_text(MINIMAL_POLICY, "policies/p.aicx"))


def context(facts: FactsDocument, as_of: dt.date = AS_OF) -> Context:
    c = compiled()
    return Context(facts, c.plan.params, as_of, c.vocabulary)


def expr_of(text: str) -> ast.Expr:
    """A check expression parsed in a clause, with real spans (explanations quote them)."""
    src = f'pillar P1 "G" {{\n  clause P1.1 "A" {{\n    check {text}\n  }}\n}}\n'
    pillar = parse_text(src, "spec/checks.aicx").decls[0]
    assert isinstance(pillar, ast.PillarDecl)
    value = pillar.clauses[0].attrs[0].values[0]
    assert not isinstance(value, str | int | dt.date)
    return value


def evaluate(text: str, facts_yaml: str, as_of: dt.date = AS_OF) -> Node:
    facts = compiled().parse_facts(facts_yaml, "facts/acme.yaml")
    return evaluate_check(expr_of(text), context(facts, as_of))


# ---- Kleene's tables -------------------------------------------------------------------------

TRUTHS = st.sampled_from([True, False, UNKNOWN])
ORDER = {False: 0, UNKNOWN: 1, True: 2}  # the truth order: false < unknown < true


@settings(max_examples=100, deadline=None)
@given(TRUTHS, TRUTHS)
def test_and_or_are_commutative(a: Any, b: Any) -> None:
    assert kleene_and(a, b) is kleene_and(b, a)
    assert kleene_or(a, b) is kleene_or(b, a)


@settings(max_examples=100, deadline=None)
@given(TRUTHS, TRUTHS, TRUTHS)
def test_and_or_are_associative(a: Any, b: Any, c: Any) -> None:
    assert kleene_and(a, kleene_and(b, c)) is kleene_and(kleene_and(a, b), c)
    assert kleene_or(a, kleene_or(b, c)) is kleene_or(kleene_or(a, b), c)


@settings(max_examples=100, deadline=None)
@given(TRUTHS, TRUTHS)
def test_de_morgan(a: Any, b: Any) -> None:
    assert kleene_not(kleene_and(a, b)) is kleene_or(kleene_not(a), kleene_not(b))
    assert kleene_not(kleene_or(a, b)) is kleene_and(kleene_not(a), kleene_not(b))


@settings(max_examples=100, deadline=None)
@given(TRUTHS)
def test_identities_and_annihilators(a: Any) -> None:
    assert kleene_and(a, True) is a
    assert kleene_or(a, False) is a
    assert kleene_and(a, False) is False
    assert kleene_or(a, True) is True
    assert kleene_not(kleene_not(a)) is a
    assert kleene_implies(False, a) is True
    assert kleene_implies(a, True) is True
    assert kleene_implies(True, a) is a


@settings(max_examples=100, deadline=None)
@given(TRUTHS, TRUTHS)
def test_and_is_min_or_is_max_in_the_truth_order(a: Any, b: Any) -> None:
    assert ORDER[kleene_and(a, b)] == min(ORDER[a], ORDER[b])
    assert ORDER[kleene_or(a, b)] == max(ORDER[a], ORDER[b])
    assert kleene_implies(a, b) is kleene_or(kleene_not(a), b)


@settings(max_examples=100, deadline=None)
@given(st.booleans(), st.booleans())
def test_agrees_with_python_on_known_values(a: bool, b: bool) -> None:
    assert kleene_and(a, b) is (a and b)
    assert kleene_or(a, b) is (a or b)
    assert kleene_not(a) is (not a)
    assert kleene_implies(a, b) is ((not a) or b)


@settings(max_examples=100, deadline=None)
@given(TRUTHS, TRUTHS, st.booleans(), st.booleans())
def test_filling_in_an_unknown_never_changes_a_decided_result(
    a: Any, b: Any, fill_a: bool, fill_b: bool
) -> None:
    """Monotone in information: what is decided with gaps stays decided when they are filled."""
    a2 = fill_a if a is UNKNOWN else a
    b2 = fill_b if b is UNKNOWN else b
    for op in (kleene_and, kleene_or, kleene_implies):
        if op(a, b) is not UNKNOWN:
            assert op(a2, b2) is op(a, b)
    if kleene_not(a) is not UNKNOWN:
        assert kleene_not(a2) is kleene_not(a)


def test_an_error_is_absorbed_only_where_the_other_side_decides() -> None:
    err = EvalError("cannot compare a date with a number")
    assert kleene_and(err, False) is False
    assert kleene_and(False, err) is False
    assert kleene_or(err, True) is True
    assert kleene_or(True, err) is True
    assert kleene_and(err, True) is err
    assert kleene_and(UNKNOWN, err) is err
    assert kleene_or(err, False) is err
    assert kleene_not(err) is err
    assert kleene_implies(False, err) is True


# ---- unknown never turns into a decision -----------------------------------------------------

S = Span(Source("<generated>", ""), 0, 0)


def p(dotted: str) -> ast.Path:
    return ast.Path(tuple(dotted.split(".")), span=S)


# Facts that the random checks read, each with two values that matter to them.
ORG_FACTS: dict[str, tuple[Any, Any]] = {
    "organisation.strategy.documented": (True, False),
    "organisation.strategy.aligned_to_cx_objectives": (True, False),
    "organisation.governance.body_exists": (True, False),
    "organisation.disclosure_standard": (True, False),
    "organisation.training.staff_trained_share": (0.5, 0.95),
    "organisation.strategy.last_reviewed": (AS_OF - dt.timedelta(10), AS_OF - dt.timedelta(400)),
    "organisation.governance.meeting_interval": (Duration.of(30, "days"), Duration.of(120, "days")),
}
SYSTEM_IDS = ("web-chat", "voice-ivr")
SYSTEM_FACTS: dict[str, tuple[Any, Any]] = {
    "customer_facing": (True, False),
    "automated_decisions": (True, False),
    "risk": ("low", "high"),
    "escalation.available": (True, False),
}
VARIABLES = [*ORG_FACTS, *(f"systems[{i}].{f}" for i in SYSTEM_IDS for f in SYSTEM_FACTS)]


def domain(var: str) -> tuple[Any, Any]:
    if var in ORG_FACTS:
        return ORG_FACTS[var]
    return SYSTEM_FACTS[var.split("].", 1)[1]]


def org_leaves() -> st.SearchStrategy[ast.Expr]:
    bools = [p(name) for name, (v, _) in ORG_FACTS.items() if v is True]
    share = ast.Compare(
        ">=",
        p("organisation.training.staff_trained_share"),
        ast.ParamRef("min_training_coverage", span=S),
        span=S,
    )
    age = ast.Compare(
        "<=",
        ast.Call("age", (p("organisation.strategy.last_reviewed"),), span=S),
        ast.ParamRef("strategy_review_interval", span=S),
        span=S,
    )
    since = ast.Compare(
        ">",
        ast.Call("days_since", (p("organisation.strategy.last_reviewed"),), span=S),
        ast.IntLit(100, span=S),
        span=S,
    )
    interval = ast.Compare(
        "<=",
        p("organisation.governance.meeting_interval"),
        ast.DurationLit(92, "days", span=S),
        span=S,
    )
    literal = st.builds(lambda v: ast.BoolLit(v, span=S), st.booleans())
    return st.one_of(st.sampled_from([*bools, share, age, since, interval]), literal)


def item_leaves() -> st.SearchStrategy[ast.Expr]:
    paths = [p("s.customer_facing"), p("s.automated_decisions"), p("s.escalation.available")]
    high = ast.Compare("==", p("s.risk"), ast.StringLit("high", span=S), span=S)
    member = ast.Compare(
        "in",
        p("s.risk"),
        ast.ListLit((ast.StringLit("low", span=S), ast.StringLit("medium", span=S)), span=S),
        span=S,
    )
    own = st.sampled_from([*paths, high, member])
    return st.one_of(own, own, own, org_leaves())  # mostly the item's own facts


def combine(leaves: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    def extend(inner: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
        return st.one_of(
            st.builds(lambda a: ast.Not(a, span=S), inner),
            st.builds(lambda a, b: ast.And(a, b, span=S), inner, inner),
            st.builds(lambda a, b: ast.Or(a, b, span=S), inner, inner),
            st.builds(lambda a, b: ast.Implies(a, b, span=S), inner, inner),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def quantifiers() -> st.SearchStrategy[ast.Expr]:
    item = combine(item_leaves())
    quantifier = st.builds(
        lambda kind, where, body: ast.Quantifier(kind, "s", p("systems"), where, body, span=S),
        st.sampled_from(["all", "any", "none"]),
        st.none() | item,
        item,
    )
    count = st.builds(
        lambda where, op, n: ast.Compare(
            op, ast.Count("s", p("systems"), where, span=S), ast.IntLit(n, span=S), span=S
        ),
        st.none() | item,
        st.sampled_from([">=", "==", "<"]),
        st.integers(0, 2),
    )
    return st.one_of(quantifier, count)


CHECKS = combine(st.one_of(org_leaves(), quantifiers()))


def facts_data(values: dict[str, Any]) -> dict[str, Any]:
    """A facts document holding the values given; a variable not given is absent."""
    data: dict[str, Any] = {"organisation": {}, "systems": [{"id": i} for i in SYSTEM_IDS]}
    for var, value in values.items():
        if var in ORG_FACTS:
            target, parts = data, var.split(".")
        else:
            ident, rest = var.removeprefix("systems[").split("].", 1)
            target, parts = data["systems"][SYSTEM_IDS.index(ident)], rest.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return data


def run(check: ast.Expr, values: dict[str, Any], fast: bool = False) -> Any:
    ctx = context(FactsDocument("facts/generated.yaml", facts_data(values)))
    if fast:
        c = compiled()
        ctx.fast_items = {
            id(q): compile_item(q, c.plan.params, None)
            for q in walk(check)
            if isinstance(q, ast.Quantifier)
        }
    return evaluate_check(check, ctx).value


def walk(e: ast.Expr) -> list[ast.Expr]:
    out = [e]
    for name in ("operand", "left", "right", "where", "body"):
        child = getattr(e, name, None)
        if child is not None:
            out.extend(walk(child))
    return out


def read_by(check: ast.Expr) -> list[str]:
    """The variables a check reads (an item fact once per system)."""
    found: dict[str, None] = {}
    for e in walk(check):
        if isinstance(e, ast.Call):
            e = e.args[0]
        if not isinstance(e, ast.Path):
            continue
        dotted = ".".join(e.parts)
        if dotted in ORG_FACTS:
            found[dotted] = None
        elif e.parts[0] == "s" and ".".join(e.parts[1:]) in SYSTEM_FACTS:
            found.update((f"systems[{i}].{dotted[2:]}", None) for i in SYSTEM_IDS)
    return list(found)


@st.composite
def partial_facts(draw: st.DrawFn, check: ast.Expr) -> tuple[dict[str, Any], list[str]]:
    """Values for every variable, then 1 to 5 of those the check reads left out."""
    full = {v: draw(st.sampled_from(domain(v))) for v in VARIABLES}
    read = read_by(check)
    missing = (
        draw(st.lists(st.sampled_from(read), min_size=1, max_size=5, unique=True)) if read else []
    )
    return {v: x for v, x in full.items() if v not in missing}, missing


def assert_sound(check: ast.Expr, known: dict[str, Any], missing: list[str]) -> None:
    """With `missing` left out, the check is unknown, or what it is for every completion."""
    value = run(check, known)
    assert value is True or value is False or value is UNKNOWN, value
    completions = {
        run(check, {**known, **dict(zip(missing, filling, strict=True))})
        for filling in itertools.product(*(domain(v) for v in missing))
    }
    assert completions <= {True, False}, completions
    if value is not UNKNOWN:
        # Never true when some completion is false, and never false when one is true.
        assert completions == {value}, (value, completions, missing)
    if not missing:
        assert value is not UNKNOWN


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_unknown_is_decided_only_when_every_completion_agrees(data: st.DataObject) -> None:
    check = data.draw(CHECKS, label="check")
    known, missing = data.draw(partial_facts(check), label="facts")
    assert_sound(check, known, missing)


@pytest.mark.parametrize(
    ("check", "missing"),
    [
        ("all s in systems: s.escalation.available", ["systems[web-chat].escalation.available"]),
        (
            "any s in systems: not s.escalation.available",
            ["systems[voice-ivr].escalation.available"],
        ),
        ('none s in systems: s.risk == "high"', ["systems[web-chat].risk"]),
        (
            "all s in systems where s.customer_facing: s.escalation.available",
            ["systems[web-chat].customer_facing", "systems[voice-ivr].escalation.available"],
        ),
        (
            "count(s in systems where s.automated_decisions) >= 1",
            ["systems[web-chat].automated_decisions"],
        ),
        ("not organisation.strategy.documented", ["organisation.strategy.documented"]),
        (
            "organisation.strategy.documented or organisation.disclosure_standard",
            ["organisation.strategy.documented"],
        ),
        (
            "organisation.governance.body_exists implies organisation.strategy.documented",
            ["organisation.governance.body_exists"],
        ),
        (
            "organisation.training.staff_trained_share >= param min_training_coverage",
            ["organisation.training.staff_trained_share"],
        ),
        (
            "age(organisation.strategy.last_reviewed) <= param strategy_review_interval",
            ["organisation.strategy.last_reviewed"],
        ),
        (
            "organisation.governance.meeting_interval <= 92 days",
            ["organisation.governance.meeting_interval"],
        ),
    ],
)
@pytest.mark.parametrize("fill", [0, 1], ids=["first-values", "second-values"])
def test_unknown_is_sound_on_chosen_checks(check: str, missing: list[str], fill: int) -> None:
    known = {v: domain(v)[fill] for v in VARIABLES if v not in missing}
    assert_sound(expr_of(check), known, missing)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_fast_path_agrees_with_the_interpreter(data: st.DataObject) -> None:
    check = data.draw(CHECKS, label="check")
    known, _ = data.draw(partial_facts(check), label="facts")
    value = run(check, known)
    # Compiled quantifier items give the same verdict as interpreting every item.
    assert run(check, known, fast=True) is value
    # A compiled check either decides as the interpreter does, or declines (raises).
    fn = compile_check(check, compiled().plan.params, None)
    assert fn is not None
    try:
        fast = fn(facts_data(known), AS_OF)
    except Exception:
        return
    assert fast is value, (fast, value)


def nested() -> st.SearchStrategy[ast.Expr]:
    """`all s in systems: ... (any t in systems: ... t ... s ...)`: an inner quantifier whose
    items also read the outer one's."""

    def renamed(e: ast.Expr) -> ast.Expr:
        if isinstance(e, ast.Path) and e.parts[0] == "s":
            return ast.Path(("t", *e.parts[1:]), span=S)
        if isinstance(e, ast.Compare):
            return ast.Compare(e.op, renamed(e.left), renamed(e.right), span=S)
        return e

    own = item_leaves()
    inner = st.builds(
        lambda kind, a, b: ast.Quantifier(
            kind, "t", p("systems"), None, ast.And(renamed(a), b, span=S), span=S
        ),
        st.sampled_from(["all", "any", "none"]),
        own,
        own,
    )
    return st.builds(
        lambda kind, where, a, q: ast.Quantifier(
            kind, "s", p("systems"), where, ast.Or(a, q, span=S), span=S
        ),
        st.sampled_from(["all", "any", "none"]),
        st.none() | own,
        own,
        inner,
    )


def run_compact(check: ast.Expr, values: dict[str, Any]) -> Node:
    """As `run`, with every compiled item test, in compact explanations that explain no
    unknown item one by one (each is counted, with what it misses)."""
    from unittest import mock

    from aicxs.engine.kleene_compiler import compile_item3
    from aicxs.engine.plan import _bound_around

    c = compiled()
    ctx = context(FactsDocument("facts/generated.yaml", facts_data(values)))
    quantifiers = [q for q in walk(check) if isinstance(q, ast.Quantifier)]
    ctx.fast_items = {id(q): compile_item(q, c.plan.params, None) for q in quantifiers}
    ctx.fast_unknowns = {
        id(q): compile_item3(q, c.plan.params, None, outer)
        for q, outer in _bound_around(check, frozenset())
    }
    with mock.patch("aicxs.engine.evaluator.SHOWN_ITEMS", 0):
        return evaluate_check(check, ctx)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_three_valued_items_agree_with_the_interpreter(data: st.DataObject) -> None:
    """Unknown items counted by the compiled three-valued test, not explained, leave the
    check's value and its missing facts as the interpreter's, nested quantifiers included."""
    check = data.draw(st.one_of(CHECKS, nested()), label="check")
    known, _ = data.draw(partial_facts(check), label="facts")
    ctx = context(FactsDocument("facts/generated.yaml", facts_data(known)))
    ctx.detail = "full"
    interpreted = evaluate_check(check, ctx)
    compact = run_compact(check, known)
    assert compact.value is interpreted.value
    assert compact.missing() == interpreted.missing()


def test_fast_path_divides_durations_as_the_interpreter_does() -> None:
    """`duration / int` is a duration of whole seconds in the interpreter (33 seconds here);
    the compiled check divided plain numbers (33.33...) and so decided the other way."""
    check = expr_of("100 seconds / 3 > 33 seconds")
    interpreted = evaluate_check(check, context(FactsDocument("f.yaml", {}))).value
    fn = compile_check(check, compiled().plan.params, None)
    assert fn is not None
    try:
        fast = fn({}, AS_OF)
    except Exception:
        return  # declining is fine; deciding differently is not
    assert fast is interpreted


# ---- quantifiers, explained ------------------------------------------------------------------

SYSTEMS = """\
systems:
  - id: web-chat
    customer_facing: true
    escalation:
      available: true
  - id: voice-ivr
    customer_facing: true
    escalation:
      available: false
  - id: back-office
    customer_facing: false
"""


def test_all_names_its_counterexamples_by_id() -> None:
    node = evaluate("all s in systems where s.customer_facing: s.escalation.available", SYSTEMS)
    assert node.value is False
    assert node.items is not None
    assert [(i.name, i.truth) for i in node.items] == [("web-chat", True), ("voice-ivr", False)]
    summary = quantifier_summary(node)
    assert summary.startswith("1 of 2 systems")
    assert summary.endswith("fail: voice-ivr")


def test_any_names_its_witnesses() -> None:
    node = evaluate("any s in systems: not s.customer_facing", SYSTEMS)
    assert node.value is True
    assert node.items is not None
    assert [i.name for i in node.items if i.truth is True] == ["back-office"]
    assert quantifier_summary(node) == "1 of 3 systems satisfy it: back-office"


def test_none_names_the_items_that_match() -> None:
    node = evaluate("none s in systems: s.customer_facing and not s.escalation.available", SYSTEMS)
    assert node.value is False
    assert quantifier_summary(node) == "1 of 3 systems match, none may: voice-ivr"


def test_a_missing_fact_makes_the_quantifier_unknown_and_is_named() -> None:
    facts = SYSTEMS.replace("    escalation:\n      available: false\n", "")
    node = evaluate("all s in systems where s.customer_facing: s.escalation.available", facts)
    assert node.value is UNKNOWN
    assert node.missing() == ["systems[voice-ivr].escalation.available"]
    assert quantifier_summary(node).endswith(
        "unknown for 1: voice-ivr; missing `escalation.available` on 1"
    )


def test_a_false_item_decides_all_despite_a_missing_one() -> None:
    facts = SYSTEMS.replace(
        "    customer_facing: true\n    escalation:\n      available: true\n", ""
    )
    node = evaluate("all s in systems: s.escalation.available", facts)
    assert node.value is False  # voice-ivr fails whatever web-chat's fact is
    # ... and the facts it could not read are still listed: once voice-ivr is fixed, they
    # decide (a roadmap asks for them; issue: verdict integrity, one list of missing facts)
    assert node.missing() == [
        "systems[back-office].escalation.available",
        "systems[web-chat].escalation.available",
    ]


def test_quantifier_over_no_items() -> None:
    assert evaluate("all s in systems: s.customer_facing", "systems: []\n").value is True
    assert evaluate("any s in systems: s.customer_facing", "systems: []\n").value is False
    assert evaluate("all s in systems: s.customer_facing", "organisation: {}\n").value is UNKNOWN


def test_count() -> None:
    node = evaluate("count(s in systems where s.customer_facing)", SYSTEMS)
    assert node.value == 2
    assert quantifier_summary(node).startswith("2 of 3 systems")
    assert evaluate("count(s in systems)", SYSTEMS).value == 3
    facts = SYSTEMS.replace("    customer_facing: false\n", "")
    assert evaluate("count(s in systems where s.customer_facing)", facts).value is UNKNOWN
    # ... but a comparison it cannot change is still unknown, not guessed.
    assert evaluate("count(s in systems where s.customer_facing) >= 2", facts).value is UNKNOWN


def test_clause_with_a_counterexample_fails_and_with_a_gap_is_unknown() -> None:
    c = compiled()
    failing = SYSTEMS.replace(
        "      available: false\n", "      available: true\n      max_wait: 900 seconds\n"
    )
    report = c.evaluate(c.parse_facts(failing, "facts/acme.yaml"), AS_OF)
    p42 = report.result("P4.2")
    assert p42 is not None and p42.status.value == "fail"  # voice-ivr: 900 s > 120 s
    report = c.evaluate(c.parse_facts(SYSTEMS, "facts/acme.yaml"), AS_OF)
    p42 = report.result("P4.2")
    assert p42 is not None and p42.status.value == "fail"
    gap = SYSTEMS.replace("      available: false\n", "")
    report = c.evaluate(c.parse_facts(gap, "facts/acme.yaml"), AS_OF)
    p42 = report.result("P4.2")
    assert p42 is not None and p42.status.value == "unknown"
    assert "systems[voice-ivr].escalation.available" in p42.missing


# ---- dates -----------------------------------------------------------------------------------

REVIEWED = "organisation:\n  strategy:\n    last_reviewed: 2026-05-21\n"


def test_age_and_days_since_count_from_as_of() -> None:
    # 2026-05-21 to 2026-11-27: 10 + 30 + 31 + 31 + 30 + 31 + 27 days.
    assert evaluate("age(organisation.strategy.last_reviewed)", REVIEWED).value == Duration.of(
        190, "days"
    )
    assert evaluate("days_since(organisation.strategy.last_reviewed)", REVIEWED).value == 190
    later = dt.date(2027, 5, 21)
    assert evaluate("days_since(organisation.strategy.last_reviewed)", REVIEWED, later).value == 365


def test_age_against_a_parameter() -> None:
    check = "age(organisation.strategy.last_reviewed) <= param strategy_review_interval"
    assert evaluate(check, REVIEWED).value is True  # 190 days <= 365 days
    assert evaluate(check, REVIEWED, dt.date(2027, 5, 21)).value is True  # exactly 365 days
    assert evaluate(check, REVIEWED, dt.date(2027, 5, 22)).value is False
    assert evaluate(check, "organisation: {}\n").value is UNKNOWN


def test_date_arithmetic() -> None:
    assert evaluate("organisation.strategy.last_reviewed + 30 days", REVIEWED).value == dt.date(
        2026, 6, 20
    )
    assert evaluate("organisation.strategy.last_reviewed - 1 week", REVIEWED).value == dt.date(
        2026, 5, 14
    )
    assert evaluate("today() - organisation.strategy.last_reviewed", REVIEWED).value == (
        Duration.of(190, "days")
    )
    assert evaluate("today() > organisation.strategy.last_reviewed + 180 days", REVIEWED).value
    leap = "organisation:\n  strategy:\n    last_reviewed: 2024-02-28\n"
    assert (
        evaluate("days_since(organisation.strategy.last_reviewed)", leap, dt.date(2024, 3, 1)).value
        == 2
    )


def test_a_comparison_that_fails_says_what_would_pass() -> None:
    node = evaluate("age(organisation.strategy.last_reviewed) <= 90 days", REVIEWED)
    assert node.value is False
    assert node.hint == "passes if: age(organisation.strategy.last_reviewed) <= 90 days"
