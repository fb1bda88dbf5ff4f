"""A `Report` → SARIF 2.1.0 (OASIS), for code-scanning dashboards and CI annotations.

One result per clause, organisation rule or key requirement that is not met, with the rule
metadata from the standard (title, normative text, level, owner, crosswalk). Levels:

    fail, error            → error    (a requirement is definitely not met, or its check broke)
    unknown                → warning  (facts are missing: a gap to close, never a pass)
    blocked                → note     (a prerequisite is not met; that one is reported itself)
    mandatory key requirement failing or unknown → error (no certification without it)
    clause above the target level → note (not required for the certification asked for)
    waived, check not met  → the level of the check's own status, with a suppression
                             (kind `external`: the waiver is in the policy; its justification)

The primary location is the facts-file line of the first fact on the failing path (for a
missing fact, its nearest present parent, e.g. the system that lacks it), else the source;
`relatedLocations` point at the `.aicx` source of the clause or rule (and the refined clause).
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.engine.model import strength
from aicxs.engine.outcome import Report, Result, Status, standard_name
from aicxs.engine.render import level_name
from aicxs.engine.reports.common import (
    Location,
    checked_status,
    each_result,
    explanation_text,
    fact_location,
    headline,
    is_problem,
    prose,
    source_location,
    tailoring,
    tool_version,
)
from aicxs.engine.values import source_text

if TYPE_CHECKING:
    from aicxs.engine.loader import CompiledPolicy
    from aicxs.engine.model import Clause, KeyRequirement, Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {
    Status.FAIL: "error",
    Status.ERROR: "error",
    Status.UNKNOWN: "warning",
    Status.BLOCKED: "note",
}
FINGERPRINT = "aicxsResult/v1"


def report_sarif(report: Report, compiled: CompiledPolicy, mode: str = "fails") -> str:
    return json_dumps(sarif_log(report, compiled, mode)) + "\n"


def sarif_log(report: Report, compiled: CompiledPolicy, mode: str = "fails") -> dict[str, Any]:
    rules = _rules(report, compiled)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [
        _result(report, compiled, r, index[r.id], mode)
        for r in each_result(report)
        if is_problem(r) and r.id in index
    ]
    version = tool_version()
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "aicxs",
                        "fullName": f"aicxs {version}: policy-as-code for "
                        + standard_name(report.standard),
                        "version": version,
                        "semanticVersion": version,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"aicxs/{report.policy['id']}/{report.as_of}"},
                "invocations": [_invocation(report)],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": _run_properties(report),
            }
        ],
    }


# ---- rules: the standard's clauses, the policy's rules, the key requirements ----------------


def _rules(report: Report, compiled: CompiledPolicy) -> list[dict[str, Any]]:
    std = compiled.standard
    out = [
        _clause_rule(report, compiled, std.clauses[c])
        for p in std.pillars.values()
        for c in p.clauses
    ]
    out += [_policy_rule(compiled, rule) for rule in compiled.policy.rules]
    out += [_key_requirement_rule(kr) for kr in std.key_requirements.values()]
    return out


def _clause_rule(report: Report, compiled: CompiledPolicy, clause: Clause) -> dict[str, Any]:
    std = compiled.standard
    krs = compiled.plan.feeds.get(clause.id, ())
    crosswalk = [
        (
            f"{x.framework} {x.ref}",
            std.frameworks[x.framework].refs.get(x.ref, "")
            if x.framework in std.frameworks
            else "",
            strength(x.relationship, x.applicability),
        )
        for x in clause.crosswalk
    ]
    role = std.roles.get(clause.owner)
    owner = f"{role.title} (`{clause.owner}`)" if role else f"`{clause.owner}`"
    level = f"{clause.level} ({level_name(report, clause.level)})"
    lines = [
        f"Expected at maturity level {level}; owner: {owner}.",
        "Evidence expected: " + "; ".join(clause.evidence) + "." if clause.evidence else "",
        "Crosswalk: "
        + "; ".join(
            f"{ref} ({title})" + (f": {how}" if how else "") for ref, title, how in crosswalk
        )
        if crosswalk
        else "",
        "Feeds the key requirements " + ", ".join(krs) + "." if krs else "",
        "Prerequisites: " + ", ".join(r for r, _ in clause.requires) + "."
        if clause.requires
        else "",
    ]
    markdown = [
        f"**{clause.id} {clause.title}** (pillar {clause.pillar} "
        f"{std.pillars[clause.pillar].title})",
        "",
        prose(clause.text),
        "",
        *(f"- {line}" for line in lines if line),
    ]
    if clause.check is not None:
        markdown += ["", "Check:", "", "```", source_text(clause.check), "```"]
    return {
        "id": clause.id,
        "name": _name(clause.title),
        "shortDescription": {"text": clause.title},
        "fullDescription": {"text": prose(clause.text)},
        "help": {"text": " ".join(line for line in lines if line), "markdown": "\n".join(markdown)},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "kind": "clause",
            "pillar": clause.pillar,
            "pillar_title": std.pillars[clause.pillar].title,
            "level": clause.level,
            "owner": clause.owner,
            "evidence_expected": list(clause.evidence),
            "key_requirements": list(krs),
            "crosswalk": [ref + (f" ({how})" if how else "") for ref, _, how in crosswalk],
            "tags": ["aicxs", clause.pillar, f"level-{clause.level}", *krs],
        },
    }


def _policy_rule(compiled: CompiledPolicy, rule: Rule) -> dict[str, Any]:
    text = prose(rule.text) or rule.title
    owner = rule.owner or compiled.standard.clauses[rule.refines].owner
    help_text = f"Organisation rule of policy `{compiled.policy.name}`; refines {rule.refines}."
    if rule.evidence:
        help_text += " Evidence expected: " + "; ".join(rule.evidence) + "."
    markdown = f"{help_text}\n\n{text}"
    if rule.check is not None:
        markdown += f"\n\nCheck:\n\n```\n{source_text(rule.check)}\n```"
    return {
        "id": rule.id,
        "name": _name(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": text},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "kind": "rule",
            "refines": rule.refines,
            "owner": owner,
            "evidence_expected": list(rule.evidence),
            "tags": ["aicxs", "organisation-rule", rule.refines],
        },
    }


def _key_requirement_rule(kr: KeyRequirement) -> dict[str, Any]:
    covers = [c for c, _ in kr.covers]
    help_text = (
        f"{'Mandatory key' if kr.mandatory else 'Key'} requirement; met when every clause it "
        f"covers is met: {', '.join(covers)}."
    )
    if kr.mandatory:
        help_text += " Certification needs it; it can never be waived."
    text = prose(kr.text) or kr.title
    return {
        "id": kr.id,
        "name": _name(kr.title),
        "shortDescription": {"text": kr.title},
        "fullDescription": {"text": text},
        "help": {"text": help_text, "markdown": f"{help_text}\n\n{text}"},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "kind": "key_requirement",
            "mandatory": kr.mandatory,
            "covers": covers,
            "tags": ["aicxs", "key-requirement", *(["mandatory"] if kr.mandatory else [])],
        },
    }


def _name(title: str) -> str:
    """`Escalation protocols` → `EscalationProtocols`: a rule name as SARIF viewers show it."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))


