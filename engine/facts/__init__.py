"""Facts files (YAML or JSON) → validated, typed facts that remember where they came from.

Reading refuses what would lose or distort data, or take unbounded time or memory
(`json_text.py`, `yaml_text.py`); a valid document is typed in one pass, any other is
normalised and validated against the vocabulary's schema, each error located (`convert.py`,
`validation.py`). Where each fact sits is found on demand (`document.py`, `positions.py`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.escape import printable
from aicxs.aicxs_dsl.limits import MAX_FACTS_BYTES, MAX_INT, max_facts_bytes, max_list_items
from aicxs.aicxs_dsl.limits import MAX_FACTS_DEPTH as MAX_DEPTH
from aicxs.aicxs_dsl.parser import decode
from aicxs.aicxs_dsl.reading import read_limited
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.aicxs_dsl.words import with_article

# `facts_from_data` finds `converter` and `_normalise` here, where tests patch them.
from aicxs.engine.facts.convert import (
    _LIST_LIMIT,
    _evidence,
    _Invalid,
    _normalise,
    _typed,
    converter,
)
from aicxs.engine.facts.document import FactsDocument
from aicxs.engine.facts.json_text import DuplicateKey, _parse_json, object_without_duplicates
from aicxs.engine.facts.messages import _kind
from aicxs.engine.facts.validation import (
    Validator,
    _duplicate_keys,
    _schema_diagnostic,
    bad_links,
    display_path,
    empty_unknown_keys,
    make_validator,
)
from aicxs.engine.facts.yaml_text import _parse_yaml
from aicxs.engine.types import Type

__all__ = [
    "MAX_DEPTH",
    "MAX_FACTS_BYTES",
    "MAX_INT",
    "DuplicateKey",
    "FactsDocument",
    "Validator",
    "converter",
    "display_path",
    "facts_from_data",
    "load_facts",
    "make_validator",
    "object_without_duplicates",
    "parse_facts",
]


def load_facts(path: str | Path, validator: Validator, vocabulary: Type) -> FactsDocument:
    name = printable(os.fspath(path))  # how every output names the file
    limit = max_facts_bytes()
    try:
        data = read_limited(path, limit, name)
        if data is None:
            raise _too_large(name, f"facts file is larger than {limit:,} bytes")
        text = decode(name, data)
        del data  # the bytes are not kept while the text is parsed
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

    def parse() -> Any:
        return _parse_json(text, source) if name.endswith(".json") else _parse_yaml(text, source)

    doc = FactsDocument(name, {}, text)
    return facts_from_data(parse(), doc, source, validator, vocabulary, reparse=parse)


def facts_from_data(
    raw: Any,
    doc: FactsDocument,
    source: Source,
    validator: Validator,
    vocabulary: Type,
    reparse: Callable[[], Any] | None = None,
) -> FactsDocument:
    """Validate and type a parsed facts document. The compiled converter decides the common
    case (a valid document) in one pass; any doubt sends the document through normalising and
    jsonschema, which say precisely what is wrong and where. With `reparse` (how to parse the
    document again), the converter may consume `raw` as it goes, freeing each item of a large
    list once typed, so a large estate is never held twice; the slow path then parses anew."""
    if raw is None:
        raw = {}
    if isinstance(raw, dict):
        _LIST_LIMIT[0] = max_list_items()  # the environment, read once, not per list
        try:
            evidence = _evidence(raw["evidence"]) if raw.get("evidence") is not None else []
            skipped = _skipped(raw["skipped"]) if raw.get("skipped") is not None else []
            facts = {k: v for k, v in raw.items() if k not in NOT_FACTS} if _meta(raw) else raw
            doc.data = converter(vocabulary, consume=reparse is not None)(facts)
            doc.evidence, doc.skipped = evidence, skipped
            return doc
        except _Invalid:
            if reparse is not None:
                raw = reparse()  # the converter may have consumed part of it
                raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_facts_shape",
                    f"a facts file holds a mapping (`organisation:`, `systems:`, "
                    f"...), not {with_article(_kind(raw))}",
                    span_at(source, 1, 1),
                    "see `aicxs schema` for the layout",
                )
            ]
        )
    plain = _normalise(raw, source, doc)
    errors = sorted(validator.iter_errors(plain), key=lambda e: list(e.absolute_path))
    empty = list(empty_unknown_keys(raw, vocabulary, source, doc, plain))
    if errors or empty:
        found = [_schema_diagnostic(e, source, doc, plain) for e in errors[:50]]
        raise DiagnosticError(found + empty[:50])
    if duplicates := list(_duplicate_keys(plain, vocabulary, "$", source, doc)):
        raise DiagnosticError(duplicates[:50])
    if links := list(bad_links(plain.get("evidence"), source, doc)):
        raise DiagnosticError(links[:50])
    doc.evidence = plain.pop("evidence", [])
    doc.skipped = plain.pop("skipped", [])
    doc.data = _typed(plain, vocabulary)
    return doc


NOT_FACTS = ("evidence", "skipped")  # top-level keys beside the facts


def _meta(raw: dict[str, Any]) -> bool:
    return "evidence" in raw or "skipped" in raw


def _skipped(entries: Any) -> list[str]:
    """The `skipped` list: fact paths as text (anything else goes the slow path)."""
    if type(entries) is not list or any(type(e) is not str for e in entries):
        raise _Invalid
    return list(entries)


def _file_error(name: str, message: str, help: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("aicxs_file_error", message, None, help, path=name)])


def _too_large(name: str, message: str) -> DiagnosticError:
    help = (
        "split the estate into several files, or raise the limit with the environment "
        "variable `AICXS_MAX_FACTS_BYTES`"
    )
    return DiagnosticError([Diagnostic("aicxs_limit_file_size", message, None, help, path=name)])
