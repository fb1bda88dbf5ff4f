"""`aicxs check --batch`: folders and JSON Lines files of facts, in order, on every engine."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from aicxs.engine.service.batch import Document, Outcome, run
from tests.conftest import AS_OF, ROOT, consented, run_cli

POLICY = "policies/retail-bank.aicx"


def bank_facts() -> dict[str, Any]:
    """The bank's facts with the customers' consent recorded: certified at level 3."""
    text = consented("retail-bank")
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(text), default=str))
    return data


def variants() -> dict[str, dict[str, Any]]:
    """The bank's facts, certified; with a slow escalation (not certified); with its
    governance facts missing (undetermined); with a wrong type (invalid)."""
    base = bank_facts()
    slow, partial, wrong = copy.deepcopy(base), copy.deepcopy(base), copy.deepcopy(base)
    slow["systems"][0]["escalation"]["max_wait"] = "600 seconds"
    del partial["organisation"]["governance"]
    wrong["systems"][1]["customer_facing"] = "yes"
    return {"certified": base, "slow": slow, "partial": partial, "wrong": wrong}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of facts files: YAML and JSON, one in a subfolder, one broken, one not facts."""
    docs = variants()
    root = tmp_path / "estate"
    (root / "north").mkdir(parents=True)
    (root / "a-certified.yaml").write_text(yaml.safe_dump(docs["certified"], sort_keys=False))
    (root / "b-slow.json").write_text(json.dumps(docs["slow"], indent=2))
    (root / "north" / "c-partial.yml").write_text(yaml.safe_dump(docs["partial"], sort_keys=False))
    (root / "d-wrong.yaml").write_text(yaml.safe_dump(docs["wrong"], sort_keys=False))
    (root / "e-broken.yaml").write_text("organisation: [\n")
    (root / "notes.txt").write_text("not a facts file")
    return root


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    """A JSON Lines file: documents, a blank line, a line of bad JSON, a wrong shape."""
    docs = variants()
    lines = [
        json.dumps(docs["certified"]),
        json.dumps(docs["slow"]),
        "",
        '{"organisation": {"strategy": {"documented": tru}}}',
        json.dumps(docs["partial"]),
        "[1, 2]",
        json.dumps(docs["wrong"]),
    ]
    path = tmp_path / "estate.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def batch(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = run_cli("check", POLICY, "--as-of", AS_OF, *args)
    return (
        result.exit_code,
        [json.loads(line) for line in result.stdout.splitlines()],
        result.stderr,
    )


def shape(line: dict[str, Any]) -> tuple[Any, ...]:
    return (line["index"], Path(line["source"]).name, line.get("verdict"), "error" in line)


# ---- inputs ---------------------------------------------------------------------------------


def test_folder_in_order_with_bad_documents_reported(folder: Path) -> None:
    code, lines, stderr = batch("--batch", str(folder), "--engine", "local")
    assert [shape(line) for line in lines] == [
        (0, "a-certified.yaml", "certified", False),
        (1, "b-slow.json", "not_certified", False),
        (2, "d-wrong.yaml", None, True),
        (3, "e-broken.yaml", None, True),
        (4, "c-partial.yml", "undetermined", False),
    ]
    assert code == 2  # a document was invalid
    assert stderr == "5 documents: 1 certified, 1 not certified, 1 undetermined, 2 invalid\n"
    [wrong] = lines[2]["error"]["diagnostics"]
    assert (wrong["code"], wrong["file"], wrong["line"]) == (
        "aicxs_facts_type",
        str(folder / "d-wrong.yaml"),
        yaml_line(folder / "d-wrong.yaml", "customer_facing: 'yes'"),
    )


def yaml_line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_each_report_is_what_check_prints_for_the_file(folder: Path) -> None:
    _, lines, _ = batch("--batch", str(folder), "--engine", "local")
    for line in lines:
        if "report" in line:
            single = run_cli(
                "check", POLICY, "--facts", line["source"], "--as-of", AS_OF, "--format", "json"
            )
            assert line["report"] == json.loads(single.stdout)


def test_jsonl_in_order_with_bad_lines_located(jsonl: Path, snapshot: Any) -> None:
    code, lines, stderr = batch("--batch", str(jsonl), "--engine", "local", "--explain", "none")
    assert [(line["index"], line["source"], line.get("verdict")) for line in lines] == [
        (0, f"{jsonl}:1", "certified"),
        (1, f"{jsonl}:2", "not_certified"),
        (2, f"{jsonl}:4", None),
        (3, f"{jsonl}:5", "undetermined"),
        (4, f"{jsonl}:6", None),
        (5, f"{jsonl}:7", None),
    ]
    assert code == 2
    assert lines[0]["report"]["facts"]["source"] == f"{jsonl}:1"
    errors = [json.dumps(line["error"], indent=2) for line in lines if "error" in line]
    assert "\n".join(errors).replace(str(jsonl), "estate.jsonl") == snapshot
    assert stderr == "6 documents: 1 certified, 1 not certified, 1 undetermined, 3 invalid\n"


def test_jsonl_facts_are_located_on_their_line(jsonl: Path) -> None:
    _, lines, _ = batch("--batch", str(jsonl), "--engine", "local")
    text = json.dumps(lines[1]["report"])
    where = json.dumps({"file": str(jsonl), "line": 2})[:-1]  # {"file": "...", "line": 2
    assert f'"location": {where}, "column": ' in text
    assert f"{jsonl}:2.json" not in text


