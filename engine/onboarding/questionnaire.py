"""The Online Assessment: the facts vocabulary of a policy as a questionnaire, as a state machine.

The facts come grouped by pillar (`questionnaire_plan.plan`: the pillar whose clause checks read
them first; facts no check reads last, under "Other"); the AI systems come first, each with its
id, its name and the facts the policy's scope reads. `Session.run()` is a generator: it yields
steps (`steps.py`: a group begins, a question, a rejected answer, a group is done) and is sent the
text typed for each prompt, which it validates by the fact's type. `cli.py` drives it with
prompts; `answers.AnswerFile` can answer instead; a web front end can drive the same generator.
A question that cannot matter is not asked: every check that reads the fact reads it under a
`where` filter, the policy's scope or the left side of an `implies` that the answers so far make
false (for an `optional` fact, also the left side of an `and` already false).

Any prompt may be answered `back`: the session keeps a journal of what each reply changed
(`history.py`), takes the last one back and walks again, which reaches exactly that prompt. A
question skipped is remembered (`Session.skipped`, saved in the facts file as `skipped:`), so a
resumed assessment does not ask it again unless `ask_skipped`.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Generator, Iterator
from typing import Any

from aicxs.engine.evaluator import Context
from aicxs.engine.facts import FactsDocument
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.onboarding.answers import ITEM_ID, Parsed, parse_answer, parse_yes_no
from aicxs.engine.onboarding.history import History
from aicxs.engine.onboarding.questionnaire_plan import OTHER, Group, plan
from aicxs.engine.onboarding.relevance import relevant
from aicxs.engine.onboarding.scaffold import EXAMPLE_SYSTEM, render_facts
from aicxs.engine.onboarding.steps import (
    NOUNS,
    AddItem,
    Ask,
    AskId,
    Confirm,
    GroupDone,
    GroupStart,
    Prompt,
    Question,
    Rejected,
    Step,
    Undone,
    is_back,
)
from aicxs.engine.types import key_field

__all__ = [
    "NOUNS",
    "AddItem",
    "Ask",
    "AskId",
    "Confirm",
    "GroupDone",
    "GroupStart",
    "Prompt",
    "Question",
    "Rejected",
    "Session",
    "Step",
    "Undone",
]

# ---- the session ----------------------------------------------------------------------------


class _Back(Exception):
    """`back` was typed at a prompt; `undo` says whether an answer is to be taken back (not at
    the id prompt of a new item: that only returns to "Add ...?")."""

    def __init__(self, undo: bool = True) -> None:
        self.undo = undo


class Session:
    """One run of the questionnaire over a facts document (empty, or partly answered).

    `skipped` are the questions an earlier run was told to skip (a facts file's `skipped:`);
    they are not asked again unless `ask_skipped`. `remember_skips=False` leaves an unanswered
    question unknown without remembering it (an answers file that does not answer it).
    The skips are saved in the facts file itself (`facts_text()`), so whatever saves it (this
    CLI, a web front end) resumes from one document; the journal `back` undoes is kept in the
    session object only, so `back` reaches as far as the session that is being driven."""

    def __init__(
        self,
        compiled: CompiledPolicy,
        data: dict[str, Any] | None = None,
        evidence: list[dict[str, Any]] | None = None,
        as_of: dt.date | None = None,
        skipped: list[str] | None = None,
        ask_skipped: bool = False,
        remember_skips: bool = True,
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
        self.already = sum(1 for q in self._every_question() if self._value(q) is not None)
        # insertion-ordered, so the file lists them in the order they were skipped
        self.skipped: dict[str, None] = dict.fromkeys(skipped or ())
        self.ask_skipped = ask_skipped
        self.remember_skips = remember_skips
        self.asked = 0
        self.recorded = 0  # answers recorded in this session
        self.changed = False  # an answer was recorded since the last save
        self.done: set[str] = set()  # questions asked (or skipped) in this session
        self.history = History(self)
        self.closed: set[str] = set()  # lists told "no more items" in this session
        self.kept: set[str] = set()  # example items the person chose to keep
        self._started: set[str] = set()  # groups begun in this session
        self._current = ""  # the group begun last

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Generator[Step, str | None, None]:
        """The questionnaire: send the text typed for each prompt step, `None` after others.
        `back` at a prompt takes the previous answer back and asks it again."""
        while True:
            try:
                yield from self._walk()
                return
            except _Back as back:
                if not back.undo:
                    yield Undone("the new item")
                    continue
                undone = self.history.undo()
                if undone is None:
                    yield Rejected("nothing to go back to: this is the first question")
                else:
                    yield Undone(undone)

    def skipped_still(self) -> list[str]:
        """The remembered skips that are still unanswered, in the order they were skipped."""
        return [s for s in self.skipped if self._value_of(s) is None]

    def facts_text(self) -> str:
        policy, std = self.compiled.policy, self.compiled.standard
        title = (
            f"{policy.title} — facts for the {std.name} assessment (policy {policy.name}), "
            "recorded with `aicxs assess`."
        )
        return render_facts(
            self.compiled.vocabulary, self.data, title, self.evidence, skipped=self.skipped_still()
        )

    def _walk(self) -> Generator[Step, str | None, None]:
        for list_name in self._item_lists():
            yield from self._add_items(list_name)
        pillars = sum(1 for g in self.groups if g.number)
        for group in self.groups:
            if not group.facts():
                continue  # e.g. no fact is left that no check reads
            label = (
                f"pillar {group.number} of {pillars}" if group.number else "facts no check reads"
            )
            pending = sum(1 for q in self._questions([group]) if self._due(q))
            title = f"{group.id} {group.title}" if group.number else OTHER
            shown = self._begin(title, pending)
            if shown:
                yield GroupStart(title, label, pending)
            for q in self._questions([group]):
                if self._due(q):
                    yield from self._ask(q, label)
            if shown or pending:
                yield GroupDone(group.title, self._saved())

    def _begin(self, title: str, pending: int) -> bool:
        """Whether a group's heading is shown: the first time the group is reached, and again
        when `back` returns into it from another group (a walk again after `back` goes
        through the groups already done without showing them)."""
        if title in self._started and (pending == 0 or title == self._current):
            return False
        self._started.add(title)
        self._current = title
        return True

    def _saved(self) -> bool:
        changed, self.changed = self.changed, False
        return changed

    def _ask(self, q: Question, label: str) -> Generator[Step, str | None, None]:
        while True:
            total = self.asked + sum(1 for p in self._every_question() if self._due(p))
            raw = yield Ask(q, self.asked + 1, total, label)
            if is_back(raw):
                raise _Back()
            got: Parsed = parse_answer(raw or "", q.type, q.fact.bounds, self.ctx.as_of)
            if not got.error:
                break
            yield Rejected(got.error)
        self.asked += 1
        self.done.add(q.shown)
        before = self._value(q)
        if got.value is not None:
            self.history.answered(q, before, q.shown in self.skipped)
            self.skipped.pop(q.shown, None)
            self._set(q, got.value)
        else:
            self.history.skipped(q, q.shown in self.skipped)
            if self.remember_skips:
                self.skipped[q.shown] = None
                self.changed = True

    def _prompt(self, step: Prompt) -> Generator[Step, str | None, bool]:
        """A yes/no prompt, asked until answered; `back` is raised."""
        while True:
            raw = yield step
            if is_back(raw):
                raise _Back()
            yes = parse_yes_no(raw or "")
            if yes is not None:
                return yes
            yield Rejected("answer y or n")

    def _add_items(self, list_name: str) -> Generator[Step, str | None, None]:
        record = self.compiled.vocabulary.fields[list_name].type.item
        assert record is not None, f"`{list_name}` is a list of records"
        key = key_field(record) or "id"
        pending = sum(
            1
            for index, item in enumerate(self._list(list_name))
            for _ in self._item_questions(list_name, index, str(item.get(key)))
        )
        shown = self._begin("AI systems", pending + (list_name not in self.closed))
        if shown:
            yield GroupStart("AI systems", "added one by one, before the pillars", pending)
        yield from self._examples(list_name, key)
        for index, item in enumerate(self._list(list_name)):
            for q in self._item_questions(list_name, index, str(item.get(key))):
                yield from self._ask(q, "AI systems")
        while list_name not in self.closed:
            listed = tuple(str(i.get(key)) for i in self._list(list_name))
            if not (yield from self._prompt(AddItem(list_name, listed))):
                self.closed.add(list_name)
                self.history.closed(list_name)
                break
            ident = yield from self._item_id(list_name, record.fields[key].question, listed)
            self.history.added(list_name, ident, list_name not in self.data)
            self.data.setdefault(list_name, []).append({key: ident})
            self.changed = True
            for q in self._item_questions(list_name, len(listed), ident):
                yield from self._ask(q, "AI systems")
        if shown or self.changed:
            yield GroupDone("AI systems", self._saved())

    def _examples(self, list_name: str, key: str) -> Generator[Step, str | None, None]:
        """The example item of an `aicxs init` template, recorded with nothing but its id (as
        templates written before it became a comment have it): keep it, or drop it."""
        for index, item in enumerate(self._list(list_name)):
            ident = str(item.get(key))
            if ident != EXAMPLE_SYSTEM or ident in self.kept or set(item) - {key}:
                continue
            message = (
                f"`{ident}` is the example system of the `aicxs init` template, with nothing "
                "recorded for it"
            )
            if (yield from self._prompt(Confirm(list_name, ident, message))):
                self.kept.add(ident)
                self.history.kept(ident)
            else:
                self.history.dropped(list_name, index, self._list(list_name).pop(index))
                self.changed = True
            return  # one example per list; the walk goes on from here

    def _item_id(
        self, list_name: str, question: str, listed: tuple[str, ...]
    ) -> Generator[Step, str | None, str]:
        while True:
            raw = yield AskId(list_name, question, listed)
            if is_back(raw):
                raise _Back(undo=False)
            ident = (raw or "").strip()
            if not ITEM_ID.fullmatch(ident):
                yield Rejected(
                    "an id is letters, digits, `-`, `_` or `.` (at most 80), e.g. web-chat"
                )
            elif ident in listed:
                yield Rejected(f"`{ident}` is already recorded: give each its own id")
            else:
                return ident

    def _item_questions(self, list_name: str, index: int, ident: str) -> Iterator[Question]:
        """The questions asked with each item, as it is added: its name first, then the facts
        the policy's scope reads."""
        facts = [*self.plan.naming_facts, *self.plan.scope_facts]
        for fact in (f for f in facts if f.list_name == list_name):
            q = Question(fact, ident, index)
            if self._open(q):
                yield q

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

    def _every_question(self) -> Iterator[Question]:
        """The questions of the groups, and those asked with each item (its name, its scope)."""
        yield from self._questions()
        facts = [*self.plan.naming_facts, *self.plan.scope_facts]
        for fact in facts:
            assert fact.list_name is not None
            for index, item in enumerate(self._list(fact.list_name)):
                yield Question(fact, str(item.get("id")), index)

    def _due(self, q: Question) -> bool:
        return self._open(q) and self._relevant(q)

    def _open(self, q: Question) -> bool:
        """Unanswered, not yet asked in this session, and not skipped before (unless those
        are to be asked again)."""
        if q.shown in self.done or self._value(q) is not None:
            return False
        return self.ask_skipped or q.shown not in self.skipped

    def _value_of(self, shown: str) -> Any:
        """The value at `organisation.strategy.documented` or `systems[web-chat].risk`."""
        head, _, rest = shown.partition("[")
        node: Any = self.data
        if rest:
            ident, _, tail = rest.partition("]")
            items = self._list(head)
            node = next((i for i in items if str(i.get("id")) == ident), None)
            parts = tail.lstrip(".").split(".")
        else:
            parts = shown.split(".")
        for part in parts:
            node = node.get(part) if isinstance(node, dict) else None
        return node

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

    def _unset(self, q: Question, before: Any) -> None:
        """Put back the value a question had before it was answered (None: unknown)."""
        if before is not None:
            self._set(q, before)
            self.recorded -= 1
            return
        node: Any = self._list(q.fact.path[0])[q.index] if q.item is not None else self.data
        parts = q.fact.path[1:] if q.item is not None else q.fact.path
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(parts[-1], None)

    def _relevant(self, q: Question) -> bool:
        return relevant(self, q)

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
