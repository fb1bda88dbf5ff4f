"""The questionnaire as web pages: the questions of one step (the AI systems, or one pillar) as
typed form fields, and the answers a form sends back read into the session.

The questions, their order, their relevance and the reading of answers are the terminal's
(`questionnaire.Session`, `answers.parse_answer`): one source for both. A step shows every
question of its group; those the answers so far make irrelevant are rendered hidden and
disabled (a script may show them again as answers change). A field's value goes back through
`parse_answer` as the text a person would type, so both ways accept and refuse the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aicxs.engine.onboarding.answers import Bounds, Parsed, hint, parse_answer
from aicxs.engine.onboarding.questionnaire import Question, Session
from aicxs.engine.onboarding.questionnaire_plan import OTHER, Group
from aicxs.engine.types import UNIT_SECONDS, Duration, key_field

SYSTEMS = "systems"  # the step that adds the AI systems
UNITS = tuple(f"{u}s" for u in UNIT_SECONDS)
SKIP = "skip"  # the value of a yes/no question's "don't know" choice


@dataclass
class Field:
    """One question as a form field."""

    id: str  # the HTML id, stable for a question: q-<digest>
    name: str  # the form field's name: the question's path
    text: str
    kind: str  # bool, int, number, date, duration, enum, list, text
    hint: str
    optional: bool
    clauses: list[str]
    choices: tuple[str, ...] = ()
    value: str = ""  # as the input shows it
    unit: str = "days"
    low: float | None = None
    high: float | None = None
    relevant: bool = True
    answered: bool = False
    skipped: bool = False
    error: str = ""


@dataclass
class Section:
    title: str  # `Organisation`, `System web-chat`, ...
    fields: list[Field] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    id: str  # `systems`, a pillar id, or `Other`
    title: str
    group: Group | None


def steps(session: Session) -> list[Step]:
    out = [Step(SYSTEMS, "AI systems", None)]
    for g in session.groups:
        title = f"{g.id} {g.title}" if g.number else "Other facts"
        out.append(Step(g.id, title, g))
    return out


def field_id(name: str) -> str:
    return "q-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def questions_of(session: Session, step: Step) -> list[Question]:
    if step.group is not None:
        return session.questions(step.group)
    out = []
    for name in session.item_lists():
        record = session.compiled.vocabulary.fields[name].type.item
        key = (key_field(record) if record is not None else None) or "id"
        for i, item in enumerate(_items(session, name)):
            for fact in session.plan.scope_facts:
                if fact.list_name == name:
                    out.append(Question(fact, str(item.get(key)), i))
    return out


def _items(session: Session, name: str) -> list[dict[str, Any]]:
    found = session.data.get(name)
    return found if isinstance(found, list) else []


def sections(
    session: Session,
    step: Step,
    clauses: Mapping[tuple[str, ...], list[str]],
    skipped: Iterable[str],
    typed: Mapping[str, tuple[str, str]] | None = None,
) -> list[Section]:
    """The step's questions as fields, in sections: the organisation's facts, then each
    system's, then the organisation's facts that depend on the systems. `typed` keeps what
    was sent (and why it was refused) for fields to show again."""
    skipped = set(skipped)
    typed = typed or {}
    out: dict[str, Section] = {}
    for q in questions_of(session, step):
        title = f"System {q.item}" if q.item is not None else "Organisation"
        if q.item is None and step.group is not None and q.fact in step.group.late:
            title = "Organisation, across its systems"
        f = make_field(session, q, clauses.get(q.fact.path, []))
        f.skipped = q.shown in skipped and not f.answered
        if q.shown in typed:
            f.value, f.error = typed[q.shown]
        out.setdefault(title, Section(title)).fields.append(f)
    return list(out.values())


def make_field(session: Session, q: Question, clauses: list[str]) -> Field:
    t, bounds = q.type, q.fact.bounds
    value = session.value(q)
    f = Field(
        field_id(q.shown),
        q.shown,
        q.text,
        t.kind if t.kind in ("bool", "int", "number", "date", "duration", "enum") else "text",
        hint(t, bounds).removesuffix(", or skip"),
        q.fact.declared.optional,
        clauses,
        choices=t.values if t.kind == "enum" else (),
        relevant=session.relevant(q),
        answered=value is not None,
    )
    if t.kind == "list":
        f.kind = "list"
    if bounds is not None:
        f.low, f.high = bounds.low, bounds.high
    if value is not None:
        f.value, f.unit = shown_value(value, t.kind)
    return f


def shown_value(value: Any, kind: str) -> tuple[str, str]:
    """A recorded answer as its input shows it, and the unit of a duration."""
    if kind == "bool":
        return ("yes" if value else "no"), "days"
    if kind == "duration" and isinstance(value, int):
        for unit, seconds in reversed(UNIT_SECONDS.items()):
            if value % seconds == 0 and (unit not in ("month", "year") or value % 86400):
                return str(value // seconds), f"{unit}s"
    if isinstance(value, dt.date):
        return value.isoformat(), "days"
    if isinstance(value, list):
        return ", ".join(shown_value(v, "text")[0] for v in value), "days"
    if isinstance(value, float):
        return f"{value:g}", "days"
    return str(value), "days"


def typed_text(form: Mapping[str, str], q: Question) -> str | None:
    """What the form sent for a question, as the text a person would type; None if the form
    did not send it (the field was not on the page, or disabled)."""
    raw = form.get(q.shown)
    if raw is None:
        return None
    raw = raw.strip()
    if q.type.kind == "bool" and raw == SKIP:
        return ""
    if q.type.kind == "duration" and raw:
        unit = form.get(f"{q.shown}::unit", "days")
        return f"{raw} {unit if unit in UNITS else 'days'}"
    return raw


def read_answer(text: str, q: Question) -> Parsed:
    got = parse_answer(text, q.type, q.fact.bounds)
    if got.error and _share(q.fact.bounds) and _looks_like_percent(text):
        percent = float(text)
        got = Parsed(
            None, f"{got.error} (a share is a fraction: {percent:g}% is {percent / 100:g})"
        )
    return got


def _share(bounds: Bounds | None) -> bool:
    return bounds is not None and bounds.low == 0 and bounds.high == 1


def _looks_like_percent(text: str) -> bool:
    try:
        return 1 < float(text) <= 100
    except ValueError:
        return False


@dataclass
class Outcome:
    """What reading a form did: the answers recorded, and those refused (text, why)."""

    recorded: int = 0
    refused: dict[str, tuple[str, str]] = field(default_factory=dict)


def apply(
    session: Session, questions: list[Question], form: Mapping[str, str], skipped: set[str]
) -> Outcome:
    """Read every question the form sent into the session; a blank answer (or "skip") makes
    the fact unknown and marks the question skipped."""
    out = Outcome()
    for q in questions:
        text = typed_text(form, q)
        if text is None:
            continue
        got = read_answer(text, q)
        if got.error:
            out.refused[q.shown] = (form.get(q.shown, ""), got.error)
            continue
        if got.value is None:
            if session.value(q) is not None:
                session.answer(q, None)
            skipped.add(q.shown)
        else:
            if session.value(q) != got.value or isinstance(got.value, Duration):
                session.answer(q, got.value)
            skipped.discard(q.shown)
        out.recorded += 1
    return out


@dataclass(frozen=True)
class Progress:
    answered: int
    skipped: int
    total: int  # questions that can matter

    @property
    def todo(self) -> int:
        return self.total - self.answered - self.skipped


def progress(session: Session, step: Step, skipped: Iterable[str]) -> Progress:
    skipped = set(skipped)
    relevant = [q for q in questions_of(session, step) if session.relevant(q)]
    answered = sum(1 for q in relevant if session.value(q) is not None)
    passed = sum(1 for q in relevant if session.value(q) is None and q.shown in skipped)
    return Progress(answered, passed, len(relevant))


def step_of(session: Session, path: str) -> str:
    """The step that asks a fact (given as a report shows it: `systems[web-chat].x`)."""
    for s in steps(session)[1:]:
        if any(q.shown == path for q in questions_of(session, s)):
            return s.id
    return SYSTEMS if "[" in path else OTHER
