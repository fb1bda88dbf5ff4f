"""Two versions of a standard → what changed, in the standard's own terms, and what it breaks.

`diff_standards(old, new)` matches clauses by id, then the unmatched ones by the similarity of
their title and text (a clause renamed or moved to another pillar), and notices a new clause that
took over part of an old one (a split). Every difference becomes a `Change` (`diff_change.py`),
found part by part (`diff_sections.py`, `diff_parameters.py`, `diff_clauses.py`, `diff_facts.py`).
"""

from __future__ import annotations

from aicxs.aicxs_dsl.textdiff import WORK, opcodes, ratio
from aicxs.engine.authoring.diff_change import StandardDiff
from aicxs.engine.authoring.diff_clauses import _clause_changes, _key_requirement_changes
from aicxs.engine.authoring.diff_facts import _fact_changes
from aicxs.engine.authoring.diff_parameters import _parameter_changes
from aicxs.engine.authoring.diff_sections import (
    _framework_changes,
    _header_changes,
    _level_changes,
    _pillar_changes,
    _role_changes,
    _stage_changes,
)
from aicxs.engine.graph import natural_key
from aicxs.engine.loader import LoadedStandard
from aicxs.engine.model import Clause, Standard

RENAME_THRESHOLD = 0.6  # title+text similarity above which an unmatched pair is one clause
SPLIT_THRESHOLD = 0.55  # similarity of a new clause to the old text of a clause it split from
SPLIT_MARGIN = 0.1  # ... which the kept clause must have lost (its new text is less similar)


# ---- the standards -------------------------------------------------------------------------


def diff_standards(old: LoadedStandard, new: LoadedStandard) -> StandardDiff:
    """Every difference between two checked standards, in section order."""
    a, b = old.standard, new.standard
    renamed, similarity = _match_renames(a, b)
    split_from = _match_splits(a, b, renamed)
    repurposed = _match_repurposed(a, b)
    d = StandardDiff(a, b, [], renamed, similarity, split_from, repurposed)
    for section in (
        _header_changes,
        _level_changes,
        _role_changes,
        _stage_changes,
        _parameter_changes,
        _framework_changes,
        _pillar_changes,
    ):
        d.changes.extend(section(d))
    d.changes.extend(_clause_changes(d, old, new))
    d.changes.extend(_key_requirement_changes(d))
    d.changes.extend(_fact_changes(d))
    return d


def similarity(a: Clause, b: Clause) -> float:
    """How alike two clauses read, 0 to 1: difflib's ratio over the characters of their title and
    text; over their words when the texts are too long to compare character by character."""
    x, y = _words(a), _words(b)
    if len(x) * len(y) <= WORK:
        return ratio(x, y)
    return ratio(x.split(), y.split())


def _words(c: Clause) -> str:
    return " ".join(f"{c.title} {c.text}".lower().split())


def _match_repurposed(a: Standard, b: Standard) -> dict[str, float]:
    """Ids kept for another requirement: retitled (or withdrawn, then in force again), and their
    title and text read no more alike than two clauses that are not one (below the rename
    threshold)."""
    found = {}
    for i, old in [*a.clauses.items(), *a.withdrawn.items()]:
        new = b.clauses.get(i)
        if new is not None and (new.title != old.title or i in a.withdrawn):
            alike = similarity(old, new)
            if alike < RENAME_THRESHOLD:
                found[i] = round(alike, 2)
    return found


def _match_renames(a: Standard, b: Standard) -> tuple[dict[str, str], dict[str, float]]:
    """Removed and added clauses paired, best first, when they read alike enough."""
    # A clause withdrawn is not renamed, and a withdrawn id reused is not a rename either.
    gone = [c for c in a.clauses.values() if c.id not in b.clauses and c.id not in b.withdrawn]
    came = [c for c in b.clauses.values() if c.id not in a.clauses and c.id not in a.withdrawn]
    scored = sorted(
        ((similarity(o, n), o.id, n.id) for o in gone for n in came),
        key=lambda s: (-s[0], natural_key(s[1]), natural_key(s[2])),
    )
    renamed: dict[str, str] = {}
    score: dict[str, float] = {}
    for alike, old_id, new_id in scored:
        if alike >= RENAME_THRESHOLD and old_id not in renamed and new_id not in renamed.values():
            renamed[old_id], score[old_id] = new_id, round(alike, 2)
    return renamed, score


def _match_splits(a: Standard, b: Standard, renamed: dict[str, str]) -> dict[str, str]:
    """New clause → the kept clause whose old text it reads like more than its new text does."""
    added = [
        c
        for c in b.clauses.values()
        if c.id not in a.clauses and c.id not in a.withdrawn and c.id not in renamed.values()
    ]
    kept = [c for c in a.clauses.values() if c.id in b.clauses and c.text != b.clauses[c.id].text]
    found: dict[str, str] = {}
    for clause in added:
        best = max(kept, key=lambda k: similarity(clause, k), default=None)
        if best is None:
            continue
        before, after = similarity(clause, best), similarity(clause, b.clauses[best.id])
        if before >= SPLIT_THRESHOLD and before - after >= SPLIT_MARGIN:
            found[clause.id] = best.id
    return found


# ---- helpers for renderers -----------------------------------------------------------------


def word_diff(
    old: str,
    new: str,
    dropped: tuple[str, str] = ("[-", "-]"),
    added: tuple[str, str] = ("{+", "+}"),
) -> str:
    """`new` with the words it drops from `old` and the words it adds marked."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in opcodes(a, b):
        if op in ("delete", "replace"):
            out.append(dropped[0] + " ".join(a[i1:i2]) + dropped[1])
        if op in ("insert", "replace"):
            out.append(added[0] + " ".join(b[j1:j2]) + added[1])
        if op == "equal":
            out.append(" ".join(a[i1:i2]))
    return " ".join(out)
