"""What the standard's source text says, and what its code adds: the lint of provenance.

The seed text of a standard (for AICXS 2024, a page of titles and bullets) names pillars,
clauses, levels and key requirements; almost every number, condition and link in the `.aicx`
file is a reading of it. Authors mark each statement with `source seed`, `source
interpretation` or `source "<document>"`, and say why with `rationale` (`level ... because`,
`covers ... because` for a level or a key requirement's links). This stage warns where a
standard leaves a reader unable to tell: a clause, parameter, pillar or key requirement with no
`source`, and a number, in a check or as a parameter's default, with no rationale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.diagnostics import Diagnostic, Severity
from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.engine.model import Clause, KeyRequirement, Parameter, Pillar, Standard, _header

# A number that only says "some" or "none" (`len(x) > 0`, `count(...) >= 1`) is no threshold.
_NOT_THRESHOLDS = (0, 1)

Statement = Clause | KeyRequirement | Parameter | Pillar


def check_provenance(std: Standard) -> list[Diagnostic]:
    """Warnings for statements of `std` that do not say where they come from or why."""
    out = []
    statements: list[tuple[str, str, Statement]] = [
        *(("pillar", p.id, p) for p in std.pillars.values()),
        *(("clause", c.id, c) for c in std.clauses.values()),
        *(("key requirement", k.id, k) for k in std.key_requirements.values()),
        *(("parameter", p.name, p) for p in std.parameters.values()),
    ]
    for kind, name, item in statements:
        if not item.provenance.source:
            out.append(
                Diagnostic(
                    "aicxs_no_source",
                    f"{kind} `{name}` does not say where it comes from",
                    _header(item.span),
                    "add `source seed` (the standard's own words), `source interpretation`"
                    ' (a reading of them) or `source "<document>"` (taken from a document)',
                    Severity.WARNING,
                )
            )
        if item.provenance.rationale:
            continue
        if isinstance(item, Parameter):
            out.append(_unexplained(f"the default of parameter `{name}`", item.default, item))
        elif not isinstance(item, Pillar):
            out.extend(
                _unexplained(f"the check of {kind} `{name}`", number, item)
                for number in thresholds(item.check)
            )
    return out


def _unexplained(where: str, number: ast.Expr | None, item: Statement) -> Diagnostic:
    shown = f"`{expr_text(number)}`" if number is not None else "a number"
    return Diagnostic(
        "aicxs_no_rationale",
        f"{where} sets {shown} with no rationale",
        number.span if number is not None and number.span.end else _header(item.span),
        'say where the number comes from: add `rationale "<why this value>"` to the block'
        + ("" if isinstance(item, Parameter) else ", or make it a parameter"),
        Severity.WARNING,
    )


def thresholds(expr: ast.Expr | None) -> Iterator[ast.Expr]:
    """The numbers written into `expr` (durations included) that are thresholds, in order."""
    if expr is None:
        return
    match expr:
        case ast.IntLit(value=value) if value in _NOT_THRESHOLDS:
            return
        case ast.IntLit() | ast.NumberLit() | ast.DurationLit():
            yield expr
            return
    for field in dataclasses.fields(expr):
        value = getattr(expr, field.name)
        for child in value if isinstance(value, tuple) else (value,):
            if type(child).__module__ == ast.__name__ and field.name != "span":
                yield from thresholds(child)
