"""The service's contract: each policy's facts schema, evaluation with the policy in the path,
the report schema and problem types at URLs the service serves, and a client generated from
the OpenAPI document calling the real service."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from aicxs.engine.service.openapi_schemas import PROBLEMS
from tests.conftest import AS_OF, ROOT, run_cli
from tests.test_server import facts_json, policy_folder, serving


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return policy_folder(tmp_path_factory.mktemp("contract"))


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[httpx.Client]:
    with serving(folder, reload_interval=0.1) as c:
        yield c


def test_a_policy_s_schema_is_what_aicxs_schema_prints(client: httpx.Client, folder: Path) -> None:
    response = client.get("/v1/policies/velocity_telecom/schema")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.text == run_cli("schema", str(folder / "telecom.aicx")).stdout
    assert response.json()["$id"] == "urn:aicxs:schemas:facts"


def test_an_unknown_policy_has_no_schema(client: httpx.Client) -> None:
    response = client.get("/v1/policies/telecom/schema")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/unknown-policy"
    assert "did you mean `velocity_telecom`" in response.json()["detail"]


def test_evaluate_with_the_policy_in_the_path(client: httpx.Client) -> None:
    facts = facts_json("telecom")
    body = {"facts": facts, "as_of": AS_OF}
    by_path = client.post("/v1/policies/velocity_telecom/evaluate", json=body)
    by_body = client.post("/v1/evaluate", json={"policy": "velocity_telecom", **body})
    assert by_path.status_code == 200
    assert by_path.content == by_body.content  # the same report, byte for byte
    assert by_path.headers["x-decision-id"] != by_body.headers["x-decision-id"]
    twice = client.post("/v1/policies/velocity_telecom/evaluate", json={"policy": "x", **body})
    assert twice.status_code == 400
    assert "the path names the policy" in twice.json()["detail"]
    unknown = client.post("/v1/policies/nobody/evaluate", json=body)
    assert unknown.status_code == 404 and unknown.json()["type"] == "/problems/unknown-policy"


def test_the_report_schema_is_served_where_its_id_says(client: httpx.Client) -> None:
    served = client.get("/schemas/report-1.json")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/schema+json"
    shipped = resources.files("aicxs.engine").joinpath("report-schema.json").read_text("utf-8")
    assert served.text == shipped
    report = client.post("/v1/evaluate", json={"policy": "retail_bank", "facts": {}}).json()
    assert report["$schema"] == served.json()["$id"] == "urn:aicxs:schemas:report-1"


def test_every_problem_type_resolves_to_a_page(client: httpx.Client) -> None:
    problem = client.post("/v1/evaluate", json={"policy": "nobody", "facts": {}}).json()
    page = client.get(problem["type"])  # a reference relative to the service
    assert page.status_code == 200 and "404: no policy with this id is served" in page.text
    for slug in PROBLEMS:
        response = client.get(f"/problems/{slug}")
        assert response.status_code == 200, slug
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert f"<h1>{slug}</h1>" in response.text
    unknown = client.get("/problems/%3Cscript%3E")
    assert unknown.status_code == 404
    assert "no problem type `<script>`" in unknown.json()["detail"]


def test_nothing_points_at_the_placeholder_domain() -> None:
    """Outputs, schemas, docs and snapshots name URNs or the service's own URLs. The one
    exception is the OSCAL prop namespace (engine/reports/oscal.py says why)."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if path.suffix in (".png", ".ico", ".sqlite", ".tables") or not path.is_file():
            continue
        for n, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            if "aicxs.example" in line and "aicxs.example/ns/oscal" not in line:
                found.append(f"{name}:{n}")
    assert found == []


