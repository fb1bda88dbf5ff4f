"""Text → AST, or diagnostics.

Builds the Lark LALR parser once, parses, then transforms (so node positions survive). This is
the only module that catches Lark's errors; it turns each into a `Diagnostic` that says in words
what was expected, points at the offending token and, where a keyword is close, suggests it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, closest
from aicxs.aicxs_dsl.escape import printable
from aicxs.aicxs_dsl.limits import (
    MAX_EXPR_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT,
    MAX_NESTING,
    MAX_STRING_CHARS,
    max_file_bytes,
    max_list_literal,
)
from aicxs.aicxs_dsl.reading import read_limited
from aicxs.aicxs_dsl.source import Source, Span
from aicxs.aicxs_dsl.tables import load_parser
from aicxs.aicxs_dsl.transformer import AstBuilder, BadLiteral
from aicxs.aicxs_dsl.words import DURATION_UNITS, UNIT_LENGTHS

__all__ = ["MAX_FILE_BYTES", "MAX_NESTING", "decode", "parse_file", "parse_text"]

_TERMINAL_WORDS = {
    "ID": "an id such as `P4.2`",
    "NAME": "a name such as `cx_leader`",
    "STRING": 'a quoted text such as `"..."`',
    "INT": "a whole number",
    "DECIMAL": "a decimal number",
    "VERSION": "a version such as `2024` or `2024.1`",
    "DATE": "a date such as `2025-06-30`",
    "$END": "the end of the file",
}

# Strings, comments and brackets: the only lexemes the nesting pre-check needs. Linear, and
# fast on long texts: each run of ordinary characters is one step of the regex engine.
_NESTING_LEXEME = re.compile(
    r'"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""'
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|#[^\n]*|[()\[\]{},]'
)
_OPENERS = {"(": ")", "[": "]", "{": "}"}


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    """The parser, built once per process from the tables shipped with the package."""
    return load_parser()


def parse_text(text: str, path: str = "<string>") -> ast.Module:
    """Parse `.aicx` text into a `Module`; raise `DiagnosticError` on a syntax error."""
    source = Source(path, text)
    if len(text) > (limit := max_file_bytes()):
        raise DiagnosticError([_too_large(path, f"text is longer than {limit:,} characters")])
    _check_nesting(source)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise DiagnosticError([_syntax_diagnostic(source, err)]) from None
    _check_tree(source, tree)
    return _transform(source, tree)


def parse_file(path: str | Path, name: str | None = None) -> ast.Module:
    """Read and parse a file; unreadable, oversized or non-UTF-8 files are diagnostics too.
    `name` is how messages show the file (default: the path as given)."""
    name = printable(name or os.fspath(path))  # a file name may hold anything but `/` and NUL
    limit = max_file_bytes()
    try:
        data = read_limited(path, limit, name)
    except OSError as err:
        reason = err.strerror or str(err)
        raise DiagnosticError(  # noqa: B904 - the OS error is the message; no chain for users
            [
                _file_diagnostic(
                    name,
                    f"cannot read `{name}`: {reason.lower()}",
                    "check the path and the file's permissions",
                )
            ]
        )
    if data is None:
        raise DiagnosticError([_too_large(name, f"file is larger than {limit:,} bytes")])
    text = decode(name, data)
    try:
        return parse_text(text, name)
    except DiagnosticError:
        if (wrong := _not_aicx(name)) is not None:
            raise DiagnosticError([wrong]) from None
        raise


def _not_aicx(name: str) -> Diagnostic | None:
    """A YAML or JSON file given where a standard or policy is read (`aicxs lint facts.yaml`):
    say what it is and which command reads it, not how it fails to parse as `.aicx`."""
    lowered = name.lower()
    if lowered.endswith((".tests.yaml", ".tests.yml")):
        what, help = "a policy test file", f"run its cases with `aicxs test {name}`"
    elif lowered.endswith((".yaml", ".yml", ".json", ".jsonl")):
        what = "a facts file (YAML or JSON)"
        help = (
            f"facts are read by `aicxs check POLICY --facts {name}` (and `aicxs assess POLICY "
            f"-o {name}` fills them in); give the `.aicx` file of a standard or policy here"
        )
    else:
        return None
    return Diagnostic(
        "aicxs_not_aicx",
        f"`{name}` is {what}, not a standard or policy written in the `.aicx` language",
        None,
        help,
        path=name,
    )


def _too_large(path: str, message: str) -> Diagnostic:
    return Diagnostic(
        "aicxs_limit_file_size",
        message,
        None,
        "check that this is the `.aicx` file you meant, or split it; the limit is set by "
        "the environment variable `AICXS_MAX_FILE_BYTES`",
        path=path,
    )


def decode(name: str, data: bytes) -> str:
    """UTF-8 text with a BOM dropped and CRLF (or CR) line ends made LF; anything else is an
    error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DiagnosticError(
            [
                _file_diagnostic(
                    name,
                    f"file is not UTF-8 text (byte {err.start} is 0x{data[err.start]:02x})",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    if "\x00" in text:
        raise DiagnosticError(
            [
                _file_diagnostic(
                    name, "file contains NUL bytes: it looks binary", "give the path of a text file"
                )
            ]
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _file_diagnostic(path: str, message: str, help: str) -> Diagnostic:
    return Diagnostic("aicxs_file_error", message, None, help, path=path)


def _transform(source: Source, tree: Tree[Token]) -> ast.Module:
    try:
        module = AstBuilder(source).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, RecursionError):  # unreachable below MAX_EXPR_DEPTH
            raise DiagnosticError([_too_deep(source, 0, "this file nests too deeply")]) from None
        if isinstance(err.orig_exc, BadLiteral):
            bad = err.orig_exc
            raise DiagnosticError(
                [
                    Diagnostic(
                        "aicxs_bad_literal",
                        bad.message,
                        bad.span,
                        bad.help,
                    )
                ]
            ) from None
        raise
    comments = tuple(_comments(source))
    return ast.Module(module.decls, span=module.span, comments=comments)


def _comments(source: Source) -> list[ast.Comment]:
    found = []
    for m in _NESTING_LEXEME.finditer(source.text):
        if m.group().startswith("#"):
            line, col = source.line_col(m.start())
            before = source.line_text(line)[: col - 1]
            found.append(ast.Comment(m.group().rstrip(), line, bool(before.strip())))
    return found


def _check_nesting(source: Source) -> None:
    """Brackets and blocks nest at most `MAX_NESTING` deep, no text is longer than
    `MAX_STRING_CHARS` and no `[...]` holds more than `max_list_literal()` items: checked in
    one linear scan, before the parser builds anything."""
    stack: list[tuple[str, int]] = []
    items = [0]  # commas directly inside each open bracket
    most = max_list_literal() - 1
    for m in _NESTING_LEXEME.finditer(source.text):
        ch = m.group()
        if ch == ",":
            items[-1] += 1
            if items[-1] > most and stack and stack[-1][0] == "[":
                raise DiagnosticError([_long_list(source, stack[-1][1], most + 1)])
        elif ch in _OPENERS:
            items.append(0)
            stack.append((ch, m.start()))
            if len(stack) > MAX_NESTING:
                raise DiagnosticError(
                    [
                        _too_deep(
                            source,
                            m.start(),
                            f"brackets and blocks nest deeper than {MAX_NESTING}",
                        )
                    ]
                )
        elif ch in ")]}" and stack and _OPENERS[stack[-1][0]] == ch:
            stack.pop()
            items.pop()
        elif ch.startswith('"') and len(ch) > MAX_STRING_CHARS:
            raise DiagnosticError(
                [
                    Diagnostic(
                        "aicxs_limit_string_length",
                        f"this text is {len(ch):,} characters long; the limit is "
                        f"{MAX_STRING_CHARS:,}",
                        Span(source, m.start(), m.start() + 1),
                        "shorten it, and keep long documents outside the policy (cite them "
                        "by name in `evidence`)",
                    )
                ]
            )


def _long_list(source: Source, offset: int, limit: int) -> Diagnostic:
    return Diagnostic(
        "aicxs_limit_list_literal",
        f"this list has more than {limit:,} items",
        Span(source, offset, offset + 1),
        "a long list belongs in the facts (a list fact the check reads), not in the check; "
        "the limit is set by the environment variable `AICXS_MAX_LIST_LITERAL`",
    )


def _too_deep(source: Source, offset: int, message: str) -> Diagnostic:
    return Diagnostic(
        "aicxs_too_deep",
        message,
        Span(source, offset, offset + 1),
        "split the expression into simpler checks or remove redundant brackets",
    )


def _check_tree(source: Source, tree: Tree[Token]) -> None:
    """Expressions nest at most `MAX_EXPR_DEPTH` deep (the transformer, the checker and the
    evaluator recurse on them), and number literals are exact: walked without recursion."""
    stack: list[tuple[Tree[Token] | Token, int, int]] = [(tree, 0, 0)]  # node, depth, where
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, Token):
            _check_number(source, node)
        elif depth > MAX_EXPR_DEPTH:  # shown at the start of the attribute's expression
            message = f"this expression nests deeper than {MAX_EXPR_DEPTH} operators"
            raise DiagnosticError([_too_deep(source, where, message)])
        else:
            for child in node.children:
                if isinstance(child, Tree) and (str(node.data).endswith("_attr") or not depth):
                    where = child.meta.start_pos if not child.meta.empty else where
                if child is not None:
                    stack.append((child, depth + 1, where))


def _check_number(source: Source, token: Token) -> None:
    if token.type not in ("INT", "DECIMAL") or len(token) < 16:
        return
    whole = token.split(".")[0].lstrip("0")
    if len(whole) > 16 or int(whole or "0") > MAX_INT:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_bad_literal",
                    f"`{token[:20]}...` is larger than the largest number a check can use",
                    Span(source, token.start_pos or 0, token.end_pos or 0),
                    f"write a number up to {MAX_INT:,}",
                )
            ]
        )


