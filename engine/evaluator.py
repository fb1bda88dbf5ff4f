"""Check expressions evaluated over facts, in three-valued logic, recording why.

`evaluate_check(expr, ctx)` returns a `Node` tree that mirrors the expression: each node holds
its value (true, false, `UNKNOWN` with the missing fact paths, or an `EvalError`), the facts it
read with their values, and for quantifiers the items that decided it. `and`, `or`, `not` and
`implies` follow Kleene's tables (`values.py`); an error is absorbed only where the other side
decides alone. The explanation is what evaluation recorded; nothing is evaluated twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.bindings import Binding
from aicxs.engine.compiler import ItemFn
from aicxs.engine.context import Context
from aicxs.engine.missing import SHOWN_ITEMS
from aicxs.engine.tally import Tally, unknown_item
from aicxs.engine.types import Duration, key_field
from aicxs.engine.types import Type as FactType

__all__ = ["Binding", "Context", "evaluate_check", "scope_of_items"]
from aicxs.engine.values import (
    UNKNOWN,
    EvalError,
    Item,
    Node,
    Read,
    _arith,
    _as_truth,
    _collect,
    _compare,
    kleene_and,
    kleene_implies,
    kleene_not,
    kleene_or,
    negate,
    render_value,
    source_text,
)


def evaluate_check(expr: ast.Expr, ctx: Context) -> Node:
    return _eval(expr, ctx)


def _eval(expr: ast.Expr, ctx: Context) -> Node:
    match expr:
        case ast.BoolLit(value) | ast.IntLit(value) | ast.StringLit(value) | ast.DateLit(value):
            return Node(expr, value)
        case ast.NumberLit(text):
            return Node(expr, float(text))
        case ast.DurationLit(amount, unit):
            return Node(expr, Duration.of(amount, unit))
        case ast.ListLit(items):
            nodes = [_eval(i, ctx) for i in items]
            return Node(expr, _collect([n.value for n in nodes]), nodes)
        case ast.Path():
            return _scoped_path(expr, ctx)
        case ast.ParamRef(name):
            return Node(expr, ctx.params[name])
        case ast.Call():
            return _eval_call(expr, ctx)
        case ast.Not(operand):
            inner = _eval(operand, ctx)
            return Node(expr, kleene_not(inner.value), [inner])
        case ast.And(left, right):
            return _binary(expr, ctx, left, right, kleene_and)
        case ast.Or(left, right):
            return _binary(expr, ctx, left, right, kleene_or)
        case ast.Implies(left, right):
            return _binary(expr, ctx, left, right, kleene_implies)
        case ast.Compare():
            return _eval_compare(expr, ctx)
        case ast.Arith():
            return _eval_arith(expr, ctx)
        case ast.Neg(operand):
            inner = _eval(operand, ctx)
            return Node(expr, negate(inner.value), [inner])
        case ast.Quantifier():
            return _eval_quantifier(expr, ctx)
        case ast.Count():
            return _eval_count(expr, ctx)
    raise AssertionError(f"unhandled expression {expr!r}")


# ---- and, or, implies -----------------------------------------------------------------------


def _binary(
    expr: ast.Expr,
    ctx: Context,
    left: ast.Expr,
    right: ast.Expr,
    combine: Callable[[Any, Any], Any],
) -> Node:
    # Every operand is evaluated even when one decides: the explanation shows each condition.
    if combine is kleene_implies:
        lnode, rnode = _eval(left, ctx), _eval(right, ctx)
        return Node(expr, combine(_as_truth(lnode.value), _as_truth(rnode.value)), [lnode, rnode])
    # `a and b and c` is one node with three operands, not two nested pairs.
    quiet = combine is kleene_and
    kind = type(expr)
    chain = [right]
    while isinstance(left, ast.And | ast.Or) and type(left) is kind:
        chain.append(left.right)
        left = left.left
    chain.append(left)
    nodes = [_operand(e, ctx, quiet) for e in reversed(chain)]
    value: Any = quiet
    for n in nodes:
        value = combine(value, _as_truth(n.value))
    return Node(expr, value, nodes)


def _operand(e: ast.Expr, ctx: Context, quiet: bool) -> Node:
    """An operand of `and` / `or`. In compact explanations one that cannot have decided the
    result (true under `and`, false under `or`) is reported by its compiled test alone."""
    if ctx.detail != "full":
        fn = ctx.fast_conditions.get(id(e))
        if fn is not None:
            try:
                if fn(ctx.facts.data, ctx.as_of, ctx.values) is quiet:
                    cited = _paths_read(e, ctx) if ctx.facts.evidence else ()
                    return Node(e, quiet, cited=cited)
            except Exception:  # a missing or ill-typed fact: interpret and explain it
                pass
    return _eval(e, ctx)


def _paths_read(e: ast.Expr, ctx: Context) -> tuple[str, ...]:
    """The fact paths an expression reads, as shown (`systems[web-chat].consent.recorded`)."""
    found = []
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Path):
            head, *rest = node.parts
            binding = ctx.bindings.get(head)
            if binding is not None:
                found.append(".".join([binding.shown, *rest]))
            elif head not in ctx.values:
                found.append(".".join(node.parts))
        elif isinstance(node, ast.Quantifier | ast.Count):
            stack.append(node.source)
        else:
            stack.extend(c for c in vars_of(node) if isinstance(c, _EXPR_TYPES))
    return tuple(found)


def vars_of(node: object) -> list[Any]:
    """The child values of an AST node (tuples flattened)."""
    out: list[Any] = []
    for name in getattr(node, "__slots__", ()):
        child = getattr(node, name, None)
        out.extend(child if isinstance(child, tuple) else (child,))
    return out


_EXPR_TYPES = (
    ast.BoolLit,
    ast.IntLit,
    ast.NumberLit,
    ast.StringLit,
    ast.DateLit,
    ast.DurationLit,
    ast.ListLit,
    ast.Path,
    ast.ParamRef,
    ast.Call,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Implies,
    ast.Compare,
    ast.Arith,
    ast.Neg,
    ast.Quantifier,
    ast.Count,
)


# ---- facts ----------------------------------------------------------------------------------


def _scoped_path(expr: ast.Path, ctx: Context) -> Node:
    """A fact's value, where the policy's scoped list (normally `systems`), read as a whole
    (`len(systems)`), holds only the items in scope, as every quantifier over it sees it."""
    node = _eval_path(expr, ctx)
    scope = ctx.scope
    if scope is None or expr.parts != scope[2].parts or not isinstance(node.value, list):
        return node
    if expr.parts[0] in ctx.bindings:
        return node  # a variable of the same name, not the facts' list
    _, bindings = _items(expr, ctx)
    kept, filters = [], []
    for b in bindings:
        where = _in_scope(expr, ctx, b)
        assert where is not None
        filters.append(where)
        if where.value is True:
            kept.append(b.value)
    value: Any = kept if all(f.value in (True, False) for f in filters) else UNKNOWN
    return Node(expr, value, [*filters], reads=node.reads)


def _eval_path(expr: ast.Path, ctx: Context) -> Node:
    head, *rest = expr.parts
    binding = ctx.bindings.get(head)
    if binding is not None:
        value, shown, json_path = binding.value, binding.shown, binding.json
    else:
        value, shown, json_path = ctx.facts.data.get(head), head, f"$.{head}"
    for part in rest:
        shown, json_path = f"{shown}.{part}", f"{json_path}.{part}"
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        value = UNKNOWN
    if binding is None:
        return Node(expr, value, reads=[Read(shown, json_path, value)])
    item = binding.shown
    fact = binding.pattern + shown[len(item) :]
    return Node(expr, value, reads=[Read(shown, json_path, value, fact, item)])


def _items(source: ast.Path, ctx: Context) -> tuple[Node, list[Binding]]:
    """The list a quantifier ranges over, with a binding (name, location) for each item."""
    listed = _eval_path(source, ctx)
    if not isinstance(listed.value, list):
        if listed.value is not UNKNOWN:
            listed.value = EvalError(f"`{'.'.join(source.parts)}` is not a list")
        return listed, []
    read = listed.reads[0]
    record = _record_type(source, ctx)
    key = key_field(record) if record else None
    make = Binding.item
    if key is None:
        return listed, [make(item, read, i, None, record) for i, item in enumerate(listed.value)]
    return listed, [
        make(item, read, i, item.get(key) if isinstance(item, dict) else None, record)
        for i, item in enumerate(listed.value)
    ]


def _record_type(source: ast.Path, ctx: Context) -> FactType | None:
    head, *rest = source.parts
    binding = ctx.bindings.get(head)
    current = (
        binding.record
        if binding
        else (ctx.vocabulary.fields[head].type if head in ctx.vocabulary.fields else None)
    )
    for part in rest:
        fld = current.fields.get(part) if current is not None else None
        current = fld.type if fld else None
    return current.item if current is not None and current.kind == "list" else None


def _in_scope(source: ast.Path, ctx: Context, binding: Binding) -> Node | None:
    """The policy's scope filter for an item of the scoped list (None when unscoped)."""
    if ctx.scope is None or source.parts != ctx.scope[2].parts:
        return None
    var, where, _ = ctx.scope
    saved = ctx.bindings.get(var)
    _bind(ctx, var, binding)
    try:
        return _eval(where, ctx)
    finally:
        _restore(ctx, var, saved)