def generate(client: httpx.Client, path: str, tmp_path: Path, name: str) -> str:
    """Generate a client from the document at `path` into `tmp_path/name`; its warnings."""
    (tmp_path / f"{name}.json").write_text(client.get(path).text)
    (tmp_path / f"{name}.yaml").write_text(f"post_hooks: []\nproject_name_override: {name}\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    generated = subprocess.run(
        [str(generator), "generate", "--path", f"{name}.json", "--meta", "none",
         "--config", f"{name}.yaml", "--output-path", name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return generated.stdout


def test_a_client_generated_for_one_policy_types_its_facts(
    client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`/v1/policies/{id}/openapi.json` types `facts` by the policy's schema: the generated
    client builds the facts as objects, and they reach the service intact."""
    document = client.get("/v1/policies/velocity_telecom/openapi.json").json()
    assert set(document["paths"]) == {
        "/v1/policies/velocity_telecom/evaluate",
        "/v1/policies/velocity_telecom/schema",
    }
    body_schema = document["components"]["schemas"]["PolicyEvaluateRequest"]
    assert body_schema["properties"]["facts"] == {"$ref": "#/components/schemas/Facts"}
    schema = client.get("/v1/policies/velocity_telecom/schema").json()
    facts_schema = document["components"]["schemas"]["Facts"]
    assert facts_schema["properties"] == schema["properties"]
    assert "WARNING" not in generate(client, "/v1/policies/velocity_telecom/openapi.json",
                                     tmp_path, "telecom_client")  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    api: Any = importlib.import_module("telecom_client")
    evaluate: Any = importlib.import_module("telecom_client.api.evaluation.evaluate")
    models: Any = importlib.import_module("telecom_client.models")
    facts = models.Facts.from_dict(facts_json("telecom"))
    assert [s.id for s in facts.systems] == [s["id"] for s in facts_json("telecom")["systems"]]
    assert facts.to_dict() == facts_json("telecom")
    body = models.PolicyEvaluateRequest(facts=facts, as_of=dt.date.fromisoformat(AS_OF))
    response = evaluate.sync_detailed(client=api.Client(base_url=str(client.base_url)), body=body)
    assert response.status_code == 200
    # the same report as for the facts sent by hand (in the model's key order: report
    # locations are lines of the facts as sent)
    direct = client.post(
        "/v1/evaluate",
        json={"policy": "velocity_telecom", "facts": facts.to_dict(), "as_of": AS_OF},
    )
    assert response.content == direct.content
    assert json.loads(response.content)["verdict"] == "not_certified"
    assert client.get("/v1/policies/nobody/openapi.json").status_code == 404


def test_a_generated_client_calls_the_service(
    client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openapi-python-client builds a client from `/openapi.json`; it evaluates, typed."""
    output = generate(client, "/openapi.json", tmp_path, "aicxs_client")
    # only the streamed JSON Lines of the batch endpoint are beyond it (it is left untyped)
    warnings = [w for w in output.split("WARNING")[1:] if "/v1/evaluate/batch" not in w]
    assert warnings == []
    monkeypatch.syspath_prepend(str(tmp_path))
    api: Any = importlib.import_module("aicxs_client")
    evaluate: Any = importlib.import_module("aicxs_client.api.evaluation.evaluate_policy")
    models: Any = importlib.import_module("aicxs_client.models")
    service = api.Client(base_url=str(client.base_url))
    body = models.PolicyEvaluateRequest(
        facts=models.PolicyEvaluateRequestFacts.from_dict(facts_json("telecom")),
        as_of=dt.date.fromisoformat(AS_OF),
        explain=models.PolicyEvaluateRequestExplain.NONE,
    )
    response = evaluate.sync_detailed("velocity_telecom", client=service, body=body)
    assert response.status_code == 200
    report = response.parsed
    assert isinstance(report, models.Report)
    assert (report.verdict.value, report.policy.id) == ("not_certified", "velocity_telecom")
    assert report.to_dict() == json.loads(response.content)  # nothing lost in the model
    unknown = evaluate.sync_detailed("nobody", client=service, body=body)
    assert unknown.status_code == 404
    assert isinstance(unknown.parsed, models.Problem)
    assert unknown.parsed.type_ == "/problems/unknown-policy"
