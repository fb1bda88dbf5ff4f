"""What the language server shows on hover, as Markdown: a clause's title, text, level, owner,
key requirements and crosswalk; a key requirement's clauses; a parameter's value in this
policy with the standard's default and bounds; a fact's question and type; a role, a pillar,
a framework, an organisation rule. Text from the files is escaped for Markdown readers.
"""

from __future__ import annotations

import re

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.words import count
from aicxs.engine.authoring.docs import oneline
from aicxs.engine.authoring.lsp_analysis import Analysis
from aicxs.engine.authoring.lsp_index import FACT, ID, PARAMETER, ROLE
from aicxs.engine.model import Clause, KeyRequirement, Parameter, Policy, Standard, strength
from aicxs.engine.types import UNIT_LENGTHS, FactField, Type, length_note

_MARKUP = re.compile(r"[\\*_\[\]<>#|~]")


def hover_markdown(kind: str, name: str, a: Analysis) -> str | None:
    """The hover text for a name of `kind` in the document `a`, or None if it names nothing."""
    std = a.standard
    if kind == FACT:
        found = fact_field(a.vocabulary, name)
        return _fact(name, found) if found else None
    if std is None:
        return None
    if kind == PARAMETER and name in std.parameters:
        return _parameter(std.parameters[name], a.policy)
    if kind == ROLE and name in std.roles:
        role = std.roles[name]
        owned = sorted(c.id for c in std.clauses.values() if c.owner == name)
        return _lines(
            f"**{_md(role.title)}** (role `{name}`)",
            _md(role.text),
            f"Owns {count(len(owned), 'clause')}: " + ", ".join(owned),
        )
    if kind == ID:
        return _id(name, std, a.policy)
    return None


def _id(name: str, std: Standard, policy: Policy | None) -> str | None:
    if name in std.clauses:
        return _clause(std.clauses[name], std, policy)
    if name in std.key_requirements:
        return _key_requirement(std.key_requirements[name], std)
    if name in std.pillars:
        p = std.pillars[name]
        return _lines(
            f"**{name} {_md(p.title)}** (pillar of {std.name})",
            _md(p.text),
            "Clauses: " + ", ".join(f"{c} {_md(std.clauses[c].title)}" for c in p.clauses),
            *(f"Erratum: {_md(e)}" for e in p.errata),
        )
    if name in std.frameworks:
        fw = std.frameworks[name]
        return _lines(
            f"**{name}**: {_md(fw.title)}",
            f"{count(len(fw.refs), 'reference')} cited by clauses",
        )
    if name == std.id:
        return _lines(f"**{std.name}**: {_md(std.title)}", _md(std.text))
    for rule in policy.rules if policy else []:
        if rule.id == name:
            return _lines(
                f"**{name} {_md(rule.title)}** (organisation rule of policy `{policy.name}`)"
                if policy
                else "",
                f"Refines {rule.refines}"
                + (
                    f" {_md(std.clauses[rule.refines].title)}"
                    if rule.refines in std.clauses
                    else ""
                ),
                _md(rule.text),
            )
    return None


def _clause(c: Clause, std: Standard, policy: Policy | None) -> str:
    level = std.levels.get(c.level)
    role = std.roles.get(c.owner)
    pillar = std.pillars.get(c.pillar)
    krs = [kr for kr in std.key_requirements.values() if any(cid == c.id for cid, _ in kr.covers)]
    crosswalk = []
    for x in c.crosswalk:
        fw = std.frameworks.get(x.framework)
        title = fw.refs.get(x.ref, "") if fw is not None else ""
        detail = strength(x.relationship, x.applicability)
        crosswalk.append(
            f"{x.framework} {_md(x.ref)}"
            + (f" ({_md(title)})" if title else "")
            + (f": {_md(detail)}" if detail else "")
        )
    return _lines(
        f"**{c.id} {_md(c.title)}**"
        + (f" (pillar {c.pillar} {_md(pillar.title)})" if pillar else ""),
        f"Level {c.level}"
        + (f" ({_md(level.name)})" if level else "")
        + " · owner "
        + (f"{_md(role.title)} (`{c.owner}`)" if role else f"`{c.owner}`"),
        _md(c.text),
        "Key requirements: "
        + "; ".join(
            f"{kr.id} {_md(kr.title)}" + (" (mandatory)" if kr.mandatory else "") for kr in krs
        )
        if krs
        else "",
        "Crosswalk: " + "; ".join(crosswalk) if crosswalk else "",
        "Requires: " + ", ".join(r for r, _ in c.requires) if c.requires else "",
        "Evidence: " + "; ".join(_md(e) for e in c.evidence) if c.evidence else "",
        _in_policy(c.id, policy),
    )


