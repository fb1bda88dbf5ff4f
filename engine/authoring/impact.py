"""A revision of the standard, applied to existing policies: what no longer loads, what flips.

`policy_impact` loads a policy against the old and the new standard (re-targeting its
`implements` line in memory when it names the other version) and lists the tailoring (target,
settings, exclusions, waivers, rules) that touches a change of the `StandardDiff`.
`compare_evaluations` evaluates it on its facts with both and records the verdict, maturity and
statuses that flip. `compare` runs the whole `aicxs diff` over a folder of policies.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aicxs.aicxs_dsl import ast, parse_file
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.aicxs_dsl.escape import printable_lines
from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.aicxs_dsl.words import verb
from aicxs.engine.authoring.diff import diff_standards
from aicxs.engine.authoring.diff_change import Change, StandardDiff
from aicxs.engine.builder import build_policy
from aicxs.engine.graph import natural_key
from aicxs.engine.loader import CompiledPolicy, compile_policy, is_policy_file, load_standard
from aicxs.engine.model import Policy, Standard
from aicxs.engine.outcome import Report, Result


@dataclass
class Touch:
    """One piece of a policy's tailoring and the changes it touches."""

    item: str  # `exclude P6.5`, `rule NB-1 refines P4.2`, `set max_human_wait = 90 seconds`
    location: str
    changes: list[Change]


@dataclass(frozen=True)
class Flip:
    """A result whose status differs between the versions (None: absent from that version)."""

    old_id: str | None
    new_id: str | None
    old: str | None
    new: str | None
    title: str


@dataclass
class Evaluation:
    """A policy evaluated on its facts with the old and with the new standard."""

    facts: str
    as_of: dt.date
    verdict: tuple[str, str]
    level: tuple[int, int]
    pillars: list[tuple[str, int | None, int | None]]  # pillar, old level, new level (changed)
    flips: list[Flip]


@dataclass
class PolicyImpact:
    path: str
    name: str
    title: str
    notes: list[str] = field(default_factory=list)
    old_errors: list[Diagnostic] = field(default_factory=list)
    new_errors: list[Diagnostic] = field(default_factory=list)
    facts_errors: list[Diagnostic] = field(default_factory=list)
    touches: list[Touch] = field(default_factory=list)
    evaluation: Evaluation | None = None
    compiled: tuple[CompiledPolicy | None, CompiledPolicy | None] = (None, None)

    @property
    def status(self) -> str:
        if self.old_errors and self.new_errors:
            return "does_not_load"
        if self.new_errors:
            return "no_longer_loads"
        if self.old_errors:
            return "now_loads"
        return "changes_meaning" if self.touches else "loads"


def policy_impact(d: StandardDiff, path: Path, old_spec: Path, new_spec: Path) -> PolicyImpact:
    """Load a policy against both standards (re-targeted in memory where it names another
    version) and find the tailoring that touches a change."""
    module = parse_file(str(path))
    out: list[Diagnostic] = []
    policy = build_policy(module, out)
    if policy is None:
        raise DiagnosticError(out)
    impact = PolicyImpact(str(path), policy.name, policy.title)
    compiled: list[CompiledPolicy | None] = []
    for std, spec_path, errors in (
        (d.old, old_spec, impact.old_errors),
        (d.new, new_spec, impact.new_errors),
    ):
        target = module
        if policy.implements != std.name:
            target = _retarget(module, std)
            impact.notes.append(
                f"`implements {policy.implements}` read as "
                f"`implements {std.name}` to load it against {spec_path}"
            )
        try:
            compiled.append(compile_policy(target, spec_path))
        except DiagnosticError as err:
            errors.extend(err.diagnostics)
            compiled.append(None)
    impact.compiled = (compiled[0], compiled[1])
    impact.touches = list(_touches(policy, d))
    return impact


def _retarget(module: ast.Module, std: Standard) -> ast.Module:
    decls = tuple(
        dataclasses.replace(decl, standard=std.id, version=std.version, amendment=std.amendment)
        if isinstance(decl, ast.PolicyDecl)
        else decl
        for decl in module.decls
    )
    return dataclasses.replace(module, decls=decls)


def _touches(policy: Policy, d: StandardDiff) -> Iterator[Touch]:
    index: dict[str, list[Change]] = {}
    for change in d.changes:
        for key in change.touches:
            index.setdefault(key, []).append(change)

    def touch(item: str, location: str, *keys: str) -> Iterator[Touch]:
        found = [c for key in keys for c in index.get(key, [])]
        if found:
            yield Touch(item, location, list({id(c): c for c in found}.values()))

    if policy.target_span is not None:
        yield from touch(
            f"target level {policy.target}", policy.target_span.location(), f"level:{policy.target}"
        )
    for s in policy.settings.values():
        yield from touch(
            f"set {s.name} = {expr_text(s.expr)}", s.span.location(), f"parameter:{s.name}"
        )
    for e in policy.exclusions.values():
        yield from touch(f"exclude {e.clause}", e.span.location(), f"clause:{e.clause}")
    for w in policy.waivers.values():
        yield from touch(f"waive {w.clause}", w.span.location(), f"clause:{w.clause}")
    for r in policy.rules:
        keys = [f"clause:{r.refines}"] + ([f"role:{r.owner}"] if r.owner else [])
        yield from touch(f"rule {r.id} refines {r.refines}", r.span.location(), *keys)


