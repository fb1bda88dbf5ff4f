"""The decision service's edge, over real HTTP: tokens, Host names, what it shows, TLS, slow
and idle clients, and workers. Servers run on loopback, in a thread or as `aicxs serve`."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import re
import resource
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tests.test_server
from aicxs.engine.files import write_atomic
from aicxs.engine.service.security import Exposure, allowed_hosts, read_tokens, token_matches
from tests.conftest import ROOT, run_cli
from tests.test_server import facts_json, free_port, policy_folder, serving

TOKEN = "t0ken-for-the-tests-0123456789"
OTHER = "another-token-abcdefghijklmnop"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
LOOPBACK = allowed_hosts((), "127.0.0.1")


def wait_for(check: Callable[[], bool], seconds: float = 20, what: str = "the server") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ---- tokens ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = policy_folder(tmp_path_factory.mktemp("edge"))
    exposure = Exposure((TOKEN, OTHER), LOOPBACK)
    with serving(folder, reload_interval=0.1, exposure=exposure) as c:
        yield c


@pytest.mark.parametrize("path", ["/v1/policies", "/v1/standards", "/metrics", "/openapi.json"])
def test_every_route_but_health_needs_a_token(guarded: httpx.Client, path: str) -> None:
    refused = guarded.get(path)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="aicxs"'
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/unauthorized")
    assert "no token was given" in refused.json()["detail"]
    wrong = guarded.get(path, headers={"Authorization": "Bearer " + "x" * 30})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == 'Bearer realm="aicxs", error="invalid_token"'
    assert "the token is not valid" in wrong.json()["detail"]
    for token in (TOKEN, OTHER):  # every configured token is accepted
        assert guarded.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_evaluate_needs_a_token(guarded: httpx.Client) -> None:
    body = {"policy": "velocity_telecom", "facts": facts_json("telecom"), "explain": "none"}
    assert guarded.post("/v1/evaluate", json=body).status_code == 401
    answered = guarded.post("/v1/evaluate", json=body, headers=BEARER)
    assert answered.status_code == 200 and answered.json()["verdict"] == "not_certified"


def test_health_needs_no_token(guarded: httpx.Client) -> None:
    assert guarded.get("/health").status_code == 200


def test_a_token_is_a_whole_token(guarded: httpx.Client) -> None:
    for offered in (TOKEN[:-1], TOKEN + "x", TOKEN.upper(), f"Token {TOKEN}", "-"):
        response = guarded.get("/v1/policies", headers={"Authorization": f"Bearer {offered}"})
        assert response.status_code == 401, offered
    assert not token_matches("", (TOKEN,))
    assert token_matches(OTHER, (TOKEN, OTHER))


def test_tokens_from_a_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"# the API's clients\n\n{TOKEN}\n  {OTHER}  \n")
    env = {"AICXS_SERVE_TOKENS": " third-token-0123456789abc , ,"}
    assert read_tokens(path, env) == (TOKEN, OTHER, "third-token-0123456789abc")
    assert read_tokens(None, {}) == ()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("# nothing\n\n", "holds no token"),
        ("short\n", "holds a token of 5 characters; a token has at least 16"),
        ("with a space in the middle\n", "holds a token with spaces or characters other than"),
        (None, "is not a regular file"),
    ],
)
def test_a_bad_token_file_is_refused_at_start(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "tokens"
    if content is None:
        os.mkfifo(path)  # never opened: a FIFO would block the reader
    else:
        path.write_text(content)
    result = run_cli("serve", "--policies", str(ROOT / "policies"), "--token-file", str(path))
    assert result.exit_code == 2
    assert f"{path}: aicxs_serve_token_file: the token file `{path}` {expected}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_short_token_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AICXS_SERVE_TOKENS", "abc")
    result = run_cli("serve", "--policies", str(ROOT / "policies"))
    assert result.exit_code == 2
    assert "aicxs_serve_token_file: `AICXS_SERVE_TOKENS` gives a token of 3 characters" in (
        result.stderr
    )


def test_binding_beyond_loopback_needs_tokens(tmp_path: Path, snapshot: Any) -> None:
    result = run_cli("serve", "--policies", str(ROOT / "policies"), "--host", "0.0.0.0")
    assert result.exit_code == 2
    assert result.stderr == snapshot


def test_no_auth_with_tokens_is_a_contradiction(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    result = run_cli(
        "serve", "--policies", str(ROOT / "policies"), "--token-file", str(tokens), "--no-auth"
    )
    assert result.exit_code == 2
    assert "`--no-auth` says a proxy authenticates, yet tokens are given" in result.stderr


# ---- the web pages --------------------------------------------------------------------------


def test_web_pages_ask_a_browser_for_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A browser cannot send a bearer header from a link or a form; it answers a Basic
    challenge by itself (any user name, the token as password) and repeats it."""
    from aicxs.engine.service import server
    from aicxs.engine.service.cli import _web_mounts

    mounts, holder = _web_mounts(f"sqlite:///{tmp_path / 'store.sqlite'}")
    folder = policy_folder(tmp_path, ("telecom",))
    made = server.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        holder.append(app := made(*args, **kwargs))
        return app

    monkeypatch.setattr(tests.test_server, "create_app", create_app)
    with serving(folder, mounts=mounts, exposure=Exposure((TOKEN,), LOOPBACK)) as c:
        refused = c.get("/assess/")
        basic = base64.b64encode(f"anyone:{TOKEN}".encode()).decode()
        wrong = base64.b64encode(b"anyone:not-the-token-at-all").decode()
        shown = c.get("/assess/", headers={"Authorization": f"Basic {basic}"})
        bad = c.get("/assess/", headers={"Authorization": f"Basic {wrong}"})
        bearer = c.get("/assess/", headers=BEARER)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="aicxs", charset="UTF-8"'
    assert "a browser asks for it" in refused.json()["detail"]
    assert bad.status_code == 401
    assert shown.status_code == 200 and "<html" in shown.text.lower()
    assert bearer.status_code == 200


