"""YAML text → data that remembers where each key and value is, for located messages.

Test files are read with the safe loader (the C one where available): no aliases, no repeated
keys, dates kept as text (a schema checks them, with a location). The line and column of every
key and value is kept by its path of keys and indices, so a mistake found later, by the schema
or against the policy, is reported at its place in the file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.source import Source, Span, span_at

YamlPath = tuple[str | int, ...]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe YAML (the C parser where available); dates stay text, so the schema checks them
    with a location."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class YamlDoc:
    """A YAML document's data, and where each key and value is (by path of keys and indices)."""

    source: Source
    data: Any = None
    keys: dict[YamlPath, tuple[int, int, int]] = field(default_factory=dict)
    values: dict[YamlPath, tuple[int, int, int]] = field(default_factory=dict)

    def value_span(self, path: YamlPath) -> Span:
        """The value at `path`, or the nearest enclosing one that has a position."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.values:
                return span_at(self.source, *self.values[path[:n]])
        return span_at(self.source, 1, 1)

    def key_span(self, path: YamlPath) -> Span:
        if path in self.keys:
            return span_at(self.source, *self.keys[path])
        return self.value_span(path)


def _position(node: yaml.Node) -> tuple[int, int, int]:
    start, end = node.start_mark, node.end_mark
    width = end.column - start.column if end.line == start.line else 1
    return start.line + 1, start.column + 1, max(1, width)


def parse_yaml(text: str, name: str) -> YamlDoc:
    """YAML text → data with positions; syntax errors, aliases and repeated keys are located."""
    doc = YamlDoc(Source(name, text))
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _construct(loader, node, (), doc, set())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        at = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise located_error(
            doc,
            "aicxs_test_syntax",
            f"invalid YAML: {err.problem or err.context}",
            at,
            "fix the YAML syntax at this point (indent with spaces; quote text with `: `)",
        ) from None
    except (yaml.YAMLError, ValueError, RecursionError) as err:
        raise located_error(
            doc, "aicxs_test_syntax", f"invalid YAML: {err}", (1, 1), "fix the YAML"
        ) from None
    finally:
        loader.dispose()
    return doc


def _construct(
    loader: _Loader, node: yaml.Node, path: YamlPath, doc: YamlDoc, seen: set[int]
) -> Any:
    if id(node) in seen:  # an alias: the composer gives the anchored node again
        raise located_error(
            doc,
            "aicxs_test_syntax",
            "YAML anchors and aliases are not allowed in test files: this anchored value is "
            "used again by an alias",
            _position(node)[:2],
            "write the value out in full where the alias (`*name`) is",
        )
    seen.add(id(node))
    doc.values[path] = _position(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                raise located_error(
                    doc,
                    "aicxs_test_syntax",
                    "a key must be a plain word, not a list or mapping",
                    _position(key_node)[:2],
                    "write keys as text",
                )
            if key in out:
                raise located_error(
                    doc,
                    "aicxs_test_duplicate_key",
                    f"key `{key}` appears twice in one mapping",
                    _position(key_node),
                    "keep one: a repeated key would silently replace the first",
                )
            doc.keys[(*path, key)] = _position(key_node)
            out[key] = _construct(loader, value_node, (*path, key), doc, seen)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, v, (*path, i), doc, seen) for i, v in enumerate(node.value)]
    value = loader.construct_object(node)
    if isinstance(value, float) and not math.isfinite(value):
        raise located_error(
            doc,
            "aicxs_test_bad_value",
            f"`{node.value}` is not a number a fact or level can hold",
            _position(node),
            "write a finite number",
        )
    return value


def located_error(
    doc: YamlDoc, code: str, message: str, at: tuple[int, ...], help: str
) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, message, span_at(doc.source, *at), help)])


def yaml_path(json_path: str, prefix: YamlPath = ()) -> YamlPath:
    """`$.systems[2].escalation` → `(*prefix, "systems", 2, "escalation")`."""
    parts: list[str | int] = list(prefix)
    for token in re.findall(r"\.([^.\[]+)|\[(\d+)\]", json_path.removeprefix("$")):
        parts.append(token[0] if token[0] else int(token[1]))
    return tuple(parts)
