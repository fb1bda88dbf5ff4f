"""What to do next: the clauses between an organisation and a maturity level and certification,
prerequisites first, grouped by owner, each with its failing conditions and the fact changes
that would make it pass.

`roadmap(compiled, facts, as_of, to_level)` evaluates the facts; takes the unmet clauses up to
the goal level (the next one by default), those of the failing mandatory key requirements and
their unmet prerequisites; orders them with `graph.evaluation_order`. From each explanation tree
it derives what must change: a false boolean fact to true, a fact compared with a value to the
boundary value, a date read by `age()` to the evaluation date; missing facts are "answer first".
The plan is then checked: the changes are applied to a copy of the facts and evaluated again,
repeating (at most `ROUNDS` times) while the new values reveal more conditions, such as the right
side of an `implies` whose left side has become true.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.facts import FactsDocument
from aicxs.engine.graph import evaluation_order
from aicxs.engine.outcome import Report, Result, Status
from aicxs.engine.types import Duration, Type
from aicxs.engine.values import UNKNOWN, Node, Read, render_value, source_text

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy

ROUNDS = 4
PLACEHOLDER = "<fill in>"  # the value proposed for a text or list that must not be empty
NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in"}
NEGATE["not in"] = "in"
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
DAY = 86400


@dataclass(frozen=True)
class Need:
    """One condition a fact must meet: `op value`, on the fact itself or on `via(fact)`."""

    op: str
    value: Any
    via: str = ""  # `age`, `days_since`, `len` or `lower`; empty: the fact itself


@dataclass
class Change:
    fact: str  # `systems[voice-ivr].escalation.available`
    json_path: str  # `$.systems[0].escalation.available`
    now: Any  # the current value; UNKNOWN when the fact is missing
    value: Any = None  # the proposed value; None when no single value can be proposed
    condition: str = ""  # what the value must meet, e.g. `<= 120 seconds`
    clauses: list[str] = field(default_factory=list)  # the steps that need it
    needs: list[Need] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.now is UNKNOWN


@dataclass
class Failing:
    """A false (or unknown) leaf condition of a clause's check, for the item that fails it."""

    item: str  # `systems[voice-ivr]`, or empty for organisation facts
    condition: str  # the condition as written
    truth: str  # false | unknown | error
    now: str  # the values it read
    hint: str  # `passes if: ...` (comparisons)


@dataclass
class Step:
    number: int
    result: Result
    owner: str
    requires: list[str]  # prerequisites that are steps of the plan
    failing: list[Failing] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


@dataclass
class Roadmap:
    before: Report
    after: Report  # the facts with every change and answer applied, evaluated again
    goal: int
    steps: list[Step]
    changes: list[Change]
    owners: dict[str, str]  # role name → title, for the roles that own steps

    @property
    def answers(self) -> list[Change]:
        return [c for c in self.changes if c.missing]

    @property
    def reached(self) -> bool:
        return self.after.overall_level >= self.goal and not _failed_mandatory(self.after)


def roadmap(
    compiled: CompiledPolicy, facts: FactsDocument, as_of: dt.date, to_level: int | None = None
) -> Roadmap:
    # `full`: compact explanations name only the first few unknown items of a quantifier, and
    # every one of them is a fact to plan for.
    before = compiled.evaluate(facts, as_of, explain="full")
    levels = sorted(compiled.standard.levels)
    goal = to_level if to_level is not None else min(before.overall_level + 1, levels[-1])
    planner = _Planner(compiled, facts, as_of, goal)
    after = planner.run(before)
    steps = planner.steps(before)
    roles = compiled.standard.roles
    owners = {s.owner: roles[s.owner].title if s.owner in roles else s.owner for s in steps}
    return Roadmap(before, after, goal, steps, planner.changes(), owners)


def _failed_mandatory(report: Report) -> list[Result]:
    return [
        r
        for r in report.results
        if r.kind == "key_requirement" and r.mandatory and r.status is not Status.PASS
    ]