def _in_policy(clause: str, policy: Policy | None) -> str:
    if policy is None:
        return ""
    said = [f"refined by {r.id}" for r in policy.rules if r.refines == clause]
    if clause in policy.exclusions:
        said.append(f"excluded: {_md(policy.exclusions[clause].justification)}")
    if clause in policy.waivers:
        w = policy.waivers[clause]
        said.append(f"waived until {w.expires}: {_md(w.justification)}")
    return f"In policy `{policy.name}`: " + "; ".join(said) if said else ""


def _key_requirement(kr: KeyRequirement, std: Standard) -> str:
    covers = [
        f"{cid} {_md(std.clauses[cid].title)}" if cid in std.clauses else cid
        for cid, _ in kr.covers
    ]
    return _lines(
        f"**{kr.id} {_md(kr.title)}**"
        + (" (mandatory: certification needs it; never waived)" if kr.mandatory else ""),
        _md(kr.text),
        "Covers: " + "; ".join(covers) if covers else "",
    )


def _parameter(p: Parameter, policy: Policy | None) -> str:
    setting = policy.settings.get(p.name) if policy else None
    bounds = f"{_code(p.bounds[0])} .. {_code(p.bounds[1])}" if p.bounds else "none"
    way = {"lower": "a policy may only lower it", "higher": "a policy may only raise it"}
    return _lines(
        f"**parameter `{p.name}`**: {p.type.describe()}",
        _md(p.text),
        f"In policy `{policy.name}`: `{_code(setting.expr)}`" if policy and setting else "",
        f"In policy `{policy.name}`: the standard's default" if policy and not setting else "",
        f"Default: `{_code(p.default)}` · bounds: `{bounds}`"
        + (f" · stricter {p.stricter} ({way.get(p.stricter, '')})" if p.stricter else ""),
        f"Durations: {UNIT_LENGTHS}." if length_note(p.default) else "",
    )


def _fact(path: str, f: FactField) -> str:
    flags = [w for w, on in (("key", f.key), ("optional", f.optional)) if on]
    origin = "" if f.origin == "standard" else f" · declared by policy `{f.origin}`"
    return _lines(
        f"**fact `{path}`**: {f.type.describe()}" + (f" ({', '.join(flags)})" if flags else ""),
        _md(f.question) + origin,
    )


def fact_field(vocabulary: Type, path: str) -> FactField | None:
    """The declared fact at a full path such as `systems.escalation.max_wait`."""
    current: Type | None = vocabulary
    found: FactField | None = None
    for part in path.split("."):
        if current is None:
            return None
        if current.kind == "list" and current.item is not None:
            current = current.item
        found = current.fields.get(part)
        if found is None:
            return None
        current = found.type
    return found


def _code(e: ast.Expr | None) -> str:
    return oneline(e.span.text()).replace("`", "'") if e is not None else ""


def _md(text: str) -> str:
    """Text from a file for Markdown: on one line, what Markdown would read as markup escaped
    outside `code` spans (which the standard uses for names)."""
    parts = oneline(text).split("`")
    for i in range(0, len(parts), 2):
        parts[i] = _MARKUP.sub(r"\\\g<0>", parts[i])
    return "`".join(parts)


def _lines(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)
