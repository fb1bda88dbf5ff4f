"""Estates half-way through their first assessment: many systems, most facts missing.

Generated from the retail bank's facts (its systems copied, each keeping its id and a fifth of
its other facts), they check that compact explanations summarise what is missing by fact, with
counts and a bounded list of systems, and that the summary agrees exactly with the complete
listings (`--explain full`, `--missing-facts`); that one system can be explained in full; and
that the report stays about the size of a complete estate's.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from aicxs import engine
from aicxs.engine.missing import SHOWN_ITEMS
from aicxs.engine.outcome import Status
from aicxs.engine.render import report_json
from tests.conftest import AS_OF, ROOT, run_cli

POLICY = str(ROOT / "policies" / "retail-bank.aicx")


def bank(systems: int, keep: float | None, seed: int = 7) -> dict[str, Any]:
    """The bank with `systems` systems (its own, copied); with `keep`, each system keeps
    its id and that share of its other facts (leaves), chosen at random."""
    text = (ROOT / "policies" / "retail-bank.facts.yaml").read_text("utf-8")
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(text), default=str))
    base = data["systems"]
    data["systems"] = [
        {**base[i % len(base)], "id": f"{base[i % len(base)]['id']}-{i}"} for i in range(systems)
    ]
    data.pop("evidence")
    if keep is not None:
        rng = random.Random(seed)
        data["systems"] = [_thin(s, rng, keep) for s in data["systems"]]
    return data


def _thin(record: dict[str, Any], rng: random.Random, keep: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, dict):
            if inner := _thin(v, rng, keep):
                out[k] = inner
        elif k == "id" or rng.random() < keep:
            out[k] = v
    return out


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("estate") / "sparse.json"
    path.write_text(json.dumps(bank(120, 0.2)), "utf-8")
    return path


def check_json(facts: Path, *extra: str) -> dict[str, Any]:
    r = run_cli(
        "check", POLICY, "--facts", str(facts), "--as-of", AS_OF, "--format", "json", *extra
    )
    assert r.exit_code == 1, r.stderr
    data: dict[str, Any] = json.loads(r.stdout)
    return data


def test_grouped_missing_facts_agree_with_the_complete_listings(
    estate: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "missing.jsonl"
    compact = check_json(estate, "--missing-facts", str(listing))
    full = check_json(estate, "--explain", "full")
    lines = [json.loads(line) for line in listing.read_text("utf-8").splitlines()]
    # Counts summed: the complete list, the JSON Lines file, and the full report agree.
    total = sum(g["count"] for g in compact["missing_by_fact"])
    assert total == len(lines) == len(full["missing_facts"]) > 1000
    assert sorted(line["path"] for line in lines) == full["missing_facts"]
    assert compact["missing_by_fact"] == [
        {**g, "items": g["items"][:SHOWN_ITEMS]} for g in full["missing_by_fact"]
    ]
    for g in full["missing_by_fact"]:
        assert g["count"] == (len(g["items"]) or 1) and g["question"], g["fact"]
        on = [line for line in lines if line["fact"] == g["fact"]]
        assert [line["item"] for line in on] == (g["items"] or [None])
        assert {line["question"] for line in on} == {g["question"]}
    # The same for every result, whose missing facts the lines name it for.
    by_id = {r["id"]: r for r in full["results"]}
    for r in compact["results"]:
        assert sum(g["count"] for g in r["missing_by_fact"]) == len(by_id[r["id"]]["missing_facts"])
        assert len(r["missing_facts"]) <= SHOWN_ITEMS * len(r["missing_by_fact"])
        needing = {line["path"] for line in lines if r["id"] in line["needed_by"]}
        assert needing == set(by_id[r["id"]]["missing_facts"]), r["id"]


def test_a_quantifier_summarises_its_unknown_items_by_fact(estate: Path) -> None:
    policy = engine.load_policy(POLICY)
    doc = policy.load_facts(estate)
    compact = policy.evaluate(doc, AS_OF).result("P2.3")
    full = policy.evaluate(doc, AS_OF, explain="full").result("P2.3")
    assert compact is not None and full is not None and compact.node and full.node
    unknown = [i for i in full.node.items or [] if i.truth not in (True, False)]
    data = report_json(policy.evaluate(doc, AS_OF))
    tree = next(r for r in data["results"] if r["id"] == "P2.3")["explanation"]
    summary = tree["summary"]
    assert f"; unknown for {len(unknown)}: " in summary, summary
    assert f"({len(unknown) - 5} more)" in summary
    # Each fact named with how many unknown items miss it, most often missing first.
    counts = [int(n) for n in re.findall(r"` on (\d+)", summary.split("; missing ")[1])]
    assert counts == sorted(counts, reverse=True) and len(counts) >= 2
    pairs = [p for i in unknown for part in (i.where, i.body) if part for p in part.missing_pairs()]
    assert counts[0] == max(len({item for fact, item in pairs if fact == f}) for f, _ in pairs)
    # The first few unknown items are explained; the others are counted, not listed.
    assert len(tree["items"]) == SHOWN_ITEMS
    assert tree["items_omitted"] == len(unknown) - SHOWN_ITEMS
    assert compact.missing == full.missing


def test_the_scope_undecided_for_many_systems_is_one_finding(estate: Path) -> None:
    data = check_json(estate)
    undecided = [f for f in data["findings"] if "scope is unknown" in f]
    assert len(undecided) == 1
    n = data["facts"]["scope_unknown"]
    assert n > SHOWN_ITEMS
    assert undecided[0].startswith(
        f"the policy's scope is unknown for {n} of 120 systems: first 10:"
    )
    # The scope reads three facts (the least scope's customer_facing and automated_decisions,
    # and the bank's lifecycle): each named with how many undecided systems miss it.
    missing = undecided[0].split("(missing: ")[1]
    assert missing.endswith("); their checks count them as possibly in scope")
    counts = dict(re.findall(r"`(\w+)` on (\d+)", missing))
    assert set(counts) == {"lifecycle", "customer_facing", "automated_decisions"}
    assert all(0 < int(c) <= n for c in counts.values())


def test_one_system_is_explained_in_full(estate: Path) -> None:
    """`explain ID --system S`: within the clause, that system's item of every quantifier over
    the systems, in full, and the facts it misses; no other system's."""
    args = ("explain", POLICY, "P4.2", "--facts", str(estate), "--as-of", AS_OF)
    r = run_cli(*args, "--system", "voice-ivr-1")
    items = re.findall(r"^\| \S+ +systems\[([^\]]+)\] in: ", r.stdout, re.M)
    assert items == ["voice-ivr-1"], r.stdout
    assert "voice-ivr-2" not in r.stdout and "voice-ivr-10" not in r.stdout
    assert "systems[voice-ivr-1].escalation" in r.stdout.split("missing facts:")[-1]
    data = json.loads(run_cli(*args, "--system", "voice-ivr-1", "--format", "json").stdout)
    assert data["system"] == "voice-ivr-1"
    [result] = data["results"]
    assert result["id"] == "P4.2" and result["items"]
    assert all(m.startswith("systems[voice-ivr-1].") for m in result["missing_facts"])
    wrong = run_cli(*args, "--system", "voice-ivr-01")
    assert wrong.exit_code == 2 and "did you mean `voice-ivr-1`" in wrong.stderr


