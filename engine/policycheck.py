"""A policy and its standard → diagnostics, before anything runs: the tailoring the standard
does not allow (a parameter set outside its bounds or looser than the default, an exclusion or
waiver of a mandatory requirement, an unknown clause, a clause both excluded and waived), and
rules and the scope filter that do not resolve or do not type-check.
"""

from __future__ import annotations

from collections.abc import Iterator

from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.checker import (
    _attr_span,
    _unknown,
    check_scope_filter,
    constant,
    mandatory_clauses,
    withdrawn_clause,
)
from aicxs.engine.cost import check_cost
from aicxs.engine.model import Parameter, Policy, Standard, _header
from aicxs.engine.typecheck import Env, check_condition


def check_policy(policy: Policy, std: Standard) -> list[Diagnostic]:
    """Tailoring checked against the standard, before anything runs."""
    out: list[Diagnostic] = []
    if policy.implements != std.name:
        out.append(
            Diagnostic(
                "aicxs_version_mismatch",
                f"policy `{policy.name}` implements `{policy.implements}`, but the "
                f"standard loaded is `{std.name}`",
                _header(policy.span),
                f"write `implements {std.name}`, or load the standard it names with `--spec`",
            )
        )
        return out
    if policy.target not in std.levels:
        out.append(
            _unknown(
                "level",
                str(policy.target),
                policy.target_span or policy.span,
                map(str, std.levels),
                "aicxs_unknown_level",
            )
        )
    out.extend(_check_settings(policy, std))
    out.extend(_check_tailoring(policy, std))
    env = Env(std.vocabulary, {n: p.type for n, p in std.parameters.items()}, out)
    if policy.scope is not None:
        check_scope_filter(policy.scope, env, "a `scope` filter")
        # The filter is evaluated for each item of every quantifier over its list.
        out.extend(check_cost(policy.scope.where, f"the scope of policy `{policy.name}`", depth=1))
    for rule in policy.rules:
        if rule.refines in std.withdrawn:
            out.append(
                withdrawn_clause(
                    std,
                    rule.refines,
                    _header(rule.span),
                    f"cannot be refined by `{rule.id}`",
                    "rule",
                )
            )
        elif rule.refines not in std.clauses:
            out.append(
                _unknown(
                    "clause",
                    rule.refines,
                    _header(rule.span),
                    std.clauses,
                    "aicxs_unknown_clause",
                    f"rule `{rule.id}` refines undefined clause `{rule.refines}`",
                )
            )
        if rule.id in std.clauses or rule.id in std.key_requirements:
            out.append(
                Diagnostic(
                    "aicxs_duplicate_id",
                    f"rule `{rule.id}` has the id of a requirement of the standard",
                    _header(rule.span),
                    "give organisation rules ids of their own, e.g. `ACME-1`",
                )
            )
        if rule.owner and rule.owner not in std.roles:
            out.append(
                _unknown(
                    "role", rule.owner, _attr_span(rule, "owner"), std.roles, "aicxs_unknown_role"
                )
            )
        if rule.check is not None:
            check_condition(rule.check, env)
            out.extend(check_cost(rule.check, f"rule `{rule.id}`"))
    seen: dict[str, object] = {}
    for rule in policy.rules:
        if rule.id in seen:
            out.append(
                Diagnostic(
                    "aicxs_duplicate_id",
                    f"rule `{rule.id}` is declared twice",
                    _header(rule.span),
                    "give each rule its own id",
                )
            )
        seen[rule.id] = rule
    return out


def _check_settings(policy: Policy, std: Standard) -> Iterator[Diagnostic]:
    for s in policy.settings.values():
        param = std.parameters.get(s.name)
        if param is None:
            yield _unknown("parameter", s.name, s.span, std.parameters, "aicxs_unknown_parameter")
            continue
        out: list[Diagnostic] = []
        value = constant(s.expr, param.type, out)
        yield from out
        if value is not None:
            yield from _within_bounds(s.name, value, s.span, param, out)


def _within_bounds(
    name: str, value: object, span: Span, param: Parameter, out: list[Diagnostic]
) -> Iterator[Diagnostic]:
    declared = f"`{name}` is declared at {param.span.location()}"
    default = constant(param.default, param.type, out) if param.default else None
    bounds = [constant(b, param.type, out) for b in param.bounds] if param.bounds else None
    if bounds and None not in bounds and not bounds[0] <= value <= bounds[1]:  # type: ignore[operator]
        yield Diagnostic(
            "aicxs_parameter_out_of_bounds",
            f"`{name}` = {value} is outside the bounds the standard allows "
            f"({bounds[0]} .. {bounds[1]})",
            span,
            f"choose a value from {bounds[0]} to {bounds[1]}",
            notes=(declared,),
        )
    elif (
        param.stricter
        and default is not None
        and (
            (param.stricter == "lower" and value > default)  # type: ignore[operator]
            or (param.stricter == "higher" and value < default)  # type: ignore[operator]
        )
    ):
        way = "above" if param.stricter == "lower" else "below"
        yield Diagnostic(
            "aicxs_parameter_looser",
            f"`{name}` = {value} is looser than the standard's {default}: a policy "
            f"may only make it stricter ({param.stricter})",
            span,
            f"a value {way} {default} would weaken the standard; use one at most "
            f"as {'high' if way == 'above' else 'low'} as {default}",
            notes=(declared,),
        )


def _check_tailoring(policy: Policy, std: Standard) -> Iterator[Diagnostic]:
    mandatory = mandatory_clauses(std)
    for what, items in (("exclusion", policy.exclusions), ("waiver", policy.waivers)):
        for clause_id, item in items.items():
            span = item.span
            if clause_id in std.key_requirements:
                yield Diagnostic(
                    f"aicxs_{what}_of_mandatory",
                    f"key requirement `{clause_id}` is mandatory and cannot be "
                    f"{'excluded' if what == 'exclusion' else 'waived'}",
                    span,
                    f"meet it, or record a finding; the standard allows no {what} here",
                )
            elif clause_id in std.withdrawn:
                verb = "excluded" if what == "exclusion" else "waived"
                yield withdrawn_clause(std, clause_id, span, f"cannot be {verb}", what)
            elif clause_id not in std.clauses:
                yield _unknown("clause", clause_id, span, std.clauses, "aicxs_unknown_clause")
            elif clause_id in mandatory:
                yield Diagnostic(
                    f"aicxs_{what}_of_mandatory",
                    f"clause `{clause_id}` realises mandatory key requirement "
                    f"`{mandatory[clause_id]}` and cannot be "
                    f"{'excluded' if what == 'exclusion' else 'waived'}",
                    span,
                    f"only clauses outside the mandatory key requirements may "
                    f"be {'excluded' if what == 'exclusion' else 'waived'}",
                )
    for clause_id in sorted(set(policy.exclusions) & set(policy.waivers)):
        yield Diagnostic(
            "aicxs_conflicting_tailoring",
            f"clause `{clause_id}` is both excluded and waived",
            policy.waivers[clause_id].span,
            "an excluded clause needs no waiver: remove one of the two",
        )
