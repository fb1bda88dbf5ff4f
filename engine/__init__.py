"""The aicxs engine: a checked standard and policy, evaluated over facts into explained results.

Internal: embedders use the package's public API (`import aicxs`). The pipeline modules sit
here; the wings (authoring, testing, onboarding, service, reports) use them, never each other.
"""

from aicxs.engine.facts import FactsDocument
from aicxs.engine.loader import (
    CompiledPolicy,
    LoadedStandard,
    compile_policy,
    load_policy,
    load_standard,
)
from aicxs.engine.outcome import Kind, Report, Result, Status, Verdict

__all__ = [
    "CompiledPolicy",
    "FactsDocument",
    "Kind",
    "LoadedStandard",
    "Report",
    "Result",
    "Status",
    "Verdict",
    "compile_policy",
    "load_policy",
    "load_standard",
]
