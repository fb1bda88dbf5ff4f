"""`aicxs lint --format sarif`: the diagnostics of `.aicx` files → SARIF 2.1.0, so mistakes in
a standard or a policy show up in code scanning next to the line that has them.

One rule per diagnostic code (`aicxs_unknown_clause`, ...; see docs/errors.md), one result per
diagnostic: level `error` or `warning` as `lint` says, the message with its help, the span as
the region, and each note that names a place in a checked file as a related location. Paths
are written as `check --format sarif` writes them (`artifact_uri`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.engine.reports.common import tool_version
from aicxs.engine.reports.sarif import SARIF_SCHEMA, SARIF_VERSION, artifact_uri

FINGERPRINT = "aicxsLint/v1"


def lint_sarif(files: Sequence[Path], diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps(lint_log(files, diagnostics), indent=2, ensure_ascii=False) + "\n"


def lint_log(files: Sequence[Path], diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    version = tool_version()
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "aicxs",
                        "fullName": f"aicxs {version} lint: standards and policies as code",
                        "version": version,
                        "semanticVersion": version,
                        "rules": [_rule(code) for code in codes],
                    }
                },
                "automationDetails": {"id": "aicxs/lint"},
                "invocations": [{"executionSuccessful": True}],
                "artifacts": [{"location": {"uri": artifact_uri(str(f))}} for f in files],
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index[d.code]) for d in diagnostics],
            }
        ],
    }


def _rule(code: str) -> dict[str, Any]:
    words = code.removeprefix("aicxs_").split("_")
    return {
        "id": code,
        "name": "".join(w[:1].upper() + w[1:] for w in words),
        "shortDescription": {"text": " ".join(words).capitalize()},
        "help": {"text": f"{code}: see the error-code catalogue of aicxs (docs/errors.md)."},
        "properties": {"tags": ["aicxs", "lint"]},
    }


def _result(d: Diagnostic, rule_index: int) -> dict[str, Any]:
    path = d.span.path if d.span else d.path
    text = d.message + (f"\nhelp: {d.help}" if d.help else "")
    location: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(path)}}
    if d.span is not None:
        end_line, end_col = d.span.source.line_col(max(d.span.start, d.span.end))
        location["region"] = {
            "startLine": d.span.line,
            "startColumn": d.span.col,
            "endLine": end_line,
            "endColumn": end_col,
            "snippet": {"text": d.span.source.line_text(d.span.line)},
        }
    out: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": d.severity.value,
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT: f"{path}/{d.code}/{d.message}"},
    }
    related = [r for note in d.notes if (r := _note(note)) is not None]
    if related:
        out["relatedLocations"] = [{"id": i, **r} for i, r in enumerate(related, 1)]
    return out


def _note(note: str) -> dict[str, Any] | None:
    """A note that ends with a place ("`x` is declared at spec/aicxs-2024.aicx:88:1") as a
    related location; plain text splits, no pattern runs over the note."""
    where = note.rpartition(" at ")[2]
    path, line, col = ["", "", "", *where.rsplit(":", 2)][-3:]
    if not (path and line.isdigit() and col.isdigit()):
        return None
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(path)},
            "region": {"startLine": int(line), "startColumn": int(col)},
        },
        "message": {"text": note},
    }
