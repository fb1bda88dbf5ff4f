"""Comparisons with bounded work (`aicxs_dsl/textdiff.py`): the opcodes always turn one text
into the other and are difflib's own within the budget; beyond it, the common start and end are
kept and the middle replaced. `aicxs fmt --diff` writes difflib's unified diff, and of a huge
file weighs no more than its budget."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aicxs.aicxs_dsl import textdiff
from tests.conftest import run_cli

WORDS = st.lists(st.sampled_from("abc"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(a=WORDS, b=WORDS, work=st.integers(0, 40))
def test_opcodes_turn_one_text_into_the_other_within_any_budget(
    a: list[str], b: list[str], work: int
) -> None:
    found = textdiff.opcodes(a, b, work)
    rebuilt: list[str] = []
    at_a = at_b = 0
    for op, i1, i2, j1, j2 in found:
        assert (i1, j1) == (at_a, at_b)  # contiguous, in order
        if op == "equal":
            assert a[i1:i2] == b[j1:j2]
        rebuilt += b[j1:j2]
        at_a, at_b = i2, j2
    assert (at_a, at_b, rebuilt) == (len(a), len(b), b)
    if len(a) * len(b) <= work:  # within the budget: exactly difflib's answer
        assert found == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def test_beyond_the_budget_the_common_start_and_end_are_kept_and_the_middle_replaced() -> None:
    a = "the body meets x y z w v u every quarter".split()  # noqa: SIM905 (words, as read)
    b = "the body meets p q r s t o every quarter".split()  # noqa: SIM905
    assert textdiff.opcodes(a, b, 10) == [
        ("equal", 0, 3, 0, 3),
        ("replace", 3, 9, 3, 9),
        ("equal", 9, 11, 9, 11),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textdiff, "WORK", 10)
        assert textdiff.ratio(a, b) == 2 * 5 / 22


LINES = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "}\n", "d"]), max_size=30)


@settings(max_examples=200, deadline=None)
@given(before=LINES, after=LINES, context=st.integers(0, 4))
def test_the_unified_diff_is_difflibs(before: list[str], after: list[str], context: int) -> None:
    assert list(textdiff.unified_diff(before, after, "x.aicx", "x.aicx (formatted)", context)) == (
        list(difflib.unified_diff(before, after, "x.aicx", "x.aicx (formatted)", n=context))
    )


def test_fmt_diff_of_a_huge_file_weighs_no_more_than_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60,000 lines, every other block indented wrongly: the diff took nearly two minutes."""
    blocks = [
        f'role r{i} "R{i}" {{\n{"    " if i % 2 else "  "}text "t"\n}}\n' for i in range(20_000)
    ]
    path = tmp_path / "many.aicx"
    path.write_text("".join(blocks), "utf-8")
    weighed: list[int] = []
    real = difflib.SequenceMatcher

    def watched(junk: object, a: list[str], b: list[str], autojunk: bool = True) -> object:
        weighed.append(len(a) * len(b))
        return real(None, a, b, autojunk=autojunk)

    monkeypatch.setattr(textdiff.difflib, "SequenceMatcher", watched)
    run = run_cli("fmt", "--diff", str(path))
    assert run.exit_code == 1
    assert run.stdout.startswith(f"--- {path}\n+++ {path} (formatted)\n@@ -1,")
    assert '-    text "t"\n' in run.stdout and '+  text "t"\n' in run.stdout
    assert max(weighed, default=0) <= textdiff.LINE_WORK
