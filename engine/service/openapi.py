"""The decision service's OpenAPI 3.1 document, written by hand and served at `/openapi.json`.

Every endpoint, its operation id, tag, request body, responses and problems are described here;
the schemas they name are in openapi_schemas.py. `policy_document` narrows the document to one
served policy, its facts typed by the policy's facts schema.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any

from aicxs.engine.service.openapi_schemas import JSON, PROBLEM, component_schemas, ref


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


_OTHER = _problem("Any other problem: a method the path does not take (405), or a bug (500).")
_UNAUTHORIZED = {
    **_problem(
        "The server has tokens and the request carries none, or a wrong one "
        "(with `WWW-Authenticate: Bearer`)."
    ),
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
}
_DECISION = {
    "X-Decision-Id": {
        "description": "The id of this decision (a uuid4), as the decision log records it; "
        "the body holds none, so that it stays the bytes `aicxs check --format json` prints.",
        "schema": {"type": "string", "format": "uuid"},
    }
}
_POLICY = {
    "name": "policy",
    "in": "path",
    "required": True,
    "description": "The id of a served policy (the `policy NAME` in its file).",
    "schema": {"type": "string"},
    "example": "retail_bank",
}
SCHEMA = "application/schema+json"
NDJSON = "application/x-ndjson"


def _get(op: str, tag: str, summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": op,
            "tags": [tag],
            "summary": summary,
            "responses": {**responses, "401": _UNAUTHORIZED, "default": _OTHER},
        }
    }


def _open(path: dict[str, Any]) -> dict[str, Any]:
    """An operation that needs no token."""
    for operation in path.values():
        operation["security"] = []
        del operation["responses"]["401"]
    return path


def _evaluate(op: str, summary: str, body: str) -> dict[str, Any]:
    """An evaluation: its request body's schema named `body`."""
    return {
        "operationId": op,
        "tags": ["evaluation"],
        "summary": summary,
        "description": "The response is the report of `aicxs check --format json`.",
        "requestBody": {"required": True, "content": {JSON: {"schema": ref(body)}}},
        "responses": {
            "200": {**_ok("The report: verdict, maturity, every result explained.", "Report"),
                    "headers": _DECISION},
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
    }  # fmt: skip


def _batch() -> dict[str, Any]:
    lines = {"schema": {"type": "string", "description": "One evaluation request a line."}}
    return {
        "operationId": "evaluateBatch",
        "tags": ["evaluation"],
        "summary": "Evaluate many requests; the answers stream back as JSON Lines, in order",
        "description": "The body is JSON Lines (one `EvaluateRequest` a line) or a JSON array "
        "of them. Each line of the answer is the report of that request on one line, or the "
        "problem it alone would have got, with `line` (its line, or place in the array) and "
        "`decision_id`. Each request has the limits of one; the batch is at most `--max-body` "
        "bytes and `AICXS_MAX_BATCH_LINES` requests.",
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {
                        "type": "array",
                        # any item: one that is not an `EvaluateRequest` is that line's problem
                        "items": {"description": "An `EvaluateRequest`."},
                    }
                },
                NDJSON: lines,
                "application/jsonl": lines,
            },
        },
        "responses": {
            "200": {
                "description": "One line per request, in order: a report or a problem.",
                "headers": {
                    "X-Batch-Id": {
                        "description": "The batch's id, which each of its decisions carries "
                        "in the decision log (`batch_id`, with `batch_line`).",
                        "schema": {"type": "string", "format": "uuid"},
                    }
                },
                "content": {NDJSON: {"schema": {"type": "string"}}},
            },
            "400": _problem("The body is JSON but not an array."),
            "401": _UNAUTHORIZED,
            "413": _problem("The body is larger than the server's limit, or holds too many "
                            "requests."),
            "415": _problem("The body is neither JSON Lines nor JSON."),
            "503": _problem("Every evaluation slot is taken; retry after `Retry-After` seconds."),
            "default": _OTHER,
        },
    }  # fmt: skip