def _bind(ctx: Context, var: str, binding: Binding) -> None:
    ctx.bindings[var] = binding
    ctx.values[var] = binding.value


def _restore(ctx: Context, var: str, saved: Binding | None) -> None:
    if saved is None:
        ctx.bindings.pop(var, None)
        ctx.values.pop(var, None)
    else:
        _bind(ctx, var, saved)


def _eval_quantifier(expr: ast.Quantifier, ctx: Context) -> Node:
    listed, bindings = _items(expr.source, ctx)
    node = Node(expr, listed.value, [listed], items=[])
    if not isinstance(listed.value, list):
        return node
    combine = kleene_or if expr.kind in ("any", "none") else kleene_and
    total: Any = expr.kind == "all"
    compact = ctx.detail != "full"
    fast = ctx.fast_items.get(id(expr)) if compact else None
    fast3 = ctx.fast_unknowns.get(id(expr)) if compact else None
    quiet = 1 if expr.kind == "all" else 2  # the fast code of an item that decides nothing
    quiet_truth = expr.kind == "all"  # the truth of such an item
    told = 0  # unknown items recorded with their explanation
    tally = Tally(node, expr.var, ctx)
    saved = ctx.bindings.get(expr.var)
    try:
        for binding in bindings:
            focused = ctx.focus is not None and binding.name == ctx.focus
            code: int | None = None
            if fast is not None and not focused:
                code = _fast_item(fast, binding.value, ctx)
                if code == 0:
                    continue  # out of range
                if code == quiet:
                    node.unlisted += 1
                    total = combine(total, quiet_truth)
                    continue
            if code is None and fast3 is not None and not focused:
                found = unknown_item(fast3, binding, ctx)
                if found is not None:
                    truth, noted = found
                    if truth is None:
                        continue  # out of range
                    # Items that decide nothing, and unknown ones beyond the first few, are
                    # counted with what they miss; false ones are explained below.
                    if truth is quiet_truth or (truth is UNKNOWN and told >= SHOWN_ITEMS):
                        tally.count(truth is UNKNOWN, noted, binding)
                        total = combine(total, truth)
                        continue
            _bind(ctx, expr.var, binding)
            detail = ctx.detail
            if focused:
                ctx.detail = "full"  # the item asked about, explained in full
            try:
                # In range by the fast test: the filter held, and explanations omit a held
                # filter.
                where = None if code is not None else _where(expr.source, expr.where, ctx, binding)
                if where is not None and where.value is False:
                    continue
                body = _eval(expr.body, ctx)
            finally:
                ctx.detail = detail
            w = True if where is None else _as_truth(where.value)
            b = _as_truth(body.value)
            truth = kleene_implies(w, b) if expr.kind == "all" else kleene_and(w, b)
            assert node.items is not None
            node.items.append(Item(binding.name, truth, where, body))
            told += truth is UNKNOWN
            total = combine(total, truth)
    finally:
        _restore(ctx, expr.var, saved)
    node.value = kleene_not(total) if expr.kind == "none" else total
    return node


