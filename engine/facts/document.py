"""A facts document: the typed facts of one file, its evidence, and the means to locate a JSON
path in its text (the index is built on the first request, so loading never pays for it).
`_value_error` words a problem with a value at the place the value sits in the file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.engine.facts.positions import _JsonIndex, _YamlIndex


@dataclass
class FactsDocument:
    """A facts document: typed values plus the means to locate each one in its file."""

    path: str
    data: dict[str, Any]
    text: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    _index: _YamlIndex | _JsonIndex | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def location(self, json_path: str) -> str | None:
        """`file:line` of a JSON path such as `$.systems[2].consent.recorded`, if known."""
        pos = self.position(json_path)
        return f"{self.path}:{pos[0]}" if pos else None

    def position(self, json_path: str) -> tuple[int, int] | None:
        """(line, column) of a JSON path; the index is built on the first call, so loading
        never pays for positions that no explanation asks for."""
        if not self.text:
            return None
        with self._lock:
            if self._index is None:
                json_file = self.path.endswith(".json")
                self._index = _JsonIndex(self.text) if json_file else _YamlIndex(self.text)
            return self._index.position(json_path)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its lock and index (a report crossing processes takes its facts
        along; the index is built again where a position is asked for)."""
        state = dict(self.__dict__)
        state.pop("_lock")
        state["_index"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _value_error(
    source: Source,
    doc: FactsDocument,
    path: str,
    code: str,
    message: str,
    help: str,
    span: Any = None,
) -> DiagnosticError:
    if span is None and (pos := doc.position(path)):
        span = span_at(source, *pos)
    return DiagnosticError([Diagnostic(code, message, span, help, path=source.path)])
