"""Parsed facts → typed facts, by two paths that accept and return the same. `converter` is the
one-pass fast path, compiled per vocabulary: it validates and types a valid document at once,
and raises `_Invalid` at any doubt. The slow path normalises (`_normalise`, which refuses what
no fact can hold, located) so that jsonschema can say what is wrong, then types (`_typed`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from aicxs.aicxs_dsl.diagnostics import DiagnosticError
from aicxs.aicxs_dsl.limits import MAX_FACTS_DEPTH as MAX_DEPTH
from aicxs.aicxs_dsl.limits import MAX_INT, MAX_STRING_CHARS, max_list_items
from aicxs.aicxs_dsl.source import Source, Span, span_at
from aicxs.engine.facts.document import FactsDocument, _value_error
from aicxs.engine.facts.json_text import _Huge
from aicxs.engine.facts.messages import _display, _duplicate, _long_list, _long_text
from aicxs.engine.links import allowed_link
from aicxs.engine.types import Duration, Type, key_field

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
            f"`{_display(path)}` is a date with a time ({path})",
            f"write only the date, as YYYY-MM-DD: `{value.date().isoformat()}`",
            _timestamp_span(source, doc, path),
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


# A YAML timestamp with a time (YAML 1.1's pattern, bounded: no backtracking on user text).
_TIMESTAMP = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|[ \t]{1,20})\d{1,2}:\d{2}(?::\d{2}(?:\.\d{0,9})?)?"
    r"(?:[ \t]{0,20}(?:Z|[-+]\d{1,2}(?::\d{2})?))?"
)


def _timestamp_span(source: Source, doc: FactsDocument, path: str) -> Span | None:
    """The whole date and time on the line of the value at `path` (its key, in a mapping)."""
    pos = doc.position(path)
    if pos is None:
        return None
    line, col = pos
    found = _TIMESTAMP.search(source.line_text(line), col - 1)
    if found is None:
        return None
    return span_at(source, line, found.start() + 1, found.end() - found.start())


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
_CONVERTERS: dict[tuple[int, bool], tuple[Type, Convert]] = {}


def converter(vocabulary: Type, consume: bool = False) -> Convert:
    """A function that validates and types a document in one pass, or raises `_Invalid`.
    It accepts exactly what normalising + the schema + typing accept, and returns the same.
    `consume`: each item of a list is dropped from the parsed document once typed (the
    document is then of no further use, even when `_Invalid` is raised)."""
    cached = _CONVERTERS.get((id(vocabulary), consume))
    if cached is None or cached[0] is not vocabulary:
        cached = (vocabulary, _convert(vocabulary, consume))
        _CONVERTERS[(id(vocabulary), consume)] = cached
    return cached[1]


def _convert(t: Type, consume: bool = False) -> Convert:
    match t.kind:
        case "bool":
            return _bool
        case "int" | "number":
            plain = _int if t.kind == "int" else _number
            return plain if t.low is None or t.high is None else _ranged(plain, t.low, t.high)
        case "string":
            return _string
        case "date":
            return _date
        case "duration":
            return _duration
        case "enum":
            return _enum(frozenset(t.values))
        case "record":
            return _record(t, consume)
        case "list":
            key = key_field(t.item) if t.item is not None and t.item.kind == "record" else None
            return _list(_convert(t.item, consume) if t.item else _string, key, consume)
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


def _ranged(plain: Convert, low: float, high: float) -> Convert:
    def convert(v: Any) -> Any:
        value = plain(v)
        if low <= value <= high:
            return value
        raise _Invalid  # the schema's minimum/maximum word the error

    return convert


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
_EVIDENCE_KEYS = frozenset((*_EVIDENCE_TEXT, "date"))


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
            if k not in _EVIDENCE_KEYS:
                raise _Invalid  # even with an empty value: a misspelt key is a mistake
            if v is None:
                continue
            if k == "url" and not (type(v) is str and allowed_link(v)):
                raise _Invalid  # the slow path says why (validation.py `bad_links`)
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


def _record(t: Type, consume: bool) -> Convert:
    fields = {name: _convert(f.type, consume) for name, f in t.fields.items()}
    required = tuple(name for name, f in t.fields.items() if f.key)

    def convert(v: Any) -> Any:
        if type(v) is not dict:
            raise _Invalid
        out = {}
        for k, x in v.items():
            f = fields.get(k)
            if f is None:
                raise _Invalid  # even with an empty value: `sytems:` is a misspelt key
            if x is None:
                continue  # an empty value is an absent fact
            out[k] = f(x)
        for k in required:
            if k not in out:
                raise _Invalid
        return out

    return convert


_LIST_LIMIT = [0]  # `max_list_items()`, read once per document by `facts_from_data`


def _list(item: Convert, key: str | None, consume: bool) -> Convert:
    def convert(v: Any) -> Any:
        if type(v) is not list or len(v) > _LIST_LIMIT[0]:
            raise _Invalid
        if consume:
            out = []
            for i, x in enumerate(v):
                out.append(item(x))
                v[i] = None  # the parsed item goes now, not with the whole document
        else:
            out = [item(x) for x in v]
        if key is not None and len({x[key] for x in out}) != len(out):
            raise _Invalid  # two items share a key: the slow path names them
        return out

    return convert
