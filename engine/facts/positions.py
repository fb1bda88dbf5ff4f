"""Facts text + a JSON path (`$.systems[2].consent.recorded`) → the (line, column) where that
value sits. YAML is indexed whole, from its composer; JSON is walked only along the path asked
for, so locating a few facts of a large estate stays cheap. Built only for the facts an
explanation or a diagnostic cites.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from aicxs.aicxs_dsl.source import Source
from aicxs.engine.facts.json_text import _int_of


class _YamlIndex:
    """Positions of every node, from YAML's composer (built once, on the first request)."""

    def __init__(self, text: str) -> None:
        self.positions = _positions(text)

    def position(self, json_path: str) -> tuple[int, int] | None:
        return self.positions.get(json_path)


_WS = re.compile(r"[ \t\n\r]*")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


class _JsonIndex:
    """Positions in JSON text, found by walking only the path asked for: values beside the
    path are skipped by the C decoder, and each list's item offsets are kept once scanned, so
    locating many items of a large estate stays linear."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.source = Source("", text)
        self.decode = json.JSONDecoder(parse_int=_int_of).raw_decode
        self.lists: dict[int, list[int]] = {}  # offset of a `[` → offsets of its items
        # `{` → (key → offsets, of the members read so far; where to read on, None at the end)
        self.objects: dict[int, tuple[dict[str, tuple[int, int]], int | None]] = {}
        self.found: dict[str, tuple[int, int] | None] = {}

    def position(self, json_path: str) -> tuple[int, int] | None:
        if json_path not in self.found:
            try:
                offset = self._find(json_path)
            except (ValueError, IndexError):
                offset = None
            self.found[json_path] = self.source.line_col(offset) if offset is not None else None
        return self.found[json_path]

    def _find(self, json_path: str) -> int | None:
        at = shown = _WS.match(self.text, 0).end()  # type: ignore[union-attr]
        for m in _PATH_PART.finditer(json_path, 1):
            key, index = m.group(1), m.group(2)
            if index is not None:
                items = self._items(at)
                if int(index) >= len(items):
                    return None
                at = shown = items[int(index)]
            else:
                found = self._member(at, key)
                if found is None:
                    return None
                shown, at = found
        return shown

    def _items(self, at: int) -> list[int]:
        if at not in self.lists:
            text, starts = self.text, []
            if text[at] != "[":
                raise ValueError("not a list")
            i = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
            while text[i] != "]":
                starts.append(i)
                _, i = self.decode(text, i)
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                if text[i] == ",":
                    i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            self.lists[at] = starts
        return self.lists[at]

    def _member(self, at: int, key: str) -> tuple[int, int] | None:
        """(offset of the key, offset of its value) in the object at `at`. Members are read
        up to the one asked for, and its value is not skipped until a later member is asked
        for: skipping decodes it, and it may be a whole estate's list of systems."""
        members, resume = self.objects.get(at) or ({}, self._first_member(at))
        while key not in members and resume is not None:
            resume = self._next_member(resume, members)
        self.objects[at] = (members, resume)
        return members.get(key)

    def _first_member(self, at: int) -> int | None:
        if self.text[at] != "{":
            raise ValueError("not an object")
        i = _WS.match(self.text, at + 1).end()  # type: ignore[union-attr]
        return None if self.text[i] == "}" else -i  # negative: a member starts there

    def _next_member(self, i: int, members: dict[str, tuple[int, int]]) -> int | None:
        """From `i` (negative: a member starts at `-i`; else the value of the last member read
        starts there, to be skipped), read the next member into `members`; the offset of its
        value, or None after the last member."""
        text = self.text
        if i >= 0:
            _, i = self.decode(text, i)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] != ",":
                return None
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        else:
            i = -i
        name, after = self.decode(text, i)
        value = _WS.match(text, _WS.match(text, after).end() + 1).end()  # type: ignore[union-attr]
        members.setdefault(name, (i, value))
        return value


def _positions(text: str) -> dict[str, tuple[int, int]]:
    """JSON path → (line, column) of each value, from YAML's composer (JSON is YAML too)."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        root = yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, ValueError, RecursionError):
        return {}
    out: dict[str, tuple[int, int]] = {}
    for path, node in _walk_nodes(root, "$"):
        out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    return out


def _walk_nodes(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    stack = [(path, node, node)]
    while stack:
        p, key_node, value_node = stack.pop()
        if value_node is None:
            continue
        yield p, key_node
        if isinstance(value_node, yaml.MappingNode):
            stack.extend((f"{p}.{k.value}", k, v) for k, v in value_node.value)
        elif isinstance(value_node, yaml.SequenceNode):
            stack.extend((f"{p}[{i}]", v, v) for i, v in enumerate(value_node.value))
