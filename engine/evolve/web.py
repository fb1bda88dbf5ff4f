"""The Evolve pages, served: `/evolve/` (every recorded assessment, with its maturity over
time per policy, and a form to pick two) and `/evolve/compare?a=N&b=M` (what changed between
two, and why). Read-only: GET only, so no form here needs a CSRF token."""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from aicxs.aicxs_dsl.diagnostics import DiagnosticError
from aicxs.engine.evolve.compare import compare
from aicxs.engine.evolve.html import comparison_html, csp, history_html
from aicxs.engine.store import Record, Store

PREFIX = "/evolve"


def evolve_routes(store: Store, assess: str = "/assess/") -> list[BaseRoute]:
    links = {"history": f"{PREFIX}/", "compare": f"{PREFIX}/compare", "assess": assess}

    async def history(request: Request) -> Response:
        records = await anyio.to_thread.run_sync(store.history, request.query_params.get("policy"))
        return _html(history_html(records, links))

    async def compare_page(request: Request) -> Response:
        a, b = (request.query_params.get(k, "") for k in ("a", "b"))
        if not (a.isdigit() and b.isdigit()):
            raise HTTPException(400, "give two record numbers: /evolve/compare?a=1&b=2")
        try:
            first, second = await anyio.to_thread.run_sync(_both, store.get, int(a), int(b))
        except DiagnosticError as err:
            raise HTTPException(404, err.diagnostics[0].message) from None
        return _html(comparison_html(compare(first, second), links))

    app = Starlette(
        routes=[
            Route("/", history, methods=["GET"]),
            Route("/compare", compare_page, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _on_http_error},
    )
    return [Mount(PREFIX, app=app)]


def _both(get: Callable[[int], Record], a: int, b: int) -> tuple[Record, Record]:
    return get(a), get(b)


def _html(page: str, status: int = 200) -> Response:
    return HTMLResponse(
        page,
        status,
        headers={
            "Content-Security-Policy": csp(),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        },
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    from markupsafe import escape

    body = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not found</title>'
        f"</head><body><main><h1>{exc.status_code}</h1><p>{escape(exc.detail)}</p>"
        f'<p><a href="{PREFIX}/">All recorded assessments</a></p></main></body></html>'
    )
    return _html(body, exc.status_code)
