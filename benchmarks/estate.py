"""Deterministic facts documents made from the retail bank's, for the service and batch benchmarks.

`organisation(n)` is the bank with `n` AI systems: its 8 systems copied round-robin, each copy
with its own id and name and varied values that keep it within the bank's policy (waits, data
retention, review dates a few days apart). `small_documents(n)` are `n` small documents (the
bank's organisation facts and two systems each) with a realistic mix of verdicts: most
certified, some with a slow escalation (not certified), some with governance facts missing
(undetermined) and a few with a wrong type (invalid). `sparse_organisation(n)` is the same
estate half-way through its first assessment: each system keeps its id and about a fifth of its
other facts. The same seed gives the same documents.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261127
AS_OF = "2026-11-27"


def bank_facts() -> dict[str, Any]:
    text = (ROOT / "policies" / "retail-bank.facts.yaml").read_text("utf-8")
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(text), default=str))
    return data


def _vary(system: dict[str, Any], copy_no: int, rng: random.Random) -> dict[str, Any]:
    s = copy.deepcopy(system)
    if copy_no:
        s["id"] = f"{s['id']}-{copy_no:02d}"
        s["name"] = f"{s.get('name', s['id'])} ({copy_no + 1})"
    escalation = s.get("escalation")
    if escalation and "max_wait" in escalation:
        limit = 45 if s.get("channel") == "voice" else 89  # the policy's NB-1 and max_human_wait
        escalation["max_wait"] = f"{rng.randint(20, limit)} seconds"
    data = s.get("data")
    if data and "retention" in data:
        data["retention"] = f"{rng.choice([90, 180, 270, 365])} days"
    for block in ("monitoring", "drift_detection"):
        for key, value in list(s.get(block, {}).items()):
            if key.startswith("last_") and isinstance(value, str):
                s[block][key] = _earlier(value, rng.randint(0, 6))
    return s


def _earlier(iso: str, days: int) -> str:
    return (dt.date.fromisoformat(iso) - dt.timedelta(days=days)).isoformat()


def organisation(systems: int, seed: int = SEED) -> dict[str, Any]:
    """The bank with `systems` AI systems (its own 8, copied and varied)."""
    rng = random.Random(seed)
    facts = bank_facts()
    base = facts["systems"]
    facts["systems"] = [_vary(base[i % len(base)], i // len(base), rng) for i in range(systems)]
    return facts


def sparse_organisation(systems: int, share: float = 0.2, seed: int = SEED) -> dict[str, Any]:
    """`organisation(systems)` with only `share` of each system's facts (leaves) kept, chosen at
    random (seeded), besides its id; the organisation's own facts are kept."""
    rng = random.Random(seed + 1)
    facts = organisation(systems, seed)
    for system in facts["systems"]:
        paths = [p for p in _leaves(system) if p != ("id",)]
        kept = set(rng.sample(range(len(paths)), max(1, round(share * len(paths)))))
        for i, path in enumerate(paths):
            if i not in kept:
                _remove(system, path)
    return facts


def _leaves(value: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, item in value.items():
        if isinstance(item, dict) and item:
            yield from _leaves(item, (*prefix, key))
        else:
            yield (*prefix, key)


def _remove(record: dict[str, Any], path: tuple[str, ...]) -> None:
    """Remove a leaf, and the records it leaves empty."""
    *head, last = path
    parents = [record]
    for part in head:
        parents.append(parents[-1][part])
    del parents[-1][last]
    for parent, part in zip(reversed(parents[:-1]), reversed(head), strict=True):
        if parent[part]:
            break
        del parent[part]


def small_documents(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """`n` small documents with a mix of verdicts (see the module's docstring)."""
    rng = random.Random(seed)
    facts = bank_facts()
    org, base = facts["organisation"], facts["systems"]
    customer_facing = [s for s in base if s.get("escalation")]
    for _ in range(n):
        doc: dict[str, Any] = {
            "organisation": copy.deepcopy(org),
            "systems": [
                _vary(rng.choice(customer_facing), 0, rng),
                _vary(rng.choice(base), 1, rng),
            ],
        }
        roll = rng.random()
        if roll < 0.10:
            doc["systems"][0]["escalation"]["max_wait"] = "600 seconds"
        elif roll < 0.15:
            del doc["organisation"]["governance"]
        elif roll < 0.16:
            doc["systems"][0]["customer_facing"] = "yes"
        doc["organisation"]["training"]["staff_trained_share"] = round(rng.uniform(0.9, 1.0), 3)
        yield doc


def write_jsonl(path: Path, docs: Iterator[dict[str, Any]]) -> int:
    """Write documents one a line; the number written."""
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, separators=(",", ":")) + "\n")
            count += 1
    return count