class _Planner:
    def __init__(
        self, compiled: CompiledPolicy, facts: FactsDocument, as_of: dt.date, goal: int
    ) -> None:
        self.compiled, self.facts, self.as_of, self.goal = compiled, facts, as_of, goal
        self.found: dict[str, Change] = {}  # json path → change
        self.failing: dict[str, list[Failing]] = {}  # clause id → its failing conditions
        self.first: dict[str, Result] = {}  # clause id → its result when first blocking

    def run(self, report: Report) -> Report:
        for _ in range(ROUNDS):
            blocking = self.blocking(report)
            if not blocking:
                break
            known = len(self.found), sum(len(c.needs) for c in self.found.values())
            for result in blocking:
                self.first.setdefault(result.id, result)
                self._collect(result)
            if (len(self.found), sum(len(c.needs) for c in self.found.values())) == known:
                break
            report = self._apply()
        return report

    def blocking(self, report: Report) -> list[Result]:
        """Unmet clauses up to the goal level, of failing mandatory key requirements, and
        their unmet prerequisites; then the failing mandatory key requirements whose own
        check is not met (KR5 reads each system's basis of processing itself)."""
        std = self.compiled.standard
        by_id = {r.id: r for r in report.results if r.kind == "clause"}
        wanted = {c for c, r in by_id.items() if std.clauses[c].level <= self.goal}
        for kr in _failed_mandatory(report):
            wanted |= {c for c, _ in kr.covers}
        todo = [c for c in wanted if not by_id[c].status.satisfied]
        seen: set[str] = set()
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.add(c)
                todo += [r for r, _ in std.clauses[c].requires if not by_id[r].status.satisfied]
        clauses = [by_id[c] for c in evaluation_order(self.compiled.standard, seen)]
        own = [
            r for r in _failed_mandatory(report) if r.node is not None and r.node.value is not True
        ]
        return clauses + own

    def steps(self, before: Report) -> list[Step]:
        """Clauses, prerequisites first; then key requirements' own checks, each after the
        clauses it covers and owned by the owner of the first of them."""
        std = self.compiled.standard
        clauses = evaluation_order(std, [c for c in self.first if c in std.clauses])
        krs = sorted(k for k in self.first if k in std.key_requirements)
        out = []
        for n, step_id in enumerate(clauses + krs, start=1):
            if step_id in std.clauses:
                clause = std.clauses[step_id]
                requires = [r for r, _ in clause.requires if r in self.first]
                owner = clause.owner
            else:
                covers = [c for c, _ in std.key_requirements[step_id].covers]
                requires = [c for c in covers if c in self.first]
                owner = std.clauses[covers[0]].owner if covers else ""
            changes = [c for c in self.changes() if step_id in c.clauses]
            out.append(
                Step(
                    n, self.first[step_id], owner, requires, self.failing.get(step_id, []), changes
                )
            )
        return out

    def changes(self) -> list[Change]:
        return sorted(self.found.values(), key=lambda c: (c.clauses[0], c.fact))

    # -- from explanation trees to needs ------------------------------------------------------

    def _collect(self, result: Result) -> None:
        """Needs from the clause's check and its rules; failing conditions the first time."""
        first = result.id not in self.failing
        failing = self.failing.setdefault(result.id, [])
        nodes = [("", result.node)] + [(f"rule {r.id}: ", r.node) for r in result.rules]
        for prefix, node in nodes:
            if node is not None:
                _Walk(self, result.id, prefix, failing if first else []).need(node, True, "")

    def add(self, clause: str, read: Read, need: Need) -> None:
        change = self.found.get(read.json_path)
        if change is None:
            change = self.found[read.json_path] = Change(read.path, read.json_path, read.value)
        if clause not in change.clauses:
            change.clauses.append(clause)
        if need not in change.needs:
            change.needs.append(need)

    def _apply(self) -> Report:
        data = copy.deepcopy(self.facts.data)
        for change in self.found.values():
            change.value, change.condition = resolve(
                change.needs, self._type(change.json_path), self.as_of
            )
            if change.value is not None:
                set_path(data, change.json_path, change.value)
        doc = FactsDocument(self.facts.path, data, "", self.facts.evidence)
        return self.compiled.evaluate(doc, self.as_of, explain="full")

    def _type(self, json_path: str) -> Type | None:
        t: Type | None = self.compiled.vocabulary
        for name, index in _tokens(json_path):
            if t is None:
                return None
            if index is not None:
                t = t.item
            else:
                fld = t.fields.get(name)
                t = fld.type if fld else None
        return t


