"""Test files (`*.tests.yaml`) → checked `PolicyTestFile`s: a policy, base facts and cases.

A test file names the policy it tests (or gives a minimal one inline, for tests of a standard),
the base facts every case starts from, a default `as_of`, and table-driven `cases`: each
overrides facts by fact path (`set:`, `unset:`) and states what it expects (a status per clause,
rule or key requirement, the verdict, maturity levels, explanation fragments). Everything is
checked before any case runs: the file against `tests-schema.json`, then ids, pillars and fact
paths against the policy, and the changed facts against the facts schema; every mistake is a
`Diagnostic` located at its line in the test file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from aicxs.aicxs_dsl import ast, parse_file, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from aicxs.aicxs_dsl.parser import decode
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.explain import json_value
from aicxs.engine.facts import FactsDocument, facts_from_data
from aicxs.engine.loader import CompiledPolicy, compile_policy, load_standard
from aicxs.engine.testing.overrides import Base, Change, UnitValidators, by_path, case_facts
from aicxs.engine.yamldoc import YamlDoc, YamlPath, located_error, parse_yaml, yaml_path

TEST_SUFFIX = ".tests.yaml"
STATUSES = ("pass", "fail", "unknown", "error", "not_applicable", "waived", "blocked")
MAX_TEST_FILE_BYTES = 16_000_000


# ---- what a loaded test file holds ----------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """One thing a case expects, with where it is written."""

    kind: str  # status | verdict | maturity | explanation
    target: str  # a requirement id, `verdict`, a pillar id or `overall`
    expected: str  # a status or verdict word, a level, or a text fragment
    span: Span

    def describe(self) -> str:
        match self.kind:
            case "status":
                return f"{self.target} is {self.expected}"
            case "verdict":
                return f"verdict is {self.expected}"
            case "maturity":
                return f"maturity of {self.target} is {self.expected}"
        return f"explanation of {self.target} contains {json.dumps(self.expected)}"


@dataclass
class Case:
    name: str
    span: Span  # the case's `name:`
    as_of: dt.date
    facts: FactsDocument
    changes: list[Change]
    expectations: list[Expectation]

    @property
    def needs_explanations(self) -> bool:
        return any(e.kind == "explanation" for e in self.expectations)


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


# ---- YAML with positions --------------------------------------------------------------------


# ---- the schema -----------------------------------------------------------------------------


def schema_of_tests() -> dict[str, Any]:
    """The JSON Schema (2020-12) of test files, shipped as engine/tests-schema.json."""
    text = resources.files(__package__).joinpath("tests-schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _validator() -> jsonschema.protocols.Validator:
    schema = schema_of_tests()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_diagnostics(doc: YamlDoc) -> list[tuple[YamlPath, Diagnostic]]:
    """Every place the document breaks tests-schema.json: where, and a located diagnostic."""
    errors = _validator().iter_errors(doc.data)
    return [
        (tuple(e.absolute_path), _schema_diagnostic(doc, e)) for e in sorted(errors, key=by_path)
    ]


_KEY_WORDS = {
    (): ("description", "standard", "policy", "facts", "as_of", "cases"),
    ("case",): ("name", "description", "as_of", "set", "unset", "expect"),
    ("expect",): ("verdict", "maturity", "explanation_contains"),
    ("policy",): ("title", "target", "set", "exclude", "waive"),
}
_TYPE_WORDS = {
    "string": "a text",
    "object": "a mapping",
    "array": "a list",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def _schema_diagnostic(doc: YamlDoc, err: jsonschema.ValidationError) -> Diagnostic:
    path: YamlPath = tuple(err.absolute_path)
    where = _where(path)
    if "propertyNames" in err.schema_path:
        return _bad_key(doc, err, path)
    match err.validator:
        case "additionalProperties":
            extra = _extra_keys(err)[0]
            return Diagnostic(
                "aicxs_test_unknown_key",
                f"{where} has no key `{extra}`",
                doc.key_span((*path, extra)),
                _key_help(path, extra),
            )
        case "required":
            missing = str(err.message).split("'")[1]
            return Diagnostic(
                "aicxs_test_missing_key",
                f"{where} needs `{missing}`",
                doc.value_span(path),
                _REQUIRED_HELP.get(missing, f"add `{missing}:`"),
            )
        case "enum":
            allowed = [str(v) for v in err.validator_value]  # type: ignore[union-attr]
            word = "status" if set(allowed) == set(STATUSES) else "value"
            hint = did_you_mean(str(err.instance), allowed)
            return Diagnostic(
                "aicxs_test_unknown_status" if word == "status" else "aicxs_test_bad_value",
                f"`{err.instance}` is not a {word} ({where})",
                doc.value_span(path),
                (hint + " " if hint else "") + f"use one of: {', '.join(allowed)}",
            )
        case "type":
            want = err.validator_value
            wants = [want] if isinstance(want, str) else list(want)  # type: ignore[arg-type]
            words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wants)
            return Diagnostic(
                "aicxs_test_type",
                f"{where} should be {words}, not {_describe(err.instance)}",
                doc.value_span(path),
                f"write {words}",
            )
        case "format":
            return Diagnostic(
                "aicxs_test_bad_value",
                f"{where} is {_describe(err.instance)}, which is not a date",
                doc.value_span(path),
                "write dates as YYYY-MM-DD",
            )
        case "minItems" | "minProperties" | "minLength":
            return Diagnostic(
                "aicxs_test_bad_value",
                f"{where} is empty",
                doc.value_span(path),
                "give at least one entry, or remove the key",
            )
        case "minimum":
            return Diagnostic(
                "aicxs_test_bad_value",
                f"{where} is {err.instance}, below {err.validator_value}",
                doc.value_span(path),
                "levels and targets count from 0",
            )
    return Diagnostic(
        "aicxs_test_bad_value",
        f"{where}: {err.message}",
        doc.value_span(path),
        "see engine/tests-schema.json for the format of test files",
    )


_REQUIRED_HELP = {
    "policy": "name the policy under test, relative to this file: `policy: telecom.aicx`",
    "facts": "name the base facts, relative to this file: `facts: telecom.facts.yaml`",
    "as_of": "give the evaluation date of the cases: `as_of: 2026-11-27`",
    "cases": "add `cases:`, a list of cases each with `name:` and `expect:`",
    "name": "give the case a `name:` (it names the case in reports and in `--run`)",
    "expect": "say what the case expects, e.g. `expect: {P4.2: fail, verdict: not_certified}`",
    "target": "give the inline policy a target level: `target: 2`",
}


def _where(path: YamlPath) -> str:
    if not path:
        return "the test file"
    if path[0] == "cases" and len(path) >= 2:
        rest = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in path[2:])
        return f"case {int(path[1]) + 1}" + (f" `{rest[1:]}`" if rest else "")
    shown = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in path)
    return f"`{shown[1:]}`"


def _section(path: YamlPath) -> tuple[str, ...]:
    if not path:
        return ()
    if path[0] == "cases":
        return ("expect",) if path[-1] == "expect" else ("case",)
    return ("policy",) if path == ("policy",) else ("?",)


def _key_help(path: YamlPath, extra: str) -> str:
    known = _KEY_WORDS.get(_section(path), ())
    hint = did_you_mean(extra, known)
    if _section(path) == ("expect",):
        return hint or (
            "expect a status by id (`P4.2: fail`, `KR1: pass`), `verdict`, `maturity` "
            "or `explanation_contains`"
        )
    return hint or (f"the keys here are: {', '.join(known)}" if known else "remove it")


def _extra_keys(err: jsonschema.ValidationError) -> list[str]:
    schema = err.schema if isinstance(err.schema, dict) else {}
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    instance = err.instance if isinstance(err.instance, dict) else {}
    extras = [
        str(k) for k in instance if k not in known and not any(p.search(str(k)) for p in patterns)
    ]
    return extras or ["?"]


def _bad_key(doc: YamlDoc, err: jsonschema.ValidationError, path: YamlPath) -> Diagnostic:
    key = str(err.instance)
    owner = path[-1] if path else ""
    what = {
        "maturity": ("a pillar id such as `P4` or `overall`", "maturity: {P4: 2, overall: 2}"),
        "set": ("a parameter name such as `max_human_wait`", "set: {max_human_wait: 60 seconds}"),
    }.get(str(owner), ("an id such as `P4.2` or `KR1`", "P4.2: fail"))
    return Diagnostic(
        "aicxs_test_bad_value",
        f"`{key}` is not {what[0]} ({_where(path)})",
        doc.key_span((*path, key)),
        f"write it as in `{what[1]}`",
    )


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'the text "{value[:40]}"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"`{value}`"


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
    name = str(path)
    try:
        if path.stat().st_size > MAX_TEST_FILE_BYTES:
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
        text = decode(name, path.read_bytes())
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
    lines: list[tuple[str, YamlPath]] = [
        (f"policy {name} implements {std.id} {std.version} {{", ("policy",))
    ]
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
    r"^(\d+(\.\d+)?|\d+ (second|minute|hour|day|week)s?|\d{4}-\d{2}-\d{2}|true|false)$"
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


def _case(
    doc: YamlDoc,
    i: int,
    raw: dict[str, Any],
    compiled: CompiledPolicy,
    start: Base,
    as_of: dt.date,
) -> Case:
    at: YamlPath = ("cases", i)
    problems: list[Diagnostic] = []
    expectations = list(_expectations(doc, at, raw["expect"], compiled, problems))
    facts, changes = case_facts(doc, at, raw, compiled, start, problems)
    if problems:
        raise DiagnosticError(problems)
    when = dt.date.fromisoformat(raw["as_of"]) if "as_of" in raw else as_of
    return Case(raw["name"], doc.value_span((*at, "name")), when, facts, changes, expectations)


# ---- expectations ---------------------------------------------------------------------------


def _expectations(
    doc: YamlDoc,
    at: YamlPath,
    expect: dict[str, Any],
    compiled: CompiledPolicy,
    problems: list[Diagnostic],
) -> Iterator[Expectation]:
    ids = _requirement_ids(compiled)
    for key, value in expect.items():
        where: YamlPath = (*at, "expect", key)
        if key == "verdict":
            yield Expectation("verdict", "verdict", str(value), doc.value_span(where))
        elif key == "maturity":
            yield from _maturity(doc, where, value, compiled, problems)
        elif key == "explanation_contains":
            for target, fragments in value.items():
                spot: YamlPath = (*where, target)
                if target != "verdict" and _unknown_id(doc, spot, target, ids, problems):
                    continue
                for n, fragment in enumerate(
                    [fragments] if isinstance(fragments, str) else fragments
                ):
                    span = doc.value_span(spot if isinstance(fragments, str) else (*spot, n))
                    yield Expectation("explanation", target, fragment, span)
        elif not _unknown_id(doc, where, key, ids, problems):
            yield Expectation("status", key, str(value), doc.value_span(where))


def _requirement_ids(compiled: CompiledPolicy) -> list[str]:
    std = compiled.standard
    ids = [c for p in std.pillars.values() for c in p.clauses]
    return ids + list(std.key_requirements) + [r.id for r in compiled.policy.rules]


def _unknown_id(
    doc: YamlDoc, where: YamlPath, ident: str, ids: list[str], problems: list[Diagnostic]
) -> bool:
    if ident in ids:
        return False
    hint = did_you_mean(ident, ids)
    problems.append(
        Diagnostic(
            "aicxs_test_unknown_id",
            f"`{ident}` is not a clause, organisation rule or key requirement of the policy",
            doc.key_span(where),
            hint or f"ids look like `{ids[0]}` or `KR1`; see `aicxs graph` for them all",
        )
    )
    return True


def _maturity(
    doc: YamlDoc,
    where: YamlPath,
    levels: dict[str, int],
    compiled: CompiledPolicy,
    problems: list[Diagnostic],
) -> Iterator[Expectation]:
    pillars = list(compiled.standard.pillars)
    top = max(compiled.standard.levels, default=0)
    std_name = f"{compiled.standard.id} {compiled.standard.version}"
    for pillar, level in levels.items():
        spot: YamlPath = (*where, pillar)
        if pillar != "overall" and pillar not in pillars:
            hint = did_you_mean(pillar, pillars)
            problems.append(
                Diagnostic(
                    "aicxs_test_unknown_id",
                    f"`{pillar}` is not a pillar of {std_name}",
                    doc.key_span(spot),
                    (hint + " " if hint else "") + f"pillars: {', '.join(pillars)}, or `overall`",
                )
            )
        elif level > top:
            problems.append(
                Diagnostic(
                    "aicxs_test_bad_value",
                    f"level {level} does not exist: {std_name} has levels 1 to {top}",
                    doc.value_span(spot),
                    f"expect a level from 0 (none reached) to {top}",
                )
            )
        else:
            yield Expectation("maturity", pillar, str(level), doc.value_span(spot))
