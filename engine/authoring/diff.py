"""Two versions of a standard → what changed, in the standard's own terms, and what it breaks.

`diff_standards(old, new)` matches clauses by id, then the unmatched ones by the similarity of
their title and text (a clause renamed or moved to another pillar), and notices a new clause that
took over part of an old one (a split). Every difference becomes a `Change`: its kind, its
subject, whether it is *breaking* for existing policies (one may stop loading, or a result that
was met may no longer be) and why. What a diff means for given policies is `engine/impact.py`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.formatter import expr_text
from aicxs.engine.catalogue import FactRow, fact_rows
from aicxs.engine.checker import constant
from aicxs.engine.graph import dependents, natural_key
from aicxs.engine.loader import LoadedStandard
from aicxs.engine.model import Clause, KeyRequirement, Parameter, Standard

RENAME_THRESHOLD = 0.6  # title+text similarity above which an unmatched pair is one clause
SPLIT_THRESHOLD = 0.55  # similarity of a new clause to the old text of a clause it split from
SPLIT_MARGIN = 0.1  # ... which the kept clause must have lost (its new text is less similar)


@dataclass(frozen=True)
class Change:
    kind: str  # stable, e.g. `clause_check_changed`, `parameter_default_changed`
    subject: str  # what changed: `P4.2`, `max_human_wait`, `systems[].kind`, `level 3`
    summary: str
    breaking: bool
    reason: str  # why it is breaking or not, for existing policies
    old: Any = None  # JSON-ready values before and after
    new: Any = None
    touches: tuple[str, ...] = ()  # `clause:P4.2`, `parameter:x`, `level:3`, `role:x`, `fact:p`
    affects: tuple[str, ...] = ()  # what depends on the clause (key requirements, clauses)


def _breaking(
    kind: str,
    subject: str,
    summary: str,
    reason: str,
    old: Any = None,
    new: Any = None,
    touches: tuple[str, ...] = (),
    affects: tuple[str, ...] = (),
) -> Change:
    """A change that may stop an existing policy loading, or a met result being met."""
    return Change(kind, subject, summary, True, reason, old, new, touches, affects)


def _safe(
    kind: str,
    subject: str,
    summary: str,
    reason: str,
    old: Any = None,
    new: Any = None,
    touches: tuple[str, ...] = (),
    affects: tuple[str, ...] = (),
) -> Change:
    """A change that cannot make an existing policy fail to load, or a met result unmet."""
    return Change(kind, subject, summary, False, reason, old, new, touches, affects)


@dataclass
class StandardDiff:
    old: Standard
    new: Standard
    changes: list[Change]
    renamed: dict[str, str]  # old clause id → new id
    similarity: dict[str, float]  # old id of a renamed clause → title+text similarity
    split_from: dict[str, str]  # new clause id → the kept clause it took part of

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]


# ---- the standards -------------------------------------------------------------------------


def diff_standards(old: LoadedStandard, new: LoadedStandard) -> StandardDiff:
    """Every difference between two checked standards, in section order."""
    a, b = old.standard, new.standard
    renamed, similarity = _match_renames(a, b)
    split_from = _match_splits(a, b, renamed)
    d = StandardDiff(a, b, [], renamed, similarity, split_from)
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
    """How alike two clauses read: difflib's ratio over title and text (0 to 1)."""
    return difflib.SequenceMatcher(None, _words(a), _words(b), autojunk=False).ratio()


def _words(c: Clause) -> str:
    return " ".join(f"{c.title} {c.text}".lower().split())


def _match_renames(a: Standard, b: Standard) -> tuple[dict[str, str], dict[str, float]]:
    """Removed and added clauses paired, best first, when they read alike enough."""
    gone = [c for c in a.clauses.values() if c.id not in b.clauses]
    came = [c for c in b.clauses.values() if c.id not in a.clauses]
    scored = sorted(
        ((similarity(o, n), o.id, n.id) for o in gone for n in came),
        key=lambda s: (-s[0], natural_key(s[1]), natural_key(s[2])),
    )
    renamed: dict[str, str] = {}
    score: dict[str, float] = {}
    for ratio, old_id, new_id in scored:
        if ratio >= RENAME_THRESHOLD and old_id not in renamed and new_id not in renamed.values():
            renamed[old_id], score[old_id] = new_id, round(ratio, 2)
    return renamed, score


