"""`aicxs history` and `aicxs compare`: the Evolve stage, from the store of evaluations
(`aicxs check --record` and the Online Assessment add to it)."""

from __future__ import annotations

import importlib.util
from typing import Any, TypeVar

import click

from aicxs.engine.console import EXIT_OK, emit, guarded, output_options

F = TypeVar("F")
STORE_MODULES = ("sqlalchemy",)

store_option = click.option(
    "--store",
    "store_url",
    envvar="AICXS_STORE",
    metavar="URL",
    help="Where evaluations are kept: a SQLite file (default: aicxs.sqlite here, or "
    "$AICXS_STORE) or a SQLAlchemy URL such as postgresql+psycopg://user@host/db.",
)


def require_store_extra() -> None:
    missing = [m for m in STORE_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise click.UsageError(
            f"the store needs its dependencies ({', '.join(missing)} missing): "
            "pip install 'aicxs[store]'"
        )


def open_store(url: str | None) -> Any:
    require_store_extra()
    from aicxs.engine.store import open_store as open_

    return open_(url)


@click.command()
@store_option
@click.option("--policy", "policy_id", metavar="ID", help="Only the records of this policy id.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@output_options("the history")
@guarded
def history(store_url: str | None, policy_id: str | None, fmt: str, output: str | None) -> int:
    """The evaluations kept in the store, oldest first, with their numbers for `compare`."""
    from aicxs.engine.evolve.render import history_json, history_text

    store = open_store(store_url)
    try:
        records = store.history(policy_id)
    finally:
        store.close()
    render = history_json if fmt == "json" else history_text
    emit(render(records, store.shown), output)
    return EXIT_OK


@click.command()
@click.argument("before", metavar="A", type=click.IntRange(min=1))
@click.argument("after", metavar="B", type=click.IntRange(min=1))
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="html: a self-contained page.",
)
@output_options("the comparison")
@guarded
def compare(before: int, after: int, store_url: str | None, fmt: str, output: str | None) -> int:
    """What changed between recorded evaluations A and B (numbers from `aicxs history`):
    verdict, maturity per pillar, and each result that flipped, with the facts, standard or
    policy changes that explain it."""
    from aicxs.engine.evolve.compare import compare as compare_records
    from aicxs.engine.evolve.render import comparison_json, comparison_text

    store = open_store(store_url)
    try:
        a, b = store.get(before), store.get(after)
        standard_change = _standard_change(store, a.summary, b.summary)
    finally:
        store.close()
    c = compare_records(a, b)
    if fmt == "json":
        emit(comparison_json(c), output)
    elif fmt == "html":
        from aicxs.engine.evolve.html import comparison_html

        emit(comparison_html(c), output)
    else:
        emit(comparison_text(c) + standard_change, output)
    return EXIT_OK


def _standard_change(store: Any, a: Any, b: Any) -> str:
    """When the two records used different texts of the standard, what `aicxs diff` says
    changed (the CLI may use the authoring wing; the evolve wing may not)."""
    if a.standard_sha256 == b.standard_sha256:
        return ""
    old, new = store.text(a.standard_sha256), store.text(b.standard_sha256)
    if old is None or new is None:
        return ""
    from aicxs.aicxs_dsl import parse_text
    from aicxs.aicxs_dsl.diagnostics import DiagnosticError
    from aicxs.engine.authoring.diff import diff_standards
    from aicxs.engine.authoring.diff_report import diff_json, diff_text
    from aicxs.engine.loader import standard_from_module

    try:
        before = standard_from_module(parse_text(old, f"standard of record {a.id}"))
        after = standard_from_module(parse_text(new, f"standard of record {b.id}"))
    except DiagnosticError:
        return "\nThe standard's texts differ; one of them no longer loads, so no diff.\n"
    found = diff_text(diff_json(diff_standards(before, after), []))
    return "\nThe standard changed between the two records (`aicxs diff`):\n" + found
