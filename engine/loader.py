"""Loading: a standard or a policy file → a checked, compiled object ready to evaluate.

A `CompiledPolicy` is built once (parse, check against the standard, derive parameters, the
facts vocabulary and its JSON Schema, the dependency graph) and is immutable afterwards, so one
instance may evaluate many facts documents, from many threads.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from aicxs import spec
from aicxs.aicxs_dsl import ast, parse_file
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, Severity, has_errors
from aicxs.aicxs_dsl.gcpause import paused_gc
from aicxs.aicxs_dsl.source import Source
from aicxs.engine.assessment import evaluate
from aicxs.engine.builder import build_policy, build_standard
from aicxs.engine.checker import check_standard, constant, mandatory_clauses
from aicxs.engine.compiler import (
    CheckFn,
    ConditionFn,
    ItemFn,
    compile_check,
    compile_conditions,
    compile_item,
    quantifiers,
)
from aicxs.engine.facts import (
    FactsDocument,
    Validator,
    facts_from_data,
    load_facts,
    make_validator,
    parse_facts,
)
from aicxs.engine.graph import build_graph, evaluation_order
from aicxs.engine.model import Policy, Rule, Standard
from aicxs.engine.outcome import Report
from aicxs.engine.policycheck import check_policy
from aicxs.engine.schema import facts_schema
from aicxs.engine.types import Type
from aicxs.engine.vocabulary import build_vocabulary


@dataclass(frozen=True)
class LoadedStandard:
    standard: Standard
    graph: nx.DiGraph
    warnings: list[Diagnostic]


@dataclass
class CompiledPolicy:
    """A policy checked against its standard, ready to evaluate facts (read-only once built)."""

    standard: Standard
    policy: Policy
    graph: nx.DiGraph
    params: dict[str, Any]  # every parameter's value: the policy's setting or the default
    vocabulary: Type  # the standard's facts plus the policy's own
    schema: dict[str, Any]
    validator: Validator
    warnings: list[Diagnostic] = field(default_factory=list)
    feeds: dict[str, list[str]] = field(default_factory=dict)  # clause → key requirements
    mandatory: dict[str, str] = field(default_factory=dict)  # clause → mandatory requirement
    rules_for: dict[str, list[Rule]] = field(default_factory=dict)  # clause → refining rules
    order: list[str] = field(default_factory=list)  # clauses, prerequisites first
    scope: tuple[str, ast.Expr, ast.Path] | None = None  # the policy's (var, filter, list)
    fast_checks: dict[int, CheckFn | None] = field(default_factory=dict)  # id(check) → fn
    fast_items: dict[int, ItemFn | None] = field(default_factory=dict)  # id(quantifier) → fn
    fast_conditions: dict[int, ConditionFn] = field(default_factory=dict)  # id(operand) → fn

    def __post_init__(self) -> None:
        """Everything that does not depend on the facts is worked out once, here."""
        policy = self.policy
        self.order = evaluation_order(self.graph, self.standard.clauses)
        if policy.scope is not None:
            self.scope = (policy.scope.var, policy.scope.where, policy.scope.source)
        checks = [c.check for c in self.standard.clauses.values()]
        checks += [kr.check for kr in self.standard.key_requirements.values()]
        checks += [r.check for r in policy.rules]
        for check in checks:
            if check is None:
                continue
            self.fast_checks[id(check)] = compile_check(check, self.params, self.scope)
            for q in quantifiers(check):
                self.fast_items[id(q)] = compile_item(q, self.params, self.scope)
            self.fast_conditions.update(compile_conditions(check, self.params, self.scope))

    def load_facts(self, path: str | Path) -> FactsDocument:
        with paused_gc():
            return load_facts(path, self.validator, self.vocabulary)

    def parse_facts(self, text: str, name: str = "<facts>.yaml") -> FactsDocument:
        """A facts document from text: JSON if `name` ends in `.json`, else YAML."""
        with paused_gc():
            return parse_facts(text, name, self.validator, self.vocabulary)

    def facts_from_data(self, data: Any, name: str = "<facts>") -> FactsDocument:
        """A facts document from already-parsed data (e.g. a JSON request body)."""
        doc = FactsDocument(name, {})
        with paused_gc():
            return facts_from_data(data, doc, Source(name, ""), self.validator, self.vocabulary)

    def evaluate(
        self, facts: FactsDocument, as_of: dt.date | None = None, explain: str = "fails"
    ) -> Report:
        """Evaluate one facts document; `as_of` (default today) dates every date rule.
        `explain`: `fails` (default), `full`, or `none` for decisions only (fastest)."""
        with paused_gc():
            return evaluate(self, facts, as_of or dt.date.today(), explain)


def load_standard(path: str | Path | None = None) -> LoadedStandard:
    """Parse and check a standard file (default: the bundled AICXS 2024)."""
    target = Path(path) if path is not None else spec.bundled_path("AICXS", 2024)
    assert target is not None, "the bundled standard is missing from the package"
    shown = spec.display_name(target)
    try:
        stat = target.stat()
        key = (str(target.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (str(target), 0, 0)
    return _load_standard_cached(*key, shown=shown)


@functools.lru_cache(maxsize=16)
def _load_standard_cached(resolved: str, mtime: int, size: int, shown: str) -> LoadedStandard:
    return standard_from_module(parse_file(resolved if size else shown, shown))


def standard_from_module(module: ast.Module) -> LoadedStandard:
    with paused_gc():  # the model and graph are acyclic; see aicxs_dsl/gcpause.py
        return _standard_from_module(module)


def _standard_from_module(module: ast.Module) -> LoadedStandard:
    out: list[Diagnostic] = []
    std = build_standard(module, out)
    if std is None:
        raise DiagnosticError(out)
    build_vocabulary(((d, "standard") for d in std.facts), std.vocabulary, out)
    graph = build_graph(std)
    out.extend(check_standard(std, graph))
    if has_errors(out):
        raise DiagnosticError(out)
    return LoadedStandard(std, graph, [d for d in out if d.severity is Severity.WARNING])


def load_policy(path: str | Path, spec_path: str | Path | None = None) -> CompiledPolicy:
    """Parse a policy, load the standard it implements (bundled, or `spec_path`), check the
    tailoring against it and compile it."""
    return compile_policy(parse_file(str(path)), spec_path)


def compile_policy(module: ast.Module, spec_path: str | Path | None = None) -> CompiledPolicy:
    out: list[Diagnostic] = []
    policy = build_policy(module, out)
    if policy is None:
        raise DiagnosticError(out)
    loaded = _standard_for(policy, spec_path, out)
    if loaded is None:
        raise DiagnosticError(out)
    std = loaded.standard
    vocabulary = Type("record")
    build_vocabulary(
        [*((d, "standard") for d in std.facts), *((d, policy.name) for d in policy.facts)],
        vocabulary,
        out,
    )
    std_for_policy = copy.copy(std)
    std_for_policy.vocabulary = vocabulary
    out.extend(check_policy(policy, std_for_policy))
    if has_errors(out):
        raise DiagnosticError(out)
    schema = facts_schema(vocabulary, f"Facts for policy {policy.name} ({std.name})")
    return CompiledPolicy(
        std,
        policy,
        build_graph(std, policy),
        _params(std, policy),
        vocabulary,
        schema,
        make_validator(schema),
        loaded.warnings,
        _feeds(std),
        mandatory_clauses(std),
        _rules_for(policy),
    )


def _standard_for(
    policy: Policy, spec_path: str | Path | None, out: list[Diagnostic]
) -> LoadedStandard | None:
    if spec_path is None:
        spec_path = spec.bundled_path(policy.standard, policy.version)
        if spec_path is None:
            shipped = ", ".join(
                f"`{p.stem.upper().replace('-', ' ')}`"
                for p in spec.bundled()
                if "draft" not in p.stem  # drafts are loaded only when named with `--spec`
            )
            out.append(
                Diagnostic(
                    "aicxs_version_mismatch",
                    f"policy `{policy.name}` implements `{policy.standard} {policy.version}`, "
                    "which is not a bundled standard",
                    policy.span,
                    f"bundled: {shipped}; write one of these, or give the standard with `--spec`",
                )
            )
            return None
    return load_standard(spec_path)


def _params(std: Standard, policy: Policy) -> dict[str, Any]:
    scratch: list[Diagnostic] = []
    values = {n: constant(p.default, p.type, scratch) for n, p in std.parameters.items()}
    for name, setting in policy.settings.items():
        values[name] = constant(setting.expr, std.parameters[name].type, scratch)
    return values


def _feeds(std: Standard) -> dict[str, list[str]]:
    feeds: dict[str, list[str]] = {}
    for kr in std.key_requirements.values():
        for clause, _ in kr.covers:
            feeds.setdefault(clause, []).append(kr.id)
    return feeds


def _rules_for(policy: Policy) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for rule in policy.rules:
        out.setdefault(rule.refines, []).append(rule)
    return out


def is_policy_file(path: str | Path) -> bool:
    """Whether a file holds a policy (rather than a standard), judged by its first keyword."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            for line in f:
                word = line.split("#", 1)[0].strip().split(" ", 1)[0]
                if word:
                    return word == "policy"
    except OSError:
        return False
    return False


def environ_as_of() -> dt.date | None:
    """`AICXS_AS_OF`, when set, fixes "today" (for reproducible runs and tests)."""
    value = os.environ.get("AICXS_AS_OF")
    return dt.date.fromisoformat(value) if value else None