# ---- results --------------------------------------------------------------------------------


def _result(
    report: Report, compiled: CompiledPolicy, r: Result, rule_index: int, mode: str
) -> dict[str, Any]:
    status = checked_status(r)
    source = source_location(r)
    fact = fact_location(report.facts, r)
    primary = fact or source
    related = [_related(1, source, _what(r))]
    if r.kind == "rule" and r.trace is not None and r.trace.refines in compiled.standard.clauses:
        clause = compiled.standard.clauses[r.trace.refines]
        where = Location(clause.span.path, clause.span.line, clause.span.col)
        related.append(_related(2, where, f"clause {clause.id} that {r.id} refines"))
    out: dict[str, Any] = {
        "ruleId": r.id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": _level(report, r, status),
        "message": {"text": headline(r) + "\n\n" + explanation_text(report, r, mode)},
        "locations": [_location(primary, _where_message(r, fact))],
        "relatedLocations": related,
        "partialFingerprints": {FINGERPRINT: f"{report.policy['id']}/{r.id}"},
        "properties": _result_properties(r),
    }
    if r.status is Status.WAIVED:
        out["suppressions"] = _suppressions(report, compiled, r)
    return out


def _level(report: Report, r: Result, status: Status) -> str:
    if r.kind == "key_requirement" and r.mandatory and status is not Status.PASS:
        return "error"
    if r.level is not None and r.level > report.target_level:
        return "note"
    return LEVEL.get(status, "error")


