"""Two recorded evaluations → what changed between them, and why.

`compare(a, b)` sets the verdicts, the maturity overall and per pillar, and the inputs (the
standard, policy and facts by their sha256, and the evaluation date) side by side; then every
result (clause, organisation rule, key requirement) whose status differs. Each such flip is
explained by the facts it read (in either record's full explanation) whose values differ
between the two facts documents, by the prerequisites or covered clauses that flipped, and by
the standard, policy or date having changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aicxs.aicxs_dsl.words import count
from aicxs.engine.store import Record, RecordSummary

ABSENT = "absent"  # the status of a result that one record does not have
MISSING = object()  # a fact the facts document does not hold


@dataclass(frozen=True)
class FactChange:
    path: str  # `systems[voice-ivr].escalation.available`
    before: Any  # a JSON value; MISSING when not in the facts
    after: Any


@dataclass(frozen=True)
class Flip:
    id: str
    kind: str
    title: str
    before: str  # a status, or `absent`
    after: str
    facts: tuple[FactChange, ...]
    why: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One thing with a value in each record (a verdict, a level, an input's hash)."""

    name: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return bool(self.before != self.after)


@dataclass(frozen=True)
class Comparison:
    a: RecordSummary
    b: RecordSummary
    verdict: Change
    overall: Change
    pillars: tuple[Change, ...]  # name: `P4 Human-AI Collaboration`
    inputs: tuple[Change, ...]  # standard, policy, facts (sha256), as_of
    flips: tuple[Flip, ...]
    reasons: tuple[str, ...]  # the later record's verdict reasons
    facts: tuple[FactChange, ...] = ()  # every fact whose value differs, read or not


def compare(a: Record, b: Record) -> Comparison:
    sa, sb = a.summary, b.summary
    inputs = (
        Change("standard", _ident(sa, "standard"), _ident(sb, "standard")),
        Change("policy", _ident(sa, "policy"), _ident(sb, "policy")),
        Change("facts", f"sha256:{sa.facts_sha256[:12]}", f"sha256:{sb.facts_sha256[:12]}"),
        Change("as_of", sa.as_of, sb.as_of),
    )
    before, after = _results(a.report), _results(b.report)
    flipped = {
        i
        for i in (*before, *(k for k in after if k not in before))
        if _status(before, i) != _status(after, i)
    }
    flips = tuple(_flip(i, a, b, before, after, flipped, inputs) for i in _ordered(a, b, flipped))
    return Comparison(
        sa,
        sb,
        Change("verdict", sa.verdict, sb.verdict),
        Change("overall level", sa.overall_level, sb.overall_level),
        _pillars(sa, sb),
        inputs,
        flips,
        tuple(b.report.get("reasons", ())),
        facts_changed(a.facts, b.facts),
    )


