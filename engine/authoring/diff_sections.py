"""Two standards → the changes to their header, maturity levels, roles, certification stages,
crosswalk frameworks and pillars. Most are safe (wording, titles, traceability); a new version
of the standard, or a level or a role removed, is breaking: policies that name it no longer load.
"""

from __future__ import annotations

from collections.abc import Iterator

from aicxs.engine.authoring.diff_change import (
    Change,
    StandardDiff,
    _breaking,
    _norm,
    _safe,
    _wording,
)


def _header_changes(d: StandardDiff) -> Iterator[Change]:
    a, b = d.old, d.new
    if a.name != b.name:
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
