"""What a report was evaluated from: the tool and its version, and the SHA-256 of the standard,
the policy and the facts, so a printed or archived report can be tied to exactly those files.

Each digest is of the text that was evaluated, encoded as UTF-8 (a byte-order mark dropped and
line ends read as LF, as every reader of `aicxs` does): for a UTF-8 file with LF line ends,
which is what `aicxs` itself writes, it is the file's own `sha256sum`. Facts given as data, not
text (the Python API, a service request), are hashed as canonical JSON and say so. Nothing here
depends on the time or the machine: the same inputs give the same provenance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol

from aicxs.engine.facts import FactsDocument

TOOL = "aicxs"


@dataclass(frozen=True)
class Input:
    """One file evaluated: as the report names it, and the SHA-256 of its text."""

    file: str
    sha256: str
    of: str = "text"  # `text`, or `data` (canonical JSON) when there was no text

    def to_dict(self) -> dict[str, str]:
        out = {"file": self.file, "sha256": self.sha256}
        if self.of != "text":
            out["of"] = self.of
        return out


@dataclass(frozen=True)
class Provenance:
    tool: str
    version: str
    standard: Input
    policy: Input
    facts: Input

    def inputs(self) -> tuple[tuple[str, Input], ...]:
        return (("standard", self.standard), ("policy", self.policy), ("facts", self.facts))

    def to_dict(self) -> dict[str, Any]:
        """The `provenance` object of the report JSON (see report-schema.json)."""
        return {
            "tool": {"name": self.tool, "version": self.version},
            **{role: i.to_dict() for role, i in self.inputs()},
        }


def tool_version() -> str:
    try:
        return metadata.version(TOOL)
    except metadata.PackageNotFoundError:  # pragma: no cover - a bare checkout never installed
        return "0+unknown"


class Compiled(Protocol):
    """A `loader.CompiledPolicy` (not imported: the loader's pipeline imports this module)."""

    @property
    def standard(self) -> Any: ...
    @property
    def policy(self) -> Any: ...


def provenance(compiled: Compiled, facts: FactsDocument) -> Provenance:
    """The provenance of evaluating `facts` with `compiled` (a `CompiledPolicy`)."""
    std, policy = compiled.standard.span.source, compiled.policy.span.source
    return Provenance(
        TOOL,
        tool_version(),
        Input(std.path, sha256_text(std.text)),
        Input(policy.path, sha256_text(policy.text)),
        _facts_input(facts),
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _facts_input(facts: FactsDocument) -> Input:
    if facts.text:
        return Input(facts.path, sha256_text(facts.text))
    data = {**facts.data, "evidence": facts.evidence} if facts.evidence else facts.data
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return Input(facts.path, sha256_text(canonical), "data")


def _plain(value: Any) -> str:
    """Dates and durations as the facts file writes them."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)
