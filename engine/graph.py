"""The requirement dependency graph: the standard (and a policy's rules) as a networkx DiGraph.

Nodes are pillars, clauses, key requirements, maturity levels and organisation rules, keyed by
id (levels as `L2`). Edges are typed: `requires` (clause → prerequisite clause), `covers`
(key requirement → clause), `part_of` (clause → pillar), `expected_at` (clause → level) and
`refines` (rule → clause). It answers "what depends on this" for the graph tools. This is the
only module that imports networkx, and only when a graph is built: loading and evaluating a
policy never does (evaluation order and cycle detection work on `requires` directly).
"""

from __future__ import annotations

import graphlib
import heapq
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aicxs.engine.model import Policy, Standard

if TYPE_CHECKING:
    import networkx as nx


def level_node(number: int) -> str:
    return f"L{number}"


def build_graph(std: Standard, policy: Policy | None = None) -> nx.DiGraph:
    import networkx as nx

    g = nx.DiGraph()
    for number, level in sorted(std.levels.items()):
        g.add_node(level_node(number), kind="level", title=level.name, number=number)
    for pillar in std.pillars.values():
        g.add_node(pillar.id, kind="pillar", title=pillar.title)
    for clause in std.clauses.values():
        g.add_node(
            clause.id,
            kind="clause",
            title=clause.title,
            pillar=clause.pillar,
            level=clause.level,
            owner=clause.owner,
        )
        g.add_edge(clause.id, clause.pillar, kind="part_of")
        if clause.level in std.levels:
            g.add_edge(clause.id, level_node(clause.level), kind="expected_at")
        for target, _ in clause.requires:
            if target in std.clauses:
                g.add_edge(clause.id, target, kind="requires")
    for clause in std.withdrawn.values():  # kept, marked, so its id is seen to be taken
        title = f"{clause.title} (withdrawn)"
        g.add_node(clause.id, kind="clause", title=title, pillar=clause.pillar, withdrawn=True)
        if clause.pillar in std.pillars:
            g.add_edge(clause.id, clause.pillar, kind="part_of")
    for kr in std.key_requirements.values():
        g.add_node(kr.id, kind="key_requirement", title=kr.title, mandatory=kr.mandatory)
        for target, _ in kr.covers:
            if target in std.clauses:
                g.add_edge(kr.id, target, kind="covers")
    for rule in policy.rules if policy else ():
        g.add_node(rule.id, kind="rule", title=rule.title)
        if rule.refines in std.clauses:
            g.add_edge(rule.id, rule.refines, kind="refines")
    return g


def _requires(std: Standard, ids: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Clause → the clauses it requires, among `ids` (default: every clause)."""
    keep = set(std.clauses if ids is None else ids)
    return {
        c: [r for r, _ in std.clauses[c].requires if r in keep]
        for c in sorted(keep, key=_natural_key)
    }


def requires_cycles(std: Standard) -> list[list[str]]:
    """Each cycle of `requires` once, as a path that starts at its smallest id. The stdlib's
    sorter finds whether there is one; networkx is loaded only to list them."""
    requires = _requires(std)
    try:
        graphlib.TopologicalSorter(requires).prepare()
        return []
    except graphlib.CycleError:
        pass
    import networkx as nx

    sub = nx.DiGraph([(c, r) for c, targets in requires.items() for r in targets])
    cycles = []
    for component in nx.strongly_connected_components(sub):
        if len(component) == 1 and sub.has_edge(*component, *component):
            cycles.append([*component, *component])
        elif len(component) > 1:
            cycles.append(_cycle_through(sub.subgraph(component), min(component, key=_natural_key)))
    return sorted(cycles)


def _cycle_through(g: nx.DiGraph, start: str) -> list[str]:
    """The shortest cycle through `start`, as `[start, ..., start]`."""
    import networkx as nx

    paths = [nx.shortest_path(g, nxt, start) for nxt in sorted(g.successors(start))]
    return [start, *min(paths, key=len)]


def evaluation_order(std: Standard, clause_ids: Iterable[str]) -> list[str]:
    """Clauses with every prerequisite before its dependents; of the clauses ready at each
    step the smallest id comes first (a lexicographical topological sort)."""
    requires = _requires(std, clause_ids)
    waiting = {c: len(rs) for c, rs in requires.items()}
    dependents: dict[str, list[str]] = {c: [] for c in requires}
    for c, rs in requires.items():
        for r in rs:
            dependents[r].append(c)
    ready = [(_natural_key(c), c) for c, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, c = heapq.heappop(ready)
        order.append(c)
        for d in dependents[c]:
            waiting[d] -= 1
            if waiting[d] == 0:
                heapq.heappush(ready, (_natural_key(d), d))
    if len(order) != len(requires):
        raise ValueError("the clauses' `requires` form a cycle (the checker reports it)")
    return order


def _natural_key(node_id: str) -> tuple[object, ...]:
    """`P1.10` after `P1.9`: digits compare as numbers."""
    parts: list[object] = []
    for chunk in node_id.replace("-", ".").split("."):
        parts.append((0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk))
    return tuple(parts)


def natural_key(node_id: str) -> tuple[object, ...]:
    return _natural_key(node_id)


def dependents(g: nx.DiGraph, node_id: str) -> list[str]:
    """Everything that depends on `node_id`, directly or not (what a change to it affects)."""
    import networkx as nx

    return sorted(nx.ancestors(g, node_id), key=_natural_key)


def as_json(g: nx.DiGraph) -> dict[str, list[dict[str, object]]]:
    nodes = [{"id": n, **g.nodes[n]} for n in sorted(g.nodes, key=_natural_key)]
    edges = [
        {"source": u, "target": v, "kind": k}
        for u, v, k in sorted(
            g.edges(data="kind"), key=lambda e: (_natural_key(e[0]), _natural_key(e[1]))
        )
    ]
    return {"nodes": nodes, "edges": edges}


def as_dot(g: nx.DiGraph, highlight: Iterable[str] = ()) -> str:
    marked = set(highlight)
    lines = ["digraph aicxs {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    shapes = {
        "pillar": "folder",
        "level": "ellipse",
        "key_requirement": "octagon",
        "rule": "note",
        "clause": "box",
    }
    for n in sorted(g.nodes, key=_natural_key):
        data = g.nodes[n]
        label = f"{n}\\n{_escape(str(data.get('title', '')))}"
        style = ", style=filled, fillcolor=gold" if n in marked else ""
        lines.append(f'  "{n}" [label="{label}", shape={shapes[data["kind"]]}{style}];')
    for u, v, k in sorted(g.edges(data="kind")):
        lines.append(f'  "{u}" -> "{v}" [label="{k}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def as_mermaid(g: nx.DiGraph, highlight: Iterable[str] = ()) -> str:
    lines = ["flowchart LR"]
    ids = {n: f"n{i}" for i, n in enumerate(sorted(g.nodes, key=_natural_key))}
    for n, nid in ids.items():
        title = str(g.nodes[n].get("title", "")).replace('"', "'")
        lines.append(f'  {nid}["{n}: {title}"]')
    for u, v, k in sorted(g.edges(data="kind")):
        lines.append(f"  {ids[u]} -->|{k}| {ids[v]}")
    lines.extend(f"  style {ids[n]} fill:#ffd700" for n in highlight if n in ids)
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