def _what(r: Result) -> str:
    kind = {"clause": "clause", "rule": "organisation rule", "key_requirement": "key requirement"}
    return f"{kind.get(r.kind, r.kind)} {r.id} in {r.span.path}"


def _where_message(r: Result, fact: Location | None) -> str:
    if fact is None:
        return f"{r.id} is defined here"
    if fact.missing:
        return (
            f"{fact.fact} is missing; here is its nearest recorded parent "
            f"(the first fact on the failing path of {r.id})"
        )
    return f"{fact.fact}: the first fact on the failing path of {r.id}"


def _result_properties(r: Result) -> dict[str, Any]:
    props: dict[str, Any] = {"status": r.status.value}
    if r.status is Status.WAIVED:
        props["checked_status"] = checked_status(r).value
    if r.trace is not None:
        props["pillar"] = r.trace.pillar
        props["key_requirements"] = r.trace.key_requirements
    if r.blocked_by:
        props["blocked_by"] = r.blocked_by
    if r.missing:
        props["missing_facts"] = list(r.missing)
    if r.reason:
        props["reason"] = r.reason
    return props


def _suppressions(report: Report, compiled: CompiledPolicy, r: Result) -> list[dict[str, Any]]:
    for w in tailoring(compiled, report.as_of).waivers:
        if w.clause == r.id:
            return [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{w.justification} (approved by {w.approver}; "
                    f"expires {w.expires})",
                    "location": _location(w.where, f"the waiver of {w.clause}"),
                }
            ]
    return [{"kind": "external", "status": "accepted", "justification": r.reason}]


def _location(where: Location, message: str) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(where.path)},
            "region": {"startLine": where.line, "startColumn": where.column},
        },
        "message": {"text": message},
    }


def _related(ident: int, where: Location, message: str) -> dict[str, Any]:
    return {"id": ident, **_location(where, message)}


def artifact_uri(path: str) -> str:
    """A file as a SARIF URI: relative paths stay relative (to the working directory, as
    every other output names them), with `/` separators; absolute ones become `file:` URIs."""
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return urllib.parse.quote(p.as_posix(), safe="/")


# ---- the run: what was evaluated and the verdict --------------------------------------------


def _invocation(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {"executionSuccessful": True}
    if report.findings:
        out["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": finding}} for finding in report.findings
        ]
    return out


def _run_properties(report: Report) -> dict[str, Any]:
    return {
        "standard": standard_name(report.standard),
        "policy": report.policy["id"],
        "policy_source": report.policy["source"],
        "facts": report.facts.path,
        "as_of": report.as_of.isoformat(),
        "verdict": report.verdict,
        "reasons": report.reasons,
        "systems": dict(report.systems),
        "out_of_scope": list(report.out_of_scope),
        "scope": report.policy.get("scope"),
        "maturity": {
            "overall": report.overall_level,
            "target": report.target_level,
            "pillars": {p.pillar: p.level for p in report.pillars},
        },
        "missing_facts": len(report.missing_facts),
    }
