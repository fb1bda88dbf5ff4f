"""Mutation smoke test: the standard's own tests must catch a broken check.

Copies of spec/aicxs-2024.aicx are made with one mutation each: a comparison flipped (`<=` to
`>`, `==` to `!=`, `in` to `not in`), one conjunct of an `and` dropped, or one condition
negated. The sites come from one parse of the standard (the spans of its check expressions), so
each mutant is the original text with one span rewritten. A bounded, deterministic selection,
spread over the clauses, is loaded with `spec_path` and the cases of spec/aicxs-2024.tests.yaml
are run against it: at least one case must fail for every mutant tried.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aicxs.aicxs_dsl import ast
from aicxs.engine import load_standard
from aicxs.engine.testing.coverage import conditions
from aicxs.engine.testing.runner import run_tests, select
from aicxs.engine.testing.testfile import PolicyTestFile, load_test_files
from tests.conftest import SPEC

SPEC_TESTS = "spec/aicxs-2024.tests.yaml"
FLIP = {"<=": ">", ">": "<=", "<": ">=", ">=": "<", "==": "!=", "!=": "==", "in": "not in"}
FLIP["not in"] = "in"
KINDS = ("flip", "drop", "negate")


@dataclass(frozen=True)
class Mutant:
    clause: str
    kind: str  # flip | drop | negate
    start: int
    end: int
    replacement: str

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]

    def describe(self, text: str) -> str:
        before = " ".join(text[self.start : self.end].split())
        return f"{self.clause} {self.kind}: `{before}` -> `{' '.join(self.replacement.split())}`"


def _operands(expr: ast.Expr, kind: type) -> list[ast.Expr]:
    if type(expr) is kind:
        assert isinstance(expr, ast.And | ast.Or)
        return _operands(expr.left, kind) + _operands(expr.right, kind)
    return [expr]


def _chain(expr: ast.Expr) -> Iterator[int]:
    """The ids of the `and` nodes of one chain `a and b and c` (not of chains inside it)."""
    if isinstance(expr, ast.And):
        yield id(expr)
        yield from _chain(expr.left)
        yield from _chain(expr.right)


def _walk(expr: ast.Expr) -> Iterator[ast.Expr]:
    yield expr
    for name in ("left", "right", "operand", "where", "body"):
        child = getattr(expr, name, None)
        if child is not None and not isinstance(child, str):
            yield from _walk(child)


def mutants_of(clause: str, check: ast.Expr, text: str) -> dict[str, list[Mutant]]:
    """Every mutation site of one check, by kind, in source order."""
    found: dict[str, list[Mutant]] = {"flip": [], "drop": [], "negate": []}
    seen_chains: set[int] = set()
    for expr in _walk(check):
        if isinstance(expr, ast.Compare) and expr.op in FLIP:
            gap = text[expr.left.span.end : expr.right.span.start]
            at = expr.left.span.end + gap.index(expr.op)
            found["flip"].append(Mutant(clause, "flip", at, at + len(expr.op), FLIP[expr.op]))
        if isinstance(expr, ast.And) and id(expr) not in seen_chains:
            parts = _operands(expr, ast.And)
            seen_chains.update(_chain(expr))
            for dropped in range(len(parts)):
                kept = [p for i, p in enumerate(parts) if i != dropped]
                joined = " and ".join(f"({p.span.text()})" for p in kept)
                found["drop"].append(
                    Mutant(clause, "drop", expr.span.start, expr.span.end, f"({joined})")
                )
    for cond in conditions(check):
        span = cond.span
        found["negate"].append(
            Mutant(clause, "negate", span.start, span.end, f"(not ({span.text()}))")
        )
    return found


def mutants_by_clause() -> dict[str, dict[str, list[Mutant]]]:
    """Every mutation site of the standard, per clause (in source order) and kind."""
    std = load_standard(SPEC).standard
    text = SPEC.read_text("utf-8")
    out = {}
    for pillar in std.pillars.values():
        for cid in pillar.clauses:
            check = std.clauses[cid].check
            if check is not None:
                out[cid] = mutants_of(cid, check, text)
    return out


def selection() -> list[Mutant]:
    """One mutant per clause, the kinds taken in turn (flip, drop, negate; the next kind when
    a clause has no site of that kind), each at a different site: the same on every run."""
    chosen = []
    for i, (_, sites) in enumerate(mutants_by_clause().items()):
        for kind in (KINDS[(i + k) % len(KINDS)] for k in range(len(KINDS))):
            if sites[kind]:
                chosen.append(sites[kind][(i // len(KINDS)) % len(sites[kind])])
                break
    return chosen


def killed(mutant: Mutant, files: list[PolicyTestFile], tmp_path: Path, text: str) -> bool:
    """Whether some case of the standard's tests fails against the mutant, loaded from its
    own file as `aicxs test --spec FILE` would (the test files are loaded once)."""
    path = tmp_path / f"mutant-{mutant.start}-{mutant.kind}.aicx"
    path.write_text(mutant.apply(text), "utf-8")
    against = [f.against(path) for f in files]
    runs = run_tests(select(against, None), fail_fast=True)
    return any(not r.passed for r in runs)


def test_the_selection_spreads_over_the_clauses() -> None:
    chosen = selection()
    clauses = [c.id for c in load_standard(SPEC).standard.clauses.values() if c.check]
    assert 20 <= len(chosen) <= 40
    assert sorted(m.clause for m in chosen) == sorted(clauses)  # one per clause
    kinds = Counter(m.kind for m in chosen)
    assert set(kinds) == set(KINDS) and min(kinds.values()) >= 5, kinds


def test_the_unmutated_standard_passes_its_tests() -> None:
    files = load_test_files([SPEC_TESTS])
    runs = run_tests(select(files, None))
    assert runs and all(r.passed for r in runs), [r.case.name for r in runs if not r.passed]


def test_every_mutant_tried_is_killed(
    tmp_path: Path, record_property: pytest.FixtureRequest
) -> None:
    text = SPEC.read_text("utf-8")
    started = time.perf_counter()
    chosen = selection()
    files = load_test_files([SPEC_TESTS])
    survivors = [m.describe(text) for m in chosen if not killed(m, files, tmp_path, text)]
    took = time.perf_counter() - started
    tried, dead = len(chosen), len(chosen) - len(survivors)
    by_kind = dict(Counter(m.kind for m in chosen))
    print(f"\nmutants tried: {tried} {by_kind}; killed: {dead}; {took:.1f} s")
    record_property("mutants_tried", tried)  # type: ignore[operator]
    record_property("mutants_killed", dead)  # type: ignore[operator]
    assert survivors == []