def _unclosed_block(source: Source, end: int) -> Span | None:
    """Where the `{` that lacks its `}` opens, if one is still open at offset `end`.

    Braces pair innermost first, so a `}` missing inside (`waive P2.4 {` on line 4) leaves the
    outermost block (`policy {` on line 1) open. The indentation tells them apart: a `}` that
    starts its line to the left of the line that opened its block closes an outer block, so
    the block it was paired with is the one never closed."""
    stack: list[int] = []
    misplaced: int | None = None  # the first opener paired with a `}` indented like an outer one
    for m in _NESTING_LEXEME.finditer(source.text, 0, end):
        if m.group() == "{":
            stack.append(m.start())
        elif m.group() == "}" and stack:
            opener = stack.pop()
            if misplaced is None and _dedented(source, opener, m.start()):
                misplaced = opener
    if not stack:
        return None
    at = misplaced if misplaced is not None else stack[-1]
    return Span(source, at, at + 1)


def _dedented(source: Source, opener: int, closer: int) -> bool:
    """Whether the `}` at `closer` starts its line left of the line of the `{` at `opener`."""
    line, col = source.line_col(closer)
    before = source.line_text(line)[: col - 1]
    if before.strip():
        return False  # `}` after other text on its line: its indentation says nothing
    opener_line = source.line_text(source.line_col(opener)[0])
    return len(before) < len(opener_line) - len(opener_line.lstrip())


