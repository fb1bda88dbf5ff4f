"""The standard → an OSCAL 1.1.3 catalog, and what both OSCAL documents share (the version,
props in our namespace, code blocks); a `Report` as assessment results is `oscal_results.py`.

Pillars are groups, clauses are controls (statement, the machine check as a TEST assessment
method, the evidence expected as EXAMINE assessment objects), parameters are catalog `params`,
the crosswalk is `links` to back-matter resources, key requirements a group of their own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.model import strength
from aicxs.engine.reports.common import prose, stable_uuid, timestamp
from aicxs.engine.values import source_text

if TYPE_CHECKING:
    from aicxs.engine.model import (
        Clause,
        CrosswalkRef,
        KeyRequirement,
        Parameter,
        Pillar,
        Standard,
    )

OSCAL_VERSION = "1.1.3"
# The namespace of every prop OSCAL does not define. A name, never fetched; left as it was (a
# URN would do, but OSCAL tools such as compliance-trestle take only `scheme://host` URLs, and
# consumers filter props by it).
NS = "https://aicxs.example/ns/oscal"
KR_GROUP = "KR"


def _dumps(doc: dict[str, Any]) -> str:
    return json_dumps(doc) + "\n"


def _prop(name: str, value: object, cls: str = "", remarks: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "ns": NS, "value": " ".join(str(value).split())}
    if cls:
        out["class"] = cls
    if remarks:
        out["remarks"] = remarks
    return out


def _code(text: str) -> str:
    """Text as a Markdown code block, fenced longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


# ---- the standard as a catalog --------------------------------------------------------------


def oscal_catalog(std: Standard, as_of: dt.date) -> str:
    return _dumps(catalog(std, as_of))


def catalog(std: Standard, as_of: dt.date) -> dict[str, Any]:
    """Parameters give their default value and bounds (as a constraint); the crosswalk is also
    props, prerequisites are `required` links; levels, stages and roles are metadata."""
    feeds: dict[str, list[str]] = {}
    for kr in std.key_requirements.values():
        for clause_id, _ in kr.covers:
            feeds.setdefault(clause_id, []).append(kr.id)
    groups = [_pillar_group(std, p, feeds) for p in std.pillars.values()]
    if std.key_requirements:
        groups.append(_key_requirement_group(std))
    return {
        "catalog": {
            "uuid": stable_uuid("catalog", std.id, std.version_text),
            "metadata": _catalog_metadata(std, as_of),
            "params": [_param(p) for p in std.parameters.values()],
            "groups": groups,
            "back-matter": {"resources": _crosswalk_resources(std)},
        }
    }


def _catalog_metadata(std: Standard, as_of: dt.date) -> dict[str, Any]:
    props = [
        _prop("maturity-level", n, remarks=f"{lv.name}: {lv.text}") for n, lv in std.levels.items()
    ]
    props += [
        _prop("certification-stage", stage.title, remarks=f"Stage {stage.number}: {stage.text}")
        for stage in std.stages
    ]
    remarks = [prose(std.text)] + [f"Erratum: {prose(e)}" for e in std.errata]
    out: dict[str, Any] = {
        "title": f"{std.title} ({std.name})",
        "last-modified": timestamp(as_of),
        "version": std.version_text,
        "oscal-version": OSCAL_VERSION,
    }
    if props:
        out["props"] = props
    if std.roles:
        out["roles"] = [
            {"id": r.name, "title": r.title, **({"description": r.text} if r.text else {})}
            for r in std.roles.values()
        ]
    out["remarks"] = "\n\n".join(r for r in remarks if r)
    return out


def _param(p: Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.name,
        "props": [_prop("type", p.type.kind)],
        "label": p.name.replace("_", " "),
        "usage": p.text,
    }
    if p.stricter:
        out["props"].append(_prop("stricter", p.stricter))
    if p.provenance.source:
        out["props"].append(_prop("source", p.provenance.source))
    if p.provenance.rationale:
        out["guidelines"] = [{"prose": prose(p.provenance.rationale)}]
    if p.default is not None:
        out["values"] = [source_text(p.default)]
    if p.bounds is not None:
        lo, hi = (source_text(b) for b in p.bounds)
        way = {"lower": "lower", "higher": "higher"}.get(p.stricter or "", "")
        rule = f"; a policy may only set {with_article(way)} value than the default" if way else ""
        out["constraints"] = [
            {
                "description": f"Between {lo} and {hi}{rule}.",
                "tests": [{"expression": f"{lo} <= {p.name} <= {hi}"}],
            }
        ]
    return out


def _pillar_group(std: Standard, pillar: Pillar, feeds: dict[str, list[str]]) -> dict[str, Any]:
    parts = []
    if pillar.text:
        parts.append({"id": f"{pillar.id}_ovw", "name": "overview", "prose": prose(pillar.text)})
    for i, erratum in enumerate(pillar.errata, 1):
        parts.append(
            {"id": f"{pillar.id}_erratum-{i}", "name": "erratum", "ns": NS, "prose": prose(erratum)}
        )
    out: dict[str, Any] = {
        "id": pillar.id,
        "class": "pillar",
        "title": pillar.title,
        "props": [{"name": "label", "value": pillar.id}],
    }
    if parts:
        out["parts"] = parts
    clauses = [std.clauses[c] for c in pillar.clauses]
    clauses += [c for c in std.withdrawn.values() if c.pillar == pillar.id]
    clauses.sort(key=lambda c: c.span.start)  # as written: a withdrawn clause keeps its place
    out["controls"] = [_control(std, c, feeds.get(c.id, [])) for c in clauses]
    return out