def _contract() -> dict[str, Any]:
    """The paths of the documents the contract names: schemas and problem types."""
    return {
        "/v1/policies/{policy}/schema": {
            "parameters": [_POLICY],
            **_get(
                "getPolicySchema",
                "policies",
                "The JSON Schema of the facts the policy reads (as `aicxs schema POLICY`)",
                {
                    "200": {
                        "description": "JSON Schema 2020-12.",
                        "content": {SCHEMA: {"schema": {"type": "object"}}},
                    },
                    "404": _problem("No policy with this id is being served."),
                },
            ),
        },
        "/v1/policies/{policy}/openapi.json": {
            "parameters": [_POLICY],
            **_get(
                "getPolicyOpenapi",
                "contract",
                "This document for one policy: its facts typed by the policy's facts schema",
                {
                    "200": {"description": "OpenAPI 3.1.", "content": {JSON: {"schema": {}}}},
                    "404": _problem("No policy with this id is being served."),
                },
            ),
        },
        "/schemas/report-1.json": _get(
            "getReportSchema",
            "contract",
            "The JSON Schema of a report (`urn:aicxs:schemas:report-1`)",
            {
                "200": {
                    "description": "JSON Schema 2020-12.",
                    "content": {SCHEMA: {"schema": {"type": "object"}}},
                }
            },
        ),
        "/problems/{slug}": {
            "parameters": [
                {
                    "name": "slug",
                    "in": "path",
                    "required": True,
                    "description": "What follows `/problems/` in a problem's `type`.",
                    "schema": {"type": "string"},
                    "example": "invalid-facts",
                }
            ],
            **_get(
                "getProblemType",
                "contract",
                "What a problem type means",
                {
                    "200": {
                        "description": "A page saying when the problem is sent.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                    "404": _problem("No such problem type."),
                },
            ),
        },
    }


def _paths() -> dict[str, Any]:
    return {
        "/v1/evaluate": {
            "post": _evaluate(
                "evaluate", "Evaluate a facts document against a served policy", "EvaluateRequest"
            )
        },
        "/v1/evaluate/batch": {"post": _batch()},
        "/v1/policies/{policy}/evaluate": {
            "parameters": [_POLICY],
            "post": _evaluate(
                "evaluatePolicy",
                "Evaluate a facts document against the policy the path names",
                "PolicyEvaluateRequest",
            ),
        },
        "/v1/standards": _get(
            "listStandards",
            "policies",
            "The bundled standards",
            {"200": _ok("Each standard with counts.", "Standards")},
        ),
        "/v1/policies": _get(
            "listPolicies",
            "policies",
            "The policy files served, with their last load error",
            {"200": _ok("Each policy file, good or failing.", "Policies")},
        ),
        "/health": _open(
            _get(
                "getHealth",
                "operations",
                "Whether the server is up, and which revision of each policy answers (needs no "
                "token)",
                {
                    "200": _ok("It is.", "Health"),
                    "503": _ok("A reload of the policy files hangs; restart the server.", "Health"),
                },
            )
        ),
        "/metrics": _get(
            "getMetrics",
            "operations",
            "Prometheus metrics",
            {
                "200": {
                    "description": "Request counts, latency, evaluations by verdict, reloads.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        ),
        "/openapi.json": _get(
            "getOpenapi",
            "contract",
            "This document",
            {"200": {"description": "OpenAPI 3.1.", "content": {JSON: {"schema": {}}}}},
        ),
        **_contract(),
    }


TAGS = [
    {"name": "evaluation", "description": "Evaluate facts against a served policy."},
    {"name": "policies", "description": "The standards and policies served, and their facts "
     "schemas."},
    {"name": "operations", "description": "Health and metrics."},
    {"name": "contract", "description": "This document, the report's schema, problem types."},
]  # fmt: skip


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
        "servers": [{"url": "/", "description": "The service that serves this document."}],
        "tags": TAGS,
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
            "schemas": component_schemas(),
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())


def policy_document(policy: str, facts_schema: Mapping[str, Any]) -> dict[str, Any]:
    """The document for one served policy: its evaluate and schema paths with the id in them,
    and `facts` typed by the policy's facts schema (component `Facts`), so that a client
    generated from it types the facts too. The facts schema's `title` names its class."""
    doc = openapi_document()
    doc["info"]["title"] = f"aicxs decision service: policy {policy}"
    general = doc["paths"]
    evaluate = general["/v1/policies/{policy}/evaluate"]["post"]
    schema = general["/v1/policies/{policy}/schema"]["get"]
    evaluate["operationId"], schema["operationId"] = "evaluate", "getFactsSchema"
    doc["paths"] = {
        f"/v1/policies/{policy}/evaluate": {"post": evaluate},
        f"/v1/policies/{policy}/schema": {"get": schema},
    }
    facts = {k: v for k, v in facts_schema.items() if k not in ("$schema", "$id")}
    components = doc["components"]["schemas"]
    components["Facts"] = {**facts, "title": "Facts"}
    components["PolicyEvaluateRequest"]["properties"]["facts"] = ref("Facts")
    return doc
