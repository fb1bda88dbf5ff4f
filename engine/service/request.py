"""An evaluation request: its body read within a size limit, its JSON, its fields.

What is wrong with a request becomes a `Problem`, which the server turns into an RFC 9457
`application/problem+json` response: the body too large (413), not JSON (415, 400), a field
missing or of the wrong kind (400), each named with what to write instead; and what the
service will not take on (too much work, a report too large, too busy: limits.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aicxs.aicxs_dsl.diagnostics import did_you_mean
from aicxs.engine.facts import DuplicateKey, object_without_duplicates
from aicxs.engine.loader import environ_as_of, explain_mode
from aicxs.engine.outcome import Explain
from aicxs.engine.service.openapi_schemas import PROBLEM, PROBLEM_TYPES

REQUEST_FIELDS = ("policy", "facts", "as_of", "explain")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Problem(Exception):
    """A request that cannot be answered: becomes an `application/problem+json` response."""

    def __init__(self, status: int, slug: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.extra = (
            status,
            slug,
            title,
            detail,
            extra,
        )
        self.headers: dict[str, str] = {}  # e.g. `Retry-After`

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_TYPES + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }

    def response(self, headers: dict[str, str] | None = None) -> Response:
        text = json.dumps(self.as_dict(), indent=2) + "\n"
        return Response(text, self.status, headers, media_type=PROBLEM)


@dataclass(frozen=True)
class EvaluateRequest:
    policy: str
    facts: dict[str, Any]
    as_of: dt.date
    explain: Explain


# ---- the request body -----------------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Problem:
    return Problem(
        413,
        "body-too-large",
        "Request body too large",
        f"the body is larger than this server's limit of {limit:,} bytes; send a smaller "
        "facts document, or start the server with a larger `--max-body`",
    )


def check_content_type(request: Request) -> None:
    """JSON only (`application/json`, or any `+json` type), in UTF-8."""
    header = request.headers.get("content-type", "")
    media, _, params = header.partition(";")
    media = media.strip().lower()
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params else "utf-8"
    if (media == "application/json" or media.endswith("+json")) and charset == "utf-8":
        return
    shown = f"`{header}`" if header else "not given"
    raise Problem(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        f"the body's content type is {shown}; this endpoint takes `application/json` in UTF-8",
    )


def _no_constant(word: str) -> Any:
    raise ValueError(f"`{word}` is not a JSON number")


def parse_json(body: bytes) -> Any:
    """The body as JSON: UTF-8, no repeated keys, no NaN or infinities (400 otherwise)."""
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=object_without_duplicates,
                          parse_constant=_no_constant)  # fmt: skip
    except UnicodeDecodeError as err:
        detail = f"the body is not UTF-8 text (byte {err.start} is 0x{body[err.start]:02x})"
    except json.JSONDecodeError as err:
        detail = f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
    except DuplicateKey as err:
        detail = f"key `{err.key}` appears twice in one object; keep one"
    except ValueError as err:
        detail = f"invalid JSON: {err}"
    except RecursionError:
        detail = "the JSON nests too deeply"
    raise Problem(400, "invalid-json", "Invalid JSON", detail)


def parse_request(data: Any) -> EvaluateRequest:
    """The fields of an evaluation request, each checked (400 naming the field otherwise)."""
    if not isinstance(data, dict):
        raise _invalid(
            f"the body is a JSON {type(data).__name__}; send an object with `policy` and `facts`"
        )
    for key in data:
        if key not in REQUEST_FIELDS:
            hint = did_you_mean(key, REQUEST_FIELDS) or "the fields are " + ", ".join(
                f"`{f}`" for f in REQUEST_FIELDS
            )
            raise _invalid(f"unknown field `{clip(key)}`; {hint}")
    for key in ("policy", "facts"):
        if key not in data:
            raise _invalid(f"the request has no `{key}`")
    policy, facts = data["policy"], data["facts"]
    if not isinstance(policy, str):
        raise _invalid("`policy` should be a text: the id of a served policy")
    if not isinstance(facts, dict):
        raise _invalid("`facts` should be an object: a facts document as JSON")
    as_of = _date(data["as_of"]) if "as_of" in data else environ_as_of() or dt.date.today()
    return EvaluateRequest(policy, facts, as_of, _mode(data.get("explain", "fails")))


def _date(value: Any) -> dt.date:
    try:
        if isinstance(value, str) and DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise _invalid(f"`as_of` is {_shown(value)}; write a date as YYYY-MM-DD")


def _mode(value: Any) -> Explain:
    try:
        return explain_mode(value)
    except ValueError:
        pass
    raise _invalid(f"`explain` is {_shown(value)}; use one of: fails, full, none")


def _shown(value: Any) -> str:
    return clip(json.dumps(value))


def clip(text: str, limit: int = 60) -> str:
    """Text from the request, cut short enough to quote in a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _invalid(detail: str) -> Problem:
    return Problem(400, "invalid-request", "Invalid request", detail)
