"""Checks compiled once, at load time, into Python functions for the fast path.

Each check expression is translated into a Python syntax tree (never into source text: user
text only ever becomes string constants), compiled, and turned into a function with
`types.FunctionType`, so no `eval` or `exec` is involved. The compiled code assumes every fact
it reads is present and well typed, and uses plain two-valued logic: whenever that assumption
fails (a missing fact raises `KeyError`, a broken value `TypeError`, ...) it raises, and the
caller falls back to the three-valued interpreter in `evaluator.py`, which stays the single
source of truth. Where both decide, they agree: Python's short-circuit `and`/`or` only skip an
operand when Kleene's tables make it irrelevant too.
"""

from __future__ import annotations

import ast as py
import datetime as dt
import itertools
import sys
import types
from collections.abc import Callable
from typing import Any, TypeGuard

from aicxs.aicxs_dsl import ast
from aicxs.engine.types import Duration
from aicxs.engine.values import UNKNOWN, EvalError, negate
from aicxs.engine.values import _arith as _value_arith

# (facts root, evaluation date) → bool; raises when the fast path cannot decide.
CheckFn = Callable[[dict[str, Any], dt.date], bool]
# (item, facts root, evaluation date) → 0 out of range, 1 in range and true, 2 in range and false.
ItemFn = Callable[[Any, dict[str, Any], dt.date], int]
# (facts root, evaluation date, bound quantifier variables) → bool; raises when it cannot decide.
ConditionFn = Callable[[dict[str, Any], dt.date, dict[str, Any]], bool]

_COMPARE = {
    "==": py.Eq,
    "!=": py.NotEq,
    "<": py.Lt,
    "<=": py.LtE,
    ">": py.Gt,
    ">=": py.GtE,
    "in": py.In,
    "not in": py.NotIn,
}
_ARITH = {"+": py.Add, "-": py.Sub, "*": py.Mult, "/": py.Div}


class Unsupported(Exception):
    """An expression the fast path does not compile (the interpreter handles it)."""


