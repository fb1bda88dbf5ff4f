"""`POST /v1/evaluate/batch`: many evaluation requests in one body, the answers streamed back.

The body is JSON Lines (`application/x-ndjson` or `application/jsonl`: one evaluation request
a line, blank lines skipped) or a JSON array of them (`application/json`), at most `--max-body`
bytes and `AICXS_MAX_BATCH_LINES` requests. The answer is JSON Lines in the order asked: for
each request its report on one line (the data `aicxs check --format json` prints), or the
problem object that request alone would have got, with `line` naming it. Each request has the
limits of one (work, report size) and its own decision id in the decision log, with the
batch's id (`X-Batch-Id`) and its line. The batch holds one evaluation slot while it runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.engine.service.decide import Service, compact, decide, internal_error
from aicxs.engine.service.decisionlog import Decision, new_decision_id
from aicxs.engine.service.request import (
    EvaluateRequest,
    Problem,
    parse_json,
    parse_request,
    read_body,
)

NDJSON = "application/x-ndjson"
LINES = (NDJSON, "application/jsonl", "application/x-jsonlines")
BATCH_HEADER = "X-Batch-Id"

Item = tuple[int, Callable[[], EvaluateRequest]]  # its line (or place in the array), its reader


async def post_batch(request: Request) -> Response:
    service: Service = request.app.state.service
    lines = _media(request)
    body = await read_body(request, service.max_body)
    items = _items(body, lines, service.max_batch_lines)
    batch_id = new_decision_id()
    service.slots.check()  # before answering, while a 503 can still be sent
    return StreamingResponse(
        _answers(request, service, items, batch_id),
        media_type=NDJSON,
        headers={BATCH_HEADER: batch_id},
    )


async def _answers(
    request: Request, service: Service, items: list[Item], batch_id: str
) -> AsyncIterator[bytes]:
    async with service.slots.limiter:  # one slot for the batch: it waits for its turn
        for number, read in items:
            yield await _answer(request, service, batch_id, number, read) + b"\n"


async def _answer(
    request: Request,
    service: Service,
    batch_id: str,
    number: int,
    read: Callable[[], EvaluateRequest],
) -> bytes:
    """One line of the answer: the report, or the problem, of the request on line `number`."""
    decision = Decision(request.url.path, batch=(batch_id, number))
    try:
        report, verdict = await decide(service, decision, read())
    except Problem as problem:
        service.decisions.write(decision, problem.status, None, problem.slug)
        return _problem_line(problem, number, decision)
    except Exception as exc:  # a bug: this line says so, the others are still answered
        service.decisions.write(decision, 500, None, "internal-error")
        return _problem_line(internal_error(request, exc), number, decision)
    service.decisions.write(decision, 200, verdict)
    return compact(report)


def _problem_line(problem: Problem, number: int, decision: Decision) -> bytes:
    data = problem.as_dict() | {"line": number, "decision_id": decision.decision_id}
    return json_dumps(data, None, True).encode("utf-8")


def _media(request: Request) -> bool:
    """Whether the body is JSON Lines (else a JSON array); 415 for anything else."""
    header = request.headers.get("content-type", "")
    media, _, params = header.partition(";")
    media = media.strip().lower()
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params else "utf-8"
    if charset == "utf-8" and (media in LINES or media == "application/json"):
        return media in LINES
    shown = f"`{header}`" if header else "not given"
    raise Problem(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        f"the body's content type is {shown}; this endpoint takes JSON Lines "
        f"(`{NDJSON}` or `application/jsonl`) or a JSON array (`application/json`), in UTF-8",
    )


def _items(body: bytes, lines: bool, most: int) -> list[Item]:
    """The requests of the body, each read only when its turn comes (a bad one is that
    line's problem); too many of them is the whole batch's (413)."""
    items: list[Item]
    if lines:
        items = [
            (n, _line_reader(line))
            for n, line in enumerate(body.split(b"\n"), start=1)
            if line.strip()
        ]
    else:
        data = parse_json(body)
        if not isinstance(data, list):
            raise Problem(
                400,
                "invalid-request",
                "Invalid request",
                f"the body is a JSON {type(data).__name__}; send an array of evaluation "
                f"requests, or JSON Lines (`{NDJSON}`)",
            )
        items = [(n, _value_reader(value)) for n, value in enumerate(data, start=1)]
    if len(items) > most:
        raise Problem(
            413,
            "batch-too-large",
            "Too many requests in one batch",
            f"the batch holds {len(items):,} evaluation requests; this server takes at most "
            f"{most:,} in one: send them in several batches, or set `AICXS_MAX_BATCH_LINES` "
            "on the server",
        )
    return items


def _line_reader(line: bytes) -> Callable[[], EvaluateRequest]:
    return lambda: parse_request(parse_json(line))


def _value_reader(value: Any) -> Callable[[], EvaluateRequest]:
    return lambda: parse_request(value)
