"""The endpoints that make the service's contract concrete: each policy's facts schema, an
evaluation whose policy is in the path, and the documents the contract names.

`GET /v1/policies/{policy}/schema` is `aicxs schema POLICY`, byte for byte; `POST
/v1/policies/{policy}/evaluate` takes the facts alone, and `GET /v1/policies/{policy}/openapi.json`
is the OpenAPI document for that one policy, its facts typed by that schema (for a client that
types them). `GET /schemas/report-1.json` is the report's JSON Schema (whose `$id` is the URN every
report's `$schema` names) and `GET /problems/{type}` the page a problem's `type` refers to.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.engine.service.decide import Service, answer, unknown_policy
from aicxs.engine.service.openapi import policy_document
from aicxs.engine.service.openapi_schemas import PROBLEMS
from aicxs.engine.service.request import (
    EvaluateRequest,
    Problem,
    check_content_type,
    clip,
    parse_json,
    parse_request,
    read_body,
)

SCHEMA = "application/schema+json"


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def get_policy_schema(request: Request) -> Response:
    service, wanted = _service(request), request.path_params["policy"]
    compiled = service.registry.get(wanted)
    if compiled is None:
        raise unknown_policy(service.registry, wanted)
    return Response(json_dumps(compiled.schema) + "\n", media_type=SCHEMA)


async def get_policy_openapi(request: Request) -> Response:
    """The OpenAPI document narrowed to one policy, its facts typed by the policy's schema."""
    service, wanted = _service(request), request.path_params["policy"]
    compiled = service.registry.get(wanted)
    if compiled is None:
        raise unknown_policy(service.registry, wanted)
    return Response(json.dumps(policy_document(wanted, compiled.schema), indent=2) + "\n",
                    media_type="application/json")  # fmt: skip


async def post_policy_evaluate(request: Request) -> Response:
    service = _service(request)
    check_content_type(request)
    body = await read_body(request, service.max_body)
    async with service.slots.held():
        return await answer(request, service, lambda: _request(request, body))


def _request(request: Request, body: bytes) -> EvaluateRequest:
    """`{facts, as_of, explain}`: the evaluation request less its policy, which the path names."""
    data: Any = parse_json(body)
    if isinstance(data, dict) and "policy" in data:
        raise Problem(
            400,
            "invalid-request",
            "Invalid request",
            "unknown field `policy`: the path names the policy; send `facts`, and `as_of` "
            "and `explain` if wanted",
        )
    if isinstance(data, dict):
        data = {"policy": request.path_params["policy"], **data}
    return parse_request(data)


async def get_report_schema(request: Request) -> Response:
    text = resources.files("aicxs.engine").joinpath("report-schema.json").read_text("utf-8")
    return Response(text, media_type=SCHEMA)


async def get_problem(request: Request) -> Response:
    slug = request.path_params["slug"]
    meaning = PROBLEMS.get(slug)
    if meaning is None:
        known = ", ".join(f"`{s}`" for s in PROBLEMS)
        raise Problem(
            404, "not-found", "Not found", f"no problem type `{clip(slug)}`; the types: {known}"
        )
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>aicxs problem: {html.escape(slug)}</title></head><body>\n"
        f"<h1>{html.escape(slug)}</h1>\n<p>{html.escape(meaning)}.</p>\n"
        "<p>The problem's <code>detail</code> says what was wrong "
        'and what to do; see <a href="/openapi.json">the OpenAPI document</a>.</p>\n'
        "</body></html>\n"
    )
    return HTMLResponse(page)
