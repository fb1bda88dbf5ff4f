"""The steps of the Online Assessment: what `Session.run()` yields, for a terminal (`cli.py`) or a
web front end to show, and the words a reply may be instead of an answer.

A prompt step (`Ask`, `AddItem`, `AskId`, `Confirm`) is sent back the text typed; any prompt may
be answered `back` (or `undo`), which takes the previous answer back and asks it again (an
`Undone` step says which). Other steps are sent `None`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.onboarding.answers import hint
from aicxs.engine.onboarding.questionnaire_plan import Fact
from aicxs.engine.types import Type

BACK_WORDS = ("back", "undo")  # at any prompt: take the previous answer back
NOUNS = {"systems": "AI system"}  # how "Add ...?" names an item of a list


def is_back(text: str | None) -> bool:
    return (text or "").strip().lower() in BACK_WORDS


def item_noun(list_name: str) -> str:
    return NOUNS.get(list_name, f"item to `{list_name}`")


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
        noun = item_noun(self.list_name)
        return f"Add {'another ' + noun if self.listed else with_article(noun)}? [y/n]"


@dataclass(frozen=True)
class AskId:
    list_name: str
    question: str
    listed: tuple[str, ...]  # the items already recorded

    @property
    def prompt(self) -> str:
        return f"{self.question} [e.g. web-chat]"


@dataclass(frozen=True)
class Confirm:
    """Whether to keep an item the person may not have meant to record (the example system
    that `aicxs init` used to write as a real entry)."""

    list_name: str
    item: str
    message: str  # why it is asked

    @property
    def prompt(self) -> str:
        return f"Keep `{self.item}` as {with_article(item_noun(self.list_name))}? [y/n]"


@dataclass(frozen=True)
class Rejected:
    message: str


@dataclass(frozen=True)
class Undone:
    """`back` took an answer back; `what` (a fact path, or a decision) is asked again."""

    what: str


@dataclass(frozen=True)
class GroupDone:
    title: str
    changed: bool  # whether an answer was recorded since the last save


Step = GroupStart | Ask | AddItem | AskId | Confirm | Rejected | Undone | GroupDone
Prompt = Ask | AddItem | AskId | Confirm
