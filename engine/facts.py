"""Facts files (YAML or JSON) → validated, typed facts that remember where they came from.

Loading refuses what would lose or distort data: duplicate keys, YAML aliases and merge keys,
NaN and infinities, integers beyond 2**53; and what would take unbounded time or memory: files,
lists, texts and nesting beyond the limits of `aicxs_dsl/limits.py`. YAML is first read as a
stream of events (by libyaml when installed), which finds all of these, located, before any
value is built. The document is validated against the schema generated
from the vocabulary; each error names the file, line, JSON path and what was expected.
Where each fact sits in the file is found on demand, only for the facts an explanation cites.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import jsonschema

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from aicxs.aicxs_dsl.limits import (
    MAX_FACTS_BYTES,
    MAX_INT,
    MAX_STRING_CHARS,
    max_facts_bytes,
    max_list_items,
)
from aicxs.aicxs_dsl.limits import MAX_FACTS_DEPTH as MAX_DEPTH
from aicxs.aicxs_dsl.parser import decode
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.engine.schema import DURATION_PATTERN
from aicxs.engine.types import Duration, Type, key_field

__all__ = [
    "MAX_DEPTH",
    "MAX_FACTS_BYTES",
    "MAX_INT",
    "FactsDocument",
    "Validator",
    "converter",
    "display_path",
    "facts_from_data",
    "load_facts",
    "make_validator",
    "parse_facts",
]


@dataclass
class FactsDocument:
    """A facts document: typed values plus the means to locate each one in its file."""

    path: str
    data: dict[str, Any]
    text: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    _index: _YamlIndex | _JsonIndex | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def location(self, json_path: str) -> str | None:
        """`file:line` of a JSON path such as `$.systems[2].consent.recorded`, if known."""
        pos = self.position(json_path)
        return f"{self.path}:{pos[0]}" if pos else None

    def position(self, json_path: str) -> tuple[int, int] | None:
        """(line, column) of a JSON path; the index is built on the first call, so loading
        never pays for positions that no explanation asks for."""
        if not self.text:
            return None
        with self._lock:
            if self._index is None:
                json_file = self.path.endswith(".json")
                self._index = _JsonIndex(self.text) if json_file else _YamlIndex(self.text)
            return self._index.position(json_path)


def load_facts(path: str | Path, validator: Validator, vocabulary: Type) -> FactsDocument:
    name = str(path)
    limit = max_facts_bytes()
    try:
        p = Path(path)
        if p.stat().st_size > limit:
            raise _too_large(name, f"facts file is larger than {limit:,} bytes")
        text = decode(name, p.read_bytes())
    except OSError as err:
        reason = (err.strerror or str(err)).lower()
        raise _file_error(
            name, f"cannot read `{name}`: {reason}", "check the path given to `--facts`"
        ) from None
    return parse_facts(text, name, validator, vocabulary)


def parse_facts(text: str, name: str, validator: Validator, vocabulary: Type) -> FactsDocument:
    if len(text) > (limit := max_facts_bytes()):
        raise _too_large(name, f"facts text is longer than {limit:,} characters")
    source = Source(name, text)
    raw = _parse_json(text, source) if name.endswith(".json") else _parse_yaml(text, source)
    return facts_from_data(raw, FactsDocument(name, {}, text), source, validator, vocabulary)


def facts_from_data(
    raw: Any, doc: FactsDocument, source: Source, validator: Validator, vocabulary: Type
) -> FactsDocument:
    """Validate and type a parsed facts document. The compiled converter decides the common
    case (a valid document) in one pass; any doubt sends the document through normalising and
    jsonschema, which say precisely what is wrong and where."""
    if raw is None:
        raw = {}
    if isinstance(raw, dict):
        _LIST_LIMIT[0] = max_list_items()  # the environment, read once, not per list
        try:
            evidence = _evidence(raw["evidence"]) if raw.get("evidence") is not None else []
            facts = {k: v for k, v in raw.items() if k != "evidence"} if "evidence" in raw else raw
            doc.data = converter(vocabulary)(facts)
            doc.evidence = evidence
            return doc
        except _Invalid:
            pass  # the slow path below finds and words the problem
    if not isinstance(raw, dict):
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_shape",
                    f"a facts file holds a mapping (`organisation:`, `systems:`, "
                    f"...), not a {_kind(raw)}",
                    span_at(source, 1, 1),
                    "see `aicxs schema` for the layout",
                )
            ]
        )
    plain = _normalise(raw, source, doc)
    errors = sorted(validator.iter_errors(plain), key=lambda e: list(e.absolute_path))
    if errors:
        raise DiagnosticError([_schema_diagnostic(e, source, doc, plain) for e in errors[:50]])
    if duplicates := list(_duplicate_keys(plain, vocabulary, "$", source, doc)):
        raise DiagnosticError(duplicates[:50])
    doc.evidence = plain.pop("evidence", [])
    doc.data = _typed(plain, vocabulary)
    return doc


def _duplicate_keys(
    value: Any, t: Type, path: str, source: Source, doc: FactsDocument
) -> Iterator[Diagnostic]:
    """Two items of one list with the same `key` (two systems both called `web-chat`) would make
    every explanation that names them ambiguous."""
    if t.kind == "record" and isinstance(value, dict):
        for name, fld in t.fields.items():
            if name in value:
                yield from _duplicate_keys(value[name], fld.type, f"{path}.{name}", source, doc)
    elif t.kind == "list" and isinstance(value, list) and t.item is not None:
        key = key_field(t.item)
        seen: dict[Any, int] = {}
        for i, item in enumerate(value):
            ident = item.get(key) if key and isinstance(item, dict) else None
            if ident is not None and ident in seen:
                pos = doc.position(f"{path}[{i}].{key}")
                yield Diagnostic(
                    "aicxs_facts_duplicate_id",
                    f"`{ident}` names two items of `{path.removeprefix('$.')}` "
                    f"(items {seen[ident]} and {i})",
                    span_at(source, *pos, len(str(key))) if pos else None,
                    f"give each item its own `{key}`: explanations name items by it",
                    path=source.path,
                )
            elif ident is not None:
                seen[ident] = i
            yield from _duplicate_keys(item, t.item, f"{path}[{i}]", source, doc)


def _file_error(name: str, message: str, help: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("aicxs_file_error", message, None, help, path=name)])


def _too_large(name: str, message: str) -> DiagnosticError:
    help = (
        "split the estate into several files, or raise the limit with the environment "
        "variable `AICXS_MAX_FACTS_BYTES`"
    )
    return DiagnosticError([Diagnostic("aicxs_limit_file_size", message, None, help, path=name)])


# ---- parsing --------------------------------------------------------------------------------


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
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_syntax",
                    f"invalid JSON: {err.msg}",
                    span_at(source, err.lineno, err.colno),
                    "fix the JSON syntax at this point",
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


def _long_list(path: str, limit: int) -> tuple[str, str, str]:
    return (
        "aicxs_limit_list_length",
        f"`{_display(path) or 'the document'}` has more than {limit:,} items",
        "the limit is set by the environment variable `AICXS_MAX_LIST_ITEMS`; raise it for "
        "a larger estate, or split the estate into several files",
    )


def _long_text(path: str, length: int) -> tuple[str, str, str]:
    return (
        "aicxs_limit_string_length",
        f"`{_display(path) or 'the document'}` is a text of {length:,} characters; the "
        f"limit is {MAX_STRING_CHARS:,}",
        "shorten it, and keep long documents outside the facts (cite them in `evidence`)",
    )


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


def _short(text: object, limit: int = 60) -> str:
    """`text` for a message: at most `limit` characters, control characters escaped."""
    shown = _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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


def _duplicate(source: Source, key: str, at: tuple[int, int] | None) -> Diagnostic:
    span = span_at(source, *at, len(key)) if at else None
    return Diagnostic(
        "aicxs_facts_duplicate_key",
        f"key `{_short(key)}` appears twice in one mapping",
        span,
        "keep one: a repeated key would silently replace the first value",
        path=source.path,
    )


def _kind(value: Any) -> str:
    return {
        list: "list",
        str: "text",
        bool: "true/false",
        int: "number",
        float: "number",
        dict: "mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)


# ---- normalising and typing -----------------------------------------------------------------


def _normalise(
    value: Any, source: Source, doc: FactsDocument, path: str = "$", depth: int = 0
) -> Any:
    """JSON-compatible values: YAML dates as ISO text, empty values dropped (absent facts are
    unknown), bounded depth and numbers."""
    if depth > MAX_DEPTH:
        raise _value_error(
            source,
            doc,
            path,
            "aicxs_facts_too_deep",
            f"facts nest deeper than {MAX_DEPTH} levels",
            "flatten the facts",
        )
    if isinstance(value, (dict, list)) and len(value) > (limit := max_list_items()):
        raise _value_error(source, doc, path, *_long_list(path, limit))
    if isinstance(value, dict):  # a key with no value (`available:`) is an absent fact
        out = {
            _key(k): _normalise(v, source, doc, f"{path}.{k}", depth + 1)
            for k, v in value.items()
            if v is not None
        }
        if len(out) < sum(v is not None for v in value.values()):  # `1:` and `"1":`
            raise DiagnosticError([_duplicate(source, _merged_key(value), None)])
        return out
    if isinstance(value, list):
        return [_normalise(v, source, doc, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, _Huge):
        raise _value_error(
            source,
            doc,
            path,
            "aicxs_facts_number",
            f"`{_display(path)}` is too large ({value[:20]}...)",
            f"facts are integers up to {MAX_INT:,}",
        )
    if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
        raise _value_error(source, doc, path, *_long_text(path, len(value)))
    if isinstance(value, dt.datetime):
        raise _value_error(
            source,
            doc,
            path,
            "aicxs_facts_type",
            f"`{_display(path)}` is a date with a time",
            "write only the date, as YYYY-MM-DD",
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise _value_error(
            source,
            doc,
            path,
            "aicxs_facts_number",
            f"`{_display(path)}` is {value}, which no fact can hold",
            "write a finite number",
        )
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise _value_error(
            source,
            doc,
            path,
            "aicxs_facts_number",
            f"`{_display(path)}` is too large ({str(value)[:20]}...)",
            f"facts are integers up to {MAX_INT:,}",
        )
    return value


def _key(key: Any) -> str:
    """A mapping key as text, as JSON writes it (`~:` is `null`, `1:` is `1`)."""
    return "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)


def _merged_key(mapping: dict[Any, Any]) -> str:
    seen: set[str] = set()
    for k in mapping:
        if _key(k) in seen:
            return _key(k)
        seen.add(_key(k))
    return "?"


def _value_error(
    source: Source,
    doc: FactsDocument,
    path: str,
    code: str,
    message: str,
    help: str,
    span: Any = None,
) -> DiagnosticError:
    if span is None and (pos := doc.position(path)):
        span = span_at(source, *pos)
    return DiagnosticError([Diagnostic(code, message, span, help, path=source.path)])


def _typed(value: Any, t: Type) -> Any:
    """Dates and durations from their text; records and lists typed field by field."""
    if t.kind == "record" and isinstance(value, dict):
        return {k: _typed(v, t.fields[k].type) if k in t.fields else v for k, v in value.items()}
    if t.kind == "list" and isinstance(value, list) and t.item is not None:
        return [_typed(v, t.item) for v in value]
    if t.kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if t.kind == "duration" and isinstance(value, str):
        return Duration.parse(value)
    if t.kind == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# ---- the one-pass converter -----------------------------------------------------------------


class _Invalid(Exception):
    """The fast converter met something it does not accept; the slow path will say what."""


Convert = Callable[[Any], Any]
_CONVERTERS: dict[int, tuple[Type, Convert]] = {}


def converter(vocabulary: Type) -> Convert:
    """A function that validates and types a document in one pass, or raises `_Invalid`.
    It accepts exactly what normalising + the schema + typing accept, and returns the same."""
    cached = _CONVERTERS.get(id(vocabulary))
    if cached is None or cached[0] is not vocabulary:
        cached = (vocabulary, _convert(vocabulary))
        _CONVERTERS[id(vocabulary)] = cached
    return cached[1]


def _convert(t: Type) -> Convert:
    match t.kind:
        case "bool":
            return _bool
        case "int":
            return _int
        case "number":
            return _number
        case "string":
            return _string
        case "date":
            return _date
        case "duration":
            return _duration
        case "enum":
            return _enum(frozenset(t.values))
        case "record":
            return _record(t)
        case "list":
            key = key_field(t.item) if t.item is not None and t.item.kind == "record" else None
            return _list(_convert(t.item) if t.item else _string, key)
    raise _Invalid(t.kind)


def _bool(v: Any) -> Any:
    if v is True or v is False:
        return v
    raise _Invalid


def _int(v: Any) -> Any:
    if type(v) is int and -MAX_INT <= v <= MAX_INT:
        return v
    raise _Invalid


def _number(v: Any) -> Any:
    if (type(v) is int and -MAX_INT <= v <= MAX_INT) or (type(v) is float and math.isfinite(v)):
        return float(v)
    raise _Invalid


def _string(v: Any) -> Any:
    if type(v) is str and len(v) <= MAX_STRING_CHARS:
        return v
    raise _Invalid


def _date(v: Any) -> Any:
    if type(v) is dt.date:
        return v
    if type(v) is str and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            pass
    raise _Invalid


def _duration(v: Any) -> Any:
    if type(v) is str:
        amount, _, _ = v.partition(" ")
        if 0 < len(amount) <= 9 and amount.isdigit() and amount.isascii():
            d = Duration.parse(v)
            if d is not None and v == v.strip():
                return d
    raise _Invalid


_EVIDENCE_TEXT = ("fact", "document", "url", "attested_by")


def _evidence(entries: Any) -> list[dict[str, Any]]:
    """The `evidence` list, as the schema and normalising would leave it (dates as text)."""
    if type(entries) is not list or len(entries) > _LIST_LIMIT[0]:
        raise _Invalid
    out = []
    for e in entries:
        if type(e) is not dict or type(e.get("fact")) is not str:
            raise _Invalid
        entry: dict[str, Any] = {}
        for k, v in e.items():
            if v is None:
                continue
            if k in _EVIDENCE_TEXT and type(v) is str and len(v) <= MAX_STRING_CHARS:
                entry[k] = v
            elif k == "date":
                entry[k] = _date(v).isoformat()
            else:
                raise _Invalid
        out.append(entry)
    return out


def _enum(values: frozenset[str]) -> Convert:
    def convert(v: Any) -> Any:
        if type(v) is str and v in values:
            return v
        raise _Invalid

    return convert


def _record(t: Type) -> Convert:
    fields = {name: _convert(f.type) for name, f in t.fields.items()}
    required = tuple(name for name, f in t.fields.items() if f.key)

    def convert(v: Any) -> Any:
        if type(v) is not dict:
            raise _Invalid
        out = {}
        for k, x in v.items():
            if x is None:
                continue  # an empty value is an absent fact
            f = fields.get(k)
            if f is None:
                raise _Invalid
            out[k] = f(x)
        for k in required:
            if k not in out:
                raise _Invalid
        return out

    return convert


_LIST_LIMIT = [0]  # `max_list_items()`, read once per document by `facts_from_data`


def _list(item: Convert, key: str | None) -> Convert:
    def convert(v: Any) -> Any:
        if type(v) is not list or len(v) > _LIST_LIMIT[0]:
            raise _Invalid
        out = [item(x) for x in v]
        if key is not None and len({x[key] for x in out}) != len(out):
            raise _Invalid  # two items share a key: the slow path names them
        return out

    return convert


# ---- validation -----------------------------------------------------------------------------


class Validator:
    """The facts schema's jsonschema validator. It is built, and jsonschema imported, only when
    a document needs the slow path: a valid document never pays for either."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._validator: Any = None
        self._lock = threading.Lock()

    def iter_errors(self, document: Any) -> Iterator[jsonschema.ValidationError]:
        with self._lock:
            if self._validator is None:
                import jsonschema

                cls = jsonschema.validators.validator_for(self.schema)
                self._validator = cls(self.schema, format_checker=cls.FORMAT_CHECKER)
        errors: Iterator[jsonschema.ValidationError] = self._validator.iter_errors(document)
        return errors


