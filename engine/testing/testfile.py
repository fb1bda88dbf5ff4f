"""Test files (`*.tests.yaml`) → checked `PolicyTestFile`s: a policy, base facts and cases.

A test file names the policy it tests (or gives a minimal one inline, for tests of a standard),
the base facts every case starts from, a default `as_of`, and its `cases`. Everything is checked
before any case runs: the file against `tests-schema.json` (`testschema.py`), then each case
(`testcases.py`); every mistake is a `Diagnostic` located at its line in the test file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aicxs.aicxs_dsl import ast, parse_file, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.escape import printable
from aicxs.aicxs_dsl.parser import decode
from aicxs.aicxs_dsl.reading import read_limited
from aicxs.engine.explain import json_value
from aicxs.engine.facts import FactsDocument, facts_from_data
from aicxs.engine.loader import CompiledPolicy, compile_policy, load_standard
from aicxs.engine.testing.overrides import Base, UnitValidators
from aicxs.engine.testing.testcases import Case, _case
from aicxs.engine.testing.testschema import schema_diagnostics
from aicxs.engine.yamldoc import YamlDoc, YamlPath, located_error, parse_yaml, yaml_path

TEST_SUFFIX = ".tests.yaml"
MAX_TEST_FILE_BYTES = 16_000_000


# ---- what a loaded test file holds ----------------------------------------------------------


@dataclass
class PolicyTestFile:
    path: str
    policy: CompiledPolicy
    facts: FactsDocument  # the base facts
    as_of: dt.date
    cases: list[Case]
    policy_module: ast.Module  # the policy as parsed (written inline or read from its file)

    def against(self, standard: str | Path) -> PolicyTestFile:
        """The same cases, with the policy compiled against another standard (e.g. a changed
        copy of it); the facts vocabulary must be the same."""
        return replace(self, policy=compile_policy(self.policy_module, standard))


# ---- loading --------------------------------------------------------------------------------


def find_test_files(paths: list[str]) -> list[Path]:
    """`*.tests.yaml` files: those given, and those under the folders given (sorted)."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files = sorted(path.rglob(f"*{TEST_SUFFIX}"))
            if not files:
                problems.append(
                    Diagnostic(
                        "aicxs_test_no_files",
                        f"no `*{TEST_SUFFIX}` file under `{p}`",
                        None,
                        f"test files are named like `telecom{TEST_SUFFIX}`, beside the policy",
                        path=p,
                    )
                )
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(
                Diagnostic(
                    "aicxs_test_file_error",
                    f"cannot read `{p}`: no such file or folder",
                    None,
                    "give test files or folders that hold them",
                    path=p,
                )
            )
    if problems:
        raise DiagnosticError(problems)
    return list(dict.fromkeys(found))


def load_test_files(paths: list[str], spec_path: str | Path | None = None) -> list[PolicyTestFile]:
    """Load and check every test file; raise one `DiagnosticError` with every mistake found.
    `spec_path` replaces the standard of every file (e.g. a changed copy of it)."""
    problems: list[Diagnostic] = []
    loaded: list[PolicyTestFile] = []
    policies: dict[tuple[str, str], tuple[CompiledPolicy, ast.Module]] = {}
    for path in find_test_files(paths):
        try:
            loaded.append(_load(path, spec_path, policies))
        except DiagnosticError as err:
            problems.extend(err.diagnostics)
    if problems:
        raise DiagnosticError(problems)
    return loaded


def load_test_file(path: str | Path, spec_path: str | Path | None = None) -> PolicyTestFile:
    return _load(Path(path), spec_path, {})


def _load(
    path: Path,
    spec_path: str | Path | None,
    policies: dict[tuple[str, str], tuple[CompiledPolicy, ast.Module]],
) -> PolicyTestFile:
    doc = _read(path)
    found = schema_diagnostics(doc)
    problems = [d for _, d in found]
    # A mistake inside one case still lets the others be checked; any other stops the file.
    bad_cases = {where[1] for where, _ in found if len(where) >= 2 and where[0] == "cases"}
    if any(len(where) < 2 or where[0] != "cases" for where, _ in found):
        raise DiagnosticError(problems)
    data: dict[str, Any] = doc.data
    folder = path.parent
    standard = spec_path or (_beside(doc, folder, "standard") if "standard" in data else None)
    compiled, module = _policy(doc, folder, standard, policies)
    base = _base_facts(doc, folder, compiled)
    as_of = dt.date.fromisoformat(data["as_of"])
    cases: list[Case] = []
    seen: dict[str, int] = {}
    start = Base(base, json_value(base.data), UnitValidators(compiled))
    for i, raw in enumerate(data["cases"]):
        if i in bad_cases:
            continue
        try:
            cases.append(_case(doc, i, raw, compiled, start, as_of))
        except DiagnosticError as err:
            problems.extend(err.diagnostics)
        name = raw["name"]
        if name in seen:
            problems.append(
                Diagnostic(
                    "aicxs_test_duplicate_case",
                    f"two cases are named `{name}` (cases {seen[name] + 1} and {i + 1})",
                    doc.value_span(("cases", i, "name")),
                    "give each case its own name: `--run` and reports select cases by name",
                )
            )
        seen.setdefault(name, i)
    if problems:
        raise DiagnosticError(problems)
    return PolicyTestFile(str(path), compiled, base, as_of, cases, module)


