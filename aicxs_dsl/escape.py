"""Text from a policy, a facts file, a file name or a flag, made safe to show.

`printable` is the one escaping function for every reader of text: it shows each control
character as a visible escape (`\\x1b`, `\\n`, `\\u202e`), so that no escape sequence (OSC 52
clipboard writes, OSC 8 hidden links, `ESC [2J`) reaches a terminal, no line break in a value
can forge a line of a report, and no byte that is not UTF-8 (a file name read with
`surrogateescape`) makes writing the output fail. `json_dumps` is JSON's own escaping extended
to the characters JSON leaves raw (C1 controls, line separators, bidirectional overrides).
Formats with their own syntax (Markdown, HTML, XML, CSV) escape that syntax on top of this.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, the bidirectional
# marks, embeddings, overrides and isolates (which reorder what a reader sees), and lone
# surrogates (a byte that is not UTF-8, or half of a UTF-16 pair: no file can hold one).
CONTROL_CLASS = (
    "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
)
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")
# The colours `click.style` writes for the palette aicxs uses (engine/console.py), and reset.
_COLOUR = re.compile(r"(\x1b\[(?:0|3[1-6])m)")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str, keep: str = "", colours: bool = False) -> str:
    """`text` with every control character shown as an escape: `\\n`, `\\t`, `\\r`; `\\xNN`
    below U+0100 and for an undecodable byte of a file name; `\\uNNNN` above. Characters in
    `keep` (e.g. `"\\n"` for a whole document) stay; with `colours`, so do the colour codes
    that aicxs itself writes to a terminal (and nothing else with an ESC)."""
    if not _CONTROL.search(text):
        return text
    if colours:
        parts = _COLOUR.split(text)
        return "".join(p if i % 2 else printable(p, keep) for i, p in enumerate(parts))
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m.group()), text)


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_dumps(data: Any, indent: int | None = 2, compact: bool = False) -> str:
    """JSON text (UTF-8 characters kept) in which no control character is raw: JSON escapes
    C0 itself; C1, DEL, separators and bidirectional controls are written as `\\uNNNN` (the
    same data for every JSON reader); a lone surrogate becomes U+FFFD (no file can hold it)."""
    separators = (",", ":") if compact else None
    return json_escaped(json.dumps(data, indent=indent, ensure_ascii=False, separators=separators))


def json_escaped(text: str) -> str:
    """JSON text (or any piece of it, e.g. from `JSONEncoder.iterencode`) with the control
    characters JSON leaves raw escaped as `json_dumps` does."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_json_escape, text)


def _json_escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in "\n":  # the layout of indented JSON; a newline in a value is already `\n`
        return ch
    return "\\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else f"\\u{ord(ch):04x}"


def printable_lines(lines: Iterable[str], colours: bool = False) -> str:
    """Lines joined by line breaks, each made `printable`: a line break inside a line (a
    value holding one) is shown as `\\n`, so it cannot forge a line of its own."""
    return "\n".join(printable(line, colours=colours) for line in lines)


def printable_output(text: str, colours: bool = False) -> str:
    """A whole output (any format) as it may reach a terminal or a file: its own line breaks
    (LF, and the CRLF of CSV) and tabs kept, every other control character escaped."""
    return "\r\n".join(printable(part, "\n\t", colours) for part in text.split("\r\n"))
