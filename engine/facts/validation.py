"""Normalised facts → diagnostics: jsonschema's errors against the schema generated from the
vocabulary, each worded for the reader (what was expected, "did you mean", the file, line and
JSON path), and items of one list that share a key. jsonschema is imported only when a
document needs it: a valid document takes the fast path and never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

from aicxs.aicxs_dsl.diagnostics import Diagnostic, did_you_mean
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.facts.document import FactsDocument
from aicxs.engine.facts.messages import _kind, _short
from aicxs.engine.links import allowed_link
from aicxs.engine.schema import DURATION_PATTERN, EVIDENCE_SCHEMA
from aicxs.engine.types import DURATION_UNITS, UNIT_LENGTHS, Type, key_field


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


_A_DURATION = 'a duration such as "90 days" or "6 months"'
EVIDENCE_FIELDS = frozenset(EVIDENCE_SCHEMA["items"]["properties"])
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
            kinds = (
                err.validator_value
                if isinstance(err.validator_value, list)
                else [err.validator_value]
            )
            kind = next((str(k) for k in kinds if k != "null"), "null")  # empty is always fine
            want = _TYPE_WORDS.get(kind, kind)
            if isinstance(err.schema, dict) and err.schema.get("pattern") == DURATION_PATTERN:
                want = _A_DURATION
            elif isinstance(err.schema, dict) and err.schema.get("format") == "date":
                want = "a date such as 2025-06-30"
            return f"{where} should be {want}, not {got}", f"write {want}"
        case "enum":
            values = err.validator_value  # an empty value (None) is always allowed: not listed
            allowed = [str(v) for v in values if v is not None]  # type: ignore[union-attr]
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
            hint = _suggest(extra, known)
            if list(err.absolute_path)[:1] == ["evidence"]:  # an evidence entry, not a fact
                fields = ", ".join(f"`{k}`" for k in known)
                return (
                    f"{where} has no field `{extra}`: an evidence entry has {fields}",
                    hint or "remove it, or write it as one of the fields above",
                )
            return (
                f"{where} has no fact `{extra}` in the vocabulary",
                hint or "remove it, or declare it in the policy's `facts` block",
            )
        case "minimum" | "maximum" if isinstance(err.schema, dict):
            low, high = err.schema.get("minimum"), err.schema.get("maximum")
            return (
                f"{where} is {got}, outside its range {low} .. {high}",
                f"give a value from {low} to {high}" + _percent_hint(err.instance, low, high),
            )
        case "format":
            return f"{where} is {got}, which is not a date", "write dates as YYYY-MM-DD"
        case "pattern":
            return (
                f"{where} is {got}, which is not a duration",
                f"write {_A_DURATION} (units: {DURATION_UNITS}; {UNIT_LENGTHS})",
            )
    return f"{where}: {err.message}", "see `aicxs schema` for what is expected"


def _percent_hint(value: Any, low: Any, high: Any) -> str:
    """A share written as a percentage (72 for 0.72) is the usual slip."""
    if (low, high) == (0, 1) and isinstance(value, int | float) and 1 < value <= 100:
        return f" (a share: {value:g} % is {value / 100:g})"
    return ""


def _suggest(word: str, known: list[str]) -> str:
    """`did you mean ...?` by spelling, or by abbreviation (`doc` for `document`)."""
    if hint := did_you_mean(word, known):
        return hint
    longer = [k for k in known if len(word) >= 2 and k.startswith(word)]
    return f"did you mean `{longer[0]}`?" if len(longer) == 1 else ""


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
        return with_article(_kind(value))
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


def empty_unknown_keys(
    raw: Any, t: Type, source: Source, doc: FactsDocument, plain: Any, parts: tuple[Any, ...] = ()
) -> Iterator[Diagnostic]:
    """Keys the vocabulary does not know whose value is empty (`sytems:`): normalising drops
    empty values (an absent fact), so the schema never sees them; they are as wrong as the
    same keys with a value."""
    if t.kind == "record" and isinstance(raw, dict):
        known = set(t.fields) | ({"evidence"} if not parts else set())
        for key, value in raw.items():
            name = str(key)
            if value is None and name not in known:
                yield _unknown_key(name, known, parts, source, doc, plain)
            elif name in t.fields:
                yield from empty_unknown_keys(
                    value, t.fields[name].type, source, doc, plain, (*parts, name)
                )
        evidence = raw.get("evidence") if not parts else None
        for i, entry in enumerate(evidence if isinstance(evidence, list) else []):
            for key, value in entry.items() if isinstance(entry, dict) else ():
                if value is None and str(key) not in EVIDENCE_FIELDS:
                    yield _unknown_key(
                        str(key), EVIDENCE_FIELDS, ("evidence", i), source, doc, plain
                    )
    elif t.kind == "list" and isinstance(raw, list) and t.item is not None:
        for i, item in enumerate(raw):
            yield from empty_unknown_keys(item, t.item, source, doc, plain, (*parts, i))


def bad_links(evidence: Any, source: Source, doc: FactsDocument) -> Iterator[Diagnostic]:
    """Evidence `url`s that are not links a report may carry (see engine/links.py)."""
    for i, entry in enumerate(evidence if isinstance(evidence, list) else []):
        url = entry.get("url") if isinstance(entry, dict) else None
        if isinstance(url, str) and not allowed_link(url):
            pos = doc.position(f"$.evidence[{i}].url")
            yield Diagnostic(
                "aicxs_facts_url",
                f"`evidence[{i}].url` is `{_short(url, 60)}`, which is not a link a report may "
                "carry",
                span_at(source, *pos, len("url")) if pos else None,
                "give an http or https address, or a relative path or `file:` reference to the "
                "document (a `javascript:` or `data:` link would run in a reader's browser)",
                path=source.path,
            )


def _unknown_key(
    key: str, known: Any, parts: tuple[Any, ...], source: Source, doc: FactsDocument, plain: Any
) -> Diagnostic:
    json_path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    json_path += f".{key}"
    shown = display_path(parts, plain)
    pos = doc.position(json_path)
    return Diagnostic(
        "aicxs_facts_schema",
        f"{f'`{shown}`' if shown else 'the document'} has no fact `{_short(key)}` in the "
        f"vocabulary ({_short(json_path, 120)})",
        span_at(source, *pos, max(1, len(key))) if pos else None,
        did_you_mean(key, known) or "remove it, or declare it in the policy's `facts` block",
        path=source.path,
    )


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
