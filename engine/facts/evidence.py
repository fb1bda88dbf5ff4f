"""Evidence entries that name no fact of their document, worded to be fixed: where the entry
is in the facts file, and the path it probably meant (`organisation.stratgy` → did you mean
`organisation.strategy`?). Suggestions look only at the keys beside the first part that does
not resolve, so a large estate costs no more than a small one.
"""

from __future__ import annotations

import re
from typing import Any

from aicxs.aicxs_dsl.diagnostics import closest
from aicxs.engine.facts.document import FactsDocument

# `organisation.strategy`, `systems[web-chat].consent`: names, and item ids in brackets.
_PART = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def unmatched_evidence(facts: FactsDocument) -> list[str]:
    """A finding for each evidence entry whose `fact` names no fact present in the document."""
    found = []
    for index, entry in enumerate(facts.evidence):
        path = str(entry["fact"])
        if resolves(facts.data, path):
            continue
        where = facts.location(f"$.evidence[{index}].fact")
        text = (
            f"evidence for `{path}`{f' ({where})' if where else ''} matches no fact in {facts.path}"
        )
        if (near := suggestion(facts.data, path)) is not None:
            text += f"; did you mean `{near}`?"
        found.append(text)
    return found


def resolves(data: Any, path: str) -> bool:
    """Whether `organisation.strategy` or `systems[web-chat].consent` names a present fact."""
    current = data
    for name, ident in _parts(path):
        current = _step(current, name, ident)
        if current is None:
            return False
    return True


def suggestion(data: Any, path: str) -> str | None:
    """The path with its first unresolved part replaced by the nearest key (or item id) there,
    when the result names a present fact."""
    parts = _parts(path)
    current = data
    for i, (name, ident) in enumerate(parts):
        step = _step(current, name, ident)
        if step is None:
            options = _options(current, ident is not None)
            near = closest(ident if ident is not None else str(name), options)
            if near is None:
                return None
            fixed = [*parts[:i], (near, None) if ident is None else (None, near), *parts[i + 1 :]]
            candidate = _joined(fixed)
            return candidate if resolves(data, candidate) else None
        current = step
    return None


def _parts(path: str) -> list[tuple[str | None, str | None]]:
    """`systems[web-chat].consent` → [(systems, None), (None, web-chat), (consent, None)]."""
    return [
        (m.group(2), None) if m.group(2) is not None else (None, m.group(1))
        for m in _PART.finditer(path)
    ]


def _joined(parts: list[tuple[str | None, str | None]]) -> str:
    out = ""
    for name, ident in parts:
        out += f"[{ident}]" if ident is not None else (f".{name}" if out else str(name))
    return out


def _step(current: Any, name: str | None, ident: str | None) -> Any:
    if ident is not None:
        if not isinstance(current, list):
            return None
        return next((i for i in current if isinstance(i, dict) and str(i.get("id")) == ident), None)
    return current.get(name) if isinstance(current, dict) else None


def _options(current: Any, item: bool) -> list[str]:
    if item and isinstance(current, list):
        return [str(i.get("id")) for i in current if isinstance(i, dict) and "id" in i]
    return [str(k) for k in current] if isinstance(current, dict) and not item else []