def _syntax_diagnostic(source: Source, err: UnexpectedInput) -> Diagnostic:
    if isinstance(err, UnexpectedCharacters):
        return _bad_character(source, err)
    assert isinstance(err, UnexpectedToken)
    expected = _expected_words(err.accepts or err.expected)
    listed = _listing(expected)
    token = err.token
    if token.type == "$END":
        block = _unclosed_block(source, len(source.text))
        if block is not None:
            closer = _closer_line(source, block)
            if closer is None:
                help = "add the missing `}` (blocks close in the reverse order they open)"
                notes: tuple[str, ...] = ()
            else:
                help = f"add its `}}` before line {closer}, indented like this block's line"
                notes = (
                    f"the `}}` on line {closer} is indented like an outer block's: it closes "
                    "this one only because this one's own `}` is missing",
                )
            return Diagnostic(
                "aicxs_unclosed_block", "this `{` is never closed", block, help, notes=notes
            )
        end = len(source.text.rstrip())
        return Diagnostic(
            "aicxs_unexpected_end",
            "the file ends in the middle of a declaration",
            Span(source, end, end),
            f"expected {listed}",
        )
    span = Span(source, token.start_pos or 0, token.end_pos or 0)
    if str(token) in _DECLARATIONS and (block := _unclosed_block(source, span.start)):
        return Diagnostic(
            "aicxs_unclosed_block",
            f"`{token}` starts a declaration, but the block opened at "
            f"{block.line}:{block.col} is not closed",
            span,
            f"add the missing `}}` before this line to close the block at {block.line}:{block.col}",
            notes=(f"the block opens at {block.location()}",),
        )
    if token.type in ("NAME", "ID") and "`days`" in expected and _after_number(source, span.start):
        return _unknown_unit(token, span, [w.strip("`") for w in expected if w.endswith("s`")])
    help = f"expected {listed}"
    if (keyword := _keyword_before(source, span.start)) is not None:
        return Diagnostic(
            "aicxs_parse_error",
            f"`{keyword.text()}` is a keyword and cannot name a fact or a variable",
            keyword,
            f"rename the fact (e.g. `{keyword.text()}_total`), or write a complete "
            f"`{keyword.text()}` expression ({help})",
        )
    keywords = [t.strip("`") for t in expected if t.startswith("`") and t[1:2].isalpha()]
    if token.type == "NAME" and "equal" in keywords and "applies" in keywords:
        return _bad_relationship(token, span)
    if token.type in ("NAME", "ID") and (hint := closest(str(token), keywords)):
        help = f"did you mean `{hint}`? ({help})"
    what = "keyword" if _is_keyword(token) else _TERMINAL_WORDS.get(token.type, "symbol")
    what = what.split(" such as")[0].removeprefix("a ").removeprefix("an ")
    return Diagnostic("aicxs_parse_error", f"unexpected {what} `{_shorten(token)}`", span, help)


