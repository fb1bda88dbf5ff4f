"""aicxs: policy as code for the AI in Customer Experience Standard (AICXS 2024).

    import aicxs
    policy = aicxs.load_policy("policies/retail-bank.aicx")
    report = policy.evaluate("policies/retail-bank.facts.yaml", as_of="2026-11-27")
    report.verdict        # Verdict.CERTIFIED
    report.to_json()      # the same text as `aicxs check --format json`

Only the names in `__all__` are the public API; the modules under `aicxs.engine` and
`aicxs.aicxs_dsl` are internal and may change in any release.
"""

import importlib.metadata as _metadata

from aicxs.aicxs_dsl.diagnostics import AicxsError, Diagnostic, Severity
from aicxs.engine.api import (
    FactsInput,
    Policy,
    Standard,
    evaluate,
    load_policy,
    load_standard,
    parse_policy,
    record,
)
from aicxs.engine.facts import FactsDocument as Facts
from aicxs.engine.outcome import (
    Crosswalk,
    Explain,
    Kind,
    PillarMaturity,
    Report,
    Result,
    Status,
    Trace,
    Verdict,
)

try:
    __version__ = _metadata.version("aicxs")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AicxsError",
    "Crosswalk",
    "Diagnostic",
    "Explain",
    "Facts",
    "FactsInput",
    "Kind",
    "PillarMaturity",
    "Policy",
    "Report",
    "Result",
    "Severity",
    "Standard",
    "Status",
    "Trace",
    "Verdict",
    "__version__",
    "evaluate",
    "load_policy",
    "load_standard",
    "parse_policy",
    "record",
]
