"""The aicxs engine: a checked standard and policy, evaluated over facts into explained results.

from aicxs.engine import load_policy
policy = load_policy("policies/retail-bank.aicx")
report = policy.evaluate(policy.load_facts("policies/retail-bank.facts.yaml"))
"""

from aicxs.engine.facts import FactsDocument
from aicxs.engine.loader import (
    CompiledPolicy,
    LoadedStandard,
    compile_policy,
    load_policy,
    load_standard,
)
from aicxs.engine.outcome import Report, Result, Status

__all__ = [
    "CompiledPolicy",
    "FactsDocument",
    "LoadedStandard",
    "Report",
    "Result",
    "Status",
    "compile_policy",
    "load_policy",
    "load_standard",
]
