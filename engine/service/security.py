"""Who may talk to the decision service, by which name, and what it tells them.

- **Tokens.** When the server has tokens (a file of one a line, or `AICXS_SERVE_TOKENS`),
  every request but `GET /health` must carry one: `Authorization: Bearer TOKEN` for the API,
  or HTTP Basic with the token as the password for the web pages (a browser cannot add a
  bearer header to a link or a form, but it asks for Basic credentials by itself and sends
  them with every later request). Each token offered is compared with every configured one
  in constant time (`hmac.compare_digest`, no early exit), so timing tells nothing of them.
- **Host names.** A request whose `Host` is not an allowed name is refused (400) before
  anything else: a web page on `attacker.example` whose name an attacker re-points at
  127.0.0.1 (DNS rebinding) reaches the server, but with `Host: attacker.example`.
- **Paths.** `/v1/policies` and `/metrics` name policy files relative to the served folder,
  and a file's load error by its codes and lines, unless `show_paths`: the messages hold
  paths and policy text, which are for the operator (the log has them).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.engine.service.request import Problem

TOKENS_VARIABLE = "AICXS_SERVE_TOKENS"
MAX_TOKEN_FILE_BYTES = 1024 * 1024
MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
OPEN_PATHS = frozenset({"/health"})  # answered without a token: load balancers probe it
REALM = 'realm="aicxs"'


@dataclass(frozen=True)
class Exposure:
    """What the server checks of each request, and what it shows.

    `allowed_hosts` None takes any `Host` (the default of `create_app`, for tests and
    embedding; `aicxs serve` always gives a list)."""

    tokens: tuple[str, ...] = ()
    allowed_hosts: frozenset[str] | None = None
    show_paths: bool = False


# ---- reading the tokens ---------------------------------------------------------------------


def read_tokens(path: Path | None, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The tokens of the file (one a line; blank lines and `#` comments skipped) and of
    `AICXS_SERVE_TOKENS` (comma-separated). A mistake is an `aicxs_serve_token_file`."""
    from_file = _token_file(path) if path is not None else []
    for token in from_file:
        _check_token(token, str(path))
    variable = environ.get(TOKENS_VARIABLE, "")
    from_environ = [t.strip() for t in variable.split(",") if t.strip()]
    for token in from_environ:
        _check_token(token, TOKENS_VARIABLE)
    return tuple(dict.fromkeys(from_file + from_environ))