def _fast_item(fn: ItemFn, item: Any, ctx: Context) -> int | None:
    """The compiled item test, or None where it cannot decide (then the item is interpreted)."""
    try:
        return fn(item, ctx.facts.data, ctx.as_of)
    except Exception:  # a missing or ill-typed fact: the interpreter explains it
        return None


def _where(source: ast.Path, where: ast.Expr | None, ctx: Context, binding: Binding) -> Node | None:
    """The item filter: the policy's scope (for the scoped list) and then `where`."""
    scope = _in_scope(source, ctx, binding)
    own = _eval(where, ctx) if where is not None else None
    if scope is None:
        return own
    if own is None:
        return scope
    assert where is not None  # `own` exists only when there is a `where`
    return Node(
        where,
        kleene_and(_as_truth(scope.value), _as_truth(own.value)),
        [scope, own],
    )


@dataclass(frozen=True)
class ScopeCount:
    """What the policy's scope makes of the scoped list (normally `systems`)."""

    admitted: int
    left_out: tuple[str, ...]  # the items it leaves out, by name
    # item → the (fact, item) of each missing fact that would decide it
    undecided: dict[str, list[tuple[str, str]]]
    considered: int  # how many items the list has


def scope_of_items(ctx: Context) -> ScopeCount:
    if ctx.scope is None:
        listed = ctx.facts.data.get("systems")
        n = len(listed) if isinstance(listed, list) else 0
        return ScopeCount(n, (), {}, n)
    source = ctx.scope[2]
    _, bindings = _items(source, ctx)
    admitted, left_out, undecided = 0, [], {}
    for b in bindings:
        node = _in_scope(source, ctx, b)
        if node is not None and node.value is True:
            admitted += 1
        elif node is not None and node.value is False:
            left_out.append(b.name)
        elif node is not None:
            undecided[b.shown] = list(node.missing_pairs())
    return ScopeCount(admitted, tuple(left_out), undecided, len(bindings))