def _match_splits(a: Standard, b: Standard, renamed: dict[str, str]) -> dict[str, str]:
    """New clause → the kept clause whose old text it reads like more than its new text does."""
    added = [
        c for c in b.clauses.values() if c.id not in a.clauses and c.id not in renamed.values()
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


def _header_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old, d.new
    if (a.id, a.version) != (b.id, b.version):
        yield _breaking(
            "standard_version_changed",
            b.name,
            f"the standard is now `{b.name}` (was `{a.name}`)",
            f"policies say `implements {a.name}`; to load against the new version each must "
            f"say `implements {b.name}`",
            a.name,
            b.name,
        )
    for attr in ("title", "text"):
        yield from _wording(
            f"standard_{attr}_changed",
            b.name,
            f"the standard's {attr}",
            getattr(a, attr),
            getattr(b, attr),
        )


def _wording(kind: str, subject: str, what: str, old: str, new: str) -> Iterator[Change]:
    if _norm(old) != _norm(new):
        reason = "wording only: not evaluated"
        yield _safe(kind, subject, f"{what} reworded", reason, _norm(old), _norm(new))


def _norm(text: str) -> str:
    return " ".join(text.split())


def _level_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old.levels, d.new.levels
    for n in sorted(set(a) | set(b)):
        subject, touches = f"level {n}", (f"level:{n}",)
        if n not in b:
            yield _breaking(
                "level_removed",
                subject,
                f'maturity level {n} "{a[n].name}" removed',
                f"policies that target level {n} no longer load",
                a[n].name,
                None,
                touches,
            )
        elif n not in a:
            yield _safe(
                "level_added",
                subject,
                f'maturity level {n} "{b[n].name}" added',
                "a policy may now target it",
                None,
                b[n].name,
            )
        else:
            if a[n].name != b[n].name:
                yield _safe(
                    "level_renamed",
                    subject,
                    f'level {n} renamed "{a[n].name}" → "{b[n].name}"',
                    "a name only: levels are targeted by number",
                    a[n].name,
                    b[n].name,
                )
            yield from _wording(
                "level_text_changed", subject, f"level {n}'s text", a[n].text, b[n].text
            )


def _role_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old.roles, d.new.roles
    for name in [*a, *(n for n in b if n not in a)]:
        if name not in b:
            yield _breaking(
                "role_removed",
                name,
                f'role `{name}` "{a[name].title}" removed',
                f"organisation rules owned by `{name}` no longer load",
                a[name].title,
                None,
                (f"role:{name}",),
            )
        elif name not in a:
            yield _safe(
                "role_added",
                name,
                f'role `{name}` "{b[name].title}" added',
                "clauses and rules may now name it as owner",
                None,
                b[name].title,
            )
        elif a[name].title != b[name].title:
            yield _safe(
                "role_title_changed",
                name,
                f'role `{name}` retitled "{a[name].title}" → "{b[name].title}"',
                "a title only: roles are named by id",
                a[name].title,
                b[name].title,
            )


def _stage_changes(d: StandardDiff) -> Iterator[Change]:
    a = {s.name: s for s in d.old.stages}
    b = {s.name: s for s in d.new.stages}
    for name in [*a, *(n for n in b if n not in a)]:
        old, new = a.get(name), b.get(name)
        what = "certification pathway guidance; not evaluated"
        if old is None or new is None:
            stage = old or new
            assert stage is not None
            verb = "removed" if new is None else "added"
            yield _safe(f"stage_{verb}", name, f'stage "{stage.title}" {verb}', what)
        elif (old.number, old.title, _norm(old.text)) != (new.number, new.title, _norm(new.text)):
            yield _safe(
                "stage_changed",
                name,
                f'stage "{new.title}" changed',
                what,
                f"{old.title} (stage {old.number}): {old.text}",
                f"{new.title} (stage {new.number}): {new.text}",
            )


# ---- parameters ----------------------------------------------------------------------------


def _parameter_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old.parameters, d.new.parameters
    for name in [*a, *(n for n in b if n not in a)]:
        touches = (f"parameter:{name}",)
        if name not in b:
            yield _breaking(
                "parameter_removed",
                name,
                f"parameter `{name}` removed",
                f"policies that `set {name}` no longer load",
                _param_text(a[name]),
                None,
                touches,
            )
        elif name not in a:
            yield _safe(
                "parameter_added",
                name,
                f"parameter `{name}` added (default {_expr(b[name].default)})",
                "a policy may now set it; until it does, checks read the default",
                None,
                _param_text(b[name]),
            )
        else:
            yield from _parameter_pair(a[name], b[name], touches)


def _param_text(p: Parameter) -> dict[str, Any]:
    return {
        "type": p.type.describe(),
        "default": _expr(p.default),
        "bounds": _bounds(p),
        "stricter": p.stricter,
    }


def _expr(e: ast.Expr | None) -> str | None:
    return expr_text(e) if e is not None else None


def _bounds(p: Parameter) -> str | None:
    return f"{expr_text(p.bounds[0])} .. {expr_text(p.bounds[1])}" if p.bounds else None


def _value(p: Parameter, e: ast.Expr | None) -> Any:
    return constant(e, p.type, []) if e is not None else None


def _parameter_pair(a: Parameter, b: Parameter, touches: tuple[str, ...]) -> Iterator[Change]:
    name = a.name
    if a.type != b.type:
        yield _breaking(
            "parameter_type_changed",
            name,
            f"`{name}` is now a {b.type.describe()} (was {a.type.describe()})",
            f"policies that set `{name}` to a {a.type.describe()} no longer load",
            a.type.describe(),
            b.type.describe(),
            touches,
        )
        return
    if _expr(a.default) != _expr(b.default):
        yield _default_change(a, b, touches)
    if _bounds(a) != _bounds(b):
        yield _bounds_change(a, b, touches)
    if a.stricter != b.stricter:
        yield _breaking(
            "parameter_direction_changed",
            name,
            f"`{name}`: a policy may now only make it {b.stricter or 'anything'} "
            f"(was {a.stricter or 'anything'})",
            "settings that were stricter may now count as looser, and no longer load",
            a.stricter,
            b.stricter,
            touches,
        )
    yield from _wording("parameter_text_changed", name, f"`{name}`'s text", a.text, b.text)


def _default_change(a: Parameter, b: Parameter, touches: tuple[str, ...]) -> Change:
    old, new = _value(a, a.default), _value(b, b.default)
    shown_old, shown_new = _expr(a.default), _expr(b.default)
    summary = f"`{a.name}` default {shown_old} → {shown_new}"
    way = b.stricter
    stricter = (
        way is not None
        and old is not None
        and new is not None
        and ((way == "lower" and new < old) or (way == "higher" and new > old))
    )
    if stricter:
        reason = (
            f"stricter: policies that keep the default are judged by {shown_new}; a `set` "
            f"between {shown_new} and {shown_old} is now looser than the default and no "
            "longer loads"
        )
        return _breaking(
            "parameter_default_changed",
            a.name,
            summary + " (stricter)",
            reason,
            shown_old,
            shown_new,
            touches,
        )
    if way is not None:
        reason = (
            f"looser: policies that keep the default are judged by {shown_new}; every "
            "setting that loaded still loads"
        )
        return _safe(
            "parameter_default_changed",
            a.name,
            summary + " (looser)",
            reason,
            shown_old,
            shown_new,
            touches,
        )
    return _breaking(
        "parameter_default_changed",
        a.name,
        summary,
        "results may change for policies that keep the default",
        shown_old,
        shown_new,
        touches,
    )


def _bounds_change(a: Parameter, b: Parameter, touches: tuple[str, ...]) -> Change:
    old = [_value(a, e) for e in a.bounds] if a.bounds else None
    new = [_value(b, e) for e in b.bounds] if b.bounds else None
    summary = f"`{a.name}` bounds {_bounds(a) or 'none'} → {_bounds(b) or 'none'}"
    narrowed = new is not None and (
        old is None or None in old or None in new or new[0] > old[0] or new[1] < old[1]
    )
    reason = (
        f"narrowed: a `set` outside {_bounds(b)} no longer loads"
        if narrowed
        else "widened: every setting that loaded still loads"
    )
    return Change(
        kind="parameter_bounds_changed",
        subject=a.name,
        summary=summary,
        breaking=narrowed,
        reason=reason,
        old=_bounds(a),
        new=_bounds(b),
        touches=touches,
    )


# ---- crosswalk frameworks and pillars -------------------------------------------------------


def _framework_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old.frameworks, d.new.frameworks
    why = "traceability only: not evaluated"
    for fid in [*a, *(f for f in b if f not in a)]:
        if fid not in b or fid not in a:
            verb = "removed" if fid not in b else "added"
            title = (a.get(fid) or b[fid]).title
            yield _safe(f"framework_{verb}", fid, f'framework {fid} "{title}" {verb}', why)
            continue
        old, new = a[fid].refs, b[fid].refs
        for ref in [*old, *(r for r in new if r not in old)]:
            subject = f"{fid} {ref}"
            if ref not in new:
                yield _safe(
                    "framework_ref_removed",
                    subject,
                    f"reference {subject} removed",
                    why,
                    old[ref],
                    None,
                )
            elif ref not in old:
                yield _safe(
                    "framework_ref_added",
                    subject,
                    f"reference {subject} added",
                    why,
                    None,
                    new[ref],
                )
            elif old[ref] != new[ref]:
                yield _safe(
                    "framework_ref_retitled",
                    subject,
                    f"reference {subject} retitled",
                    why,
                    old[ref],
                    new[ref],
                )


def _pillar_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old.pillars, d.new.pillars
    for pid in [*a, *(p for p in b if p not in a)]:
        if pid not in b or pid not in a:
            pillar = a.get(pid) or b[pid]
            verb = "removed" if pid not in b else "added"
            yield _safe(
                f"pillar_{verb}",
                pid,
                f'pillar {pid} "{pillar.title}" {verb}',
                "its clauses are reported one by one",
            )
            continue
        if a[pid].title != b[pid].title:
            yield _safe(
                "pillar_title_changed",
                pid,
                f'pillar {pid} retitled "{a[pid].title}" → "{b[pid].title}"',
                "a title only: not evaluated",
                a[pid].title,
                b[pid].title,
            )
        yield from _wording(
            "pillar_text_changed", pid, f"pillar {pid}'s text", a[pid].text, b[pid].text
        )


# ---- clauses -------------------------------------------------------------------------------

ClauseCompare = Callable[[StandardDiff, Clause, Clause], Iterator[Change]]


def _clause_changes(d: StandardDiff, before: LoadedStandard, after: LoadedStandard) -> list[Change]:
    a, b = d.old.clauses, d.new.clauses
    found: list[Change] = []
    for c in a.values():
        if c.id not in b and c.id not in d.renamed:
            found.append(_removed(c, tuple(dependents(before.graph, c.id))))
    for c in b.values():
        if c.id not in a and c.id not in d.renamed.values():
            found.append(_added(d, c, tuple(dependents(after.graph, c.id))))
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
        "disappears from reports",
        _clause_card(c),
        None,
        (f"clause:{c.id}",),
        affects,
    )


