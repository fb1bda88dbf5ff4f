"""The decision service's OpenAPI 3.1 document, written by hand and served at `/openapi.json`.

Every endpoint, request body, response and problem type is described here. The report is not
restated: its JSON Schema (`report-schema.json`, the one `aicxs check --format json` follows)
is embedded, its `$defs` moved under `components/schemas` as `Report*`.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

PROBLEM_TYPES = "https://aicxs.example/problems/"
JSON = "application/json"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


def report_schemas() -> dict[str, Any]:
    """The report schema and its definitions, as OpenAPI component schemas."""
    text = resources.files("aicxs.engine").joinpath("report-schema.json").read_text("utf-8")
    names = {d: "Report" + d.capitalize() for d in json.loads(text)["$defs"]}
    for old, new in names.items():
        text = text.replace(f'"#/$defs/{old}"', f'"#/components/schemas/{new}"')
    schema = json.loads(text)
    defs = schema.pop("$defs")
    for key in ("$schema", "$id"):
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
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "diagnostics": {
            "type": "array",
            "description": "For facts that fail validation: each problem, located.",
            "items": _ref("Diagnostic"),
        },
        "policies": {
            "type": "array",
            "description": "For an unknown policy: the ids being served.",
            "items": {"type": "string"},
        },
    },
}

_EVALUATE_REQUEST = {
    "type": "object",
    "required": ["policy", "facts"],
    "additionalProperties": False,
    "properties": {
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
    },
    "examples": [{"policy": "retail_bank", "facts": {}, "as_of": "2026-11-27", "explain": "none"}],
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
        "diagnostics": {"type": "array", "items": _ref("Diagnostic")},
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
                    "error": _ref("LoadError"),
                },
            },
        }
    },
}

_HEALTH = {
    "type": "object",
    "required": ["status", "policies", "failing_files"],
    "properties": {
        "status": {"enum": ["ok", "reload_stuck"]},
        "policies": {"type": "integer", "minimum": 0},
        "failing_files": {"type": "integer", "minimum": 0},
        "reload_running_seconds": {
            "type": "number",
            "description": "With `reload_stuck`: how long the reload under way has run.",
        },
    },
}


_OTHER = _problem("Any other problem: a method the path does not take (405), or a bug (500).")


_UNAUTHORIZED = {
    **_problem(
        "The server has tokens and the request carries none, or a wrong one "
        "(with `WWW-Authenticate: Bearer`)."
    ),
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
}


def _get(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    responses = {**responses, "401": _UNAUTHORIZED, "default": _OTHER}
    return {"get": {"summary": summary, "responses": responses}}


def _open(path: dict[str, Any]) -> dict[str, Any]:
    """An operation that needs no token."""
    for operation in path.values():
        operation["security"] = []
        del operation["responses"]["401"]
    return path


def _paths() -> dict[str, Any]:
    evaluate = {
        "summary": "Evaluate a facts document against a served policy",
        "description": "The response is the report of `aicxs check --format json`.",
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("EvaluateRequest")}}},
        "responses": {
            "200": _ok("The report: verdict, maturity, every result explained.", "Report"),
            "400": _problem("The body is not JSON, or a field is missing or wrong."),
            "404": _problem("No policy with this id is being served."),
            "413": _problem(
                "The body is larger than the server's limit, or its facts would take more "
                "work than one request may."
            ),
            "401": _UNAUTHORIZED,
            "415": _problem("The body is not `application/json`."),
            "422": _problem(
                "The facts do not fit the policy's vocabulary (with diagnostics), or the "
                "report would be larger than the server sends."
            ),
            "503": _problem("Every evaluation slot is taken; retry after `Retry-After` seconds."),
            "default": _OTHER,
        },
    }
    return {
        "/v1/evaluate": {"post": evaluate},
        "/v1/standards": _get(
            "The bundled standards", {"200": _ok("Each standard with counts.", "Standards")}
        ),
        "/v1/policies": _get(
            "The policy files served, with their last load error",
            {"200": _ok("Each policy file, good or failing.", "Policies")},
        ),
        "/health": _open(
            _get(
                "Whether the server is up (needs no token)",
                {
                    "200": _ok("It is.", "Health"),
                    "503": _ok("A reload of the policy files hangs; restart the server.", "Health"),
                },
            )
        ),
        "/metrics": _get(
            "Prometheus metrics",
            {
                "200": {
                    "description": "Request counts, latency, evaluations by verdict, reloads.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        ),
        "/openapi.json": _get(
            "This document",
            {"200": {"description": "OpenAPI 3.1.", "content": {JSON: {"schema": {}}}}},
        ),
    }


@functools.cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "aicxs decision service",
            "version": "1",
            "description": "Evaluate organisations' facts against AICXS policies over HTTP. "
            "Errors are RFC 9457 problems (`application/problem+json`). When the server "
            "is given tokens, every operation but `/health` needs one as a bearer token.",
        },
        "security": [{"bearerToken": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from the server's `--token-file` or "
                    "`AICXS_SERVE_TOKENS`; required only when the server has tokens.",
                }
            },
            "schemas": {
                "EvaluateRequest": _EVALUATE_REQUEST,
                "Problem": _PROBLEM,
                "Diagnostic": _DIAGNOSTIC,
                "Standards": _STANDARDS,
                "Policies": _POLICIES,
                "LoadError": _LOAD_ERROR,
                "Health": _HEALTH,
                **report_schemas(),
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
