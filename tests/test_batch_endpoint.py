"""`POST /v1/evaluate/batch` through the real server: in order, a bad line answered alone,
the limits of one request for each line and a cap on lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aicxs.engine.service.decisionlog import DecisionLog
from tests.conftest import AS_OF
from tests.test_server import facts_json, only_ids, policy_folder, serving

NDJSON = {"content-type": "application/x-ndjson"}


KR5 = "Customer data used for AI must have clear consent"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return policy_folder(tmp_path_factory.mktemp("batch"))


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[httpx.Client]:
    with serving(folder, reload_interval=0.1, max_body=200_000) as c:
        yield c


def request(policy: str, example: str | None = None, **more: Any) -> dict[str, Any]:
    facts = facts_json(example) if example else {}
    return {"policy": policy, "facts": facts, "as_of": AS_OF, "explain": "none", **more}


def lines_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


def single(client: httpx.Client, body: dict[str, Any]) -> Any:
    """What `/v1/evaluate` answers for one request, as JSON."""
    return client.post("/v1/evaluate", json=body).json()


def test_answers_in_order_with_a_bad_line_in_the_middle(client: httpx.Client) -> None:
    telecom, bank = request("velocity_telecom", "telecom"), request("retail_bank", "retail-bank")
    body = b"\n".join(
        [json.dumps(telecom).encode(), b'{"policy": "retail_bank", "facts": ', b"",
         json.dumps(bank).encode(), json.dumps(request("nobody")).encode()]
    ) + b"\n"  # fmt: skip
    response = client.post("/v1/evaluate/batch", content=body, headers=NDJSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    first, broken, third, unknown = lines_of(response)
    assert first == single(client, telecom)  # the report `/v1/evaluate` gives, on one line
    assert third == single(client, bank)
    assert (first["verdict"], third["verdict"]) == ("not_certified", "not_certified")
    assert third["reasons"] == [
        "mandatory key requirement KR5 fails: " + KR5
    ]  # the bank's only gap
    assert "KR1" in first["reasons"][0]
    # the bad line gets the problem it alone would get, naming its line (blank lines count)
    assert broken["type"] == "/problems/invalid-json" and broken["line"] == 2
    assert "invalid JSON at line 1" in broken["detail"]
    assert (unknown["type"], unknown["status"], unknown["line"]) == (
        "/problems/unknown-policy",
        404,
        5,
    )


def test_a_json_array_of_requests(client: httpx.Client) -> None:
    telecom = request("velocity_telecom", "telecom")
    response = client.post("/v1/evaluate/batch", json=[telecom, 7, {**telecom, "explain": "x"}])
    report, not_object, bad_explain = lines_of(response)
    assert report == single(client, telecom)
    assert (not_object["status"], not_object["line"]) == (400, 2)
    assert "the body is a JSON int" in not_object["detail"]
    assert bad_explain["line"] == 3 and '`explain` is "x"' in bad_explain["detail"]


def test_each_line_has_the_limits_of_one_request(folder: Path) -> None:
    small, large = request("retail_bank"), request("retail_bank")
    small["facts"], large["facts"] = only_ids(10), only_ids(1_000)
    body = "\n".join(json.dumps(r) for r in (small, large, small)).encode()
    with serving(folder, reload_interval=0.1, max_work=10_000) as c:
        response = c.post("/v1/evaluate/batch", content=body, headers=NDJSON)
    before, refused, after = lines_of(response)
    assert before["verdict"] == after["verdict"] == "undetermined"
    assert (refused["type"], refused["status"], refused["line"]) == (
        "/problems/work-too-large",
        413,
        2,
    )


def test_too_many_lines_are_refused_before_any_is_evaluated(folder: Path) -> None:
    body = "\n".join(json.dumps(request("velocity_telecom")) for _ in range(3)).encode()
    with serving(folder, reload_interval=0.1, max_batch_lines=2) as c:
        refused = c.post("/v1/evaluate/batch", content=body, headers=NDJSON)
        two = c.post("/v1/evaluate/batch", content=body.rsplit(b"\n", 1)[0], headers=NDJSON)
        metrics = c.get("/metrics").text
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/batch-too-large"
    assert "holds 3 evaluation requests; this server takes at most 2" in refused.json()["detail"]
    assert len(lines_of(two)) == 2
    assert 'aicxs_evaluations_total{policy="velocity_telecom",verdict="undetermined"} 2.0' in (
        metrics
    )
    assert 'route="/v1/evaluate/batch",status="413"} 1.0' in metrics


@pytest.mark.parametrize(
    ("content", "headers", "status", "slug"),
    [
        (b"{}", {"content-type": "text/plain"}, 415, "unsupported-media-type"),
        (b'{"policy": "retail_bank", "facts": {}}', {"content-type": "application/json"},
         400, "invalid-request"),
        (b"[1, 2", {"content-type": "application/json"}, 400, "invalid-json"),
        (b"\n" * 200_001, NDJSON, 413, "body-too-large"),
    ],
)  # fmt: skip
def test_a_batch_that_cannot_be_read_is_one_problem(
    client: httpx.Client, content: bytes, headers: dict[str, str], status: int, slug: str
) -> None:
    response = client.post("/v1/evaluate/batch", content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["type"] == f"/problems/{slug}"


def test_an_empty_batch_has_an_empty_answer(client: httpx.Client) -> None:
    response = client.post("/v1/evaluate/batch", content=b"\n\n", headers=NDJSON)
    assert (response.status_code, response.text) == (200, "")


def test_each_line_is_a_decision_of_the_batch(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    body = [request("velocity_telecom"), request("nobody")]
    with serving(policy_folder(tmp_path), decision_log=DecisionLog(str(log))) as c:
        response = c.post("/v1/evaluate/batch", json=body)
    batch_id = response.headers["x-batch-id"]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["batch_id"], e["batch_line"], e["status"]) for e in entries] == [
        (batch_id, 1, 200),
        (batch_id, 2, 404),
    ]
    assert lines_of(response)[1]["decision_id"] == entries[1]["decision_id"]
    assert len({e["decision_id"] for e in entries}) == 2