def _added(d: StandardDiff, c: Clause, affects: tuple[str, ...]) -> Change:
    covering = [kr for kr in d.new.key_requirements.values() if c.id in dict(kr.covers)]
    reason = (
        f"a new requirement: policies must meet it for pillar {c.pillar} to reach level {c.level}"
    )
    mandatory = [kr.id for kr in covering if kr.mandatory]
    if mandatory:
        reason += f", and for mandatory key requirement {', '.join(mandatory)} (certification)"
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
    if old.title != new.title:
        yield _safe(
            "clause_title_changed",
            new.id,
            f'{new.id} retitled "{old.title}" → "{new.title}"',
            "a title only: not evaluated",
            old.title,
            new.title,
        )


def _text(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    if _norm(old.text) != _norm(new.text):
        same_check = _expr(old.check) == _expr(new.check)
        reason = "wording only: results come from the check, which " + (
            "did not change" if same_check else "changed too (see below)"
        )
        yield _safe(
            "clause_text_changed",
            new.id,
            f"{new.id} text reworded",
            reason,
            _norm(old.text),
            _norm(new.text),
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


def _crosswalk(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    before = [f"{f} {r}" for f, r in dict.fromkeys((f, r) for f, r, _ in old.crosswalk)]
    after = [f"{f} {r}" for f, r in dict.fromkeys((f, r) for f, r, _ in new.crosswalk)]
    added = [x for x in after if x not in before]
    removed = [x for x in before if x not in after]
    if added or removed:
        parts = ([f"+ {', '.join(added)}"] if added else []) + (
            [f"- {', '.join(removed)}"] if removed else []
        )
        yield _safe(
            "clause_crosswalk_changed",
            new.id,
            f"{new.id} crosswalk {'; '.join(parts)}",
            "traceability only: reports cite different references",
            before,
            after,
        )


def _check(d: StandardDiff, old: Clause, new: Clause) -> Iterator[Change]:
    before, after = _expr(old.check), _expr(new.check)
    if before != after:
        yield _breaking(
            "clause_check_changed",
            new.id,
            f"{new.id} check changed",
            "verdicts may change: the clause is judged by a different check",
            before,
            after,
        )


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
    if _expr(old.check) != _expr(new.check):
        yield _breaking(
            "key_requirement_check_changed",
            kid,
            f"{kid} check changed",
            "verdicts may change: the key requirement is judged by a different check",
            _expr(old.check),
            _expr(new.check),
        )
    if old.title != new.title:
        yield _safe(
            "key_requirement_title_changed",
            kid,
            f'{kid} retitled "{old.title}" → "{new.title}"',
            "a title only: not evaluated",
            old.title,
            new.title,
        )
    yield from _wording("key_requirement_text_changed", kid, f"{kid}'s text", old.text, new.text)


# ---- facts vocabulary ----------------------------------------------------------------------


def _fact_changes(d: StandardDiff) -> Iterator[Change]:
    a = {r.path: r for r in fact_rows(d.old.vocabulary)}
    b = {r.path: r for r in fact_rows(d.new.vocabulary)}
    for path in [*a, *(p for p in b if p not in a)]:
        touches = (f"fact:{path}",)
        if path not in b:
            if _parent(path) in a and _parent(path) not in b:
                continue  # reported with its record
            yield _breaking(
                "fact_removed",
                path,
                f"fact `{path}` ({a[path].type}) removed",
                "facts files that record it are refused, and policy rules or scopes that "
                "read it no longer load",
                a[path].type,
                None,
                touches,
            )
        elif path not in a:
            if _parent(path) in b and _parent(path) not in a:
                continue
            yield _safe(
                "fact_added",
                path,
                f"fact `{path}` ({b[path].type}) added",
                "facts files need not record it; a check that reads it is unknown until they do",
                None,
                b[path].type,
                touches,
            )
        else:
            yield from _fact_pair(a[path], b[path], touches)


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0].removesuffix("[]") if "." in path else ""


def _fact_pair(old: FactRow, new: FactRow, touches: tuple[str, ...]) -> Iterator[Change]:
    path = new.path
    if old.type != new.type:
        widened = old.field.type.kind == new.field.type.kind == "enum" and set(
            old.field.type.values
        ) <= set(new.field.type.values)
        if widened:
            added = [v for v in new.field.type.values if v not in old.field.type.values]
            summary = f"fact `{path}` may now also be {', '.join(f'`{v}`' for v in added)}"
            reason = "every value that was valid still is"
        else:
            summary = f"fact `{path}` is now {new.type} (was {old.type})"
            reason = (
                "facts files and policy checks that use the old type no longer validate or load"
            )
        yield Change(
            kind="fact_retyped",
            subject=path,
            summary=summary,
            breaking=not widened,
            reason=reason,
            old=old.type,
            new=new.type,
            touches=touches,
        )
    if old.key != new.key:
        yield Change(
            kind="fact_key_changed",
            subject=path,
            summary=f"fact `{path}` is {'now' if new.key else 'no longer'} the key of its list",
            breaking=new.key,
            reason="every item must now record it"
            if new.key
            else "items are no longer named by it",
            old=old.key,
            new=new.key,
            touches=touches,
        )
    if old.optional != new.optional:
        yield _safe(
            "fact_optional_changed",
            path,
            f"fact `{path}` is {'now' if new.optional else 'no longer'} optional",
            "guidance for questionnaires only: a missing fact is unknown either way",
            old.optional,
            new.optional,
            touches,
        )
    yield from _wording(
        "fact_question_changed", path, f"the question of `{path}`", old.question, new.question
    )


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
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append(dropped[0] + " ".join(a[i1:i2]) + dropped[1])
        if op in ("insert", "replace"):
            out.append(added[0] + " ".join(b[j1:j2]) + added[1])
        if op == "equal":
            out.append(" ".join(a[i1:i2]))
    return " ".join(out)
