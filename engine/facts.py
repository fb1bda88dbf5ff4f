"""Facts files (YAML or JSON) → validated, typed facts that remember where they came from.

Loading refuses what would lose or distort data: duplicate keys, YAML aliases, NaN and
infinities, nesting beyond a limit. The document is validated against the schema generated
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

from aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from aicxs_dsl.parser import decode
from aicxs_dsl.source import Source, span_at
from engine.schema import DURATION_PATTERN
from engine.types import Duration, Type, key_field

MAX_FACTS_BYTES = 512_000_000
MAX_DEPTH = 32
MAX_INT = 2**53  # integers beyond this lose precision in JSON consumers


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
    try:
        p = Path(path)
        if p.stat().st_size > MAX_FACTS_BYTES:
            raise _file_error(
                name,
                f"facts file is larger than {MAX_FACTS_BYTES:,} bytes",
                "split the estate into several files",
            )
        text = decode(name, p.read_bytes())
    except OSError as err:
        reason = (err.strerror or str(err)).lower()
        raise _file_error(
            name, f"cannot read `{name}`: {reason}", "check the path given to `--facts`"
        ) from None
    return parse_facts(text, name, validator, vocabulary)


def parse_facts(text: str, name: str, validator: Validator, vocabulary: Type) -> FactsDocument:
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
    if isinstance(raw, dict) and "evidence" not in raw:
        try:
            doc.data = converter(vocabulary)(raw)
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


# ---- parsing --------------------------------------------------------------------------------


def _parse_json(text: str, source: Source) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _DuplicateKey(key)
            out[key] = value
        return out

    def constant(word: str) -> Any:
        raise _BadNumber(word)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
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
    except _DuplicateKey as err:
        raise DiagnosticError([_duplicate(source, err.key, None)]) from None
    except _BadNumber as err:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_number",
                    f"`{err.word}` is not a number a fact can hold",
                    None,
                    "write a finite number",
                    path=source.path,
                )
            ]
        ) from None


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int = 0, col: int = 0) -> None:
        self.key, self.line, self.col = key, line, col


class _BadNumber(Exception):
    def __init__(self, word: str) -> None:
        self.word = word


class _Alias(Exception):
    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col


class _StrictLoader(yaml.SafeLoader):
    """YAML without aliases (no "billion laughs") and without silently repeated keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Alias(mark.line + 1, mark.column + 1)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise _DuplicateKey(str(key), mark.line + 1, mark.column + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str, source: Source) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as err:
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
    except (yaml.YAMLError, RecursionError, ValueError) as err:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_syntax",
                    f"invalid YAML: {err}",
                    None,
                    "fix the YAML syntax",
                    path=source.path,
                )
            ]
        ) from None


def _duplicate(source: Source, key: str, at: tuple[int, int] | None) -> Diagnostic:
    span = span_at(source, *at, len(key)) if at else None
    return Diagnostic(
        "aicxs_facts_duplicate_key",
        f"key `{key}` appears twice in one mapping",
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
    if isinstance(value, dict):  # a key with no value (`available:`) is an absent fact
        return {
            str(k): _normalise(v, source, doc, f"{path}.{k}", depth + 1)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list):
        return [_normalise(v, source, doc, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
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


def _value_error(
    source: Source, doc: FactsDocument, path: str, code: str, message: str, help: str
) -> DiagnosticError:
    pos = doc.position(path)
    span = span_at(source, *pos) if pos else None
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
    if type(v) is str:
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


def _list(item: Convert, key: str | None) -> Convert:
    def convert(v: Any) -> Any:
        if type(v) is not list:
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
        f"{message} ({json_path})",
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
            extra = _extra_key(err)
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
        return f'the text "{value[:40]}"'
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
            out += f"[{ident}]" if isinstance(ident, (str, int)) else f"[{p}]"
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
        self.decode = json.JSONDecoder().raw_decode
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
