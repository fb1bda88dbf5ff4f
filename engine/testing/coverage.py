"""Coverage in the standard's terms: which clauses, key requirements, organisation rules and
sub-conditions of checks the test cases saw both pass and fail.

`Coverage.register(policy)` lists everything that could be covered: every clause and key
requirement of the standard, every rule of the policy, and every sub-condition of their checks
(the condition nodes of the explanation tree: the operands of `and`/`or`/`implies`/`not`, the
body and `where` of a quantifier, comparisons and boolean facts). `Coverage.record(policy,
report)` counts the outcomes one report shows (it must be evaluated with `explain="full"`, so
every condition of every item is in the tree). Items are keyed by their place in the source, so
a standard shared by several policies is covered once, by all their cases together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.evaluator import Binding, Context, evaluate_check
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.outcome import Report, Result
from aicxs.engine.types import Type, key_field
from aicxs.engine.values import Node, source_text

KINDS = ("clause", "key_requirement", "rule", "condition")
_TRUTH_OUTCOME = {"true": "pass", "false": "fail", "unknown": "unknown", "error": "error"}
Key = tuple[str, str, str]  # (kind, file, requirement id) or ("condition", file, "start-end")


@dataclass
class Item:
    """One thing that can be covered, and the outcomes the cases gave it."""

    kind: str  # clause | key_requirement | rule | condition
    id: str  # the requirement's id; for a condition, the requirement it is part of
    text: str  # the title, or the condition as written
    span: Span
    owner: Key | None = None  # a condition's requirement
    seen: Counter[str] = field(default_factory=Counter)  # pass, fail, unknown, blocked, ...

    @property
    def covered(self) -> bool:
        """Seen both passing and failing."""
        return self.seen["pass"] > 0 and self.seen["fail"] > 0

    @property
    def excluded_only(self) -> bool:
        """Only ever `not_applicable` (tailored out by the policy): nothing to cover."""
        return bool(self.seen) and set(self.seen) == {"not_applicable"}

    @property
    def other(self) -> int:
        return sum(n for k, n in self.seen.items() if k not in ("pass", "fail", "unknown"))

    def reason(self) -> str:
        """Why it is not covered (empty when it is)."""
        passed, failed = self.seen["pass"], self.seen["fail"]
        if not self.seen:
            return "never evaluated"
        if passed and failed:
            return ""
        if passed:
            return "only ever passed"
        if failed:
            return "only ever failed"
        seen = ", ".join(f"{k} {n}" for k, n in sorted(self.seen.items()))
        return f"never passed or failed (seen: {seen})"


@dataclass
class Figure:
    covered: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0


@dataclass
class Coverage:
    items: dict[Key, Item] = field(default_factory=dict)
    _conditions: dict[int, Key] = field(default_factory=dict)  # id(expr) → its item
    _registered: set[int] = field(default_factory=set)

    def register(self, policy: CompiledPolicy) -> None:
        """Everything the policy's cases could cover, so that what they never reach is listed."""
        if id(policy) in self._registered:
            return
        self._registered.add(id(policy))
        std = policy.standard
        for pillar in std.pillars.values():
            for cid in pillar.clauses:
                clause = std.clauses[cid]
                self._requirement("clause", cid, clause.title, clause.span, clause.check)
        for kr in std.key_requirements.values():
            self._requirement("key_requirement", kr.id, kr.title, kr.span, kr.check)
        for rule in policy.policy.rules:
            self._requirement("rule", rule.id, rule.title, rule.span, rule.check)

    def _requirement(
        self, kind: str, ident: str, title: str, span: Span, check: ast.Expr | None
    ) -> None:
        key: Key = (kind, span.path, ident)
        self.items.setdefault(key, Item(kind, ident, title, span))
        for expr in conditions(check) if check is not None else []:
            ckey: Key = ("condition", expr.span.path, f"{expr.span.start}-{expr.span.end}")
            self.items.setdefault(
                ckey, Item("condition", ident, source_text(expr), expr.span, owner=key)
            )
            self._conditions[id(expr)] = ckey

    def record(self, policy: CompiledPolicy, report: Report) -> None:
        """Count the outcomes of one report (evaluated with `explain="full"`)."""
        self.register(policy)
        run = _Run(policy, report)
        for result in report.results:
            self._result(result, run)
            for sub in result.rules:
                self._result(sub, run)

    def _result(self, result: Result, run: _Run) -> None:
        key: Key = (result.kind, result.span.path, result.id)
        if key in self.items:
            self.items[key].seen[result.status.value] += 1
        if result.node is not None:
            self._node(result.node, run)

    def _node(self, node: Node, run: _Run | None) -> None:
        # The item filter of a scoped list holds (scope, where): the `where` child is recorded.
        merged = len(node.children) == 2 and node.children[1].expr is node.expr
        key = self._conditions.get(id(node.expr))
        if key is not None and not merged:
            outcome = _TRUTH_OUTCOME.get(node.truth)
            if outcome is not None:
                self.items[key].seen[outcome] += 1
        if run is not None and isinstance(node.expr, ast.Quantifier):
            for where in run.left_out(node):
                self._node(where, None)
        for child in node.children:
            self._node(child, None if isinstance(node.expr, ast.Quantifier) else run)
        for item in node.items or ():
            for part in (item.where, item.body):
                if part is not None:
                    self._node(part, None)

    # ---- figures ----------------------------------------------------------------------------

    def of_kind(self, kind: str) -> list[Item]:
        return [i for i in self.items.values() if i.kind == kind and self.applicable(i)]

    def applicable(self, item: Item) -> bool:
        """Not tailored out: a clause the policy excluded in every case, and its conditions,
        cannot pass or fail, so they are left out of the figures."""
        if item.excluded_only:
            return False
        owner = self.items.get(item.owner) if item.owner else None
        return owner is None or not owner.excluded_only

    def figure(self, *kinds: str) -> Figure:
        items = [i for k in kinds for i in self.of_kind(k)]
        return Figure(sum(i.covered for i in items), len(items))

    def gated(self) -> Figure:
        """The figure `--fail-under` gates: clauses and key requirements seen both ways."""
        return self.figure("clause", "key_requirement")

    def uncovered(self) -> list[Item]:
        return [i for k in KINDS for i in self.of_kind(k) if not i.covered]

    def excluded(self) -> list[Item]:
        return [i for i in self.items.values() if i.kind != "condition" and i.excluded_only]

    def conditions_of(self, item: Item) -> list[Item]:
        key = next(k for k, v in self.items.items() if v is item)
        return [i for i in self.items.values() if i.owner == key]


