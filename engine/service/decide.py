"""One decision: an evaluation request, checked, evaluated against a served policy, logged.

Every endpoint that evaluates (`/v1/evaluate`, `/v1/policies/{id}/evaluate` and each line of
`/v1/evaluate/batch`) goes through `decide`: the policy looked up, the work bounded, the facts
evaluated in a worker thread, the report's bytes bounded, and the decision written to the
decision log with its outcome, good or not. What cannot be answered is a `Problem`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from aicxs.aicxs_dsl.diagnostics import DiagnosticError, did_you_mean
from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.aicxs_dsl.limits import MAX_REQUEST_WORK, MAX_RESPONSE_BYTES
from aicxs.aicxs_dsl.words import count
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.service.decisionlog import (
    DECISION_HEADER,
    Decision,
    DecisionLog,
    dumps_facts,
    facts_sha256,
)
from aicxs.engine.service.limits import Slots, check_work, too_large
from aicxs.engine.service.metrics import Metrics
from aicxs.engine.service.registry import PolicyRegistry
from aicxs.engine.service.request import EvaluateRequest, Problem, clip
from aicxs.engine.service.security import Exposure

FACTS_NAME = "request.json"  # how reports and diagnostics name a document from a request
log = logging.getLogger("aicxs.serve")


@dataclass
class Service:
    """What the handlers share: the policies, the metrics, the limits, the decision log."""

    registry: PolicyRegistry
    metrics: Metrics
    max_body: int
    standards: list[dict[str, Any]]
    max_work: int = MAX_REQUEST_WORK  # item evaluations per request
    max_response: int = MAX_RESPONSE_BYTES
    slots: Slots = field(default_factory=lambda: Slots(1))  # evaluations at once
    decisions: DecisionLog = field(default_factory=DecisionLog)
    max_batch_lines: int = 1_000
    exposure: Exposure = field(default_factory=Exposure)  # tokens, hosts, paths shown

    def failing_files(self) -> int:
        files = self.registry.files
        return sum(1 for name, f in files.items() if f.error or name in self.registry.clashes)


def evaluate(
    compiled: CompiledPolicy,
    request: EvaluateRequest,
    max_work: int = MAX_REQUEST_WORK,
    max_response: int = MAX_RESPONSE_BYTES,
    decision: Decision | None = None,
) -> tuple[bytes, str]:
    """The report's bytes (as `aicxs check --format json` prints them) and the verdict.

    The facts go back to JSON text so that the facts parser validates them exactly as it
    would a file, and diagnostics and explanations can give lines in `request.json`. The
    work is bounded before anything is evaluated, the report while it is written."""
    check_work(compiled.plan.costs, request.facts, request.explain, max_work)
    text = dumps_facts(request.facts)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Problem(
            400, "invalid-json", "Invalid JSON", "the facts hold a lone UTF-16 surrogate escape"
        ) from None
    if decision is not None:
        decision.input_sha256 = facts_sha256(text)
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


async def decide(
    service: Service, decision: Decision, wanted: EvaluateRequest
) -> tuple[bytes, str]:
    """Evaluate `wanted` (in a worker thread); what is known of it goes into `decision`."""
    decision.as_of, decision.explain = wanted.as_of.isoformat(), wanted.explain
    decision.facts = wanted.facts
    entry = service.registry.by_id.get(wanted.policy)
    if entry is None or entry.compiled is None:
        raise unknown_policy(service.registry, wanted.policy)
    compiled = entry.compiled
    decision.policy = {"id": wanted.policy, "revision": entry.revision}
    decision.standard = {"id": compiled.standard.id, "version": compiled.standard.version}
    report, verdict = await anyio.to_thread.run_sync(
        _evaluate, compiled, wanted, service.max_work, service.max_response, decision
    )
    service.metrics.evaluations.labels(wanted.policy, verdict).inc()
    return report, verdict


async def answer(
    request: Request, service: Service, parse: Callable[[], EvaluateRequest]
) -> Response:
    """The report for the request `parse` reads, with its decision id in `X-Decision-Id`
    (never in the body: it stays the bytes `check --format json` prints), and logged."""
    decision = Decision(request.url.path)
    headers = {DECISION_HEADER: decision.decision_id}
    try:
        report, verdict = await decide(service, decision, parse())
    except Problem as problem:
        service.decisions.write(decision, problem.status, None, problem.slug)
        problem.headers.update(headers)
        raise
    except Exception as exc:
        # Answered here rather than by the app-wide handler: Starlette re-raises after that one
        # responds, and the server may then reset the connection before the client reads the 500.
        service.decisions.write(decision, 500, None, "internal-error")
        return internal_error(request, exc).response(headers)
    service.decisions.write(decision, 200, verdict)
    return Response(report, media_type="application/json", headers=headers)


def internal_error(request: Request, exc: BaseException) -> Problem:
    """The 500 for a bug; its traceback goes to the log."""
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return Problem(
        500,
        "internal-error",
        "Internal error",
        "this is a bug in aicxs, not in the request; the server log has the traceback",
    )


def _evaluate(*args: Any) -> tuple[bytes, str]:
    # looked up at each call, so that a test may replace `evaluate` (to raise a bug)
    return evaluate(*args)


def unknown_policy(registry: PolicyRegistry, wanted: str) -> Problem:
    served = sorted(registry.by_id)
    return Problem(
        404,
        "unknown-policy",
        "Unknown policy",
        f"no policy `{clip(wanted)}` is served; {_policy_hint(registry, wanted)}",
        policies=served,
    )


def _policy_hint(registry: PolicyRegistry, wanted: str) -> str:
    """A policy id is the `policy NAME` in its file, which people mistake for the file's name."""
    for name, entry in sorted(registry.files.items()):
        if Path(name).stem == wanted and entry.policy_id in registry.by_id:
            return f"did you mean `{entry.policy_id}`, the policy in `{name}`?"
    return did_you_mean(wanted, registry.by_id) or "see `GET /v1/policies`"


def compact(report: bytes) -> bytes:
    """A report on one line (for JSON Lines): the same data as `check --format json`."""
    return json_dumps(json.loads(report), None, True).encode("utf-8")
