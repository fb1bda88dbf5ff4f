"""Answers to the questionnaire: typed text → fact values, and answers read from a file.

`parse_answer(text, type, bounds)` turns what a person typed into a fact value (or says why it
cannot, so the question is asked again); "skip" or nothing leaves the fact unknown.
`AnswerFile` reads a YAML mapping of fact path → answer (`systems[web-chat].risk: high`) for a
non-interactive `aicxs assess --answers FILE`, and answers each step from it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, closest, sort_diagnostics
from aicxs.aicxs_dsl.limits import max_facts_bytes
from aicxs.aicxs_dsl.parser import decode
from aicxs.aicxs_dsl.reading import read_limited
from aicxs.aicxs_dsl.source import Source, span_at
from aicxs.engine.types import DURATION_UNITS, UNIT_SECONDS, Duration, Type

SKIP_WORDS = ("", "skip")
YES = ("y", "yes", "true")
NO = ("n", "no", "false")
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_DURATION = re.compile(r"(\d{1,9})\s*([a-z]+)")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Bounds:
    """Inclusive or exclusive limits of a number, as a facts schema gives them."""

    low: float | None = None
    high: float | None = None
    low_exclusive: bool = False
    high_exclusive: bool = False

    def admits(self, value: float) -> bool:
        if self.low is not None and (
            value < self.low or (self.low_exclusive and value == self.low)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (self.high_exclusive and value == self.high))
        )

    def describe(self) -> str:
        """`from 0 to 1`, `above 0`, `up to 100`."""
        low = high = ""
        if self.low is not None:
            low = f"{'above' if self.low_exclusive else 'from'} {self.low:g}"
        if self.high is not None:
            word = "below" if self.high_exclusive else "to" if low else "up to"
            high = f"{word} {self.high:g}"
        return " ".join(p for p in (low, high) if p)


@dataclass(frozen=True)
class Parsed:
    value: Any  # the fact value; None when skipped (the fact stays unknown)
    error: str = ""  # why the text is not an answer (then ask again)


def is_skip(text: str) -> bool:
    return text.strip().lower() in SKIP_WORDS


def parse_yes_no(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in YES else False if word in NO else None


def hint(t: Type, bounds: Bounds | None = None) -> str:
    """What to type, for the prompt: `yes/no, or skip`."""
    match t.kind:
        case "bool":
            what = "yes/no"
        case "int" | "number":
            noun = "a whole number" if t.kind == "int" else "a number"
            what = f"{noun} {bounds.describe()}" if bounds else noun
        case "date":
            what = "YYYY-MM-DD"
        case "duration":
            what = "e.g. 90 days"
        case "enum":
            what = "a choice or its number"
        case "list":
            what = "comma-separated"
        case _:
            what = "text"
    return f"{what}, or skip"


def parse_answer(
    text: str, t: Type, bounds: Bounds | None = None, latest: dt.date | None = None
) -> Parsed:
    """The value of `text` as a fact of type `t`, or why it is not one. A date is when something
    was done, so it may not be later than `latest` (the evaluation date)."""
    if is_skip(text):
        return Parsed(None)
    raw = text.strip()
    match t.kind:
        case "bool":
            yes = parse_yes_no(raw)
            if yes is None:
                return Parsed(None, f"`{raw}` is not yes or no: answer yes or no, or skip")
            return Parsed(yes)
        case "int" | "number":
            return _number(raw, t.kind == "int", bounds)
        case "date":
            return _date(raw, latest)
        case "duration":
            return _duration(raw)
        case "enum":
            return _choice(raw, t.values)
        case "list":
            return _list(raw, t.item or Type("string"))
    return Parsed(raw)


def _number(raw: str, whole: bool, bounds: Bounds | None) -> Parsed:
    pattern = r"[+-]?\d{1,15}" if whole else _NUMBER.pattern
    if not re.fullmatch(pattern, raw):
        noun = "a whole number" if whole else "a number"
        return Parsed(
            None, f"`{raw}` is not {noun}: write digits, e.g. {'12' if whole else '0.85'}"
        )
    value: float = int(raw) if whole else float(raw)
    if not math.isfinite(value):
        return Parsed(None, f"`{raw}` is too large")
    if bounds is not None and not bounds.admits(value):
        return Parsed(None, f"`{raw}` is out of range: give a number {bounds.describe()}")
    return Parsed(value)


def _date(raw: str, latest: dt.date | None) -> Parsed:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = dt.date.fromisoformat(raw)
            if latest is not None and day > latest:
                return Parsed(
                    None,
                    f"`{raw}` is after the evaluation date {latest.isoformat()}: give the date "
                    "it was done",
                )
            return Parsed(day)
    except ValueError:
        return Parsed(None, f"`{raw}` is not a date of the calendar: check the month and day")
    return Parsed(None, f"`{raw}` is not a date: write YYYY-MM-DD, e.g. 2026-03-31")


def _duration(raw: str) -> Parsed:
    match = _DURATION.fullmatch(raw.lower())
    unit = match.group(2).removesuffix("s") if match else ""
    if match is None or unit not in UNIT_SECONDS:
        return Parsed(
            None,
            f"`{raw}` is not a duration: write a number and a unit, e.g. 90 days or 120 "
            f"seconds (units: {DURATION_UNITS})",
        )
    return Parsed(Duration.of(int(match.group(1)), unit))


def _choice(raw: str, choices: tuple[str, ...]) -> Parsed:
    word = raw.lower()
    if word.isdigit() and 1 <= int(word) <= len(choices):
        return Parsed(choices[int(word) - 1])
    if word in choices:
        return Parsed(word)
    near = closest(word, choices)
    guess = f"did you mean `{near}`? " if near else ""
    return Parsed(None, f"`{raw}` is not a choice: {guess}choose one of: {', '.join(choices)}")


def _list(raw: str, item: Type) -> Parsed:
    values = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        got = parse_answer(part, item)
        if got.error:
            return Parsed(None, f"in the list: {got.error}")
        values.append(got.value)
    return Parsed(values)


def answer_text(value: Any) -> str:
    """A value from an answers file as the text a person would type."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(answer_text(v) for v in value)
    return str(value)


