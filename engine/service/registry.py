"""The policies a decision service serves: every policy file of a folder, compiled once, and
recompiled when its file changes.

`PolicyRegistry.refresh()` compares each file's stamp (modification time, size, inode) with
the version it last read and recompiles only what changed. A file that no longer compiles keeps
its last good version serving and records the error; a removed file stops being served once
it has been missing for `grace` seconds (tools that replace a file by deleting it and writing
it anew, as `git checkout` does, leave no moment without the policy). The registry never logs:
`refresh()` returns what happened, for the server to log and count.

A file that is not a regular one (a FIFO, a link to `/dev/zero`) is listed with the error
`aicxs_file_not_regular` and never read; a file is read no further than the size limit. A
refresh that has run for longer than `STUCK_AFTER` seconds (a file system that hangs) is
reported by `stuck_for()`, which `/health` shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aicxs.aicxs_dsl import DiagnosticError, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, render_text
from aicxs.aicxs_dsl.limits import max_file_bytes
from aicxs.aicxs_dsl.parser import decode
from aicxs.aicxs_dsl.reading import read_limited
from aicxs.engine.loader import CompiledPolicy, compile_policy, is_policy_file

Stamp = tuple[int, int, int]  # (mtime_ns, size, inode): any write changes one of them
STUCK_AFTER = 60.0  # seconds: a refresh running longer is stuck (read at each look)


@dataclass(frozen=True)
class LoadError:
    """Why the latest version of a file is not served."""

    at: dt.datetime
    diagnostics: tuple[Diagnostic, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "message": render_text(list(self.diagnostics)),
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


@dataclass(frozen=True)
class PolicyFile:
    """One policy file: the version served (if any compiled) and the last error (if any)."""

    file: str  # as messages show it
    stamp: Stamp | None  # of the version last read, good or bad
    compiled: CompiledPolicy | None = None  # the last good version
    revision: str = ""  # sha256 of the served version's bytes
    loaded_at: dt.datetime | None = None
    error: LoadError | None = None
    missing_since: float | None = None  # when the file was first seen gone (monotonic)

    @property
    def policy_id(self) -> str | None:
        return self.compiled.policy.name if self.compiled else None

    def as_dict(self, clash: LoadError | None = None) -> dict[str, Any]:
        compiled = self.compiled
        error = self.error or clash
        return {
            "id": self.policy_id,
            "title": compiled.policy.title if compiled else None,
            "file": self.file,
            "standard": compiled.standard.name if compiled else None,
            "revision": self.revision or None,
            "loaded_at": _iso(self.loaded_at) if self.loaded_at else None,
            "error": error.as_dict() if error else None,
        }


@dataclass(frozen=True)
class Change:
    """What one refresh did to one file: `loaded`, `reloaded`, `failed`, `missing` (gone,
    still served within the grace period) or `removed`."""

    kind: str
    file: str
    policy_id: str | None
    diagnostics: tuple[Diagnostic, ...] = ()


class PolicyRegistry:
    """The policy files of `folder` (`*.aicx`, recursively), by file and by policy id.

    Readers (request handlers, on any thread) see whole snapshots: a refresh builds new maps
    and swaps them in, so no lock is needed to read."""

    def __init__(self, folder: Path, grace: float = 0.0) -> None:
        self.folder = folder
        self.grace = grace  # seconds a missing file stays served
        self.files: dict[str, PolicyFile] = {}
        self.by_id: dict[str, PolicyFile] = {}
        self.clashes: dict[str, LoadError] = {}  # file → why its policy id is not served
        self._refreshing = threading.Lock()  # one refresh at a time
        self._started: float | None = None  # when the refresh under way began (monotonic)

    def get(self, policy_id: str) -> CompiledPolicy | None:
        entry = self.by_id.get(policy_id)
        return entry.compiled if entry else None

    def refresh(self) -> list[Change]:
        """Read what changed since the last refresh; return what happened, file by file."""
        with self._refreshing:
            self._started = time.monotonic()
            try:
                return self._refresh()
            finally:
                self._started = None

    def stuck_for(self) -> float:
        """How long the refresh under way has run, if longer than `STUCK_AFTER`; else 0."""
        started = self._started
        running = time.monotonic() - started if started is not None else 0.0
        return running if running > STUCK_AFTER else 0.0

    def _refresh(self) -> list[Change]:
        """The work of `refresh`, under its lock."""
        files = dict(self.files)
        changes: list[Change] = []
        present = dict(_policy_files(self.folder, files))
        now = time.monotonic()
        for name in sorted(set(files) - set(present)):
            entry = files[name]
            since = entry.missing_since if entry.missing_since is not None else now
            if now - since < self.grace:
                if entry.missing_since is None:
                    changes.append(Change("missing", name, entry.policy_id))
                files[name] = replace(entry, missing_since=since)
            else:
                changes.append(Change("removed", name, files.pop(name).policy_id))
        for name, (path, stamp) in sorted(present.items()):
            old = files.get(name)
            if old is not None and old.missing_since is not None:
                old = files[name] = replace(old, missing_since=None)  # back: read it anew
            if old is None or old.stamp != stamp:
                files[name], change = _load(name, path, stamp, old)
                changes.append(change)
        by_id, clashes = _index(files)
        for name, diagnostic in clashes.items():
            if name not in self.clashes:
                changes.append(Change("failed", name, files[name].policy_id, (diagnostic,)))
        self.clashes = {
            name: self.clashes.get(name) or LoadError(_now(), (d,)) for name, d in clashes.items()
        }
        self.files, self.by_id = files, by_id
        return changes

    def describe(self) -> list[dict[str, Any]]:
        """Every policy file, as `GET /v1/policies` lists it."""
        clashes, files = self.clashes, self.files
        return [entry.as_dict(clashes.get(name)) for name, entry in sorted(files.items())]


def _policy_files(
    folder: Path, known: dict[str, PolicyFile]
) -> Iterator[tuple[str, tuple[Path, Stamp]]]:
    """The policy files of the folder. A file already known stays one even if it no longer
    reads as a policy: an editor may have emptied it on its way to writing the new text."""
    for path in sorted(folder.rglob("*.aicx")):
        try:
            st = path.stat()
        except OSError:  # removed between listing and stat: gone
            continue
        regular = stat.S_ISREG(st.st_mode)  # anything else is listed, with its error
        if str(path) in known or not regular or is_policy_file(path):
            yield str(path), (path, (st.st_mtime_ns, st.st_size, st.st_ino))


def _load(name: str, path: Path, stamp: Stamp, old: PolicyFile | None) -> tuple[PolicyFile, Change]:
    """Compile the file; on failure keep the old version serving, with the error beside it."""
    try:
        data = read_limited(path, limit := max_file_bytes(), name)
        if data is None:
            raise DiagnosticError([_too_large(name, limit)])
        compiled = compile_policy(parse_text(decode(name, data), name))
    except DiagnosticError as err:
        kept = old or PolicyFile(name, stamp)
        failed = LoadError(_now(), tuple(err.diagnostics))
        return replace(kept, stamp=stamp, error=failed), Change(
            "failed", name, kept.policy_id, failed.diagnostics
        )
    except OSError as err:
        diagnostic = Diagnostic(
            "aicxs_file_error",
            f"cannot read `{name}`: {(err.strerror or str(err)).lower()}",
            None,
            "check the file's permissions",
            path=name,
        )
        kept = old or PolicyFile(name, stamp)
        return replace(kept, stamp=stamp, error=LoadError(_now(), (diagnostic,))), Change(
            "failed", name, kept.policy_id, (diagnostic,)
        )
    revision = "sha256:" + hashlib.sha256(data).hexdigest()
    entry = PolicyFile(name, stamp, compiled, revision, _now())
    return entry, Change("reloaded" if old else "loaded", name, entry.policy_id)


def _too_large(name: str, limit: int) -> Diagnostic:
    return Diagnostic(
        "aicxs_limit_file_size",
        f"file is larger than {limit:,} bytes",
        None,
        "check that this is the policy file you meant; the limit is set by the environment "
        "variable `AICXS_MAX_FILE_BYTES`",
        path=name,
    )


def _index(
    files: dict[str, PolicyFile],
) -> tuple[dict[str, PolicyFile], dict[str, Diagnostic]]:
    """Policy id → file; a second file with an id already taken is not served."""
    by_id: dict[str, PolicyFile] = {}
    clashes: dict[str, Diagnostic] = {}
    for name, entry in sorted(files.items()):
        ident = entry.policy_id
        if ident is None:
            continue
        if ident in by_id:
            first = by_id[ident].file
            assert entry.compiled is not None
            clashes[name] = Diagnostic(
                "aicxs_duplicate_policy",
                f"policy `{ident}` is already served from `{first}`",
                entry.compiled.policy.span,
                "give each policy in the folder its own name",
            )
            continue
        by_id[ident] = entry
    return by_id, clashes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
