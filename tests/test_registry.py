"""Reload without gaps: a policy file replaced by delete-then-create (what `git checkout` does)
keeps its last version served through the grace period; `/health` names the live revisions."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aicxs.engine.service.registry import PolicyRegistry
from tests.test_server import policy_folder, serving, wait_for

BODY = {"policy": "velocity_telecom", "facts": {}, "explain": "none"}


def revision(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_delete_then_create_churn_never_404s(tmp_path: Path) -> None:
    """The issue's churn test, bounded: 200 replacements by delete-then-create, a reload every
    20 ms, requests all the while. Before the grace period, about half the answers were 404."""
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    text = path.read_text("utf-8")
    done = threading.Event()

    def churn() -> None:
        for i in range(200):
            path.unlink()
            time.sleep(0.005)  # the gap `git checkout` leaves, made wide enough to be seen
            path.write_text(text.replace("Velocity Telecom", f"Velocity Telecom {i % 2}"))
            time.sleep(0.005)
        done.set()

    statuses: Counter[int] = Counter()
    with serving(folder, reload_interval=0.02) as c:
        churner = threading.Thread(target=churn)
        churner.start()
        while not done.is_set():
            statuses[c.post("/v1/evaluate", json=BODY).status_code] += 1
        churner.join()
        wait_for(lambda: c.get("/health").json()["revisions"].get("velocity_telecom")
                 == revision(path))  # fmt: skip
    assert statuses[200] > 0 and set(statuses) == {200}, statuses


def test_a_file_gone_for_good_stops_after_the_grace(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.INFO, "aicxs.serve")
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    with serving(folder, reload_interval=0.02, reload_grace=1.0) as c:
        live = c.get("/health").json()["revisions"]
        assert live == {"velocity_telecom": revision(path)}
        path.unlink()
        wait_for(lambda: "is missing: policy `velocity_telecom` keeps serving" in caplog.text)
        assert c.post("/v1/evaluate", json=BODY).status_code == 200  # within the grace
        assert c.get("/health").json()["revisions"] == live
        wait_for(lambda: c.post("/v1/evaluate", json=BODY).status_code == 404)
        assert c.get("/health").json()["revisions"] == {}
    assert "telecom.aicx was removed: policy `velocity_telecom` is no longer served" in caplog.text


def test_a_file_back_within_the_grace_is_read_anew(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    text = path.read_text("utf-8")
    registry = PolicyRegistry(folder, grace=60)
    registry.refresh()
    path.unlink()
    [missing] = registry.refresh()
    assert (missing.kind, missing.policy_id) == ("missing", "velocity_telecom")
    assert registry.get("velocity_telecom") is not None
    assert registry.refresh() == []  # said once
    path.write_text(text.replace('title "Velocity Telecom"', 'title "Velocity Telecom plc"'))
    [back] = registry.refresh()
    assert back.kind == "reloaded"
    compiled = registry.get("velocity_telecom")
    assert compiled is not None and compiled.policy.title == "Velocity Telecom plc"
    assert registry.by_id["velocity_telecom"].revision == revision(path)


@pytest.mark.parametrize("grace", [0.0, 60.0])
def test_a_broken_file_back_keeps_the_last_good_version(tmp_path: Path, grace: float) -> None:
    """Back but half-written: the last good version serves, whatever the grace."""
    folder = policy_folder(tmp_path, ("telecom",))
    path = folder / "telecom.aicx"
    registry = PolicyRegistry(folder, grace=grace)
    registry.refresh()
    good = registry.by_id["velocity_telecom"].revision
    path.unlink()
    registry.refresh()
    path.write_text("policy velocity_telecom implements AICXS 2024 {\n")
    changes = registry.refresh()
    if grace:
        assert [c.kind for c in changes] == ["failed"]
        assert registry.by_id["velocity_telecom"].revision == good
    else:  # removed at once, so the broken file is all there is: nothing is served
        assert [c.kind for c in changes] == ["failed"]
        assert "velocity_telecom" not in registry.by_id
