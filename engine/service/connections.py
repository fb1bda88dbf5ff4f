"""How long a client may take, and how many connections and requests the server holds.

uvicorn on its own waits for ever for a connection's first request, for the rest of a
request's headers and for its body, and accepts connections until the process runs out of
file descriptors; then `accept()` fails and every connection, `/health` included, waits. Here:

- **header timeout**: a connection must complete a request's headers within `header_timeout`
  seconds of opening (or of the first byte after an idle keep-alive), else it is closed. A
  subclass of uvicorn's `H11Protocol` arms a timer as uvicorn arms its keep-alive timer.
- **keep-alive timeout**: uvicorn's `timeout_keep_alive`, between two requests.
- **body timeout**: the app may wait at most `body_timeout` seconds in all for a request's
  body, else 408 and the connection is closed (an ASGI wrapper timing `receive()`). Only the
  time spent waiting on the client counts, so an endpoint that reads a long body bit by bit
  while it works is not cut off; a client that trickles is.
- **connections**: at most `max_connections` open; one more closes the connection idle the
  longest (waiting for a request: holding no work), or, when every one is busy, itself. The
  default leaves room under the file-descriptor limit (`ulimit -n`) for the files the server
  opens and for two bursts of accepts: asyncio accepts up to `backlog` connections at once,
  and a connection closed to make room frees its descriptor only in the next turn of the
  event loop, after the next burst may have been accepted.
- **requests at once**: at most `max_requests` in progress (`/health` excepted); more get
  503 `busy`. uvicorn's own `limit_concurrency` is not used: it counts open connections too,
  so idle sockets would make it refuse every request.

Only the number of connections refused or closed is logged (at debug), never one line per
connection: a flood must not become a flood of log lines.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import time
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from aicxs.engine.service.request import Problem
from aicxs.engine.service.security import OPEN_PATHS

FD_RESERVE = 64  # descriptors kept for the log, policy files, threads, the store
log = logging.getLogger("aicxs.serve")


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: int = 5  # uvicorn takes whole seconds
    max_connections: int = 1024
    max_requests: int = 128
    backlog: int = 1024


def free_descriptors() -> int:
    """File descriptors this process may still open, less a reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        used = len(os.listdir("/proc/self/fd"))
    except OSError:
        used = 32
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(0, soft - used - FD_RESERVE)


def default_connections() -> int:
    """Open connections by default: a third of the free descriptors (the other two for two
    bursts of `backlog` accepts), at most 1024, at least 8."""
    return max(8, min(1024, free_descriptors() // 3))


def default_backlog() -> int:
    return max(8, min(2048, free_descriptors() // 3))


class LimitsConfig(Config):
    """uvicorn's configuration with the limits it has no setting for (pickled, with it, to
    each worker process)."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "timeout_keep_alive": limits.keep_alive})
        self.limits = limits


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout and a cap on open connections."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits: ConnectionLimits = getattr(config, "limits", ConnectionLimits())
        self.header_timer: asyncio.TimerHandle | None = None
        self.opened = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.opened = time.monotonic()
        self._arm()
        self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.waiting():
            self._disarm()
        elif self.header_timer is None and not self.transport.is_closing():
            self._arm()  # the first bytes of a request after an idle keep-alive

    def waiting(self) -> bool:
        """No request in progress: before the first, between two, or headers incomplete."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self.header_timer = self.loop.call_later(self.limits.header_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _timed_out(self) -> None:
        self.header_timer = None
        if self.waiting() and not self.transport.is_closing():
            log.debug("closing a connection that sent no complete headers in time")
            self.transport.close()

    def _make_room(self) -> None:
        """Above the cap, close the connection waiting the longest, else this one."""
        open_ = [c for c in self.connections if not c.transport.is_closing()]
        if len(open_) <= self.limits.max_connections:
            return
        idle = [
            c for c in open_ if c is not self and isinstance(c, GuardedH11Protocol) and c.waiting()
        ]
        victim = min(idle, key=lambda c: c.opened) if idle else self
        victim._disarm()
        victim.transport.close()


class RequestGuard:
    """ASGI middleware: at most `max_requests` requests at once (503 `busy` beyond, `/health`
    excepted), and at most `body_timeout` seconds spent waiting for a body (408, connection
    closed)."""

    def __init__(self, app: ASGIApp, limits: ConnectionLimits) -> None:
        self.app, self.limits = app, limits
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counted = scope.get("path", "") not in OPEN_PATHS
        if counted and self.in_progress >= self.limits.max_requests:
            busy = Problem(
                503,
                "busy",
                "Busy",
                f"{self.limits.max_requests} requests are in progress, the most this server "
                "takes at once; retry in a moment",
            )
            await busy.response({"Retry-After": "1"})(scope, receive, send)
            return
        self.in_progress += counted
        try:
            await self.app(scope, self._timed(receive), send)
        finally:
            self.in_progress -= counted

    def _timed(self, receive: Receive) -> Receive:
        limit = self.limits.body_timeout
        waited, complete = 0.0, False

        async def timed_receive() -> Message:
            nonlocal waited, complete
            if complete:  # after the body: waiting for a disconnect is not timed
                return await receive()
            start = anyio.current_time()
            with anyio.move_on_after(max(0.0, limit - waited)) as scope:
                message = await receive()
            waited += anyio.current_time() - start
            if scope.cancelled_caught:
                late = Problem(
                    408,
                    "body-timeout",
                    "Request body too slow",
                    f"the body did not arrive within {limit:g} seconds; send it at once "
                    "(the server's `--body-timeout`)",
                )
                late.headers = {"Connection": "close"}
                raise late
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        return timed_receive
