"""Two standards → the changes to their clauses and key requirements. Clauses are paired by id or
by the rename `diff.py` found; each pair goes through one comparison per attribute (title,
pillar, level, owner, text, evidence, prerequisites, crosswalk, check), and each change names
what depends on the clause. Breaking are, e.g., a new clause, a changed check, an earlier level.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.engine.authoring.diff_change import (
    Change,
    StandardDiff,
    _breaking,
    _expr,
    _norm,
    _requirement_text,
    _safe,
)
from aicxs.engine.authoring.diff_checks import moves_text, number_moves, overall
from aicxs.engine.graph import dependents, natural_key
from aicxs.engine.loader import LoadedStandard
from aicxs.engine.model import Clause, CrosswalkRef, KeyRequirement, strength

# ---- clauses -------------------------------------------------------------------------------

ClauseCompare = Callable[[StandardDiff, Clause, Clause], Iterator[Change]]


def _clause_changes(d: StandardDiff, before: LoadedStandard, after: LoadedStandard) -> list[Change]:
    a, b = d.old.clauses, d.new.clauses
    found: list[Change] = []
    for c in a.values():
        if c.id in d.new.withdrawn:
            found.append(_withdrawn(d.new.withdrawn[c.id], tuple(dependents(before.graph, c.id))))
        elif c.id not in b and c.id not in d.renamed:
            found.append(_removed(c, tuple(dependents(before.graph, c.id))))
    for c in b.values():
        if c.id in d.old.withdrawn and c.id in d.repurposed:
            found.append(_reused(d.old.withdrawn[c.id], c))
        elif c.id in d.old.withdrawn:
            affects = tuple(dependents(after.graph, c.id))
            found.append(_reinstated(d, d.old.withdrawn[c.id], c, affects))
        elif c.id not in a and c.id not in d.renamed.values():
            found.append(_added(d, c, tuple(dependents(after.graph, c.id))))
    for c in d.old.withdrawn.values():
        if c.id not in d.new.withdrawn and c.id not in b:
            found.append(_record_dropped(c))
    pairs = [(a[i], b[i]) for i in a if i in b]
    pairs += [(a[old], b[new]) for old, new in d.renamed.items()]
    for old, new in pairs:
        affects = tuple(dependents(after.graph, new.id))
        touches = tuple(sorted({f"clause:{old.id}", f"clause:{new.id}"}))
        for compare in _CLAUSE_COMPARES:
            for change in compare(d, old, new):
                found.append(dataclasses.replace(change, touches=touches, affects=affects))
    order = {kind: i for i, kind in enumerate(CLAUSE_KINDS)}
    return sorted(found, key=lambda c: (natural_key(c.subject), order[c.kind]))


def _removed(c: Clause, affects: tuple[str, ...]) -> Change:
    return _breaking(
        "clause_removed",
        c.id,
        f'clause {c.id} "{c.title}" removed',
        f"policies that exclude, waive or refine `{c.id}` no longer load; its result "
        'disappears from reports. Retire a clause with `withdrawn "<reason>"` instead of '
        "deleting it: readers see why it went, and its id is never reused",
        _clause_card(c),
        None,
        (f"clause:{c.id}",),
        affects,
    )


def _withdrawn(c: Clause, affects: tuple[str, ...]) -> Change:
    when = f" in {c.withdrawn_in}" if c.withdrawn_in else ""
    return _breaking(
        "clause_withdrawn",
        c.id,
        f'clause {c.id} "{c.title}" withdrawn{when}: {c.withdrawn}',
        f"policies that exclude, waive or refine `{c.id}` no longer load; it is no longer "
        "evaluated, and its id stays taken",
        _clause_card(c),
        {"withdrawn": c.withdrawn, "in": c.withdrawn_in},
        (f"clause:{c.id}",),
        affects,
    )


def _reused(old: Clause, new: Clause) -> Change:
    return _breaking(
        "clause_id_reused",
        new.id,
        f'clause {new.id} "{new.title}" reuses withdrawn id {old.id} (was "{old.title}")',
        f"a withdrawn id is never reused: results, waivers and audit trails that name "
        f"`{old.id}` would now mean another requirement. Give the new clause a new id and keep "
        f"`{old.id}` withdrawn",
        _clause_card(old),
        _clause_card(new),
        (f"clause:{new.id}",),
    )


def _reinstated(d: StandardDiff, old: Clause, new: Clause, affects: tuple[str, ...]) -> Change:
    return _breaking(
        "clause_reinstated",
        new.id,
        f'withdrawn clause {new.id} "{new.title}" is in force again',
        f"a requirement again: {_must_meet(d, new)}",
        _clause_card(old),
        _clause_card(new),
        (f"clause:{new.id}",),
        affects,
    )


def _record_dropped(c: Clause) -> Change:
    return Change(
        "clause_withdrawn_deleted",
        c.id,
        f'withdrawn clause {c.id} "{c.title}" deleted',
        False,
        f"no policy can name it, but the record of why it went is lost and its id could be "
        f"reused: keep `{c.id}` with its `withdrawn` line",
        _clause_card(c),
        None,
        (f"clause:{c.id}",),
        review=True,
    )


def _must_meet(d: StandardDiff, c: Clause) -> str:
    """What a clause now in force asks of policies: its pillar's level, and certification when a
    mandatory key requirement covers it."""
    covering = [kr for kr in d.new.key_requirements.values() if c.id in dict(kr.covers)]
    reason = f"policies must meet it for pillar {c.pillar} to reach level {c.level}"
    mandatory = [kr.id for kr in covering if kr.mandatory]
    if mandatory:
        reason += f", and for mandatory key requirement {', '.join(mandatory)} (certification)"
    return reason


def _added(d: StandardDiff, c: Clause, affects: tuple[str, ...]) -> Change:
    reason = f"a new requirement: {_must_meet(d, c)}"
    source = d.split_from.get(c.id)
    if source is not None:
        summary = f'clause {source} split: new clause {c.id} "{c.title}" takes over part of it'
        touches = (f"clause:{source}", f"clause:{c.id}")
        return _breaking(
            "clause_split", c.id, summary, reason, source, _clause_card(c), touches, affects
        )
    return _breaking(
        "clause_added",
        c.id,
        f'clause {c.id} "{c.title}" added (pillar {c.pillar}, level {c.level})',
        reason,
        None,
        _clause_card(c),
        (f"clause:{c.id}",),
        affects,
    )


def _clause_card(c: Clause) -> dict[str, Any]:
    return {"id": c.id, "title": c.title, "pillar": c.pillar, "level": c.level, "owner": c.owner}


def _renamed(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    if old.id != new.id:
        yield _breaking(
            "clause_renamed",
            new.id,
            f'clause {old.id} "{old.title}" is now {new.id} "{new.title}" '
            f"(similarity {d.similarity[old.id]:.2f})",
            f"policies that exclude, waive or refine `{old.id}` no longer load until they "
            f"name `{new.id}`",
            old.id,
            new.id,
        )


def _title(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    if old.id in d.repurposed and old.id == new.id:
        yield _breaking(
            "clause_id_reused",
            new.id,
            f'{new.id} "{new.title}" keeps the id of "{old.title}" but reads as another '
            f"requirement (similarity {d.repurposed[old.id]:.2f})",
            f"an id names one requirement: results, waivers and audit trails that name "
            f"`{old.id}` would silently mean another. Give the new requirement a new id and "
            f'mark `{old.id}` `withdrawn "<reason>"`',
            _clause_card(old),
            _clause_card(new),
        )
    elif old.title != new.title:
        yield _retitled("clause_title_changed", new.id, old.title, new.title)


def _retitled(kind: str, subject: str, old: str, new: str) -> Change:
    return Change(
        kind,
        subject,
        f'{subject} retitled "{old}" → "{new}"',
        False,
        f"not evaluated, but a title names the requirement: read whether {subject} still "
        "requires the same (a different requirement needs a new id)",
        old,
        new,
        review=True,
    )


def _text(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    same_check = _expr(old.check) == _expr(new.check)
    checked = "results come from the check, which " + (
        "did not change: does it still say what the words now require?"
        if same_check
        else "changed too (see below)"
    )
    yield from _requirement_text(
        "clause_text_changed", new.id, f"{new.id} text", old.text, new.text, checked
    )


def _level(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    if old.level == new.level:
        return
    earlier = new.level < old.level
    reason = (
        f"earlier: organisations must now meet it to reach level {new.level}, so a pillar's "
        "level may drop"
        if earlier
        else f"later: it no longer holds a pillar below level {new.level}; no level can drop"
    )
    yield Change(
        kind="clause_level_changed",
        subject=new.id,
        summary=f"{new.id} expected at level {new.level} (was {old.level})",
        breaking=earlier,
        reason=reason,
        old=old.level,
        new=new.level,
    )


def _owner(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    if old.owner != new.owner:
        yield _safe(
            "clause_owner_changed",
            new.id,
            f"{new.id} owner `{old.owner}` → `{new.owner}`",
            "accountability only: not evaluated",
            old.owner,
            new.owner,
        )


def _pillar(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    if old.pillar != new.pillar:
        yield _breaking(
            "clause_pillar_changed",
            new.id,
            f"{new.id} moved from pillar {old.pillar} to {new.pillar}",
            f"it now counts towards the maturity of pillar {new.pillar}, not {old.pillar}",
            old.pillar,
            new.pillar,
        )


def _evidence(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    if [_norm(e) for e in old.evidence] != [_norm(e) for e in new.evidence]:
        yield _safe(
            "clause_evidence_changed",
            new.id,
            f"{new.id} evidence expected changed",
            "what auditors ask for; not evaluated",
            list(old.evidence),
            list(new.evidence),
        )


def _prerequisites(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    before = [d.renamed.get(t, t) for t, _ in old.requires]
    after = [t for t, _ in new.requires]
    added = [t for t in after if t not in before]
    removed = [t for t in before if t not in after]
    if not added and not removed:
        return
    parts = [f"now requires {', '.join(added)}"] if added else []
    parts += [f"no longer requires {', '.join(removed)}"] if removed else []
    reason = (
        f"results may become blocked: {new.id} is blocked whenever {', '.join(added)} is not met"
        if added
        else f"{new.id} no longer waits for {', '.join(removed)}; no result can become blocked"
    )
    yield Change(
        kind="clause_prerequisites_changed",
        subject=new.id,
        summary=f"{new.id} {'; '.join(parts)}",
        breaking=bool(added),
        reason=reason,
        old=before,
        new=after,
    )


def _cited(refs: tuple[CrosswalkRef, ...]) -> dict[str, str]:
    """`framework reference` → its relationship and applicability in words (first citing)."""
    out: dict[str, str] = {}
    for x in refs:
        out.setdefault(f"{x.framework} {x.ref}", strength(x.relationship, x.applicability))
    return out


def _crosswalk(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    """References added or removed, and those whose relationship or applicability changed
    (`~ GDPR Art. 21: intersects with → related to`)."""
    was, now = _cited(old.crosswalk), _cited(new.crosswalk)
    added = [x for x in now if x not in was]
    removed = [x for x in was if x not in now]
    changed = [
        f"{x}: {was[x] or 'no relationship'} → {now[x]}"
        for x in now
        if was.get(x, now[x]) != now[x]
    ]
    if added or removed or changed:
        parts = (
            ([f"+ {', '.join(added)}"] if added else [])
            + ([f"- {', '.join(removed)}"] if removed else [])
            + [f"~ {c}" for c in changed]
        )
        yield _safe(
            "clause_crosswalk_changed",
            new.id,
            f"{new.id} crosswalk {'; '.join(parts)}",
            "traceability only: reports cite different references",
            [f"{x} ({how})" if how else x for x, how in was.items()],
            [f"{x} ({how})" if how else x for x, how in now.items()],
        )


def _check(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    yield from check_change("clause_check_changed", new.id, "clause", old.check, new.check)


def check_change(
    kind: str, subject: str, what: str, old: ast.Expr | None, new: ast.Expr | None
) -> Iterator[Change]:
    """A changed check; when only its numbers moved, which way each moved. Stricter (or a
    number whose direction cannot be told) is breaking; looser needs review."""
    before, after = _expr(old), _expr(new)
    if before == after:
        return
    moves = number_moves(old, new) if old is not None and new is not None else None
    if not moves:
        yield _breaking(
            kind,
            subject,
            f"{subject} check changed",
            f"verdicts may change: the {what} is judged by a different check",
            before,
            after,
        )
        return
    way = overall(moves)
    summary = f"{subject} check: {moves_text(moves)}"
    if way == "looser":
        reason = (
            "looser: a result that was met stays met; results that were not met may now be, "
            "so read whether the standard still asks enough"
        )
        yield Change(kind, subject, summary, False, reason, before, after, review=True)
        return
    reason = (
        "stricter: results that were met may no longer be"
        if way == "stricter"
        else "a threshold changed in a way that cannot be told stricter or looser without "
        "evaluating: verdicts may change"
    )
    yield _breaking(kind, subject, summary, reason, before, after)


_CLAUSE_COMPARES: list[ClauseCompare] = [
    _renamed,
    _title,
    _pillar,
    _level,
    _owner,
    _text,
    _evidence,
    _prerequisites,
    _crosswalk,
    _check,
]
CLAUSE_KINDS = (
    "clause_removed",
    "clause_withdrawn",
    "clause_withdrawn_deleted",
    "clause_id_reused",
    "clause_reinstated",
    "clause_added",
    "clause_split",
    "clause_renamed",
    "clause_title_changed",
    "clause_pillar_changed",
    "clause_level_changed",
    "clause_owner_changed",
    "clause_text_changed",
    "clause_evidence_changed",
    "clause_prerequisites_changed",
    "clause_crosswalk_changed",
    "clause_check_changed",
)


# ---- key requirements ----------------------------------------------------------------------


def _key_requirement_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old.key_requirements, d.new.key_requirements
    for kid in [*a, *(k for k in b if k not in a)]:
        if kid not in b:
            yield _safe(
                "key_requirement_removed",
                kid,
                f'key requirement {kid} "{a[kid].title}" removed',
                "certification no longer needs it",
                a[kid].title,
                None,
            )
        elif kid not in a:
            kr = b[kid]
            covered = [c for c, _ in kr.covers]
            yield Change(
                kind="key_requirement_added",
                subject=kid,
                summary=f'key requirement {kid} "{kr.title}" added',
                breaking=kr.mandatory,
                reason="mandatory: certification now needs it, and the clauses it covers can no "
                "longer be waived or excluded"
                if kr.mandatory
                else "not mandatory: certification does not need it",
                old=None,
                new=kr.title,
                touches=tuple(f"clause:{c}" for c in covered),
            )
        else:
            yield from _key_requirement_pair(d, a[kid], b[kid])


def _key_requirement_pair(
    d: StandardDiff, old: KeyRequirement, new: KeyRequirement
) -> Iterator[Change]:
    kid = new.id
    before = [d.renamed.get(c, c) for c, _ in old.covers]
    after = [c for c, _ in new.covers]
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    if added or removed:
        parts = ([f"now covers {', '.join(added)}"] if added else []) + (
            [f"no longer covers {', '.join(removed)}"] if removed else []
        )
        mandatory = new.mandatory and bool(added)
        reason = (
            f"{kid} now also needs {', '.join(added)} to pass"
            + (
                f"; as {kid} is mandatory, {', '.join(added)} can no longer be waived or "
                "excluded, and certification needs it"
                if mandatory
                else ""
            )
            if added
            else f"{kid} no longer needs {', '.join(removed)}"
        )
        yield Change(
            kind="key_requirement_coverage_changed",
            subject=kid,
            summary=f"{kid} {'; '.join(parts)}",
            breaking=bool(added),
            reason=reason,
            old=before,
            new=after,
            touches=tuple(f"clause:{c}" for c in [*added, *removed]),
        )
    if old.mandatory != new.mandatory:
        yield Change(
            kind="key_requirement_mandatory_changed",
            subject=kid,
            summary=f"{kid} is {'now' if new.mandatory else 'no longer'} mandatory",
            breaking=new.mandatory,
            reason="certification now needs it, and its clauses can no longer be waived or excluded"
            if new.mandatory
            else "certification no longer needs it",
            old=old.mandatory,
            new=new.mandatory,
            touches=tuple(f"clause:{c}" for c in after),
        )
    yield from check_change(
        "key_requirement_check_changed", kid, "key requirement", old.check, new.check
    )
    if old.title != new.title:
        yield _retitled("key_requirement_title_changed", kid, old.title, new.title)
    yield from _requirement_text(
        "key_requirement_text_changed", kid, f"{kid}'s text", old.text, new.text
    )