def make_validator(schema: dict[str, Any]) -> Validator:
    return Validator(schema)


_TYPE_WORDS = {
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "string": "a text",
    "object": "a mapping of fields",
    "array": "a list",
    "null": "nothing",
}


def _schema_diagnostic(
    err: jsonschema.ValidationError, source: Source, doc: FactsDocument, plain: dict[str, Any]
) -> Diagnostic:
    json_path = "$" + "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path
    )
    shown = display_path(err.absolute_path, plain)
    message, help = _explain_schema_error(err, shown)
    pos = doc.position(json_path)
    if err.validator == "additionalProperties":
        json_path = f"{json_path}.{_extra_key(err)}"
        pos = doc.position(json_path) or pos
    key = json_path.rsplit(".", 1)[-1] if not json_path.endswith("]") else ""
    span = span_at(source, *pos, max(1, len(key))) if pos else None
    return Diagnostic(
        "aicxs_facts_schema" if err.validator != "type" else "aicxs_facts_type",
        f"{message} ({_short(json_path, 120)})",
        span,
        help,
        path=source.path,
    )


def _explain_schema_error(err: jsonschema.ValidationError, shown: str) -> tuple[str, str]:
    where = f"`{shown}`" if shown else "the document"
    got = _describe_value(err.instance)
    match err.validator:
        case "type":
            want = _TYPE_WORDS.get(str(err.validator_value), str(err.validator_value))
            if isinstance(err.schema, dict) and err.schema.get("pattern") == DURATION_PATTERN:
                want = 'a duration such as "90 days" or "120 seconds"'
            elif isinstance(err.schema, dict) and err.schema.get("format") == "date":
                want = "a date such as 2025-06-30"
            return f"{where} should be {want}, not {got}", f"write {want}"
        case "enum":
            allowed = [str(v) for v in err.validator_value]  # type: ignore[union-attr]
            options = ", ".join(allowed)
            hint = did_you_mean(str(err.instance), allowed)
            return (
                f"{where} is {got}, which is not one of: {options}",
                hint or f"use one of: {options}",
            )
        case "required":
            missing = str(err.message).split("'")[1] if "'" in err.message else "a key field"
            return (
                f"{where} has no `{missing}`",
                f"every item needs its `{missing}`: it names the item in explanations",
            )
        case "additionalProperties":
            extra = _short(_extra_key(err))
            known = list(_properties(err))
            hint = did_you_mean(extra, known)
            return (
                f"{where} has no fact `{extra}` in the vocabulary",
                hint or "remove it, or declare it in the policy's `facts` block",
            )
        case "format":
            return f"{where} is {got}, which is not a date", "write dates as YYYY-MM-DD"
        case "pattern":
            return (
                f"{where} is {got}, which is not a duration",
                'write a duration such as "90 days" or "120 seconds"',
            )
    return f"{where}: {err.message}", "see `aicxs schema` for what is expected"


