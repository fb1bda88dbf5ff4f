"""Words for messages: a count with its noun in the right number, and the right article.

Every message of `aicxs` that counts something or names a thing with an article goes through
these few functions (`count(1, "system")` → `1 system`, `a("expires ...")` → `an`), so
"1 systems" or "a `expires` line" cannot be written by hand in one place and not another.
Lives in `aicxs_dsl` so that the language's own messages can use it too.
"""

from __future__ import annotations

# The units of a duration, as messages list them, and how long the calendar-like ones are.
DURATION_UNITS = "seconds, minutes, hours, days, weeks, months or years"
UNIT_LENGTHS = "a month counts as 30 days 10 hours (a twelfth of a year) and a year as 365 days"

# Nouns whose plural is not the noun + "s" (or "es" after s, x, ch, sh; "ies" after a
# consonant and y), as messages use them.
_IRREGULAR = {"criterion": "criteria", "child": "children", "person": "people"}
# Words starting with a vowel letter but a consonant sound, and the reverse.
_CONSONANT_SOUND = ("uni", "use", "user", "usu", "one", "once", "eu", "ur")
_VOWEL_SOUND = ("hour", "honest", "honour", "heir")
_VOWEL_LETTERS = "aeiou"


def plural(noun: str) -> str:
    """`system` → `systems`, `box` → `boxes`, `policy` → `policies`."""
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if len(noun) > 1 and noun.endswith("y") and noun[-2] not in _VOWEL_LETTERS:
        return noun[:-1] + "ies"
    return noun + "s"


def noun(n: int, singular: str, many: str | None = None) -> str:
    """The noun alone, in the number `n` asks for: `noun(1, "fact")` → `fact`."""
    return singular if n == 1 else (many or plural(singular))


def count(n: int, singular: str, many: str | None = None) -> str:
    """`1 system`, `0 systems`, `2 answers`; `many` when the plural is not regular."""
    return f"{n} {noun(n, singular, many)}"


def verb(n: int, one: str, other: str) -> str:
    """The verb agreeing with a count: `verb(n, "is", "are")`, `verb(n, "was", "were")`."""
    return one if n == 1 else other


def article(word: str) -> str:
    """`a` or `an` for the word that follows, by its first sound (backticks and quotes
    ignored): `an` `expires` line, `a` system, `an` AI system, `a` unique id."""
    bare = word.lstrip("`\"'([ ").lower()
    if not bare:
        return "a"
    if _is_initialism(word.lstrip("`\"'([ ")):
        return "an" if bare[0] in "aefhilmnorsx" else "a"  # letters read by name: an AI, an SLA
    if bare.startswith(_VOWEL_SOUND):
        return "an"
    if bare.startswith(_CONSONANT_SOUND):
        return "a"
    return "an" if bare[0] in _VOWEL_LETTERS else "a"


def with_article(word: str) -> str:
    """`an `expires ...` line`: the word with its article."""
    return f"{article(word)} {word}"


def _is_initialism(word: str) -> bool:
    """`AI`, `SLA`, `GDPR`: two or more capitals read letter by letter."""
    head = word.split(" ", 1)[0].rstrip(".,;:`\"')")
    return len(head) >= 2 and head.isupper() and head.isalpha()