def _read(path: Path) -> YamlDoc:
    name = printable(str(path))
    try:
        data = read_limited(path, MAX_TEST_FILE_BYTES, name)
        if data is None:
            raise DiagnosticError(
                [
                    Diagnostic(
                        "aicxs_test_file_error",
                        f"test file is larger than {MAX_TEST_FILE_BYTES:,} bytes",
                        None,
                        "split the cases over several files",
                        path=name,
                    )
                ]
            )
        text = decode(name, data)
    except OSError as err:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_test_file_error",
                    f"cannot read `{name}`: {(err.strerror or str(err)).lower()}",
                    None,
                    "check the path and the file's permissions",
                    path=name,
                )
            ]
        ) from None
    doc = parse_yaml(text, name)
    if not isinstance(doc.data, dict):
        raise located_error(
            doc,
            "aicxs_test_type",
            "a test file holds a mapping (`policy:`, `facts:`, `as_of:`, `cases:`)",
            (1, 1),
            f"see engine/tests-schema.json for the format; test files end in {TEST_SUFFIX}",
        )
    return doc


def _beside(doc: YamlDoc, folder: Path, key: str) -> Path:
    """A file named by `key`, relative to the test file, which must exist."""
    target = Path(os.path.normpath(folder / str(doc.data[key])))
    if not target.is_file():
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_test_file_error",
                    f"`{key}` names `{doc.data[key]}`, which is not a file beside the test file "
                    f"(looked for `{target}`)",
                    doc.value_span((key,)),
                    "paths in a test file are relative to the folder the test file is in",
                )
            ]
        )
    return target


def _policy(
    doc: YamlDoc,
    folder: Path,
    standard: str | Path | None,
    cache: dict[tuple[str, str], tuple[CompiledPolicy, ast.Module]],
) -> tuple[CompiledPolicy, ast.Module]:
    raw = doc.data["policy"]
    if isinstance(raw, str):
        target = _beside(doc, folder, "policy")
        key = (str(target.resolve()), str(standard))
        if key not in cache:
            module = parse_file(target)
            cache[key] = (compile_policy(module, standard), module)
        return cache[key]
    if standard is None:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_test_missing_key",
                    "an inline policy needs `standard:`, the standard file it tests",
                    doc.key_span(("policy",)),
                    "add `standard: aicxs-2024.aicx` (relative to this file)",
                )
            ]
        )
    return _inline_policy(doc, standard)


def _inline_policy(doc: YamlDoc, standard: str | Path) -> tuple[CompiledPolicy, ast.Module]:
    """A minimal policy written in the test file, turned into `.aicx` text and compiled; its
    mistakes are reported at the lines of the test file they come from."""
    std = load_standard(standard).standard
    raw: dict[str, Any] = doc.data["policy"]
    stem = Path(doc.source.path).name.removesuffix(TEST_SUFFIX).removesuffix(".yaml")
    name = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    name = f"{name}_tests" if name and name[0].isalpha() else "tests"
    lines: list[tuple[str, YamlPath]] = [(f"policy {name} implements {std.name} {{", ("policy",))]
    if "title" in raw:
        lines.append((f"  title {_dsl_text(raw['title'])}", ("policy", "title")))
    lines.append((f"  target level {raw['target']}", ("policy", "target")))
    for param, value in raw.get("set", {}).items():
        lines.append((f"  set {param} = {_dsl_value(value)}", ("policy", "set", param)))
    for clause, why in raw.get("exclude", {}).items():
        lines.append(
            (f"  exclude {clause} because {_dsl_text(why)}", ("policy", "exclude", clause))
        )
    for clause, waiver in raw.get("waive", {}).items():
        at: YamlPath = ("policy", "waive", clause)
        lines.append((f"  waive {clause} {{", at))
        lines.append((f"    justification {_dsl_text(waiver['justification'])}", at))
        lines.append((f"    approver {_dsl_text(waiver['approver'])}", at))
        lines.append((f"    expires {waiver['expires']}", (*at, "expires")))
        lines.append(("  }", at))
    lines.append(("}", ("policy",)))
    text = "\n".join(line for line, _ in lines) + "\n"
    origin = f"{doc.source.path} (inline policy)"
    try:
        module = parse_text(text, origin)
        return compile_policy(module, standard), module
    except DiagnosticError as err:
        raise DiagnosticError(
            [_relocate(d, origin, doc, [p for _, p in lines]) for d in err.diagnostics]
        ) from None


def _relocate(d: Diagnostic, origin: str, doc: YamlDoc, paths: list[YamlPath]) -> Diagnostic:
    if d.span is None or d.span.path != origin:
        return d
    at = paths[min(d.span.line, len(paths)) - 1]
    return Diagnostic(d.code, d.message, doc.key_span(at), d.help, d.severity, notes=d.notes)


_LITERAL = re.compile(
    r"^(\d+(\.\d+)?|\d+ (second|minute|hour|day|week|month|year)s?|\d{4}-\d{2}-\d{2}|true|false)$"
)


def _dsl_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).strip()
    return text if _LITERAL.match(text) else _dsl_text(text)


def _dsl_text(text: Any) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# ---- facts ----------------------------------------------------------------------------------


class _InlineFacts(FactsDocument):
    """Facts written in the test file under `facts:`: located in the test file."""

    def __init__(self, doc: YamlDoc) -> None:
        super().__init__(doc.source.path, {})
        self._doc = doc

    def position(self, json_path: str) -> tuple[int, int] | None:
        pos = self._doc.values.get(yaml_path(json_path, ("facts",)))
        return pos[:2] if pos else None


def _base_facts(doc: YamlDoc, folder: Path, compiled: CompiledPolicy) -> FactsDocument:
    """The base facts: a facts file beside the test file, or the facts written inline (checked
    as a facts file is, each mistake located in the test file)."""
    raw = doc.data["facts"]
    if isinstance(raw, str):
        return compiled.load_facts(_beside(doc, folder, "facts"))
    inline = _InlineFacts(doc)
    return facts_from_data(raw, inline, doc.source, compiled.validator, compiled.vocabulary)