# ---- answers from a file --------------------------------------------------------------------

_ITEM_PATH = re.compile(r"([a-z_][a-z0-9_]*)\[([^\]]+)\](?:\.(.+))?")


@dataclass
class AnswerFile:
    """Answers by fact path; list items (`systems[ID]...`) are added in the order they appear."""

    path: str
    source: Source
    answers: dict[str, Any]
    where: dict[str, tuple[int, int]]  # fact path → line, column of its value
    items: dict[str, list[str]] = field(default_factory=dict)  # list name → item ids
    used: set[str] = field(default_factory=set)
    problems: list[Diagnostic] = field(default_factory=list)  # answers refused while asked

    def next_item(self, list_name: str, present: list[str]) -> str | None:
        """The next item of the file not yet in the facts, if any."""
        return next((i for i in self.items.get(list_name, []) if i not in present), None)

    def answer(self, shown: str) -> str:
        if shown in self.answers:
            self.used.add(shown)
        return answer_text(self.answers.get(shown))

    def reject(self, shown: str, message: str) -> None:
        """An answer the questionnaire refused: kept, to be reported with every other."""
        self.problems.append(_invalid(self.source, shown, message, self.where.get(shown, (1, 1))))

    def raise_problems(self) -> None:
        if self.problems:
            raise DiagnosticError(sort_diagnostics(self.problems))

    def unused(self) -> list[str]:
        return [k for k in self.answers if k not in self.used and not _bare_item(k)]


def _bare_item(key: str) -> bool:
    """`systems[web-chat]` alone: it only adds the item."""
    found = _ITEM_PATH.fullmatch(key)
    return found is not None and found.group(3) is None


