"""AST → the semantic model (`model.py`) of a standard or a policy.

Reads each block's attribute lines into typed fields (`Clause.level`, `Waiver.expires`, ...)
against the table `ATTRIBUTES`, reporting attributes that are unknown, repeated or missing for
their block, and ids declared twice. Names are not resolved here; that is `checker.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol, TypeVar

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.aicxs_dsl.source import Span
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.model import (
    SOURCES,
    Clause,
    CrosswalkRef,
    Exclusion,
    Framework,
    KeyRequirement,
    Level,
    Parameter,
    Pillar,
    Policy,
    Provenance,
    Role,
    Rule,
    Scope,
    Setting,
    Stage,
    Standard,
    Waiver,
    _header,
)
from aicxs.engine.vocabulary import type_of

# For each kind of block: its attributes, and whether each is (r)equired, (o)ptional once,
# or (m)any times.
ATTRIBUTES: dict[str, dict[str, str]] = {
    "standard": {"title": "r", "text": "o", "erratum": "m", "least_scope": "o", "source": "o"},
    "level": {"text": "r"},
    "role": {"text": "o"},
    "stage": {"text": "r"},
    "parameter": {
        "text": "r",
        "default": "r",
        "bounds": "o",
        "stricter": "o",
        "source": "o",
        "rationale": "o",
    },
    "framework": {"text": "o", "ref": "m"},
    "pillar": {"text": "o", "erratum": "m", "source": "o", "rationale": "o"},
    "clause": {
        "level": "r",
        "owner": "r",
        "text": "r",
        "evidence": "m",
        "requires": "m",
        "crosswalk": "m",
        "check": "o",
        "source": "o",
        "rationale": "o",
        "withdrawn": "o",
    },
    "key requirement": {
        "mandatory": "o",
        "text": "o",
        "covers": "m",
        "check": "o",
        "source": "o",
        "rationale": "o",
    },
    "policy": {"title": "o", "text": "o", "target": "r", "scope": "o", "set": "m", "exclude": "m"},
    "waiver": {"justification": "r", "approver": "r", "expires": "r"},
    "rule": {"text": "o", "owner": "o", "evidence": "m", "check": "r"},
}


class _Attrs:
    """The attribute lines of one block, read against `ATTRIBUTES[kind]`."""

    def __init__(
        self, kind: str, block: str, attrs: tuple[ast.Attr, ...], span: Span, out: list[Diagnostic]
    ) -> None:
        self.by_name: dict[str, list[ast.Attr]] = {}
        self.out = out
        allowed = ATTRIBUTES[kind]
        for attr in attrs:
            if attr.name not in allowed:
                out.append(
                    Diagnostic(
                        "aicxs_unknown_attribute",
                        f"`{attr.name}` is not an attribute of {block}",
                        attr.span,
                        f"{kind} blocks take: " + ", ".join(f"`{a}`" for a in allowed),
                    )
                )
                continue
            seen = self.by_name.setdefault(attr.name, [])
            if seen and allowed[attr.name] != "m":
                out.append(
                    Diagnostic(
                        "aicxs_duplicate_attribute",
                        f"`{attr.name}` is given twice in {block}",
                        attr.span,
                        "keep one",
                        notes=(f"first given at {seen[0].span.location()}",),
                    )
                )
                continue
            seen.append(attr)
        for name, how in allowed.items():
            if how == "r" and name not in self.by_name:
                out.append(
                    Diagnostic(
                        "aicxs_missing_attribute",
                        f"{block} has no `{name}`",
                        _header(span),
                        f"add {with_article(f'`{name} ...`')} line to the block",
                    )
                )

    def first(self, name: str, default: object = None) -> object:
        got = self.by_name.get(name)
        return got[0].values[0] if got and got[0].values else default

    def all(self, name: str) -> list[ast.AttrValue]:
        return [v for a in self.by_name.get(name, []) for v in a.values]

    def lines(self, name: str) -> list[ast.Attr]:
        return self.by_name.get(name, [])

    def spans(self) -> dict[str, Span]:
        return {name: lines[0].span for name, lines in self.by_name.items()}

    def text(self, name: str) -> str:
        value = self.first(name, "")
        return value if isinstance(value, str) else ""

    def because(self, name: str) -> str:
        """The reasons written after `because` on the `name` lines, joined; a blank one is
        reported."""
        for line in self.lines(name):
            if line.because is not None:
                _said(line.because, line.span, f"the reason after `{name} ... because`", self.out)
        return " ".join(line.because for line in self.lines(name) if line.because)

    def provenance(self) -> Provenance:
        """The block's `source` and `rationale`; an unknown source word or a blank text is
        reported."""
        source = ""
        if lines := self.lines("source"):
            line = lines[0]
            if len(line.values) == 2:  # `source "<document>"`
                source = str(line.values[1])
                _said(source, line.span, "the `source` document", self.out)
            elif str(line.values[0]) in SOURCES:
                source = str(line.values[0])
            else:
                self.out.append(
                    Diagnostic(
                        "aicxs_unknown_source",
                        f"`{line.values[0]}` is not a source",
                        line.span,
                        "write `source seed` (the standard's own words), `source interpretation`"
                        ' (a reading of them) or `source "<document>"` (taken from a document)',
                    )
                )
        if rationale := self.lines("rationale"):
            _said(self.text("rationale"), rationale[0].span, "the `rationale`", self.out)
        return Provenance(str(source), self.text("rationale").strip())


def build_standard(module: ast.Module, out: list[Diagnostic]) -> Standard | None:
    """The standard declared in `module`, or None (with a diagnostic) if it declares none."""
    headers = [d for d in module.decls if isinstance(d, ast.StandardDecl)]
    if not headers:
        out.append(
            Diagnostic(
                "aicxs_no_standard",
                "this file declares no `standard`",
                _first_line(module),
                "start the file with `standard AICXS 2024 {`",
            )
        )
        return None
    for extra in headers[1:]:
        out.append(
            Diagnostic(
                "aicxs_duplicate_id",
                "a file declares one `standard`",
                _header(extra.span),
                "remove this second declaration",
            )
        )
    head = headers[0]
    a = _Attrs("standard", f"standard `{head.id}`", head.attrs, head.span, out)
    std = Standard(
        head.id,
        head.version,
        a.text("title"),
        a.text("text"),
        tuple(str(v) for v in a.all("erratum")),
        head.span,
        module=module,
        amendment=head.amendment,
    )
    std.seed = a.provenance().document
    if line := a.lines("least_scope"):
        std.least_scope = _scope(line[0], "the standard's `least scope`", out)
    for decl in module.decls:
        _add_decl(std, decl, out)
    return std


def _scope(line: ast.Attr, what: str, out: list[Diagnostic]) -> Scope:
    """A `scope` or `least scope` line; the justification after `because` must say something."""
    var, source, where, *rest = line.values
    because = rest[0] if rest else None
    if because is None:
        out.append(
            Diagnostic(
                "aicxs_scope_unjustified",
                f"{what} has no justification",
                line.span,
                'say why after the filter: `... where <filter> because "<why these systems>"`',
            )
        )
    else:
        _said(str(because), line.span, f"the justification of {what}", out)
    return Scope(str(var), source, _as_expr(where), line.span, str(because or ""))  # type: ignore[arg-type]


def _said(text: str, span: Span, what: str, out: list[Diagnostic]) -> None:
    """Words a reader relies on (a justification, a reason, an approver) must say something."""
    if not text.strip():
        out.append(
            Diagnostic(
                "aicxs_blank_text",
                f"{what} is blank",
                span,
                "write what it stands for: a blank text proves nothing to an auditor",
            )
        )


def _first_line(module: ast.Module) -> Span:
    return _header(module.span) if module.span.end else module.span


def _add_decl(std: Standard, decl: ast.Decl, out: list[Diagnostic]) -> None:
    match decl:
        case ast.LevelDecl():
            a = _Attrs("level", f"level {decl.number}", decl.attrs, decl.span, out)
            _put(
                std.levels,
                decl.number,
                Level(decl.number, decl.name, a.text("text"), decl.span),
                "level",
                out,
            )
        case ast.RoleDecl():
            a = _Attrs("role", f"role `{decl.name}`", decl.attrs, decl.span, out)
            _put(
                std.roles,
                decl.name,
                Role(decl.name, decl.title, a.text("text"), decl.span),
                "role",
                out,
            )
        case ast.StageDecl():
            a = _Attrs("stage", f"stage `{decl.name}`", decl.attrs, decl.span, out)
            std.stages.append(Stage(decl.number, decl.name, decl.title, a.text("text"), decl.span))
        case ast.ParameterDecl():
            _put(std.parameters, decl.name, _parameter(decl, out), "parameter", out)
        case ast.FrameworkDecl():
            a = _Attrs("framework", f"framework `{decl.id}`", decl.attrs, decl.span, out)
            refs: dict[str, str] = {}
            for line in a.lines("ref"):
                ref, title = str(line.values[0]), str(line.values[1])
                if ref in refs:
                    out.append(
                        Diagnostic(
                            "aicxs_duplicate_id",
                            f"reference `{ref}` is declared twice",
                            line.span,
                            "remove one of the two `ref` lines",
                        )
                    )
                refs[ref] = title
            _put(
                std.frameworks,
                decl.id,
                Framework(decl.id, decl.title, refs, decl.span),
                "framework",
                out,
            )
        case ast.FactsDecl():
            std.facts.append(decl)
        case ast.PillarDecl():
            _add_pillar(std, decl, out)
        case ast.KeyRequirementDecl():
            a = _Attrs(
                "key requirement", f"key requirement `{decl.id}`", decl.attrs, decl.span, out
            )
            kr = KeyRequirement(
                decl.id,
                decl.title,
                a.text("text"),
                bool(a.lines("mandatory")),
                _ids(a.lines("covers")),
                _expr(a.first("check")),
                decl.span,
                a.provenance(),
                a.because("covers"),
            )
            _put(std.key_requirements, decl.id, kr, "key requirement", out)
        case ast.PolicyDecl():
            out.append(
                Diagnostic(
                    "aicxs_misplaced_policy",
                    "a standard file cannot declare a `policy`",
                    _header(decl.span),
                    "put the policy in a file of its own",
                )
            )


def _parameter(decl: ast.ParameterDecl, out: list[Diagnostic]) -> Parameter:
    a = _Attrs("parameter", f"parameter `{decl.name}`", decl.attrs, decl.span, out)
    bounds = a.lines("bounds")
    pair = (_as_expr(bounds[0].values[0]), _as_expr(bounds[0].values[1])) if bounds else None
    stricter = a.first("stricter")
    return Parameter(
        decl.name,
        type_of(decl.type),
        a.text("text"),
        _expr(a.first("default")),
        pair,
        str(stricter) if stricter else None,
        decl.span,
        a.provenance(),
    )


def _add_pillar(std: Standard, decl: ast.PillarDecl, out: list[Diagnostic]) -> None:
    a = _Attrs("pillar", f"pillar `{decl.id}`", decl.attrs, decl.span, out)
    pillar = Pillar(
        decl.id,
        decl.title,
        a.text("text"),
        tuple(str(v) for v in a.all("erratum")),
        tuple(c.id for c in decl.clauses if not _withdrawn(c)),
        decl.span,
        a.provenance(),
    )
    _put(std.pillars, decl.id, pillar, "pillar", out)
    for c in decl.clauses:
        ca = _Attrs("clause", f"clause `{c.id}`", c.attrs, c.span, out)
        level = ca.first("level", 0)
        crosswalk = tuple(
            CrosswalkRef(
                str(line.values[0]), x.ref, x.relationship, x.applicability, x.span, line.span
            )
            for line in ca.lines("crosswalk")
            for x in line.values[1:]
            if isinstance(x, ast.CrosswalkRef)
        )
        clause = Clause(
            c.id,
            c.title,
            decl.id,
            level if isinstance(level, int) else 0,
            str(ca.first("owner", "")),
            ca.text("text"),
            tuple(str(v) for v in ca.all("evidence")),
            _ids(ca.lines("requires")),
            crosswalk,
            _expr(ca.first("check")),
            c.span,
            ca.spans(),
            ca.provenance(),
            ca.because("level"),
        )
        if withdrawn := ca.lines("withdrawn"):
            clause.withdrawn = str(withdrawn[0].values[0])
            _said(clause.withdrawn, withdrawn[0].span, f"the reason `{c.id}` is withdrawn", out)
            if len(withdrawn[0].values) > 1:
                clause.withdrawn_in = str(withdrawn[0].values[1])
            if c.id in std.clauses:
                _put(std.clauses, c.id, clause, "clause", out)  # reports the duplicate id
            else:
                _put(std.withdrawn, c.id, clause, "clause", out)
            continue
        if c.id in std.withdrawn:
            _put(std.withdrawn, c.id, clause, "clause", out)  # reports the duplicate id
            continue
        _put(std.clauses, c.id, clause, "clause", out)


def _withdrawn(c: ast.ClauseDecl) -> bool:
    return any(a.name == "withdrawn" for a in c.attrs)


def _ids(lines: Iterable[ast.Attr]) -> tuple[tuple[str, Span], ...]:
    return tuple((str(v), line.span) for line in lines for v in line.values)


def _expr(value: object) -> ast.Expr | None:
    return _as_expr(value) if value is not None else None


def _as_expr(value: object) -> ast.Expr:
    assert not isinstance(value, (str, int, dt.date)), value
    return value  # type: ignore[return-value]


class _Located(Protocol):
    span: Span


K = TypeVar("K")
V = TypeVar("V", bound=_Located)


def _put(table: dict[K, V], key: K, item: V, kind: str, out: list[Diagnostic]) -> None:
    """Add `item` under `key`, or report that the id is taken (citing the first)."""
    if key in table:
        first = table[key]
        out.append(
            Diagnostic(
                "aicxs_duplicate_id",
                f"{kind} `{key}` is declared twice",
                _header(item.span),
                f"give this {kind} another id, or remove one of the two",
                notes=(f"first declared at {first.span.location()}",),
            )
        )
        return
    table[key] = item


def build_policy(module: ast.Module, out: list[Diagnostic]) -> Policy | None:
    """The policy declared in `module`, or None (with a diagnostic) if it declares none."""
    decls = [d for d in module.decls if isinstance(d, ast.PolicyDecl)]
    if len(decls) != 1 or len(module.decls) != 1:
        out.append(
            Diagnostic(
                "aicxs_not_a_policy",
                "a policy file holds exactly one `policy` block and nothing else",
                _first_line(module),
                "start the file with `policy <name> implements AICXS 2024 {` and put all in it",
            )
        )
        if not decls:
            return None
    decl = decls[0]
    a = _Attrs("policy", f"policy `{decl.name}`", decl.attrs, decl.span, out)
    target = a.first("target", 0)
    policy = Policy(
        decl.name,
        decl.standard,
        decl.version,
        a.text("title") or decl.name,
        a.text("text"),
        target if isinstance(target, int) else 0,
        decl.span,
        module=module,
        amendment=decl.amendment,
    )
    policy.target_span = a.lines("target")[0].span if a.lines("target") else None
    if scope := a.lines("scope"):
        policy.scope = _scope(scope[0], "the policy's `scope`", out)
    for line in a.lines("set"):
        name = str(line.values[0])
        if name in policy.settings:
            out.append(
                Diagnostic(
                    "aicxs_duplicate_attribute",
                    f"parameter `{name}` is set twice",
                    line.span,
                    "keep one `set` line per parameter",
                )
            )
        policy.settings[name] = Setting(name, _as_expr(line.values[1]), line.span)
    for line in a.lines("exclude"):
        clause, why = str(line.values[0]), str(line.values[1])
        _said(why, line.span, f"the reason for excluding `{clause}`", out)
        _put(policy.exclusions, clause, Exclusion(clause, why, line.span), "exclusion", out)
    for w in decl.waivers:
        wa = _Attrs("waiver", f"the waiver of `{w.clause}`", w.attrs, w.span, out)
        expires = wa.first("expires", dt.date.min)
        for word in ("justification", "approver"):
            if wa.lines(word):
                _said(wa.text(word), wa.lines(word)[0].span, f"the {word} of `{w.clause}`", out)
        waiver = Waiver(
            w.clause,
            wa.text("justification"),
            wa.text("approver"),
            expires if isinstance(expires, dt.date) else dt.date.min,
            w.span,
        )
        _put(policy.waivers, w.clause, waiver, "waiver of clause", out)
    for r in decl.rules:
        ra = _Attrs("rule", f"rule `{r.id}`", r.attrs, r.span, out)
        owner = ra.first("owner")
        policy.rules.append(
            Rule(
                r.id,
                r.refines,
                r.title,
                ra.text("text"),
                str(owner) if owner else None,
                tuple(str(v) for v in ra.all("evidence")),
                _expr(ra.first("check")),
                r.span,
                ra.spans(),
            )
        )
    policy.facts = list(decl.facts)
    return policy
