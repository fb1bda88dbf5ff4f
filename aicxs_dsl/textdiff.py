"""Two texts compared with bounded work: the changes between two lists of words or lines, how
alike they are, and a unified diff of two files.

difflib's matcher weighs, in the worst case, every pair of elements of the two sequences, so
its work grows with the product of their lengths: two clause texts of 16,000 words took 20 s,
and `aicxs fmt --diff` of a 60,000-line file nearly two minutes. Here a comparison weighs at
most `work` pairs: beyond it the common start and end are matched, and the part between them
is compared only if it fits, else reported replaced as a whole. Within the budget the answer
is exactly difflib's.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

# Pairs of elements one comparison may weigh (a few hundredths of a second at worst).
WORK = 1_000_000
# ... for the lines of two files: one comparison per file, so a larger budget (5,000 lines).
LINE_WORK = 25_000_000

Opcode = tuple[str, int, int, int, int]


def opcodes(a: Sequence[str], b: Sequence[str], work: int | None = None) -> list[Opcode]:
    """difflib's opcodes turning `a` into `b`, weighing at most `work` (default `WORK`) pairs."""
    budget = WORK if work is None else work
    if len(a) * len(b) <= budget:
        return list(difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes())
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-end - 1] == b[-end - 1]:
        end += 1
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    found: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    if len(middle_a) * len(middle_b) <= budget:
        found += [
            (op, i1 + start, i2 + start, j1 + start, j2 + start)
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
                None, middle_a, middle_b, autojunk=False
            ).get_opcodes()
        ]
    elif middle_a or middle_b:
        op = "replace" if middle_a and middle_b else "delete" if middle_a else "insert"
        found.append((op, start, len(a) - end, start, len(b) - end))
    if end:
        found.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    return found


def ratio(a: Sequence[str], b: Sequence[str]) -> float:
    """How alike two sequences are, 0 to 1: difflib's ratio (twice the matched elements over
    all of them), from the bounded `opcodes`."""
    if not a and not b:
        return 1.0
    matched = sum(i2 - i1 for op, i1, i2, _, _ in opcodes(a, b) if op == "equal")
    return 2 * matched / (len(a) + len(b))


class _Bounded(difflib.SequenceMatcher[str]):
    """difflib's matcher whose opcodes (and so its grouped opcodes) are the bounded ones."""

    def set_seqs(self, a: Sequence[str], b: Sequence[str]) -> None:
        self.lines = (a, b)
        super().set_seqs(a, b)

    def get_opcodes(self) -> list[Opcode]:  # type: ignore[override]
        return opcodes(*self.lines, LINE_WORK)


def unified_diff(
    before: list[str], after: list[str], fromfile: str, tofile: str, context: int = 3
) -> Iterator[str]:
    """The lines of a unified diff (as `diff -u` writes it) turning `before` into `after`."""
    groups = list(_Bounded(None, before, after, autojunk=False).get_grouped_opcodes(context))
    if not groups:
        return
    yield f"--- {fromfile}\n"
    yield f"+++ {tofile}\n"
    for group in groups:
        first, last = group[0], group[-1]
        yield f"@@ -{_lines(first[1], last[2])} +{_lines(first[3], last[4])} @@\n"
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                yield from (" " + line for line in before[i1:i2])
                continue
            yield from ("-" + line for line in before[i1:i2])
            yield from ("+" + line for line in after[j1:j2])


def _lines(start: int, stop: int) -> str:
    """A hunk's range: `first,count`, the count left out when it is 1 (and `first` the line
    before, when it is 0)."""
    count = stop - start
    if count == 1:
        return str(start + 1)
    return f"{start + 1 if count else start},{count}"
