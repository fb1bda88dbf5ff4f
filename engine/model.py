"""The semantic model of a standard and of a policy: plain dataclasses (`Standard`, `Clause`,
`Policy`, `Waiver`, ...) with typed fields and the span each was read from. `builder.py` fills
them from the AST; names are not resolved there, that is `checker.py`, which works on these
objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.types import Duration, Type

Value = bool | int | float | str | dt.date | Duration | tuple[object, ...]


SOURCES = ("seed", "interpretation")  # a `source` is one of these, or a named document


@dataclass(frozen=True)
class Provenance:
    """Where a statement of the standard comes from (`source seed`, `source interpretation` or
    `source "<document>"`; empty when not stated) and why it says what it says (`rationale`)."""

    source: str = ""
    rationale: str = ""

    @property
    def interpretation(self) -> bool:
        """Not the seed's words: our reading of it, or a rule taken from another document."""
        return self.source not in ("", "seed")

    @property
    def document(self) -> str:
        """The named document a statement is taken from ("" for the seed or an interpretation)."""
        return "" if self.source in ("", *SOURCES) else self.source


@dataclass
class Level:
    number: int
    name: str
    text: str
    span: Span


@dataclass
class Role:
    name: str
    title: str
    text: str
    span: Span


@dataclass
class Stage:
    number: int
    name: str
    title: str
    text: str
    span: Span


@dataclass
class Parameter:
    name: str
    type: Type
    text: str
    default: ast.Expr | None
    bounds: tuple[ast.Expr, ast.Expr] | None
    stricter: str | None  # `lower` or `higher`: the direction a policy may move it
    span: Span
    provenance: Provenance = Provenance()


@dataclass
class Framework:
    id: str
    title: str
    refs: dict[str, str]  # reference id (e.g. `Art. 50(1)`) → its title
    span: Span


@dataclass(frozen=True)
class CrosswalkRef:
    """One crosswalk reference of a clause: the framework's reference, how the clause relates
    to it (`relationship`, NIST IR 8477: the clause is `equal` to, a `subset of`, a `superset
    of` the reference, `intersects with` it or is `related to` it; None when not stated) and
    whom the reference binds (`applicability`, free text, None when it binds all)."""

    framework: str
    ref: str
    relationship: str | None
    applicability: str | None
    span: Span  # the reference, from its opening quote
    line: Span  # the whole `crosswalk` line


# How a clause relates to a crosswalk reference, in the set terms of NIST IR 8477, read as
# "the clause is ... the reference". `related to` makes no set claim (IR 8477's supportive
# relationships): the reference is on the same subject, or one helps meet the other.
RELATIONSHIPS: dict[str, str] = {
    "equal": "the clause and the reference ask for the same thing: meeting one meets the other",
    "subset of": "the reference asks for everything the clause does and more: meeting the "
    "reference meets the clause, not the other way round",
    "superset of": "the clause asks for everything the reference does and more: meeting the "
    "clause meets the reference",
    "intersects with": "they share some obligations and each has others: meeting one meets "
    "part of the other",
    "related to": "no claim of overlap: the reference is on the same subject, or helps meet the "
    "clause (or the clause helps meet it)",
}


def strength(relationship: str | None, applicability: str | None) -> str:
    """A reference's relationship and applicability in words: `related to, applies to
    providers of high-risk AI systems`; empty when neither is stated."""
    parts = [relationship or "", f"applies to {applicability}" if applicability else ""]
    return ", ".join(p for p in parts if p)


@dataclass
class Clause:
    id: str
    title: str
    pillar: str
    level: int
    owner: str
    text: str
    evidence: tuple[str, ...]
    requires: tuple[tuple[str, Span], ...]
    crosswalk: tuple[CrosswalkRef, ...]
    check: ast.Expr | None
    span: Span
    spans: dict[str, Span] = field(default_factory=dict)  # attribute → its first line
    provenance: Provenance = Provenance()
    level_because: str = ""  # why the clause has its maturity level (`level 2 because "..."`)
    withdrawn: str | None = None  # `withdrawn "reason"`: the reason a retired clause gives
    withdrawn_in: str | None = None  # ... `in 2024.1`: the version that withdrew it


