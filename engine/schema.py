"""The facts vocabulary as a JSON Schema (draft 2020-12).

Generated from the declarations of the standard and the policy, so facts files are validated
against exactly what the checks read. Absent facts are allowed (they are unknown at
evaluation); only `key` fields, which name the items of a list, are required. Unknown fields
are refused, so a misspelt fact is an error rather than a silently missing one. An empty value
(`null`) is allowed wherever a fact may be absent: the loader reads it as absent.
"""

from __future__ import annotations

from typing import Any

from aicxs.engine.types import Type

DURATION_PATTERN = r"^[0-9]{1,9} (second|minute|hour|day|week|month|year)s?$"
# A stable name, not a web address: the decision service serves each policy's facts schema at
# `/v1/policies/{id}/schema`.
SCHEMA_ID = "urn:aicxs:schemas:facts"

EVIDENCE_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Evidence for facts: which document backs a fact, who attested it, when.",
    "items": {
        "type": "object",
        "required": ["fact"],
        "additionalProperties": False,
        "properties": {
            "fact": {
                "type": "string",
                "description": "A fact path, e.g. "
                "`organisation.strategy` or `systems[web-chat].consent`",
            },
            "document": {"type": "string"},
            "url": {"type": "string"},
            "attested_by": {"type": "string"},
            "date": {"type": "string", "format": "date"},
        },
    },
}


SKIPPED_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Questions `aicxs assess` was told to skip for now (fact paths, e.g. "
    "`systems[web-chat].escalation.max_wait`): left unknown, not asked again unless "
    "`--ask-skipped`. Not facts: no check reads them.",
    "items": {"type": "string"},
}


def facts_schema(vocabulary: Type, title: str) -> dict[str, Any]:
    schema = _record(vocabulary)
    schema["properties"] = {
        **schema["properties"],
        "evidence": EVIDENCE_SCHEMA,
        "skipped": SKIPPED_SCHEMA,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": title,
        **schema,
    }


def _record(record: Type) -> dict[str, Any]:
    properties = {}
    for name, fld in record.fields.items():
        prop = _type(fld.type) if fld.key else _or_empty(_type(fld.type))
        prop["description"] = fld.question
        properties[name] = prop
    required = [name for name, fld in record.fields.items() if fld.key]
    out: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    if required:
        out["required"] = required
    return out


def _range(t: Type) -> dict[str, int | float]:
    if t.low is None or t.high is None:
        return {}
    return {"minimum": t.low, "maximum": t.high}


def _or_empty(prop: dict[str, Any]) -> dict[str, Any]:
    """A fact may be left empty (`documented:` with no value, or `null`): it is then unknown,
    like an absent one, as the facts loader reads it. Editors validating the facts template
    against this schema must accept that too. A `key` never may."""
    if "enum" in prop:
        return {**prop, "enum": [*prop["enum"], None]}
    return {**prop, "type": [prop["type"], "null"]} if "type" in prop else prop


def _type(t: Type) -> dict[str, Any]:
    match t.kind:
        case "bool":
            return {"type": "boolean"}
        case "int" | "number":
            return {"type": "integer" if t.kind == "int" else "number", **_range(t)}
        case "string":
            return {"type": "string"}
        case "date":
            return {"type": "string", "format": "date"}
        case "duration":
            return {"type": "string", "pattern": DURATION_PATTERN}
        case "enum":
            return {"enum": list(t.values)}
        case "record":
            return _record(t)
        case "list":
            return {"type": "array", "items": _type(t.item) if t.item else {}}
    return {}
