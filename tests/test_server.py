"""The decision service, over real HTTP: uvicorn on loopback, in a thread, on a free port."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from prometheus_client.parser import text_string_to_metric_families

from aicxs import spec
from aicxs.engine.files import write_atomic
from aicxs.engine.service import decide
from aicxs.engine.service.openapi import openapi_document
from aicxs.engine.service.openapi_schemas import PROBLEMS
from aicxs.engine.service.security import Exposure
from aicxs.engine.service.server import ROUTES, create_app
from tests.conftest import AS_OF, ROOT, run_cli

MAX_BODY = 200_000  # small, so that the 413 test sends little
SHOW_PATHS = Exposure(show_paths=True)  # paths and whole errors, as `--show-paths` shows them
POLICIES = ("retail-bank", "telecom")


def facts_json(name: str) -> dict[str, Any]:
    """An example's facts file as the JSON a client would send (dates as text)."""
    data = yaml.safe_load((ROOT / "policies" / f"{name}.facts.yaml").read_text("utf-8"))
    return json.loads(json.dumps(data, default=str))


def policy_folder(root: Path, names: tuple[str, ...] = POLICIES) -> Path:
    folder = root / "served"
    folder.mkdir()
    for name in names:
        shutil.copy(ROOT / "policies" / f"{name}.aicx", folder)
    return folder


