"""A case's changes to the base facts (`set:` and `unset:` by fact path) → the case's facts.

Fact paths are written as the explanations show them: `systems[voice-ivr].disclosure.at_first_turn`,
items of a list named by their key. Each path is checked against the facts vocabulary (with
"did you mean"), applied to a copy of the base facts (setting `systems[new-id]` to a mapping adds
an item; `unset` removes a fact or an item), and the parts it changed are validated against the
facts schema, each mistake located at its line in the test file. The resulting `CaseFacts` find
the facts a case set in the test file and the others in the base facts file.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema

from aicxs.aicxs_dsl.diagnostics import Diagnostic, did_you_mean
from aicxs.aicxs_dsl.source import Span
from aicxs.aicxs_dsl.words import with_article
from aicxs.engine.facts import FactsDocument, display_path
from aicxs.engine.facts.convert import _typed
from aicxs.engine.facts.validation import _explain_schema_error
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.types import Type, key_field
from aicxs.engine.yamldoc import YamlDoc, YamlPath, yaml_path


@dataclass(frozen=True)
class Change:
    """One fact a case sets or removes, as written (for the failure report)."""

    verb: str  # set | unset
    path: str
    value: Any
    span: Span

    def describe(self) -> str:
        if self.verb == "unset":
            return f"unset {self.path}"
        return f"set {self.path}: {json.dumps(self.value, ensure_ascii=False)}"


@dataclass
class Base:
    """What every case of a file starts from: the base facts, typed and as plain data."""

    facts: FactsDocument
    plain: dict[str, Any]
    validators: UnitValidators


def case_facts(
    doc: YamlDoc,
    at: YamlPath,
    raw: dict[str, Any],
    compiled: CompiledPolicy,
    start: Base,
    problems: list[Diagnostic],
) -> tuple[FactsDocument, list[Change]]:
    """The facts of the case `raw` (at `at` in the test file): the base facts with its
    changes, and the changes as written. Mistakes are added to `problems`."""
    base = start.facts
    if not raw.get("set") and not raw.get("unset"):
        return base, []
    found = len(problems)
    plain = copy.deepcopy(start.plain)
    changes: list[Change] = []
    changed: dict[str, tuple[str, YamlPath]] = {}
    removed: list[str] = []
    # Removals first, so `unset` a record and `set` some of its facts replaces the record.
    for n, path_text in enumerate(raw.get("unset") or []):
        where: YamlPath = (*at, "unset", n)
        change = Change("unset", path_text, None, doc.value_span(where))
        json_path = _apply(change, compiled.vocabulary, plain, problems)
        if json_path is not None:
            changes.append(change)
            removed.append(json_path)
    for path_text, value in (raw.get("set") or {}).items():
        where = (*at, "set", path_text)
        change = Change("set", path_text, value, doc.key_span(where))
        json_path = _apply(change, compiled.vocabulary, plain, problems)
        if json_path is not None:
            changes.append(change)
            changed[json_path] = (f"{doc.source.path}:{change.span.line}", where)
    if len(problems) > found:
        return base, changes
    errors = start.validators.errors(plain, [*removed, *changed])
    for err in errors[:50]:
        problems.append(_override_diagnostic(doc, err, plain, changed, at))
    if errors:
        return base, changes
    data = _typed(plain, compiled.vocabulary)
    locations = {p: w for p, (w, _) in changed.items()}
    return CaseFacts(base, data, locations, _renumbered(base.data, data, compiled)), changes


def _apply(
    change: Change,
    vocabulary: Type,
    plain: dict[str, Any],
    problems: list[Diagnostic],
) -> str | None:
    """Apply one change to the plain facts; the JSON path it changed, or None on a mistake."""
    segments = parse_fact_path(change.path)
    if segments is None:
        problems.append(
            Diagnostic(
                "aicxs_test_fact_path",
                f"`{change.path}` is not a fact path",
                change.span,
                "write fact paths as in `systems[voice-ivr].disclosure.at_first_turn` or "
                "`organisation.training.staff_trained_share`",
            )
        )
        return None
    if change.verb == "set" and change.value is None:
        problems.append(
            Diagnostic(
                "aicxs_test_fact_value",
                f"`{change.path}` is set to nothing",
                change.span,
                "to make a fact missing, list its path under `unset:`",
            )
        )
        return None
    try:
        value = plain_facts(change.value)
        target = _resolve(plain, vocabulary, segments, change.verb == "set", value)
    except _PathError as err:
        problems.append(Diagnostic("aicxs_test_fact_path", err.message, change.span, err.help))
        return None
    if target is None:  # unset of something absent: already missing
        return "$"
    if change.verb == "unset":
        container = target.container
        if isinstance(container, list):
            container.pop(int(target.key))
        else:
            container.pop(str(target.key), None)
        return target.json_path
    if isinstance(target.container, list) and isinstance(value, dict):
        key = key_field(target.type) or "id"
        if str(value.get(key, target.container[int(target.key)][key])) != str(
            target.container[int(target.key)][key]
        ):
            problems.append(
                Diagnostic(
                    "aicxs_test_fact_value",
                    f"`{change.path}` is given `{key}: {value[key]}`, another item's key",
                    change.span,
                    f"drop `{key}` from the mapping: the path names the item",
                )
            )
            return None
        value = {key: target.container[int(target.key)][key], **value}
    if isinstance(target.container, list):
        target.container[int(target.key)] = value
    else:
        target.container[str(target.key)] = value
    return target.json_path


_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\[\]]+)\])?")


def parse_fact_path(text: str) -> list[tuple[str, str | None]] | None:
    """`systems[voice-ivr].disclosure.at_first_turn` → [(systems, voice-ivr), (disclosure,
    None), (at_first_turn, None)]; None if it is not written as a fact path."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        m = _SEGMENT.match(text, pos)
        if m is None:
            return None
        out.append((m.group(1), m.group(2)))
        pos = m.end()
        if pos == len(text):
            return out
        if text[pos] != ".":
            return None
        pos += 1


