"""A `Report` → an OSCAL 1.1.3 assessment-results document: one `result` with a finding per
clause in scope and per key requirement (`satisfied` / `not-satisfied`, the aicxs status as a
prop), an observation per evaluated result (explanation, cited evidence, deciding systems), the
tailoring as `reviewed-controls`, and each waiver as a risk. Every uuid is a uuid5 of stable
names and every time midnight UTC of `as_of`, so the same inputs give the same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aicxs.aicxs_dsl.words import count, verb
from aicxs.engine.links import allowed_link
from aicxs.engine.outcome import Report, Result, Status
from aicxs.engine.provenance import provenance
from aicxs.engine.render import evidence_text
from aicxs.engine.reports.common import (
    checked_status,
    deciding_items,
    each_result,
    explanation_text,
    fact_location,
    headline,
    prose,
    stable_uuid,
    tailoring,
    timestamp,
    tool_version,
)
from aicxs.engine.reports.oscal import OSCAL_VERSION, _code, _dumps, _prop
from aicxs.engine.reports.sarif import artifact_uri

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy

STATE = {Status.PASS: ("satisfied", "pass"), Status.FAIL: ("not-satisfied", "fail")}


# ---- a report as assessment results ---------------------------------------------------------


def assessment_results(report: Report, compiled: CompiledPolicy, mode: str = "fails") -> str:
    return _dumps(assessment_results_data(report, compiled, mode))


def assessment_results_data(
    report: Report, compiled: CompiledPolicy, mode: str = "fails"
) -> dict[str, Any]:
    """Unknown, error and blocked are `not-satisfied` with reason `other`. Exclusions are
    `exclude-controls`, settings and waivers props of `reviewed-controls`; a waiver's risk is
    `deviation-approved` while valid, `open` once expired. A waived clause's finding states what
    its check found; the approved deviation is its related risk."""
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
            "back-matter": {"resources": _inputs(report, compiled, uid)},
        }
    }


def _inputs(report: Report, compiled: CompiledPolicy, uid: Any) -> list[dict[str, Any]]:
    """The provenance: each file evaluated, as a resource with its SHA-256."""
    made = report.provenance or provenance(compiled, report.facts)
    described = {"text": "its text (UTF-8, LF line ends)", "data": "its data as canonical JSON"}
    return [
        {
            "uuid": uid("input", role),
            "title": f"The {role} evaluated: {i.file}",
            "description": f"Evaluated by {made.tool} {made.version}; the hash is of "
            f"{described[i.of]}.",
            "props": [_prop("input", role)],
            "rlinks": [
                {
                    "href": artifact_uri(i.file),
                    "hashes": [{"algorithm": "SHA-256", "value": i.sha256}],
                }
            ],
        }
        for role, i in made.inputs()
    ]


def _verdict_text(report: Report) -> str:
    word = report.verdict.replace("_", " ")
    lines = [
        f"Verdict: **{word}** (maturity level {report.overall_level}, target "
        f"{report.target_level}), evaluated on {report.as_of} over `{report.facts.path}`."
    ]
    lines += [""] + [f"- {reason}" for reason in report.reasons] if report.reasons else []
    if report.missing_facts:
        n = len(report.missing_facts)
        lines += ["", f"{count(n, 'fact')} {verb(n, 'is', 'are')} missing."]
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
        if isinstance(url, str) and allowed_link(url):  # never `javascript:` (engine/links.py)
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
        status["remarks"] = f"undetermined: {count(len(r.missing), 'fact')} missing"
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
