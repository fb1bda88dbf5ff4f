"""The layout is the architecture (docs/architecture.md), and a test keeps it so.

Imports flow one way: the language (`aicxs_dsl`) knows nothing of the engine; the evaluation
pipeline (`engine/*.py`) knows nothing of its wings; a wing (authoring, testing, onboarding,
service, reports, evolve) uses the pipeline and never another wing; there is no import circle; and only
the CLI (`cli.py`, `engine/console.py`, `engine/commands.py`, the wings' `cli.py`) prints, exits
or imports click. Every import counts, those inside functions and under `TYPE_CHECKING` too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from tests.conftest import ROOT

WINGS = ("authoring", "testing", "onboarding", "service", "reports", "evolve")
CLI = {"aicxs.cli", "aicxs.__main__", "aicxs.engine.console", "aicxs.engine.commands"} | {
    f"aicxs.engine.{w}.cli" for w in WINGS
}


def modules() -> dict[str, Path]:
    found = {"aicxs": ROOT / "__init__.py", "aicxs.cli": ROOT / "cli.py"}
    found["aicxs.__main__"] = ROOT / "__main__.py"
    for folder in ("aicxs_dsl", "engine", "spec"):
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(("aicxs", *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """The modules of the package that `path` imports (a name imported from a package that
    is itself a module counts as that module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("aicxs")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aicxs"):
            base = node.module or ""
            subs = {f"{base}.{a.name}" for a in node.names} & known
            out |= subs or {base}
    return {m for m in out if m in known}


def graph() -> nx.DiGraph:
    mods = modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        g.add_edges_from((name, m) for m in imports(path, set(mods)) if m != name)
    return g


def wing_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "engine" and parts[2] in WINGS else None


def test_the_language_knows_nothing_of_the_engine() -> None:
    g = graph()
    bad = [(u, v) for u, v in g.edges if u.startswith("aicxs.aicxs_dsl") and "engine" in v]
    assert bad == []


def test_the_pipeline_uses_no_wing_and_no_wing_uses_another() -> None:
    g = graph()
    bad = [
        (u, v)
        for u, v in g.edges
        if u not in CLI and wing_of(v) is not None and wing_of(u) != wing_of(v)
    ]
    assert bad == []


def test_there_is_no_import_circle() -> None:
    g = graph()
    g.remove_nodes_from(["aicxs"])  # the facade only re-exports
    assert sorted(nx.simple_cycles(g)) == []


def test_only_the_cli_prints_exits_or_uses_click() -> None:
    offenders = []
    for name, path in modules().items():
        if name in CLI:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        offenders += [f"{name}: {what}" for node in ast.walk(tree) if (what := _speaks(node))]
    assert offenders == []


def _speaks(node: ast.AST) -> str:
    """What a node does that only the CLI may: print, exit or use click."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"{node.func.id}()" if node.func.id in ("print", "exit", "quit") else ""
    if isinstance(node, ast.Attribute) and node.attr == "exit":
        return "sys.exit" if isinstance(node.value, ast.Name) and node.value.id == "sys" else ""
    if isinstance(node, ast.Import | ast.ImportFrom):
        names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
        return "imports click" if any(n.split(".")[0] == "click" for n in names) else ""
    return ""
