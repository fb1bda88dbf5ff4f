"""The schemas of the decision service's OpenAPI document (openapi.py): its requests, problems,
listings and health, and the report's JSON Schema as component schemas.

The report is not restated: its JSON Schema (`report-schema.json`, the one `aicxs check
--format json` follows) is embedded, its `$defs` moved under `components/schemas` as `Report*`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# A problem's `type` is a reference relative to the service (RFC 9457 3.1.1), to the page the
# service itself serves about it: stable as a string, and it resolves wherever the service runs.
PROBLEM_TYPES = "/problems/"
JSON = "application/json"
PROBLEM = "application/problem+json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def report_schemas() -> dict[str, Any]:
    """The report schema and its definitions, as OpenAPI component schemas."""
    text = resources.files("aicxs.engine").joinpath("report-schema.json").read_text("utf-8")
    names = {d: "Report" + d.capitalize() for d in json.loads(text)["$defs"]}
    for old, new in names.items():
        text = text.replace(f'"#/$defs/{old}"', f'"#/components/schemas/{new}"')
    # the same constraint, in a form client generators read: openapi-python-client 0.29
    # writes `const: true` into Python it cannot compile (`!= Trueand`)
    text = text.replace('{"const": true', '{"type": "boolean", "enum": [true]')
    schema = json.loads(text)
    defs = schema.pop("$defs")
    for key in ("$schema", "$id", "title"):  # the title would name generated classes
        schema.pop(key)
    return {"Report": schema, **{names[k]: v for k, v in defs.items()}}


_DIAGNOSTIC = {
    "type": "object",
    "description": "One problem found, located in its file (as `aicxs lint --format json`).",
    "required": ["code", "severity", "message", "file", "line", "column", "help", "notes"],
    "properties": {
        "code": {"type": "string", "examples": ["aicxs_facts_type"]},
        "severity": {"enum": ["error", "warning"]},
        "message": {"type": "string"},
        "file": {"type": "string"},
        "line": {"type": ["integer", "null"]},
        "column": {"type": ["integer", "null"]},
        "help": {"type": "string"},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}

PROBLEMS = {
    "invalid-json": "400: the body is not UTF-8 JSON, repeats a key, or holds NaN",
    "host-not-allowed": "400: the `Host` header names a host the server does not answer to "
    "(`--allowed-host`)",
    "unauthorized": "401: the server has tokens and the request carries none, or a wrong one",
    "body-timeout": "408: the body did not arrive whole within the server's `--body-timeout`",
    "invalid-request": "400: a field is missing, unknown or of the wrong kind",
    "unknown-policy": "404: no policy with this id is served",
    "not-found": "404: no endpoint at this path",
    "method-not-allowed": "405: the endpoint does not take this method",
    "body-too-large": "413: the body exceeds the server's `--max-body`",
    "batch-too-large": "413: a batch holds more evaluation requests than the server's "
    "`AICXS_MAX_BATCH_LINES`",
    "work-too-large": "413: the facts' lists are so long that evaluating them would exceed "
    "the server's work per request (`AICXS_MAX_REQUEST_WORK`)",
    "unsupported-media-type": "415: the body is not `application/json` in UTF-8",
    "invalid-facts": "422: the facts do not fit the policy's vocabulary (see `diagnostics`)",
    "response-too-large": "422: the report would exceed the server's `AICXS_MAX_RESPONSE_BYTES`",
    "internal-error": "500: a bug in aicxs; the server log has the traceback",
    "busy": "503: every evaluation slot is taken and enough requests wait, or the server has "
    "`--limit-concurrency` requests in progress; retry after `Retry-After` seconds",
    "http-error": "another HTTP error, as its status says",
}

_PROBLEM = {
    "type": "object",
    "description": "An RFC 9457 problem: what was wrong with the request, and what to do. "
    f"Its `type` is `{PROBLEM_TYPES}` followed by one of: "
    + "; ".join(f"`{slug}` ({meaning})" for slug, meaning in PROBLEMS.items())
    + ".",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "diagnostics": {
            "type": "array",
            "description": "For facts that fail validation: each problem, located.",
            "items": ref("Diagnostic"),
        },
        "policies": {
            "type": "array",
            "description": "For an unknown policy: the ids being served.",
            "items": {"type": "string"},
        },
    },
}

_REQUEST_FIELDS: dict[str, Any] = {
    "policy": {
        "type": "string",
        "description": "The id of a served policy (the `policy NAME` in its file).",
        "examples": ["retail_bank"],
    },
    "facts": {
        "type": "object",
        "description": "A facts document, as a facts file would hold it in JSON (see "
        "`aicxs schema POLICY`). Diagnostics locate problems in it as "
        "`request.json`, the document printed with an indent of 2.",
    },
    "as_of": {
        "type": "string",
        "format": "date",
        "description": "The evaluation date for every date rule (default: today).",
    },
    "explain": {
        "enum": ["fails", "full", "none"],
        "default": "fails",
        "description": "Explain what decided each result, everything, or nothing "
        "(decisions only: fastest).",
    },
}
_EVALUATE_REQUEST = {
    "type": "object",
    "required": ["policy", "facts"],
    "additionalProperties": False,
    "properties": _REQUEST_FIELDS,
    "examples": [{"policy": "retail_bank", "facts": {}, "as_of": "2026-11-27", "explain": "none"}],
}

_POLICY_EVALUATE_REQUEST = {
    "type": "object",
    "description": "An evaluation request whose policy the path names: `EvaluateRequest` "
    "without `policy`. The facts follow the policy's schema, `GET /v1/policies/{policy}/schema`.",
    "required": ["facts"],
    "additionalProperties": False,
    "properties": {k: v for k, v in _REQUEST_FIELDS.items() if k != "policy"},
    "examples": [{"facts": {}, "as_of": "2026-11-27", "explain": "none"}],
}

_STANDARDS = {
    "type": "object",
    "required": ["standards"],
    "properties": {
        "standards": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "version", "title", "file", "counts"],
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "integer"},
                    "title": {"type": "string"},
                    "file": {"type": "string"},
                    "counts": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                    },
                },
            },
        }
    },
}

_LOAD_ERROR = {
    "type": ["object", "null"],
    "description": "Why the file's latest version is not served (null when it is).",
    "required": ["at", "message", "diagnostics"],
    "properties": {
        "at": {"type": "string"},
        "message": {"type": "string"},
        "diagnostics": {"type": "array", "items": ref("Diagnostic")},
    },
}

_POLICIES = {
    "type": "object",
    "required": ["policies"],
    "properties": {
        "policies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "file", "standard", "revision", "loaded_at", "error"],
                "properties": {
                    "id": {"type": ["string", "null"]},
                    "title": {"type": ["string", "null"]},
                    "file": {"type": "string"},
                    "standard": {"type": ["string", "null"]},
                    "revision": {"type": ["string", "null"]},
                    "loaded_at": {"type": ["string", "null"]},
                    "error": ref("LoadError"),
                },
            },
        }
    },
}

_HEALTH = {
    "type": "object",
    "required": ["status", "policies", "failing_files", "revisions"],
    "properties": {
        "status": {"enum": ["ok", "reload_stuck"]},
        "policies": {"type": "integer", "minimum": 0},
        "failing_files": {"type": "integer", "minimum": 0},
        "revisions": {
            "type": "object",
            "description": "Each served policy's id and the revision that answers for it (the "
            "sha256 of its file's bytes).",
            "additionalProperties": {"type": "string"},
        },
        "reload_running_seconds": {
            "type": "number",
            "description": "With `reload_stuck`: how long the reload under way has run.",
        },
    },
}


def component_schemas() -> dict[str, Any]:
    return {
        "EvaluateRequest": _EVALUATE_REQUEST,
        "PolicyEvaluateRequest": _POLICY_EVALUATE_REQUEST,
        "Problem": _PROBLEM,
        "Diagnostic": _DIAGNOSTIC,
        "Standards": _STANDARDS,
        "Policies": _POLICIES,
        "LoadError": _LOAD_ERROR,
        "Health": _HEALTH,
        **report_schemas(),
    }
