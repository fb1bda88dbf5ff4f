"""Hostile and malformed input: every file of the corpus in tests/hostile/ gets a located,
documented error (exit 2) or, for the few valid ones, the same result as the clean file.

`aicx/*.aicx` go through `aicxs lint`; `facts/*` through `aicxs check` of a small policy. The
big inputs (a 50 MB policy, 10,000 nested brackets, 1,000,000 systems, JSON nested 100,000
deep) are generated into a temporary folder. Each output is pinned by a snapshot; none may hold
a traceback, and every code in it must be documented in docs/errors.md. Time and memory of
every input are measured by benchmarks/bench_hostile.py, not asserted here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from aicxs.aicxs_dsl import parse_file
from aicxs.aicxs_dsl.escape import CONTROL_CLASS
from aicxs.engine import load_policy
from aicxs.engine.loader import CompiledPolicy
from tests.conftest import AS_OF, ROOT, run_cli

CORPUS = ROOT / "tests" / "hostile"
POLICY = CORPUS / "aicx" / "ok-clean.aicx"
CATALOGUE = ROOT / "docs" / "errors.md"
HEADER = re.compile(r"^(?P<where>\S.*?): (?P<code>aicxs_[a-z_]+)(?: \(warning\))?: ", re.M)
LOCATED = re.compile(r":\d+:\d+$")

AICX = sorted(p.name for p in (CORPUS / "aicx").glob("*.aicx"))
FACTS = sorted(p.name for p in (CORPUS / "facts").iterdir() if p.suffix in (".yaml", ".json"))

# Inputs whose problem is the whole file (its encoding or size): named by the file alone.
FILE_LEVEL = {
    "binary.aicx",
    "not-utf8.aicx",
    "nul-byte.aicx",
    "utf16.aicx",
    "binary.yaml",
    "not-utf8.yaml",
    "nul-byte.yaml",
    "utf16.json",
    "policy-50mb.aicx",
}


# ---- the generated big inputs -----------------------------------------------------------


def _policy_50mb(folder: Path) -> Path:
    rule = (
        '  rule ACME-{n} refines P4.2 "Voice callers reach a human within 45 seconds" {{\n'
        '    check all s in systems where s.channel == "voice": s.escalation.max_wait <= 45 seconds\n'
        "  }}\n"
    )
    path = folder / "policy-50mb.aicx"
    with path.open("w", encoding="utf-8") as f:
        f.write("policy acme implements AICXS 2024 {\n  target level 2\n")
        n = 0
        while f.tell() < 50_000_000:
            f.write("".join(rule.format(n=n + i) for i in range(1000)))
            n += 1000
        f.write("}\n")
    return path


def _check_of(expression: str) -> str:
    return (
        "policy acme implements AICXS 2024 {\n  target level 2\n"
        f'  rule ACME-1 refines P4.2 "Deep" {{\n    check {expression}\n  }}\n}}\n'
    )


def _nested_parentheses(folder: Path) -> Path:
    path = folder / "nested-parentheses-10000.aicx"
    path.write_text(_check_of("(" * 10_000 + "true" + ")" * 10_000), "utf-8")
    return path


def _nested_not(folder: Path) -> Path:
    path = folder / "nested-not-10000.aicx"
    path.write_text(_check_of("not " * 10_000 + "true"), "utf-8")
    return path


def _long_and_chain(folder: Path) -> Path:
    path = folder / "and-chain-5000.aicx"
    path.write_text(_check_of(" and ".join(["true"] * 5000)), "utf-8")
    return path


def _list_literal(folder: Path) -> Path:
    path = folder / "list-literal-1000000.aicx"
    items = ", ".join(str(i) for i in range(1_000_000))
    path.write_text(
        _check_of(f"len(organisation.board_oversight.accountable_executive) in [{items}]")
    )
    return path


def _long_text(folder: Path) -> Path:
    path = folder / "text-1mb.aicx"
    path.write_text(_check_of("true").replace("target", f'title "{"x" * 1_000_000}"\n  target'))
    return path


def _systems_yaml(folder: Path) -> Path:
    path = folder / "systems-1000000.yaml"
    with path.open("w", encoding="utf-8") as f:
        f.write("systems:\n")
        f.writelines(f"  - id: sys-{i}\n    customer_facing: true\n" for i in range(1_000_000))
    return path


def _systems_json(folder: Path) -> Path:
    path = folder / "systems-1000000.json"
    items = ",".join(f'{{"id":"sys-{i}","customer_facing":true}}' for i in range(1_000_000))
    path.write_text(f'{{"systems":[{items}]}}', "utf-8")
    return path


def _deep_json(folder: Path) -> Path:
    path = folder / "nested-100000.json"
    path.write_text('{"organisation":' + "[" * 100_000 + "]" * 100_000 + "}", "utf-8")
    return path


def _long_fact_text(folder: Path) -> Path:
    path = folder / "text-1mb.json"
    path.write_text(json.dumps({"systems": [{"id": "a", "name": "x" * 1_000_000}]}), "utf-8")
    return path


GENERATED_AICX: dict[str, Callable[[Path], Path]] = {
    "policy-50mb.aicx": _policy_50mb,
    "nested-parentheses-10000.aicx": _nested_parentheses,
    "nested-not-10000.aicx": _nested_not,
    "and-chain-5000.aicx": _long_and_chain,
    "list-literal-1000000.aicx": _list_literal,
    "text-1mb.aicx": _long_text,
}
GENERATED_FACTS: dict[str, Callable[[Path], Path]] = {
    "systems-1000000.yaml": _systems_yaml,
    "systems-1000000.json": _systems_json,
    "nested-100000.json": _deep_json,
    "text-1mb.json": _long_fact_text,
}


# ---- helpers ----------------------------------------------------------------------------


def documented_codes() -> set[str]:
    return set(re.findall(r"^### `(aicxs_[a-z_]+)`", CATALOGUE.read_text("utf-8"), re.M))


def assert_answered(name: str, output: str) -> None:
    """No traceback; every diagnostic documented, and located unless the file is the problem;
    no control character of the input in the message (only line breaks, and the tabs a
    source line is shown with, so that the caret lines up)."""
    assert "Traceback" not in output and "aicxs_internal_error" not in output, output
    assert not re.findall(f"[{CONTROL_CLASS}]", re.sub("[\n\t]", "", output)), output
    headers = list(HEADER.finditer(output))
    assert headers, f"no diagnostic for {name}:\n{output}"
    codes = {h["code"] for h in headers}
    assert codes <= documented_codes(), f"undocumented: {codes - documented_codes()}"
    for h in headers:
        assert "help: " in output
        if name not in FILE_LEVEL:
            assert LOCATED.search(h["where"]), f"{name}: not located: {h.group()}"


def lint(path: Path) -> tuple[int, str]:
    run = run_cli("lint", str(path))
    return run.exit_code, run.stdout + run.stderr


def check(path: Path, *options: str) -> tuple[int, str, str]:
    run = run_cli("check", str(POLICY), "--facts", str(path), "--as-of", AS_OF, *options)
    return run.exit_code, run.stdout, run.stderr


def shown(text: str, folder: Path | None = None) -> str:
    """Output with the temporary folder's path made stable."""
    return text.replace(str(folder), "<tmp>") if folder else text