class _PathError(Exception):
    def __init__(self, message: str, help: str) -> None:
        self.message, self.help = message, help


@dataclass
class _Target:
    """Where a fact path leads in the plain facts: the container and the key or index in it."""

    container: dict[str, Any] | list[Any]
    key: str | int
    json_path: str
    type: Type


def _resolve(
    plain: dict[str, Any],
    vocabulary: Type,
    segments: list[tuple[str, str | None]],
    creating: bool,
    value: Any = None,
) -> _Target | None:
    """Follow a fact path through the vocabulary and the facts. With `creating`, missing
    records on the way are made (and `systems[new]` set to a mapping adds an item); without,
    None when a part is absent."""
    record: Type = vocabulary
    current: Any = plain
    shown, json_path = "", "$"
    for n, (name, item) in enumerate(segments):
        last = n == len(segments) - 1
        fld = record.fields.get(name)
        if fld is None:
            where = f"`{shown}`" if shown else "the facts"
            hint = did_you_mean(name, record.fields)
            fields = ", ".join(sorted(record.fields)[:12])
            raise _PathError(f"{where} has no fact `{name}`", hint or f"facts here: {fields}")
        shown = f"{shown}.{name}" if shown else name
        json_path = f"{json_path}.{name}"
        if item is None and last:
            return _Target(current, name, json_path, fld.type)
        if item is None and fld.type.kind != "record":
            raise _PathError(
                f"`{shown}` is {_kind_words(fld.type)}: it has no facts inside",
                f"name an item, as in `{shown}[<id>]`"
                if fld.type.kind == "list"
                else f"end the path at `{shown}`",
            )
        if item is not None and (fld.type.kind != "list" or fld.type.item is None):
            raise _PathError(
                f"`{shown}` is {_kind_words(fld.type)}, not a list of items: `[{item}]` names "
                "nothing",
                f"write `{shown}` without `[{item}]`",
            )
        if not isinstance(current.get(name), list if item is not None else dict):
            if not creating:
                return None
            current[name] = [] if item is not None else {}
        current = current[name]
        if item is None:
            record = fld.type
            continue
        assert fld.type.item is not None
        record = fld.type.item
        key = key_field(record) or "id"
        index = next(
            (i for i, x in enumerate(current) if isinstance(x, dict) and str(x.get(key)) == item),
            None,
        )
        if index is None and creating and last and isinstance(value, dict):
            current.append({key: item})
            index = len(current) - 1
        if index is None:
            names = [str(x.get(key)) for x in current if isinstance(x, dict)]
            hint = did_you_mean(item, names)
            raise _PathError(
                f"no item `{item}` in `{shown}`"
                + (f" (items: {', '.join(names[:8])})" if names else ""),
                (hint + " " if hint else "")
                + f"to add an item, set `{shown}[{item}]` to a mapping of its facts",
            )
        shown, json_path = f"{shown}[{item}]", f"{json_path}[{index}]"
        if last:
            return _Target(current, index, json_path, record)
        current = current[index]
    raise AssertionError("a fact path has at least one part")


def _kind_words(t: Type) -> str:
    if t.kind == "list":
        return "a list" if t.item is None or t.item.kind == "record" else t.describe()
    return with_article(t.kind)


