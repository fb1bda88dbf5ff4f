"""The journal of an assessment session: what each reply changed, so `back` can take it back.

Each entry records one reply's effect on the session: an answer (with the value it replaced), a
skip (and whether the question was already a remembered skip), an item added (and whether its
list was created for it), a list closed ("no more systems"), an example item dropped (with its
place) or kept. `undo()` reverts the last one; walking the questionnaire again then reaches the
prompt it answered, since a session asks exactly what is open. Nothing here prints or prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aicxs.engine.onboarding.steps import Question


@dataclass(frozen=True)
class Entry:
    kind: str  # answer | skip | add | close | drop | keep
    what: str  # how `Undone` names it: the fact path, the item, the decision
    question: Question | None = None
    before: Any = None  # answer: the value replaced; drop: the item removed
    flag: bool = False  # answer, skip: was a remembered skip; add: created the list
    index: int = 0  # drop: where the item was


class History:
    def __init__(self, session: Any) -> None:  # a questionnaire.Session
        self.session = session
        self.entries: list[Entry] = []

    def __len__(self) -> int:
        return len(self.entries)

    # -- recording ----------------------------------------------------------------------------

    def answered(self, q: Question, before: Any, was_skipped: bool) -> None:
        self.entries.append(Entry("answer", q.shown, q, before, was_skipped))

    def skipped(self, q: Question, was_skipped: bool) -> None:
        self.entries.append(Entry("skip", q.shown, q, None, was_skipped))

    def added(self, list_name: str, ident: str, created: bool) -> None:
        self.entries.append(Entry("add", f"{list_name}[{ident}]", before=ident, flag=created))

    def closed(self, list_name: str) -> None:
        self.entries.append(
            Entry("close", f"whether to add more to `{list_name}`", before=list_name)
        )

    def dropped(self, list_name: str, index: int, item: dict[str, Any]) -> None:
        what = f"whether to keep `{list_name}[{item.get('id')}]`"
        self.entries.append(Entry("drop", what, before=(list_name, item), index=index))

    def kept(self, ident: str) -> None:
        self.entries.append(Entry("keep", f"whether to keep `{ident}`", before=ident))

    # -- taking back --------------------------------------------------------------------------

    def undo(self) -> str | None:
        """Take the last reply back; what it answered, or None when there is nothing to undo."""
        if not self.entries:
            return None
        entry = self.entries.pop()
        s = self.session
        match entry.kind:
            case "answer" | "skip":
                q = entry.question
                assert q is not None
                if entry.kind == "answer":
                    s._unset(q, entry.before)
                    s.recorded -= 1
                s.asked -= 1
                s.done.discard(q.shown)
                if entry.flag:
                    s.skipped.setdefault(q.shown, None)
                else:
                    s.skipped.pop(q.shown, None)
            case "add":
                list_name = entry.what.split("[", 1)[0]
                items = s._list(list_name)
                s.data[list_name] = [i for i in items if str(i.get("id")) != entry.before]
                if entry.flag and not s.data[list_name]:
                    del s.data[list_name]  # the list was unknown before: unknown again
            case "close":
                s.closed.discard(entry.before)
            case "drop":
                list_name, item = entry.before
                s.data.setdefault(list_name, []).insert(entry.index, item)
            case "keep":
                s.kept.discard(entry.before)
        s.changed = True
        return entry.what
