"""The decision service: a Starlette app that evaluates facts documents against served policies.

`create_app(folder)` compiles every policy file of the folder once, then a background task polls
their modification times and recompiles what changed (a broken edit keeps the last good
version serving; the error shows in `/v1/policies`, the log and the metrics). `POST
/v1/evaluate` answers with the bytes `aicxs check --format json` prints; every request that
cannot be answered gets an RFC 9457 problem (`application/problem+json`) saying why.
`cli.py` only runs the app on uvicorn.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from aicxs import spec
from aicxs.aicxs_dsl.diagnostics import render_text
from aicxs.engine.loader import load_standard
from aicxs.engine.service import limits
from aicxs.engine.service.batch_endpoint import post_batch
from aicxs.engine.service.connections import ConnectionLimits, RequestGuard
from aicxs.engine.service.contract import (
    get_policy_openapi,
    get_policy_schema,
    get_problem,
    get_report_schema,
    post_policy_evaluate,
)
from aicxs.engine.service.decide import Service, answer, internal_error
from aicxs.engine.service.decisionlog import DecisionLog, RequestLogMiddleware
from aicxs.engine.service.limits import Slots
from aicxs.engine.service.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from aicxs.engine.service.openapi import openapi_document
from aicxs.engine.service.registry import Change, PolicyRegistry
from aicxs.engine.service.request import (
    Problem,
    check_content_type,
    parse_json,
    parse_request,
    read_body,
)
from aicxs.engine.service.security import (
    Exposure,
    ExposureMiddleware,
    redact_policy,
    shown_file,
)

MAX_BODY_BYTES = 10 * 1024 * 1024
RELOAD_INTERVAL = 1.0  # seconds between two looks at the policy files
RELOAD_GRACE = 5.0  # seconds a policy file may be missing (replaced) before it stops serving
log = logging.getLogger("aicxs.serve")


def record(service: Service, changes: list[Change], counted: bool = True) -> None:
    """Log what a refresh did and count it; update the gauges."""
    for change in changes:
        _log_change(change)  # the log names the file by its path, whatever is shown
        file = shown_file(change.file, service.registry.folder, service.exposure)
        if counted and change.kind in ("loaded", "reloaded"):
            service.metrics.reloads.labels(file).inc()
        elif counted and change.kind == "failed":
            service.metrics.reload_failures.labels(file).inc()
    service.metrics.policies.set(len(service.registry.by_id))
    service.metrics.failing.set(service.failing_files())


def _log_change(change: Change) -> None:
    ident = f"policy `{change.policy_id}`" if change.policy_id else "no policy"
    match change.kind:
        case "failed":
            kept = f"; {ident} keeps its last good version" if change.policy_id else ""
            log.error(
                "%s does not compile%s:\n%s",
                change.file,
                kept,
                render_text(list(change.diagnostics)),
            )
        case "missing":
            log.warning("%s is missing: %s keeps serving while it comes back", change.file, ident)
        case "removed":
            log.warning("%s was removed: %s is no longer served", change.file, ident)
        case _:
            log.info("%s %s: serving %s", change.file, change.kind, ident)


# ---- the endpoints --------------------------------------------------------------------------


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def post_evaluate(request: Request) -> Response:
    service = _service(request)
    check_content_type(request)
    body = await read_body(request, service.max_body)
    async with service.slots.held():  # the facts take memory from here on
        return await _evaluate(request, service, body)


async def _evaluate(request: Request, service: Service, body: bytes) -> Response:
    return await answer(request, service, lambda: parse_request(parse_json(body)))


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, indent=2) + "\n", status_code=status, media_type="application/json"
    )


async def get_standards(request: Request) -> Response:
    return _json({"standards": _service(request).standards})


async def get_policies(request: Request) -> Response:
    service = _service(request)
    folder, exposure = service.registry.folder, service.exposure
    return _json(
        {"policies": [redact_policy(p, folder, exposure) for p in service.registry.describe()]}
    )


async def get_health(request: Request) -> Response:
    """200 and `ok`; 503 and `reload_stuck` while a reload of the policies hangs (it holds
    every later reload: restarting the server is the way out)."""
    service = _service(request)
    stuck = service.registry.stuck_for()
    health: dict[str, Any] = {
        "status": "reload_stuck" if stuck else "ok",
        "policies": len(service.registry.by_id),
        "failing_files": service.failing_files(),
        # which version of each policy answers: the sha256 of its file, as `/v1/policies` has
        "revisions": {pid: e.revision for pid, e in sorted(service.registry.by_id.items())},
    }
    if stuck:
        health["reload_running_seconds"] = round(stuck, 1)
    return _json(health, 503 if stuck else 200)


async def get_metrics(request: Request) -> Response:
    return Response(_service(request).metrics.exposition(), media_type=CONTENT_TYPE)


async def get_openapi(request: Request) -> Response:
    return _json(openapi_document())


ROUTES = [
    Route("/v1/evaluate", post_evaluate, methods=["POST"]),
    Route("/v1/evaluate/batch", post_batch, methods=["POST"]),
    Route("/v1/standards", get_standards, methods=["GET"]),
    Route("/v1/policies", get_policies, methods=["GET"]),
    Route("/v1/policies/{policy}/schema", get_policy_schema, methods=["GET"]),
    Route("/v1/policies/{policy}/evaluate", post_policy_evaluate, methods=["POST"]),
    Route("/v1/policies/{policy}/openapi.json", get_policy_openapi, methods=["GET"]),
    Route("/health", get_health, methods=["GET"]),
    Route("/metrics", get_metrics, methods=["GET"]),
    Route("/openapi.json", get_openapi, methods=["GET"]),
    Route("/schemas/report-1.json", get_report_schema, methods=["GET"]),
    Route("/problems/{slug}", get_problem, methods=["GET"]),
]


# ---- problems for everything else -----------------------------------------------------------


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response(exc.headers or None)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = ", ".join(sorted(headers.get("Allow", "").split(", ")))  # from a set: sort
        headers["Allow"] = allowed
        problem = Problem(
            405,
            "method-not-allowed",
            "Method not allowed",
            f"`{request.url.path}` does not take {request.method}; it takes {allowed}",
        )
    elif exc.status_code == 404:
        paths = ", ".join(f"`{r.path}`" for r in ROUTES)
        problem = Problem(
            404, "not-found", "Not found", f"there is nothing at this path; paths: {paths}"
        )
    else:
        problem = Problem(exc.status_code, "http-error", "HTTP error", str(exc.detail))
    return problem.response(headers)


async def _on_error(request: Request, exc: Exception) -> Response:
    return internal_error(request, exc).response()


# ---- the app --------------------------------------------------------------------------------


def bundled_standards() -> list[dict[str, Any]]:
    """Each standard that ships with the package, with what it holds."""
    out = []
    for path in spec.bundled():
        std = load_standard(path).standard
        counts = {
            "pillars": len(std.pillars),
            "clauses": len(std.clauses),
            "key_requirements": len(std.key_requirements),
            "levels": len(std.levels),
            "parameters": len(std.parameters),
        }
        out.append(
            {
                "id": std.id,
                "version": std.version,
                **({"amendment": std.amendment} if std.amendment else {}),
                "title": std.title,
                "file": spec.display_name(path),
                "counts": counts,
            }
        )
    return out


def create_app(
    folder: Path,
    max_body: int = MAX_BODY_BYTES,
    reload_interval: float = RELOAD_INTERVAL,
    mounts: Sequence[BaseRoute] = (),
    max_work: int | None = None,
    max_response: int | None = None,
    evaluations: int | None = None,
    decision_log: DecisionLog | None = None,
    request_log: bool = False,
    reload_grace: float = RELOAD_GRACE,
    max_batch_lines: int | None = None,
    exposure: Exposure | None = None,
    connections: ConnectionLimits | None = None,
) -> Starlette:
    """The decision service for the policy files in `folder`, compiled now. `mounts` are more
    routes served beside the API (the web assessment and the Evolve pages, wired by the CLI).
    The limits of a request not given are read from the environment (service/limits.py).
    Each decision goes to `decision_log`; with `request_log`, each request is logged as JSON
    (decisionlog.py). A policy file gone for less than `reload_grace` seconds stays served.
    `exposure` says who may ask and what is shown (service/security.py: by default anyone,
    and no paths); `connections`, the timeouts and requests at once (service/connections.py,
    which also holds what uvicorn must be given)."""
    registry = PolicyRegistry(folder, reload_grace)
    service = Service(
        registry,
        Metrics(),
        max_body,
        bundled_standards(),
        limits.max_work() if max_work is None else max_work,
        limits.max_response() if max_response is None else max_response,
        Slots(limits.evaluations() if evaluations is None else evaluations),
        decision_log or DecisionLog(),
        limits.max_batch_lines() if max_batch_lines is None else max_batch_lines,
        exposure or Exposure(),
    )
    record(service, registry.refresh(), counted=False)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_watch, service, reload_interval)
            yield
            tasks.cancel_scope.cancel()
        service.decisions.close()

    api = frozenset(r.path for r in ROUTES)
    edge = [Middleware(ExposureMiddleware, exposure=service.exposure, api_paths=api)]
    if connections is not None:
        edge.append(Middleware(RequestGuard, limits=connections))
    logged = [Middleware(RequestLogMiddleware)] if request_log else []
    app = Starlette(
        routes=[*ROUTES, *mounts],
        middleware=[
            *logged,
            Middleware(MetricsMiddleware, metrics=service.metrics, routes=api),
            *edge,  # counted in the metrics when they refuse a request
        ],
        exception_handlers={
            Problem: _on_problem,
            HTTPException: _on_http_error,
            Exception: _on_error,
        },
        lifespan=lifespan,
    )
    app.state.service = service
    return app


async def _watch(service: Service, interval: float) -> None:
    """Every `interval` seconds, recompile the policy files that changed."""
    while True:
        await anyio.sleep(interval)
        try:
            changes = await anyio.to_thread.run_sync(service.registry.refresh)
        except Exception:  # a bug in reloading must not stop the service
            log.exception("reloading the policies failed")
            continue
        record(service, changes)