class _Compiler:
    def __init__(self, params: dict[str, Any], scope: tuple[str, ast.Expr, ast.Path] | None):
        self.params = params
        self.scope = scope
        self.constants: dict[str, Any] = {}
        self.names: dict[str, str] = {}  # DSL variable → Python local
        self.outer: frozenset[str] = frozenset()  # variables bound outside: read from `b`
        self.counter = itertools.count()

    def constant(self, value: Any) -> py.expr:
        if value is None or (
            isinstance(value, bool | int | float | str) and not isinstance(value, Duration)
        ):
            return py.Constant(value)
        name = f"_k{next(self.counter)}"
        self.constants[name] = value
        return py.Name(name, py.Load())

    def helper(self, fn: Callable[..., Any]) -> py.expr:
        return self.constant(fn)

    def expr(self, e: ast.Expr) -> py.expr:
        match e:
            case ast.BoolLit(value) | ast.IntLit(value) | ast.StringLit(value):
                return py.Constant(value)
            case ast.NumberLit(text):
                return py.Constant(float(text))
            case ast.DateLit(value):
                return self.constant(value)
            case ast.DurationLit(amount, unit):
                return self.constant(Duration.of(amount, unit))  # a Duration, as interpreted
            case ast.ListLit(items):
                return py.Tuple([self.expr(i) for i in items], py.Load())
            case ast.Path(parts):
                scoped = self.scope is not None and parts == self.scope[2].parts
                if scoped and parts[0] not in self.names:  # the scoped list read whole
                    raise Unsupported("the scoped list read as a whole: interpreted")
                return self.path(parts)
            case ast.ParamRef(name):
                return self.constant(self.params[name])
            case ast.Not(operand):
                return py.UnaryOp(py.Not(), self.truth(operand))
            case ast.And(left, right):
                return py.BoolOp(py.And(), [self.truth(left), self.truth(right)])
            case ast.Or(left, right):
                return py.BoolOp(py.Or(), [self.truth(left), self.truth(right)])
            case ast.Implies(left, right):
                return py.BoolOp(
                    py.Or(), [py.UnaryOp(py.Not(), self.truth(left)), self.truth(right)]
                )
            case ast.Compare(op, left, right):
                return py.Compare(self.expr(left), [_COMPARE[op]()], [self.expr(right)])
            case ast.Arith(op, left, right):
                return py.Call(
                    self.helper(_arith), [py.Constant(op), self.expr(left), self.expr(right)], []
                )
            case ast.Neg(operand):
                return py.Call(self.helper(_neg), [self.expr(operand)], [])
            case ast.Call():
                return self.call(e)
            case ast.Quantifier():
                return self.quantifier(e)
            case ast.Count(var, source, where):
                gen = self.generator(var, source, where, lambda: py.Constant(1))
                return py.Call(py.Name("sum", py.Load()), [gen], [])
        raise Unsupported(type(e).__name__)

    def truth(self, e: ast.Expr) -> py.expr:
        """A condition. Facts are schema-checked, so a present `bool` fact is a real bool."""
        return self.expr(e)

    def path(self, parts: tuple[str, ...]) -> py.expr:
        head, *rest = parts
        node: py.expr
        if head in self.names:
            node = py.Name(self.names[head], py.Load())
        elif head in self.outer:
            node = py.Subscript(py.Name("b", py.Load()), py.Constant(head), py.Load())
        else:
            node = py.Subscript(py.Name("root", py.Load()), py.Constant(head), py.Load())
        for part in rest:
            node = py.Subscript(node, py.Constant(part), py.Load())
        return node

    def call(self, e: ast.Call) -> py.expr:
        if e.name == "is_set":
            arg = e.args[0]
            assert isinstance(arg, ast.Path)
            head, *rest = arg.parts
            bound = head in self.names or head in self.outer
            base = self.path((head,)) if bound else py.Name("root", py.Load())
            parts = tuple(rest) if bound else arg.parts
            return py.Call(self.helper(_is_set), [base, self.constant(parts)], [])
        fn = _BUILTINS.get(e.name)
        if fn is None:
            raise Unsupported(e.name)
        args = [self.expr(a) for a in e.args]
        return py.Call(self.helper(fn), [py.Name("as_of", py.Load()), *args], [])

    def quantifier(self, q: ast.Quantifier) -> py.expr:
        gen = self.generator(q.var, q.source, q.where, lambda: self.truth(q.body))
        if q.kind == "all":
            return py.Call(py.Name("all", py.Load()), [gen], [])
        found = py.Call(py.Name("any", py.Load()), [gen], [])
        return found if q.kind == "any" else py.UnaryOp(py.Not(), found)

    def generator(
        self, var: str, source: ast.Path, where: ast.Expr | None, element: Callable[[], py.expr]
    ) -> py.expr:
        """`element for v in source if scope(v) and where(v)`, with `var` bound to `v`."""
        listed = self.path(source.parts)  # read before `var` is bound
        local = f"v_{var}_{next(self.counter)}"
        saved = self.names.get(var)
        self.names[var] = local
        try:
            filters = self.filters(var, source, where)
            built = element()
        finally:
            if saved is None:
                del self.names[var]
            else:
                self.names[var] = saved
        target = py.Name(local, py.Store())
        return py.GeneratorExp(built, [py.comprehension(target, listed, filters, 0)])

    def filters(self, var: str, source: ast.Path, where: ast.Expr | None) -> list[py.expr]:
        out = []
        if self.scope is not None and source.parts == self.scope[2].parts:
            scope_var, scope_where, _ = self.scope
            saved = self.names.get(scope_var)
            self.names[scope_var] = self.names[var]
            try:
                out.append(self.truth(scope_where))
            finally:
                if saved is None:
                    del self.names[scope_var]
                else:
                    self.names[scope_var] = saved
        if where is not None:
            out.append(self.truth(where))
        return out


def _is_set(base: Any, parts: tuple[str, ...]) -> bool:
    for part in parts:
        if not isinstance(base, dict) or part not in base:
            return False
        base = base[part]
    return base is not None


def _arith(op: str, a: Any, b: Any) -> Any:
    value = _value_arith(op, a, b)
    if value is UNKNOWN or isinstance(value, EvalError):
        raise ArithmeticError(op)
    return value


def _neg(v: Any) -> Any:
    value = negate(v)
    if isinstance(value, EvalError):
        raise ArithmeticError("-")
    return value


def _age(as_of: dt.date, d: dt.date) -> Duration:
    return Duration((as_of - d).days * 86400)


def _days_since(as_of: dt.date, d: dt.date) -> int:
    return (as_of - d).days


def _len(as_of: dt.date, v: Any) -> int:
    if not isinstance(v, list | str):
        raise TypeError("len")
    return len(v)


def _today(as_of: dt.date) -> dt.date:
    return as_of


def _lower(as_of: dt.date, v: str) -> str:
    return v.lower()


_BUILTINS: dict[str, Callable[..., Any]] = {
    "age": _age,
    "days_since": _days_since,
    "len": _len,
    "today": _today,
    "lower": _lower,
}