def test_the_sparse_report_does_not_grow_with_the_estate(tmp_path: Path) -> None:
    """Past the first few unknown items of each check, more systems with missing facts add
    counts, not lines: 4 times the systems, about the same report."""
    size = {}
    for n in (100, 400):
        path = tmp_path / f"sparse-{n}.json"
        path.write_text(json.dumps(bank(n, 0.2)), "utf-8")
        r = run_cli("check", POLICY, "--facts", str(path), "--as-of", AS_OF, "--format", "json")
        size[n] = len(r.stdout)
    assert size[400] < 1.2 * size[100], size


def test_unknown_stays_unknown_at_scale(estate: Path) -> None:
    """Counting unknown items instead of explaining them never turns one into a pass."""
    policy = engine.load_policy(POLICY)
    doc = policy.load_facts(estate)
    reports = [
        policy.evaluate(doc, dt.date(2026, 11, 27), explain=m) for m in ("none", "fails", "full")
    ]
    statuses = [[(r.id, r.status) for r in report.results] for report in reports]
    assert statuses[0] == statuses[1] == statuses[2]
    assert any(s is Status.UNKNOWN for _, s in statuses[1])
    assert reports[1].verdict == "undetermined"


def test_the_json_stream_is_the_json_text(estate: Path) -> None:
    policy = engine.load_policy(POLICY)
    report = policy.evaluate(policy.load_facts(estate), AS_OF)
    text = json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
    assert "".join(report.json_chunks()) == report.to_json() == text
    assert (
        run_cli(
            "check", POLICY, "--facts", str(estate), "--as-of", AS_OF, "--format", "json"
        ).stdout
        == text
    )


def test_a_sparse_report_pickles(estate: Path) -> None:
    """Reports cross process pools: one with counted unknown items comes back the same."""
    import pickle

    policy = engine.load_policy(POLICY)
    report = policy.evaluate(policy.load_facts(estate), AS_OF)
    again = pickle.loads(pickle.dumps(report))
    assert again.to_json() == report.to_json()
    assert again.missing_facts == report.missing_facts
