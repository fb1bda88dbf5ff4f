"""Getting started: a new organisation's policy and facts files, and facts written as YAML text.

`scaffold(org, target, compiled_standard)` gives the text of a policy implementing the bundled
standard (target level, commented tailoring examples) and of a facts template generated from
the facts vocabulary: every fact with its question as a comment and an empty (unknown) value.
`render_facts` writes any facts document in that same layout, so `aicxs assess` can save its
answers in a file a person can read and finish by hand. The template's example system is a
comment, not an entry: `systems` stays unknown until systems are recorded.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.engine.model import Standard
from aicxs.engine.types import Duration, FactField, Type, key_field

WIDTH = 100  # comment lines are wrapped to this many columns
EXAMPLE_SYSTEM = "example-chatbot"
HEADER = """\
# Every fact of the vocabulary is listed with its question. An empty value is unknown, never a
# pass: fill in what you know (`aicxs assess` asks the questions one by one). Dates are
# YYYY-MM-DD; durations are a number and a unit, e.g. 90 days or 120 seconds."""


@dataclass(frozen=True)
class Scaffold:
    slug: str  # file names: `<slug>.aicx`, `<slug>.facts.yaml`
    name: str  # the policy's name in the language (lower snake case)
    policy_text: str
    facts_text: str
    facts_count: int  # the facts listed in the template (one example system counted once)


def slug_of(org: str) -> str:
    """`Zürich Mutual & Co.` → `zurich-mutual-co`; empty when the name has no letter or digit."""
    ascii_text = unicodedata.normalize("NFKD", org).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def scaffold(org: str, target: int, std: Standard, vocabulary: Type, today: dt.date) -> Scaffold:
    """The policy and facts template of a new organisation named `org`."""
    title = " ".join(org.split())
    slug = slug_of(title)
    name = slug.replace("-", "_")
    name = name if name[:1].isalpha() else f"org_{name}"
    policy = _policy_text(title, name, slug, target, std, today)
    facts = render_facts(vocabulary, {}, _facts_title(title, name, std), example=True)
    return Scaffold(slug, name, policy, facts, sum(1 for _ in leaves(vocabulary)))


def _facts_title(title: str, name: str, std: Standard) -> str:
    return f"{title} — facts for the {std.name} assessment (policy {name})."


def _policy_text(
    title: str, name: str, slug: str, target: int, std: Standard, today: dt.date
) -> str:
    level = std.levels[target].name if target in std.levels else ""
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", slug_of(title).upper()))
    rule_id = initials if len(initials) > 1 else slug_of(title).upper().replace("-", "")[:4]
    rule_id = (rule_id if rule_id[:1].isalpha() else "ORG") + "-1"
    expires = today + dt.timedelta(days=182)
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    return _POLICY.format(
        title=title,
        quoted=quoted,
        name=name,
        slug=slug,
        std=std.name,
        std_id=std.id,
        version=std.version_text,
        target=target,
        level=level,
        rule_id=rule_id,
        expires=expires.isoformat(),
        setting=_stricter_setting(std),
    )


def _stricter_setting(std: Standard) -> str:
    """`max_human_wait = 90 seconds`: the first tightenable duration, three quarters of it."""
    for p in std.parameters.values():
        default = p.default
        if p.stricter == "lower" and default is not None and p.type.kind == "duration":
            text = expr_text(default)
            amount, _, unit = text.partition(" ")
            if amount.isdigit() and int(amount) >= 4:
                return f"{p.name} = {int(amount) * 3 // 4} {unit}"
    return "max_human_wait = 90 seconds"


_POLICY = """\
# {title} — {std} policy
#
# Scaffolded by `aicxs init`. The policy implements the standard as it is, with target level
# {target} ({level}); the commented lines below show how to tailor it: uncomment one and adapt it.
# Record the facts in {slug}.facts.yaml (or run `aicxs assess {slug}.aicx
# -o {slug}.facts.yaml`), then:
#   aicxs check {slug}.aicx --facts {slug}.facts.yaml
#   aicxs roadmap {slug}.aicx --facts {slug}.facts.yaml
policy {name} implements {std_id} {version} {{
  title "{quoted}"
  target level {target}

  # Which AI systems count (customer-facing and deciding ones always; here not back office):
  # scope s in systems
  #     where s.customer_facing or s.automated_decisions or s.channel != "back_office"
  #     because "back-office tools neither face nor decide about customers"

  # A stricter parameter (a policy may only tighten the standard's values):
  # set {setting}

  # A clause that does not apply, with the reason (never one of a mandatory key requirement):
  # exclude P6.5 because "We run no A/B tests or other experiments on customers"

  # A waiver: the clause counts as met until it expires (never one of a mandatory key requirement):
  # waive P2.4 {{
  #   justification "Model cards are being written for every system"
  #   approver "Name Surname, Chief Risk Officer"
  #   expires {expires}
  # }}

  # An organisation rule that refines a clause of the standard:
  # rule {rule_id} refines P4.2 "Voice callers reach a human within 60 seconds" {{
  #   owner cx_leader
  #   check all s in systems where s.channel == "voice" and s.customer_facing:
  #           s.escalation.max_wait <= 60 seconds
  # }}

  # A fact of the organisation's own, for its rules to read (record it in the facts file):
  # facts systems {{
  #   region: enum(uk, eu, us) optional "Where are the system's customers?"
  # }}
}}
"""


# ---- the facts vocabulary, leaf by leaf -----------------------------------------------------


