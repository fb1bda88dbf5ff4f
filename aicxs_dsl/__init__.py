"""The aicxs language: text → AST, with located diagnostics. Knows nothing of evaluation."""

from aicxs.aicxs_dsl.ast import Module
from aicxs.aicxs_dsl.diagnostics import (
    AicxsError,
    Diagnostic,
    DiagnosticError,
    Severity,
    render_text,
)
from aicxs.aicxs_dsl.parser import parse_file, parse_text
from aicxs.aicxs_dsl.source import Source, Span

__all__ = [
    "AicxsError",
    "Diagnostic",
    "DiagnosticError",
    "Module",
    "Severity",
    "Source",
    "Span",
    "parse_file",
    "parse_text",
    "render_text",
]
