"""Completion for `.aicx` text at a cursor: fact fields after a path and `.` (`s.` in a
quantifier over `systems` offers the fields of a system), parameters after `param` and `set`,
roles after `owner`, clause ids after `requires`, `covers`, `refines`, `waive` and `exclude`,
frameworks after `crosswalk`, and otherwise the keywords and top-level facts.

It reads only the text before the cursor, so it works while the line is still being written
and does not parse; the standard and vocabulary come from the last analysis that had them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aicxs.engine.authoring.lsp_analysis import Analysis
from aicxs.engine.authoring.lsp_hover import fact_field
from aicxs.engine.types import Type

FIELD, CLAUSE, PARAMETER, ROLE, FRAMEWORK, KEYWORD, FACT = (
    "field",
    "clause",
    "parameter",
    "role",
    "framework",
    "keyword",
    "fact",
)
KEYWORDS = (
    *("standard", "policy", "implements", "level", "role", "stage", "parameter", "framework"),
    *("pillar", "clause", "key", "requirement", "facts", "waive", "rule", "refines", "title"),
    *("text", "erratum", "owner", "evidence", "requires", "crosswalk", "check", "mandatory"),
    *("covers", "default", "bounds", "stricter", "ref", "target", "scope", "set", "exclude"),
    *("because", "justification", "approver", "expires", "all", "any", "none", "count", "in"),
    *("where", "and", "or", "not", "implies", "param", "true", "false", "optional", "withdrawn"),
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
# `all s in systems`, `count(s in systems`, `scope s in systems`: a variable and its list.
# Every piece starts with a character the one before cannot match: no backtracking.
_BINDING = re.compile(
    r"\b(?:all|any|none|scope|count[ \t]*\()[ \t\n]+([a-z_][a-z0-9_]*)[ \t\n]+in[ \t\n]+"
    r"([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)"
)


@dataclass(frozen=True, slots=True)
class Candidate:
    label: str
    kind: str
    detail: str = ""
    documentation: str = ""


def complete(text: str, offset: int, a: Analysis) -> list[Candidate]:
    """What may be written at `offset` of `text`, given what `a` knows."""
    line = text[text.rfind("\n", 0, offset) + 1 : offset]
    chain = _tail(line, _NAME_CHARS)
    if "." in chain and not chain[:1].isdigit():
        return _fields(text[:offset], chain.split(".")[:-1], a.vocabulary)
    partial = _tail(line, _WORD_CHARS)
    before = line[: len(line) - len(partial)].rstrip()
    previous = before.rsplit(None, 1)[-1] if before.split() else ""
    first = line.split(None, 1)[0] if line.split() else ""
    if before.endswith(",") and first in ("requires", "covers"):
        previous = first  # the next id of a list
    return _after(previous, a)


def _tail(line: str, chars: frozenset[str]) -> str:
    i = len(line)
    while i > 0 and line[i - 1] in chars:
        i -= 1
    return line[i:]


def _after(previous: str, a: Analysis) -> list[Candidate]:
    std = a.standard
    if std is not None and previous in ("param", "set"):
        return [
            Candidate(p.name, PARAMETER, p.type.describe(), p.text) for p in std.parameters.values()
        ]
    if std is not None and previous == "owner":
        return [Candidate(r.name, ROLE, r.title, r.text) for r in std.roles.values()]
    if std is not None and previous in ("requires", "covers", "refines", "waive", "exclude"):
        return [Candidate(c.id, CLAUSE, c.title, c.text) for c in std.clauses.values()]
    if std is not None and previous == "crosswalk":
        return [Candidate(f.id, FRAMEWORK, f.title) for f in std.frameworks.values()]
    facts = [
        Candidate(f.name, FACT, f.type.describe(), f.question) for f in a.vocabulary.fields.values()
    ]
    return [*(Candidate(k, KEYWORD) for k in KEYWORDS), *facts]


def _fields(before: str, parts: list[str], vocabulary: Type) -> list[Candidate]:
    """The fields of the record that the path `parts` (the text before the last `.`) names;
    its head may be a quantifier variable bound earlier in `before`."""
    full = _resolve(parts, _bindings(before))
    record = _record(vocabulary, full)
    if record is None:
        return []
    return [Candidate(f.name, FIELD, f.type.describe(), f.question) for f in record.fields.values()]


def _bindings(before: str) -> dict[str, list[str]]:
    """Each variable → the path of the list it was last bound to before the cursor."""
    return {m.group(1): m.group(2).split(".") for m in _BINDING.finditer(before)}


def _resolve(parts: list[str], bound: dict[str, list[str]], depth: int = 0) -> list[str]:
    head = parts[0]
    if head in bound and depth < 8:  # `all x in s.items`: `s` is itself bound
        return [*_resolve(bound.pop(head), bound, depth + 1), *parts[1:]]
    return parts


def _record(vocabulary: Type, path: list[str]) -> Type | None:
    if path == [""]:
        return None
    found = fact_field(vocabulary, ".".join(path))
    if found is None:
        return None
    t = found.type.item if found.type.kind == "list" and found.type.item else found.type
    return t if t.kind == "record" else None
