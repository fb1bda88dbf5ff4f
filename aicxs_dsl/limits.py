"""Limits on what the engine reads, so that no input can take unbounded time or memory.

Each limit turns an oversized or overdeep input into a located diagnostic before the work it
would cost is done (and never into a `RecursionError` or an out-of-memory). The limits in
`SETTINGS` can be changed with an environment variable, read at each use: the sizes of files
and of lists, and the worst-case cost of a check (how deep quantifiers over lists nest, how
many one check holds, how large it is). The others guard Python's recursion and the exactness
of numbers, so they are fixed. See docs/errors.md ("Limits").
"""

from __future__ import annotations

import os

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError

MAX_FILE_BYTES = 16_000_000  # a `.aicx` file; a standard with 10,000 clauses is about 7.5 MB
MAX_FACTS_BYTES = 256_000_000  # a facts file; 100,000 systems of the bank example: 143 MB JSON
MAX_LIST_ITEMS = 100_000  # items of one list (or keys of one mapping) in a facts file
MAX_NESTING = 64  # brackets and blocks in a `.aicx` file (checked before parsing)
MAX_EXPR_DEPTH = 100  # operators nested in one expression (`not not ...`, `a and b and ...`)
MAX_STRING_CHARS = 100_000  # one text, in a `.aicx` file or a facts file
MAX_FACTS_DEPTH = 32  # nesting of mappings and lists in a facts file
MAX_INT = 2**53  # whole numbers beyond this lose precision in JSON consumers
# What one check may cost. Its items are evaluated once per item of each list it quantifies
# over, so quantifiers nested k deep cost N^k for N systems; statically only k is known.
MAX_QUANTIFIER_NESTING = 2  # quantifiers over lists, one inside another (N^2 at most)
MAX_CHECK_QUANTIFIERS = 64  # quantifiers (`all`, `any`, `none`, `count`) in one check
MAX_CHECK_TOKENS = 10_000  # names, literals and operators in one check: its cost per item
MAX_LIST_LITERAL = 10_000  # items of one `[...]` in a `.aicx` file (checked before parsing)
# What one request to the decision service may cost (engine/service/limits.py).
MAX_REQUEST_WORK = 2_000_000  # item evaluations: 40 quantifiers over 50,000 systems
MAX_RESPONSE_BYTES = 32 * 1024 * 1024  # one report
MAX_BATCH_LINES = 1_000  # evaluation requests in one `POST /v1/evaluate/batch`

# The limits a user may change: environment variable → default.
SETTINGS = {
    "AICXS_MAX_FILE_BYTES": MAX_FILE_BYTES,
    "AICXS_MAX_FACTS_BYTES": MAX_FACTS_BYTES,
    "AICXS_MAX_LIST_ITEMS": MAX_LIST_ITEMS,
    "AICXS_MAX_QUANTIFIER_NESTING": MAX_QUANTIFIER_NESTING,
    "AICXS_MAX_CHECK_QUANTIFIERS": MAX_CHECK_QUANTIFIERS,
    "AICXS_MAX_CHECK_TOKENS": MAX_CHECK_TOKENS,
    "AICXS_MAX_LIST_LITERAL": MAX_LIST_LITERAL,
    "AICXS_MAX_REQUEST_WORK": MAX_REQUEST_WORK,
    "AICXS_MAX_RESPONSE_BYTES": MAX_RESPONSE_BYTES,
    "AICXS_MAX_BATCH_LINES": MAX_BATCH_LINES,
    "AICXS_MAX_EVALUATIONS": 1,  # unset: what memory allows (engine/service/limits.py)
}


def setting(name: str) -> int:
    """The limit `name` (one of `SETTINGS`): the environment's value, or the default."""
    raw = os.environ.get(name, "").strip().replace("_", "").replace(",", "")
    if not raw:
        return SETTINGS[name]
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 2**62:
        return int(raw)
    raise DiagnosticError(
        [
            Diagnostic(
                "aicxs_limit_setting",
                f"environment variable `{name}` is `{os.environ[name][:40]}`, "
                "not a whole number above 0",
                None,
                f"set it to a whole number such as {SETTINGS[name]} (the default), or unset it",
                path=name,
            )
        ]
    )


def max_file_bytes() -> int:
    return setting("AICXS_MAX_FILE_BYTES")


def max_facts_bytes() -> int:
    return setting("AICXS_MAX_FACTS_BYTES")


def max_list_items() -> int:
    return setting("AICXS_MAX_LIST_ITEMS")


def max_list_literal() -> int:
    return setting("AICXS_MAX_LIST_LITERAL")
