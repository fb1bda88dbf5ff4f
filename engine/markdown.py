"""Text from a standard, a policy or the facts, written into Markdown as text and nothing else.

A title, an id or a value may hold what Markdown (CommonMark, and GitHub's tables) would read
as markup: `<script>` or `<img onerror=...>` (raw HTML), `[x](javascript:...)` (a link), a
backtick fence that closes the one around an explanation, a `|` that splits a table cell, a
`# ` or `- ` that starts a block. Every field goes through one of these:

- `md_text`: inline text; markup characters escaped with a backslash, line breaks and control
  characters shown as escapes (aicxs_dsl/escape.py `printable`), ends trimmed;
- `md_lines`: text of several lines (a clause's text), each line escaped as `md_text` does;
- `md_code`: a code span, delimited by more backticks than the text holds;
- `md_fence`: a fenced block, its fence longer than any backtick run inside it.

`md_text` escapes only where Markdown could read markup, so ordinary prose stays readable in
the source: `_` only where it could open or close emphasis, `&` only before what could be an
entity, `- `, `+ `, `1. ` and lines of `-` or `=` only at the start of a line.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from aicxs.aicxs_dsl.escape import printable

_ALWAYS = re.compile(r"[\\`*\[\]|~#]")
_AMPERSAND = re.compile(r"&(?=[#A-Za-z0-9])")  # `&amp;`, `&#60;`: entities; `A & B` is not
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # `snake_case` cannot emphasise
_LIST_ITEM = re.compile(r"[-+](?:\s|$)|[-=][-= ]*$")  # `- x`; `---` or `==` under a line
_ORDERED_ITEM = re.compile(r"(\d{1,9})([.)])(?=\s|$)")  # `1. x` (but `5.2` is text)
_BACKTICKS = re.compile(r"`+")


def md_text(text: str, keep_code: bool = False, line_start: bool = True) -> str:
    """`text` as one line of Markdown text. With `keep_code`, spans the author wrote in
    matching backticks (`name`) stay code spans; everything else is escaped. Without
    `line_start` (a table cell), block markers need no escape: a cell holds no blocks."""
    text = printable(text).strip()
    first = _line if line_start else _escape
    if not keep_code:
        return first(text)
    out = []
    for i, (part, code) in enumerate(_code_spans(text)):
        out += [_escape(part) if i else first(part), code]
    return "".join(out)


def md_lines(text: str, keep_code: bool = False) -> str:
    """Text of several lines (paragraphs kept), each line escaped as by `md_text`."""
    return "\n".join(md_text(line, keep_code) for line in text.split("\n"))


def md_cell(text: str, keep_code: bool = False) -> str:
    """Text for one table cell: on one line, and no `|` left to split the row (GitHub's
    tables split a row even inside a code span, unless the `|` is escaped)."""
    cell = md_text(" ".join(text.split()), keep_code, line_start=False)
    return re.sub(r"(?<!\\)\|", r"\\|", cell) if keep_code else cell


def md_code(text: str, in_table: bool = False) -> str:
    """`text` as a code span: nothing inside is markup, and no backtick run can close it."""
    text = printable(text)
    ticks = "`" * (max((len(m) for m in _BACKTICKS.findall(text)), default=0) + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.strip()):
        text = f" {text} "  # CommonMark strips one space from each end
    span = f"{ticks}{text}{ticks}"
    return span.replace("|", "\\|") if in_table else span


def md_fence(lines: Iterable[str], info: str = "") -> list[str]:
    """Lines as a fenced code block whose fence is longer than any backtick run inside."""
    body = [printable(line) for line in lines]
    longest = max((len(m) for line in body for m in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *body, fence]


def _line(text: str) -> str:
    """Escaped text that may start a line: a block marker at its start escaped too."""
    escaped = _escape(text)
    if _LIST_ITEM.match(escaped):
        return "\\" + escaped
    if ordered := _ORDERED_ITEM.match(escaped):
        return f"{ordered.group(1)}\\{ordered.group(2)}{escaped[ordered.end() :]}"
    return escaped


def _escape(text: str) -> str:
    text = _ALWAYS.sub(r"\\\g<0>", text)
    text = _AMPERSAND.sub(r"\\&", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")  # as entities: read the same anywhere
    return _UNDERSCORE.sub(r"\\_", text)


def _code_spans(text: str) -> list[tuple[str, str]]:
    """`text` cut into (plain text, code span) pairs, matching backtick runs as CommonMark
    does: a run opens a span only if a run of the same length follows; otherwise its
    backticks are text (and get escaped)."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    after: dict[int, list[int]] = {}  # run length → indexes of the runs of that length
    for i, (start, end) in enumerate(runs):
        after.setdefault(end - start, []).append(i)
    out: list[tuple[str, str]] = []
    at, i = 0, 0
    while i < len(runs):
        start, end = runs[i]
        same = after[end - start]
        k = bisect.bisect_right(same, i)  # the next run of the same length, if any
        if k == len(same):
            i += 1
            continue
        close = runs[same[k]]
        out.append((text[at:start], text[start : close[1]]))
        at = close[1]
        i = same[k] + 1
    out.append((text[at:], ""))
    return out
