"""The list limit of JSON, checked before a value is built: a list of 1,000,000 systems would
take ~600 MB decoded, most of it for nothing once the limit refuses it (YAML is checked as a
stream of events for the same reason: yaml_text.py).

`check_lengths` sees the text's structure only, at the speed of a few passes of C code: the
text as bytes, escapes dropped, every byte deleted but `"{}[],`, strings removed; then, pass
by pass, the innermost lists and mappings (`[,,]`, `{,}`) are removed, so that a list whose
items were lists or mappings becomes a run of commas. A list (or mapping) of more than the
limit's items is `[` then at least that many commas. Only then does a slower scan of the
text find where it is and what it is called. A text with fewer commas than the limit cannot
hold such a list and is not scanned at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.limits import MAX_FACTS_DEPTH, max_list_items
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.engine.facts.messages import _long_list

_DELETE = bytes(b for b in range(256) if b not in b'"{}[],')  # all but the structure
_ESCAPE = re.compile(rb"\\.")
_INNERMOST = re.compile(rb"\{,*\}|\[,*\]")
_PIECE = 1 << 16  # bytes given to re.sub at once
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')


@dataclass(slots=True)
class _Container:
    mapping: bool
    path: str  # its JSON path, e.g. `$.systems`
    where: int  # where it is named: its key in a mapping, else its opening bracket
    commas: int = 0
    key: str = ""  # in a mapping: the key of the value being read
    key_at: int = 0


def check_lengths(text: str, source: Source) -> None:
    """Refuse (`aicxs_limit_list_length`, located) a list or mapping of more items than the
    list limit, before the JSON text is decoded. A text that is not JSON is left to the
    decoder, which says where it is wrong."""
    limit = max_list_items()
    if text.count(",") < limit:
        return
    structure = _structure(text)
    too_long = re.compile(rb"[\[{],{%d}" % limit)
    for _ in range(MAX_FACTS_DEPTH + 2):  # deeper nesting is refused for its depth
        if too_long.search(structure):
            found = _locate(text, limit)
            if found is not None:
                code, message, help = _long_list(found.path, limit)
                line, col = source.line_col(found.where)
                span = span_at(source, line, col)
                raise DiagnosticError([Diagnostic(code, message, span, help, path=source.path)])
            return
        shorter = _removed(_INNERMOST, structure, _opening)
        if len(shorter) == len(structure):
            return
        structure = shorter


def _structure(text: str) -> bytes:
    """Only the brackets and the commas outside strings (see the module's docstring)."""
    data = text.encode("utf-8", "surrogatepass")
    if b"\\" in data:  # `\"` and `\\` then no longer end or start a string
        data = _removed(_ESCAPE, data, lambda d, at: _first(d, b",", at))
    structure = data.translate(None, _DELETE).replace(b'""', b"")
    return _without_strings(structure) if b'"' in structure else structure


def _removed(pattern: re.Pattern[bytes], data: bytes, cut: Callable[[bytes, int], int]) -> bytes:
    """`pattern.sub(b"", data)` a piece at a time (re.sub keeps some 200 bytes per match
    until it is done), cutting only where `cut` says no match can straddle."""
    out, start = [], 0
    while start < len(data):
        end = cut(data, start + _PIECE)
        out.append(pattern.sub(b"", data[start:end]))
        start = end
    return b"".join(out)


def _first(data: bytes, chars: bytes, at: int) -> int:
    """Where the first of `chars` at or after `at` is (or the end)."""
    found = [i for c in chars if (i := data.find(c, at)) >= 0]
    return min(found, default=len(data))


def _opening(data: bytes, at: int) -> int:
    return _first(data, b"{[", at)  # an innermost `{,,}` holds no opening bracket


def _without_strings(structure: bytes) -> bytes:
    """The structure without what its quotes enclose (strings that held a bracket or a
    comma), a piece at a time; a string may straddle two pieces."""
    out, inside = [], False
    for start in range(0, len(structure), _PIECE):
        parts = structure[start : start + _PIECE].split(b'"')
        out.append(b"".join(parts[1::2] if inside else parts[0::2]))
        inside ^= len(parts) % 2 == 0  # an odd number of quotes in this piece
    return b"".join(out)


def _locate(text: str, limit: int) -> _Container | None:
    """The first list or mapping with more than `limit` items, found by reading the text
    token by token (only once one is known to exist)."""
    stack: list[_Container] = []
    before, before_at = "", 0  # the last string read: a key, when a `:` follows
    for m in _TOKEN.finditer(text):
        token = m.group()
        top = stack[-1] if stack else None
        if token[0] == '"':
            before, before_at = token, m.start()
        elif token == ":" and top is not None:
            top.key, top.key_at = json.loads(before), before_at
        elif token in "[{":
            if top is None:
                stack.append(_Container(token == "{", "$", m.start()))
            elif top.mapping:
                stack.append(_Container(token == "{", f"{top.path}.{top.key}", top.key_at))
            else:
                stack.append(_Container(token == "{", f"{top.path}[{top.commas}]", m.start()))
        elif token in "]}" and top is not None:
            stack.pop()
        elif token == "," and top is not None:
            top.commas += 1
            if top.commas >= limit:
                return top
    return None
