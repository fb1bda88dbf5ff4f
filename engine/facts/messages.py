"""How the facts readers word what they refuse: a value shortened for a message, a JSON path
as the user reads it, the kind of a value, and the diagnostics that the JSON and YAML readers
and normalising all give (a key given twice, a list or a text beyond its limit).
"""

from __future__ import annotations

import re
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.aicxs_dsl.limits import MAX_STRING_CHARS
from aicxs.aicxs_dsl.source import Source, span_at


def _short(text: object, limit: int = 60) -> str:
    """`text` for a message: at most `limit` characters, control characters escaped."""
    shown = _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _display(json_path: str) -> str:
    return json_path.removeprefix("$.").removeprefix("$")


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


def _duplicate(source: Source, key: str, at: tuple[int, int] | None) -> Diagnostic:
    span = span_at(source, *at, len(key)) if at else None
    return Diagnostic(
        "aicxs_facts_duplicate_key",
        f"key `{_short(key)}` appears twice in one mapping",
        span,
        "keep one: a repeated key would silently replace the first value",
        path=source.path,
    )