def _withdrawn_control(std: Standard, clause: Clause) -> dict[str, Any]:
    """A withdrawn clause: OSCAL's `status: withdrawn`, the reason, the statement it had."""
    when = f" in {std.id} {clause.withdrawn_in}" if clause.withdrawn_in else ""
    return {
        "id": clause.id,
        "class": "clause",
        "title": clause.title,
        "props": [
            {"name": "label", "value": clause.id},
            {
                "name": "status",
                "value": "withdrawn",
                "remarks": f"Withdrawn{when}: {clause.withdrawn}",
            },
        ],
        "parts": [{"id": f"{clause.id}_smt", "name": "statement", "prose": prose(clause.text)}],
    }


def _control(std: Standard, clause: Clause, krs: list[str]) -> dict[str, Any]:
    if clause.withdrawn is not None:
        return _withdrawn_control(std, clause)
    props = [
        {"name": "label", "value": clause.id},
        _prop("maturity-level", clause.level),
        _prop("owner", clause.owner),
        *(_prop("key-requirement", kr) for kr in krs),
        *(p for i, x in enumerate(clause.crosswalk, 1) for p in _crosswalk_props(x, i)),
        *([_prop("source", clause.provenance.source)] if clause.provenance.source else []),
    ]
    links = [
        {
            "href": f"#{stable_uuid('crosswalk', x.framework, x.ref)}",
            "rel": "reference",
            "text": f"{x.framework} {x.ref}"
            + (f" ({how})" if (how := strength(x.relationship, x.applicability)) else ""),
        }
        for x in clause.crosswalk
    ]
    links += [{"href": f"#{req}", "rel": "required"} for req, _ in clause.requires]
    parts: list[dict[str, Any]] = [
        {"id": f"{clause.id}_smt", "name": "statement", "prose": _with_params(std, clause.text)}
    ]
    if clause.provenance.interpretation:
        why = " ".join(clause.provenance.rationale.split())
        level = " ".join(clause.level_because.split())
        parts.append(
            {
                "id": f"{clause.id}_interpretation",
                "name": "interpretation",
                "ns": NS,
                "prose": why + (f"\n\nExpected at level {clause.level}: {level}." if level else ""),
            }
        )
    if clause.check is not None:
        parts.append(
            {
                "id": f"{clause.id}_asm-test",
                "name": "assessment-method",
                "props": [_prop("method", "TEST")],
                "prose": "Evaluated by aicxs over the organisation's facts:\n\n"
                + _code(source_text(clause.check)),
            }
        )
    if clause.evidence:
        parts.append(
            {
                "id": f"{clause.id}_asm-examine",
                "name": "assessment-method",
                "props": [_prop("method", "EXAMINE")],
                "parts": [
                    {
                        "id": f"{clause.id}_asm-examine_obj",
                        "name": "assessment-objects",
                        "prose": "\n".join(f"- {e}" for e in clause.evidence),
                    }
                ],
            }
        )
    out: dict[str, Any] = {
        "id": clause.id,
        "class": "clause",
        "title": clause.title,
        "props": props,
    }
    if links:
        out["links"] = links
    out["parts"] = parts
    return out


def _crosswalk_props(x: CrosswalkRef, n: int) -> list[dict[str, Any]]:
    """A crosswalk reference as props sharing a `group` (OSCAL's way to tie props together):
    the reference (its framework as `class`), its NIST IR 8477 relationship and whom it binds.
    A link cannot carry props, and `rel` is a token (no spaces), so the strength is here."""
    group = {"group": f"crosswalk-{n}"}
    out = [_prop("crosswalk", x.ref, cls=x.framework) | group]
    if x.relationship:
        out.append(_prop("crosswalk-relationship", x.relationship, cls=x.framework) | group)
    if x.applicability:
        out.append(_prop("crosswalk-applicability", x.applicability, cls=x.framework) | group)
    return out


def _with_params(std: Standard, text: str) -> str:
    """`max_human_wait` in a clause's text → OSCAL's `{{ insert: param, max_human_wait }}`."""

    def insert(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"{{{{ insert: param, {name} }}}}" if name in std.parameters else m.group(0)

    return re.sub(r"`([A-Za-z_][A-Za-z0-9_]*)`", insert, prose(text))


def _key_requirement_group(std: Standard) -> dict[str, Any]:
    return {
        "id": KR_GROUP,
        "class": "key-requirements",
        "title": "Key requirements",
        "controls": [_key_requirement(kr) for kr in std.key_requirements.values()],
    }


def _key_requirement(kr: KeyRequirement) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": kr.id,
        "class": "key-requirement",
        "title": kr.title,
        "props": [{"name": "label", "value": kr.id}, _prop("mandatory", str(kr.mandatory).lower())],
    }
    if kr.covers:
        out["links"] = [{"href": f"#{c}", "rel": "related"} for c, _ in kr.covers]
    out["parts"] = [
        {"id": f"{kr.id}_smt", "name": "statement", "prose": prose(kr.text) or kr.title}
    ]
    return out


def _crosswalk_resources(std: Standard) -> list[dict[str, Any]]:
    return [
        {
            "uuid": stable_uuid("crosswalk", fw.id, ref),
            "title": f"{fw.id} {ref}" + (f": {title}" if title else ""),
            "props": [_prop("framework", fw.id, remarks=fw.title)],
            "citation": {"text": f"{fw.title}, {ref}" + (f" ({title})" if title else "")},
        }
        for fw in std.frameworks.values()
        for ref, title in fw.refs.items()
    ]