class _Walk:
    """Walks one check's explanation, noting the leaves that must change and how."""

    def __init__(self, planner: _Planner, clause: str, prefix: str, failing: list[Failing]):
        self.planner, self.clause, self.prefix, self.failing = planner, clause, prefix, failing

    def need(self, node: Node, want: bool, item: str) -> None:
        if node.value is want:
            return
        match node.expr:
            case ast.Path():
                self._leaf(node, item)
                if node.reads:
                    self.planner.add(self.clause, node.reads[0], Need("==", want))
            case ast.Not():
                self.need(node.children[0], not want, item)
            case ast.And() | ast.Or():
                if isinstance(node.expr, ast.And) == want:
                    for child in node.children:
                        self.need(child, want, item)
                else:
                    self.need(_pick(list(node.children), not want), want, item)
            case ast.Implies():
                if not want:
                    self.need(node.children[0], True, item)
                self.need(node.children[1], want, item)
            case ast.Compare():
                self._leaf(node, item)
                self._compare(node, want)
            case ast.Quantifier():
                self._quantifier(node, want)
            case _:
                self._leaf(node, item)

    def _quantifier(self, node: Node, want: bool) -> None:
        expr = node.expr
        assert isinstance(expr, ast.Quantifier)
        listed = node.children[0]
        name = listed.reads[0].path if listed.reads else ""
        items = node.items or []
        # `all`/`none` must hold (or `any` fail) for each item; otherwise one item is enough.
        body_want = want if expr.kind != "none" else not want
        each = want if expr.kind == "none" else (expr.kind == "all") == want
        if each:
            for it in items:
                if it.body is not None and it.truth is not body_want:
                    self.need(it.body, body_want, f"{name}[{it.name}]")
            if listed.value is UNKNOWN:
                self._leaf(listed, "")
            return
        candidates = [it for it in items if it.body is not None]
        if not candidates:
            self._leaf(node, "")
            return
        chosen = next((it for it in candidates if it.truth is UNKNOWN), candidates[0])
        assert chosen.body is not None
        self.need(chosen.body, body_want, f"{name}[{chosen.name}]")

    def _compare(self, node: Node, want: bool) -> None:
        expr = node.expr
        assert isinstance(expr, ast.Compare)
        op = expr.op if want else NEGATE[expr.op]
        left, right = node.children
        fact, other = (left, right) if _fact_of(left) else (right, left)
        found = _fact_of(fact)
        if found is None or other.truth != "value":
            return
        if fact is right:
            if op not in FLIP:
                return  # the fact is the list of `in`: no single value to propose
            op = FLIP[op]
        via, read = found
        self.planner.add(self.clause, read, Need(op, other.value, via))

    def _leaf(self, node: Node, item: str) -> None:
        reads = _all_reads(node)
        now = ", ".join(f"{r.path}: {render_value(r.value)}" for r in reads[:3])
        hint = node.hint if node.hint.removeprefix("passes if: ") != source_text(node.expr) else ""
        entry = Failing(item, self.prefix + source_text(node.expr), node.truth, now, hint)
        if entry not in self.failing:
            self.failing.append(entry)


def _pick(children: list[Node], avoid: Any) -> Node:
    """The child to change when one is enough: an undecided one first, else the first."""
    return next(
        (c for c in children if c.value is UNKNOWN),
        next((c for c in children if c.value is not avoid), children[0]),
    )


def _fact_of(node: Node) -> tuple[str, Read] | None:
    """`(via, read)` when the node reads one fact, directly or through `age()`, `len()`, ..."""
    match node.expr:
        case ast.Path() if node.reads:
            return "", node.reads[0]
        case ast.Call(name) if name in ("age", "days_since", "len", "lower") and node.children:
            inner = node.children[0]
            if isinstance(inner.expr, ast.Path) and inner.reads:
                return name, inner.reads[0]
    return None


def _all_reads(node: Node) -> list[Read]:
    found = list(node.reads)
    for child in node.children:
        found.extend(_all_reads(child))
    return found


# ---- needs → one value ----------------------------------------------------------------------


def resolve(needs: list[Need], t: Type | None, as_of: dt.date) -> tuple[Any, str]:
    """The value that meets every need (the boundary of a range, today for `age()`), with the
    needs in words; None when no single value can be proposed."""
    direct = [_direct(n, as_of) for n in needs]
    words = "; ".join(_words(n, as_of) for n in needs)
    sized = [n for n in needs if n.via == "len"]
    if sized:
        return _sized(sized, t), words
    kind = t.kind if t is not None else ""
    candidates: list[Any] | None = None
    for op, value in direct:
        if op in ("==", "in"):
            allowed = [value] if op == "==" else list(value)
            candidates = allowed if candidates is None else [c for c in candidates if c in allowed]
    if candidates is None:
        candidates = (
            list(t.values)
            if t is not None and kind == "enum"
            else ([True, False] if kind == "bool" else None)
        )
    if candidates is not None:
        excluded = [v for op, v in direct if op == "!="]
        excluded += [x for op, v in direct if op == "not in" for x in v]
        fits = [c for c in candidates if c not in excluded and _in_range(c, direct)]
        return (fits[0] if fits else None), words
    return _ranged(direct, any(n.via in ("age", "days_since") for n in needs), as_of), words


