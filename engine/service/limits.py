"""What one request may cost the service: its work, its response, and how many run at once.

A request's work is known before it is evaluated: each quantifier of the policy's checks goes
through its list once per item of the lists around it (cost.py), and the request's facts give
the lists' lengths. Above `max_work` item evaluations the request is refused (413), as is a
report larger than `max_response` bytes (422, naming a smaller `explain`). Evaluations hold
memory while they run, so only `evaluations` run at once; a few more wait their turn, and the
rest are turned away (503, `Retry-After`). Each limit is an `AICXS_` environment variable.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anyio

from aicxs.aicxs_dsl.limits import setting
from aicxs.engine.cost import Cost, work
from aicxs.engine.service.request import Problem

# `explain: full` records an explanation for every item it goes through (about 9 KB each,
# measured on the bank's policy), where `fails` and `none` record the first few: it weighs more.
FULL_WEIGHT = 40
EVALUATION_BYTES = 512 * 1024 * 1024  # what one evaluation at the limits may hold in memory
WAITING_PER_SLOT = 4  # requests that may wait for each evaluation slot, holding their bodies


def max_work() -> int:
    return setting("AICXS_MAX_REQUEST_WORK")


def max_response() -> int:
    return setting("AICXS_MAX_RESPONSE_BYTES")


def max_batch_lines() -> int:
    return setting("AICXS_MAX_BATCH_LINES")


def evaluations() -> int:
    """Evaluations at once: `AICXS_MAX_EVALUATIONS`, else what memory allows (one per
    `EVALUATION_BYTES` of physical memory), at least 1 and at most 2 per core (more would
    only wait for Python's lock)."""
    if os.environ.get("AICXS_MAX_EVALUATIONS", "").strip():
        return setting("AICXS_MAX_EVALUATIONS")
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        memory = EVALUATION_BYTES
    return max(1, min(memory // EVALUATION_BYTES, 2 * (os.cpu_count() or 1)))


def largest_list(facts: Any) -> int:
    """The length of the longest list anywhere in the facts."""
    longest, stack = 0, [facts]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            longest = max(longest, len(value))
            stack.extend(value)
    return longest


def check_work(costs: Iterable[Cost], facts: Any, explain: str, limit: int) -> None:
    """Refuse (413) a request whose facts would make the checks cost more than `limit`."""
    n = largest_list(facts)
    needed = work(costs, n) * (FULL_WEIGHT if explain == "full" else 1)
    if needed > limit:
        weighs = f" (`explain: full` counts {FULL_WEIGHT} times)" if explain == "full" else ""
        raise Problem(
            413,
            "work-too-large",
            "Too much work for one request",
            f"the facts hold a list of {n:,} items, for which the policy's checks would make "
            f"up to {needed:,} item evaluations{weighs}; this server does at most {limit:,} "
            "per request: send the estate in parts, ask for `explain: fails` rather than "
            "`full`, or set `AICXS_MAX_REQUEST_WORK` on the server",
        )


def too_large(limit: int, explain: str) -> Problem:
    """The 422 for a report larger than the server sends."""
    smaller = "`fails` (the default) or `none`" if explain == "full" else "`none`"
    return Problem(
        422,
        "response-too-large",
        "Response too large",
        f"the report would be larger than this server's limit of {limit:,} bytes; ask for "
        f"explain {smaller}, send fewer systems, or set `AICXS_MAX_RESPONSE_BYTES` on the server",
    )


class Slots:
    """At most `size` evaluations at once; at most `waiting` requests (by default
    `WAITING_PER_SLOT` per slot) wait for one."""

    def __init__(self, size: int, waiting: int | None = None) -> None:
        self.size = size
        self.limiter = anyio.CapacityLimiter(size)
        self.most_waiting = WAITING_PER_SLOT * size if waiting is None else waiting
        self.waiting = 0

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        self.check()
        self.waiting += 1
        try:
            await self.limiter.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self.limiter.release()

    def check(self) -> None:
        """Turn the request away (503) if every slot is taken and enough wait already."""
        if self.limiter.available_tokens == 0 and self.waiting >= self.most_waiting:
            busy = Problem(
                503,
                "busy",
                "Busy",
                f"{self.size} evaluations are running and {self.waiting} are waiting; retry "
                "in a moment",
            )
            busy.headers = {"Retry-After": "1"}
            raise busy