# ---- exit codes and output ------------------------------------------------------------------


def test_exit_0_when_all_are_certified(tmp_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_text((json.dumps(bank_facts()) + "\n") * 3)
    code, lines, stderr = batch("--batch", str(path), "--explain", "none", "--engine", "local")
    assert (code, len(lines), stderr) == (0, 3, "3 documents: 3 certified\n")


def test_exit_1_when_one_is_not_certified(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    docs = variants()
    path.write_text(json.dumps(docs["certified"]) + "\n" + json.dumps(docs["slow"]) + "\n")
    code, _, stderr = batch("--batch", str(path), "--engine", "local")
    assert (code, stderr) == (1, "2 documents: 1 certified, 1 not certified\n")


def test_output_file_written_whole(jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    result = run_cli(
        "check",
        POLICY,
        "--as-of",
        AS_OF,
        "--batch",
        str(jsonl),
        "--engine",
        "local",
        "-o",
        str(out),
    )
    assert result.stdout == ""
    assert len(out.read_text().splitlines()) == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---- engines --------------------------------------------------------------------------------


ENGINES = {
    "local": ("--engine", "local"),
    "1 worker": ("--workers", "1"),
    "2 workers": ("--workers", "2"),
    "dask": ("--engine", "dask", "--workers", "2"),
}


def same_on(path: Path, engines: list[str]) -> str:
    runs = {
        name: run_cli("check", POLICY, "--as-of", AS_OF, "--batch", str(path), *ENGINES[name])
        for name in engines
    }
    first = runs[engines[0]]
    for name, other in runs.items():
        assert (other.exit_code, other.stdout) == (first.exit_code, first.stdout), name
    return first.stdout


def test_identical_results_on_every_engine(jsonl: Path) -> None:
    """One process, one worker, two workers and a Dask local cluster of two worker
    processes give the same bytes."""
    stdout = same_on(jsonl, ["local", "1 worker", "2 workers", "dask"])
    assert stdout.count("\n") == 6


def test_identical_results_for_a_folder(folder: Path) -> None:
    assert same_on(folder, ["local", "2 workers"]).count("\n") == 5


def test_unreachable_scheduler(jsonl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from aicxs.engine.service import distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "1s")
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    result = run_cli(
        "check", POLICY, "--batch", str(jsonl), "--engine", "dask", "--scheduler", address
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert "Invalid value for --scheduler: cannot reach a Dask scheduler at" in result.stderr
    assert "start one with `dask scheduler`, or leave out --scheduler" in result.stderr


def test_window_bounds_documents_in_flight() -> None:
    """However many documents, no more than `window` chunks are read ahead of the output."""
    read = 0
    pending = 0
    most = 0

    def documents() -> Iterator[Document]:
        nonlocal read
        for i in range(10_000):
            read += 1
            yield Document(i, f"doc-{i}", b"{}")

    class Later:
        def __init__(self, chunk: list[Document]) -> None:
            nonlocal pending, most
            self.chunk = chunk
            pending += len(chunk)
            most = max(most, pending)

        def result(self) -> list[Outcome]:
            nonlocal pending
            pending -= len(self.chunk)
            return [Outcome(d.source, "certified") for d in self.chunk]

    seen = []
    for outcome in run(Later, documents(), window=4, chunk=16):
        seen.append(outcome.line)
        assert read - len(seen) <= 4 * 16
    assert seen == [f"doc-{i}" for i in range(10_000)]
    assert most <= 4 * 16


# ---- usage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--facts", "policies/retail-bank.facts.yaml", "--batch", "policies"),
        ("--batch", "no-such-estate"),
        ("--batch", "policies", "--format", "text"),
        ("--batch", "policies", "--scheduler", "tcp://127.0.0.1:8786"),
        ("--batch", "EMPTY"),
    ],
    ids=["no facts", "both", "missing path", "text format", "scheduler without dask", "empty"],
)
def test_usage_mistakes(args: tuple[str, ...], tmp_path: Path, snapshot: Any) -> None:
    result = run_cli("check", POLICY, *(str(tmp_path) if a == "EMPTY" else a for a in args))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.replace(str(tmp_path), "<empty folder>") == snapshot


def test_policy_mistake_stops_before_any_document(tmp_path: Path, jsonl: Path) -> None:
    bad = tmp_path / "bad.aicx"
    bad.write_text("policy bad implements AICXS 2024 {\n  target levle 2\n}\n")
    result = run_cli("check", str(bad), "--batch", str(jsonl))
    assert (result.exit_code, result.stdout) == (2, "")
    assert "aicxs_parse_error" in result.stderr


def test_progress_bar_on_a_terminal(jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    child = pexpect.spawn(
        str(Path(sys.executable).with_name("aicxs")),
        [
            "check",
            POLICY,
            "--as-of",
            AS_OF,
            "--batch",
            str(jsonl),
            "--engine",
            "local",
            "-o",
            str(out),
        ],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=60,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
    )
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before or ""
    assert "evaluating" in screen and "6/6" in screen
    assert "6 documents: 1 certified, 1 not certified, 1 undetermined, 3 invalid" in screen
    assert child.exitstatus == 2
    assert len(out.read_text().splitlines()) == 6
