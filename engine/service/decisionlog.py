"""Decision logs and request logs: what the service decided, for whom, and how long it took.

Every evaluation gets a `decision_id` (a uuid4), sent back in the `X-Decision-Id` header (the
body stays the bytes `aicxs check --format json` prints) and written, with what was decided,
as one JSON line of the decision log (OPA's decision-log fields: id, time, policy and its
revision, standard, input hash, verdict, duration). The facts themselves are logged only when
asked (`--decision-log-input`): they may be confidential. A file log rotates by size.
The request log is one JSON line per request (`--log-format json`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import logging.handlers
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aicxs.aicxs_dsl.escape import json_dumps

DECISION_HEADER = "X-Decision-Id"
MAX_BYTES = 100 * 1024 * 1024  # a decision log file rotates past this size
KEEP = 5  # rotated decision log files kept (`decisions.jsonl.1` ... `.5`)


def new_decision_id() -> str:
    return str(uuid.uuid4())


def facts_sha256(text: str) -> str:
    """The hash of the facts as evaluated: the document `request.json` that diagnostics
    locate (the request's facts printed with an indent of 2), so `sha256sum request.json`
    of that document gives the same."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Decision:
    """One evaluation while it runs; `entry()` is its decision log line."""

    path: str  # the endpoint that was called
    decision_id: str = field(default_factory=new_decision_id)
    started: float = field(default_factory=time.perf_counter)
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    batch: tuple[str, int] | None = None  # (the batch's id, the line in it)
    policy: dict[str, Any] | None = None  # id and revision
    standard: dict[str, Any] | None = None  # id and version
    as_of: str | None = None
    explain: str | None = None
    facts: dict[str, Any] | None = None
    input_sha256: str | None = None

    def entry(
        self, status: int, verdict: str | None, problem: str | None, with_input: bool
    ) -> dict[str, Any]:
        duration = (time.perf_counter() - self.started) * 1000
        out: dict[str, Any] = {
            "decision_id": self.decision_id,
            "time": self.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "path": self.path,
            "policy": self.policy,
            "standard": self.standard,
            "as_of": self.as_of,
            "explain": self.explain,
            "input_sha256": self.input_sha256,
            "status": status,
            "verdict": verdict,
            "problem": problem,
            "duration_ms": round(duration, 3),
        }
        if self.batch:
            out["batch_id"], out["batch_line"] = self.batch
        if with_input:
            out["input"] = self.facts
        return out


class DecisionLog:
    """Writes decision log lines to a file (rotated by size) or to stdout (`-`); without a
    destination it writes nothing. Safe from any thread (the handler holds a lock)."""

    def __init__(
        self,
        destination: str | None = None,
        max_bytes: int = MAX_BYTES,
        keep: int = KEEP,
        with_input: bool = False,
    ) -> None:
        self.with_input = with_input
        self.handler: logging.Handler | None = None
        if destination == "-":
            self.handler = logging.StreamHandler(sys.stdout)
        elif destination:
            self.handler = logging.handlers.RotatingFileHandler(
                Path(destination), maxBytes=max_bytes, backupCount=keep, encoding="utf-8"
            )
        if self.handler:
            self.handler.setFormatter(logging.Formatter("%(message)s"))

    def write(
        self, decision: Decision, status: int, verdict: str | None, problem: str | None = None
    ) -> None:
        if self.handler is None:
            return
        line = json_dumps(decision.entry(status, verdict, problem, self.with_input), None, True)
        self.handler.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))

    def close(self) -> None:
        if self.handler:
            self.handler.close()


# ---- request logs ---------------------------------------------------------------------------

access_log = logging.getLogger("aicxs.access")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        out: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json_dumps(out, None, True)


class RequestLogMiddleware:
    """Logs each HTTP request once answered: method, path, status, duration and the decision
    id when there is one (pure ASGI, so a streamed response is logged when it ends)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "decision_id": None}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for key, value in message.get("headers", ()):
                    if key.decode("latin-1").lower() == DECISION_HEADER.lower():
                        seen["decision_id"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            fields = {
                "method": scope["method"],
                "path": scope["path"],
                "status": seen["status"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "decision_id": seen["decision_id"],
            }
            access_log.info(
                "%s %s %s", fields["method"], fields["path"], fields["status"],
                extra={"fields": fields},
            )  # fmt: skip


def use_json_logs() -> None:
    """Every log line of the process as JSON (`--log-format json`): the service's, uvicorn's
    errors, and the request log, which takes the place of uvicorn's access log."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def dumps_facts(facts: Any) -> str:
    """The facts as the service evaluates them (see `facts_sha256`)."""
    return json.dumps(facts, indent=2, ensure_ascii=False) + "\n"
