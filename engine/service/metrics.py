"""The decision service's Prometheus metrics, and the ASGI middleware that counts requests.

Each server has its own `CollectorRegistry`, so several apps (as in the tests) never share
counts. Routes are labelled by their path template, and every path the service does not
serve by `unmatched`, so a scan of random URLs cannot grow the number of series.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters, histograms and gauges of one server."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "aicxs_http_requests",
            "HTTP requests answered, by route, method and status code.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "aicxs_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.evaluations = Counter(
            "aicxs_evaluations",
            "Facts documents evaluated, by policy and verdict.",
            ["policy", "verdict"],
            registry=r,
        )
        self.reloads = Counter(
            "aicxs_policy_reloads",
            "Policy files (re)compiled and served after a change.",
            ["file"],
            registry=r,
        )
        self.reload_failures = Counter(
            "aicxs_policy_reload_failures",
            "Policy file changes that did not compile; the last good version kept serving.",
            ["file"],
            registry=r,
        )
        self.policies = Gauge("aicxs_policies_loaded", "Policies being served.", registry=r)
        self.failing = Gauge(
            "aicxs_policy_files_failing",
            "Policy files whose latest version does not compile.",
            registry=r,
        )

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format (version 0.0.4)."""
        return bytes(generate_latest(self.registry))


class MetricsMiddleware:
    """Counts every HTTP request and times it, labelled by route, method and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: frozenset[str]) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes
        # paths with parameters (`/v1/policies/{policy}/schema`) count under their template
        self.templates = [(compile_path(p)[0], p) for p in sorted(routes) if "{" in p]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]  # if the app fails before it answers, ServerErrorMiddleware sends a 500

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self._record(scope, status[0], time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        path = scope.get("path", "")
        route = path if path in self.routes else self._template(path)
        method = scope.get("method", "")
        method = method if method in METHODS else "other"
        self.metrics.requests.labels(route, method, str(status)).inc()
        self.metrics.latency.labels(route).observe(seconds)

    def _template(self, path: str) -> str:
        return next((p for regex, p in self.templates if regex.match(path)), "unmatched")