@contextlib.contextmanager
def serving(folder: Path, **options: Any) -> Iterator[httpx.Client]:
    """The real server on 127.0.0.1, a free port, until the block ends."""
    app = create_app(folder, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return policy_folder(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[httpx.Client]:
    with serving(folder, max_body=MAX_BODY, reload_interval=0.1) as c:
        yield c


def evaluate(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/v1/evaluate", json=body)


# ---- evaluation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "example", "explain"),
    [
        ("retail_bank", "retail-bank", "fails"),
        ("velocity_telecom", "telecom", "fails"),
        ("velocity_telecom", "telecom", "full"),
        ("velocity_telecom", "telecom", "none"),
    ],
)
def test_evaluate_answers_the_bytes_check_prints(
    client: httpx.Client,
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
    example: str,
    explain: str,
) -> None:
    facts = facts_json(example)
    response = evaluate(client, policy=policy, facts=facts, as_of=AS_OF, explain=explain)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    # the CLI, given the same facts as `request.json`, prints the very same bytes
    monkeypatch.chdir(tmp_path)
    Path("request.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
    cli = run_cli(
        "check",
        str(folder / f"{example}.aicx"),
        "--facts",
        "request.json",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--explain",
        explain,
    )
    assert response.text == cli.stdout
    assert response.json()["verdict"] == "not_certified"  # the bank fails KR5 as written


def test_facts_locations_name_the_request_document(client: httpx.Client) -> None:
    report = evaluate(
        client, policy="velocity_telecom", facts=facts_json("telecom"), as_of=AS_OF
    ).json()
    p52 = next(r for r in report["results"] if r["id"] == "P5.2")
    text = json.dumps(p52["explanation"])
    assert p52["status"] == "fail" and "voice-ivr" in text
    assert re.search(r'"location": \{"file": "request.json", "line": \d+', text)
    assert report["facts"]["source"] == "request.json"


def test_as_of_defaults_to_today(client: httpx.Client) -> None:
    report = evaluate(client, policy="velocity_telecom", facts={}, explain="none").json()
    assert report["as_of"] == dt.date.today().isoformat()
    assert report["verdict"] == "undetermined"


# ---- the other endpoints --------------------------------------------------------------------


def test_standards(client: httpx.Client, snapshot: Any) -> None:
    response = client.get("/v1/standards")
    assert response.status_code == 200
    standards = response.json()["standards"]
    assert [s["file"] for s in standards] == [f"spec/{p.name}" for p in spec.bundled()]
    assert [s for s in standards if s["version"] == 2024] == snapshot


def test_policies(client: httpx.Client, folder: Path, snapshot: Any) -> None:
    response = client.get("/v1/policies")
    assert response.status_code == 200
    policies = response.json()["policies"]
    assert [p["id"] for p in policies] == ["retail_bank", "velocity_telecom"]
    for p in policies:
        data = (ROOT / "policies" / Path(p["file"]).name).read_bytes()
        assert p["revision"] == "sha256:" + __import__("hashlib").sha256(data).hexdigest()
        assert dt.datetime.fromisoformat(p["loaded_at"]) <= dt.datetime.now(dt.UTC)
    assert normalise(response.text, folder) == snapshot


def normalise(text: str, folder: Path) -> str:
    """Paths, revisions and times made stable for snapshots."""
    text = text.replace(str(folder), "<folder>")
    text = re.sub(r"sha256:[0-9a-f]{64}", "sha256:<hash>", text)
    return re.sub(r'"\d{4}-\d\d-\d\dT[0-9:.]+Z"', '"<time>"', text)


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    health = response.json()
    assert without_revisions(health) == {"status": "ok", "policies": 2, "failing_files": 0}
    # which revision of each policy answers: the same as `/v1/policies` lists
    policies = client.get("/v1/policies").json()["policies"]
    assert health["revisions"] == {p["id"]: p["revision"] for p in policies}


def without_revisions(health: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in health.items() if k != "revisions"}


def test_openapi_describes_every_endpoint(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    assert document == openapi_document()
    assert document["openapi"].startswith("3.1")
    operations = {
        (path, method.upper()): op
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if method != "parameters"
    }
    served = {(r.path, m) for r in ROUTES for m in (r.methods or ()) if m != "HEAD"}
    assert set(operations) == served
    # what generators name clients and group them by: unique operation ids, known tags
    ids = [op["operationId"] for op in operations.values()]
    assert len(set(ids)) == len(ids) == len(served)
    tags = {t["name"] for t in document["tags"]}
    assert all(op["tags"] and set(op["tags"]) <= tags for op in operations.values())
    assert document["servers"] == [
        {"url": "/", "description": "The service that serves this document."}
    ]
    for problem in ("400", "404", "413", "415", "422"):
        content = document["paths"]["/v1/evaluate"]["post"]["responses"][problem]["content"]
        assert content == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }


def test_metrics_count_requests_evaluations_and_latency(folder: Path, tmp_path: Path) -> None:
    with serving(policy_folder(tmp_path), reload_interval=0.1) as c:
        for _ in range(3):
            evaluate(c, policy="velocity_telecom", facts=facts_json("telecom"), explain="none")
        evaluate(c, policy="retail_bank", facts=facts_json("retail-bank"), as_of=AS_OF)
        evaluate(c, policy="nobody", facts={})
        c.get("/nowhere")
        response = c.get("/metrics")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    evaluate_ok = {"route": "/v1/evaluate", "method": "POST", "status": "200"}
    assert value("aicxs_http_requests_total", **evaluate_ok) == 4
    assert value("aicxs_http_requests_total", **{**evaluate_ok, "status": "404"}) == 1
    assert value("aicxs_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert value("aicxs_http_request_duration_seconds_count", route="/v1/evaluate") == 5
    assert value("aicxs_http_request_duration_seconds_bucket", route="/v1/evaluate", le="+Inf") == 5
    assert value("aicxs_evaluations_total", policy="velocity_telecom", verdict="not_certified") == 3
    assert value("aicxs_evaluations_total", policy="retail_bank", verdict="not_certified") == 1
    assert value("aicxs_policies_loaded") == 2
    assert value("aicxs_policy_files_failing") == 0


# ---- problems -------------------------------------------------------------------------------

JSON = {"content-type": "application/json"}
BAD_REQUESTS: dict[str, tuple[int, Callable[[httpx.Client], httpx.Response]]] = {
    "not json": (400, lambda c: c.post("/v1/evaluate", content=b'{"policy": ', headers=JSON)),
    "not utf-8": (
        400,
        lambda c: c.post("/v1/evaluate", content=b'{"policy": "\xff"}', headers=JSON),
    ),
    "a list": (400, lambda c: c.post("/v1/evaluate", json=[1, 2])),
    "no facts": (400, lambda c: evaluate(c, policy="retail_bank")),
    "unknown field": (400, lambda c: evaluate(c, policy="retail_bank", facts={}, asof=AS_OF)),
    "policy not text": (400, lambda c: evaluate(c, policy=7, facts={})),
    "facts not an object": (400, lambda c: evaluate(c, policy="retail_bank", facts=[])),
    "bad date": (400, lambda c: evaluate(c, policy="retail_bank", facts={}, as_of="27/11/2026")),
    "bad explain": (400, lambda c: evaluate(c, policy="retail_bank", facts={}, explain="all")),
    "repeated key": (
        400,
        lambda c: c.post(
            "/v1/evaluate", content=b'{"policy": "a", "policy": "b", "facts": {}}', headers=JSON
        ),
    ),
    "NaN": (
        400,
        lambda c: c.post(
            "/v1/evaluate",
            content=b'{"policy": "retail_bank", "facts": {"organisation": NaN}}',
            headers=JSON,
        ),
    ),
    "unknown policy": (404, lambda c: evaluate(c, policy="retail_bnk", facts={})),
    "policy named by its file": (404, lambda c: evaluate(c, policy="telecom", facts={})),
    "unknown path": (404, lambda c: c.get("/v1/evaluations")),
    "wrong method": (405, lambda c: c.get("/v1/evaluate")),
    "too large": (
        413,
        lambda c: c.post("/v1/evaluate", content=b" " * (MAX_BODY + 1), headers=JSON),
    ),
    "too large, streamed": (
        413,
        lambda c: c.post("/v1/evaluate", content=iter([b" " * 65536] * 4), headers=JSON),
    ),
    "text/plain": (
        415,
        lambda c: c.post("/v1/evaluate", content=b"{}", headers={"content-type": "text/plain"}),
    ),
    "no content type": (415, lambda c: c.post("/v1/evaluate", content=b"{}")),
    "latin-1": (
        415,
        lambda c: c.post(
            "/v1/evaluate",
            content=b"{}",
            headers={"content-type": "application/json; charset=latin-1"},
        ),
    ),
    "facts that do not fit": (
        422,
        lambda c: evaluate(
            c,
            policy="velocity_telecom",
            facts={
                "organisation": {"strategy": {"documented": "yes"}},
                "systems": [{"id": "bot", "customer_facing": True, "chanel": "chat"}],
            },
        ),
    ),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_request_gets_a_problem(
    client: httpx.Client, folder: Path, case: str, snapshot: Any
) -> None:
    status, send = BAD_REQUESTS[case]
    response = send(client)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].removeprefix("/problems/") in PROBLEMS
    assert problem["title"] and problem["detail"]
    assert normalise(response.text, folder) == snapshot


def test_facts_diagnostics_locate_each_problem(client: httpx.Client) -> None:
    facts = {"systems": [{"id": "bot", "customer_facing": "yes"}]}
    problem = evaluate(client, policy="velocity_telecom", facts=facts).json()
    [diagnostic] = problem["diagnostics"]
    assert diagnostic["code"] == "aicxs_facts_type"
    assert diagnostic["file"] == "request.json"
    # line 5 of the facts printed with an indent of 2, where the key `customer_facing` starts
    assert (diagnostic["line"], diagnostic["column"]) == (5, 7)
    assert "systems[bot].customer_facing" in diagnostic["message"]


def test_wrong_method_names_the_allowed_one(client: httpx.Client) -> None:
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_a_bug_gets_a_500_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: Any
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(decide, "evaluate", broken)
    with serving(policy_folder(tmp_path, ("telecom",))) as c:
        response = evaluate(c, policy="velocity_telecom", facts={})
        metrics = c.get("/metrics").text
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.text == snapshot
    assert 'route="/v1/evaluate",status="500"} 1.0' in metrics


# ---- reloading ------------------------------------------------------------------------------


def wait_for(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the server to reload"
        time.sleep(0.05)


def test_policy_edited_while_serving(tmp_path: Path, snapshot: Any) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    original = path.read_text("utf-8")
    body = {
        "policy": "velocity_telecom",
        "facts": facts_json("telecom"),
        "as_of": AS_OF,
        "explain": "none",
    }

    def served() -> dict[str, Any]:
        [entry] = c.get("/v1/policies").json()["policies"]
        return dict(entry)

    def title() -> str:
        return str(c.post("/v1/evaluate", json=body).json()["policy"]["title"])

    with serving(folder, reload_interval=0.05, reload_grace=0.2, exposure=SHOW_PATHS) as c:
        first = served()
        assert title() == "Velocity Telecom"
        # a valid edit: the new version is served
        write_atomic(
            path, original.replace('title "Velocity Telecom"', 'title "Velocity Telecom plc"')
        )
        wait_for(lambda: served()["revision"] != first["revision"])
        assert title() == "Velocity Telecom plc"
        assert served()["error"] is None
        # a broken edit: the last good version keeps serving; the error is reported
        good = served()
        write_atomic(path, original.replace("target level 2", "target levle 2"))
        wait_for(lambda: served()["error"] is not None)
        broken = served()
        assert title() == "Velocity Telecom plc"
        assert (broken["revision"], broken["loaded_at"]) == (good["revision"], good["loaded_at"])
        assert c.get("/health").json()["failing_files"] == 1
        assert normalise(json.dumps(broken["error"], indent=2), folder) == snapshot
        metrics = c.get("/metrics").text
        assert re.search(
            r'aicxs_policy_reload_failures_total\{file="[^"]+telecom.aicx"\} 1.0', metrics
        )
        assert re.search(r'aicxs_policy_reloads_total\{file="[^"]+telecom.aicx"\} 1.0', metrics)
        assert "aicxs_policy_files_failing 1.0" in metrics
        # fixed again: served, and the error is gone
        write_atomic(path, original)
        wait_for(lambda: served()["error"] is None)
        assert title() == "Velocity Telecom"
        # a new file is picked up; a removed one stops being served
        shutil.copy(ROOT / "policies" / "startup.aicx", folder)
        wait_for(lambda: c.get("/health").json()["policies"] == 2)
        path.unlink()
        wait_for(lambda: c.get("/health").json()["policies"] == 1)
        assert c.post("/v1/evaluate", json=body).status_code == 404


def test_a_file_emptied_mid_edit_keeps_serving(tmp_path: Path) -> None:
    """Editors that write in place empty the file first: that is a broken edit, not a removal."""
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    original = path.read_text("utf-8")
    with serving(folder, reload_interval=0.05) as c:
        path.write_text("")
        wait_for(lambda: c.get("/health").json()["failing_files"] == 1)
        assert c.get("/health").json()["policies"] == 1
        assert evaluate(c, policy="velocity_telecom", facts={}).status_code == 200
        path.write_text(original)
        wait_for(lambda: c.get("/health").json()["failing_files"] == 0)


def test_a_file_broken_at_start_is_listed_with_its_error(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    (folder / "draft.aicx").write_text("policy draft implements AICXS 2024 {\n  target 2\n}\n")
    with serving(folder) as c:
        draft, telecom = c.get("/v1/policies").json()["policies"]
        health = without_revisions(c.get("/health").json())
        assert health == {"status": "ok", "policies": 1, "failing_files": 1}
        assert "aicxs_policy_files_failing 1.0" in c.get("/metrics").text
    assert {
        k: draft[k] for k in ("id", "title", "standard", "revision", "loaded_at")
    } == dict.fromkeys(("id", "title", "standard", "revision", "loaded_at"))
    assert draft["file"].endswith("draft.aicx") and telecom["error"] is None
    [diagnostic] = draft["error"]["diagnostics"]
    assert (diagnostic["code"], diagnostic["line"]) == ("aicxs_parse_error", 2)


def test_two_files_with_one_policy_id(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    shutil.copy(folder / "telecom.aicx", folder / "telecom-copy.aicx")
    with serving(folder, exposure=SHOW_PATHS) as c:
        entries = c.get("/v1/policies").json()["policies"]
        assert [e["file"].rsplit("/", 1)[1] for e in entries] == [
            "telecom-copy.aicx",
            "telecom.aicx",
        ]
        assert entries[0]["error"] is None
        [diagnostic] = entries[1]["error"]["diagnostics"]
        assert diagnostic["code"] == "aicxs_duplicate_policy"
        assert "already served from" in diagnostic["message"]
        health = without_revisions(c.get("/health").json())
        assert health == {"status": "ok", "policies": 1, "failing_files": 1}


# ---- the whole API, fuzzed ------------------------------------------------------------------


def test_schemathesis_finds_no_failure(folder: Path, tmp_path: Path) -> None:
    """Every operation, with examples, coverage and fuzzing phases and every check that
    applies to an API without resources, against a server with a token and the loopback
    Host names (so `ignored_auth` checks that a request without the token is refused)."""
    from aicxs.engine.service.security import Exposure, allowed_hosts

    token = "schemathesis-token-0123456789"
    exposure = Exposure((token,), allowed_hosts((), "127.0.0.1"))
    with serving(folder, max_body=MAX_BODY, reload_interval=0.1, exposure=exposure) as client:
        result = _schemathesis(client, token, tmp_path / "openapi.json")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Tested: 12" in result.stdout  # read from a file, /openapi.json is fuzzed too
    assert "No issues found" in result.stdout


def _schemathesis(client: httpx.Client, token: str, path: Path) -> subprocess.CompletedProcess[str]:
    """schemathesis, on the document the server serves (saved to `path`: it needs the token)."""
    tool = Path(sys.executable).with_name("schemathesis")
    skipped = "use_after_free,ensure_resource_availability,object_level_authorization"
    schema = client.get("/openapi.json", headers={"Authorization": f"Bearer {token}"})
    path.write_text(schema.text)
    return subprocess.run(
        [
            str(tool),
            f"--config-file={ROOT / 'tests' / 'schemathesis.toml'}",
            "run",
            str(path),
            f"--url={client.base_url}",
            f"--header=Authorization: Bearer {token}",
            "--max-examples=25",
            "--checks=all",
            f"--exclude-checks={skipped}",
            "--generation-database=none",
            "--seed=20261127",
            "--no-color",
            "--workers=1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )


# ---- the command ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_command_starts_uvicorn(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    port = free_port()
    aicxs = Path(sys.executable).with_name("aicxs")
    process = subprocess.Popen(
        [str(aicxs), "serve", "--policies", str(folder), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert without_revisions(health.json()) == {
            "status": "ok",
            "policies": 1,
            "failing_files": 0,
        }
    finally:
        process.terminate()
        _, log = process.communicate(timeout=20)
    assert f"{folder}/telecom.aicx loaded: serving policy `velocity_telecom`" in log
    assert f"Uvicorn running on http://127.0.0.1:{port}" in log


def test_serve_refuses_a_missing_folder() -> None:
    result = run_cli("serve", "--policies", "no-such-folder")
    assert result.exit_code == 2
    assert "'no-such-folder' does not exist" in result.stderr


# ---- limits: work, response size, evaluations at once -----------------------------------------


def only_ids(n: int) -> dict[str, Any]:
    """Facts listing `n` system ids and nothing else: every check unknown for every system."""
    return {"systems": [{"id": f"s{i:06d}"} for i in range(n)]}


def test_ten_thousand_ids_get_a_bounded_report(folder: Path) -> None:
    """Facts of 10,000 bare system ids once took 102 s and gave a 1 GB report; the unknown
    systems are now counted, not each explained."""
    with serving(folder, reload_interval=0.1) as c:
        c.timeout = 120
        response = evaluate(c, policy="retail_bank", facts=only_ids(10_000), as_of=AS_OF)
    assert response.status_code == 200
    assert len(response.content) < 3_000_000, len(response.content)
    report = response.json()
    assert report["verdict"] == "undetermined"
    assert sum(g["count"] for g in report["missing_by_fact"]) > 10_000 * 30
    assert all(len(g["items"]) <= 10 for g in report["missing_by_fact"])


def test_too_much_work_is_refused_before_evaluating(folder: Path) -> None:
    with serving(folder, reload_interval=0.1, max_work=10_000) as c:
        small = evaluate(c, policy="retail_bank", facts=only_ids(100), as_of=AS_OF)
        large = evaluate(c, policy="retail_bank", facts=only_ids(1_000), as_of=AS_OF)
        full = evaluate(c, policy="retail_bank", facts=only_ids(100), as_of=AS_OF, explain="full")
    assert small.status_code == 200
    for response in (large, full):
        assert response.status_code == 413
        problem = response.json()
        assert problem["type"].endswith("/work-too-large")
        assert "this server does at most 10,000 per request" in problem["detail"]
    assert "list of 1,000 items" in large.json()["detail"]
    assert "`explain: full` counts 40 times" in full.json()["detail"]


def test_a_report_too_large_is_refused(folder: Path) -> None:
    with serving(folder, reload_interval=0.1, max_response=60_000) as c:
        response = evaluate(c, policy="retail_bank", facts=only_ids(50), as_of=AS_OF)
        decisions = evaluate(
            c, policy="velocity_telecom", facts=facts_json("telecom"), explain="none"
        )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/response-too-large")
    assert "limit of 60,000 bytes; ask for explain `none`" in problem["detail"]
    assert decisions.status_code == 200


def test_evaluations_beyond_the_slots_are_turned_away(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aicxs.engine.service import limits

    monkeypatch.setattr(limits, "WAITING_PER_SLOT", 0)  # one slot, nobody waits
    done: list[httpx.Response] = []
    with serving(folder, reload_interval=0.1, evaluations=1) as c:
        c.timeout = 60
        slow = threading.Thread(
            target=lambda: done.append(
                evaluate(c, policy="retail_bank", facts=only_ids(3_000), as_of=AS_OF)
            )
        )
        slow.start()
        time.sleep(0.3)  # the slow one holds the only slot
        busy = evaluate(c, policy="velocity_telecom", facts=facts_json("telecom"))
        slow.join()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["type"].endswith("/busy")
    assert done[0].status_code == 200
