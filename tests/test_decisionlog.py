"""Decision logs and request logs, through the real server (tests/test_server.py's `serving`)."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from aicxs.engine.service.decisionlog import DecisionLog, JsonFormatter
from tests.conftest import AS_OF, ROOT, run_cli
from tests.test_server import facts_json, free_port, policy_folder, serving


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_each_decision_is_logged_with_its_id(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    facts = facts_json("telecom")
    with serving(policy_folder(tmp_path), decision_log=DecisionLog(str(log))) as c:
        ok = c.post("/v1/evaluate", json={"policy": "velocity_telecom", "facts": facts,
                                          "as_of": AS_OF, "explain": "none"})  # fmt: skip
        unknown = c.post("/v1/evaluate", json={"policy": "nobody", "facts": {}})
        revision = c.get("/health").json()["revisions"]["velocity_telecom"]
    first, second = read_lines(log)
    assert uuid.UUID(ok.headers["x-decision-id"]).version == 4
    assert first["decision_id"] == ok.headers["x-decision-id"]
    assert "decision_id" not in ok.json()  # the body stays what `check --format json` prints
    assert first["policy"] == {"id": "velocity_telecom", "revision": revision}
    assert first["standard"] == {"id": "AICXS", "version": 2024}
    assert (first["verdict"], first["status"], first["problem"]) == ("not_certified", 200, None)
    assert (first["as_of"], first["explain"], first["path"]) == (AS_OF, "none", "/v1/evaluate")
    # the hash of `request.json`, the document diagnostics locate
    text = json.dumps(facts, indent=2, ensure_ascii=False) + "\n"
    assert first["input_sha256"] == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert first["duration_ms"] > 0 and first["time"].endswith("Z")
    assert "input" not in first  # facts may be confidential: only with --decision-log-input
    # a request that could not be decided is logged too, with why
    assert second["decision_id"] == unknown.headers["x-decision-id"]
    assert (second["status"], second["problem"], second["verdict"]) == (404, "unknown-policy", None)


def test_the_input_is_logged_only_when_asked(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    facts = facts_json("telecom")
    with serving(policy_folder(tmp_path), decision_log=DecisionLog(str(log), with_input=True)) as c:
        c.post("/v1/evaluate", json={"policy": "velocity_telecom", "facts": facts})
    [entry] = read_lines(log)
    assert entry["input"] == facts


def test_the_decision_log_rotates_by_size(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    decisions = DecisionLog(str(log), max_bytes=2_000, keep=2)
    with serving(policy_folder(tmp_path), decision_log=decisions) as c:
        ids = [
            c.post("/v1/evaluate", json={"policy": "velocity_telecom", "facts": {},
                                         "explain": "none"}).headers["x-decision-id"]
            for _ in range(30)
        ]  # fmt: skip
    files = sorted(tmp_path.glob("decisions.jsonl*"))
    assert [f.name for f in files] == ["decisions.jsonl", "decisions.jsonl.1", "decisions.jsonl.2"]
    assert all(f.stat().st_size <= 2_000 for f in files)
    kept = [e["decision_id"] for f in reversed(files) for e in read_lines(f)]
    assert kept == ids[-len(kept) :]  # the newest, in order; the oldest rotated away
    assert len(kept) < len(ids)


def test_json_request_logs_name_the_decision(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.INFO, "aicxs.access")
    with serving(policy_folder(tmp_path), request_log=True) as c:
        decided = c.post("/v1/evaluate", json={"policy": "velocity_telecom", "facts": {}})
        c.get("/health")
    records = [r for r in caplog.records if r.name == "aicxs.access"]
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    evaluate, health = lines
    assert {k: evaluate[k] for k in ("method", "path", "status", "decision_id", "logger")} == {
        "method": "POST",
        "path": "/v1/evaluate",
        "status": 200,
        "decision_id": decided.headers["x-decision-id"],
        "logger": "aicxs.access",
    }
    assert evaluate["duration_ms"] > 0 and evaluate["message"] == "POST /v1/evaluate 200"
    assert (health["path"], health["status"], health["decision_id"]) == ("/health", 200, None)


def test_serve_writes_a_decision_log_and_json_logs(tmp_path: Path) -> None:
    """The command's flags, end to end: a decision log on stdout, every log line JSON."""
    folder = policy_folder(tmp_path, ("telecom",))
    port = free_port()
    aicxs = Path(sys.executable).with_name("aicxs")
    process = subprocess.Popen(
        [str(aicxs), "serve", "--policies", str(folder), "--port", str(port),
         "--decision-log", "-", "--log-format", "json", "--reload-grace", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        body = {"policy": "velocity_telecom", "facts": {}}
        decided = httpx.post(f"http://127.0.0.1:{port}/v1/evaluate", json=body, timeout=20)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    [decision] = [json.loads(line) for line in out.splitlines()]
    assert decision["decision_id"] == decided.headers["x-decision-id"]
    logged = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    requests = [e for e in logged if e["logger"] == "aicxs.access"]
    assert [(e["path"], e["decision_id"]) for e in requests] == [
        ("/health", None),
        ("/v1/evaluate", decided.headers["x-decision-id"]),
    ]
    assert any("serving policy `velocity_telecom`" in e["message"] for e in logged)


def test_a_decision_log_that_cannot_be_written_stops_the_start(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    result = run_cli(
        "serve", "--policies", str(folder), "--decision-log", str(tmp_path / "no" / "d.jsonl")
    )
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "--decision-log" in result.stderr


@pytest.mark.parametrize("destination", [None, "-"])
def test_a_log_without_a_file(destination: str | None, capsys: Any) -> None:
    from aicxs.engine.service.decisionlog import Decision

    DecisionLog(destination).write(Decision("/v1/evaluate"), 400, None, "invalid-json")
    out = capsys.readouterr().out
    assert (json.loads(out)["problem"] if out else None) == (destination and "invalid-json")
