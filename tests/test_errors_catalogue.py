"""docs/errors.md documents every error code the code can raise, and only those.

The codes are found in the source as string literals (`"aicxs_parse_error"`, also at the start
of a message such as `"aicxs_internal_error: ..."`) and as f-string templates
(`f"aicxs_{what}_of_mandatory"`, which must match at least one documented code), in
aicxs_dsl/, engine/ and cli.py, so the codes of a new command are picked up by themselves.
Names that are not error codes (metric names given to prometheus, the package name) are
recognised by where they stand, not listed by hand.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

CATALOGUE = ROOT / "docs" / "errors.md"
CODE = re.compile(r"^(aicxs_[a-z_]+)(?::|$)")
SOURCES = [*sorted((ROOT / "aicxs_dsl").rglob("*.py")), *sorted((ROOT / "engine").rglob("*.py"))]
SOURCES.append(ROOT / "cli.py")
METRIC_CALLS = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}
NOT_CODES = {"aicxs_dsl"}  # the package's name (e.g. `resources.files("aicxs_dsl")`)


def _metric_names(tree: ast.AST) -> set[int]:
    """ids of the string constants that name a prometheus metric: `Counter("aicxs_...", ...)`."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in METRIC_CALLS and isinstance(node.args[0], ast.Constant):
                found.add(id(node.args[0]))
    return found


def _codes_in(path: Path) -> Iterator[tuple[str, bool]]:
    """(code or template regex, is a template) for each code written in the file."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    metrics = _metric_names(tree)
    in_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            in_fstring.update(id(v) for v in node.values)
            yield from _template(node)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in metrics
            and id(node) not in in_fstring
            and (m := CODE.match(node.value))
            and m.group(1) not in NOT_CODES
        ):
            yield m.group(1), False


def _template(node: ast.JoinedStr) -> Iterator[tuple[str, bool]]:
    first = node.values[0] if node.values else None
    if not (isinstance(first, ast.Constant) and str(first.value).startswith("aicxs_")):
        return
    pattern = ""
    for value in node.values:
        if isinstance(value, ast.Constant):
            text = str(value.value)
            if " " in text or ":" in text:  # the code ends where the message starts
                pattern += re.escape(re.split(r"[ :]", text)[0])
                break
            pattern += re.escape(text)
        else:
            pattern += "[a-z_]+"
    yield pattern, True


def source_codes() -> tuple[set[str], set[str]]:
    literal, templates = set(), set()
    for path in SOURCES:
        for code, is_template in _codes_in(path):
            (templates if is_template else literal).add(code)
    return literal, templates


def catalogued() -> list[str]:
    return re.findall(r"^### `(aicxs_[a-z_]+)`", CATALOGUE.read_text("utf-8"), re.M)


def test_every_code_in_the_source_is_in_the_catalogue() -> None:
    literal, templates = source_codes()
    documented = set(catalogued())
    assert sorted(literal - documented) == []
    for pattern in templates:
        assert any(re.fullmatch(pattern, c) for c in documented), pattern


def test_every_catalogued_code_is_in_the_source() -> None:
    literal, templates = source_codes()
    unused = [
        c
        for c in catalogued()
        if c not in literal and not any(re.fullmatch(p, c) for p in templates)
    ]
    assert unused == []


def test_each_code_is_documented_once_with_an_example_message_and_fix() -> None:
    codes = catalogued()
    assert len(codes) == len(set(codes)), [c for c in codes if codes.count(c) > 1]
    text = CATALOGUE.read_text("utf-8")
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        code = section.split("`")[1]
        assert "**Example**" in section, code
        assert "**Message**" in section, code
        assert "**Fix**" in section, code


def test_the_scan_finds_codes_of_every_kind() -> None:
    """The scan itself: literals, codes at the start of a message, templates; no metrics."""
    literal, templates = source_codes()
    assert {"aicxs_parse_error", "aicxs_facts_alias", "aicxs_internal_error"} <= literal
    assert "aicxs_[a-z_]+_of_mandatory" in templates
    assert not any(c.startswith("aicxs_http_") for c in literal)
    assert "aicxs_dsl" not in literal
