"""Quantifier items compiled in three-valued logic, for estates where facts are missing.

The two-valued fast path (`compiler.py`) gives up on an item as soon as a fact is missing, and
in a half-answered estate that is most items: each was interpreted, building an explanation
tree nobody reads. This compiles the item test of a quantifier a second time, in Kleene's
logic: a missing fact is `UNKNOWN`, `and`/`or`/`implies` follow the tables of `values.py`, and
every missing fact read is noted in a list, then dropped again where the condition around it
was decided anyway, which leaves exactly what `Node.missing_pairs` finds in the interpreter's
tree. Anything else (an error, a nested quantifier) still raises or is not compiled, and the
interpreter decides, as before. Built as Python syntax trees, never from text, as in compiler.py.
"""

from __future__ import annotations

import ast as py
import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.compiler import _BUILTINS, Unsupported, _function_of, _is_set
from aicxs.engine.types import Duration
from aicxs.engine.values import _COMPARE, UNKNOWN, EvalError, kleene_and, kleene_implies, negate
from aicxs.engine.values import _arith as _value_arith

# (item, facts root, evaluation date, values bound outside, missing) → None when the item is
# out of range, else its truth: True, False or UNKNOWN. `missing` receives a (variable, rest)
# pair per missing fact: variable "" for a path from the root (rest: the whole path), or the
# quantifier variable the path starts from (rest: `.audit_trail.retention`, or "").
Item3Fn = Callable[[Any, dict[str, Any], dt.date, dict[str, Any], list[tuple[str, str]]], Any]

ITEM, MISSING, WHERE = "v_item", "v_missing", "v_where"


class _Undecided(Exception):
    """A value the compiled code does not decide (an error): the interpreter explains it."""


def _truths(values: tuple[Any, ...]) -> bool:
    """Whether any is unknown; raises if one is not a truth value at all."""
    unknown = False
    for v in values:
        if v is UNKNOWN:
            unknown = True
        elif v is not True and v is not False:
            raise _Undecided
    return unknown


def _and(missing: list[tuple[str, str]], mark: int, *values: Any) -> Any:
    for v in values:
        if v is False:
            del missing[mark:]  # decided: what is missing elsewhere does not matter
            return False
    return UNKNOWN if _truths(values) else True


def _or(missing: list[tuple[str, str]], mark: int, *values: Any) -> Any:
    for v in values:
        if v is True:
            del missing[mark:]
            return True
    return UNKNOWN if _truths(values) else False


def _implies(missing: list[tuple[str, str]], mark: int, left: Any, right: Any) -> Any:
    _truths((left, right))
    value = kleene_implies(left, right)
    if value is not UNKNOWN:
        del missing[mark:]
    return value


def _not(value: Any) -> Any:
    if value is True or value is False:
        return not value
    return value


def _compare(op: Callable[[Any, Any], bool], left: Any, right: Any) -> Any:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    try:
        return bool(op(left, right))
    except TypeError:
        raise _Undecided from None


def _list(*values: Any) -> Any:
    return UNKNOWN if any(v is UNKNOWN for v in values) else list(values)


def _arith(op: str, left: Any, right: Any) -> Any:
    value = _value_arith(op, left, right)
    if isinstance(value, EvalError):
        raise _Undecided
    return value


def _neg(value: Any) -> Any:
    value = negate(value)
    if isinstance(value, EvalError):
        raise _Undecided
    return value


def _call(fn: Callable[..., Any], as_of: dt.date, *args: Any) -> Any:
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    return fn(as_of, *args)


def _all_item(where: Any, body: Any) -> Any:
    _truths((where, body))
    return kleene_implies(where, body)


def _some_item(where: Any, body: Any) -> Any:
    _truths((where, body))
    return kleene_and(where, body)


