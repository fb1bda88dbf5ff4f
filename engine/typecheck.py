"""Types of check expressions, inferred against the facts vocabulary and the parameters.

`infer(expr, env)` returns the expression's `Type` (or None where it is ill-typed) and reports
each problem once, at its location: an unknown fact path or parameter (with "did you mean"),
a comparison of a date with a text, a check that is not true/false, an enum value that the
enum does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic, did_you_mean
from aicxs.aicxs_dsl.words import count, with_article
from aicxs.engine.types import ANY, BOOL, DATE, DURATION, INT, NUMBER, STRING, Type

# name → (argument kinds accepted, result); `path` means the argument must be a fact path.
BUILTINS: dict[str, tuple[tuple[tuple[str, ...], ...], Type]] = {
    "age": ((("date",),), DURATION),
    "days_since": ((("date",),), INT),
    "len": ((("list", "string"),), INT),
    "is_set": ((("path",),), BOOL),
    "today": ((), DATE),
    "lower": ((("string", "enum"),), STRING),
}
_ORDERED = ("int", "number", "date", "duration", "string")


@dataclass
class Env:
    root: Type  # the vocabulary
    params: dict[str, Type]
    out: list[Diagnostic]
    vars: dict[str, Type] = field(default_factory=dict)

    def error(
        self, node: ast.Expr, message: str, help: str = "", code: str = "aicxs_type_error"
    ) -> None:
        self.out.append(Diagnostic(code, message, node.span, help))


def check_condition(expr: ast.Expr, env: Env, what: str = "a check") -> None:
    """Report unless `expr` is a well-typed true/false condition."""
    got = infer(expr, env)
    if got is not None and got.kind != "bool":
        env.error(
            expr,
            f"{what} must be true or false, but this is {a(got)}",
            "compare it with something, e.g. `... >= 1` or `... == true`",
        )


def infer(expr: ast.Expr, env: Env) -> Type | None:
    match expr:
        case ast.BoolLit():
            return BOOL
        case ast.IntLit():
            return INT
        case ast.NumberLit():
            return NUMBER
        case ast.StringLit():
            return STRING
        case ast.DateLit():
            return DATE
        case ast.DurationLit():
            return DURATION
        case ast.ListLit():
            return _infer_list(expr, env)
        case ast.Path():
            return resolve_path(expr, env)
        case ast.ParamRef():
            return _infer_param(expr, env)
        case ast.Call():
            return _infer_call(expr, env)
        case ast.Not():
            _expect_bool(expr.operand, env)
            return BOOL
        case ast.And() | ast.Or() | ast.Implies():
            _expect_bool(expr.left, env)
            _expect_bool(expr.right, env)
            return BOOL
        case ast.Compare():
            return _infer_compare(expr, env)
        case ast.Arith():
            return _infer_arith(expr, env)
        case ast.Neg():
            got = infer(expr.operand, env)
            if got is not None and not (got.numeric or got.kind == "duration"):
                env.error(expr, f"cannot negate {a(got)}")
            return got
        case ast.Quantifier():
            return _infer_quantifier(expr, env)
        case ast.Count():
            _bind_items(expr.var, expr.source, expr.where, env, lambda: None)
            return INT
    raise AssertionError(f"unhandled expression {expr!r}")


def a(t: Type) -> str:
    """`an `int`` / `a `date``: the type with its article, for messages."""
    return with_article(f"`{t.describe()}`")


def _expect_bool(expr: ast.Expr, env: Env) -> None:
    check_condition(expr, env, "each side of `and`, `or`, `not` and `implies`")


def _infer_list(expr: ast.ListLit, env: Env) -> Type:
    items = [infer(item, env) for item in expr.items]
    known = [t for t in items if t is not None]
    if not known:
        return Type("list", item=ANY)
    first = known[0]
    for item, t in zip(expr.items, items, strict=True):
        if t is not None and not compatible(first, t):
            env.error(
                item,
                f"a list holds values of one type: `{t.describe()}` among `{first.describe()}`",
            )
    return Type("list", item=first)


def resolve_path(expr: ast.Path, env: Env) -> Type | None:
    """The declared type of a fact path, reporting the first part that does not exist."""
    head, *rest = expr.parts
    if head in env.vars:
        current, shown = env.vars[head], head
    elif head in env.root.fields:
        current, shown = env.root.fields[head].type, head
    else:
        names = [*env.vars, *env.root.fields]
        env.error(
            expr,
            f"unknown fact `{head}`",
            did_you_mean(head, names) or "declare it in a `facts` block, or check the spelling",
            code="aicxs_unknown_fact",
        )
        return None
    for part in rest:
        if current.kind == "any":  # an outer error already reported
            return ANY
        if current.kind == "list":
            env.error(
                expr,
                f"`{shown}` is a list: reach its items with a quantifier",
                f"e.g. `all x in {shown}: x.{part}`",
            )
            return None
        if current.kind != "record":
            env.error(
                expr,
                f"`{shown}` is {a(current)} and has no field `{part}`",
                code="aicxs_unknown_fact",
            )
            return None
        if part not in current.fields:
            hint = did_you_mean(part, current.fields)
            env.error(
                expr,
                f"`{shown}` has no field `{part}`",
                hint or "fields: " + ", ".join(f"`{f}`" for f in sorted(current.fields)),
                code="aicxs_unknown_fact",
            )
            return None
        current, shown = current.fields[part].type, f"{shown}.{part}"
    return current


def _infer_param(expr: ast.ParamRef, env: Env) -> Type | None:
    if expr.name in env.params:
        return env.params[expr.name]
    env.error(
        expr,
        f"unknown parameter `{expr.name}`",
        did_you_mean(expr.name, env.params) or "declare it with `parameter`",
        code="aicxs_unknown_parameter",
    )
    return None


def _infer_call(expr: ast.Call, env: Env) -> Type | None:
    if expr.name not in BUILTINS:
        env.error(
            expr,
            f"unknown function `{expr.name}`",
            did_you_mean(expr.name, BUILTINS)
            or "functions: " + ", ".join(f"`{f}`" for f in sorted(BUILTINS)),
            code="aicxs_unknown_function",
        )
        return None
    params, result = BUILTINS[expr.name]
    if len(expr.args) != len(params):
        env.error(
            expr, f"`{expr.name}` takes {count(len(params), 'argument')}, not {len(expr.args)}"
        )
        return result
    for arg, kinds in zip(expr.args, params, strict=True):
        if kinds == ("path",):
            if not isinstance(arg, ast.Path):
                env.error(arg, f"`{expr.name}` takes a fact path, such as `organisation.name`")
            else:
                resolve_path(arg, env)
            continue
        got = infer(arg, env)
        if got is not None and got.kind not in kinds:
            wanted = with_article(f"`{' or '.join(kinds)}`")
            env.error(arg, f"`{expr.name}` takes {wanted}, not {a(got)}")
    return result


def compatible(a: Type, b: Type) -> bool:
    if "any" in (a.kind, b.kind) or (a.numeric and b.numeric):
        return True
    if {a.kind, b.kind} == {"enum", "string"}:
        return True
    if a.kind == "list" and b.kind == "list" and a.item and b.item:
        return compatible(a.item, b.item)
    return a.kind == b.kind and (a.kind != "enum" or a.values == b.values)


def _infer_compare(expr: ast.Compare, env: Env) -> Type:
    left, right = infer(expr.left, env), infer(expr.right, env)
    if left is None or right is None:
        return BOOL
    if expr.op in ("in", "not in"):
        if right.kind != "list" or right.item is None:
            env.error(
                expr.right,
                f"`{expr.op}` needs a list on its right, not {a(right)}",
                'e.g. `x in ["a", "b"]`',
            )
        elif not compatible(left, right.item):
            env.error(expr, f"cannot look for {a(left)} in {a(right)}")
        else:
            _check_enum_literals(left, expr.right, env)
        return BOOL
    if not compatible(left, right):
        env.error(
            expr,
            f"cannot compare {a(left)} with {a(right)}",
            _compare_help(left, right),
        )
    elif expr.op not in ("==", "!=") and left.kind not in _ORDERED:
        env.error(
            expr, f"`{expr.op}` does not order `{left.describe()}` values", "use `==` or `!=`"
        )
    else:
        _check_enum_literals(left, expr.right, env)
        _check_enum_literals(right, expr.left, env)
    return BOOL


def _compare_help(left: Type, right: Type) -> str:
    examples = {
        "date": "a date such as 2025-06-30",
        "duration": "a duration such as 90 days",
        "bool": "`true` or `false`",
        "string": 'a text such as "chat"',
    }
    return f"compare with {examples[left.kind]}" if left.kind in examples else ""


def _check_enum_literals(enum: Type, other: ast.Expr, env: Env) -> None:
    """A string literal compared with an enum must be one of its members."""
    if enum.kind != "enum":
        return
    literals = other.items if isinstance(other, ast.ListLit) else (other,)
    for lit in literals:
        if isinstance(lit, ast.StringLit) and lit.value not in enum.values:
            env.error(
                lit,
                f'"{lit.value}" is not a value of `{enum.describe()}`',
                did_you_mean(lit.value, enum.values)
                or "values: " + ", ".join(f'"{v}"' for v in enum.values),
                code="aicxs_unknown_enum_value",
            )


_ARITH = {
    ("date", "-", "date"): DURATION,
    ("date", "+", "duration"): DATE,
    ("date", "-", "duration"): DATE,
    ("duration", "+", "duration"): DURATION,
    ("duration", "-", "duration"): DURATION,
    ("duration", "*", "int"): DURATION,
    ("int", "*", "duration"): DURATION,
    ("duration", "/", "int"): DURATION,
}


def _infer_arith(expr: ast.Arith, env: Env) -> Type | None:
    left, right = infer(expr.left, env), infer(expr.right, env)
    if left is None or right is None:
        return None
    if left.numeric and right.numeric:
        both_int = left.kind == right.kind == "int" and expr.op != "/"
        return INT if both_int else NUMBER
    result = _ARITH.get((left.kind, expr.op, right.kind))
    if result is None:
        env.error(
            expr,
            f"cannot compute `{left.describe()} {expr.op} {right.describe()}`",
            "arithmetic works on numbers, and on dates and durations (date - date, "
            "date + duration, duration * int)",
        )
    return result


def _infer_quantifier(expr: ast.Quantifier, env: Env) -> Type:
    def body() -> None:
        check_condition(expr.body, env, f"the body of `{expr.kind}`")

    _bind_items(expr.var, expr.source, expr.where, env, body)
    return BOOL


def _bind_items(var: str, source: ast.Path, where: ast.Expr | None, env: Env, body: object) -> None:
    listed = resolve_path(source, env)
    item = listed.item if listed is not None and listed.kind == "list" else None
    if listed is not None and (item is None or item.kind != "record"):
        env.error(
            source,
            f"`{'.'.join(source.parts)}` is {a(listed)}, not a list of records",
            "quantifiers range over lists of records",
        )
    if var in env.vars or var in env.root.fields:
        env.error(
            source,
            f"`{var}` already names a fact or an outer variable",
            "pick another variable name",
        )
    saved = env.vars.get(var)
    env.vars[var] = item if item is not None and item.kind == "record" else ANY
    try:
        if where is not None:
            check_condition(where, env, "a `where` filter")
        if callable(body):
            body()
    finally:
        if saved is None:
            env.vars.pop(var, None)
        else:
            env.vars[var] = saved