def leaves(
    record: Type, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], FactField]]:
    """Every askable fact: `(("organisation", "strategy", "documented"), field)`; the fields of
    a list of records once, under the list's name (`("systems", "risk")`), keys excepted."""
    for name, fld in record.fields.items():
        t = fld.type
        if t.kind == "record":
            yield from leaves(t, (*prefix, name))
        elif t.kind == "list" and t.item is not None and t.item.kind == "record":
            if not prefix:  # lists of records are only asked at the top (the systems)
                yield from ((p, f) for p, f in leaves(t.item, (name,)) if not f.key)
        else:
            yield (*prefix, name), fld


# ---- facts → YAML text ----------------------------------------------------------------------


def render_facts(
    vocabulary: Type,
    data: dict[str, Any],
    title: str,
    evidence: list[dict[str, Any]] | None = None,
    example: bool = False,
    skipped: Sequence[str] = (),
) -> str:
    """The whole vocabulary as YAML: each fact with its question as a comment and its value
    from `data` (typed, as `FactsDocument.data` holds it), or empty (unknown); then the
    evidence, and the questions an assessment was told to skip for now."""
    lines = [f"# {title}", *HEADER.splitlines()]
    for name, fld in vocabulary.fields.items():
        lines.append("")
        lines.extend(_field(name, fld, data.get(name), 0, example))
    lines.append("")
    lines.extend(_evidence(evidence or []))
    if skipped:
        lines.append("")
        lines.extend(SKIPPED.splitlines())
        lines.append("skipped:")
        lines.extend(f"  - {yaml_scalar(path)}" for path in skipped)
    return "\n".join(lines) + "\n"


SKIPPED = """\
# Questions `aicxs assess` was told to skip for now: left unknown, and not asked again unless
# it runs with `--ask-skipped` (answer one above and it is no longer skipped). Not facts."""


def _field(name: str, fld: FactField, value: Any, depth: int, example: bool) -> list[str]:
    pad = "  " * depth
    t = fld.type
    if t.kind == "record":
        out = [f"{pad}{name}:{_trailing(fld)}"]
        inner = value if isinstance(value, dict) else {}
        for sub_name, sub in t.fields.items():
            out.extend(_field(sub_name, sub, inner.get(sub_name), depth + 1, example))
        return out
    if t.kind == "list" and t.item is not None and t.item.kind == "record":
        return _items(name, fld, value, depth, example)
    return [*_question(fld, pad), f"{pad}{name}:{_value(value, t)}"]


def _items(name: str, fld: FactField, value: Any, depth: int, example: bool) -> list[str]:
    pad = "  " * depth
    out = [f"{pad}{name}:{_trailing(fld)}"]
    items = value if isinstance(value, list) else []
    record = fld.type.item
    assert record is not None
    key = key_field(record)
    if not items:
        out.append(f"{pad}  # (none recorded yet: an empty list would mean none at all)")
    if example and not items:
        out.append(
            f"{pad}  # One entry per system, each with its own `{key}`: uncomment this example "
            "and fill it in,"
        )
        out.append(f"{pad}  # or let `aicxs assess` add the systems one by one.")
        entry = _items(name, fld, [{key: EXAMPLE_SYSTEM}], depth, False)[1:]
        out.extend(f"{pad}  # {line[len(pad) + 2 :]}" for line in entry)
    for item in items:
        first = True
        for sub_name, sub in record.fields.items():
            lines = _field(sub_name, sub, item.get(sub_name), depth + 2, example)
            if first and sub_name == key:
                lines = [f"{pad}  - {sub_name}:{_value(item.get(sub_name), sub.type)}"]
                lines[0] += _trailing(sub)
            elif first:
                lines = [f"{pad}  -", *lines]
            first = False
            out.extend(lines)
    return out


def _trailing(fld: FactField) -> str:
    return f"  # {fld.question}"


def _question(fld: FactField, pad: str) -> list[str]:
    text = f"{fld.question} ({describe(fld.type)}{', optional' if fld.optional else ''})"
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=f"{pad}# ",
        subsequent_indent=f"{pad}#   ",
        break_on_hyphens=False,
    )


def describe(t: Type) -> str:
    """What an answer looks like, in words: `true or false`, `YYYY-MM-DD`, ..."""
    match t.kind:
        case "bool":
            return "true or false"
        case "int":
            return "a whole number"
        case "number":
            return "a number"
        case "date":
            return "a date, YYYY-MM-DD"
        case "duration":
            return "a duration, e.g. 90 days"
        case "enum":
            return "one of: " + ", ".join(t.values)
        case "list":
            return f"a list, e.g. [{'a, b' if t.item and t.item.kind == 'string' else '1, 2'}]"
    return "text"


def _value(value: Any, t: Type) -> str:
    return "" if value is None else " " + yaml_scalar(value)


def yaml_scalar(value: Any) -> str:
    """One value as YAML that reads back to the same fact value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _dump(value, None)
    if isinstance(value, list):
        return "[" + ", ".join(yaml_scalar(v) for v in value) + "]"
    text = str(value)
    if re.fullmatch(r"[a-z][a-z0-9_-]*", text) and yaml.safe_load(text) == text:
        return text
    return _dump(text, '"')


def _dump(value: Any, style: str | None) -> str:
    dumped = yaml.safe_dump(value, default_style=style, allow_unicode=True, width=10**9)
    return dumped.removesuffix("\n").removesuffix("\n...").removesuffix("\n")


def _evidence(entries: list[dict[str, Any]]) -> list[str]:
    if not entries:
        return [
            "# Evidence backing the facts (optional), one entry per document:",
            "# evidence:",
            '#   - {fact: "organisation.strategy", document: "AI strategy v2, approved by the'
            ' board", attested_by: "Name, Chief AI Officer", date: 2026-01-31}',
        ]
    out = ["evidence:"]
    for e in entries:
        fields = ", ".join(f"{k}: {yaml_scalar(str(v))}" for k, v in e.items())
        out.append(f"  - {{{fields}}}")
    return out