def _direct(need: Need, as_of: dt.date) -> tuple[str, Any]:
    """A need on `age(d)` or `days_since(d)` as one on the date `d` itself."""
    if need.via == "age" and isinstance(need.value, Duration):
        return FLIP.get(need.op, need.op), as_of - dt.timedelta(seconds=int(need.value))
    if need.via == "days_since" and isinstance(need.value, int):
        return FLIP.get(need.op, need.op), as_of - dt.timedelta(days=need.value)
    if need.via == "lower" and isinstance(need.value, str):
        return need.op, need.value
    return need.op, need.value


def _words(need: Need, as_of: dt.date) -> str:
    if need.via == "len":
        return (
            "not empty"
            if (need.op, need.value) in ((">", 0), (">=", 1))
            else (f"length {need.op} {need.value}")
        )
    op, value = _direct(need, as_of)
    if need.via in ("age", "days_since"):
        words = {">=": "on or after", ">": "after", "<=": "on or before", "<": "before"}
        return f"{words.get(op, op)} {value}"
    if op == "==" and isinstance(value, bool):
        return render_value(value)
    return f"{op} {render_value(value)}"


def _sized(needs: list[Need], t: Type | None) -> Any:
    size = 0
    for n in needs:
        if isinstance(n.value, int):
            size = max(size, n.value + 1 if n.op == ">" else n.value if n.op in (">=", "==") else 0)
    if t is not None and t.kind == "list":
        return [PLACEHOLDER] * size
    return PLACEHOLDER if size else ""


def _in_range(value: Any, direct: list[tuple[str, Any]]) -> bool:
    try:
        return all(_holds(value, op, bound) for op, bound in direct if op in FLIP and op != "==")
    except TypeError:
        return False


def _holds(value: Any, op: str, bound: Any) -> bool:
    match op:
        case "<":
            return bool(value < bound)
        case "<=":
            return bool(value <= bound)
        case ">":
            return bool(value > bound)
        case ">=":
            return bool(value >= bound)
        case "!=":
            return bool(value != bound)
    return True


def _ranged(direct: list[tuple[str, Any]], today: bool, as_of: dt.date) -> Any:
    """The boundary of the range the needs allow (today, for dates read by `age()`)."""
    if today and _in_range(as_of, direct):
        return as_of
    lows = [_step(v, +1) if op == ">" else v for op, v in direct if op in (">", ">=")]
    highs = [_step(v, -1) if op == "<" else v for op, v in direct if op in ("<", "<=")]
    try:
        low, high = (max(lows) if lows else None), (min(highs) if highs else None)
    except TypeError:
        return None
    value = low if low is not None else high
    if value is None or (low is not None and high is not None and low > high):
        return None
    return value


def _step(value: Any, sign: int) -> Any:
    """The next value past a strict bound: a day, a second, one, or a hundredth."""
    if isinstance(value, Duration):
        unit = DAY if value % DAY == 0 else 1
        return Duration(max(0, value + sign * unit))
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=sign)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return value + sign if isinstance(value, int) else round(value + sign * 0.01, 10)


# ---- applying changes -----------------------------------------------------------------------

_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _tokens(json_path: str) -> list[tuple[str, int | None]]:
    return [
        (name, int(index) if index else None)
        for name, index in _TOKEN.findall(json_path.removeprefix("$"))
    ]


def set_path(data: dict[str, Any], json_path: str, value: Any) -> None:
    """Set `$.systems[0].escalation.available` in nested facts, creating records on the way."""
    tokens = _tokens(json_path)
    node: Any = data
    for (name, index), (_, next_index) in itertools.pairwise(tokens):
        child = node[index] if index is not None else node.get(name)
        if child is None:
            child = [] if next_index is not None else {}
            node[name] = child
        node = child
    name, index = tokens[-1]
    if index is not None:
        node[index] = value
    else:
        node[name] = value


def facts_value(value: Any) -> Any:
    """A proposed value as a facts file writes it (dates and durations as text)."""
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [facts_value(v) for v in value]
    return value