def facts_changed(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[FactChange, ...]:
    """Every fact whose value differs between two facts documents (a value the facts lack or
    leave empty is MISSING), by display path, in path order."""
    before, after = _flat(a), _flat(b)
    return tuple(
        FactChange(p, x, y)
        for p in sorted({*before, *after})
        if (x := before.get(p, MISSING)) != (y := after.get(p, MISSING))
    )


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and data and all(isinstance(i, Mapping) for i in data):
        for index, item in enumerate(data):
            name = item.get("id", index)
            out.update(_flat(item, f"{prefix}[{name}]"))
    elif data is not None:
        out[prefix] = data
    return out


def _ident(s: RecordSummary, what: str) -> str:
    if what == "standard":
        return f"{s.standard_id} {s.standard_version} sha256:{s.standard_sha256[:12]}"
    return f"{s.policy_id} sha256:{s.policy_sha256[:12]}"


def _pillars(a: RecordSummary, b: RecordSummary) -> tuple[Change, ...]:
    levels_a = {p: (t, n) for p, t, n in a.maturity}
    levels_b = {p: (t, n) for p, t, n in b.maturity}
    names = [*levels_a, *(p for p in levels_b if p not in levels_a)]
    return tuple(
        Change(
            f"{p} {(levels_b.get(p) or levels_a[p])[0]}",
            levels_a[p][1] if p in levels_a else None,
            levels_b[p][1] if p in levels_b else None,
        )
        for p in names
    )


# ---- results --------------------------------------------------------------------------------


def _results(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every result by id: clauses, their organisation rules, key requirements."""
    out: dict[str, Mapping[str, Any]] = {}
    for r in report.get("results", ()):
        out[r["id"]] = r
        for sub in r.get("rules", ()):
            out[sub["id"]] = sub
    return out


def _status(results: Mapping[str, Mapping[str, Any]], ident: str) -> str:
    found = results.get(ident)
    return str(found["status"]) if found is not None else ABSENT


def _ordered(a: Record, b: Record, flipped: set[str]) -> list[str]:
    """In the later record's order (clauses by pillar, rules after their clause, key
    requirements last), then what only the earlier one had."""
    order = [*_results(b.report), *_results(a.report)]
    return sorted(flipped, key=order.index)


def _flip(
    ident: str,
    a: Record,
    b: Record,
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    flipped: set[str],
    inputs: tuple[Change, ...],
) -> Flip:
    ra, rb = before.get(ident), after.get(ident)
    either = rb or ra
    assert either is not None
    paths = sorted({*_reads(ra), *_reads(rb)})
    facts = tuple(
        FactChange(p, x, y)
        for p in paths
        if (x := value_at(a.facts, p)) != (y := value_at(b.facts, p))
    )
    why: list[str] = []
    if facts:
        n = len(facts)
        why.append(f"{count(n, 'fact')} it reads changed")
    linked = [c for c in (*_links(ra), *_links(rb)) if c in flipped and c != ident]
    for c in dict.fromkeys(linked):
        word = "covers" if either.get("kind") == "key_requirement" else "depends on"
        why.append(f"it {word} {c}, which went from {_status(before, c)} to {_status(after, c)}")
    if ra is None or rb is None:
        held = "the later" if ra is None else "the earlier"
        why.append(f"only {held} record has it: the standard or the policy changed")
    also = " also" if why else ""
    dated = _reads_the_date(ra) or _reads_the_date(rb)
    for change in inputs:
        if change.changed and change.name in ("standard", "policy"):
            why.append(f"the {change.name}{also} changed ({change.before} → {change.after})")
        elif change.changed and change.name == "as_of" and dated:
            why.append(
                f"the evaluation date{also} changed ({change.before} → {change.after}), and "
                "its check measures time up to it"
            )
    if not why:
        why.append("no input it reads changed")
    return Flip(
        ident,
        str(either.get("kind", "")),
        str(either.get("title", "")),
        _status(before, ident),
        _status(after, ident),
        facts,
        tuple(why),
    )


def _links(result: Mapping[str, Any] | None) -> list[str]:
    if result is None:
        return []
    return [*result.get("blocked_by", ()), *(c["id"] for c in result.get("covers", ()))]


DATE_FUNCTIONS = (
    "age(",
    "days_since(",
    "today(",
)  # the checks' functions that read the evaluation date


def _reads_the_date(result: Mapping[str, Any] | None) -> bool:
    """Whether the result's explanation shows a function of the evaluation date."""
    return any(f in _text(result) for f in DATE_FUNCTIONS)


def _text(result: Mapping[str, Any] | None) -> str:
    exprs: list[str] = []
    stack: list[Any] = [result.get("explanation") if result else None]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            exprs.append(str(node.get("expr", "")))
            stack.extend(node.get("conditions", ()))
            for item in node.get("items", ()):
                stack.extend(item.get(part) for part in ("where", "check"))
    return "\n".join(exprs)


def _reads(result: Mapping[str, Any] | None) -> Iterator[str]:
    """The display paths of every fact a result's explanation read (or found missing)."""
    if result is None:
        return
    yield from result.get("missing_facts", ())
    stack: list[Any] = [result.get("explanation")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for fact in node.get("facts", ()):
                yield str(fact["path"])
            yield from node.get("missing_facts", ())
            stack.extend(node.get("conditions", ()))
            for item in node.get("items", ()):
                stack.extend(item.get(part) for part in ("where", "check"))


# ---- facts by display path ------------------------------------------------------------------


def value_at(data: Mapping[str, Any], path: str) -> Any:
    """The value at `systems[voice-ivr].escalation.available` (an item by its `id`, or by its
    position when it has none), or MISSING."""
    node: Any = data
    for name, item in _steps(path):
        if not isinstance(node, Mapping) or name not in node:
            return MISSING
        node = node[name]
        if item is not None:
            node = _item(node, item)
        if node is MISSING:
            return MISSING
    return MISSING if node is None else node


def _item(items: Any, name: str) -> Any:
    if not isinstance(items, list):
        return MISSING
    for entry in items:
        if isinstance(entry, Mapping) and str(entry.get("id")) == name:
            return entry
    if name.isdigit() and int(name) < len(items):
        return items[int(name)]
    return MISSING


def _steps(path: str) -> Iterator[tuple[str, str | None]]:
    """`a.b[x.y].c` → (a, None), (b, x.y), (c, None); one pass, no backtracking."""
    i, n = 0, len(path)
    while i < n:
        j = i
        while j < n and path[j] not in ".[":
            j += 1
        name, item = path[i:j], None
        if j < n and path[j] == "[":
            close = path.find("]", j)
            close = n if close < 0 else close
            item, j = path[j + 1 : close], close + 1
        yield name, item
        i = j + 1 if j < n and path[j] == "." else j