@dataclass
class Pillar:
    id: str
    title: str
    text: str
    errata: tuple[str, ...]
    clauses: tuple[str, ...]  # its clauses in force (withdrawn ones are in `Standard.withdrawn`)
    span: Span
    provenance: Provenance = Provenance()


@dataclass
class KeyRequirement:
    id: str
    title: str
    text: str
    mandatory: bool
    covers: tuple[tuple[str, Span], ...]
    check: ast.Expr | None
    span: Span
    provenance: Provenance = Provenance()
    covers_because: str = ""  # why it covers those clauses (`covers P3.1, P3.2 because "..."`)


@dataclass
class Standard:
    id: str
    version: int  # the year
    title: str
    text: str
    errata: tuple[str, ...]
    span: Span
    levels: dict[int, Level] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    facts: list[ast.FactsDecl] = field(default_factory=list)
    vocabulary: Type = field(default_factory=lambda: Type("record"))
    pillars: dict[str, Pillar] = field(default_factory=dict)
    clauses: dict[str, Clause] = field(default_factory=dict)  # in force: the ones evaluated
    # Retired clauses (`withdrawn "reason"`): kept in the document and the graph, never
    # evaluated, their ids never reused.
    withdrawn: dict[str, Clause] = field(default_factory=dict)
    key_requirements: dict[str, KeyRequirement] = field(default_factory=dict)
    least_scope: Scope | None = None  # the items no policy may leave out of its scope
    module: ast.Module | None = None
    seed: str = ""  # the source text the standard encodes (its `source "..."`)
    amendment: int = 0  # `standard AICXS 2024.1` → 1; 0 for the unamended standard

    @property
    def version_text(self) -> str:
        """`2024`, or `2024.1` when amended."""
        return ast.version_text(self.version, self.amendment)

    @property
    def name(self) -> str:
        return f"{self.id} {self.version_text}"


@dataclass
class Scope:
    """`scope s in systems where <expr> because "<why>"`: the items a policy evaluates (or, as
    the standard's `least scope`, the items every policy must evaluate)."""

    var: str
    source: ast.Path
    where: ast.Expr
    span: Span
    because: str = ""  # the written justification


@dataclass
class Setting:
    name: str
    expr: ast.Expr
    span: Span


@dataclass
class Exclusion:
    clause: str
    justification: str
    span: Span


@dataclass
class Waiver:
    clause: str
    justification: str
    approver: str
    expires: dt.date
    span: Span


@dataclass
class Rule:
    id: str
    refines: str
    title: str
    text: str
    owner: str | None
    evidence: tuple[str, ...]
    check: ast.Expr | None
    span: Span
    spans: dict[str, Span] = field(default_factory=dict)


@dataclass
class Policy:
    name: str
    standard: str
    version: int
    title: str
    text: str
    target: int
    span: Span
    target_span: Span | None = None
    scope: Scope | None = None
    settings: dict[str, Setting] = field(default_factory=dict)
    exclusions: dict[str, Exclusion] = field(default_factory=dict)
    waivers: dict[str, Waiver] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    facts: list[ast.FactsDecl] = field(default_factory=list)
    module: ast.Module | None = None
    amendment: int = 0  # `implements AICXS 2024.1` → 1

    @property
    def implements(self) -> str:
        """The standard it names: `AICXS 2024`, `AICXS 2024.1`."""
        return f"{self.standard} {ast.version_text(self.version, self.amendment)}"


def _header(span: Span) -> Span:
    """The first line of a block, which is where "missing attribute" points."""
    end = span.source.text.find("\n", span.start)
    return Span(span.source, span.start, end if 0 <= end < span.end else span.end)
