"""Mechanical fixes for diagnostics, offered by the language server as quick fixes.

- A name the checker does not know, whose help says "did you mean `x`?": the misspelt word in
  the diagnostic's span (the word nearest to `x`) becomes `x`.
- A parameter set looser than the standard allows (`aicxs_parameter_looser`): the value
  becomes the standard's default, the loosest value it allows; one outside the bounds
  (`aicxs_parameter_out_of_bounds`) becomes the nearer bound. Both written as the standard
  writes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aicxs.aicxs_dsl.diagnostics import Diagnostic, closest
from aicxs.aicxs_dsl.source import Span
from aicxs.engine.authoring.lsp_analysis import Analysis
from aicxs.engine.authoring.lsp_index import words
from aicxs.engine.checker import constant

_DID_YOU_MEAN = "did you mean `"


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    span: Span  # replaced by `new_text`
    new_text: str


def fixes_for(d: Diagnostic, a: Analysis) -> list[Fix]:
    """The fixes for one diagnostic of the document `a` (none when nothing is mechanical)."""
    if d.span is None:
        return []
    if d.code in ("aicxs_parameter_looser", "aicxs_parameter_out_of_bounds"):
        return _parameter(d, a)
    suggestion = suggested_name(d.help)
    if suggestion is None:
        return []
    return _rename(d.span, suggestion)


def suggested_name(help_text: str) -> str | None:
    """`x` from a help that says "did you mean `x`?"."""
    start = help_text.find(_DID_YOU_MEAN)
    if start < 0:
        return None
    start += len(_DID_YOU_MEAN)
    end = help_text.find("`?", start)
    return help_text[start:end] if end > start else None


def _rename(span: Span, suggestion: str) -> list[Fix]:
    """Replace the word of `span` nearest to `suggestion` (the span may hold a whole path,
    such as `s.escalation.availble`, or a whole line)."""
    found = {w.text: w.span for w in words(span)}
    wrong = closest(suggestion, [w for w in found if w != suggestion], max_distance=len(suggestion))
    if wrong is None:
        return []
    return [Fix(f"Change `{wrong}` to `{suggestion}`", found[wrong], suggestion)]


def _parameter(d: Diagnostic, a: Analysis) -> list[Fix]:
    std, policy = a.standard, a.policy
    if std is None or policy is None:
        return []
    for setting in policy.settings.values():
        param = std.parameters.get(setting.name)
        if setting.span != d.span or param is None or param.default is None:
            continue
        target = param.default
        if d.code == "aicxs_parameter_out_of_bounds" and param.bounds:
            scratch: list[Diagnostic] = []
            value = constant(setting.expr, param.type, scratch)
            low = constant(param.bounds[0], param.type, scratch)
            if value is None or low is None:
                return []
            target = param.bounds[0] if value < low else param.bounds[1]  # type: ignore[operator]
        written = " ".join(target.span.text().split())
        what = "default" if target is param.default else "bound"
        return [
            Fix(
                f"Set `{setting.name}` to the standard's {what}, {written}",
                setting.expr.span,
                written,
            )
        ]
    return []
