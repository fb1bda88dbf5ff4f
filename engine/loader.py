"""Loading: a standard or a policy file → a checked, compiled object ready to evaluate.

A `CompiledPolicy` is built once (parse, check against the standard, derive parameters, the
facts vocabulary and its JSON Schema, the evaluation plan) and is immutable afterwards, so one
instance may evaluate many facts documents, from many threads. It pickles as its source texts
and is compiled again where it is unpickled (compiled checks are code objects of this process).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aicxs import spec
from aicxs.aicxs_dsl import ast, parse_file, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, Severity, has_errors
from aicxs.aicxs_dsl.reading import open_regular
from aicxs.aicxs_dsl.source import Source
from aicxs.engine.assessment import evaluate
from aicxs.engine.builder import build_policy, build_standard
from aicxs.engine.checker import check_standard, constant, mandatory_clauses
from aicxs.engine.facts import (
    FactsDocument,
    Validator,
    facts_from_data,
    load_facts,
    make_validator,
    parse_facts,
)
from aicxs.engine.facts.plausible import check_dates_not_after
from aicxs.engine.graph import build_graph, evaluation_order
from aicxs.engine.model import Policy, Standard
from aicxs.engine.outcome import EXPLAIN_MODES, Explain, Report
from aicxs.engine.plan import Plan, build_plan
from aicxs.engine.policycheck import check_policy
from aicxs.engine.schema import facts_schema
from aicxs.engine.scopecheck import check_least_scope
from aicxs.engine.types import Type
from aicxs.engine.vocabulary import build_vocabulary

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_STANDARD = "AICXS-2024"


@dataclass(frozen=True, eq=False)
class LoadedStandard:
    standard: Standard
    warnings: tuple[Diagnostic, ...]

    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """The requirement dependency graph (built on first use: only graph tools need it)."""
        return build_graph(self.standard)

    def __reduce__(self) -> tuple[Any, ...]:
        source = self.standard.span.source
        return (_standard_from_text, (source.text, source.path))


@dataclass(frozen=True, eq=False)
class CompiledPolicy:
    """A policy checked against its standard, ready to evaluate facts (read-only once built)."""

    standard: Standard
    policy: Policy
    plan: Plan
    schema: Mapping[str, Any]  # the facts JSON Schema (2020-12) of this policy
    validator: Validator = field(repr=False)
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def vocabulary(self) -> Type:
        return self.plan.vocabulary

    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """The requirement dependency graph with the policy's rules (built on first use)."""
        return build_graph(self.standard, self.policy)

    def load_facts(self, path: str | os.PathLike[str]) -> FactsDocument:
        return load_facts(os.fspath(path), self.validator, self.vocabulary)

    def parse_facts(self, text: str, name: str = "<facts>.yaml") -> FactsDocument:
        """A facts document from text: JSON if `name` ends in `.json`, else YAML."""
        return parse_facts(text, name, self.validator, self.vocabulary)

    def facts_from_data(self, data: Any, name: str = "<facts>") -> FactsDocument:
        """A facts document from already-parsed data (e.g. a JSON request body)."""
        doc = FactsDocument(name, {})
        return facts_from_data(data, doc, Source(name, ""), self.validator, self.vocabulary)

    def evaluate(
        self,
        facts: FactsDocument,
        as_of: dt.date | str | None = None,
        explain: Explain = "fails",
        system: str | None = None,
    ) -> Report:
        """Evaluate one facts document; `as_of` (default today) dates every date rule.
        `explain`: `fails` (default), `full`, or `none` for decisions only (fastest). `system`:
        the key of an item (e.g. a system's id) to explain in full wherever a check
        quantifies over it, whatever `explain` says (compact explanations name only the first
        few unknown items)."""
        if not isinstance(facts, FactsDocument):
            raise TypeError(f"facts must be a FactsDocument, not {type(facts).__name__}")
        date = as_of_date(as_of)
        check_dates_not_after(facts, date)  # a date from the future proves nothing
        return evaluate(self.plan, facts, date, explain_mode(explain), system)

    def __reduce__(self) -> tuple[Any, ...]:
        policy, std = self.policy.span.source, self.standard.span.source
        return (_policy_from_text, (policy.text, policy.path, std.text, std.path))


def as_of_date(value: object) -> dt.date:
    """The evaluation date from a `date`, an ISO `YYYY-MM-DD` text or None (today, or
    `AICXS_AS_OF`); anything else is a `ValueError` naming the argument."""
    if value is None:
        return environ_as_of() or dt.date.today()
    if isinstance(value, dt.datetime):
        raise ValueError("as_of must be a date, not a datetime: pass `value.date()`")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"as_of must be a date written YYYY-MM-DD, not {value!r}") from None
    raise ValueError(f"as_of must be a date or a YYYY-MM-DD string, not {type(value).__name__}")


def explain_mode(value: object) -> Explain:
    for mode in EXPLAIN_MODES:
        if value == mode:
            return mode
    raise ValueError(f"explain must be one of {', '.join(map(repr, EXPLAIN_MODES))}, not {value!r}")