def _properties(err: jsonschema.ValidationError) -> dict[str, Any]:
    schema = err.schema
    return dict(schema.get("properties", {})) if isinstance(schema, dict) else {}


def _extra_key(err: jsonschema.ValidationError) -> str:
    known = _properties(err)
    extras = [k for k in err.instance if k not in known] if isinstance(err.instance, dict) else []
    return str(extras[0]) if extras else "?"


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'the text "{_short(value, 40)}"'
    if isinstance(value, (dict, list)):
        return f"a {_kind(value)}"
    return f"`{value}`" if value is not None else "empty"


def display_path(parts: Any, data: Any) -> str:
    """`systems[web-chat].consent.recorded`: list items named by their `id` where they have one."""
    out = ""
    current = data
    for p in parts:
        if isinstance(p, int):
            item = current[p] if isinstance(current, list) and p < len(current) else None
            ident = item.get("id") if isinstance(item, dict) else None
            out += f"[{ident}]" if isinstance(ident, str) else f"[{p}]"
            current = item
        else:
            out += f".{p}" if out else str(p)
            current = current.get(p) if isinstance(current, dict) else None
    return out


def _display(json_path: str) -> str:
    return json_path.removeprefix("$.").removeprefix("$")


# ---- positions, on demand -------------------------------------------------------------------


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
        self.objects: dict[int, dict[str, tuple[int, int]]] = {}  # `{` → key → offsets
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
        """(offset of the key, offset of its value) in the object at `at`."""
        if at not in self.objects:
            self.objects[at] = self._members(at)
        return self.objects[at].get(key)

    def _members(self, at: int) -> dict[str, tuple[int, int]]:
        text = self.text
        members: dict[str, tuple[int, int]] = {}
        if text[at] != "{":
            raise ValueError("not an object")
        i = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
        while text[i] != "}":
            name, after = self.decode(text, i)
            value = _WS.match(text, _WS.match(text, after).end() + 1).end()  # type: ignore[union-attr]
            members.setdefault(name, (i, value))
            _, i = self.decode(text, value)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == ",":
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        return members


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
