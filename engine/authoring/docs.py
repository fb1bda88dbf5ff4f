"""A standard → its readable document, in Markdown or self-contained HTML.

The `.aicx` file is the single source of the standard; this renders it for people: overview and
errata, maturity model, roles, certification pathway, parameters, every clause of every pillar
(with its check as code), the key requirements, the facts vocabulary with its questions, and one
crosswalk table per framework. Layout lives in Jinja2 templates (`engine/templates/`); this module
only gathers what they show. The output depends on the standard alone, so it can be kept in the
repository and compared for staleness.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2
from markupsafe import Markup, escape

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.escape import printable
from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.engine import catalogue
from aicxs.engine.markdown import md_cell, md_code, md_fence, md_lines
from aicxs.engine.model import RELATIONSHIPS, Clause, Provenance, Standard, strength
from aicxs.engine.types import length_note
from aicxs.engine.verdict import CERTIFICATION_RULE

FORMATS = {"markdown": "standard.md.j2", "html": "standard.html.j2"}
_CODE = re.compile(r"`([^`]+)`")


def render_docs(std: Standard, fmt: str = "markdown") -> str:
    """The document of `std`; `fmt` is `markdown` or `html`."""
    template = environment().get_template(FORMATS[fmt])
    return template.render(**_context(std))


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the templates in `engine/templates/` (HTML ones autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__, "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        code=_code,
        cell=markdown_cell,
        md=markdown_text,
        comment=markdown_comment,
        mdcode=md_code,
        fenced=markdown_fence,
        anchor=markdown_anchor,
        prose=html_prose,
        oneline=oneline,
    )
    return env


def _context(std: Standard) -> dict[str, Any]:
    pillars = [(p, [std.clauses[c] for c in p.clauses]) for p in std.pillars.values()]
    return {
        "std": std,
        "source": std.span.source.path,
        "levels": [std.levels[n] for n in sorted(std.levels)],
        "level_name": {n: level.name for n, level in std.levels.items()},
        "pillars": pillars,
        "withdrawn_of": _withdrawn_of(std),
        "errata": _errata(std),
        "feeds": catalogue.feeds(std),
        "citations": catalogue.citations(std),
        "parameter_users": catalogue.parameter_users(std),
        "owned_by": catalogue.owned_by(std),
        "facts": catalogue.fact_rows(std.vocabulary),
        "clause_title": {c.id: c.title for c in std.clauses.values()},
        "heading": {
            **_headings([*std.clauses.values(), *std.withdrawn.values()]),
            **_kr_headings(std),
        },
        "crosswalk_of": _crosswalk_of,
        "seed": std.seed,
        "interpretations": _interpretations(std),
        "certification_rule": CERTIFICATION_RULE,
        "strengths": _strengths(std),
        "relationships": RELATIONSHIPS,
    }


def _interpretations(std: Standard) -> dict[str, int]:
    """How many statements of each kind are marked as interpretations."""
    groups: dict[str, list[Provenance]] = {
        "clauses": [c.provenance for c in std.clauses.values()],
        "parameters": [p.provenance for p in std.parameters.values()],
        "key_requirements": [k.provenance for k in std.key_requirements.values()],
        "pillars": [p.provenance for p in std.pillars.values()],
    }
    return {kind: sum(p.interpretation for p in marks) for kind, marks in groups.items()}


def _withdrawn_of(std: Standard) -> dict[str, list[Clause]]:
    """Pillar → its withdrawn clauses, shown after the clauses in force, marked."""
    return {p: [c for c in std.withdrawn.values() if c.pillar == p] for p in std.pillars}


def _errata(std: Standard) -> list[tuple[str, str]]:
    """(where, text) for every erratum: of the standard, then of each pillar."""
    found = [(std.name, text) for text in std.errata]
    found += [(f"{p.id} {p.title}", text) for p in std.pillars.values() for text in p.errata]
    return found


def _headings(clauses: Any) -> dict[str, str]:
    return {c.id: f"{c.id} {c.title}" for c in clauses}


def _kr_headings(std: Standard) -> dict[str, str]:
    return {kr.id: f"{kr.id} {kr.title}" for kr in std.key_requirements.values()}


def _crosswalk_of(clause: Clause) -> list[tuple[str, str, str]]:
    """A clause's crosswalk as (framework, reference, relationship and applicability in
    words), without repeats, in its order."""
    seen: dict[tuple[str, str], str] = {}
    for x in clause.crosswalk:
        seen.setdefault((x.framework, x.ref), strength(x.relationship, x.applicability))
    return [(framework, ref, how) for (framework, ref), how in seen.items()]


def _strengths(std: Standard) -> dict[tuple[str, str, str], str]:
    """(framework, reference, clause) → how the clause relates to the reference, in words."""
    out: dict[tuple[str, str, str], str] = {}
    for clause in std.clauses.values():
        for x in clause.crosswalk:
            key = (x.framework, x.ref, clause.id)
            out.setdefault(key, strength(x.relationship, x.applicability))
    return out


# ---- filters ------------------------------------------------------------------------------


def _code(value: ast.Expr | None) -> str:
    """A check, default or bound as the language writes it, on one line (with the lengths of
    a month and a year, when it counts in them)."""
    return expr_text(value) + length_note(value) if value is not None else ""


def oneline(text: str) -> str:
    """Text with its line breaks and runs of spaces folded to single spaces."""
    return " ".join(text.split())


def markdown_text(text: str) -> str:
    """Text for Markdown, line by line: what the author wrote in matching backticks stays
    code; everything else is text, its markup escaped (engine/markdown.py)."""
    return md_lines(text, keep_code=True)


def markdown_cell(text: str) -> str:
    """Text that fits one Markdown table cell: on one line, `|` and markup escaped."""
    return md_cell(text, keep_code=True)


def markdown_comment(text: str) -> str:
    """Text inside an HTML comment: no `--`, which could close it."""
    return printable(text).replace("--", "-&#45;")


def markdown_fence(code: str, info: str = "", indent: int = 0) -> str:
    """Code as a fenced block (indented, inside a list item), its fence longer than any
    backtick run of the code."""
    return "\n".join(" " * indent + line for line in md_fence(code.split("\n"), info))


def markdown_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to
    hyphens (`P4.2 Escalation protocols` → `p42-escalation-protocols`)."""
    kept = re.sub(r"[^\w\- ]", "", heading.lower())
    return kept.replace(" ", "-")


def html_prose(text: str) -> Markup:
    """Text as HTML paragraphs (blank lines separate them), `names` in backticks as code."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for para in paragraphs:
        escaped = str(escape(oneline(para)))
        out.append("<p>" + _CODE.sub(r"<code>\1</code>", escaped) + "</p>")
    return Markup("\n".join(out))
