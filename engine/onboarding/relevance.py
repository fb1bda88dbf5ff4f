"""Whether a question of the Online Assessment can matter: every check that reads its fact
reads it under a quantifier's `where`, the policy's scope, or the left side of an `implies`
(for an `optional` fact, also of an `and`/`or`) that the answers so far may still leave open.
Evaluated over the session's answers so far (`Session.ctx`); nothing is changed.
"""

from __future__ import annotations

from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.evaluator import Binding, evaluate_check
from aicxs.engine.onboarding.questionnaire_plan import Cond, Frame, Range
from aicxs.engine.onboarding.steps import Question
from aicxs.engine.types import key_field


def relevant(session: Any, q: Question) -> bool:
    """Whether the answer to `q` can matter, given the answers so far."""
    if not q.fact.sites:
        return True
    fixed = _binding(session, q) if q.item is not None else None
    return any(
        _possible(session, site.frames, site.var, fixed, q.fact.declared.optional)
        for site in q.fact.sites
    )


def _binding(session: Any, q: Question) -> Binding:
    list_name = q.fact.path[0]
    item = session._list(list_name)[q.index]
    record = session.compiled.vocabulary.fields[list_name].type.item
    return Binding(item, f"{list_name}[{q.item}]", f"$.{list_name}[{q.index}]", record)


def _possible(
    session: Any,
    frames: tuple[Frame, ...],
    var: str | None,
    fixed: Binding | None,
    optional: bool,
) -> bool:
    """Whether some assignment of the quantified items leaves every guard not moot."""
    if not frames:
        return True
    frame, rest = frames[0], frames[1:]
    if isinstance(frame, Cond):
        if frame.soft and not optional:
            return _possible(session, rest, var, fixed, optional)
        value = evaluate_check(frame.expr, session.ctx).value
        return value is not frame.moot and _possible(session, rest, var, fixed, optional)
    candidates = (
        [fixed] if fixed is not None and frame.var == var else _bindings(session, frame.source)
    )
    if candidates is None:  # the list itself is unknown
        return _possible(session, rest, var, fixed, optional)
    saved = session.ctx.bindings.get(frame.var)
    try:
        for binding in candidates:
            session.ctx.bindings[frame.var] = binding
            if _admits(session, frame, binding) and _possible(session, rest, var, fixed, optional):
                return True
    finally:
        if saved is None:
            session.ctx.bindings.pop(frame.var, None)
        else:
            session.ctx.bindings[frame.var] = saved
    return False


def _admits(session: Any, frame: Range, binding: Binding) -> bool:
    """The item is in range: not excluded by the policy's scope nor by the `where`."""
    scope = session.compiled.plan.scope
    if scope is not None and frame.source.parts == scope[2].parts:
        saved = session.ctx.bindings.get(scope[0])
        session.ctx.bindings[scope[0]] = binding
        try:
            if evaluate_check(scope[1], session.ctx).value is False:
                return False
        finally:
            if saved is None:
                session.ctx.bindings.pop(scope[0], None)
            else:
                session.ctx.bindings[scope[0]] = saved
    return frame.where is None or evaluate_check(frame.where, session.ctx).value is not False


def _bindings(session: Any, source: ast.Path) -> list[Binding] | None:
    head, *rest = source.parts
    bound = session.ctx.bindings.get(head)
    value: Any = bound.value if bound is not None else session.data.get(head)
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, list):
        return None
    record = session.compiled.vocabulary.fields[head].type.item if bound is None else None
    key = key_field(record) if record else None
    return [
        Binding(
            item,
            f"{head}[{item.get(key) if key and isinstance(item, dict) else i}]",
            f"$.{head}[{i}]",
            record,
        )
        for i, item in enumerate(value)
    ]
