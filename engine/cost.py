"""The worst-case cost of a check, bounded before anything runs.

A check is evaluated once per facts document, and what is inside a quantifier once per item
of its list: quantifiers nested k deep over lists of N systems cost N^k evaluations of their
body. N is known only from the facts, so the checker bounds what the text fixes: how deep
quantifiers nest, how many one check holds, and how large it is (its tokens: each costs a step
per item). The limits are documented defaults that an environment variable can raise
(`aicxs_dsl/limits.py`); exceeding one is a located error that says which and how to fix it.
`work` gives the cost of a whole plan for a given list size, for the service to bound a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.aicxs_dsl.limits import setting
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.compiler import _children


@dataclass(frozen=True)
class Cost:
    """What a check holds: its tokens, its quantifiers, and how deep they nest; `items` is,
    for each quantifier, how many lists it is nested in, itself included."""

    tokens: int
    quantifiers: int
    nesting: int
    items: tuple[int, ...]


def cost_of(expr: ast.Expr, depth: int = 0) -> Cost:
    """The cost of a check (`depth`: quantifiers it is evaluated inside, e.g. for a scope)."""
    tokens, items = 0, []
    stack = [(expr, depth)]
    while stack:
        e, d = stack.pop()
        tokens += 1
        if isinstance(e, ast.Quantifier | ast.Count):
            items.append(d + 1)
            stack.append((e.source, d))
            stack.extend((c, d + 1) for c in _children(e) if c is not e.source)
        else:
            stack.extend((c, d) for c in _children(e))
    return Cost(tokens, len(items), max(items, default=0), tuple(items))


def check_cost(expr: ast.Expr, what: str, depth: int = 0) -> list[Diagnostic]:
    """The limits a check exceeds (`what` names it: "clause `P1.4`"), each located."""
    out = []
    cost = cost_of(expr, depth)
    nesting = setting("AICXS_MAX_QUANTIFIER_NESTING")
    if cost.nesting > nesting:
        inner = _too_deep(expr, depth, nesting)
        out.append(
            Diagnostic(
                "aicxs_limit_quantifier_nesting",
                f"the check of {what} nests quantifiers over lists {cost.nesting} deep; "
                f"the limit is {nesting}",
                inner.span,
                f"each level multiplies the work by the length of its list ({cost.nesting} "
                f"levels over 1,000 systems: 1,000^{cost.nesting} evaluations); write the "
                "inner condition over a fact of each item instead, or split the check; the "
                "limit is set by the environment variable `AICXS_MAX_QUANTIFIER_NESTING`",
            )
        )
    most = setting("AICXS_MAX_CHECK_QUANTIFIERS")
    if cost.quantifiers > most:
        out.append(
            _too_many(
                "aicxs_limit_check_quantifiers",
                f"the check of {what} holds {cost.quantifiers:,} quantifiers; the limit is "
                f"{most:,}",
                expr.span,
                "split it into several rules; the limit is set by the environment variable "
                "`AICXS_MAX_CHECK_QUANTIFIERS`",
            )
        )
    tokens = setting("AICXS_MAX_CHECK_TOKENS")
    if cost.tokens > tokens:
        out.append(
            _too_many(
                "aicxs_limit_check_size",
                f"the check of {what} is {cost.tokens:,} tokens long; the limit is {tokens:,}",
                expr.span,
                "split it into several rules, or keep long lists of values in the facts; the "
                "limit is set by the environment variable `AICXS_MAX_CHECK_TOKENS`",
            )
        )
    return out


def _too_many(code: str, message: str, span: Span, help: str) -> Diagnostic:
    return Diagnostic(code, message, Span(span.source, span.start, span.start + 1), help)


def _too_deep(expr: ast.Expr, depth: int, limit: int) -> ast.Quantifier | ast.Count:
    """The first quantifier nested deeper than `limit`."""
    stack = [(expr, depth)]
    while stack:
        e, d = stack.pop()
        if isinstance(e, ast.Quantifier | ast.Count):
            if d + 1 > limit:
                return e
            stack.extend((c, d + 1) for c in reversed(_children(e)) if c is not e.source)
        else:
            stack.extend((c, d) for c in reversed(_children(e)))
    raise AssertionError("no quantifier nests that deep")


def work(checks: Iterable[Cost], items: int) -> int:
    """How many item evaluations the checks cost at most, for lists of `items` items."""
    return sum(sum(items**k for k in cost.items) for cost in checks)


def all_costs(checks: Iterable[ast.Expr | None]) -> Iterator[Cost]:
    for check in checks:
        if check is not None:
            yield cost_of(check)
