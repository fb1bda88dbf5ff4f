"""The standard → an OSCAL 1.1.3 catalog; a `Report` → an OSCAL 1.1.3 assessment-results document.

Catalog: pillars are groups, clauses are controls (statement, the machine check as a TEST
assessment method, the evidence expected as EXAMINE assessment objects), parameters are
catalog `params` (default value, bounds as a constraint), the crosswalk is `links` to
back-matter resources (and props), prerequisites are `required` links, the key requirements a
group of their own; the maturity levels, certification stages and roles are metadata.

Assessment results: one `result` holding a finding per clause in scope and per key requirement
(target status `satisfied` / `not-satisfied`, with the aicxs status as a prop; unknown, error
and blocked are `not-satisfied` with reason `other`), one observation per evaluated result (its
explanation, cited evidence, the systems that decided it), the policy's tailoring as
`reviewed-controls` (exclusions as `exclude-controls`, parameter settings and waivers as props),
and each waiver as a risk (`deviation-approved` while valid, `open` once expired). A waived
clause's finding states what its check found; the approved deviation is its related risk.
Every uuid is a uuid5 of stable names and every time is midnight UTC of `as_of`, so the same
inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

from aicxs.engine.outcome import Report, Result, Status
from aicxs.engine.reports.common import (
    checked_status,
    deciding_items,
    each_result,
    evidence_text,
    explanation_text,
    fact_location,
    headline,
    prose,
    stable_uuid,
    tailoring,
    timestamp,
    tool_version,
)
from aicxs.engine.reports.sarif import artifact_uri
from aicxs.engine.values import source_text

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy
    from aicxs.engine.model import Clause, KeyRequirement, Parameter, Pillar, Standard

OSCAL_VERSION = "1.1.3"
NS = "https://aicxs.example/ns/oscal"  # the namespace of every prop OSCAL does not define
STATE = {Status.PASS: ("satisfied", "pass"), Status.FAIL: ("not-satisfied", "fail")}
KR_GROUP = "KR"


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


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
    feeds: dict[str, list[str]] = {}
    for kr in std.key_requirements.values():
        for clause_id, _ in kr.covers:
            feeds.setdefault(clause_id, []).append(kr.id)
    groups = [_pillar_group(std, p, feeds) for p in std.pillars.values()]
    if std.key_requirements:
        groups.append(_key_requirement_group(std))
    return {
        "catalog": {
            "uuid": stable_uuid("catalog", std.id, str(std.version)),
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
        "version": str(std.version),
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
    if p.default is not None:
        out["values"] = [source_text(p.default)]
    if p.bounds is not None:
        lo, hi = (source_text(b) for b in p.bounds)
        way = {"lower": "lower", "higher": "higher"}.get(p.stricter or "", "")
        rule = f"; a policy may only set a {way} value than the default" if way else ""
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
    out["controls"] = [_control(std, std.clauses[c], feeds.get(c, [])) for c in pillar.clauses]
    return out


def _control(std: Standard, clause: Clause, krs: list[str]) -> dict[str, Any]:
    props = [
        {"name": "label", "value": clause.id},
        _prop("maturity-level", clause.level),
        _prop("owner", clause.owner),
        *(_prop("key-requirement", kr) for kr in krs),
        *(_prop("crosswalk", ref, cls=fw) for fw, ref, _ in clause.crosswalk),
    ]
    links = [
        {"href": f"#{stable_uuid('crosswalk', fw, ref)}", "rel": "reference", "text": f"{fw} {ref}"}
        for fw, ref, _ in clause.crosswalk
    ]
    links += [{"href": f"#{req}", "rel": "required"} for req, _ in clause.requires]
    parts: list[dict[str, Any]] = [
        {"id": f"{clause.id}_smt", "name": "statement", "prose": _with_params(std, clause.text)}
    ]
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


# ---- a report as assessment results ---------------------------------------------------------


def assessment_results(report: Report, compiled: CompiledPolicy, mode: str = "fails") -> str:
    return _dumps(assessment_results_data(report, compiled, mode))


def assessment_results_data(
    report: Report, compiled: CompiledPolicy, mode: str = "fails"
) -> dict[str, Any]:
    run = (report.policy["id"], report.facts.path, report.as_of.isoformat())

    def uid(*names: str) -> str:
        return stable_uuid("assessment-results", *run, *names)

    std, policy = compiled.standard, compiled.policy
    systems = _systems(report, uid)
    evaluated = [r for r in each_result(report) if r.status is not Status.NOT_APPLICABLE]
    observations = [_observation(report, r, uid, systems, mode) for r in evaluated]
    risks = _risks(report, compiled, uid)
    findings = [
        _finding(report, r, uid, risks)
        for r in report.results
        if r.status is not Status.NOT_APPLICABLE
    ]
    result: dict[str, Any] = {
        "uuid": uid("result"),
        "title": f"{std.name} assessment of {policy.title}",
        "description": _verdict_text(report),
        "start": timestamp(report.as_of),
        "end": timestamp(report.as_of),
        "props": [
            _prop("verdict", report.verdict),
            _prop("maturity-level", report.overall_level),
            _prop("target-level", report.target_level),
            *(_prop("pillar-level", p.level, cls=p.pillar) for p in report.pillars),
        ],
    }
    if systems:
        result["local-definitions"] = {"inventory-items": [item for item, _ in systems.values()]}
    result["reviewed-controls"] = _reviewed_controls(report, compiled)
    if observations:
        result["observations"] = observations
    if risks:
        result["risks"] = [risk for risk, _ in risks.values()]
    if findings:
        result["findings"] = findings
    return {
        "assessment-results": {
            "uuid": uid(),
            "metadata": {
                "title": f"{std.name} assessment of {policy.title} (policy {policy.name})",
                "last-modified": timestamp(report.as_of),
                "version": report.as_of.isoformat(),
                "oscal-version": OSCAL_VERSION,
                "props": [
                    _prop("standard", std.name),
                    _prop("policy", policy.name),
                    _prop("facts", report.facts.path),
                    _prop("tool", f"aicxs {tool_version()}"),
                ],
            },
            "import-ap": {
                "href": artifact_uri(report.policy["source"]),
                "remarks": "The policy is the assessment plan: it selects the standard's "
                "controls, tailors them, and is evaluated over the facts named in the metadata.",
            },
            "results": [result],
        }
    }


def _verdict_text(report: Report) -> str:
    word = report.verdict.replace("_", " ")
    lines = [
        f"Verdict: **{word}** (maturity level {report.overall_level}, target "
        f"{report.target_level}), evaluated on {report.as_of} over `{report.facts.path}`."
    ]
    lines += [""] + [f"- {reason}" for reason in report.reasons] if report.reasons else []
    if report.missing_facts:
        lines += ["", f"{len(report.missing_facts)} facts are missing."]
    return "\n".join(lines)


def _systems(report: Report, uid: Any) -> dict[str, tuple[dict[str, Any], str]]:
    """Each AI system of the facts as an inventory item: id → (item, its uuid)."""
    out: dict[str, tuple[dict[str, Any], str]] = {}
    listed = report.facts.data.get("systems")
    for system in listed if isinstance(listed, list) else []:
        if not isinstance(system, dict) or not isinstance(system.get("id"), str):
            continue
        ident = system["id"]
        name = system.get("name")
        item_uuid = uid("system", ident)
        item = {
            "uuid": item_uuid,
            "description": f"{ident}: {name}" if isinstance(name, str) and name else ident,
            "props": [_prop("system-id", ident)],
        }
        out.setdefault(ident, (item, item_uuid))
    return out


def _reviewed_controls(report: Report, compiled: CompiledPolicy) -> dict[str, Any]:
    policy = compiled.policy
    t = tailoring(compiled, report.as_of)
    selection: dict[str, Any] = {
        "description": f"Every control of {compiled.standard.name} less the policy's exclusions.",
        "include-all": {},
    }
    if t.exclusions:
        selection["props"] = [
            _prop("exclusion", ex.clause, remarks=ex.justification) for ex in t.exclusions
        ]
        selection["exclude-controls"] = [{"control-id": ex.clause} for ex in t.exclusions]
    props = [
        _prop("target-level", policy.target),
        *(
            _prop(
                "parameter-setting",
                f"{s.name} = {s.value}",
                remarks=f"standard default: {s.default}",
            )
            for s in t.settings
        ),
        *(
            _prop(
                "waiver",
                w.clause,
                cls="valid" if w.valid else "expired",
                remarks=f"{'Valid' if w.valid else 'Expired'} until {w.expires}, approved by "
                f"{w.approver}: {w.justification}",
            )
            for w in t.waivers
        ),
    ]
    out: dict[str, Any] = {
        "description": f"The controls of {compiled.standard.name} as tailored by policy "
        f"`{policy.name}` ({policy.span.path}).",
        "props": props,
        "control-selections": [selection],
    }
    if policy.text:
        out["remarks"] = prose(policy.text)
    return out


def _observation(
    report: Report,
    r: Result,
    uid: Any,
    systems: dict[str, tuple[dict[str, Any], str]],
    mode: str,
) -> dict[str, Any]:
    props = [_prop("status", r.status.value)]
    if r.kind == "rule" and r.trace is not None and r.trace.refines:
        props.append(_prop("refines", r.trace.refines))
    out: dict[str, Any] = {
        "uuid": uid("observation", r.id),
        "title": f"{r.id} {r.title}",
        "description": headline(r) + "\n\n" + _code(explanation_text(report, r, mode)),
        "props": props,
        "methods": ["TEST"],
    }
    subjects = [
        {"subject-uuid": systems[name][1], "type": "inventory-item", "title": name}
        for name in deciding_items(r.node)
        if name in systems
    ]
    if subjects:
        out["subjects"] = subjects
    evidence = _evidence(report, r)
    if evidence:
        out["relevant-evidence"] = evidence
    out["collected"] = timestamp(report.as_of)
    if r.missing:
        out["remarks"] = "Missing facts: " + ", ".join(f"`{m}`" for m in r.missing)
    return out


def _evidence(report: Report, r: Result) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    where = fact_location(report.facts, r)
    if where is not None:
        state = "missing; its nearest recorded parent" if where.missing else "recorded"
        out.append(
            {
                "href": artifact_uri(where.path),
                "description": f"`{where.fact}` ({state} at {where.path}:{where.line}): the "
                "first fact on the failing path",
            }
        )
    for ev in r.evidence:
        item: dict[str, Any] = {}
        url = ev.get("url")
        if isinstance(url, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", url):
            item["href"] = url
        item["description"] = evidence_text(ev)
        out.append(item)
    return out


def _risks(
    report: Report, compiled: CompiledPolicy, uid: Any
) -> dict[str, tuple[dict[str, Any], str]]:
    """Each waiver as a risk: clause → (risk, its uuid)."""
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for w in tailoring(compiled, report.as_of).waivers:
        risk_uuid = uid("risk", w.clause)
        state = "approved until" if w.valid else "expired on"
        out[w.clause] = (
            {
                "uuid": risk_uuid,
                "title": f"Waiver of {w.clause} {w.title}",
                "description": w.justification,
                "statement": f"{w.clause} is waived by policy `{compiled.policy.name}`: the "
                f"deviation is {state} {w.expires} ({w.approver}).",
                "props": [
                    _prop("approver", w.approver),
                    _prop("waiver-state", "valid" if w.valid else "expired"),
                ],
                "status": "deviation-approved" if w.valid else "open",
                "deadline": timestamp(w.expires),
                "related-observations": [{"observation-uuid": uid("observation", w.clause)}],
            },
            risk_uuid,
        )
    return out


def _finding(
    report: Report, r: Result, uid: Any, risks: dict[str, tuple[dict[str, Any], str]]
) -> dict[str, Any]:
    state, reason = STATE.get(checked_status(r), ("not-satisfied", "other"))
    if r.status is Status.BLOCKED:
        state, reason = "not-satisfied", "other"
    status: dict[str, Any] = {"state": state, "reason": reason}
    if r.reason:
        status["remarks"] = r.reason
    elif r.missing:
        status["remarks"] = f"undetermined: {len(r.missing)} facts missing"
    related = [r.id, *(sub.id for sub in r.rules if sub.status is not Status.NOT_APPLICABLE)]
    out: dict[str, Any] = {
        "uuid": uid("finding", r.id),
        "title": f"{r.id} {r.title}",
        "description": headline(r),
        "props": [_prop("status", r.status.value)],
        "target": {"type": "statement-id", "target-id": f"{r.id}_smt", "status": status},
        "related-observations": [{"observation-uuid": uid("observation", i)} for i in related],
    }
    if r.id in risks:
        out["related-risks"] = [{"risk-uuid": risks[r.id][1]}]
    return out
