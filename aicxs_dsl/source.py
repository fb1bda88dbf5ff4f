"""Source text and positions.

A `Span` holds its `Source` (path and text), so a diagnostic or an explanation can render
its own location and source frame without anyone passing the text around. Lines and columns
are 1-based; columns count characters, not bytes or stream offsets.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

_NEWLINE = re.compile("\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
SNIPPET_WIDTH = 200  # a longer source line (minified, or hostile) is shown as a window


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """A named text: a file on disk, or a string given to the API."""

    path: str
    text: str
    _starts: list[int] = field(default_factory=list, repr=False)  # filled on first use

    @property
    def line_starts(self) -> list[int]:
        """Offsets where lines start; found only when a position is first asked for."""
        if not self._starts:
            self._starts.append(0)
            self._starts.extend(m.end() for m in _NEWLINE.finditer(self.text))
        return self._starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self.line_starts
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")


@dataclass(frozen=True, slots=True)
class Span:
    """A range of characters `[start, end)` in a `Source`."""

    source: Source
    start: int
    end: int

    @property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @property
    def col(self) -> int:
        return self.source.line_col(self.start)[1]

    @property
    def end_line(self) -> int:
        return self.source.line_col(max(self.start, self.end - 1))[0]

    @property
    def path(self) -> str:
        return self.source.path

    def location(self) -> str:
        """`path:line:col`, the header form every message uses."""
        return f"{self.source.path}:{self.line}:{self.col}"

    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def snippet(self) -> str:
        """The first source line of the span with a caret underline beneath it."""
        line, col = self.line, self.col
        code = self.source.line_text(line)
        end_col = len(code) + 1 if self.end_line > line else self.source.line_col(self.end)[1]
        width = max(1, min(end_col, len(code) + 1) - col)
        if len(code) > SNIPPET_WIDTH:
            code, col, width = _window(code, col, width)
        code = _CONTROL.sub("\ufffd", code)  # never send the terminal an escape sequence
        gutter = " " * len(str(line))
        pad = "".join(c if c == "\t" else " " for c in code[: col - 1])  # tabs kept: aligned
        return f"{gutter} |\n{line} | {code}\n{gutter} | {pad}{'^' * width}"


def _window(code: str, col: int, width: int) -> tuple[str, int, int]:
    """About `SNIPPET_WIDTH` characters of a long line around the column, cut ends shown as
    `...`; the column and width of the underline within it."""
    start = max(0, col - 1 - SNIPPET_WIDTH // 3)
    end = min(len(code), start + SNIPPET_WIDTH)
    head = "..." if start else ""
    tail = "..." if end < len(code) else ""
    width = max(1, min(width, end - (col - 1)))
    return head + code[start:end] + tail, col - start + len(head), width


def span_at(source: Source, line: int, col: int, width: int = 1) -> Span:
    """The span of `width` characters at a 1-based line and column."""
    starts = source.line_starts
    start = starts[max(0, min(line, len(starts)) - 1)] + col - 1
    start = min(start, len(source.text))
    return Span(source, start, min(start + width, len(source.text)))
