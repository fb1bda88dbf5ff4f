"""YAML text → plain Python values, after one scan of its events (by libyaml when installed)
that refuses, located, what would lose or distort data or take unbounded time or memory:
aliases and merge keys, unusual tags, keys that are not names, repeated keys, deep nesting,
long lists and texts. Only then does the safe loader build values.
"""

from __future__ import annotations

from typing import Any

import yaml

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.limits import MAX_FACTS_DEPTH as MAX_DEPTH
from aicxs.aicxs_dsl.limits import MAX_STRING_CHARS, max_list_items
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.engine.facts.document import FactsDocument, _value_error
from aicxs.engine.facts.json_text import DuplicateKey, _check_surrogates, _Huge
from aicxs.engine.facts.messages import _duplicate, _long_list, _long_text, _short


class _Alias(Exception):
    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, when installed


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """Safe YAML whose whole numbers and dates never fail to build: a number too long to
    convert is kept as `_Huge`, a date that does not exist (2025-02-30) as its text, so that
    normalising and the schema say what is wrong, and where."""

    def construct_yaml_int(self, node: Any) -> Any:
        digits = str(node.value).replace("_", "")
        return _Huge(digits) if len(digits) > 40 else super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return str(node.value)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)

_PLAIN_TAGS = frozenset(
    [None, "!"]
    + [f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")]
    + ["tag:yaml.org,2002:timestamp"]
)
_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)


class _Refused(Exception):
    """What the event scan refuses: a diagnostic's code, message, help, and where."""

    def __init__(self, code: str, message: str, help: str, mark: Any, width: int = 1) -> None:
        self.code, self.message, self.help = code, message, help
        self.line, self.col, self.width = mark.line + 1, mark.column + 1, width


def _scan_yaml(text: str) -> None:
    """One pass over the YAML events, before any value is built: refuse aliases, merge keys,
    unusual tags, keys that are not plain scalars, repeated keys, nesting deeper than
    `MAX_DEPTH`, lists (and mappings) longer than the list limit, texts longer than the
    string limit. Each frame on the stack: [is a mapping, next node is a key, keys seen,
    nodes so far, the last key, where the collection starts]."""
    limit, stack = max_list_items(), []  # type: ignore[var-annotated]
    event: Any
    for event in yaml.parse(text, Loader=_BaseLoader):
        if type(event) in _NODE_EVENTS:
            if stack:
                _scan_node(event, stack[-1], stack, limit)
            if type(event) is yaml.AliasEvent:
                raise _Alias(*_line_col(event))
            if event.tag not in _PLAIN_TAGS:
                raise _Refused(
                    "aicxs_facts_syntax",
                    f"the YAML tag `{_tag(event.tag)}` is not allowed in facts files",
                    "remove the tag and write a plain value (text, number, true/false, date)",
                    event.start_mark,
                )
            if type(event) is yaml.ScalarEvent:
                if len(event.value) > MAX_STRING_CHARS:
                    found = _long_text(_events_path(stack), len(event.value))
                    raise _Refused(*found, event.start_mark)
            else:
                stack.append([type(event) is yaml.MappingStartEvent, True, set(), 0, "", event])
                if len(stack) > MAX_DEPTH + 1:
                    raise _Refused(
                        "aicxs_facts_too_deep",
                        f"facts nest deeper than {MAX_DEPTH} levels",
                        "flatten the facts",
                        event.start_mark,
                    )
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            stack.pop()


def _line_col(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def _tag(tag: str) -> str:
    return _short(tag.replace("tag:yaml.org,2002:", "!!"), 40)


def _scan_node(event: Any, frame: list[Any], stack: list[list[Any]], limit: int) -> None:
    """A node inside the collection `frame`: count it, and check it if it is a key."""
    frame[3] += 1
    if not frame[0]:
        if frame[3] > limit:
            raise _Refused(*_long_list(_events_path(stack[:-1]), limit), frame[5].start_mark)
        return
    frame[1] = not frame[1]
    if frame[1]:  # a value
        return
    if frame[3] > 2 * limit:
        raise _Refused(*_long_list(_events_path(stack[:-1]), limit), frame[5].start_mark)
    if type(event) is yaml.AliasEvent:
        raise _Alias(*_line_col(event))
    if type(event) is not yaml.ScalarEvent:
        raise _Refused(
            "aicxs_facts_syntax",
            "a key in a facts file is a plain name, not a list or a mapping",
            "write the key as a name, such as `organisation:`",
            event.start_mark,
        )
    key = event.value
    if key in frame[2]:
        raise DuplicateKey(_short(key), *_line_col(event))
    if key == "<<" and event.implicit[0]:
        raise _Refused(
            "aicxs_facts_alias",
            "YAML merge keys (`<<`) are not allowed in facts files",
            "write the fields out in full: a merge silently overrides or adds values",
            event.start_mark,
            2,
        )
    frame[2].add(key)
    frame[4] = key


def _events_path(frames: list[list[Any]]) -> str:
    """The JSON path of the node last counted in the innermost of `frames`."""
    return "$" + "".join(f".{_short(f[4])}" if f[0] else f"[{f[3] - 1}]" for f in frames)


def _python_parser_error(text: str, err: yaml.MarkedYAMLError) -> None:
    """PyYAML's own parser words syntax errors better than libyaml ("expected ',' or ']', but
    got ':'"): when the error is early enough to re-read cheaply, raise its error instead."""
    mark = err.problem_mark or err.context_mark
    if _BaseLoader is yaml.SafeLoader or mark is None or mark.index > 1_000_000:
        return
    if "maximum nesting depth" in str(err.problem):
        return
    event: Any
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if event.start_mark.index > mark.index:
            return


def _parse_yaml(text: str, source: Source) -> Any:
    try:
        try:
            _scan_yaml(text)
            raw = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
        except yaml.MarkedYAMLError as err:
            _python_parser_error(text, err)
            raise
    except _Refused as err:
        at = span_at(source, err.line, err.col, err.width)
        raise DiagnosticError(
            [Diagnostic(err.code, err.message, at, err.help, path=source.path)]
        ) from None
    except DuplicateKey as err:
        raise DiagnosticError([_duplicate(source, err.key, (err.line, err.col))]) from None
    except _Alias as err:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_alias",
                    "YAML anchors and aliases are not allowed in facts files",
                    span_at(source, err.line, err.col),
                    "write the value out in full: an alias can make a small file expand enormously",
                )
            ]
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        span = span_at(source, mark.line + 1, mark.column + 1) if mark else None
        if "maximum nesting depth" in str(err.problem):  # libyaml's own limit (1,000)
            raise _value_error(
                source,
                FactsDocument(source.path, {}),
                "$",
                "aicxs_facts_too_deep",
                f"facts nest deeper than {MAX_DEPTH} levels",
                "flatten the facts",
                span,
            ) from None
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_syntax",
                    f"invalid YAML: {err.problem or err.context}",
                    span,
                    "fix the YAML syntax at this point (indent with spaces; quote text with `:`)",
                    path=source.path,
                )
            ]
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as err:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_syntax",
                    f"invalid YAML: {_short(err, 200)}",
                    None,
                    "fix the YAML syntax",
                    path=source.path,
                )
            ]
        ) from None
    if "\\u" in text or "\\U" in text:
        _check_surrogates(raw, text, source)
    return raw