# ---- Host names -----------------------------------------------------------------------------


def test_a_foreign_host_is_refused(guarded: httpx.Client, snapshot: Any) -> None:
    """DNS rebinding: a page on attacker.example reaches the server with its own name."""
    for path in ("/health", "/v1/policies"):
        response = guarded.get(path, headers={"Host": "attacker.example", **BEARER})
        assert response.status_code == 400
        assert response.json()["type"].endswith("/host-not-allowed")
    problem = response.json()
    assert (problem["title"], problem["detail"]) == snapshot  # the type's base is the contract's
    for host in ("localhost", "LOCALHOST:8181", "127.0.0.1:1", "[::1]:8181"):
        assert guarded.get("/health", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts() -> None:
    assert allowed_hosts((), "127.0.0.1") == {"localhost", "127.0.0.1", "::1", "[::1]"}
    assert allowed_hosts((), "0.0.0.0") == allowed_hosts((), "::")
    assert "aicxs.internal" in (allowed_hosts((), "aicxs.internal") or ())
    assert allowed_hosts(("API.example.com", "fd00::1"), "0.0.0.0") == {
        "api.example.com",
        "fd00::1",
        "[fd00::1]",
    }
    assert allowed_hosts(("*",), "0.0.0.0") is None


# ---- no paths shown -------------------------------------------------------------------------


def test_policies_and_metrics_show_no_paths(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    (folder / "draft.aicx").write_text("policy draft implements AICXS 2024 {\n  target 2\n}\n")
    with serving(folder, reload_interval=0.05) as c:
        write_atomic(path, path.read_text("utf-8").replace("target level 2", "target levle 2"))
        wait_for(lambda: c.get("/health").json()["failing_files"] == 2)
        policies = c.get("/v1/policies").text
        metrics = c.get("/metrics").text
    assert str(tmp_path) not in policies and str(tmp_path) not in metrics
    draft, telecom = json.loads(policies)["policies"]
    assert (draft["file"], telecom["file"]) == ("draft.aicx", "telecom.aicx")
    assert telecom["error"]["message"] == (
        "telecom.aicx does not compile (aicxs_parse_error): policy `velocity_telecom` keeps its "
        "last good version; the server log has the whole message"
    )
    assert draft["error"]["message"].startswith("draft.aicx does not compile (aicxs_parse_error)")
    assert "nothing is served from it" in draft["error"]["message"]
    [diagnostic] = telecom["error"]["diagnostics"]
    assert diagnostic["message"] == "aicxs_parse_error: see the server log for the message"
    assert (diagnostic["file"], diagnostic["line"]) == ("telecom.aicx", diagnostic["line"])
    assert "levle" not in policies  # no policy text
    assert 'aicxs_policy_reload_failures_total{file="telecom.aicx"} 1.0' in metrics
    logged = caplog.text  # the operator's log keeps the path and the whole message
    assert f"{path}:20:10: aicxs_parse_error: unexpected name `levle`" in logged


def test_show_paths_shows_them(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    (folder / "draft.aicx").write_text("policy draft implements AICXS 2024 {\n  target 2\n}\n")
    with serving(folder, exposure=Exposure(show_paths=True)) as c:
        draft, _ = c.get("/v1/policies").json()["policies"]
    assert draft["file"] == str(folder / "draft.aicx")
    assert draft["error"]["message"].startswith(f"{folder / 'draft.aicx'}:2:")


# ---- the command: a real process ------------------------------------------------------------


@contextlib.contextmanager
def aicxs_serve(
    folder: Path,
    *options: str,
    port: int | None = None,
    log: Path | None = None,
    files: int | None = None,
    scheme: str = "http",
    verify: Any = True,
) -> Iterator[tuple[int, Path]]:
    """`aicxs serve` in a child process (with at most `files` open files), until /health
    answers; the port and the file its output goes to."""
    port = port or free_port()
    log = log or folder.parent / "serve.log"
    aicxs = Path(sys.executable).with_name("aicxs")

    def limit() -> None:
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(aicxs), "serve", "--policies", str(folder), "--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            preexec_fn=limit,
        )
    try:

        def up() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(f"{scheme}://127.0.0.1:{port}/health", timeout=1, verify=verify)
                return True
            except httpx.TransportError:
                return False

        wait_for(up, 60, "`aicxs serve` to start")
        yield port, log
    finally:
        process.terminate()
        process.wait(30)


def test_tls_with_a_certificate_made_here(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pinned = ssl.create_default_context(cafile=str(certfile))  # this certificate only
    pinned.check_hostname = False  # the test connects to 127.0.0.1; the name is `localhost`
    folder = policy_folder(tmp_path, ("telecom",))
    options = ("--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile))
    with aicxs_serve(folder, *options, scheme="https", verify=pinned) as (port, log):
        secure = httpx.get(f"https://127.0.0.1:{port}/health", verify=pinned, timeout=10)
        with pytest.raises(httpx.ConnectError):  # a client that does not know the certificate
            httpx.get(f"https://127.0.0.1:{port}/health", timeout=10)
        with pytest.raises(httpx.TransportError):  # plain HTTP gets no answer
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
    assert secure.status_code == 200 and secure.json()["status"] == "ok"
    assert f"Uvicorn running on https://127.0.0.1:{port}" in log.read_text()


def test_a_certificate_that_does_not_load_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "cert.pem"
    bad.write_text("not a certificate\n")
    result = run_cli(
        "serve", "--policies", str(ROOT / "policies"), "--ssl-certfile", str(bad),
        "--ssl-keyfile", str(bad),
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"{bad}: aicxs_serve_tls: the certificate `{bad}` and key `{bad}` do not load" in (
        result.stderr
    )
    alone = run_cli("serve", "--policies", str(ROOT / "policies"), "--ssl-certfile", str(bad))
    assert alone.exit_code == 2
    assert "aicxs_serve_tls: `--ssl-certfile` needs `--ssl-keyfile` too" in alone.stderr


# ---- slow and idle clients ------------------------------------------------------------------

SLOW_OPTIONS = ("--header-timeout", "3", "--body-timeout", "3", "--keep-alive-timeout", "2")


def test_slow_and_idle_clients_leave_health_answering(tmp_path: Path) -> None:
    """300 idle sockets, 20 trickling headers, 20 trickling a body, against a server that
    may open 256 files: once /health timed out and the log grew by 99 MB of `Too many open
    files` in 40 s. Now the longest idle connection makes room, the tricklers are cut off,
    and /health answers."""
    folder = policy_folder(tmp_path, ("telecom",))
    with aicxs_serve(folder, *SLOW_OPTIONS, files=256) as (port, log):
        address = ("127.0.0.1", port)
        idle = [socket.create_connection(address, timeout=10) for _ in range(300)]
        headers = [socket.create_connection(address, timeout=10) for _ in range(20)]
        bodies = [socket.create_connection(address, timeout=10) for _ in range(20)]
        for s in headers:
            s.sendall(b"GET /v1/policies HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for s in bodies:
            s.sendall(
                b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
        stop = threading.Event()

        def trickle() -> None:
            while not stop.wait(0.3):
                for s in headers + bodies:
                    with contextlib.suppress(OSError):
                        s.sendall(b"X" if s in headers else b" ")

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        try:
            answers = []
            for _ in range(3):
                answers.append(httpx.get(f"http://127.0.0.1:{port}/health", timeout=1))
                time.sleep(0.5)
            assert [a.status_code for a in answers] == [200, 200, 200]
            # the body tricklers got a 408 and were closed; every socket is closed in the end
            replies = [_read_all(s) for s in bodies[:3]]
            for s in idle + headers:  # closed by the server, answered nothing
                assert _read_all(s) == b""
        finally:
            stop.set()
            trickler.join(5)
            for s in idle + headers + bodies:
                s.close()
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    text = log.read_text()
    for reply in replies:
        assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
        assert b"/problems/body-timeout" in reply
    assert "Too many open files" not in text
    assert len(text) < 20_000, len(text)


def test_the_longest_idle_connection_makes_room(tmp_path: Path) -> None:
    """At the cap, a new connection closes the one idle the longest, never one with a request
    in progress; the header timeout is long here, so only making room closes them."""
    folder = policy_folder(tmp_path, ("telecom",))
    options = ("--max-connections", "4", "--header-timeout", "120", "--body-timeout", "120")
    with aicxs_serve(folder, *options) as (port, _):
        address = ("127.0.0.1", port)
        busy = socket.create_connection(address, timeout=10)  # a request in progress
        busy.sendall(
            b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        time.sleep(0.5)
        idle = []
        for _ in range(6):
            idle.append(socket.create_connection(address, timeout=10))
            time.sleep(0.2)  # opened one after the other: the first is idle the longest
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        for s in idle[:4]:  # closed to make room for the later ones and /health
            assert _read_all(s) == b""
        for s in [*idle[4:], busy]:  # still open
            s.settimeout(0.5)
            with pytest.raises(TimeoutError):
                s.recv(1)
        for s in [*idle, busy]:
            s.close()


def test_requests_beyond_the_limit_get_busy_but_health_answers(tmp_path: Path) -> None:
    from aicxs.engine.service.connections import ConnectionLimits

    folder = policy_folder(tmp_path, ("telecom",))
    limits = ConnectionLimits(body_timeout=3, max_requests=1)
    with serving(folder, connections=limits) as c:
        port = c.base_url.port
        assert port is not None
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow.sendall(
            b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        wait_for(lambda: c.get("/v1/standards").status_code == 503, 10, "the slow request")
        busy = c.post("/v1/evaluate", json={"policy": "velocity_telecom", "facts": {}})
        health = c.get("/health")
        late = _read_all(slow)
        slow.close()
        after = c.get("/v1/standards")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["type"].endswith("/busy")
    assert (
        "1 requests are in progress, the most this server takes at once" in (busy.json()["detail"])
    )
    assert health.status_code == 200
    head, _, body = late.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower()
    problem = json.loads(body)
    assert problem["type"].endswith("/body-timeout")
    assert problem["detail"] == (
        "the body did not arrive within 3 seconds; send it at once (the server's `--body-timeout`)"
    )
    assert after.status_code == 200  # the slot is free again


def _read_all(s: socket.socket, seconds: float = 20) -> bytes:
    """What the server sends until it closes the connection (bounded)."""
    s.settimeout(seconds)
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := s.recv(65536):
            data += chunk
    return data


# ---- workers --------------------------------------------------------------------------------


def test_two_workers_serve_and_each_reloads(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    with aicxs_serve(folder, "--workers", "2") as (port, log):
        url = f"http://127.0.0.1:{port}"

        def pids(pattern: str) -> set[str]:
            return set(re.findall(rf"\[(\d+)\] {pattern}", log.read_text()))

        loaded = "\\S+telecom.aicx loaded: serving policy `velocity_telecom`"
        wait_for(lambda: len(pids(loaded)) == 2, 60, "both workers to load the policy")

        def answered_by_both() -> bool:
            with httpx.Client(base_url=url, timeout=10) as fresh:  # a new connection each time
                assert fresh.get("/health").status_code == 200
            return len(pids('127.0.0.1:\\d+ - "GET /health HTTP/1.1" 200')) == 2

        wait_for(answered_by_both, 60, "both workers to answer")
        write_atomic(
            path,
            path.read_text("utf-8").replace('title "Velocity Telecom"', 'title "Edited"'),
        )
        reloaded = "\\S+telecom.aicx reloaded: serving policy `velocity_telecom`"
        wait_for(lambda: len(pids(reloaded)) == 2, 60, "both workers to reload the policy")
        body = {"policy": "velocity_telecom", "facts": {}, "explain": "none"}
        for _ in range(10):
            with httpx.Client(base_url=url, timeout=10) as fresh:
                assert fresh.post("/v1/evaluate", json=body).json()["policy"]["title"] == "Edited"
    assert len(pids(loaded) | pids(reloaded)) == 2


def test_workers_share_the_checks(tmp_path: Path) -> None:
    """The settings reach each worker: tokens, Host names, limits."""
    folder = policy_folder(tmp_path, ("telecom",))
    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    with aicxs_serve(folder, "--workers", "2", "--token-file", str(tokens)) as (port, _):
        for _ in range(6):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as fresh:
                assert fresh.get("/v1/policies").status_code == 401
                assert fresh.get("/v1/policies", headers=BEARER).status_code == 200
                assert fresh.get("/health", headers={"Host": "evil.example"}).status_code == 400
