"""How the time to parse and check a standard grows with its size.

Measures `aicxs_dsl.parse_text` (text → AST) and `engine.api.standard_from_module` (AST →
checked standard: model, vocabulary, dependency graph, every checker stage) on the bundled
AICXS 2024 standard (31 clauses) and on generated standards of 100 to 10,000 clauses, and prints
a Markdown table with the per-clause cost, which stays roughly constant when growth is linear.

Generated standards keep the bundled header, levels, roles, stages, parameters, frameworks and
facts vocabulary, and replace the six pillars with N clauses spread over pillars of 50. Each
clause has a level, an owner, a text, evidence, crosswalks to declared references, `requires`
to earlier clauses of its pillar (so the graph is acyclic) and a `check` drawn from templates
over the real vocabulary; one mandatory key requirement per pillar covers a few clauses. The
text is deterministic (`random.Random(20261127)`), and every generated standard is loaded once,
with no diagnostics allowed, before it is timed.

    python benchmarks/bench_load.py [--sizes 31,100,1000,3000,10000] [--repeat N] [--no-gc]

`--no-gc` disables Python's cyclic garbage collector while timing. With it on (the default, as
in real use) the per-clause cost creeps up with size: the full (generation 2) collections that
run while the parser builds millions of objects each traverse the whole live heap. With it off
the per-clause cost of every function is flat, which is how to tell the collector's share from
an algorithmic one.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import re
import statistics
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aicxs import spec  # noqa: E402
from aicxs.aicxs_dsl import DiagnosticError, parse_text, render_text  # noqa: E402
from aicxs.engine.loader import LoadedStandard, standard_from_module  # noqa: E402
from aicxs.engine.model import Standard  # noqa: E402
from aicxs.engine.types import Type  # noqa: E402

SEED = 20261127
BUNDLED_CLAUSES = 31  # a size of 31 means the bundled standard itself
CLAUSES_PER_PILLAR = 50
DEFAULT_SIZES = (31, 100, 1000, 3000, 10000)


# ---- the bundled standard ------------------------------------------------------------------


def bundled_text() -> str:
    path = spec.bundled_path("AICXS", 2024)
    assert path is not None, "the bundled standard is missing"
    return path.read_text("utf-8")


def header_of(text: str) -> str:
    """Everything before the first pillar (standard, levels, roles, stages, parameters,
    frameworks, facts), without the comment block that introduces the pillars."""
    first = re.search(r"^pillar ", text, re.MULTILINE)
    assert first is not None, "the bundled standard has no pillar"
    lines = text[: first.start()].splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return "\n".join(lines) + "\n"


# ---- the vocabulary, as the generator sees it ----------------------------------------------


@dataclass
class Vocabulary:
    org: dict[str, list[str]]  # type kind → paths under `organisation`
    sys: dict[str, list[str]]  # type kind → paths under a system `s`
    enums: list[tuple[str, tuple[str, ...]]]  # system enum paths and their values
    params: dict[str, list[str]]  # type kind → parameter names
    roles: list[str]
    levels: list[int]
    refs: list[tuple[str, list[str]]]  # framework id → its references


def _leaves(record: Type, prefix: str) -> list[tuple[str, Type]]:
    out: list[tuple[str, Type]] = []
    for name, fld in record.fields.items():
        path = f"{prefix}.{name}"
        if fld.type.kind == "record":
            out.extend(_leaves(fld.type, path))
        else:
            out.append((path, fld.type))
    return out


def vocabulary_of(std: Standard) -> Vocabulary:
    def by_kind(leaves: list[tuple[str, Type]]) -> dict[str, list[str]]:
        kinds: dict[str, list[str]] = {}
        for path, t in leaves:
            kinds.setdefault(t.kind, []).append(path)
        return kinds

    org_type = std.vocabulary.fields["organisation"].type
    systems = std.vocabulary.fields["systems"].type.item
    assert systems is not None and systems.kind == "record"
    sys_leaves = _leaves(systems, "s")
    params: dict[str, list[str]] = {}
    for name, p in std.parameters.items():
        params.setdefault(p.type.kind, []).append(name)
    return Vocabulary(
        org=by_kind(_leaves(org_type, "organisation")),
        sys=by_kind(sys_leaves),
        enums=[(path, t.values) for path, t in sys_leaves if t.kind == "enum"],
        params=params,
        roles=list(std.roles),
        levels=sorted(n for n in std.levels if n >= 2),  # level 1 is "no governance"
        refs=[(fw.id, list(fw.refs)) for fw in std.frameworks.values()],
    )


# ---- check templates -----------------------------------------------------------------------

# The `where` filters the bundled standard uses.
FILTERS = (
    "s.customer_facing",
    "s.automated_decisions",
    "s.customer_facing or s.automated_decisions",
    's.automated_decisions or s.risk == "high"',
    "s.data.personal_data",
    's.risk == "high"',
    's.channel == "voice"',
)

IND = " " * 10  # continuation lines, as in the bundled standard
BODY = " " * 12  # quantifier bodies


def _quantified(rng: random.Random, vocab: Vocabulary, body: list[str], kind: str = "all") -> str:
    where = f" where {rng.choice(FILTERS)}" if rng.random() < 0.8 else ""
    lines = "\n".join(BODY + ("and " if i else "") + b for i, b in enumerate(body))
    return f"{kind} s in systems{where}:\n{lines}"


def t_system_flags(rng: random.Random, v: Vocabulary) -> str:
    return _quantified(rng, v, rng.sample(v.sys["bool"], rng.randint(2, 3)))


def t_system_age(rng: random.Random, v: Vocabulary) -> str:
    date = rng.choice(v.sys["date"])
    body = [rng.choice(v.sys["bool"]), f"age({date}) <= param {rng.choice(v.params['duration'])}"]
    return _quantified(rng, v, body)


def t_organisation(rng: random.Random, v: Vocabulary) -> str:
    flags = rng.sample(v.org["bool"], rng.randint(1, 2))
    age = f"age({rng.choice(v.org['date'])}) <= param {rng.choice(v.params['duration'])}"
    return f"\n{IND}and ".join([*flags, age])


def t_organisation_and_systems(rng: random.Random, v: Vocabulary) -> str:
    duration = f"{rng.choice(v.sys['duration'])} <= param {rng.choice(v.params['duration'])}"
    inner = _quantified(rng, v, [duration, rng.choice(v.sys["bool"])])
    inner = inner.replace("\n" + BODY, "\n" + BODY + "  ")
    return f"{rng.choice(v.org['bool'])}\n{IND}and ({inner})"


def t_enum_implies(rng: random.Random, v: Vocabulary) -> str:
    path, values = rng.choice(v.enums)
    a, b = rng.sample(v.sys["bool"], 2)
    return _quantified(rng, v, [a, f'({path} == "{rng.choice(values)}" implies {b})'])


def t_any_implies(rng: random.Random, v: Vocabulary) -> str:
    a, b, c = rng.sample(v.sys["bool"], 3)
    return (
        f"((any s in systems: {a})\n{IND} implies {rng.choice(v.org['bool'])})\n"
        f"{IND}and (all s in systems where {a}:\n{BODY}  {b} and {c})"
    )


def t_membership(rng: random.Random, v: Vocabulary) -> str:
    path, values = rng.choice(v.enums)
    allowed = ", ".join(f'"{x}"' for x in rng.sample(values, rng.randint(1, len(values) - 1)))
    return _quantified(rng, v, [f"{path} in [{allowed}]", rng.choice(v.sys["bool"])])


def t_or(rng: random.Random, v: Vocabulary) -> str:
    a, b = rng.sample(v.sys["bool"], 2)
    duration = rng.choice(v.sys["duration"])
    return _quantified(rng, v, [f"{a} or ({b} and {duration} >= {rng.randint(1, 400)} days)"])


def t_none(rng: random.Random, v: Vocabulary) -> str:
    a, b = rng.sample(v.sys["bool"], 2)
    return _quantified(rng, v, [f"not {a} and not {b}"], kind="none")


def t_count(rng: random.Random, v: Vocabulary) -> str:
    flag = rng.choice(v.sys["bool"])
    return (
        f"count(s in systems where ({rng.choice(FILTERS)}) and not {flag}) == 0\n"
        f"{IND}or {rng.choice(v.org['bool'])}"
    )


def t_share(rng: random.Random, v: Vocabulary) -> str:
    share = f"{rng.choice(v.org['number'])} >= param {rng.choice(v.params['number'])}"
    return f"{rng.choice(v.org['bool'])}\n{IND}and {share}"


def t_list_and_set(rng: random.Random, v: Vocabulary) -> str:
    listed = f"len({rng.choice(v.sys['list'])}) > 0"
    inner = _quantified(rng, v, [listed, rng.choice(v.sys["bool"])])
    inner = inner.replace("\n" + BODY, "\n" + BODY + "  ")
    return f"is_set({rng.choice(v.org['string'])})\n{IND}and ({inner})"


TEMPLATES: tuple[Callable[[random.Random, Vocabulary], str], ...] = (
    t_system_flags,
    t_system_age,
    t_organisation,
    t_organisation_and_systems,
    t_enum_implies,
    t_any_implies,
    t_membership,
    t_or,
    t_none,
    t_count,
    t_share,
    t_list_and_set,
)


# ---- clause text ---------------------------------------------------------------------------

SUBJECTS = (
    "Escalation",
    "Disclosure",
    "Consent",
    "Bias testing",
    "Model documentation",
    "Audit logging",
    "Drift monitoring",
    "Complaint handling",
    "Opt-out",
    "Data minimisation",
    "Human oversight",
    "Explanation",
    "Retention",
    "Staff training",
    "Feedback",
    "Risk assessment",
)
ASPECTS = (
    "requirements",
    "controls",
    "review cycle",
    "evidence",
    "safeguards",
    "protocol",
    "assurance",
    "reporting",
)
VERBS = ("document", "operate", "review", "test", "monitor", "approve", "record", "publish")
OBJECTS = (
    "the controls that govern each AI system",
    "a procedure with named owners and escalation routes",
    "the measures that protect customers from harm",
    "the records that show the requirement is met",
    "the settings that customers are offered",
)
EVIDENCE = (
    "Procedure document",
    "Register of AI systems",
    "Review minutes",
    "Test reports",
    "Configuration extract",
    "Sample customer communications",
    "Training records",
    "Monitoring dashboards",
    "Sign-off by the accountable owner",
    "Log extract",
)


def clause_text(rng: random.Random, subject: str, param: str) -> str:
    sentence = (
        f"The organisation shall {rng.choice(VERBS)} {rng.choice(OBJECTS)} for "
        f"{subject.lower()}, covering every AI system that faces customers or decides about "
        f"them, and shall {rng.choice(VERBS)} them at least every `{param}`; the results shall "
        f"be kept as evidence and reported to the {rng.choice(('board', 'governance body'))}."
    )
    body = textwrap.fill(
        sentence, 92, initial_indent=" " * 6, subsequent_indent=" " * 6, break_on_hyphens=False
    )
    return f'"""\n{body}\n    """'


def generate(n: int, std: Standard, header: str, seed: int = SEED) -> str:
    """A standard with `n` clauses over pillars of `CLAUSES_PER_PILLAR`, deterministically."""
    rng = random.Random(seed)
    v = vocabulary_of(std)
    parts = [header, "\n# ---- generated pillars ----\n"]
    key_requirements: list[str] = []
    pillars = -(-n // CLAUSES_PER_PILLAR)
    for p in range(1, pillars + 1):
        count = min(CLAUSES_PER_PILLAR, n - (p - 1) * CLAUSES_PER_PILLAR)
        parts.append(
            f'\npillar P{p} "Generated pillar {p}" {{\n'
            f'  text "Generated requirements, group {p}, over the AICXS facts vocabulary."\n'
        )
        levels: list[int] = []
        for j in range(1, count + 1):
            cid = f"P{p}.{j}"
            level = rng.choice(v.levels)
            subject = rng.choice(SUBJECTS)
            lines = [
                f'  clause {cid} "{subject} {rng.choice(ASPECTS)} ({cid})" {{',
                f"    level {level}",
                f"    owner {rng.choice(v.roles)}",
                f"    text {clause_text(rng, subject, rng.choice(v.params['duration']))}",
                "    evidence "
                + ", ".join(f'"{e}"' for e in rng.sample(EVIDENCE, rng.randint(1, 3))),
            ]
            # Earlier clauses of this pillar at the same or a lower level: acyclic by construction.
            earlier = [f"P{p}.{i}" for i in range(1, j) if levels[i - 1] <= level]
            if earlier and rng.random() < 0.7:
                lines.append("    requires " + ", ".join(rng.sample(earlier, min(len(earlier), 3))))
            for fw, refs in rng.sample(v.refs, rng.randint(1, 2)):
                # Every reference states a relationship (lint warns otherwise); a fixed one
                # keeps the random sequence, so the generated standards, as before.
                refs_cited = rng.sample(refs, rng.randint(1, 2))
                cited = ", ".join(f'"{r}" intersects with' for r in refs_cited)
                lines.append(f"    crosswalk {fw} {cited}")
            lines.append(f"    check {rng.choice(TEMPLATES)(rng, v)}")
            lines.append("  }\n")
            parts.append("\n" + "\n".join(lines))
            levels.append(level)
        parts.append("}\n")
        covered = ", ".join(f"P{p}.{j}" for j in sorted(rng.sample(range(1, count + 1), 1)))
        if count >= 3:
            picks = sorted(rng.sample(range(1, count + 1), 3))
            covered = ", ".join(f"P{p}.{j}" for j in picks)
        key_requirements.append(
            f'\nkey requirement KR{p} "Essential safeguards of pillar {p}" {{\n'
            f"  mandatory\n"
            f'  text "The essential safeguards of pillar {p} shall always be in place."\n'
            f"  covers {covered}\n"
            f"}}\n"
        )
    parts.append("\n# ---- key requirements ----\n")
    parts.extend(key_requirements)
    return "".join(parts)


# ---- loading and timing --------------------------------------------------------------------


def load(text: str, name: str) -> LoadedStandard:
    try:
        return standard_from_module(parse_text(text, name))
    except DiagnosticError as err:
        raise SystemExit(f"{name} does not load:\n{render_text(err.diagnostics)}") from None


def validate(text: str, n: int, name: str) -> None:
    loaded = load(text, name)
    std = loaded.standard
    assert len(std.clauses) == n, f"{name}: {len(std.clauses)} clauses, expected {n}"
    assert not loaded.warnings, f"{name}: {render_text(loaded.warnings)}"
    requires = sum(len(c.requires) for c in std.clauses.values())
    assert requires > 0 or n < CLAUSES_PER_PILLAR, f"{name}: no `requires` edges"
    assert all(c.check is not None for c in std.clauses.values())


@dataclass
class Result:
    clauses: int
    label: str
    kb: float
    parse_ms: float
    check_ms: float
    total_ms: float

    @property
    def us_per_clause(self) -> float:
        return self.total_ms * 1000 / self.clauses


def measure(text: str, n: int, label: str, repeat: int, no_gc: bool = False) -> Result:
    parse_times, check_times, totals = [], [], []
    for _ in range(repeat):
        gc.collect()
        if no_gc:
            gc.disable()
        try:
            t0 = time.perf_counter()
            module = parse_text(text, label)
            t1 = time.perf_counter()
            standard_from_module(module)
            t2 = time.perf_counter()
        finally:
            gc.enable()
        parse_times.append(t1 - t0)
        check_times.append(t2 - t1)
        totals.append(t2 - t0)
        del module
    return Result(
        n,
        label,
        len(text.encode("utf-8")) / 1024,
        statistics.median(parse_times) * 1000,
        statistics.median(check_times) * 1000,
        statistics.median(totals) * 1000,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="clause counts, comma-separated (31 is the bundled standard)",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="repetitions per size (default 5, 3 at 10,000+)"
    )
    parser.add_argument(
        "--no-gc",
        action="store_true",
        help="disable Python's cyclic garbage collector while timing (the algorithmic cost alone)",
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    assert all(n > 0 for n in sizes), "sizes must be positive"

    bundled = bundled_text()
    std = load(bundled, "spec/aicxs-2024.aicx").standard  # also builds the Lark parser
    header = header_of(bundled)

    results: list[Result] = []
    for n in sizes:
        if n == BUNDLED_CLAUSES:
            text, label = bundled, f"{n} (bundled)"
        else:
            text, label = generate(n, std, header), f"{n:,}"
        validate(text, n, label)
        repeat = args.repeat or (3 if n >= 10_000 else 5)
        results.append(measure(text, n, label, repeat, args.no_gc))
        r = results[-1]
        print(f"  {label}: {r.total_ms:,.1f} ms (median of {repeat})", file=sys.stderr)

    print("| clauses | KB | parse ms | check ms | total ms | µs per clause |")
    print("|--:|--:|--:|--:|--:|--:|")
    for r in results:
        print(
            f"| {r.label} | {r.kb:,.0f} | {r.parse_ms:,.1f} | {r.check_ms:,.1f} "
            f"| {r.total_ms:,.1f} | {r.us_per_clause:,.0f} |"
        )
    print()
    by_size = {r.clauses: r for r in results}
    if 1000 in by_size and 10_000 in by_size:
        small, big = by_size[1000], by_size[10_000]
        ratio = big.us_per_clause / small.us_per_clause
        parse_ratio = (big.parse_ms / big.clauses) / (small.parse_ms / small.clauses)
        check_ratio = (big.check_ms / big.clauses) / (small.check_ms / small.clauses)
        verdict = "linear" if ratio <= 1.5 else "NOT linear"
        print(
            f"Per-clause cost at 10,000 vs 1,000 clauses: {ratio:.2f}x ({verdict}; "
            f"parse {parse_ratio:.2f}x, check {check_ratio:.2f}x)."
        )
        marginal = (big.total_ms - small.total_ms) * 1000 / (big.clauses - small.clauses)
        print(f"Marginal cost from 1,000 to 10,000 clauses: {marginal:,.0f} µs per clause.")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"os.cpu_count() = {os.cpu_count()}, seed {SEED}, {CLAUSES_PER_PILLAR} clauses per pillar, "
        f"garbage collector {'off' if args.no_gc else 'on'} while timing."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