RELATIONSHIPS = ("equal", "subset of", "superset of", "intersects with", "related to")


def _bad_relationship(token: Token, span: Span) -> Diagnostic:
    """A word after a crosswalk reference that is no relationship (`"Art. 10" supports`)."""
    hint = closest(str(token), [r.split()[0] for r in RELATIONSHIPS])
    listed = ", ".join(f"`{r}`" for r in RELATIONSHIPS)
    return Diagnostic(
        "aicxs_parse_error",
        f"`{_shorten(str(token))}` is not a crosswalk relationship",
        span,
        (f"did you mean `{next(r for r in RELATIONSHIPS if r.startswith(hint))}`? " if hint else "")
        + f"a reference may be followed by one of {listed} (NIST IR 8477), then "
        '`applies to "..."`, or a `,` and the next reference',
    )


_NUMBER_BEFORE = re.compile(r"[0-9]\s+$")


def _after_number(source: Source, offset: int) -> bool:
    """Whether a whole number (and a space) stands just before `offset`: `2 fortnights`."""
    return _NUMBER_BEFORE.search(source.text, max(0, offset - 64), offset) is not None


def _unknown_unit(token: Token, span: Span, units: list[str]) -> Diagnostic:
    """A duration with a unit the language does not know (`2 fortnights`, `3 mins`)."""
    hint = closest(str(token).lower(), units)
    return Diagnostic(
        "aicxs_unknown_unit",
        f"unknown unit `{_shorten(token)}`: use {DURATION_UNITS}",
        span,
        (f"did you mean `{hint}`? " if hint else "")
        + f"a duration is a whole number and a unit, e.g. `90 days` or `6 months`; {UNIT_LENGTHS}",
    )


def _closer_line(source: Source, block: Span) -> int | None:
    """The line of the `}` paired with an inner block whose own `}` is missing, if any."""
    stack: list[int] = []
    for m in _NESTING_LEXEME.finditer(source.text):
        if m.group() == "{":
            stack.append(m.start())
        elif m.group() == "}" and stack and stack.pop() == block.start:
            return source.line_col(m.start())[0]
    return None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Keywords that start a declaration: met where they cannot stand, a `}` is probably missing.
_DECLARATIONS = frozenset(
    (
        *("standard", "level", "role", "stage", "parameter", "framework", "pillar", "key"),
        *("policy", "clause", "rule", "waive"),
    )
)
_WORD_BEFORE = re.compile(r"([a-z_][a-z0-9_]*)\s*$")


def _keyword_before(source: Source, offset: int) -> Span | None:
    """The keyword just before `offset`, when it stands where a name was probably meant
    (`check count >= 1`: the contextual lexer read the fact `count` as the keyword)."""
    m = _WORD_BEFORE.search(source.text, max(0, offset - 64), offset)
    if m is None or m.group(1) not in _expression_keywords():
        return None
    return Span(source, m.start(1), m.end(1))


@functools.lru_cache(maxsize=1)
def _expression_keywords() -> frozenset[str]:
    # Only keywords that read like nouns: after `and` or `in` a syntax error is more likely.
    return frozenset({"all", "any", "none", "count", "param", "true", "false", "where"})


def _expected_words(terminals: Iterable[str]) -> list[str]:
    """What the parser would have accepted, in words; closing brackets first (the likeliest
    fix), then keywords and kinds of token alphabetically."""
    words = sorted({_describe(t) for t in terminals})
    closing = [w for w in words if w in ("`}`", "`)`", "`]`")]
    return closing + [w for w in words if w not in closing]


def _listing(words: list[str], limit: int = 12) -> str:
    return ", ".join(words[:limit]) + (
        f", ... ({len(words) - limit} more)" if len(words) > limit else ""
    )


def _bad_character(source: Source, err: UnexpectedCharacters) -> Diagnostic:
    pos = err.pos_in_stream or 0
    span = Span(source, pos, pos + 1)
    ch = source.text[pos]
    if ch == '"':
        return Diagnostic(
            "aicxs_unterminated_string",
            "this text is never closed",
            span,
            'close it with `"` on the same line, or use `"""` for several lines',
        )
    shown = repr(ch)[1:-1] if not ch.isprintable() else ch
    expected = _expected_words(err.allowed or ())
    return Diagnostic(
        "aicxs_parse_error",
        f"unexpected character `{shown}`",
        span,
        "expected " + _listing(expected) if expected else "remove it",
    )


def _is_keyword(token: Token) -> bool:
    return token.type not in _TERMINAL_WORDS and str(token).isidentifier()


@functools.lru_cache(maxsize=256)
def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    try:
        pattern = _lark().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return f"`{pattern.value}`" if pattern.type == "str" else terminal.lower()
