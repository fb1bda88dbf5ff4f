"""The Online Assessment: the facts vocabulary of a policy as a questionnaire, as a state machine.

The facts come grouped by pillar (`questionnaire_plan.plan`: the pillar whose clause checks read
them first; facts no check reads last, under "Other"). `Session.run()` is a generator: it
yields steps (a group begins, a question, a rejected answer, a group is done) and is sent the
text typed for each question, which it validates by the fact's type. `cli.py` drives it with
prompts; `answers.AnswerFile` can answer instead. A question that cannot matter is not asked:
every check that reads the fact reads it under a `where` filter, the policy's scope or the left
side of an `implies` that the answers so far make false (for an `optional` fact, also the left
side of an `and` already false).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.evaluator import Binding, Context, evaluate_check
from aicxs.engine.facts import FactsDocument
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.onboarding.answers import ITEM_ID, Parsed, hint, parse_answer, parse_yes_no
from aicxs.engine.onboarding.questionnaire_plan import OTHER, Cond, Fact, Frame, Group, Range, plan
from aicxs.engine.onboarding.scaffold import render_facts
from aicxs.engine.types import Type, key_field

NOUNS = {"systems": "an AI system"}  # how "Add ...?" names an item of a list


# ---- steps: what the session yields ---------------------------------------------------------


@dataclass(frozen=True)
class Question:
    fact: Fact
    item: str | None = None  # the item's id, for a fact of a list item
    index: int = 0  # the item's position in its list

    @property
    def shown(self) -> str:
        """`organisation.strategy.documented`, `systems[web-chat].escalation.available`."""
        head, *rest = self.fact.path
        if self.item is None:
            return ".".join(self.fact.path)
        return f"{head}[{self.item}]." + ".".join(rest)

    @property
    def text(self) -> str:
        return self.fact.declared.question

    @property
    def type(self) -> Type:
        return self.fact.declared.type

    @property
    def prompt(self) -> str:
        return f"{self.text} [{hint(self.type, self.fact.bounds)}]"


@dataclass(frozen=True)
class GroupStart:
    title: str
    label: str  # `pillar 3 of 6`, `facts no check reads`, ...
    pending: int  # questions it will ask, as far as the answers so far tell


@dataclass(frozen=True)
class Ask:
    question: Question
    number: int
    total: int  # the questions of this session, as far as the answers so far tell
    label: str

    @property
    def prompt(self) -> str:
        return self.question.prompt


@dataclass(frozen=True)
class AddItem:
    list_name: str
    listed: tuple[str, ...]  # the items already recorded

    @property
    def prompt(self) -> str:
        noun = NOUNS.get(self.list_name, f"an item to `{self.list_name}`")
        if self.listed:
            noun = noun.replace("an ", "another ", 1)
        return f"Add {noun}? [y/n]"


@dataclass(frozen=True)
class AskId:
    list_name: str
    question: str
    listed: tuple[str, ...]  # the items already recorded

    @property
    def prompt(self) -> str:
        return f"{self.question} [e.g. web-chat]"


@dataclass(frozen=True)
class Rejected:
    message: str


@dataclass(frozen=True)
class GroupDone:
    title: str
    changed: bool  # whether an answer was recorded since the last save


Step = GroupStart | Ask | AddItem | AskId | Rejected | GroupDone
Prompt = Ask | AddItem | AskId


# ---- the session ----------------------------------------------------------------------------


class Session:
    """One run of the questionnaire over a facts document (empty, or partly answered)."""

    def __init__(
        self,
        compiled: CompiledPolicy,
        data: dict[str, Any] | None = None,
        evidence: list[dict[str, Any]] | None = None,
        as_of: dt.date | None = None,
    ) -> None:
        self.compiled = compiled
        self.plan = plan(compiled)
        self.groups = self.plan.groups
        self.data: dict[str, Any] = copy.deepcopy(data) if data else {}
        self.evidence = list(evidence or [])
        self.ctx = Context(
            FactsDocument("<answers>", self.data),
            compiled.plan.params,
            as_of or dt.date.today(),
            compiled.vocabulary,
            scope=compiled.plan.scope,
            detail="full",
        )
        self.already = sum(1 for q in self._questions() if self._value(q) is not None)
        self.asked = 0
        self.recorded = 0  # answers recorded in this session
        self.changed = False  # an answer was recorded since the last save
        self.done: set[str] = set()  # questions asked (or skipped) in this session

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Generator[Step, str | None, None]:
        """The questionnaire: send the text typed for each prompt step, `None` after others."""
        for list_name in self._item_lists():
            yield from self._add_items(list_name)
        pillars = sum(1 for g in self.groups if g.number)
        for group in self.groups:
            label = (
                f"pillar {group.number} of {pillars}" if group.number else "facts no check reads"
            )
            pending = sum(1 for q in self._questions([group]) if self._due(q))
            title = f"{group.id} {group.title}" if group.number else OTHER
            yield GroupStart(title, label, pending)
            for q in self._questions([group]):
                if self._due(q):
                    yield from self._ask(q, label)
            yield GroupDone(group.title, self._saved())

    def facts_text(self) -> str:
        policy, std = self.compiled.policy, self.compiled.standard
        title = (
            f"{policy.title} — facts for the {std.name} assessment (policy {policy.name}), "
            "recorded with `aicxs assess`."
        )
        return render_facts(self.compiled.vocabulary, self.data, title, self.evidence)

    def _saved(self) -> bool:
        changed, self.changed = self.changed, False
        return changed

    def _ask(self, q: Question, label: str) -> Generator[Step, str | None, None]:
        while True:
            total = self.asked + sum(1 for p in self._questions() if self._due(p))
            raw = yield Ask(q, self.asked + 1, total, label)
            got: Parsed = parse_answer(raw or "", q.type, q.fact.bounds)
            if not got.error:
                break
            yield Rejected(got.error)
        self.asked += 1
        self.done.add(q.shown)
        if got.value is not None:
            self._set(q, got.value)

    def _add_items(self, list_name: str) -> Generator[Step, str | None, None]:
        record = self.compiled.vocabulary.fields[list_name].type.item
        assert record is not None, f"`{list_name}` is a list of records"
        key = key_field(record) or "id"
        yield GroupStart("AI systems", "added one by one, before the pillars", 0)
        for index, item in enumerate(self._list(list_name)):
            yield from self._scope_questions(list_name, index, str(item.get(key)))
        while True:
            listed = tuple(str(i.get(key)) for i in self._list(list_name))
            raw = yield AddItem(list_name, listed)
            yes = parse_yes_no(raw or "")
            if yes is None:
                yield Rejected("answer y or n")
                continue
            if not yes:
                break
            ident = yield from self._item_id(list_name, record.fields[key].question, listed)
            self.data.setdefault(list_name, []).append({key: ident})
            self.changed = True
            yield from self._scope_questions(list_name, len(listed), ident)
        yield GroupDone("AI systems", self._saved())

    def _item_id(
        self, list_name: str, question: str, listed: tuple[str, ...]
    ) -> Generator[Step, str | None, str]:
        while True:
            ident = ((yield AskId(list_name, question, listed)) or "").strip()
            if not ITEM_ID.fullmatch(ident):
                yield Rejected(
                    "an id is letters, digits, `-`, `_` or `.` (at most 80), e.g. web-chat"
                )
            elif ident in listed:
                yield Rejected(f"`{ident}` is already recorded: give each its own id")
            else:
                return ident

    def _scope_questions(
        self, list_name: str, index: int, ident: str
    ) -> Generator[Step, str | None, None]:
        for fact in (f for f in self.plan.scope_facts if f.list_name == list_name):
            q = Question(fact, ident, index)
            if self._value(q) is None and q.shown not in self.done:
                yield from self._ask(q, "AI systems")

    # -- questions and relevance --------------------------------------------------------------

    def _item_lists(self) -> list[str]:
        vocabulary = self.compiled.vocabulary
        return [
            name
            for name, f in vocabulary.fields.items()
            if f.type.kind == "list" and f.type.item is not None and key_field(f.type.item)
        ]

    def _list(self, name: str) -> list[dict[str, Any]]:
        items = self.data.get(name)
        return items if isinstance(items, list) else []

    def _questions(self, groups: list[Group] | None = None) -> Iterator[Question]:
        for group in self.groups if groups is None else groups:
            for fact in group.early:
                yield Question(fact)
            for fact in group.items:
                assert fact.list_name is not None
                record = self.compiled.vocabulary.fields[fact.list_name].type.item
                assert record is not None, f"`{fact.list_name}` is a list of records"
                key = key_field(record) or "id"
                for index, item in enumerate(self._list(fact.list_name)):
                    yield Question(fact, str(item.get(key)), index)
            for fact in group.late:
                yield Question(fact)

    def _due(self, q: Question) -> bool:
        return q.shown not in self.done and self._value(q) is None and self._relevant(q)

    def _value(self, q: Question) -> Any:
        node: Any = self._list(q.fact.path[0])[q.index] if q.item is not None else self.data
        for part in q.fact.path[1:] if q.item is not None else q.fact.path:
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def _set(self, q: Question, value: Any) -> None:
        node: dict[str, Any] = (
            self._list(q.fact.path[0])[q.index] if q.item is not None else self.data
        )
        parts = q.fact.path[1:] if q.item is not None else q.fact.path
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        self.recorded += 1
        self.changed = True

    def _relevant(self, q: Question) -> bool:
        if not q.fact.sites:
            return True
        fixed = self._binding(q) if q.item is not None else None
        return any(
            self._possible(site.frames, site.var, fixed, q.fact.declared.optional)
            for site in q.fact.sites
        )

    def _binding(self, q: Question) -> Binding:
        list_name = q.fact.path[0]
        item = self._list(list_name)[q.index]
        record = self.compiled.vocabulary.fields[list_name].type.item
        return Binding(item, f"{list_name}[{q.item}]", f"$.{list_name}[{q.index}]", record)

    def _possible(
        self, frames: tuple[Frame, ...], var: str | None, fixed: Binding | None, optional: bool
    ) -> bool:
        """Whether some assignment of the quantified items leaves every guard not moot."""
        if not frames:
            return True
        frame, rest = frames[0], frames[1:]
        if isinstance(frame, Cond):
            if frame.soft and not optional:
                return self._possible(rest, var, fixed, optional)
            value = evaluate_check(frame.expr, self.ctx).value
            return value is not frame.moot and self._possible(rest, var, fixed, optional)
        candidates = (
            [fixed] if fixed is not None and frame.var == var else self._bindings(frame.source)
        )
        if candidates is None:  # the list itself is unknown
            return self._possible(rest, var, fixed, optional)
        saved = self.ctx.bindings.get(frame.var)
        try:
            for binding in candidates:
                self.ctx.bindings[frame.var] = binding
                if self._admits(frame, binding) and self._possible(rest, var, fixed, optional):
                    return True
        finally:
            if saved is None:
                self.ctx.bindings.pop(frame.var, None)
            else:
                self.ctx.bindings[frame.var] = saved
        return False

    def _admits(self, frame: Range, binding: Binding) -> bool:
        """The item is in range: not excluded by the policy's scope nor by the `where`."""
        scope = self.compiled.plan.scope
        if scope is not None and frame.source.parts == scope[2].parts:
            saved = self.ctx.bindings.get(scope[0])
            self.ctx.bindings[scope[0]] = binding
            try:
                if evaluate_check(scope[1], self.ctx).value is False:
                    return False
            finally:
                if saved is None:
                    self.ctx.bindings.pop(scope[0], None)
                else:
                    self.ctx.bindings[scope[0]] = saved
        return frame.where is None or evaluate_check(frame.where, self.ctx).value is not False

    def _bindings(self, source: ast.Path) -> list[Binding] | None:
        head, *rest = source.parts
        bound = self.ctx.bindings.get(head)
        value: Any = bound.value if bound is not None else self.data.get(head)
        for part in rest:
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, list):
            return None
        record = self.compiled.vocabulary.fields[head].type.item if bound is None else None
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

    # -- the same questions as pages (engine/onboarding/web): read and answer in any order -----

    def questions(self, group: Group | None = None) -> list[Question]:
        """The questions of one group (of all, if None), items expanded, in asking order."""
        return list(self._questions(None if group is None else [group]))

    def relevant(self, q: Question) -> bool:
        """Whether the answer can still matter, given the answers so far."""
        return self._relevant(q)

    def value(self, q: Question) -> Any:
        """The recorded answer, or None (unknown)."""
        return self._value(q)

    def answer(self, q: Question, value: Any) -> None:
        """Record an answer; None makes the fact unknown again."""
        self._set(q, value)

    def item_lists(self) -> list[str]:
        """The lists whose items are added one by one (`systems`)."""
        return self._item_lists()