def load_answers(
    path: str,
    fact_paths: set[tuple[str, ...]],
    keys: dict[str, str],
    types: dict[tuple[str, ...], tuple[Type, Bounds | None]] | None = None,
) -> AnswerFile:
    """Read and check an answers file: every key must name a fact of the vocabulary (`keys`
    maps each list of records to its key field, e.g. `systems` → `id`) and, given the facts'
    `types`, every answer must be one its fact can take. Every problem is reported at once."""
    try:
        data = read_limited(path, max_facts_bytes(), path)
        if data is None:
            raise DiagnosticError(
                [
                    Diagnostic(
                        "aicxs_limit_file_size",
                        f"answers file is larger than {max_facts_bytes():,} bytes",
                        None,
                        "give the answers of one organisation; the limit is set by the "
                        "environment variable `AICXS_MAX_FACTS_BYTES`",
                        path=path,
                    )
                ]
            )
        text = decode(path, data)
    except OSError as err:
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_file_error",
                    f"cannot read `{path}`: {(err.strerror or str(err)).lower()}",
                    None,
                    "check the path given to `--answers`",
                    path=path,
                )
            ]
        ) from None
    source = Source(path, text)
    nodes = _mapping_nodes(text, source)
    answers: dict[str, Any] = {}
    where: dict[str, tuple[int, int]] = {}
    found = AnswerFile(path, source, answers, where)
    problems = []
    for key_node, value_node in nodes:
        key = str(key_node.value)
        at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        problem = _check_key(key, key in answers, fact_paths, keys, source, at)
        if problem is not None:
            problems.append(problem)
            continue
        answers[key] = yaml.safe_load(yaml.serialize(value_node))
        where[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        if types is not None and (wrong := _wrong_answer(key, answers[key], types)):
            problems.append(_invalid(source, key, wrong, where[key]))
        if item := _ITEM_PATH.fullmatch(key):
            ids = found.items.setdefault(item.group(1), [])
            if item.group(2) not in ids:
                ids.append(item.group(2))
    if problems:
        raise DiagnosticError(sort_diagnostics(problems))
    return found


def _wrong_answer(
    key: str, value: Any, types: dict[tuple[str, ...], tuple[Type, Bounds | None]]
) -> str:
    """Why the answer cannot be its fact's value ("" when it can, or has no type here)."""
    item = _ITEM_PATH.fullmatch(key)
    path = (item.group(1), *item.group(3).split(".")) if item and item.group(3) else None
    found = types.get(path if item else tuple(key.split(".")))  # type: ignore[arg-type]
    if found is None:
        return ""
    return parse_answer(answer_text(value), *found).error


def _invalid(source: Source, shown: str, message: str, at: tuple[int, int]) -> Diagnostic:
    return Diagnostic(
        "aicxs_answers_invalid",
        f"`{shown}`: {message}",
        span_at(source, *at),
        "correct the answer in the answers file, or remove the line to leave the fact unknown",
    )


def _mapping_nodes(text: str, source: Source) -> list[tuple[Any, Any]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        span = span_at(source, mark.line + 1, mark.column + 1) if mark else None
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_answers_syntax",
                    f"invalid YAML: {getattr(err, 'problem', None) or err}",
                    span,
                    "fix the YAML syntax at this point",
                    path=source.path,
                )
            ]
        ) from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_answers_shape",
                    "an answers file is a mapping of fact path to answer",
                    span_at(source, root.start_mark.line + 1, root.start_mark.column + 1),
                    "write one `fact.path: answer` per line, e.g. "
                    "`organisation.strategy.documented: yes`",
                )
            ]
        )
    return list(root.value)


def _check_key(
    key: str,
    repeated: bool,
    fact_paths: set[tuple[str, ...]],
    keys: dict[str, str],
    source: Source,
    at: tuple[int, int],
) -> Diagnostic | None:
    span = span_at(source, *at, max(1, len(key)))
    if repeated:
        return Diagnostic(
            "aicxs_answers_duplicate", f"`{key}` is answered twice", span, "keep one answer"
        )
    item = _ITEM_PATH.fullmatch(key)
    if item and item.group(1) in keys:
        if not ITEM_ID.fullmatch(item.group(2)):
            return Diagnostic(
                "aicxs_answers_unknown_fact",
                f"`{item.group(2)}` is not an item id",
                span,
                "an id is letters, digits, `-`, `_` or `.`, e.g. `web-chat`",
            )
        rest = item.group(3)
        parts = (item.group(1), *rest.split(".")) if rest else None
        if parts is None or rest == keys[item.group(1)] or parts in fact_paths:
            return None
    elif tuple(key.split(".")) in fact_paths:
        return None
    known = [f"{p[0]}[ID].{'.'.join(p[1:])}" if p[0] in keys else ".".join(p) for p in fact_paths]
    shown = re.sub(r"\[[^\]]*\]", "[ID]", key)
    near = closest(shown, known, max_distance=max(3, len(shown) // 4))
    return Diagnostic(
        "aicxs_answers_unknown_fact",
        f"`{key}` is not a fact of the vocabulary",
        span,
        f"did you mean `{near}`?" if near else "see `aicxs schema` for the facts that exist",
    )