class _Run:
    """One report of one policy: what is needed to explain the items a quantifier left out.

    The explanation tree of a quantifier keeps only the items its `where` admits, so the
    `where` of each item it left out is evaluated here, as evaluation did, to see its
    conditions fail (items the policy's scope leaves out are skipped: they are not in range).
    This is done for quantifiers outside any other quantifier, whose `where` reads only the
    item and the facts."""

    def __init__(self, policy: CompiledPolicy, report: Report) -> None:
        self.policy = policy
        self.context = Context(
            report.facts,
            policy.plan.params,
            report.as_of,
            policy.vocabulary,
            scope=policy.plan.scope,
            detail="full",
        )

    def left_out(self, node: Node) -> list[Node]:
        expr = node.expr
        assert isinstance(expr, ast.Quantifier)
        listed = node.children[0].value if node.children else None
        record = self._record(expr.source)
        if expr.where is None or not isinstance(listed, list) or record is None:
            return []
        key = key_field(record)
        kept = {item.name for item in node.items or ()}
        out = []
        for i, value in enumerate(listed):
            ident = value.get(key) if key and isinstance(value, dict) else None
            name = str(ident) if ident is not None else str(i)
            if name in kept:
                continue
            source = ".".join(expr.source.parts)
            binding = Binding(value, f"{source}[{name}]", f"$.{source}[{i}]", record)
            if self._in_scope(expr.source, binding):
                out.append(self._evaluate(expr.where, expr.var, binding))
        return out

    def _record(self, source: ast.Path) -> Type | None:
        current: Type | None = self.policy.vocabulary
        for part in source.parts:
            fld = current.fields.get(part) if current is not None else None
            current = fld.type if fld is not None else None
        return current.item if current is not None and current.kind == "list" else None

    def _in_scope(self, source: ast.Path, binding: Binding) -> bool:
        scope = self.policy.plan.scope
        if scope is None or scope[2].parts != source.parts:
            return True
        return self._evaluate(scope[1], scope[0], binding).value is not False

    def _evaluate(self, expr: ast.Expr, var: str, binding: Binding) -> Node:
        self.context.bindings = {var: binding}
        try:
            return evaluate_check(expr, self.context)
        finally:
            self.context.bindings = {}


def conditions(check: ast.Expr) -> list[ast.Expr]:
    """The sub-conditions of a check, in source order: every expression in a boolean position
    (the check itself excepted), with `a and b and c` as three conditions, not nested pairs."""
    found: list[ast.Expr] = []
    _conditions(check, True, None, found)
    return [e for e in found if e is not check]


def _conditions(expr: ast.Expr, boolean: bool, chain: type | None, found: list[ast.Expr]) -> None:
    if boolean and not (isinstance(expr, ast.And | ast.Or) and type(expr) is chain):
        found.append(expr)
    match expr:
        case ast.And(left, right) | ast.Or(left, right):
            _conditions(left, True, type(expr), found)
            _conditions(right, True, type(expr), found)
        case ast.Implies(left, right):
            _conditions(left, True, None, found)
            _conditions(right, True, None, found)
        case ast.Not(operand):
            _conditions(operand, True, None, found)
        case ast.Quantifier(where=where, body=body):
            if where is not None:
                _conditions(where, True, None, found)
            _conditions(body, True, None, found)
        case ast.Count(where=where) if where is not None:
            _conditions(where, True, None, found)
        case ast.Compare(left=left, right=right) | ast.Arith(left=left, right=right):
            _conditions(left, False, None, found)
            _conditions(right, False, None, found)
        case ast.Call(args=args) | ast.ListLit(items=args):
            for arg in args:
                _conditions(arg, False, None, found)
        case ast.Neg(operand):
            _conditions(operand, False, None, found)
