"""The public API: what `import aicxs` offers an embedder, and nothing more.

Load a standard (by path or bundled name) or a policy (by path or text) once; evaluate many facts
documents with it, from many threads or processes. Arguments are checked where they are given
(`ValueError` names the argument); a mistake in the user's files is an `AicxsError` with located
diagnostics; results are frozen, picklable `Report`s with `to_dict()` / `to_json()`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any, Literal

from aicxs.aicxs_dsl import parse_file, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.engine import loader
from aicxs.engine.facts import FactsDocument
from aicxs.engine.outcome import Explain, Report

FactsInput = FactsDocument | Mapping[str, Any] | str | os.PathLike[str]
FactsFormat = Literal["auto", "yaml", "json"]


class Standard:
    """A checked standard (e.g. the bundled AICXS 2024)."""

    __slots__ = ("_loaded",)

    def __init__(self, loaded: loader.LoadedStandard) -> None:
        self._loaded = loaded

    @property
    def id(self) -> str:
        return self._loaded.standard.id

    @property
    def version(self) -> int:
        """The year: `2024` (also for `AICXS 2024.1`; see `amendment`)."""
        return self._loaded.standard.version

    @property
    def amendment(self) -> int:
        """`1` for `AICXS 2024.1`; `0` for the unamended standard."""
        return self._loaded.standard.amendment

    @property
    def name(self) -> str:
        """`AICXS 2024`."""
        return self._loaded.standard.name

    @property
    def title(self) -> str:
        return self._loaded.standard.title

    @property
    def source(self) -> str:
        """How messages name its file (`spec/aicxs-2024.aicx` for the bundled one)."""
        return self._loaded.standard.span.path

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self._loaded.warnings

    def __repr__(self) -> str:
        return f"<aicxs.Standard {self.name} from {self.source}>"


class Policy:
    """An organisation's policy, checked against its standard and compiled: evaluate facts
    with it as often as you like (it is immutable, thread-safe and picklable)."""

    __slots__ = ("_compiled",)

    def __init__(self, compiled: loader.CompiledPolicy) -> None:
        self._compiled = compiled

    @property
    def id(self) -> str:
        return self._compiled.policy.name

    @property
    def title(self) -> str:
        return self._compiled.policy.title

    @property
    def target_level(self) -> int:
        return self._compiled.policy.target

    @property
    def source(self) -> str:
        return self._compiled.policy.span.path

    @property
    def standard(self) -> Standard:
        std = self._compiled.standard
        return Standard(loader.LoadedStandard(std, self._compiled.warnings))

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self._compiled.warnings

    def facts_schema(self) -> dict[str, Any]:
        """The JSON Schema (2020-12) of the facts this policy reads (a fresh copy)."""
        import copy

        return copy.deepcopy(dict(self._compiled.schema))

    def load_facts(self, path: str | os.PathLike[str]) -> FactsDocument:
        """A facts file (YAML, or JSON when its name ends in `.json`), validated."""
        return self._compiled.load_facts(path)

    def parse_facts(
        self, text: str, *, format: FactsFormat = "auto", name: str | None = None
    ) -> FactsDocument:
        """Facts from text. `format="auto"` reads text whose first non-blank character is `{`
        as JSON and anything else as YAML; `name` is how messages show it."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, not {type(text).__name__}")
        kind = _facts_format(text, format)
        shown = name or f"<facts>.{kind}"
        if kind == "json" and not shown.endswith(".json"):
            shown += ".json"  # the reader is chosen by the name
        if kind == "yaml" and shown.endswith(".json"):
            raise ValueError(f"name {name!r} ends in .json but format is 'yaml'")
        return self._compiled.parse_facts(text, shown)

    def facts_from(self, data: Mapping[str, Any], *, name: str = "<facts>") -> FactsDocument:
        """Facts from already-parsed data (e.g. a JSON request body), validated."""
        if not isinstance(data, Mapping):
            raise ValueError(f"data must be a mapping, not {type(data).__name__}")
        return self._compiled.facts_from_data(dict(data), name)

    def evaluate(
        self,
        facts: FactsInput,
        *,
        as_of: dt.date | str | None = None,
        explain: Explain = "fails",
    ) -> Report:
        """Evaluate facts (a loaded document, a mapping, or a path to a facts file) as of a
        date (a `date` or `YYYY-MM-DD`; default today). `explain`: `"fails"` explains what did
        not pass, `"full"` everything, `"none"` gives decisions only (fastest)."""
        date, mode = loader.as_of_date(as_of), loader.explain_mode(explain)
        return self._compiled.evaluate(self._facts(facts), date, mode)

    def _facts(self, facts: FactsInput) -> FactsDocument:
        if isinstance(facts, FactsDocument):
            return facts
        if isinstance(facts, Mapping):
            return self.facts_from(facts)
        if isinstance(facts, str | os.PathLike):
            return self.load_facts(facts)
        raise ValueError(
            "facts must be a loaded document, a mapping or a path to a facts file, "
            f"not {type(facts).__name__}"
        )

    def __repr__(self) -> str:
        return f"<aicxs.Policy {self.id} from {self.source}>"


