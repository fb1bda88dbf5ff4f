"""One open `.aicx` document → what the language server knows about it: the diagnostics of
`aicxs lint` (parse, check against the standard, lint warnings), the models of the standard
and of the policy, the index of its names and the facts vocabulary in force.

The diagnostics come from the same functions the commands use (`parse_text`,
`standard_from_module`, `compile_policy`), so the editor and `aicxs lint` never disagree. The
models for navigation are built leniently (a standard with one wrong clause still has hover on
the others); only a text that does not parse has no models, and keeps its diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aicxs.aicxs_dsl import ast, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, Severity
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.authoring.lsp_index import Occurrence, index_module
from aicxs.engine.builder import build_policy, build_standard
from aicxs.engine.loader import LoadedStandard, compile_policy, standard_from_module
from aicxs.engine.model import Policy, Standard
from aicxs.engine.types import Type
from aicxs.engine.vocabulary import build_vocabulary


@dataclass(frozen=True)
class Found:
    """The standard a policy implements, as far as it could be had."""

    loaded: LoadedStandard | DiagnosticError | None  # checked, or why not (None: no such file)
    model: Standard | None = None  # built leniently, for navigation while it has mistakes


StandardLookup = Callable[[str, str], Found]  # (standard id, version) → what was found


@dataclass
class Analysis:
    path: str  # how messages name the document (its file path)
    text: str
    kind: str = ""  # `standard`, `policy`, or empty when the text does not parse
    module: ast.Module | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    standard: Standard | None = None  # this standard, or the one this policy implements
    policy: Policy | None = None
    occurrences: list[Occurrence] = field(default_factory=list)  # in this document
    standard_occurrences: list[Occurrence] = field(default_factory=list)  # in that standard
    vocabulary: Type = field(default_factory=lambda: Type("record"))

    @property
    def standard_path(self) -> str | None:
        """How messages name the standard's file (this one, for a standard)."""
        return self.standard.span.path if self.standard is not None else None


def analyse(text: str, path: str, standards: StandardLookup) -> Analysis:
    """Parse, check and index one document; never raises for a mistake in the text."""
    result = Analysis(path, text)
    try:
        module = parse_text(text, path)
    except DiagnosticError as err:
        result.diagnostics = list(err.diagnostics)
        return result
    result.module = module
    result.occurrences = index_module(module)
    if any(isinstance(d, ast.PolicyDecl) for d in module.decls):
        _policy(result, module, standards)
    else:
        _standard(result, module)
    result.diagnostics = [d for d in result.diagnostics if _here(d, path)] + [
        _moved(d, result) for d in result.diagnostics if not _here(d, path)
    ]
    return result


def _standard(result: Analysis, module: ast.Module) -> None:
    result.kind = "standard"
    scratch: list[Diagnostic] = []
    std = build_standard(module, scratch)
    if std is not None:
        build_vocabulary(((d, "standard") for d in std.facts), std.vocabulary, scratch)
        result.standard, result.vocabulary = std, std.vocabulary
        result.standard_occurrences = result.occurrences
    try:
        result.diagnostics = list(standard_from_module(module).warnings)
    except DiagnosticError as err:
        result.diagnostics = list(err.diagnostics)


def _policy(result: Analysis, module: ast.Module, standards: StandardLookup) -> None:
    result.kind = "policy"
    scratch: list[Diagnostic] = []
    policy = build_policy(module, scratch)
    result.policy = policy
    decl = next(d for d in module.decls if isinstance(d, ast.PolicyDecl))
    found = standards(decl.standard, ast.version_text(decl.version, decl.amendment))
    loaded = found.loaded
    std = loaded.standard if isinstance(loaded, LoadedStandard) else found.model
    if std is not None:
        result.standard = std
        result.standard_occurrences = index_module(std.module) if std.module else []
        result.vocabulary = Type("record")
        decls = [(d, "standard") for d in std.facts]
        decls += [(d, policy.name) for d in policy.facts] if policy else []
        build_vocabulary(decls, result.vocabulary, scratch)
    if isinstance(loaded, DiagnosticError):
        result.diagnostics = list(loaded.diagnostics)
        return
    try:
        compiled = compile_policy(module, loaded)
        # Its warnings are the standard's own lint warnings: shown where the standard is open.
        result.diagnostics = [d for d in compiled.warnings if _here(d, result.path)]
    except DiagnosticError as err:
        result.diagnostics = list(err.diagnostics)


def _here(d: Diagnostic, path: str) -> bool:
    return (d.span.path if d.span else d.path) == path


def _moved(d: Diagnostic, result: Analysis) -> Diagnostic:
    """A diagnostic about another file (the standard this policy implements): shown on the
    policy's first line, naming where it is."""
    if result.module is None or not result.module.decls:
        return d
    decl = result.module.decls[0]
    end = result.text.find("\n", decl.span.start)
    header = Span(decl.span.source, decl.span.start, end if end >= 0 else decl.span.end)
    note = f"{d.location()}: {d.message}"
    return Diagnostic(
        d.code,
        f"the standard this policy implements has a problem: {d.message}",
        header,
        d.help,
        d.severity if d.severity is Severity.ERROR else Severity.WARNING,
        notes=(note, *d.notes),
    )
