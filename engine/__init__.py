"""The aicxs engine: a checked standard and policy, evaluated over facts into explained results.

from engine import load_policy
policy = load_policy("policies/retail-bank.aicx")
report = policy.evaluate(policy.load_facts("policies/retail-bank.facts.yaml"))
"""

from engine.api import CompiledPolicy, LoadedStandard, compile_policy, load_policy, load_standard
from engine.facts import FactsDocument
from engine.outcome import Report, Result, Status

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
