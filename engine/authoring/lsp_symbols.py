"""The outline of a `.aicx` module as LSP document symbols: a standard's pillars (with their
clauses), key requirements, parameters, roles and frameworks; a policy with its settings,
exclusions, waivers and organisation rules. Each symbol's selection is its id or name."""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types as lsp

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.authoring.lsp_index import words

K = lsp.SymbolKind
Ranger = Callable[[Span], lsp.Range]


def outline(module: ast.Module, ranger: Ranger) -> list[lsp.DocumentSymbol]:
    out: list[lsp.DocumentSymbol] = []
    for decl in module.decls:
        match decl:
            case ast.PillarDecl():
                clauses = [_symbol(c.span, 1, c.title, K.Class, ranger) for c in decl.clauses]
                out.append(_symbol(decl.span, 1, decl.title, K.Namespace, ranger, clauses))
            case ast.KeyRequirementDecl():
                out.append(_symbol(decl.span, 2, decl.title, K.Interface, ranger))
            case ast.ParameterDecl():
                out.append(_symbol(decl.span, 1, "parameter", K.Constant, ranger))
            case ast.RoleDecl():
                out.append(_symbol(decl.span, 1, decl.title, K.Object, ranger))
            case ast.FrameworkDecl():
                out.append(_symbol(decl.span, 1, decl.title, K.Package, ranger))
            case ast.PolicyDecl():
                out.append(_policy(decl, ranger))
    return out


def _policy(decl: ast.PolicyDecl, ranger: Ranger) -> lsp.DocumentSymbol:
    children = []
    for attr in decl.attrs:
        if attr.name in ("set", "exclude"):
            what = "setting" if attr.name == "set" else "exclusion"
            children.append(_symbol(attr.span, 1, what, K.Property, ranger))
    children += [_symbol(w.span, 1, "waiver", K.Event, ranger) for w in decl.waivers]
    children += [
        _symbol(r.span, 1, f"refines {r.refines}: {r.title}", K.Class, ranger) for r in decl.rules
    ]
    version = ast.version_text(decl.version, decl.amendment)
    policy = _symbol(decl.span, 1, f"implements {decl.standard} {version}", K.Module, ranger)
    policy.children = children or None
    return policy


def _symbol(
    span: Span,
    at: int,
    detail: str,
    kind: lsp.SymbolKind,
    ranger: Ranger,
    children: list[lsp.DocumentSymbol] | None = None,
) -> lsp.DocumentSymbol:
    """A symbol named by the `at`-th word of the block's header (or of the line)."""
    found = words(span, header=True)
    name = found[at] if len(found) > at else None
    return lsp.DocumentSymbol(
        name=name.text if name else span.text().split(None, 1)[0],
        kind=kind,
        range=ranger(span),
        selection_range=ranger(name.span if name else span),
        detail=" ".join(detail.split()),
        children=children or None,
    )
