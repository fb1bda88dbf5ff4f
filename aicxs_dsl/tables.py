"""The parser's LALR tables, shipped with the package so that no process has to build them.

Building the tables from `grammar.lark` takes about 0.1 s; loading the shipped file
(`grammar.tables`, written by `python -m aicxs.aicxs_dsl.tables`) takes a fifth of that. The
file starts with one JSON line naming the grammar's SHA-256 and the Lark version that wrote it;
when either differs from what is installed, the tables are built in memory instead. Nothing is
ever written at run time (no cache in the user's home folder).
"""

from __future__ import annotations

import hashlib
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark import Lark

OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "propagate_positions": True,
    "maybe_placeholders": True,
}
TABLES_FILE = "grammar.tables"


def grammar_text() -> str:
    return resources.files(__package__).joinpath("grammar.lark").read_text("utf-8")


def header(grammar: str) -> dict[str, str]:
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()
    return {"grammar_sha256": digest, "lark": lark.__version__}


def load_parser() -> Lark:
    """The parser from the shipped tables when they fit the grammar and Lark; else built."""
    grammar = grammar_text()
    try:
        data = resources.files(__package__).joinpath(TABLES_FILE).read_bytes()
        first, _, rest = data.partition(b"\n")
        if json.loads(first) == header(grammar):
            return Lark.load(io.BytesIO(rest))
    except (OSError, ValueError):
        pass  # missing or unreadable: build them
    return Lark(grammar, **OPTIONS)


def write_tables(folder: Path) -> Path:
    """Build the tables and write them beside the grammar (a developer's step, not run time)."""
    grammar = grammar_text()
    out = io.BytesIO()
    Lark(grammar, **OPTIONS).save(out)
    target = folder / TABLES_FILE
    target.write_bytes(json.dumps(header(grammar)).encode("utf-8") + b"\n" + out.getvalue())
    return target


if __name__ == "__main__":  # `python -m aicxs.aicxs_dsl.tables` after changing the grammar
    write_tables(Path(__file__).resolve().parent)
