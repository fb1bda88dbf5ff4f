"""What evaluating a check needs besides the check: the facts, the policy's parameters, the
evaluation date, the vocabulary and scope, how much to explain, the compiled fast paths, and
the variables bound while quantifiers run. One `Context` serves every check of one report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.bindings import Binding
from aicxs.engine.compiler import ConditionFn, ItemFn
from aicxs.engine.facts import FactsDocument
from aicxs.engine.kleene_compiler import Item3Fn
from aicxs.engine.types import Type as FactType


@dataclass
class Context:
    facts: FactsDocument
    params: Mapping[str, Any]
    as_of: dt.date
    vocabulary: FactType
    scope: tuple[str, ast.Expr, ast.Path] | None = None  # the policy's (var, filter, list)
    detail: str = "fails"  # `full`: every item of a quantifier explained; `fails`: deciding ones
    fast_items: Mapping[int, ItemFn | None] = field(default_factory=dict)  # id(Quantifier) → fn
    fast_conditions: Mapping[int, ConditionFn] = field(default_factory=dict)  # id(operand) → fn
    fast_unknowns: Mapping[int, Item3Fn | None] = field(default_factory=dict)  # id(Quantifier)
    focus: str | None = None  # an item (by name) explained in full wherever it is quantified
    questions: Mapping[str, str] = field(default_factory=dict)  # fact → the vocabulary's question
    interned: dict[str, str] = field(default_factory=dict)  # one copy of each item's path
    values: dict[str, Any] = field(default_factory=dict)  # variable → item, for fast functions
    bindings: dict[str, Binding] = field(default_factory=dict)
    _scope_cache: dict[int, Any] = field(default_factory=dict)