# ---- .aicx files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in AICX if not n.startswith("ok-")])
def test_broken_aicx_file_is_a_located_error(name: str, snapshot: object) -> None:
    code, output = lint(Path("tests/hostile/aicx") / name)
    assert code == 2, output
    assert_answered(name, output)
    assert output == snapshot


@pytest.mark.parametrize("name", sorted(GENERATED_AICX))
def test_big_aicx_input_is_refused(name: str, tmp_path: Path, snapshot: object) -> None:
    path = GENERATED_AICX[name](tmp_path)
    code, output = lint(path)
    assert code == 2, output[:2000]
    assert_answered(name, output)
    assert len(output) < 5000, "a message about a big input stays one screen"
    assert shown(output, tmp_path) == snapshot


@pytest.mark.parametrize("name", [n for n in AICX if n.startswith("ok-")])
def test_crlf_bom_tabs_and_cr_give_the_clean_files_ast(name: str) -> None:
    path = CORPUS / "aicx" / name
    assert parse_file(path) == parse_file(POLICY)
    code, output = lint(path)
    assert (code, output) == (0, "1 file checked: 0 errors, 0 warnings\n")


def test_the_valid_variants_really_differ_from_the_clean_file() -> None:
    clean = POLICY.read_bytes()
    for name in AICX:
        if name.startswith("ok-") and name != "ok-clean.aicx":
            assert (CORPUS / "aicx" / name).read_bytes() != clean, name


