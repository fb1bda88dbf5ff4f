"""The web assessment over real HTTP (uvicorn on loopback, in a thread): sessions and CSRF,
typed answers read as the terminal reads them, ranges from the facts schema, escaping of
everything shown back, export and import of the facts, and both ways of serving it.

The browser's view of the same pages is tests/test_web_browser.py.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from aicxs.engine.loader import CompiledPolicy, load_policy
from aicxs.engine.onboarding.cli import _MINIMAL_POLICY, web_routes
from aicxs.engine.service.server import create_app
from aicxs.engine.store import Store, open_store
from tests.conftest import AS_OF, ROOT, run_cli

SHARE = ("organisation", "training", "staff_trained_share")


def with_share_bound(compiled: CompiledPolicy) -> CompiledPolicy:
    """The policy with `minimum: 0, maximum: 1` on the training share in its facts schema.

    The language cannot declare a number's range yet (the verdict-integrity work adds
    `number 0 .. 1`); the web form reads ranges from the facts JSON Schema, so the tests give
    the schema the bound that work will give it. Once it lands this changes nothing."""
    schema = copy.deepcopy(dict(compiled.schema))
    node = schema
    for part in SHARE:
        node = node["properties"][part]
    node.update({"minimum": 0, "maximum": 1})
    return dataclasses.replace(compiled, schema=schema)


def assessment_policy(folder: Path) -> Path:
    """The bundled standard as it is, as a policy file (what `aicxs assess` uses)."""
    path = folder / "assessment.aicx"
    path.write_text(_MINIMAL_POLICY.format(standard="AICXS", version=2024, target=2), "utf-8")
    return path


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """The app on 127.0.0.1, a free port, until the block ends; yields its base URL."""
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclasses.dataclass
class Site:
    base: str
    store: Store
    policy: Path  # the policy file assessed


@contextlib.contextmanager
def assessment_site(folder: Path) -> Iterator[Site]:
    policy = assessment_policy(folder)
    compiled = with_share_bound(load_policy(policy))
    store = open_store(str(folder / "store.sqlite"))
    routes = web_routes(
        store, lambda: {compiled.policy.name: compiled}, dt.date.fromisoformat(AS_OF)
    )
    try:
        with serving(Starlette(routes=routes)) as base:
            yield Site(base, store, policy)
    finally:
        store.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with assessment_site(tmp_path_factory.mktemp("web")) as found:
        yield found


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def begin(site: Site, label: str = "Acme Bank") -> tuple[httpx.Client, str, str]:
    """A new browser that starts an assessment: (client, its base path, its CSRF token)."""
    client = httpx.Client(base_url=site.base, timeout=20, follow_redirects=True)
    home = client.get("/")
    assert home.status_code == 200 and str(home.url).endswith("/assess/")
    token = csrf_of(home.text)
    started = client.post(
        "/assess/start", data={"csrf": token, "label": label, "policy": "assessment"}
    )
    assert started.status_code == 200
    found = re.search(r"(/assess/[A-Za-z0-9_-]+)/step/systems$", str(started.url))
    assert found, started.url
    return client, found.group(1), token


# ---- sessions and CSRF ----------------------------------------------------------------------


def test_a_form_without_the_browsers_token_is_refused(site: Site) -> None:
    client, base, token = begin(site)
    for data in ({}, {"csrf": "forged"}, {"csrf": token + "x"}):
        r = client.post(f"{base}/step/P1", data={**data, "organisation.strategy.documented": "yes"})
        assert r.status_code == 403 and "This form has expired" in r.text
    stranger = httpx.Client(base_url=site.base, timeout=20)
    stranger.get("/assess/")
    r = stranger.post(f"{base}/step/P1", data={"csrf": csrf_of(stranger.get("/assess/").text)})
    assert r.status_code == 404  # another browser's draft does not exist for it
    assert stranger.get(f"{base}/step/P1").status_code == 404
    assert stranger.get(f"{base}/facts.yaml").status_code == 404


def test_the_cookie_is_http_only_and_pages_forbid_every_fetch(site: Site) -> None:
    client = httpx.Client(base_url=site.base, timeout=20)
    r = client.get("/assess/")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("aicxs-browser=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    policy = r.headers["content-security-policy"]
    assert (
        policy.startswith("default-src 'none'; style-src 'sha256-")
        and "form-action 'self'" in policy
    )
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert not re.search(r'(src|href|action)="(https?:)?//', r.text)  # nothing from elsewhere


# ---- answers ----------------------------------------------------------------------------------


def test_typed_answers_are_saved_and_shown_back(site: Site) -> None:
    client, base, token = begin(site)
    client.post(f"{base}/systems", data={"csrf": token, "add": "web-chat"})
    form = {
        "csrf": token,
        "organisation.strategy.documented": "yes",
        "organisation.strategy.aligned_to_cx_objectives": "skip",
        "organisation.strategy.last_reviewed": "2026-06-30",
        "go": "stay",
    }
    r = client.post(f"{base}/step/P1", data=form)
    assert r.status_code == 200 and str(r.url).endswith("/step/P1?saved=1")
    facts = client.get(f"{base}/facts.yaml").text
    assert "    documented: true\n" in facts and "    last_reviewed: 2026-06-30\n" in facts
    assert "    aligned_to_cx_objectives:\n" in facts  # skipped: unknown
    assert "  - id: web-chat" in facts
    page = client.get(f"{base}/step/P1").text
    assert re.search(r'value="yes" checked', page)
    assert 'value="2026-06-30"' in page
    assert "SKIPPED · UNKNOWN" in page


def test_a_share_outside_the_schema_range_is_refused_with_the_range(site: Site) -> None:
    client, base, token = begin(site)
    page = client.get(f"{base}/step/P4").text
    assert "A number from 0 to 1" in page  # the hint, before any answer
    r = client.post(
        f"{base}/step/P4", data={"csrf": token, "organisation.training.staff_trained_share": "72"}
    )
    assert r.status_code == 422
    assert (
        "`72` is out of range: give a number from 0 to 1 (a share is a fraction: 72% is 0.72)"
        in r.text
    )
    assert 'value="72"' in r.text  # what was typed stays, to be corrected
    ok = client.post(
        f"{base}/step/P4", data={"csrf": token, "organisation.training.staff_trained_share": "0.72"}
    )
    assert (
        ok.status_code == 200
        and "staff_trained_share: 0.72" in client.get(f"{base}/facts.yaml").text
    )


def test_every_answer_shown_back_is_escaped(site: Site) -> None:
    client, base, token = begin(site, label='<script>alert("label")</script>')
    hostile = '"><script>alert(1)</script>'
    r = client.post(
        f"{base}/step/P1",
        data={"csrf": token, "organisation.board_oversight.accountable_executive": hostile},
    )
    assert r.status_code == 200
    r = client.post(
        f"{base}/step/P4",
        data={"csrf": token, "organisation.training.staff_trained_share": hostile},
    )
    assert r.status_code == 422
    for page in (r.text, client.get(f"{base}/step/P1").text, client.get("/assess/").text):
        assert "<script>alert" not in page
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"{base}/step/P1").text
    bad = client.post(f"{base}/systems", data={"csrf": token, "add": "<b>x</b>"})
    assert (
        bad.status_code == 422
        and "An id is letters, digits" in bad.text
        and "<b>x</b>" not in bad.text
    )
    report = client.get(f"{base}/report").text
    assert "<script>alert" not in report.split("<script>", 1)[1].split("</script>", 1)[1]


def test_the_script_saves_one_answer_and_says_what_became_relevant(site: Site) -> None:
    client, base, token = begin(site)
    r = client.post(
        f"{base}/answer",
        data={
            "csrf": token,
            "question": "organisation.strategy.documented",
            "organisation.strategy.documented": "no",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["error"] == "" and body["state"] == "ANSWERED"
    assert body["relevant"]["organisation.strategy.documented"] is True
    assert 'id="live-verdict"' in body["live"] and body["progress"].startswith("1 answered")
    bad = client.post(
        f"{base}/answer",
        data={
            "csrf": token,
            "question": "organisation.training.staff_trained_share",
            "organisation.training.staff_trained_share": "1.5",
        },
    )
    assert bad.status_code == 200 and "from 0 to 1" in bad.json()["error"]
    assert (
        client.post(f"{base}/answer", data={"csrf": token, "question": "no.such"}).status_code
        == 404
    )


# ---- export, import, finish -----------------------------------------------------------------


def test_exported_facts_give_the_same_verdict_to_aicxs_check(site: Site, tmp_path: Path) -> None:
    client, base, token = begin(site)
    client.post(f"{base}/step/P1", data={"csrf": token, "organisation.strategy.documented": "yes"})
    exported = client.get(f"{base}/facts.yaml")
    assert exported.headers["content-disposition"] == 'attachment; filename="acme-bank.facts.yaml"'
    facts = tmp_path / "acme-bank.facts.yaml"
    facts.write_text(exported.text, "utf-8")
    check = run_cli("check", str(site.policy), "--facts", str(facts), "--as-of", AS_OF)
    page = client.get(f"{base}/report").text
    word = re.search(r'<div class="word" id="verdict-title">([A-Z ]+)</div>', page)
    assert word and f"Verdict:  {word.group(1)}" in check.stdout


def test_a_facts_file_is_imported_or_its_problems_shown(site: Site) -> None:
    client = httpx.Client(base_url=site.base, timeout=20, follow_redirects=True)
    token = csrf_of(client.get("/assess/").text)
    text = (ROOT / "policies" / "startup.facts.yaml").read_text("utf-8")
    files = {"facts": ("bank.facts.yaml", text.encode(), "application/yaml")}
    r = client.post(
        "/assess/import", data={"csrf": token, "policy": "assessment", "label": "Bank"}, files=files
    )
    assert r.status_code == 200 and "/step/systems" in str(r.url)
    assert "<code>tariff-recommender</code>" in r.text  # its systems are there
    broken = {
        "facts": ("x<i>.yaml", b"organisation:\n  strategy:\n    documented: maybe\n", "text/yaml")
    }
    bad = client.post("/assess/import", data={"csrf": token, "policy": "assessment"}, files=broken)
    assert bad.status_code == 422
    assert (
        "aicxs_facts_type" in bad.text and "x&lt;i&gt;.yaml" in bad.text and "<i>" not in bad.text
    )


def test_finish_records_and_the_report_has_the_roadmap(site: Site) -> None:
    client, base, token = begin(site)
    before = len(site.store.history())
    r = client.post(f"{base}/finish", data={"csrf": token})
    assert r.status_code == 200 and re.search(r"/report\?recorded=\d+$", str(r.url))
    assert len(site.store.history()) == before + 1
    assert (
        site.store.history()[-1].origin == "web" and site.store.history()[-1].label == "Acme Bank"
    )
    assert 'id="roadmap"' in r.text and "Recorded as assessment #" in r.text
    assert 'id="maturity-chart"' in r.text and "What to do next" in r.text
    assert client.get("/evolve/").status_code == 200


# ---- serving it -----------------------------------------------------------------------------


def test_serve_web_mounts_the_assessment_beside_the_api(tmp_path: Path) -> None:
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "telecom.aicx").write_text(
        (ROOT / "policies" / "telecom.aicx").read_text("utf-8"), "utf-8"
    )
    store = open_store(str(tmp_path / "store.sqlite"))
    holder: list[Any] = []

    def policies() -> dict[str, Any]:
        registry = holder[0].state.service.registry
        return {pid: registry.get(pid) for pid in registry.by_id}

    app = create_app(folder, mounts=web_routes(store, policies, None))
    holder.append(app)
    with serving(app) as base, httpx.Client(base_url=base, timeout=20) as client:
        assert client.get("/health").json()["policies"] == 1
        home = client.get("/", follow_redirects=True)
        assert home.status_code == 200 and "Velocity Telecom" in home.text
        assert client.get("/nowhere").headers["content-type"] == "application/problem+json"
    store.close()


def test_assess_web_prints_the_address_and_serves_it(tmp_path: Path) -> None:
    aicxs = Path(sys.executable).with_name("aicxs")
    process = subprocess.Popen(
        [str(aicxs), "assess", "--web", "--port", "0", "--store", str(tmp_path / "s.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0] == "Online Assessment · AICXS 2024 · policy assessment\n"
        found = re.fullmatch(r"Open (http://127\.0\.0\.1:\d+/) in your web browser\.\n", lines[1])
        assert found, lines
        deadline = time.monotonic() + 20
        while True:
            try:
                page = httpx.get(found.group(1), follow_redirects=True, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert page.status_code == 200 and "Start the assessment" in page.text
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_assess_web_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        r = run_cli("assess", "--web", "--port", port, "--store", ":memory:")
    assert r.exit_code == 2 and f"port {port} cannot be used" in r.stderr


def test_assess_web_takes_no_terminal_options() -> None:
    r = run_cli("assess", "--web", "--answers", "answers.yaml")
    assert (
        r.exit_code == 2
        and "`--answers` and `-o` are for the questionnaire in the terminal" in r.stderr
    )
    assert run_cli("assess", "--web", "-o", "facts.yaml").exit_code == 2


def test_questions_the_answers_make_irrelevant_are_hidden(site: Site) -> None:
    client, base, token = begin(site)
    client.post(f"{base}/systems", data={"csrf": token, "add": "bot"})
    disclosure = "systems[bot].disclosure.at_first_turn"
    shown = re.compile(
        r'<fieldset class="q" id="q-[0-9a-f]+" data-name="' + re.escape(disclosure) + '">'
    )
    assert shown.search(client.get(f"{base}/step/P5").text)  # unknown whether customer-facing
    r = client.post(
        f"{base}/answer",
        data={
            "csrf": token,
            "question": "systems[bot].customer_facing",
            "systems[bot].customer_facing": "no",
        },
    )
    assert r.json()["relevant"]["systems[bot].customer_facing"] is True
    page = client.get(f"{base}/step/P5").text
    hidden = re.compile(r'data-name="' + re.escape(disclosure) + '" hidden disabled>')
    assert hidden.search(page) and not shown.search(page)
    assert re.search(r"\d+ questions hidden: your answers make them irrelevant", page)