def compare_evaluations(d: StandardDiff, impact: PolicyImpact, facts: Path, as_of: dt.date) -> None:
    """Evaluate the policy on `facts` with both standards; record what flips in `impact`."""
    old, new = impact.compiled
    if old is None or new is None:
        return
    reports: list[Report] = []
    for compiled in (old, new):
        try:
            document = compiled.load_facts(facts)
        except DiagnosticError as err:
            impact.facts_errors.extend(err.diagnostics)
            return
        reports.append(compiled.evaluate(document, as_of, explain="none"))
    before, after = reports
    impact.evaluation = Evaluation(
        str(facts),
        as_of,
        (before.verdict, after.verdict),
        (before.overall_level, after.overall_level),
        _pillar_flips(before, after),
        _status_flips(d, before, after),
    )


def _pillar_flips(before: Report, after: Report) -> list[tuple[str, int | None, int | None]]:
    a = {p.pillar: p.level for p in before.pillars}
    b = {p.pillar: p.level for p in after.pillars}
    return [
        (p, a.get(p), b.get(p)) for p in [*a, *(x for x in b if x not in a)] if a.get(p) != b.get(p)
    ]


def _results(report: Report) -> dict[str, Result]:
    found: dict[str, Result] = {}
    for r in report.results:
        found[r.id] = r
        for rule in r.rules:
            found[rule.id] = rule
    return found


def _status_flips(d: StandardDiff, before: Report, after: Report) -> list[Flip]:
    """Results whose status differs, matched across a rename (`P5.5` is `P4.7`)."""
    a, b = _results(before), _results(after)
    old_of = {d.renamed.get(old, old): old for old in a}  # new id → old id
    flips = []
    for ident in sorted(set(old_of) | set(b), key=natural_key):
        old_id = old_of.get(ident)
        old_r, new_r = a.get(old_id) if old_id else None, b.get(ident)
        old_s = old_r.status.value if old_r else None
        new_s = new_r.status.value if new_r else None
        shown = new_r or old_r
        if old_s != new_s and shown is not None:
            flips.append(Flip(old_id, ident if new_r else None, old_s, new_s, shown.title))
    return flips


def compare(
    old_spec: Path,
    new_spec: Path,
    policies: Path | None = None,
    facts: Path | None = None,
    as_of: dt.date | None = None,
) -> tuple[StandardDiff, list[PolicyImpact]]:
    """The whole `aicxs diff`: the standards compared, then each policy `*.aicx` in `policies`
    loaded against both, then evaluated on `<facts>/<name>.facts.yaml` where there is one."""
    d = diff_standards(load_standard(old_spec), load_standard(new_spec))
    impacts = []
    for path in sorted(policies.glob("*.aicx")) if policies else []:
        if not is_policy_file(path):
            continue
        impact = _policy_impact_or_errors(d, path, old_spec, new_spec)
        facts_path = facts / f"{path.stem}.facts.yaml" if facts else None
        if facts_path is None:
            pass
        elif not facts_path.is_file():
            impact.notes.append(f"no facts file {facts_path}: verdicts not compared")
        elif impact.old_errors or impact.new_errors:
            impact.notes.append(
                f"verdicts on {facts_path} not compared: the policy does not load against both"
            )
        else:
            compare_evaluations(d, impact, facts_path, as_of or dt.date.today())
        impacts.append(impact)
    return d, impacts


def _policy_impact_or_errors(d: StandardDiff, path: Path, old: Path, new: Path) -> PolicyImpact:
    """`policy_impact`, or a policy that loads against neither when it does not even parse."""
    try:
        return policy_impact(d, path, old, new)
    except DiagnosticError as err:
        return PolicyImpact(str(path), path.stem, path.stem, [], err.diagnostics, err.diagnostics)


# ---- what depends on a clause: `aicxs graph --impact ID --format list` ----------------------

KIND_WORD = {
    "clause": "clause",
    "key_requirement": "key requirement",
    "rule": "rule",
    "pillar": "pillar",
    "level": "level",
}


def graph_list(graph: Any) -> str:
    """Every node of the graph on a line: id, kind, title (ids in natural order)."""
    ids = sorted(graph.nodes, key=natural_key)
    width = max((len(str(n)) for n in ids), default=0)
    rows = []
    for ident in ids:
        node = graph.nodes[ident]
        kind = KIND_WORD.get(str(node.get("kind")), str(node.get("kind")))
        rows.append(f"{ident:<{width}}  {kind:<15}  {node.get('title', '')}".rstrip())
    return printable_lines(rows) + "\n"


def impact_list(graph: Any, node_id: str, affected: list[str]) -> str:
    """`affected` (what depends on `node_id`) one per line, each with the chain of edges by
    which it depends on it (`KR6 covers P4.5 requires P4.2`)."""
    data = graph.nodes[node_id]
    n = len(affected)
    lines = [f'{node_id} "{data.get("title", "")}": {n} {verb(n, "depends", "depend")} on it']
    width = max((len(a) for a in affected), default=0)
    for ident in affected:
        node = graph.nodes[ident]
        kind = KIND_WORD.get(str(node.get("kind")), str(node.get("kind")))
        lines.append(f"  {ident:<{width}}  {kind:<15}  {node.get('title', '')}")
        lines.append(f"  {'':<{width}}  {_chain(graph, ident, node_id)}")
    return printable_lines(lines) + "\n"


def _chain(graph: Any, start: str, goal: str) -> str:
    """The shortest path of edges from `start` to `goal`, as `A covers B requires C`."""
    previous: dict[str, str] = {start: start}
    queue = [start]
    for node in queue:
        if node == goal:
            break
        for nxt in sorted(graph.successors(node), key=natural_key):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    path = [goal]
    while path[-1] != start:
        path.append(previous[path[-1]])
    path.reverse()
    words = [path[0]]
    for u, v in itertools.pairwise(path):
        words += [str(graph.edges[u, v].get("kind", "→")), v]
    return " ".join(words)
