"""The worst-case cost of a check is bounded when a policy or standard is loaded (cost.py).

Quantifiers nested too deep, too many quantifiers or tokens in one check, and a list literal
too long are each one located error, whose limit an environment variable can raise; the list
literal is refused before the parser runs.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from aicxs import engine
from aicxs.aicxs_dsl import DiagnosticError, parse_text
from aicxs.engine.cost import cost_of, work
from tests.conftest import ROOT


def policy(check: str) -> str:
    return (
        "policy acme implements AICXS 2024 {\n  target level 2\n"
        f'  rule ACME-1 refines P1.4 "Costly" {{\n    check {check}\n  }}\n}}\n'
    )


def load(tmp_path: Path, text: str) -> engine.CompiledPolicy:
    path = tmp_path / "acme.aicx"
    path.write_text(text, "utf-8")
    return engine.load_policy(path)


def refusal(tmp_path: Path, text: str) -> tuple[str, str, int, int]:
    with pytest.raises(DiagnosticError) as err:
        load(tmp_path, text)
    d = err.value.diagnostics[0]
    assert d.span is not None
    return d.code, d.message, d.span.line, d.span.col


SIX = "all a in systems: all b in systems: all c in systems: all d in systems: all e in systems: all f in systems: f.risk_assessed"


def test_six_nested_quantifiers_are_refused_at_load(tmp_path: Path) -> None:
    code, message, line, col = refusal(tmp_path, policy(SIX))
    assert code == "aicxs_limit_quantifier_nesting"
    assert (
        message == "the check of rule `ACME-1` nests quantifiers over lists 6 deep; the limit is 2"
    )
    assert (line, col) == (4, 47)  # the third `all`, the first one too deep


def test_two_nested_quantifiers_are_allowed(tmp_path: Path) -> None:
    load(
        tmp_path, policy("all a in systems: any b in systems: b.risk_assessed and a.risk_assessed")
    )


def test_the_scope_counts_one_level_deeper(tmp_path: Path) -> None:
    text = policy("all s in systems: s.risk_assessed").replace(
        "  target level 2\n",
        "  target level 2\n  scope s in systems where any t in systems: any u in systems: "
        'u.risk_assessed because "every system"\n',
    )
    code, message, _, _ = refusal(tmp_path, text)
    assert code == "aicxs_limit_quantifier_nesting" and "the scope of policy `acme`" in message


def test_the_limits_are_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AICXS_MAX_QUANTIFIER_NESTING", "6")
    compiled = load(tmp_path, policy(SIX))
    assert compiled.policy.rules[0].check is not None


def test_too_many_quantifiers_in_one_check(tmp_path: Path) -> None:
    check = " and ".join(["(all s in systems: s.risk_assessed)"] * 65)
    code, message, line, col = refusal(tmp_path, policy(check))
    assert code == "aicxs_limit_check_quantifiers"
    assert message == "the check of rule `ACME-1` holds 65 quantifiers; the limit is 64"
    assert (line, col) == (4, 11)


def test_too_many_tokens_in_one_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AICXS_MAX_CHECK_TOKENS", "100")
    values = ", ".join(f'"v{i}"' for i in range(99))  # with `all`, `s.name`, `in`, `[...]`: 104
    code, message, _, _ = refusal(tmp_path, policy(f"all s in systems: s.name in [{values}]"))
    assert code == "aicxs_limit_check_size"
    assert message == "the check of rule `ACME-1` is 104 tokens long; the limit is 100"
    monkeypatch.setenv("AICXS_MAX_CHECK_TOKENS", "104")
    load(tmp_path, policy(f"all s in systems: s.name in [{values}]"))


def test_a_long_list_literal_is_refused_before_parsing() -> None:
    items = ", ".join(str(i) for i in range(1_000_000))
    parsing = mock.patch("aicxs.aicxs_dsl.parser._lark", side_effect=AssertionError("parsed"))
    with parsing, pytest.raises(DiagnosticError) as err:
        parse_text(policy(f"1 in [{items}]"), "big.aicx")
    d = err.value.diagnostics[0]
    assert (d.code, d.message) == (
        "aicxs_limit_list_literal",
        "this list has more than 10,000 items",
    )
    assert d.span is not None and (d.span.line, d.span.col) == (4, 16)


def test_the_bundled_standard_and_examples_are_within_the_limits() -> None:
    for name in ("retail-bank", "telecom", "startup", "insurer"):
        engine.load_policy(ROOT / "policies" / f"{name}.aicx")


def test_work_counts_item_evaluations(tmp_path: Path) -> None:
    compiled = load(tmp_path, policy("all a in systems: any b in systems: b.risk_assessed"))
    check = compiled.policy.rules[0].check
    assert check is not None
    cost = cost_of(check)
    assert (cost.quantifiers, cost.nesting, sorted(cost.items)) == (2, 2, [1, 2])
    assert work([cost], 100) == 100 + 100**2
