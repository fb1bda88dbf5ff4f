"""Unknown items of a quantifier counted, not explained: compact explanations' bookkeeping.

In a half-answered estate most items of most checks are unknown. The interpreter explains the
first few of a quantifier; for the others the three-valued compiled test (`kleene_compiler.py`)
gives the truth and the facts each misses, and a `Tally` adds them to the quantifier's node:
a count (`untold`, or `unlisted` for items that decide nothing) and, by fact, the items that
miss it (`absent`), which `Node.missing_pairs` reads like the explained items' own.
"""

from __future__ import annotations

from typing import Any

from aicxs.engine.bindings import Binding
from aicxs.engine.context import Context
from aicxs.engine.kleene_compiler import Item3Fn
from aicxs.engine.values import Node


def unknown_item(fn: Item3Fn, binding: Binding, ctx: Context) -> tuple[Any, list[Any]] | None:
    """The item's truth by the three-valued compiled test (None: out of range), with what it
    noted of each fact it misses; None where that test cannot decide."""
    noted: list[tuple[str, str]] = []
    try:
        truth = fn(binding.value, ctx.facts.data, ctx.as_of, ctx.values, noted)
    except Exception:  # an error: the interpreter explains it
        return None
    return truth, noted


class Tally:
    """The items of one quantifier that are counted, not recorded: what unknown ones miss
    goes to the node's `absent` (fact → items), each fact's name worked out once."""

    def __init__(self, node: Node, var: str, ctx: Context) -> None:
        self.node, self.var, self.ctx = node, var, ctx
        # (tag, rest) noted → the list of items of its fact in `absent`, and the item to add
        # (None: the current item's path)
        self.facts: dict[tuple[str, str], tuple[list[str], str | None]] = {}

    def count(self, unknown: bool, noted: list[tuple[str, str]], binding: Binding) -> None:
        node = self.node
        if not unknown:
            node.unlisted += 1  # what a decided item misses does not matter
            return
        node.untold += 1
        item = ""
        for key in noted:
            items, fixed = self.facts.get(key) or self._fact(key)
            if fixed is None and not item:
                item = intern(self.ctx, binding.shown)
            items.append(item if fixed is None else fixed)

    def _fact(self, key: tuple[str, str]) -> tuple[list[str], str | None]:
        """The items of the fact noted as `key`, and its item unless it is the current's."""
        tag, rest = key
        fixed: str | None
        if not tag:
            fact, fixed = rest, ""
        elif tag == self.var:
            listed = self.node.children[0].reads[0]
            fact, fixed = (listed.fact or listed.path) + "[]" + rest, None
        else:
            bound = self.ctx.bindings[tag]  # bound around this quantifier, fixed in its loop
            fact, fixed = bound.pattern + rest, intern(self.ctx, bound.shown)
        if self.node.absent is None:
            self.node.absent = {}
        items = self.node.absent.setdefault(intern(self.ctx, fact), [])
        self.facts[key] = (items, fixed)
        return items, fixed


def intern(ctx: Context, text: str) -> str:
    return ctx.interned.setdefault(text, text)
