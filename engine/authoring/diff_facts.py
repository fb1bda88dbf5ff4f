"""Two standards → the changes to their facts vocabulary, fact by fact (a record's own facts are
reported with the record): a fact removed, retyped or made a list's key is breaking for facts
files and policies; an enum that only gains values, or a fact added, is not.
"""

from __future__ import annotations

from collections.abc import Iterator

from aicxs.engine.authoring.diff_change import Change, StandardDiff, _breaking, _safe, _wording
from aicxs.engine.catalogue import FactRow, fact_rows

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