def resolve_standard(source: str | os.PathLike[str] | None) -> Path:
    """The file of a standard given as a path, a bundled name (`AICXS-2024`) or None (the
    bundled AICXS 2024). A path that exists wins over a name."""
    if source is None:
        source = DEFAULT_STANDARD
    path = Path(source)
    if not path.exists():
        found = spec.by_name(os.fspath(source))
        if found is not None:
            return found
    return path


def load_standard(source: str | os.PathLike[str] | None = None) -> LoadedStandard:
    """Parse and check a standard, given by path or bundled name (default: AICXS 2024)."""
    target = resolve_standard(source)
    if not target.exists():
        names = ", ".join(f"`{n}`" for n in spec.bundled_names())
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_file_error",
                    f"cannot read `{target}`: no such file or directory",
                    None,
                    f"give the path of a standard file, or a bundled one by name: {names}",
                    path=str(target),
                )
            ]
        )
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


@functools.lru_cache(maxsize=16)
def _standard_from_text(text: str, name: str) -> LoadedStandard:
    return standard_from_module(parse_text(text, name))


def standard_from_module(module: ast.Module) -> LoadedStandard:
    out: list[Diagnostic] = []
    std = build_standard(module, out)
    if std is None:
        raise DiagnosticError(out)
    build_vocabulary(((d, "standard") for d in std.facts), std.vocabulary, out)
    out.extend(check_standard(std, out))
    if has_errors(out):
        raise DiagnosticError(out)
    return LoadedStandard(std, tuple(d for d in out if d.severity is Severity.WARNING))


def load_policy(
    path: str | os.PathLike[str], spec_path: str | os.PathLike[str] | None = None
) -> CompiledPolicy:
    """Parse a policy, load the standard it implements (bundled, or `spec_path`: a path or a
    bundled name), check the tailoring against it and compile it."""
    return compile_policy(parse_file(os.fspath(path)), spec_path)


def _policy_from_text(text: str, name: str, std_text: str, std_name: str) -> CompiledPolicy:
    return _compile(parse_text(text, name), _standard_from_text(std_text, std_name))


def compile_policy(
    module: ast.Module, spec_path: str | os.PathLike[str] | LoadedStandard | None = None
) -> CompiledPolicy:
    out: list[Diagnostic] = []
    policy = build_policy(module, out)
    if policy is None or has_errors(out):  # e.g. a waiver without `expires`
        raise DiagnosticError(out)
    loaded = _standard_for(policy, spec_path, out)
    if loaded is None:
        raise DiagnosticError(out)
    return _compile(module, loaded, policy, out)


def _compile(
    module: ast.Module,
    loaded: LoadedStandard,
    policy: Policy | None = None,
    out: list[Diagnostic] | None = None,
) -> CompiledPolicy:
    out = [] if out is None else out
    policy = policy or build_policy(module, out)
    if policy is None:
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
    params = _params(std, policy)
    today = environ_as_of() or dt.date.today()
    if diagnostics := check_least_scope(policy, std_for_policy, params, today):
        raise DiagnosticError(diagnostics)
    schema = facts_schema(vocabulary, f"Facts for policy {policy.name} ({std.name})")
    order = evaluation_order(std, std.clauses)
    plan = build_plan(std, policy, params, vocabulary, order, mandatory_clauses(std))
    return CompiledPolicy(std, policy, plan, schema, make_validator(schema), loaded.warnings)


def _standard_for(
    policy: Policy,
    spec_path: str | os.PathLike[str] | LoadedStandard | None,
    out: list[Diagnostic],
) -> LoadedStandard | None:
    if isinstance(spec_path, LoadedStandard):
        return spec_path
    if spec_path is None:
        spec_path = spec.bundled_path(policy.standard, policy.implements.split()[-1])
        if spec_path is None:
            shipped = ", ".join(
                f"`{p.stem.upper().replace('-', ' ')}`"
                for p in spec.bundled()
                if "draft" not in p.stem  # drafts are loaded only when named with `--spec`
            )
            out.append(
                Diagnostic(
                    "aicxs_version_mismatch",
                    f"policy `{policy.name}` implements `{policy.implements}`, "
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


def is_policy_file(path: str | os.PathLike[str]) -> bool:
    """Whether a file holds a policy (rather than a standard), judged by its first keyword."""
    try:
        with open_regular(path) as raw:
            f = io.TextIOWrapper(io.BufferedReader(raw), "utf-8-sig", "replace")
            in_comment = False
            for _ in range(4096):  # 16 MB of comments and blank lines at most, in pieces
                line = f.readline(4096)
                if not line:
                    return False
                if not in_comment:
                    word = line.split("#", 1)[0].strip().split(" ", 1)[0]
                    if word:
                        return word == "policy"
                    in_comment = "#" in line
                in_comment = in_comment and not line.endswith("\n")
    except (OSError, DiagnosticError):  # the reader that follows says what is wrong
        return False
    return False


def environ_as_of() -> dt.date | None:
    """`AICXS_AS_OF`, when set, fixes "today" (for reproducible runs and tests)."""
    value = os.environ.get("AICXS_AS_OF")
    return dt.date.fromisoformat(value) if value else None