def test_expression_depth_at_the_limit_is_accepted() -> None:
    from aicxs.aicxs_dsl import parse_text
    from aicxs.aicxs_dsl.limits import MAX_EXPR_DEPTH

    parse_text(_check_of("not " * (MAX_EXPR_DEPTH - 10) + "true"), "deep.aicx")


# ---- facts files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled() -> CompiledPolicy:
    return load_policy(POLICY)


@pytest.mark.parametrize("name", [n for n in FACTS if not n.startswith("ok-")])
def test_broken_facts_file_is_a_located_error(name: str, snapshot: object) -> None:
    code, stdout, stderr = check(Path("tests/hostile/facts") / name)
    assert code == 2, stdout + stderr
    assert stdout == ""
    assert_answered(name, stderr)
    assert stderr == snapshot


@pytest.mark.parametrize("name", sorted(GENERATED_FACTS))
def test_big_facts_input_is_refused(name: str, tmp_path: Path, snapshot: object) -> None:
    path = GENERATED_FACTS[name](tmp_path)
    code, stdout, stderr = check(path, "--explain", "none")
    assert code == 2, (stdout + stderr)[:2000]
    assert_answered(name, stderr)
    assert len(stderr) < 5000
    assert shown(stderr, tmp_path) == snapshot


@pytest.mark.parametrize("name", [n for n in FACTS if n.startswith("ok-")])
def test_valid_facts_variants_load_as_the_clean_file(name: str, compiled: CompiledPolicy) -> None:
    clean = compiled.load_facts(CORPUS / "facts" / "ok-clean.yaml").data
    data = compiled.load_facts(CORPUS / "facts" / name).data
    match name:
        case "ok-empty.yaml":
            assert data == {}
        case "ok-surrogate-pair.json":
            assert data["systems"][0]["name"] == "Acme Voice Assistant \U0001f600"
        case _:
            assert data == clean
    code, stdout, stderr = check(CORPUS / "facts" / name, "--explain", "none")
    assert code == 1 and stderr == "", stderr  # not certified or undetermined: a result
    assert "verdict" in stdout.lower() or "certified" in stdout.lower()


# ---- limits, configured -----------------------------------------------------------------


def test_list_limit_can_be_raised_and_lowered(
    compiled: CompiledPolicy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aicxs.aicxs_dsl.diagnostics import DiagnosticError

    systems = "".join(f"  - id: s{i}\n" for i in range(11))
    text = "systems:\n" + systems
    monkeypatch.setenv("AICXS_MAX_LIST_ITEMS", "10")
    for name, body in (("f.yaml", text), ("f.json", json.dumps(compiled_json(11)))):
        with pytest.raises(DiagnosticError) as info:
            compiled.parse_facts(body, name)
        d = info.value.diagnostics[0]
        assert (d.code, d.message) == (
            "aicxs_limit_list_length",
            "`systems` has more than 10 items",
        )
        assert "AICXS_MAX_LIST_ITEMS" in d.help
    monkeypatch.setenv("AICXS_MAX_LIST_ITEMS", "11")
    assert len(compiled.parse_facts(text, "f.yaml").data["systems"]) == 11
    assert len(compiled.parse_facts(json.dumps(compiled_json(11)), "f.json").data["systems"]) == 11


def compiled_json(n: int) -> dict[str, object]:
    return {"systems": [{"id": f"s{i}"} for i in range(n)]}


def test_file_size_limits_are_set_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, snapshot: object
) -> None:
    monkeypatch.setenv("AICXS_MAX_FILE_BYTES", "100")
    code, output = lint(POLICY)
    assert code == 2
    assert "aicxs_limit_file_size: file is larger than 100 bytes" in output
    monkeypatch.setenv("AICXS_MAX_FILE_BYTES", "1_000_000")
    monkeypatch.setenv("AICXS_MAX_FACTS_BYTES", "100")
    code, _, stderr = check(Path("tests/hostile/facts/ok-clean.yaml"))
    assert code == 2
    assert "aicxs_limit_file_size: facts file is larger than 100 bytes" in stderr
    assert stderr == snapshot


def test_a_limit_that_is_not_a_number_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, snapshot: object
) -> None:
    monkeypatch.setenv("AICXS_MAX_LIST_ITEMS", "lots")
    code, _, stderr = check(CORPUS / "facts" / "ok-clean.yaml")
    assert code == 2
    assert stderr.startswith("AICXS_MAX_LIST_ITEMS: aicxs_limit_setting: ")
    assert stderr == snapshot
