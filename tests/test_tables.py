"""The parser tables shipped with the package fit the grammar, and give the parser Lark builds.

After a change to `aicxs_dsl/grammar.lark`, regenerate them: `python -m aicxs.aicxs_dsl.tables`.
"""

from __future__ import annotations

import json

import pytest
from lark import Lark

from aicxs.aicxs_dsl import tables
from tests.conftest import ROOT

REGENERATE = "the shipped tables are stale: run `python -m aicxs.aicxs_dsl.tables`"


def test_the_shipped_tables_were_made_from_this_grammar() -> None:
    first = (ROOT / "aicxs_dsl" / tables.TABLES_FILE).read_bytes().split(b"\n", 1)[0]
    header = json.loads(first)
    assert header["grammar_sha256"] == tables.header(tables.grammar_text())["grammar_sha256"], (
        REGENERATE
    )


def test_the_loaded_parser_parses_as_a_freshly_built_one() -> None:
    text = (ROOT / "spec" / "aicxs-2024.aicx").read_text("utf-8")
    built = Lark(tables.grammar_text(), **tables.OPTIONS)
    assert tables.load_parser().parse(text) == built.parse(text)


def test_stale_tables_are_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[object] = []
    monkeypatch.setattr(tables.Lark, "load", lambda f: loaded.append(f))
    changed = tables.grammar_text() + "\n// changed\n"
    monkeypatch.setattr(tables, "grammar_text", lambda: changed)
    assert tables.load_parser().parse("standard X 2024 { }") is not None
    assert loaded == []  # built from the grammar, not loaded from tables made for another


def test_fitting_tables_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    real, loaded = tables.Lark.load, []
    monkeypatch.setattr(tables.Lark, "load", lambda f: loaded.append(f) or real(f))
    tables.load_parser()
    assert len(loaded) == 1
