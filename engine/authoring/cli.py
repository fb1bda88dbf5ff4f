"""`aicxs docs`, `aicxs diff`, `aicxs export` and `aicxs lsp`: the standards author's commands."""

from __future__ import annotations

from pathlib import Path

import click

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.engine.console import (
    EXIT_FAILED,
    EXIT_OK,
    as_of_option,
    emit,
    evaluation_date,
    guarded,
    output_options,
)


@click.command()
@click.argument("spec_path", metavar="SPEC")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
    help="Markdown, or one self-contained HTML page (inline CSS, nothing fetched).",
)
@output_options("the document")
@guarded
def docs(spec_path: str, fmt: str, output: str | None) -> int:
    """The standard SPEC as a readable document: maturity model, roles, pathway, parameters,
    every clause with its check, key requirements, facts vocabulary, crosswalk tables."""
    from aicxs.engine.authoring.docs import render_docs
    from aicxs.engine.loader import is_policy_file, load_standard

    if is_policy_file(spec_path):
        raise click.BadParameter(
            f"`{spec_path}` is a policy; give the standard it implements, "
            "e.g. spec/aicxs-2024.aicx",
            param_hint="SPEC",
        )
    emit(render_docs(load_standard(spec_path).standard, fmt), output)
    return EXIT_OK


@click.command()
@click.argument("old_path", metavar="OLD")
@click.argument("new_path", metavar="NEW")
@click.option(
    "--policies",
    "policies_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False),
    help="Load each policy *.aicx in DIR against both versions: which no longer load, and "
    "which of their exclusions, waivers, rules and settings touch a change.",
)
@click.option(
    "--facts",
    "facts_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False),
    help="Evaluate each policy on DIR/<name>.facts.yaml with both versions and list the "
    "verdicts and statuses that flip (needs --policies).",
)
@as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@output_options("the diff")
@guarded
def diff(
    old_path: str,
    new_path: str,
    policies_dir: str | None,
    facts_dir: str | None,
    as_of: str | None,
    fmt: str,
    output: str | None,
) -> int:
    """What changes from standard OLD to NEW, clause by clause, each change classed as breaking
    for existing policies or not. Exit 1 when something breaks (a breaking change, or a policy
    that no longer loads), 0 when nothing does."""
    from aicxs.engine.authoring.diff_report import diff_json, diff_markdown, diff_text
    from aicxs.engine.authoring.impact import compare

    if facts_dir is not None and policies_dir is None:
        raise click.BadParameter(
            "--facts needs --policies: the facts files are evaluated with their policies",
            param_hint="--facts",
        )
    date = evaluation_date(as_of)
    d, impacts = compare(
        Path(old_path),
        Path(new_path),
        Path(policies_dir) if policies_dir else None,
        Path(facts_dir) if facts_dir else None,
        date,
    )
    data = diff_json(d, impacts, date)
    if fmt == "json":
        emit(json_dumps(data) + "\n", output)
    elif fmt == "markdown":
        emit(diff_markdown(data), output)
    else:
        emit(diff_text(data), output)
    broken = data["summary"]["breaking"] or data["summary"]["policies_no_longer_loading"]
    return EXIT_FAILED if broken else EXIT_OK


@click.group()
def export() -> None:
    """Export the standard for other tools."""


@export.command("oscal-catalog")
@click.argument("spec_file", metavar="SPEC")
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="The catalog's `last-modified` date, YYYY-MM-DD (default: today); the same date "
    "gives the same bytes.",
)
@output_options("the catalog")
@guarded
def export_oscal_catalog(spec_file: str, as_of: str | None, output: str | None) -> int:
    """The standard SPEC (an .aicx file) as an OSCAL 1.1.3 catalog (JSON).

    --as-of dates the catalog's `last-modified`, so the same inputs give the same bytes."""
    from aicxs.engine.loader import is_policy_file, load_standard
    from aicxs.engine.reports.oscal import oscal_catalog

    if is_policy_file(spec_file):
        raise click.BadParameter(
            f"`{spec_file}` is a policy, not a standard; give the standard's .aicx file "
            "(e.g. spec/aicxs-2024.aicx)",
            param_hint="SPEC",
        )
    date = evaluation_date(as_of)
    emit(oscal_catalog(load_standard(spec_file).standard, date), output)
    return EXIT_OK


LSP_MODULES = ("pygls", "lsprotocol")


@click.command()
@click.option(
    "--stdio",
    is_flag=True,
    help="Talk over stdin and stdout (the only transport; accepted for clients that pass it).",
)
@guarded
def lsp(stdio: bool) -> int:
    """The language server for .aicx files (Language Server Protocol over stdin and stdout):
    diagnostics, hover, go to definition, references, completion, formatting, outline and
    quick fixes. Editors start it; see editors/vscode."""
    import gc

    require_lsp_extra()
    import aicxs
    from aicxs.engine.authoring.lsp import serve_stdio

    gc.enable()  # a long-running process (the `aicxs` command had it off; see cli.main)
    serve_stdio(aicxs.__version__)
    return EXIT_OK


def require_lsp_extra() -> None:
    """The server's dependencies are an extra; say which to install when one is missing."""
    import importlib.util

    missing = [m for m in LSP_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise click.UsageError(
            f"`aicxs lsp` needs the language server's dependencies ({', '.join(missing)} "
            "missing): pip install 'aicxs[lsp]'"
        )