_TYPE_PARAMS: dict[str, Any] = {"type_params": []} if sys.version_info >= (3, 12) else {}


def _function(name: str, args: list[str], body: py.expr, constants: dict[str, Any]) -> Any:
    """A Python function from an expression tree, without `exec` or `eval`."""
    return _function_of(name, args, [py.Return(body)], constants)


def _function_of(name: str, args: list[str], body: list[py.stmt], constants: dict[str, Any]) -> Any:
    """A Python function from statements, without `exec` or `eval`."""
    fn = py.FunctionDef(
        name=name,
        args=py.arguments(
            posonlyargs=[],
            args=[py.arg(a) for a in args],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=body,
        decorator_list=[],
        returns=None,
        **_TYPE_PARAMS,
    )
    module = py.fix_missing_locations(py.Module([fn], type_ignores=[]))
    code = compile(module, f"<aicxs check {name}>", "exec")
    fn_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    scope = {"__builtins__": {"all": all, "any": any, "sum": sum}, **constants}
    return types.FunctionType(fn_code, scope, name)


def compile_check(
    expr: ast.Expr, params: dict[str, Any], scope: tuple[str, ast.Expr, ast.Path] | None
) -> CheckFn | None:
    """The fast function of a check, or None if it uses something the fast path lacks."""
    c = _Compiler(params, scope)
    try:
        body = c.truth(expr)
    except Unsupported:
        return None
    return _function("check", ["root", "as_of"], body, c.constants)  # type: ignore[no-any-return]


def compile_item(
    q: ast.Quantifier, params: dict[str, Any], scope: tuple[str, ast.Expr, ast.Path] | None
) -> ItemFn | None:
    """For one item of a quantifier: 0 when out of range, 1 when its body holds, else 2."""
    c = _Compiler(params, scope)
    local = f"v_{q.var}"
    c.names[q.var] = local
    try:
        filters = c.filters(q.var, q.source, q.where)
        body = c.truth(q.body)
    except Unsupported:
        return None
    in_range = (
        py.BoolOp(py.And(), filters)
        if len(filters) > 1
        else (filters[0] if filters else py.Constant(True))
    )
    verdict = py.IfExp(body, py.Constant(1), py.Constant(2))
    expr = py.IfExp(in_range, verdict, py.Constant(0))
    return _function("item", [local, "root", "as_of"], expr, c.constants)  # type: ignore[no-any-return]


def compile_conditions(
    expr: ast.Expr, params: dict[str, Any], scope: tuple[str, ast.Expr, ast.Path] | None
) -> dict[int, ConditionFn]:
    """A fast function for each operand of an `and` / `or` in a check (keyed by id), taking the
    quantifier variables bound where it stands; in compact explanations an operand that holds
    (of an `and`) or fails (of an `or`) is reported without being interpreted."""
    found: dict[int, ConditionFn] = {}

    def visit(e: ast.Expr, bound: frozenset[str]) -> None:
        if isinstance(e, ast.And | ast.Or):
            for side in (e.left, e.right):
                if type(side) is not type(e) and (fn := _condition(side, params, scope, bound)):
                    found[id(side)] = fn
        if isinstance(e, ast.Quantifier):
            bound = bound | {e.var}
        for child in _children(e):
            visit(child, bound)

    visit(expr, frozenset())
    return found


def _condition(
    expr: ast.Expr,
    params: dict[str, Any],
    scope: tuple[str, ast.Expr, ast.Path] | None,
    bound: frozenset[str],
) -> ConditionFn | None:
    c = _Compiler(params, scope)
    c.outer = bound
    try:
        body = c.truth(expr)
    except Unsupported:
        return None
    return _function("condition", ["root", "as_of", "b"], body, c.constants)  # type: ignore[no-any-return]


def _children(e: ast.Expr) -> list[ast.Expr]:
    out: list[ast.Expr] = []
    for name in getattr(e, "__slots__", ()):
        child = getattr(e, name, None)
        if isinstance(child, tuple):
            out.extend(c for c in child if _is_expr(c))
        elif _is_expr(child):
            out.append(child)
    return out


def quantifiers(expr: ast.Expr) -> list[ast.Quantifier]:
    """Every quantifier inside an expression, outermost first."""
    found: list[ast.Quantifier] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Quantifier):
            found.append(e)
        stack.extend(_children(e))
    return found


def _is_expr(value: object) -> TypeGuard[ast.Expr]:
    return type(value).__module__ == ast.__name__ and hasattr(value, "span")