class UnitValidators:
    """Validates only the parts of the facts a case changed: each changed item of a list
    (`systems[2]`) or top-level record (`organisation`) against its part of the facts schema,
    which is as strict as validating the whole document and far quicker."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.schema = compiled.schema
        self.cls = jsonschema.validators.validator_for(self.schema)
        self._by_unit: dict[str, jsonschema.protocols.Validator] = {}

    def _validator(self, top: str, item: bool) -> jsonschema.protocols.Validator | None:
        unit = f"{top}[]" if item else top
        if unit not in self._by_unit:
            sub = self.schema.get("properties", {}).get(top)
            if sub is not None and item:
                sub = sub.get("items")
            if sub is None:
                return None
            self._by_unit[unit] = self.cls(sub, format_checker=self.cls.FORMAT_CHECKER)
        return self._by_unit[unit]

    def errors(self, plain: dict[str, Any], changed: list[str]) -> list[Any]:
        found: list[jsonschema.ValidationError] = []
        done: set[tuple[str, int | None]] = set()
        for json_path in changed:
            m = re.match(r"^\$\.([^.\[]+)(?:\[(\d+)\])?", json_path)
            if m is None:
                continue
            top, index = m.group(1), int(m.group(2)) if m.group(2) else None
            if (top, index) in done:
                continue
            done.add((top, index))
            value = plain.get(top)
            if index is not None and isinstance(value, list) and index < len(value):
                validator, value, prefix = self._validator(top, True), value[index], [top, index]
            else:
                validator, prefix = self._validator(top, False), [top]
            for err in validator.iter_errors(value) if validator is not None else ():
                err.path.extendleft(reversed(prefix))
                found.append(err)
        return sorted(found, key=by_path)


def by_path(err: jsonschema.ValidationError) -> tuple[str, ...]:
    """Schema errors in the order of the facts they are about."""
    return tuple(str(p) for p in err.absolute_path)


def _override_diagnostic(
    doc: YamlDoc,
    err: jsonschema.ValidationError,
    plain: Any,
    changed: dict[str, tuple[str, YamlPath]],
    at: YamlPath,
) -> Diagnostic:
    shown = display_path(err.absolute_path, plain)
    message, help = _explain_schema_error(err, shown)
    json_path = "$" + "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path
    )
    for prefix, (_, where) in sorted(changed.items(), key=lambda kv: -len(kv[0])):
        if _under(json_path, prefix) or _under(prefix, json_path):
            inner = yaml_path(json_path[len(prefix) :]) if _under(json_path, prefix) else ()
            span = doc.value_span((*where, *inner))
            return Diagnostic("aicxs_test_fact_value", message, span, help)
    return Diagnostic(
        "aicxs_test_fact_value",
        f"{message} (in the base facts changed by this case)",
        doc.value_span((*at, "set")),
        help,
    )


def plain_facts(value: Any) -> Any:
    """JSON-like values as a facts file gives them: empty values are absent facts."""
    if isinstance(value, dict):
        return {k: plain_facts(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain_facts(v) for v in value]
    return value


class CaseFacts(FactsDocument):
    """The base facts with a case's changes: facts the case set are located in the test file,
    the others in the base facts file (list items matched by their key)."""

    def __init__(
        self,
        base: FactsDocument,
        data: dict[str, Any],
        changed: dict[str, str],
        renumbered: dict[str, str | None],
    ) -> None:
        super().__init__(base.path, data, base.text, base.evidence)
        self._base = base
        self._changed = changed  # JSON path of a set fact → `test file:line`
        self._renumbered = renumbered  # `$.systems[3]` → its JSON path in the base, or None

    def _changed_at(self, json_path: str) -> str | None:
        for prefix, where in self._changed.items():
            if _under(json_path, prefix):
                return where
        return None

    def _in_base(self, json_path: str) -> str | None:
        for prefix, old in self._renumbered.items():
            if _under(json_path, prefix):
                return None if old is None else old + json_path[len(prefix) :]
        return json_path

    def position(self, json_path: str) -> tuple[int, int] | None:
        if self._changed_at(json_path) is not None:
            return None
        old = self._in_base(json_path)
        return self._base.position(old) if old is not None else None

    def location(self, json_path: str) -> str | None:
        where = self._changed_at(json_path)
        if where is not None:
            return where
        old = self._in_base(json_path)
        return self._base.location(old) if old is not None else None


def _under(json_path: str, prefix: str) -> bool:
    return json_path == prefix or json_path.startswith((prefix + ".", prefix + "["))


def _renumbered(
    before: dict[str, Any], after: dict[str, Any], compiled: CompiledPolicy
) -> dict[str, str | None]:
    """For each list of items whose items were added or removed: each item's JSON path in the
    case → its JSON path in the base facts (None for an item the case added)."""
    out: dict[str, str | None] = {}
    for json_path, old, new, record in _lists(before, after, compiled.vocabulary, "$"):
        key = key_field(record) or "id"
        old_index = {str(x.get(key)): i for i, x in enumerate(old) if isinstance(x, dict)}
        names = [str(x.get(key)) if isinstance(x, dict) else "" for x in new]
        if names == list(old_index):
            continue
        for i, name in enumerate(names):
            j = old_index.get(name)
            out[f"{json_path}[{i}]"] = None if j is None else f"{json_path}[{j}]"
    return out


def _lists(
    before: Any, after: Any, record: Type, json_path: str
) -> Iterator[tuple[str, list[Any], list[Any], Type]]:
    if not isinstance(after, dict):
        return
    for name, fld in record.fields.items():
        old, new = (before or {}).get(name), after.get(name)
        if fld.type.kind == "record":
            yield from _lists(old, new, fld.type, f"{json_path}.{name}")
        elif fld.type.kind == "list" and fld.type.item is not None and isinstance(new, list):
            if fld.type.item.kind != "record":
                continue
            yield f"{json_path}.{name}", list(old or []), new, fld.type.item
