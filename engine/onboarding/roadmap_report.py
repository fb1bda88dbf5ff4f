"""A `Roadmap` → the terminal plan, or JSON data (what a program or a test applies).

The text reads top-down as the work is done: where the organisation is and the goal, the
missing facts to answer first (with the value that would pass), then the clauses to fix,
numbered prerequisites first and grouped by the role that owns them, and last the check that
applying every change reaches the goal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

from aicxs.aicxs_dsl.escape import printable_lines
from aicxs.aicxs_dsl.words import count, verb
from aicxs.engine.onboarding.roadmap import Change, Roadmap, Step, facts_value
from aicxs.engine.outcome import Report, standard_name
from aicxs.engine.render import STATUS_LABEL, VERDICT_WORD, level_name
from aicxs.engine.values import render_value

WIDTH = 100


def roadmap_text(plan: Roadmap) -> str:
    return printable_lines(_text(plan)) + "\n"


def _text(plan: Roadmap) -> Iterator[str]:
    before = plan.before
    policy = before.policy
    yield (
        f"Roadmap for {policy['title']} (policy {policy['id']}) · "
        f"{standard_name(before.standard)} · as of {before.as_of}"
    )
    yield f"Now:   {_level(before, before.overall_level)} · {VERDICT_WORD[before.verdict]}"
    yield f"Goal:  {_goal(plan)}"
    if not plan.steps:
        yield ""
        yield "Nothing to do: the goal is reached."
        return
    yield ""
    answers = plan.answers
    if answers:
        n = len(answers)
        blocks = f"{count(n, 'missing fact')} {verb(n, 'blocks', 'block')}"
        yield f"Answer first: {blocks} the goal (a value that would pass)"
        for c in answers:
            yield from _wrap(f"  {c.fact}: {_value(c)}  ({_why(c)})", 4)
        yield ""
    krs = sum(1 for s in plan.steps if s.result.kind == "key_requirement")
    parts = [(len(plan.steps) - krs, "clause"), (krs, "key requirement")]
    what = " and ".join(count(n, word) for n, word in parts if n) or count(0, "clause")
    yield f"Then fix: {what}, numbered prerequisites first, by owner"
    for owner, title in plan.owners.items():
        yield ""
        yield f"{title} ({owner})"
        for step in (s for s in plan.steps if s.owner == owner):
            yield from _step(plan, step)
    yield ""
    yield from _wrap(_checked(plan), 2)


def _level(report: Report, level: int) -> str:
    return f"level {level} ({level_name(report, level) or 'none'})"


def _goal(plan: Roadmap) -> str:
    before, target = plan.before, plan.before.target_level
    goal = _level(before, plan.goal)
    if plan.goal >= target:
        return f"{goal} and certification (target level {target})"
    return (
        f"{goal}, and the mandatory key requirements; certification needs level {target}: "
        f"`--to-level {target}`"
    )


def _step(plan: Roadmap, step: Step) -> Iterator[str]:
    r = step.result
    feeds = (
        f" · feeds {', '.join(r.trace.key_requirements)}"
        if r.trace and r.trace.key_requirements
        else ""
    )
    yield f"  {step.number}. {r.id} {r.title}"
    status = STATUS_LABEL[r.status]
    if r.blocked_by:
        numbers = {s.result.id: s.number for s in plan.steps}
        after = ", ".join(f"{b} (step {numbers[b]})" if b in numbers else b for b in r.blocked_by)
        status = f"{status} by {after}"
    where = f"level {r.level}" if r.level is not None else "mandatory key requirement"
    yield f"     {status} · {where}{feeds}"
    for f in step.failing:
        where = f"{f.item}: " if f.item else ""
        shown = f"{where}{f.condition} is {f.truth}"
        if f.now and f.truth == "false" and not f.now.endswith(": false"):
            shown += f" (now {f.now.split(': ', 1)[-1] if ', ' not in f.now else f.now})"
        if f.hint:
            shown += f"; {f.hint}"
        yield from _wrap(f"     failing  {shown}", 14)
    for c in step.changes:
        if not c.missing:
            yield from _wrap(
                f"     change   {c.fact}: {_value(c)}  (now {render_value(c.now)})", 14
            )
    answers = sum(1 for c in step.changes if c.missing)
    if answers:
        yield f"     answer   {answers} of the missing facts above"
    if not step.failing and not step.changes and r.blocked_by:
        yield "     passes once its prerequisites do"


def _value(c: Change) -> str:
    if c.value is None:
        return f"(no single value: {c.condition})"
    return render_value(c.value)


def _why(c: Change) -> str:
    plain = render_value(c.value) if c.value is not None else ""
    condition = f"{c.condition}; " if c.condition and c.condition != plain else ""
    return f"{condition}{', '.join(c.clauses)}"


def _checked(plan: Roadmap) -> str:
    after = plan.after
    changes = sum(1 for c in plan.changes if not c.missing and c.value is not None)
    answers = sum(1 for c in plan.answers if c.value is not None)
    done = f"with these {count(changes, 'change')} and {count(answers, 'answer')}"
    got = f"{_level(after, after.overall_level)}, {VERDICT_WORD[after.verdict]}"
    if plan.reached:
        return f"Checked: {done}, the facts reach {got}."
    left = [r for r in plan.steps if not _met(after, r.result.id)]
    return (
        f"Checked: {done}, the facts reach {got}; still unmet: "
        + ", ".join(s.result.id for s in left)
        + " (they need more than the fact changes proposed above)"
    )


def _met(report: Report, ident: str) -> bool:
    r = report.result(ident)
    return r is not None and r.status.satisfied


def _wrap(line: str, indent: int) -> list[str]:
    return textwrap.wrap(
        line,
        WIDTH,
        subsequent_indent=" " * indent,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [""]


# ---- JSON -----------------------------------------------------------------------------------


def roadmap_json(plan: Roadmap) -> dict[str, Any]:
    before, after = plan.before, plan.after
    return {
        "policy": before.policy["id"],
        "standard": standard_name(before.standard),
        "as_of": before.as_of.isoformat(),
        "now": {"level": before.overall_level, "verdict": before.verdict},
        "goal": {"level": plan.goal, "certification": plan.goal >= before.target_level},
        "answer_first": [_change_json(c) for c in plan.answers],
        "steps": [_step_json(s) for s in plan.steps],
        "check": {
            "level": after.overall_level,
            "verdict": after.verdict,
            "reached": plan.reached,
        },
    }


def _step_json(step: Step) -> dict[str, Any]:
    r = step.result
    return {
        "step": step.number,
        "id": r.id,
        "title": r.title,
        "owner": step.owner,
        "status": r.status.value,
        "level": r.level,
        "key_requirements": list(r.trace.key_requirements) if r.trace else [],
        "requires": step.requires,
        "blocked_by": list(r.blocked_by),
        "failing": [
            {
                "item": f.item or None,
                "condition": f.condition,
                "truth": f.truth,
                "observed": f.now,
                "hint": f.hint or None,
            }
            for f in step.failing
        ],
        "changes": [_change_json(c) for c in step.changes],
    }


def _change_json(c: Change) -> dict[str, Any]:
    return {
        "fact": c.fact,
        "json_path": c.json_path,
        "value": facts_value(c.value),
        "now": None if c.missing else facts_value(c.now),
        "missing": c.missing,
        "condition": c.condition,
        "clauses": c.clauses,
    }
