"""What `aicxs assess` says about a session, beside its questions: where a resumed assessment
starts from (what is not asked again, which systems are recorded) and what an interruption kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aicxs.aicxs_dsl.words import count, verb


def resuming(session: Any, out: Path) -> str:
    """`Resuming from f.yaml: 2 facts already answered and 3 skipped are not asked again;
    1 AI system recorded: web-chat.`"""
    skipped = 0 if session.ask_skipped else len(session.skipped_still())
    parts = [f"{count(session.already, 'fact')} already answered"]
    if skipped:
        parts.append(f"{skipped} skipped")
    n = session.already + skipped
    text = f"Resuming from {out}: {' and '.join(parts)} {verb(n, 'is', 'are')} not asked again"
    if not n:
        text = f"Resuming from {out}: nothing is answered yet"
    systems = [str(i.get("id")) for i in session.data.get("systems") or [] if isinstance(i, dict)]
    if systems:
        text += f"; {count(len(systems), 'AI system')} recorded: {', '.join(systems)}"
    return text + "."


def interrupted(recorded: int, saved: bool, out: Path) -> str:
    if saved or recorded:  # saved now, or with the groups completed before
        return (
            f"\nInterrupted: {count(recorded, 'answer')} of this session "
            f"{verb(recorded, 'is', 'are')} saved in {out}; run the same command to go on from "
            "there."
        )
    kept = f"{out} is unchanged" if out.exists() else "nothing was written"
    return f"\nInterrupted before any new answer: {kept}."
