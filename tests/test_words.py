"""Words in messages (aicxs_dsl/words.py): counts agree with their nouns and articles with the
word that follows, and every message goes through these helpers, never a hand-made plural."""

from __future__ import annotations

import re

import pytest

from aicxs.aicxs_dsl.words import article, count, noun, plural, verb, with_article
from tests.conftest import ROOT, run_cli


@pytest.mark.parametrize(
    ("n", "word", "text"),
    [
        (0, "system", "0 systems"),
        (1, "system", "1 system"),
        (2, "system", "2 systems"),
        (1, "answer", "1 answer"),
        (3, "policy", "3 policies"),
        (2, "day", "2 days"),  # a vowel before the y
        (2, "box", "2 boxes"),
        (2, "match", "2 matches"),
        (2, "criterion", "2 criteria"),
    ],
)
def test_a_count_agrees_with_its_noun(n: int, word: str, text: str) -> None:
    assert count(n, word) == text


def test_irregular_plurals_can_be_given() -> None:
    assert count(2, "fish", "fish") == "2 fish"
    assert noun(1, "fact") == "fact" and plural("fact") == "facts"
    assert verb(1, "is", "are") == "is" and verb(2, "is", "are") == "are"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("`expires ...`", "an"),
        ("system", "a"),
        ("AI system", "an"),
        ("`int`", "an"),
        ("`date`", "a"),
        ("unique id", "a"),
        ("hour", "an"),
        ("item to `systems`", "an"),
        ("SLA", "an"),
        ("GDPR article", "a"),
        ("enum(low, high)", "an"),
        ("list of string", "a"),
    ],
)
def test_the_article_follows_the_first_sound(word: str, expected: str) -> None:
    assert article(word) == expected
    assert with_article(word) == f"{expected} {word}"


# Hand-made plurals and articles the helpers replace: `{n} thing{'s' if n != 1 else ''}`,
# `thing(s)`, and `a {something}` / `an {something}` before a word only known at run time.
HAND_MADE = re.compile(r"""\{\s*['"]s['"]\s+if\b|(?<!\w)[a-z]+\(s\)|[^\w](?:a|an) `?\{""")


def test_no_message_makes_its_own_plural_or_article() -> None:
    found = []
    for path in sorted(
        [
            *ROOT.glob("engine/**/*.py"),
            *ROOT.glob("aicxs_dsl/*.py"),
            ROOT / "cli.py",
        ]
    ):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if HAND_MADE.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_no_template_makes_its_own_plural() -> None:
    """Jinja's `{{ "s" if n != 1 }}` is hand-made too: templates use the `count` filter."""
    hand_made = re.compile(r"""\{\{[^}]*['"]s['"]\s+if\b""")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(ROOT.glob("engine/**/*.j2"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if hand_made.search(line)
    ]
    assert found == []


def test_a_missing_attribute_is_named_with_the_right_article(tmp_path) -> None:
    policy = tmp_path / "p.aicx"
    policy.write_text(
        "policy p implements AICXS 2024 {\n  target level 2\n"
        '  waive P2.4 {\n    justification "cards"\n    approver "CRO"\n  }\n}\n',
        "utf-8",
    )
    r = run_cli("lint", str(policy))
    assert "add an `expires ...` line to the block" in r.stdout
