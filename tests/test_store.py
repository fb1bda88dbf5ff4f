"""The store of evaluations and the Evolve commands, on SQLite and on a real PostgreSQL.

Every test that takes `store_url` runs twice: on a SQLite file, and on a database of its own
in the PostgreSQL that `.ci/install-postgres.sh` starts on a local socket (or the server of
AICXS_TEST_POSTGRES_URL, a SQLAlchemy URL of a user who may create databases). Without a
PostgreSQL server those runs fail, saying how to start one: they never pass silently.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from aicxs.engine.evolve.compare import MISSING, compare, value_at
from aicxs.engine.evolve.html import comparison_html, history_html
from aicxs.engine.evolve.render import comparison_json, comparison_text
from aicxs.engine.loader import load_policy
from aicxs.engine.onboarding.roadmap import roadmap, set_path
from aicxs.engine.store import Store, open_store
from tests.conftest import AS_OF, run_cli

PG_SOCKET = os.environ.get("AICXS_PG_DIR", "/var/tmp/aicxs-postgres")
PG_ADMIN = os.environ.get(
    "AICXS_TEST_POSTGRES_URL", f"postgresql+psycopg://postgres@/postgres?host={PG_SOCKET}"
)
START_POSTGRES = (
    "these tests need a PostgreSQL server: start one with `bash .ci/install-postgres.sh` "
    "(it installs Debian's postgresql where missing and starts it on a local socket in "
    f"{PG_SOCKET}), or set AICXS_TEST_POSTGRES_URL to the SQLAlchemy URL of a server where "
    "the tests may create a database"
)
MOMENT = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A fresh database on the PostgreSQL server, dropped at the end."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"aicxs_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as db:
            db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as err:
        admin.dispose()
        pytest.fail(f"{START_POSTGRES}\n({str(err.orig).strip()})", pytrace=False)
    url = sa.engine.make_url(PG_ADMIN).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as db:
            db.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "store.sqlite")
        return
    url = request.getfixturevalue("postgres")
    yield url
    engine = sa.create_engine(url)  # each test starts from an empty database
    found = sa.inspect(engine).get_table_names()
    with engine.begin() as db:
        for table in found:
            db.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    engine.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def telecom_fixed(tmp_path: Path) -> Path:
    """The telecom's facts with the roadmap's changes applied: certified at level 2."""
    compiled = load_policy("policies/telecom.aicx")
    facts = compiled.load_facts("policies/telecom.facts.yaml")
    plan = roadmap(compiled, facts, dt.date.fromisoformat(AS_OF))
    data = yaml.safe_load(Path("policies/telecom.facts.yaml").read_text("utf-8"))
    for change in plan.changes:
        set_path(data, change.json_path, _plain(change.value))
    out = tmp_path / "telecom-fixed.facts.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return out


def _plain(value: Any) -> Any:
    from aicxs.engine.onboarding.roadmap import facts_value

    return facts_value(value)


def record(store: Store, policy: str, facts: str | Path, when: dt.datetime = MOMENT) -> int:
    compiled = load_policy(policy)
    doc = compiled.load_facts(facts)
    report = compiled.evaluate(doc, AS_OF, explain="fails")
    return store.record(report, compiled, doc, "api", recorded_at=when).id


# ---- recording and reading ------------------------------------------------------------------


def test_a_record_keeps_the_inputs_hashes_texts_and_full_report(store: Store) -> None:
    ident = record(store, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    got = store.get(ident)
    s = got.summary
    facts_text = Path("policies/telecom.facts.yaml").read_text("utf-8")
    policy_text = Path("policies/telecom.aicx").read_text("utf-8")
    assert s.facts_sha256 == hashlib.sha256(facts_text.encode()).hexdigest()
    assert s.policy_sha256 == hashlib.sha256(policy_text.encode()).hexdigest()
    assert store.text(s.facts_sha256) == facts_text
    assert store.text(s.policy_sha256) == policy_text
    assert "clause P4.2" in (store.text(s.standard_sha256) or "")
    assert (s.standard_id, s.standard_version, s.policy_id) == ("AICXS", 2024, "velocity_telecom")
    assert (s.as_of, s.verdict, s.overall_level, s.target_level) == (
        AS_OF,
        "not_certified",
        1,
        2,
    )
    assert s.recorded_at == "2026-11-27T09:30:00Z" and s.origin == "api"
    assert [p for p, _, _ in s.maturity] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    check = run_cli(
        "check", "policies/telecom.aicx", "--facts", "policies/telecom.facts.yaml",
        "--as-of", AS_OF, "--format", "json", "--explain", "full",
    )  # fmt: skip
    assert got.report == json.loads(check.stdout)  # the report JSON, with every explanation
    assert got.facts["systems"][0]["id"] == "voice-ivr"


def test_history_lists_records_oldest_first_by_policy(store: Store) -> None:
    a = record(store, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    b = record(store, "policies/retail-bank.aicx", "policies/retail-bank.facts.yaml")
    c = record(store, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    assert [r.id for r in store.history()] == [a, b, c]
    assert [r.id for r in store.history("velocity_telecom")] == [a, c]
    assert store.history("nobody") == []
    with store.engine.connect() as db:  # each text is kept once
        texts = db.execute(sa.text("SELECT count(*) FROM assessment_sources")).scalar_one()
    assert texts == 5  # one standard, two policies, two facts files


def test_an_unknown_record_says_which_exist(store: Store) -> None:
    record(store, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    with pytest.raises(Exception) as caught:
        store.get(7)
    d = caught.value.diagnostics[0]  # type: ignore[attr-defined]
    assert (d.code, d.message) == (
        "aicxs_record_unknown",
        "the store has no record 7 (records 1 to 1)",
    )


def test_a_store_is_reopened_with_its_records(store_url: str) -> None:
    first = open_store(store_url)
    ident = record(first, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    first.close()
    again = open_store(store_url)
    assert again.summary(ident).verdict == "not_certified"
    again.close()


# ---- comparing ------------------------------------------------------------------------------


def test_compare_names_the_flipped_results_and_the_facts_that_changed(
    store: Store, tmp_path: Path, snapshot: Any
) -> None:
    a = record(store, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    later = MOMENT + dt.timedelta(days=90)
    b = record(store, "policies/telecom.aicx", telecom_fixed(tmp_path), later)
    c = compare(store.get(a), store.get(b))
    assert (c.verdict.before, c.verdict.after) == ("not_certified", "certified")
    assert (c.overall.before, c.overall.after) == (1, 2)
    flips = {f.id: f for f in c.flips}
    assert (flips["P4.2"].before, flips["P4.2"].after) == ("fail", "pass")
    changed = {x.path: (x.before, x.after) for x in flips["P4.2"].facts}
    assert changed["systems[voice-ivr].escalation.available"] == (False, True)
    assert changed["systems[voice-ivr].escalation.max_wait"] == (MISSING, "120 seconds")
    assert "systems[web-chat].escalation.available" not in changed  # read, but unchanged
    assert flips["P4.2"].why[0] == "3 facts it reads changed"
    assert flips["KR2"].why == ("it covers P4.2, which went from fail to pass",)
    assert [i.name for i in c.inputs if i.changed] == ["facts"]
    text = comparison_text(c).replace(str(tmp_path), "TMP")
    assert text == snapshot
    data = json.loads(comparison_json(c))
    assert data["flipped"][0]["facts"][0].keys() >= {"path", "before", "after"}
    assert comparison_json(c) == comparison_json(compare(store.get(a), store.get(b)))


def test_compare_says_when_the_policy_changed(store: Store, tmp_path: Path) -> None:
    a = record(store, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    stricter = tmp_path / "telecom.aicx"
    text = Path("policies/telecom.aicx").read_text("utf-8")
    stricter.write_text(text.replace("target level 2", "target level 3"), "utf-8")
    b = record(store, str(stricter), "policies/telecom.facts.yaml")
    c = compare(store.get(a), store.get(b))
    assert [i.name for i in c.inputs if i.changed] == ["policy"]
    for flip in c.flips:
        assert any(w.startswith("the policy changed") for w in flip.why), flip


def test_value_at_follows_items_by_id_even_with_dots() -> None:
    data = {"systems": [{"id": "web.chat", "x": {"y": 1}}, {"id": "b", "x": None}]}
    assert value_at(data, "systems[web.chat].x.y") == 1
    assert value_at(data, "systems[b].x.y") is MISSING
    assert value_at(data, "systems[nobody].x") is MISSING
    assert value_at(data, "organisation.a") is MISSING


def test_the_evolve_pages_escape_what_the_records_hold(store: Store, tmp_path: Path) -> None:
    hostile = tmp_path / "<img src=x onerror=alert(1)>.yaml"
    hostile.write_text(Path("policies/telecom.facts.yaml").read_text("utf-8"), "utf-8")
    a = record(store, "policies/telecom.aicx", "policies/telecom.facts.yaml")
    b = record(store, "policies/telecom.aicx", hostile)
    page = comparison_html(compare(store.get(a), store.get(b)))
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;.yaml" in page
    history = history_html(store.history())
    assert "<img" not in history and 'id="evolution-velocity_telecom"' in history
    assert 'content="default-src &#39;none&#39;; style-src &#39;sha256-' in page


# ---- the commands ---------------------------------------------------------------------------


def test_check_record_history_and_compare_commands(store_url: str, tmp_path: Path) -> None:
    fixed = str(telecom_fixed(tmp_path))
    for facts in ("policies/telecom.facts.yaml", fixed):
        r = run_cli(
            "check", "policies/telecom.aicx", "--facts", facts, "--as-of", AS_OF,
            "--record", "--store", store_url, "--format", "json",
        )  # fmt: skip
        assert r.exit_code in (0, 1)
        assert r.stderr.startswith("recorded as #") and "(see `aicxs history`)" in r.stderr
        json.loads(r.stdout)  # the output is the report, untouched
    listed = run_cli("history", "--store", store_url)
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("2 records in ")
    assert "NOT CERTIFIED" in lines[3] and lines[4].rstrip().endswith(f"(check: {fixed})")
    data = json.loads(run_cli("history", "--store", store_url, "--format", "json").stdout)
    assert [r["id"] for r in data["records"]] == [1, 2]
    text = run_cli("compare", "1", "2", "--store", store_url)
    assert text.exit_code == 0
    assert "Verdict:  NOT CERTIFIED → CERTIFIED (changed)" in text.stdout
    assert "  P4.2   Escalation protocols" in text.stdout
    page = tmp_path / "compare.html"
    html = run_cli("compare", "1", "2", "--store", store_url, "--format", "html", "-o", str(page))
    assert html.exit_code == 0 and 'id="flip-P4.2"' in page.read_text("utf-8")


def test_compare_shows_the_standard_diff_when_the_standard_changed(
    store_url: str, tmp_spec: Path
) -> None:
    run = ["check", "policies/telecom.aicx", "--facts", "policies/telecom.facts.yaml"]
    run += ["--as-of", AS_OF, "--record", "--store", store_url]
    assert run_cli(*run).exit_code == 1
    text = tmp_spec.read_text("utf-8")
    tmp_spec.write_text(text.replace('"Escalation protocols"', '"Escalation paths"', 1), "utf-8")
    assert run_cli(*run, "--spec", str(tmp_spec)).exit_code == 1
    out = run_cli("compare", "1", "2", "--store", store_url).stdout
    assert "  standard  changed (AICXS 2024 sha256:" in out
    assert "The standard changed between the two records (`aicxs diff`):" in out
    assert "P4.2" in out.split("(`aicxs diff`):")[1]


def test_store_mistakes_are_located_messages(tmp_path: Path) -> None:
    other = tmp_path / "music.sqlite"
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as db:
        db.execute(sa.text("CREATE TABLE songs (title TEXT)"))
    engine.dispose()
    r = run_cli("history", "--store", str(other))
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"sqlite:///{other}: aicxs_store_foreign: this database holds something else (tables: songs)"
    )
    r = run_cli("history", "--store", "nosuch+driver://x@y/z")
    assert r.exit_code == 2 and "aicxs_store_url" in r.stderr
    r = run_cli("history", "--store", str(tmp_path / "no-folder" / "x.sqlite"))
    assert r.exit_code == 2 and "aicxs_store_unavailable: cannot use the store: " in r.stderr
    secret = "postgresql+psycopg://ann:s3cret@/nodb?host=/nonexistent-socket-dir"
    r = run_cli("history", "--store", secret)
    assert r.exit_code == 2 and "s3cret" not in r.stderr and "***" in r.stderr
    r = run_cli("compare", "1", "2", "--store", str(tmp_path / "empty.sqlite"))
    assert r.exit_code == 2
    assert "aicxs_record_unknown: the store has no record 1 (no record yet)" in r.stderr
    r = run_cli("check", "policies/telecom.aicx", "--batch", "policies", "--record")
    assert r.exit_code == 2 and "`--record` keeps one evaluation" in r.stderr


def test_the_store_copy_of_the_facts_is_json(store: Store) -> None:
    ident = record(store, "policies/retail-bank.aicx", "policies/retail-bank.facts.yaml")
    facts = copy.deepcopy(dict(store.get(ident).facts))
    assert json.loads(json.dumps(facts)) == facts  # dates and durations as text


def test_the_python_api_records_an_evaluation(store_url: str) -> None:
    import aicxs

    policy = aicxs.load_policy("policies/telecom.aicx")
    report = policy.evaluate("policies/telecom.facts.yaml", as_of=AS_OF)
    assert aicxs.record(report, policy, store=store_url, label="Q4") == 1
    assert aicxs.record(report, policy, store=store_url) == 2
    kept = open_store(store_url)
    assert [(r.origin, r.label) for r in kept.history()] == [
        ("api", "Q4"),
        ("api", "Velocity Telecom"),
    ]
    kept.close()
    with pytest.raises(ValueError, match=r"report must be an aicxs\.Report"):
        aicxs.record(policy, policy, store=store_url)  # type: ignore[arg-type]
