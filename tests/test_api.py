"""The Python API for embedding: load once, evaluate many documents, from many threads."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aicxs import engine
from aicxs.aicxs_dsl import DiagnosticError
from aicxs.engine.render import report_json

POLICY = "policy acme implements AICXS 2024 {\n  target level 2\n}\n"


def facts(wait: int, disclose: bool) -> str:
    return (
        "systems:\n"
        "  - id: web-chat\n"
        "    customer_facing: true\n"
        f"    disclosure: {{at_first_turn: {str(disclose).lower()}, clear_on_handover: true}}\n"
        f"    escalation: {{available: true, max_wait: {wait} seconds, handover_with_context: true}}\n"
    )


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> engine.CompiledPolicy:
    path = tmp_path_factory.mktemp("api") / "acme.aicx"
    path.write_text(POLICY, "utf-8")
    return engine.load_policy(path)


def status(report: engine.Report, ident: str) -> str:
    result = report.result(ident)
    assert result is not None
    return result.status.value


def test_evaluate_many_documents_with_one_compiled_policy(compiled: engine.CompiledPolicy) -> None:
    as_of = dt.date(2026, 11, 27)
    ok = compiled.evaluate(compiled.parse_facts(facts(60, True)), as_of)
    slow = compiled.evaluate(compiled.parse_facts(facts(600, True)), as_of)
    assert status(ok, "P5.2") == "pass"
    assert status(slow, "P4.2") == "fail"
    assert status(ok, "P4.2") == "pass"
    assert ok.as_of == as_of


def test_results_are_plain_data(compiled: engine.CompiledPolicy) -> None:
    report = compiled.evaluate(compiled.parse_facts(facts(60, False)), dt.date(2026, 11, 27))
    p52 = report.result("P5.2")
    assert p52 is not None and p52.status is engine.Status.FAIL
    assert (
        p52.trace is not None and p52.trace.pillar == "P5" and "KR1" in p52.trace.key_requirements
    )
    assert p52.node is not None and p52.node.truth == "false"


def test_thread_safe(compiled: engine.CompiledPolicy) -> None:
    docs = [compiled.parse_facts(facts(w, w % 2 == 0)) for w in range(0, 400, 10)]
    as_of = dt.date(2026, 11, 27)

    def run(doc: engine.FactsDocument) -> str:
        return json.dumps(report_json(compiled.evaluate(doc, as_of)), sort_keys=True)

    serial = [run(d) for d in docs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(run, docs * 3))
    assert parallel == serial * 3


def test_load_errors_are_diagnostics(tmp_path: Path) -> None:
    bad = tmp_path / "bad.aicx"
    bad.write_text(POLICY.replace("level 2", "level 9"), "utf-8")
    with pytest.raises(DiagnosticError) as err:
        engine.load_policy(bad)
    (d,) = err.value.diagnostics
    assert d.code == "aicxs_unknown_level" and d.span is not None and d.span.line == 2


def test_bundled_standard_loads_and_is_cached() -> None:
    first = engine.load_standard()
    assert first is engine.load_standard()
    std = first.standard
    assert (std.id, std.version) == ("AICXS", 2024)
    assert len(std.pillars) == 6 and len(std.clauses) == 31 and len(std.key_requirements) == 6
    assert len(std.levels) == 4 and all(kr.mandatory for kr in std.key_requirements.values())
    assert std.pillars["P3"].errata, "pillar 03's repeated title is recorded as an erratum"


def test_evidence_is_read_in_one_pass_as_the_schema_reads_it() -> None:
    """A document with evidence takes the one-pass converter too, with the same result as
    normalising + jsonschema (dates as text)."""
    import yaml

    from aicxs.aicxs_dsl.source import Source
    from aicxs.engine.facts import FactsDocument
    from aicxs.engine.facts.convert import _normalise
    from aicxs.engine.facts.yaml_text import _StrictLoader

    policy = engine.load_policy("policies/retail-bank.aicx")
    text = Path("policies/retail-bank.facts.yaml").read_text("utf-8")
    fast = policy.parse_facts(text, "bank.yaml")
    raw = yaml.load(text, Loader=_StrictLoader)
    slow = _normalise(raw, Source("bank.yaml", text), FactsDocument("bank.yaml", {}, text))
    assert fast.evidence == slow["evidence"] and len(fast.evidence) == 15
    bad = text.replace("attested_by:", "atested_by:", 1)
    with pytest.raises(DiagnosticError) as err:
        policy.parse_facts(bad, "bank.yaml")
    assert err.value.diagnostics[0].code == "aicxs_facts_schema"
