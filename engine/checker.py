"""Semantic checks of a standard, as an ordered list of named stages.

Each stage takes the model (and the dependency graph) and returns diagnostics: names that do
not resolve, duplicate titles, `requires` cycles, ill-typed checks, key requirements that cover
nothing, malformed crosswalk references. The checks of a policy against its standard are
`policycheck.py`; both share `constant` (literal values) and the "unknown name" diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic, Severity, did_you_mean
from aicxs.aicxs_dsl.source import Span
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.cost import check_cost
from aicxs.engine.graph import requires_cycles
from aicxs.engine.interpretation import check_provenance
from aicxs.engine.model import (
    RELATIONSHIPS,
    Clause,
    CrosswalkRef,
    KeyRequirement,
    Pillar,
    Rule,
    Scope,
    Standard,
    _header,
)
from aicxs.engine.typecheck import Env, check_condition, compatible, infer
from aicxs.engine.types import BOOL, Duration, FactField, Type

Stage = Callable[[Standard], list[Diagnostic]]
NAMING_FIELDS = ("name", "title")  # fields that name an item in listings (as its key does)


def mandatory_clauses(std: Standard) -> dict[str, str]:
    """Clause id → the mandatory key requirement that covers it (the first, by id)."""
    covered: dict[str, str] = {}
    for kr in sorted(std.key_requirements.values(), key=lambda k: k.id):
        if kr.mandatory:
            for clause, _ in kr.covers:
                covered.setdefault(clause, kr.id)
    return covered


# ---- standard stages ------------------------------------------------------------------------


def check_titles(std: Standard) -> list[Diagnostic]:
    """The same title on two pillars, clauses or key requirements (the source text's erratum:
    pillar 03 repeats pillar 02's "Algorithmic Transparency")."""
    out = []
    groups: list[tuple[str, Mapping[str, Pillar | Clause | KeyRequirement]]] = [
        ("pillar", std.pillars),
        ("clause", std.clauses),
        ("key requirement", std.key_requirements),
    ]
    for kind, items in groups:
        seen: dict[str, str] = {}
        for item in items.values():
            key = " ".join(item.title.lower().split())
            if key in seen:
                first = items[seen[key]]
                out.append(
                    Diagnostic(
                        "aicxs_duplicate_title",
                        f"{kind} `{item.id}` has the same title as {kind} `{first.id}`: "
                        f'"{item.title}"',
                        _header(item.span),
                        f"give each {kind} a title that says what it is about",
                        notes=(f"`{first.id}` is declared at {first.span.location()}",),
                    )
                )
            else:
                seen[key] = item.id
    return out


def resolve_refs(std: Standard) -> list[Diagnostic]:
    out = []
    for c in [*std.clauses.values(), *std.withdrawn.values()]:
        if c.level and c.level not in std.levels:
            out.append(
                _unknown(
                    "level",
                    str(c.level),
                    _attr_span(c, "level"),
                    map(str, std.levels),
                    "aicxs_unknown_level",
                )
            )
        if c.owner and c.owner not in std.roles:
            out.append(
                _unknown("role", c.owner, _attr_span(c, "owner"), std.roles, "aicxs_unknown_role")
            )
        for target, span in c.requires:
            if target in std.withdrawn and c.id in std.clauses:
                what = f"cannot be required by `{c.id}`"
                out.append(withdrawn_clause(std, target, span, what, "prerequisite"))
            elif target not in std.clauses and target not in std.withdrawn:
                out.append(
                    _unknown(
                        "clause",
                        target,
                        span,
                        [k for k in std.clauses if k != c.id],  # never suggest a self-cycle
                        "aicxs_unknown_clause",
                        f"clause `{c.id}` requires undefined clause `{target}`",
                    )
                )
        out.extend(_crosswalk(std, c.crosswalk))
    for kr in std.key_requirements.values():
        if not kr.covers and kr.check is None:
            out.append(
                Diagnostic(
                    "aicxs_empty_key_requirement",
                    f"key requirement `{kr.id}` covers no clause and has no check",
                    _header(kr.span),
                    "add `covers P1.1, ...` or a `check`",
                )
            )
        for target, span in kr.covers:
            if target in std.withdrawn:
                what = f"cannot be covered by key requirement `{kr.id}`"
                out.append(withdrawn_clause(std, target, span, what, "clause from `covers`"))
            elif target not in std.clauses:
                out.append(
                    _unknown(
                        "clause",
                        target,
                        span,
                        std.clauses,
                        "aicxs_unknown_clause",
                        f"key requirement `{kr.id}` covers undefined clause `{target}`",
                    )
                )
    return out


def _crosswalk(std: Standard, refs: tuple[CrosswalkRef, ...]) -> Iterator[Diagnostic]:
    reported: set[tuple[str, Span]] = set()
    for x in refs:
        fw_id, ref, span = x.framework, x.ref, x.span
        fw = std.frameworks.get(fw_id)
        if fw is None and (fw_id, x.line) not in reported:  # once per line, not per reference
            reported.add((fw_id, x.line))
            yield _unknown(
                "framework",
                fw_id,
                x.line,
                std.frameworks,
                "aicxs_bad_crosswalk",
            )
        elif fw is not None and ref not in fw.refs:
            hint = did_you_mean(ref, fw.refs) or f"declare it in framework `{fw_id}` with `ref`"
            yield Diagnostic(
                "aicxs_bad_crosswalk",
                f"`{ref}` is not a reference of framework `{fw_id}`",
                span,
                hint,
            )


def check_cycles(std: Standard) -> list[Diagnostic]:
    out = []
    for cycle in requires_cycles(std):
        clause = std.clauses[cycle[0]]
        span = next(s for t, s in clause.requires if t == cycle[1])
        out.append(
            Diagnostic(
                "aicxs_cycle",
                f"clause `{cycle[0]}` is circular: " + " -> ".join(cycle),
                span,
                "a clause cannot (even indirectly) require itself: remove one "
                "`requires` on the path",
            )
        )
    return out


def check_requires_levels(std: Standard) -> list[Diagnostic]:
    """A clause expected at level N that requires a clause expected only at a higher level:
    it cannot be met before that higher level is, so level N asks for more than it says. A
    warning at the `requires` reference; not on a cycle, whose error asks to remove one."""
    out = []
    for c in std.clauses.values():
        for target, span in c.requires:
            needed = std.clauses.get(target)
            if needed is None or needed.level <= c.level:
                continue
            if c.level not in std.levels or needed.level not in std.levels:
                continue  # `aicxs_unknown_level` reports it
            if c.id in _required_by(std, target):
                continue  # a `requires` cycle: `aicxs_cycle` reports it
            out.append(
                Diagnostic(
                    "aicxs_requires_higher_level",
                    f"clause `{c.id}` (level {c.level}) requires clause `{target}` (level "
                    f"{needed.level}): a level-{c.level} clause cannot be met before level "
                    f"{needed.level} is",
                    span,
                    f"require only clauses at level {c.level} or lower, or expect `{c.id}` at "
                    f"level {needed.level}",
                    Severity.WARNING,
                    notes=(f"`{target}` is declared at {needed.span.location()}",),
                )
            )
    return out


def _required_by(std: Standard, start: str) -> set[str]:
    """The clauses `start` requires, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        clause = std.clauses.get(todo.pop())
        for target, _ in clause.requires if clause else ():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def check_levels(std: Standard) -> list[Diagnostic]:
    numbers = sorted(std.levels)
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        level = std.levels[numbers[-1]]
        return [
            Diagnostic(
                "aicxs_level_gap",
                f"maturity levels must be numbered 1, 2, 3, ... without gaps, found {numbers}",
                _header(level.span),
                "renumber the levels",
            )
        ]
    return []


def check_parameters(std: Standard) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for p in std.parameters.values():
        default = constant(p.default, p.type, out) if p.default else None
        bounds = [constant(b, p.type, out) for b in p.bounds] if p.bounds else None
        if p.stricter and not p.bounds:
            out.append(
                Diagnostic(
                    "aicxs_missing_attribute",
                    f"parameter `{p.name}` says which way is stricter but has no `bounds`",
                    _header(p.span),
                    "add `bounds LOW .. HIGH`",
                )
            )
        if (
            default is not None
            and bounds
            and None not in bounds
            and not (
                bounds[0] <= default <= bounds[1]  # type: ignore[operator]
            )
        ):
            out.append(
                Diagnostic(
                    "aicxs_parameter_out_of_bounds",
                    f"the default of `{p.name}` ({default}) is outside its bounds "
                    f"{bounds[0]} .. {bounds[1]}",
                    _header(p.span),
                    "make the default a value the bounds allow",
                )
            )
    return out


def check_types(std: Standard) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    env = Env(std.vocabulary, {n: p.type for n, p in std.parameters.items()}, out)
    for c in std.clauses.values():
        if c.check is not None:
            check_condition(c.check, env)
    for kr in std.key_requirements.values():
        if kr.check is not None:
            check_condition(kr.check, env)
    if std.least_scope is not None:
        check_scope_filter(std.least_scope, env, "a `least scope` filter")
    return out


def check_scope_filter(scope: Scope, env: Env, what: str) -> None:
    """A scope ranges over a list of records and filters it with a condition on one item."""
    listed = infer(scope.source, env)
    if listed is not None and not (
        listed.kind == "list" and listed.item and listed.item.kind == "record"
    ):
        env.error(
            scope.source,
            f"`{'.'.join(scope.source.parts)}` is not a list of records",
            "scope a list such as `systems`",
        )
    elif listed is not None and listed.item is not None:
        env.vars[scope.var] = listed.item
        check_condition(scope.where, env, what)
        env.vars.clear()


def check_vocabulary(std: Standard) -> list[Diagnostic]:
    out = []
    for name, fld in _walk_fields(std.vocabulary):
        item = fld.type.item if fld.type.kind == "list" else None
        if (
            item is not None
            and item.kind == "record"
            and item.fields
            and not any(f.key for f in item.fields.values())
        ):
            out.append(
                Diagnostic(
                    "aicxs_no_key",
                    f"the records of list `{name}` have no `key` field",
                    fld.decl.span if fld.decl else None,
                    "mark the field that identifies an item, e.g. "
                    '`id: string key "..."`, so explanations can name items',
                    Severity.WARNING,
                )
            )
    return out


def _walk_fields(record: Type, prefix: str = "") -> Iterator[tuple[str, FactField]]:
    for name, fld in record.fields.items():
        path = f"{prefix}{name}"
        yield path, fld
        nested = fld.type.item if fld.type.kind == "list" else fld.type
        if nested is not None and nested.kind == "record":
            yield from _walk_fields(nested, path + ".")


def check_costs(std: Standard) -> list[Diagnostic]:
    """No check may cost more than the limits allow (see cost.py)."""
    out: list[Diagnostic] = []
    for c in std.clauses.values():
        if c.check is not None:
            out.extend(check_cost(c.check, f"clause `{c.id}`"))
    for kr in std.key_requirements.values():
        if kr.check is not None:
            out.extend(check_cost(kr.check, f"key requirement `{kr.id}`"))
    return out


def check_withdrawn(std: Standard) -> list[Diagnostic]:
    """A withdrawn clause is never evaluated, so it has no `check`."""
    return [
        Diagnostic(
            "aicxs_withdrawn_clause",
            f"clause `{c.id}` is withdrawn but has a `check`, which would never be evaluated",
            _attr_span(c, "check"),
            "remove the `check`: a withdrawn clause keeps its text, and is never evaluated",
        )
        for c in std.withdrawn.values()
        if c.check is not None
    ]


def check_unused(std: Standard) -> list[Diagnostic]:
    """Facts no check reads, and crosswalk references no clause in force cites: what a deleted
    or withdrawn clause leaves behind."""
    read: set[str] = set()
    checks = [c.check for c in std.clauses.values()]
    checks += [kr.check for kr in std.key_requirements.values()]
    for expr in checks:
        if expr is not None:
            read.update(fact_reads(expr))
    if std.least_scope is not None:
        scope = std.least_scope
        listed = ".".join(scope.source.parts)
        read.add(listed)
        read.update(fact_reads(scope.where, {scope.var: listed}))
    out = []
    for name, fld in _walk_fields(std.vocabulary):
        nested = fld.type.item if fld.type.kind == "list" else fld.type
        naming = "." in name and name.rsplit(".", 1)[1] in NAMING_FIELDS
        if fld.key or naming or (nested is not None and nested.kind == "record") or not fld.decl:
            continue  # keys and names name items; records are read through their fields
        if name not in read and not any(r.startswith(name + ".") for r in read):
            out.append(
                Diagnostic(
                    "aicxs_unread_fact",
                    f"no check reads the fact `{name}`",
                    fld.decl.span,
                    "read it in a clause's `check`, or remove it from the `facts` vocabulary "
                    "(organisations are asked for it for nothing)",
                    Severity.WARNING,
                )
            )
    cited = {(x.framework, x.ref) for c in std.clauses.values() for x in c.crosswalk}
    for decl in std.module.decls if std.module else ():
        if isinstance(decl, ast.FrameworkDecl) and decl.id in std.frameworks:
            for attr in decl.attrs:
                ref = str(attr.values[0]) if attr.name == "ref" and attr.values else None
                if ref is not None and (decl.id, ref) not in cited:
                    out.append(
                        Diagnostic(
                            "aicxs_uncited_reference",
                            f"no clause cites `{ref}` of framework `{decl.id}`",
                            attr.span,
                            f'cite it from a clause (`crosswalk {decl.id} "{ref}"`), or '
                            "remove the `ref` line",
                            Severity.WARNING,
                        )
                    )
    return out


def fact_reads(expr: ast.Expr, bound: dict[str, str] | None = None) -> Iterator[str]:
    """The fact paths an expression reads, dotted (`systems.escalation.max_wait` for
    `s.escalation.max_wait` inside `all s in systems`)."""
    bound = dict(bound or {})
    stack: list[tuple[ast.Expr, dict[str, str]]] = [(expr, bound)]
    while stack:
        e, env = stack.pop()
        match e:
            case ast.Path(parts):
                head = env.get(parts[0], parts[0])
                yield ".".join((head, *parts[1:]))
            case ast.Quantifier() | ast.Count():
                parts = e.source.parts
                listed = ".".join((env.get(parts[0], parts[0]), *parts[1:]))
                yield listed
                inner = {**env, e.var: listed}
                body = e.body if isinstance(e, ast.Quantifier) else None
                stack.extend((x, inner) for x in (e.where, body) if x is not None)
            case ast.Not(x) | ast.Neg(x):
                stack.append((x, env))
            case ast.And(a, b) | ast.Or(a, b) | ast.Implies(a, b):
                stack.extend(((a, env), (b, env)))
            case ast.Compare(_, a, b) | ast.Arith(_, a, b):
                stack.extend(((a, env), (b, env)))
            case ast.Call(_, args) | ast.ListLit(args):
                stack.extend((x, env) for x in args)


def check_clauses_have_checks(std: Standard) -> list[Diagnostic]:
    return [
        Diagnostic(
            "aicxs_no_check",
            f"clause `{c.id}` has no `check`: it will always be unknown",
            _header(c.span),
            "add a `check` over the facts vocabulary",
            Severity.WARNING,
        )
        for c in std.clauses.values()
        if c.check is None
    ]


def check_crosswalk_strength(std: Standard) -> list[Diagnostic]:
    """Every crosswalk reference says how its clause relates to it (NIST IR 8477): a bare
    reference lets a reader take a loose mapping for an equivalence."""
    listed = ", ".join(f"`{r}`" for r in RELATIONSHIPS)
    return [
        Diagnostic(
            "aicxs_crosswalk_no_relationship",
            f"clause `{c.id}` cites `{x.framework} {x.ref}` without saying how it relates to it",
            x.span,
            f'write one of {listed} after the reference (e.g. `"{x.ref}" related to`); add '
            '`applies to "..."` when the reference binds only some parties',
            Severity.WARNING,
        )
        for c in std.clauses.values()
        for x in c.crosswalk
        if x.relationship is None
    ]


STAGES: list[tuple[str, Stage]] = [
    ("check_levels", check_levels),
    ("resolve_refs", resolve_refs),
    ("check_titles", check_titles),
    ("check_cycles", check_cycles),
    ("check_requires_levels", check_requires_levels),
    ("check_parameters", check_parameters),
    ("check_vocabulary", check_vocabulary),
    ("check_types", check_types),
    ("check_costs", check_costs),
    ("check_clauses_have_checks", check_clauses_have_checks),
    ("check_provenance", check_provenance),
    ("check_crosswalk_strength", check_crosswalk_strength),
    ("check_withdrawn", check_withdrawn),
]


def check_standard(std: Standard, earlier: Iterable[Diagnostic] = ()) -> list[Diagnostic]:
    """Every stage's diagnostics; then, if neither they nor the `earlier` ones (of reading the
    file) hold an error, the facts and references left unused (a misspelt name reads nothing,
    a clause declared twice hides one)."""
    out = [d for _, stage in STAGES for d in stage(std)]
    if not any(d.severity is Severity.ERROR for d in [*earlier, *out]):
        out.extend(check_unused(std))
    return out


# ---- helpers --------------------------------------------------------------------------------


def constant(expr: ast.Expr | None, want: Type, out: list[Diagnostic]) -> object | None:
    """The value of a literal (parameter defaults, bounds, settings), checked against `want`."""
    value: object
    match expr:
        case ast.IntLit(v) | ast.BoolLit(v) | ast.StringLit(v) | ast.DateLit(v):
            value = v
        case ast.NumberLit(text):
            value = float(text)
        case ast.DurationLit(amount, unit):
            value = Duration.of(amount, unit)
        case ast.Neg(ast.IntLit(v)):
            value = -v
        case ast.Neg(ast.NumberLit(text)):
            value = -float(text)
        case _:
            if expr is not None:
                out.append(
                    Diagnostic(
                        "aicxs_not_constant",
                        "expected a literal value here",
                        expr.span,
                        "write a value such as `90 days` or `0.9`",
                    )
                )
            return None
    got = infer(expr, Env(Type("record"), {}, []))
    if (got is not None and not compatible(want, got)) or (want == BOOL) != (got == BOOL):
        wanted = with_article(f"`{want.describe()}`")
        found = with_article(f"`{got.describe() if got else '?'}`")
        out.append(
            Diagnostic(
                "aicxs_type_error",
                f"expected {wanted} value, not {found}",
                expr.span,
                f"write {wanted}",
            )
        )
        return None
    if want.kind == "enum" and value not in want.values:
        out.append(
            Diagnostic(
                "aicxs_unknown_enum_value",
                f"{value!r} is not a value of `{want.describe()}`",
                expr.span,
                did_you_mean(str(value), want.values),
            )
        )
        return None
    return float(value) if want.kind == "number" and isinstance(value, int) else value


def _unknown(
    kind: str, name: str, span: Span, known: Iterable[object], code: str, message: str | None = None
) -> Diagnostic:
    names = [str(k) for k in known]
    hint = did_you_mean(name, names)
    listing = ", ".join(f"`{n}`" for n in sorted(names)[:8]) + (", ..." if len(names) > 8 else "")
    return Diagnostic(
        code,
        message or f"unknown {kind} `{name}`",
        span,
        hint or (f"known {kind}s: {listing}" if names else f"declare the {kind}"),
    )


def withdrawn_clause(std: Standard, clause_id: str, span: Span, what: str, item: str) -> Diagnostic:
    """A reference to a withdrawn clause: `what` it cannot be, and the `item` to remove."""
    c = std.withdrawn[clause_id]
    when = f" in {std.id} {c.withdrawn_in}" if c.withdrawn_in else ""
    return Diagnostic(
        "aicxs_withdrawn_clause",
        f"clause `{clause_id}` was withdrawn{when} and {what}",
        span,
        f"remove the {item}: a withdrawn clause is never evaluated",
        notes=(f"withdrawn: {c.withdrawn}",),
    )


def _attr_span(item: Clause | Rule, name: str) -> Span:
    """The line of the item's `name` attribute, or its header line."""
    return item.spans.get(name) or _header(item.span)