def _token_file(path: Path) -> list[str]:
    name = str(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise _token_error(name, "is not a regular file", "give a file of one token a line")
        if st.st_size > MAX_TOKEN_FILE_BYTES:
            raise _token_error(
                name, f"is larger than {MAX_TOKEN_FILE_BYTES:,} bytes", "give one token a line"
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise _token_error(name, "is not UTF-8 text", "write one token a line") from None
    except OSError as err:
        reason = (err.strerror or str(err)).lower()
        raise _token_error(name, f"cannot be read: {reason}", "check the path") from None
    tokens = [line.strip() for line in text.splitlines()]
    tokens = [t for t in tokens if t and not t.startswith("#")]
    if not tokens:
        raise _token_error(
            name,
            "holds no token",
            'write one token a line, e.g. the output of `python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"`',
        )
    return tokens


def _check_token(token: str, where: str) -> None:
    if len(token) < MIN_TOKEN_LENGTH:
        raise _token_error(
            where,
            f"holds a token of {len(token)} characters; a token has at least {MIN_TOKEN_LENGTH}",
            'make one with `python -c "import secrets; print(secrets.token_urlsafe(32))"`',
        )
    if not token.isascii() or not token.isprintable() or " " in token:
        raise _token_error(
            where,
            "holds a token with spaces or characters other than printable ASCII",
            "a token goes into an HTTP header: use letters, digits and `-_.~+/=`",
        )


def _token_error(where: str, what: str, help_: str) -> DiagnosticError:
    message = (
        f"the token file `{where}` {what}"
        if where != TOKENS_VARIABLE
        else (f"`{TOKENS_VARIABLE}` {what.replace('holds', 'gives', 1)}")
    )
    return DiagnosticError([Diagnostic("aicxs_serve_token_file", message, None, help_, path=where)])


# ---- exposure at start ----------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the server on this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, tokens: tuple[str, ...], no_auth: bool) -> None:
    """Refuse (`aicxs_serve_unauthenticated`) to listen beyond loopback without tokens,
    unless the operator says a proxy in front authenticates (`--no-auth`)."""
    if tokens or no_auth or is_loopback(host):
        return
    raise DiagnosticError(
        [
            Diagnostic(
                "aicxs_serve_unauthenticated",
                f"`--host {host}` makes the service reachable from other machines, and it "
                "has no token: anyone who reaches it could use it",
                None,
                f"give `--token-file FILE` (or set `{TOKENS_VARIABLE}`); or, if a proxy in "
                "front authenticates every request, say so with `--no-auth`",
                path="--host",
            )
        ]
    )


def allowed_hosts(given: Iterable[str], bound: str) -> frozenset[str] | None:
    """The `Host` names accepted: those given, else the loopback names and the bound host
    (unless it is a wildcard address); `*` accepts any."""
    names = {h.strip().lower() for h in given if h.strip()}
    if "*" in names:
        return None
    if not names:
        names = set(LOOPBACK_NAMES)
        if bound not in ("0.0.0.0", "::", ""):
            names.add(bound.lower())
    for name in list(names):  # an IPv6 address is written in brackets in `Host`
        if ":" in name and not name.startswith("["):
            names.add(f"[{name}]")
    return frozenset(names)


# ---- each request ---------------------------------------------------------------------------


def host_name(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The request's `Host` without its port, lowercased; None without one."""
    for key, value in headers:
        if key == b"host":
            text = value.decode("latin-1").strip().lower()
            if text.startswith("["):
                return text.split("]", 1)[0] + "]"
            return text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    return None


def offered_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The token a request offers: a bearer token, or the password of Basic credentials."""
    for key, value in headers:
        if key != b"authorization":
            continue
        scheme, _, credentials = value.decode("latin-1").strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer":
            return credentials
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return decoded.partition(":")[2]
    return None


def token_matches(offered: str, tokens: tuple[str, ...]) -> bool:
    """Compared with every configured token, each in constant time, with no early exit."""
    given = offered.encode("utf-8", "surrogateescape")
    found = False
    for token in tokens:
        found |= hmac.compare_digest(given, token.encode("utf-8"))
    return found


class ExposureMiddleware:
    """Refuses a request with a `Host` not allowed (400), then one without a valid token
    (401, `WWW-Authenticate`: `Bearer` on the API's paths, `Basic` on the web pages)."""

    def __init__(self, app: ASGIApp, exposure: Exposure, api_paths: frozenset[str]) -> None:
        self.app, self.exposure, self.api_paths = app, exposure, api_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self.refusal(scope)
        if problem is None:
            await self.app(scope, receive, send)
        else:
            await problem.response(problem.headers)(scope, receive, send)

    def refusal(self, scope: Scope) -> Problem | None:
        exposure, headers = self.exposure, scope.get("headers", [])
        if exposure.allowed_hosts is not None:
            host = host_name(headers)
            if host not in exposure.allowed_hosts:
                shown = "no `Host`" if host is None else f"`Host: {host[:100]}`"
                return Problem(
                    400,
                    "host-not-allowed",
                    "Host not allowed",
                    f"this server does not answer to {shown}; it answers to "
                    + ", ".join(f"`{h}`" for h in sorted(exposure.allowed_hosts))
                    + " (the operator adds names with `--allowed-host`)",
                )
        if not exposure.tokens or scope.get("path", "") in OPEN_PATHS:
            return None
        offered = offered_token(headers)
        if offered is not None and token_matches(offered, exposure.tokens):
            return None
        api = scope.get("path", "") in self.api_paths
        problem = Problem(
            401,
            "unauthorized",
            "Unauthorized",
            ("no token was given" if offered is None else "the token is not valid")
            + "; send `Authorization: Bearer TOKEN` with a token the operator gave you"
            + ("" if api else " (a browser asks for it: any user name, the token as password)"),
        )
        challenge = f"Bearer {REALM}" if api else f'Basic {REALM}, charset="UTF-8"'
        if offered is not None and api:
            challenge += ', error="invalid_token"'
        problem.headers = {"WWW-Authenticate": challenge}
        return problem


# ---- what the service shows -----------------------------------------------------------------


def shown_file(name: str, folder: Path, exposure: Exposure) -> str:
    """A policy file as `/v1/policies` and `/metrics` name it: relative to the served folder,
    unless the operator asked for paths."""
    if exposure.show_paths:
        return name
    try:
        return Path(name).relative_to(folder).as_posix()
    except ValueError:
        return Path(name).name


def redact_policy(entry: dict[str, Any], folder: Path, exposure: Exposure) -> dict[str, Any]:
    """One entry of `/v1/policies` without paths or policy text: the file relative to the
    folder, a load error by its codes, lines and columns (the log has the whole message)."""
    if exposure.show_paths:
        return entry
    entry = {**entry, "file": shown_file(entry["file"], folder, exposure)}
    error = entry.get("error")
    if error:
        diagnostics = [
            {
                **d,
                "message": f"{d['code']}: see the server log for the message",
                "file": entry["file"],
                "help": "",
                "notes": [],
            }
            for d in error["diagnostics"]
        ]
        codes = ", ".join(dict.fromkeys(d["code"] for d in diagnostics))
        kept = (
            f"policy `{entry['id']}` keeps its last good version"
            if entry.get("id")
            else "nothing is served from it"
        )
        entry["error"] = {
            "at": error["at"],
            "message": f"{entry['file']} does not compile ({codes}): {kept}; the server log "
            "has the whole message",
            "diagnostics": diagnostics,
        }
    return entry
