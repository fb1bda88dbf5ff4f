"""JSON text → plain Python values, strictly: a repeated key, NaN or an infinity, a number too
long to convert, half of a UTF-16 surrogate pair and nesting beyond `MAX_DEPTH` are refused,
each located in the text. The YAML reader shares the number and surrogate rules (a YAML
double-quoted text escapes as JSON does); the service reads its requests with the same hook.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.limits import MAX_FACTS_DEPTH as MAX_DEPTH
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.engine.facts.json_scan import check_lengths
from aicxs.engine.facts.messages import _duplicate


def object_without_duplicates(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that refuses a repeated key (JSON would silently keep the last value);
    `json.loads(..., object_pairs_hook=object_without_duplicates)`."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def _parse_json(text: str, source: Source) -> Any:
    def constant(word: str) -> Any:
        raise _BadNumber(word)

    check_lengths(text, source)  # a list over the limit, refused before it is built
    try:
        raw = json.loads(
            text,
            object_pairs_hook=object_without_duplicates,
            parse_constant=constant,
            parse_int=_int_of,
        )
    except RecursionError:
        raise DiagnosticError([_too_deep_json(source)]) from None
    except json.JSONDecodeError as err:
        help = "fix the JSON syntax at this point"
        if _looks_like_yaml(text):
            name = PurePath(source.path).with_suffix(".yaml").name
            help = (
                f"this looks like YAML, but a `.json` file is read as JSON: save it as "
                f"`{name}` (or write it as JSON)"
            )
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_syntax",
                    f"invalid JSON: {err.msg}",
                    span_at(source, err.lineno, err.colno),
                    help,
                )
            ]
        ) from None
    except DuplicateKey as err:
        at = _duplicate_offset(text)
        where = source.line_col(at) if at is not None else None
        raise DiagnosticError([_duplicate(source, err.key, where)]) from None
    except _BadNumber as err:
        word = re.search(rf"(?<![\w\"]){re.escape(err.word)}(?!\w)", text)
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_number",
                    f"`{err.word}` is not a number a fact can hold",
                    _span_of(source, word.start(), len(err.word)) if word else None,
                    "write a finite number",
                    path=source.path,
                )
            ]
        ) from None
    if "\\u" in text:
        _check_surrogates(raw, text, source)
    return raw


# The first line that says something, in YAML: a comment, a document start or `key:`.
_YAML_START = re.compile(r"#|---|%YAML|[A-Za-z_][\w.-]{0,100}[ \t]*:(?:[ \t]|$)")


def _looks_like_yaml(text: str) -> bool:
    """Whether text that is not JSON starts as a YAML facts file would (`organisation:`)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return _YAML_START.match(first) is not None


def _int_of(digits: str) -> Any:
    """A JSON or YAML whole number; one too long to convert is kept as `_Huge`, which
    normalising reports as too large (Python refuses to convert 4,300 digits or more)."""
    return int(digits) if len(digits) <= 40 else _Huge(digits)


class _Huge(str):
    """The digits of a whole number far beyond `MAX_INT`."""


def _span_of(source: Source, offset: int, width: int) -> Any:
    line, col = source.line_col(offset)
    return span_at(source, line, col, width)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]')


def _duplicate_offset(text: str) -> int | None:
    """Where the first key repeated within one JSON object is (a linear scan, on error only)."""
    stack: list[set[str] | None] = []  # the keys of each open object; None for a list
    before: re.Match[str] | None = None
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token in "{[":
            stack.append(set() if token == "{" else None)
        elif token in "}]" and stack:
            stack.pop()
        elif token == ":" and before is not None and stack and (keys := stack[-1]) is not None:
            key = json.loads(before.group())
            if key in keys:
                return before.start() + 1
            keys.add(key)
        before = m if token.startswith('"') else None
    return None


_JSON_LEXEME = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')


def _too_deep_json(source: Source) -> Diagnostic:
    """Where JSON first nests deeper than `MAX_DEPTH` (found by a linear scan, only after the
    decoder ran out of stack)."""
    depth, span = 0, None
    for m in _JSON_LEXEME.finditer(source.text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH + 1:
                span = _span_of(source, m.start(), 1)
                break
        elif ch in "]}":
            depth -= 1
    return Diagnostic(
        "aicxs_facts_too_deep",
        f"facts nest deeper than {MAX_DEPTH} levels",
        span,
        "flatten the facts",
        path=source.path,
    )


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _check_surrogates(raw: Any, text: str, source: Source) -> None:
    """Refuse half of a UTF-16 pair (`"\\ud800"`): no file or terminal can show it."""
    try:
        json.dumps(raw, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return
    at = next((m for m in _SURROGATE_ESCAPE.finditer(text) if not _paired(text, m)), None)
    raise DiagnosticError([_surrogate(source, _span_of(source, at.start(), 6) if at else None)])


def _paired(text: str, m: re.Match[str]) -> bool:
    """Whether the surrogate escape `m` is one half of a pair with its neighbour."""
    s = m.start()
    window = text[s : s + 12] if m.group()[2] in "89abAB" else text[max(0, s - 6) : s + 6]
    try:
        return len(window) == 12 and len(json.loads(f'"{window}"')) == 1
    except ValueError:
        return False


def _surrogate(source: Source, span: Any) -> Diagnostic:
    return Diagnostic(
        "aicxs_facts_syntax",
        "this escape is half of a UTF-16 surrogate pair, not a character",
        span,
        "write the character itself, or both halves of the pair (e.g. `\\ud83d\\ude00`)",
        path=source.path,
    )


class DuplicateKey(Exception):
    """A key given twice in one mapping (a silent overwrite, so refused)."""

    def __init__(self, key: str, line: int = 0, col: int = 0) -> None:
        self.key, self.line, self.col = key, line, col


class _BadNumber(Exception):
    def __init__(self, word: str) -> None:
        self.word = word