def _facts_format(text: str, format: str) -> Literal["yaml", "json"]:
    if format == "auto":
        return "json" if text.lstrip()[:1] == "{" else "yaml"
    if format in ("yaml", "json"):
        return "json" if format == "json" else "yaml"
    raise ValueError(f"format must be 'auto', 'yaml' or 'json', not {format!r}")


def load_standard(source: str | os.PathLike[str] = loader.DEFAULT_STANDARD) -> Standard:
    """A standard by path, or a bundled one by name (`"AICXS-2024"`, the default)."""
    return Standard(loader.load_standard(_path_argument(source, "source")))


def load_policy(
    path: str | os.PathLike[str], *, standard: str | os.PathLike[str] | Standard | None = None
) -> Policy:
    """A policy file, checked against the standard it implements: the bundled one, or
    `standard` (a path, a bundled name, or a loaded `Standard`)."""
    compiled = loader.compile_policy(
        parse_file(os.fspath(_path_argument(path, "path"))), _standard_argument(standard)
    )
    return Policy(compiled)


def parse_policy(
    text: str,
    *,
    name: str = "<policy>.aicx",
    standard: str | os.PathLike[str] | Standard | None = None,
) -> Policy:
    """A policy from text (`name` is how messages show it); see `load_policy`."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, not {type(text).__name__}")
    return Policy(loader.compile_policy(parse_text(text, name), _standard_argument(standard)))


def evaluate(
    policy: Policy,
    facts: FactsInput,
    *,
    as_of: dt.date | str | None = None,
    explain: Explain = "fails",
) -> Report:
    """`policy.evaluate(facts, as_of=..., explain=...)`."""
    if not isinstance(policy, Policy):
        raise ValueError(f"policy must be an aicxs.Policy, not {type(policy).__name__}")
    return policy.evaluate(facts, as_of=as_of, explain=explain)


def _path_argument(value: object, name: str) -> str | os.PathLike[str]:
    if isinstance(value, str | os.PathLike):
        return value
    raise ValueError(f"{name} must be a path or a name, not {type(value).__name__}")


def _standard_argument(
    value: str | os.PathLike[str] | Standard | None,
) -> str | os.PathLike[str] | loader.LoadedStandard | None:
    if value is None:
        return None
    if isinstance(value, Standard):
        return value._loaded
    return _path_argument(value, "standard")


def record(report: Report, policy: Policy, *, store: str | None = None, label: str = "") -> int:
    """Keep an evaluation of `policy` in the store of evaluations (the Evolve stage) and return
    its number, as `aicxs history` lists it. `store`: a SQLite file or a SQLAlchemy URL
    (default: `aicxs.sqlite` in the current folder); needs `pip install 'aicxs[store]'`."""
    if not isinstance(report, Report):
        raise ValueError(f"report must be an aicxs.Report, not {type(report).__name__}")
    if not isinstance(policy, Policy):
        raise ValueError(f"policy must be an aicxs.Policy, not {type(policy).__name__}")
    from aicxs.engine.store import open_store

    opened = open_store(store)
    try:
        kept = opened.record(report, policy._compiled, report.facts, "api", label)
    finally:
        opened.close()
    return kept.id