def _eval_count(expr: ast.Count, ctx: Context) -> Node:
    listed, bindings = _items(expr.source, ctx)
    node = Node(expr, listed.value, [listed], items=[])
    if not isinstance(listed.value, list):
        return node
    count, state = 0, None
    saved = ctx.bindings.get(expr.var)
    try:
        for binding in bindings:
            _bind(ctx, expr.var, binding)
            where = _where(expr.source, expr.where, ctx, binding)
            w = True if where is None else _as_truth(where.value)
            assert node.items is not None
            node.items.append(Item(binding.name, w, where, None))
            if w is True:
                count += 1
            elif w is not False:
                state = state if isinstance(state, EvalError) else w
    finally:
        _restore(ctx, expr.var, saved)
    node.value = state if state is not None else count
    return node


# ---- comparisons, arithmetic and calls ------------------------------------------------------


def _eval_compare(expr: ast.Compare, ctx: Context) -> Node:
    left, right = _eval(expr.left, ctx), _eval(expr.right, ctx)
    node = Node(expr, _compare(expr.op, left.value, right.value), [left, right])
    if node.value is False:
        node.hint = _hint(expr, left, right)
    return node


def _hint(expr: ast.Compare, left: Node, right: Node) -> str:
    """`passes if: s.escalation.max_wait <= 120 seconds` for a comparison with a fact."""
    if isinstance(expr.left, ast.Path | ast.Call) and right.truth == "value":
        return f"passes if: {source_text(expr.left)} {expr.op} {render_value(right.value)}"
    if isinstance(expr.right, ast.Path | ast.Call) and left.truth == "value":
        return f"passes if: {render_value(left.value)} {expr.op} {source_text(expr.right)}"
    return ""


def _eval_arith(expr: ast.Arith, ctx: Context) -> Node:
    left, right = _eval(expr.left, ctx), _eval(expr.right, ctx)
    return Node(expr, _arith(expr.op, left.value, right.value), [left, right])


def _eval_call(expr: ast.Call, ctx: Context) -> Node:
    if expr.name == "is_set":
        arg = _eval_path(expr.args[0], ctx)  # type: ignore[arg-type]
        node = Node(expr, arg.value is not UNKNOWN, [arg])
        return node
    args = [_eval(a, ctx) for a in expr.args]
    values = [a.value for a in args]
    for v in values:
        if v is UNKNOWN or isinstance(v, EvalError):
            return Node(expr, v, args)
    return Node(expr, _BUILTINS[expr.name](ctx, *values), args)


def _age(ctx: Context, d: Any) -> Any:
    if not isinstance(d, dt.date):
        return EvalError(f"`age` needs a date, got {render_value(d)}")
    return Duration((ctx.as_of - d).days * 86400)


def _days_since(ctx: Context, d: Any) -> Any:
    if not isinstance(d, dt.date):
        return EvalError(f"`days_since` needs a date, got {render_value(d)}")
    return (ctx.as_of - d).days


def _len(ctx: Context, v: Any) -> Any:
    return len(v) if isinstance(v, (list, str)) else EvalError("`len` needs a list or a text")


def _lower(ctx: Context, v: Any) -> Any:
    return v.lower() if isinstance(v, str) else EvalError("`lower` needs a text")


_BUILTINS: dict[str, Callable[..., Any]] = {
    "age": _age,
    "days_since": _days_since,
    "len": _len,
    "today": lambda ctx: ctx.as_of,
    "lower": _lower,
}
