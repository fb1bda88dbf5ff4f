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
from dataclasses import dataclass, field
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
from aicxs.aicxs_dsl.diagnostics import DiagnosticError, did_you_mean, render_text
from aicxs.aicxs_dsl.limits import MAX_REQUEST_WORK, MAX_RESPONSE_BYTES
from aicxs.aicxs_dsl.words import count
from aicxs.engine.loader import CompiledPolicy, load_standard
from aicxs.engine.service import limits
from aicxs.engine.service.limits import Slots, check_work, too_large
from aicxs.engine.service.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from aicxs.engine.service.openapi import openapi_document
from aicxs.engine.service.registry import Change, PolicyRegistry
from aicxs.engine.service.request import (
    EvaluateRequest,
    Problem,
    check_content_type,
    clip,
    parse_json,
    parse_request,
    read_body,
)

MAX_BODY_BYTES = 10 * 1024 * 1024
RELOAD_INTERVAL = 1.0  # seconds between two looks at the policy files
FACTS_NAME = "request.json"  # how reports and diagnostics name a document from a request
log = logging.getLogger("aicxs.serve")


@dataclass
class Service:
    """What the handlers share: the policies, the metrics, the limits."""

    registry: PolicyRegistry
    metrics: Metrics
    max_body: int
    standards: list[dict[str, Any]]
    max_work: int = MAX_REQUEST_WORK  # item evaluations per request
    max_response: int = MAX_RESPONSE_BYTES
    slots: Slots = field(default_factory=lambda: Slots(1))  # evaluations at once

    def record(self, changes: list[Change], counted: bool = True) -> None:
        """Log what a refresh did and count it; update the gauges."""
        for change in changes:
            _log_change(change)
            if counted and change.kind in ("loaded", "reloaded"):
                self.metrics.reloads.labels(change.file).inc()
            elif counted and change.kind == "failed":
                self.metrics.reload_failures.labels(change.file).inc()
        self.metrics.policies.set(len(self.registry.by_id))
        self.metrics.failing.set(self.failing_files())

    def failing_files(self) -> int:
        files = self.registry.files
        return sum(1 for name, f in files.items() if f.error or name in self.registry.clashes)


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
        case "removed":
            log.warning("%s was removed: %s is no longer served", change.file, ident)
        case _:
            log.info("%s %s: serving %s", change.file, change.kind, ident)


# ---- evaluation -----------------------------------------------------------------------------


def evaluate(
    compiled: CompiledPolicy,
    request: EvaluateRequest,
    max_work: int = MAX_REQUEST_WORK,
    max_response: int = MAX_RESPONSE_BYTES,
) -> tuple[bytes, str]:
    """The report's bytes (as `aicxs check --format json` prints them) and the verdict.

    The facts go back to JSON text so that the facts parser validates them exactly as it
    would a file, and diagnostics and explanations can give lines in `request.json`. The
    work is bounded before anything is evaluated, the report while it is written."""
    check_work(compiled.plan.costs, request.facts, request.explain, max_work)
    text = json.dumps(request.facts, indent=2, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Problem(
            400, "invalid-json", "Invalid JSON", "the facts hold a lone UTF-16 surrogate escape"
        ) from None
    try:
        facts = compiled.parse_facts(text, FACTS_NAME)
    except DiagnosticError as err:
        n = len(err.diagnostics)
        raise Problem(
            422,
            "invalid-facts",
            "Invalid facts",
            f"the facts do not fit policy `{request.policy}`: {count(n, 'problem')}",
            diagnostics=[d.as_dict() for d in err.diagnostics],
        ) from None
    report = compiled.evaluate(facts, request.as_of, explain=request.explain)
    parts, size = [], 0
    for chunk in report.json_chunks(request.explain):
        part = chunk.encode("utf-8")
        size += len(part)
        if size > max_response:
            raise too_large(max_response, request.explain)
        parts.append(part)
    return b"".join(parts), report.verdict


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
    wanted = parse_request(parse_json(body))
    compiled = service.registry.get(wanted.policy)
    if compiled is None:
        served = sorted(service.registry.by_id)
        hint = _policy_hint(service.registry, wanted.policy)
        raise Problem(
            404,
            "unknown-policy",
            "Unknown policy",
            f"no policy `{clip(wanted.policy)}` is served; {hint}",
            policies=served,
        )
    try:
        report, verdict = await anyio.to_thread.run_sync(
            evaluate, compiled, wanted, service.max_work, service.max_response
        )
    except Problem:
        raise
    except Exception as exc:
        # Answered here rather than by the app-wide handler: Starlette re-raises after that one
        # responds, and the server may then reset the connection before the client reads the 500.
        return await _on_error(request, exc)
    service.metrics.evaluations.labels(wanted.policy, verdict).inc()
    return Response(report, media_type="application/json")


def _policy_hint(registry: PolicyRegistry, wanted: str) -> str:
    """A policy id is the `policy NAME` in its file, which people mistake for the file's name."""
    for name, entry in sorted(registry.files.items()):
        if Path(name).stem == wanted and entry.policy_id in registry.by_id:
            return f"did you mean `{entry.policy_id}`, the policy in `{name}`?"
    return did_you_mean(wanted, registry.by_id) or "see `GET /v1/policies`"


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, indent=2) + "\n", status_code=status, media_type="application/json"
    )


async def get_standards(request: Request) -> Response:
    return _json({"standards": _service(request).standards})


async def get_policies(request: Request) -> Response:
    return _json({"policies": _service(request).registry.describe()})


async def get_health(request: Request) -> Response:
    """200 and `ok`; 503 and `reload_stuck` while a reload of the policies hangs (it holds
    every later reload: restarting the server is the way out)."""
    service = _service(request)
    stuck = service.registry.stuck_for()
    health: dict[str, Any] = {
        "status": "reload_stuck" if stuck else "ok",
        "policies": len(service.registry.by_id),
        "failing_files": service.failing_files(),
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
    Route("/v1/standards", get_standards, methods=["GET"]),
    Route("/v1/policies", get_policies, methods=["GET"]),
    Route("/health", get_health, methods=["GET"]),
    Route("/metrics", get_metrics, methods=["GET"]),
    Route("/openapi.json", get_openapi, methods=["GET"]),
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
    log.exception("internal error on %s %s", request.method, request.url.path)
    return Problem(
        500,
        "internal-error",
        "Internal error",
        "this is a bug in aicxs, not in the request; the server log has the traceback",
    ).response()


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
) -> Starlette:
    """The decision service for the policy files in `folder`, compiled now. `mounts` are more
    routes served beside the API (the web assessment and the Evolve pages, wired by the CLI).
    The limits of a request not given are read from the environment (service/limits.py)."""
    registry = PolicyRegistry(folder)
    service = Service(
        registry,
        Metrics(),
        max_body,
        bundled_standards(),
        limits.max_work() if max_work is None else max_work,
        limits.max_response() if max_response is None else max_response,
        Slots(limits.evaluations() if evaluations is None else evaluations),
    )
    service.record(registry.refresh(), counted=False)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_watch, service, reload_interval)
            yield
            tasks.cancel_scope.cancel()

    app = Starlette(
        routes=[*ROUTES, *mounts],
        middleware=[
            Middleware(
                MetricsMiddleware,
                metrics=service.metrics,
                routes=frozenset(r.path for r in ROUTES),
            )
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
        service.record(changes)
