"""Explanation trees → indented text, and → JSON-ready data.

`node_lines` renders the `Node` tree that evaluation recorded: each condition with its truth,
the facts it read with their values and where they are in the facts file, what would make a
false comparison pass, and for quantifiers the items that decided it, named by their key.
Mode `fails` follows only what did not pass; `full` shows everything.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.facts import FactsDocument
from aicxs.engine.missing import SHOWN_ITEMS, facts_phrase, from_sets
from aicxs.engine.types import Duration
from aicxs.engine.values import UNKNOWN, EvalError, Item, Node, Read, render_value, source_text

LABEL = {"true": "PASS", "false": "FAIL", "unknown": "UNKNOWN", "error": "ERROR"}
MAX_ITEMS_SHOWN = 10
WHOLE = 0  # as a width: every condition whole, wrapped at WRAP columns (`aicxs explain`)
WRAP = 100
Style = Callable[[str, str], str]  # (text, truth) → text, e.g. coloured


def plain(text: str, truth: str) -> str:
    return text


def is_coloured(style: Style) -> bool:
    """Whether `style` writes colour codes (which the text's escaping must then keep)."""
    return style("", "false") != ""


def node_lines(
    node: Node,
    facts: FactsDocument,
    mode: str,
    width: int = 80,
    style: Style = plain,
    only: str | None = None,
) -> list[str]:
    """The explanation of one check, as lines prefixed with `| `. `only`: of the items of
    quantifiers, show only the one with this name (`aicxs explain --system`)."""
    return list(_lines(node, facts, mode, "| ", width, style, only))


def _lines(
    node: Node,
    facts: FactsDocument,
    mode: str,
    prefix: str,
    width: int,
    style: Style,
    only: str | None = None,
) -> Iterator[str]:
    truth = node.truth
    yield from _condition(node, prefix, width, style)
    detail = prefix + "        "
    if isinstance(node.value, EvalError):
        yield f"{detail}error: {node.value.message}"
    match node.expr:
        case ast.And() | ast.Or() | ast.Implies() | ast.Not():
            for child in operands(node):
                if mode == "full" or child.truth != "true" or truth == "true":
                    if mode == "full" or child.truth != "true":
                        yield from _lines(child, facts, mode, prefix + "  ", width, style, only)
                    else:
                        yield from _lines_brief(child, prefix + "  ", width, style)
        case ast.Quantifier() | ast.Count() if node.children:  # not compactly reported
            yield from _quantifier_lines(node, facts, mode, prefix, width, style, only)
        case _:
            for child in node.children:
                if isinstance(child.expr, ast.Call | ast.Arith) and child.truth == "value":
                    shown = f"{source_text(child.expr)} = {render_value(child.value)}"
                    yield f"{detail}{_clip(shown, width - len(detail))}"
            for read in _all_reads(node):
                yield f"{detail}{_read_line(read, facts, width - len(detail))}"
            if node.hint:
                yield f"{detail}{node.hint}"


def operands(node: Node) -> list[Node]:
    """The conditions of a node; `a and b and c` as three siblings, not nested pairs."""
    kind = type(node.expr)
    if kind not in (ast.And, ast.Or):
        return list(node.children)
    out: list[Node] = []
    for child in node.children:
        out.extend(operands(child) if type(child.expr) is kind and child.children else [child])
    return out


def _lines_brief(node: Node, prefix: str, width: int, style: Style) -> Iterator[str]:
    yield from _condition(node, prefix, width, style)


def _condition(node: Node, prefix: str, width: int, style: Style) -> Iterator[str]:
    """`FAIL    s.escalation.available and ...`: clipped to `width`, or with `WHOLE` the
    whole condition, wrapped under itself."""
    label = style(f"{LABEL.get(node.truth, 'VALUE'):<8}", node.truth)
    text = source_text(node.expr)
    if width != WHOLE:
        yield f"{prefix}{label}{_clip(text, max(20, width - len(prefix) - 8))}"
        return
    room = max(40, WRAP - len(prefix) - 10)
    first, *rest = textwrap.wrap(text, room, break_long_words=False, break_on_hyphens=False) or [""]
    yield f"{prefix}{label}{first}"
    for line in rest:
        yield f"{prefix}          {line}"


def _quantifier_lines(
    node: Node,
    facts: FactsDocument,
    mode: str,
    prefix: str,
    width: int,
    style: Style,
    only: str | None,
) -> Iterator[str]:
    detail = prefix + "        "
    listed = node.children[0]
    if listed.value is UNKNOWN:
        yield f"{detail}{listed.reads[0].path}: missing"
        return
    items = node.items or []
    yield f"{detail}{quantifier_summary(node)}"
    if only is not None:
        shown = [i for i in items if i.name == only]
    else:
        shown = [i for i in items if mode == "full" or _decides(node, i)]
    for item in shown[: MAX_ITEMS_SHOWN if mode != "full" else None]:
        yield f"{prefix}  {item.name}"
        inner = prefix + "  | "
        if item.where is not None and item.where.truth != "true":
            yield from _lines(item.where, facts, mode, inner, width, style, only)
        if item.body is not None:
            yield from _lines(item.body, facts, mode, inner, width, style, only)
    hidden = max(0, len(shown) - MAX_ITEMS_SHOWN) + node.untold if mode != "full" else 0
    hidden = 0 if only is not None else hidden
    if hidden:
        yield f"{prefix}  ... and {hidden:,} more (--explain full)"


def _decides(node: Node, item: Item) -> bool:
    """Whether an item is worth showing in compact mode: a counterexample or a witness."""
    expr = node.expr
    if isinstance(expr, ast.Count):
        return item.truth not in (True, False)
    if isinstance(expr, ast.Quantifier) and expr.kind == "all":
        return item.truth is not True
    if node.value is True and isinstance(expr, ast.Quantifier) and expr.kind == "any":
        return item.truth is True  # witnesses
    if isinstance(expr, ast.Quantifier) and expr.kind == "none":
        return item.truth is not False
    return item.truth is not False


def quantifier_summary(node: Node) -> str:
    """`1 of 3 systems fail: voice-ivr` (names the items that decided it)."""
    expr = node.expr
    items = node.items or []
    source = ".".join(expr.source.parts)  # type: ignore[union-attr]
    if expr.where is not None:  # type: ignore[union-attr]
        source += f" (where {source_text(expr.where)})"  # type: ignore[union-attr]
    considered = [i for i in items if i.where is None or i.where.value is not False]
    n = len(considered) + node.unlisted + node.untold
    if n == 0 and not isinstance(node.value, EvalError) and node.value is not UNKNOWN:
        return f"vacuous: no item of {source} is in range"
    if isinstance(expr, ast.Count):
        unknown = [i.name for i in items if i.truth not in (True, False)]
        text = (
            f"{node.value if isinstance(node.value, int) else '?'} of {len(items)} {source} match"
        )
        return text + (f"; undecided: {_names(unknown)}" if unknown else "")
    assert isinstance(expr, ast.Quantifier)
    unknown = [i.name for i in considered if i.truth is UNKNOWN]
    errors = [i.name for i in considered if isinstance(i.truth, EvalError)]
    if expr.kind == "all":
        bad = [i.name for i in considered if i.truth is False]
        text = f"{len(bad)} of {n} {source} fail" + (f": {_names(bad)}" if bad else "")
    elif expr.kind == "any":
        good = [i.name for i in considered if i.truth is True]
        text = f"{len(good)} of {n} {source} satisfy it" + (f": {_names(good)}" if good else "")
    else:
        bad = [i.name for i in considered if i.truth is True]
        text = f"{len(bad)} of {n} {source} match, none may" + (f": {_names(bad)}" if bad else "")
    if unknown or node.untold:
        found: dict[str, set[str]] = {}
        node.unknown_items_missing(found, {})
        lacking = facts_phrase(from_sets(found).groups, ".".join(expr.source.parts))
        total = len(unknown) + node.untold
        text += f"; unknown for {total:,}: {_names(unknown, total=total)}"
        text += f"; missing {lacking}" if lacking else ""
    if errors:
        text += f"; error for {len(errors)}: {_names(errors)}"
    return text


def _names(names: list[str], limit: int = 5, total: int | None = None) -> str:
    """The first `limit` names, and how many more there are (of `total`, if more than named)."""
    total = len(names) if total is None else total
    shown = ", ".join(names[:limit])
    more = total - min(limit, len(names))
    return shown + (f", ... ({more:,} more)" if more > 0 else "")


def _all_reads(node: Node) -> list[Read]:
    found = list(node.reads)
    for child in node.children:
        if not isinstance(child.expr, ast.Quantifier):
            found.extend(_all_reads(child))
    seen: set[str] = set()
    unique = []
    for r in found:
        if r.path not in seen:
            seen.add(r.path)
            unique.append(r)
    return unique


def _read_line(read: Read, facts: FactsDocument, room: int) -> str:
    value = "missing" if read.value is UNKNOWN else render_value(read.value)
    where = facts.location(read.json_path) if read.value is not UNKNOWN else None
    text = f"{read.path}: {value}"
    return (
        f"{text}   {where}"
        if where and len(text) + len(where) + 3 <= room
        else (f"{text}" if not where else f"{text}   {where}")
    )


def _clip(text: str, room: int) -> str:
    return text if len(text) <= room or room <= 0 else text[: room - 3] + "..."


# ---- JSON -----------------------------------------------------------------------------------


def node_json(
    node: Node, facts: FactsDocument, mode: str, only: str | None = None
) -> dict[str, Any]:
    """A node as JSON. In `fails` mode the conditions of an `and` that held (of an `or`: that
    did not hold) are listed by their text under `held` (`not_held`), not explained. `only`:
    of the items of quantifiers, keep only the one with this name."""
    expr = node.expr
    truth = node.truth
    line, col = _position(expr.span)
    out: dict[str, Any] = {
        "expr": source_text(expr),
        "truth": truth,
        "value": json_value(node.value),
        "source": {"line": line, "column": col},
    }
    if isinstance(expr, ast.And | ast.Or | ast.Implies | ast.Not):
        conditions = operands(node)
        quiet = {ast.And: "true", ast.Or: "false"}.get(type(expr))
        if mode == "full" or quiet is None or truth == quiet:
            out["conditions"] = [node_json(c, facts, mode, only) for c in conditions]
        else:
            out["conditions"] = [
                node_json(c, facts, mode, only) for c in conditions if c.truth != quiet
            ]
            if others := [source_text(c.expr) for c in conditions if c.truth == quiet]:
                out["held" if quiet == "true" else "not_held"] = others
    elif isinstance(expr, ast.Quantifier | ast.Count):
        if node.children:
            out["summary"] = (
                quantifier_summary(node)
                if node.items is not None and isinstance(node.children[0].value, list)
                else f"{node.children[0].reads[0].path}: missing"
            )
            items = [i for i in node.items or [] if mode == "full" or _decides(node, i)]
            if only is not None:
                items = [i for i in node.items or [] if i.name == only]
            elif node.untold:
                out["items_omitted"] = node.untold
            out["items"] = [_item_json(i, facts, mode, only) for i in items]
            if out["summary"].startswith("vacuous:"):
                out["vacuous"] = True
    elif reads := _all_reads(node):
        out["facts"] = [_read_json(r, facts) for r in reads]
    if node.hint:
        out["hint"] = node.hint
    if isinstance(node.value, EvalError):
        out["error"] = node.value.message
    if truth == "unknown":
        missing = node.missing_facts()
        out["missing_facts"] = (
            list(missing) if mode == "full" else missing.bounded_paths(SHOWN_ITEMS)
        )
    return out


@functools.lru_cache(maxsize=8192)
def _position(span: Span) -> tuple[int, int]:
    return span.source.line_col(span.start)


def _item_json(item: Item, facts: FactsDocument, mode: str, only: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"item": item.name, "truth": _truth_word(item.truth)}
    if item.where is not None and item.where.truth != "true":
        out["where"] = node_json(item.where, facts, mode, only)
    if item.body is not None:
        out["check"] = node_json(item.body, facts, mode, only)
    return out


def _truth_word(value: Any) -> str:
    return (
        {True: "true", False: "false"}.get(value, "unknown")
        if not isinstance(value, EvalError)
        else "error"
    )


def _read_json(read: Read, facts: FactsDocument) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": read.path,
        "json_path": read.json_path,
        "value": json_value(read.value),
    }
    if read.value is UNKNOWN:
        out["missing"] = True
    else:
        pos = facts.position(read.json_path)
        if pos:
            out["location"] = {"file": facts.path, "line": pos[0], "column": pos[1]}
    return out


def json_value(value: Any) -> Any:
    if value is UNKNOWN:
        return None
    if isinstance(value, EvalError):
        return None
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