class _Kleene:
    def __init__(self, params: dict[str, Any], outer: frozenset[str]) -> None:
        self.params = params
        self.outer = outer  # variables bound outside the item: read from `b`
        self.names: dict[str, str] = {}  # DSL variable → Python local
        self.tags: dict[str, str] = {}  # DSL variable → the variable its missing facts name
        self.constants: dict[str, Any] = {}
        self.counter = itertools.count()

    def constant(self, value: Any) -> py.expr:
        if value is None or (type(value) in (bool, int, float, str)):
            return py.Constant(value)
        name = f"_k{next(self.counter)}"
        self.constants[name] = value
        return py.Name(name, py.Load())

    def call(self, fn: Callable[..., Any], *args: py.expr) -> py.expr:
        return py.Call(self.constant(fn), list(args), [])

    def mark(self) -> py.expr:
        return self.call(len, py.Name(MISSING, py.Load()))

    def expr(self, e: ast.Expr) -> py.expr:
        match e:
            case ast.BoolLit(value) | ast.IntLit(value) | ast.StringLit(value):
                return py.Constant(value)
            case ast.NumberLit(text):
                return py.Constant(float(text))
            case ast.DateLit(value):
                return self.constant(value)
            case ast.DurationLit(amount, unit):
                return self.constant(Duration.of(amount, unit))
            case ast.ListLit(items):
                return self.call(_list, *(self.expr(i) for i in items))
            case ast.Path(parts):
                return self.path(parts)
            case ast.ParamRef(name):
                return self.constant(self.params[name])
            case ast.Not(operand):
                return self.call(_not, self.expr(operand))
            case ast.And() | ast.Or():
                helper = _and if isinstance(e, ast.And) else _or
                operands = [self.expr(o) for o in _chain(e)]
                return self.call(helper, py.Name(MISSING, py.Load()), self.mark(), *operands)
            case ast.Implies(left, right):
                args = (py.Name(MISSING, py.Load()), self.mark(), self.expr(left), self.expr(right))
                return self.call(_implies, *args)
            case ast.Compare(op, left, right):
                return self.call(
                    _compare, self.constant(_COMPARE[op]), self.expr(left), self.expr(right)
                )
            case ast.Arith(op, left, right):
                return self.call(_arith, py.Constant(op), self.expr(left), self.expr(right))
            case ast.Neg(operand):
                return self.call(_neg, self.expr(operand))
            case ast.Call():
                return self.builtin(e)
        raise Unsupported(type(e).__name__)  # quantifiers and counts inside an item

    def base(self, head: str) -> tuple[py.expr, str]:
        """Where a path starting with `head` starts, and the variable its facts are named by."""
        if head in self.names:
            return py.Name(self.names[head], py.Load()), self.tags[head]
        if head in self.outer:
            return py.Subscript(py.Name("b", py.Load()), py.Constant(head), py.Load()), head
        return py.Name("root", py.Load()), ""

    def path(self, parts: tuple[str, ...]) -> py.expr:
        """`x.a.b` read inline (a fact is read millions of times in a large estate): each step
        `.get()`, `None` once a step is missing; then the value, or `UNKNOWN` with the fact
        noted. A step that is not a mapping raises (`.get` of a text), and the interpreter
        decides; the checker and the facts' schema make that rare."""
        start, tag = self.base(parts[0])
        rest = parts[1:] if tag else parts
        shown = "".join("." + p for p in rest) if tag else ".".join(rest)
        value: py.expr = start
        for part in rest:
            step = self.local()
            got = py.Call(py.Attribute(_load(step), "get", py.Load()), [py.Constant(part)], [])
            value = py.IfExp(
                py.Compare(_walrus(step, value), [py.IsNot()], [py.Constant(None)]),
                got,
                py.Constant(None),
            )
        found = self.local()
        noted = py.Call(
            py.Attribute(_load(MISSING), "append", py.Load()), [self.constant((tag, shown))], []
        )
        unknown = py.BoolOp(py.Or(), [noted, self.constant(UNKNOWN)])  # append gives None
        return py.IfExp(
            py.Compare(_walrus(found, value), [py.IsNot()], [py.Constant(None)]),
            _load(found),
            unknown,
        )

    def local(self) -> str:
        return f"v_t{next(self.counter)}"

    def builtin(self, e: ast.Call) -> py.expr:
        if e.name == "is_set":
            arg = e.args[0]
            assert isinstance(arg, ast.Path)
            start, tag = self.base(arg.parts[0])
            return self.call(_is_set, start, self.constant(arg.parts[1:] if tag else arg.parts))
        if e.name == "today":
            return py.Name("as_of", py.Load())
        fn = _BUILTINS.get(e.name)
        if fn is None:
            raise Unsupported(e.name)
        as_of = py.Name("as_of", py.Load())
        return self.call(_call, self.constant(fn), as_of, *(self.expr(a) for a in e.args))

    def bind(self, var: str, local: str, tag: str) -> None:
        self.names[var], self.tags[var] = local, tag


def _load(name: str) -> py.expr:
    return py.Name(name, py.Load())


def _walrus(name: str, value: py.expr) -> py.expr:
    return py.NamedExpr(py.Name(name, py.Store()), value)


def _chain(e: ast.Expr) -> list[ast.Expr]:
    """`a and b and c` as its three operands (as the interpreter groups them)."""
    kind, out, stack = type(e), [], [e]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.And | ast.Or) and type(node) is kind:
            stack.extend((node.right, node.left))
        else:
            out.append(node)
    return out


def compile_item3(
    q: ast.Quantifier,
    params: dict[str, Any],
    scope: tuple[str, ast.Expr, ast.Path] | None,
    outer: frozenset[str] = frozenset(),
) -> Item3Fn | None:
    """The three-valued test of one item of `q`, or None if it uses what is not compiled."""
    c = _Kleene(params, outer - {q.var})
    c.bind(q.var, ITEM, q.var)
    filters: list[py.expr] = []
    try:
        if scope is not None and q.source.parts == scope[2].parts:
            saved = dict(c.names), dict(c.tags)
            c.bind(scope[0], ITEM, q.var)  # the scope's variable is this item too
            filters.append(c.expr(scope[1]))
            c.names, c.tags = saved
        if q.where is not None:
            filters.append(c.expr(q.where))
        body = c.expr(q.body)
    except Unsupported:
        return None
    finish = c.constant(_all_item if q.kind == "all" else _some_item)
    statements: list[py.stmt] = []
    where: py.expr = py.Constant(True)
    if filters:
        value = (
            filters[0]
            if len(filters) == 1
            else c.call(_and, py.Name(MISSING, py.Load()), c.mark(), *filters)
        )
        statements = [
            py.Assign([py.Name(WHERE, py.Store())], value),
            py.If(
                py.Compare(py.Name(WHERE, py.Load()), [py.Is()], [py.Constant(False)]),
                [py.Return(py.Constant(None))],
                [],
            ),
        ]
        where = py.Name(WHERE, py.Load())
    statements.append(py.Return(py.Call(finish, [where, body], [])))
    args = [ITEM, "root", "as_of", "b", MISSING]
    return _function_of("item3", args, statements, c.constants)  # type: ignore[no-any-return]
