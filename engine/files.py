"""Writing files so that nothing is lost: a temporary file beside the target, then a rename.

An interrupted or failed run leaves the old file as it was. The temporary file is
`.<name>.<random>.tmp` in the target's folder; it is removed when the write fails. A process
killed outright (SIGKILL, power loss) can leave one behind: it is never taken for the target,
and the next write of the same target removes leftovers more than an hour old (younger ones
may belong to a run still writing). A write that the system refuses (no such folder, no
permission, disk full) is a located `aicxs_file_error`, not a crash. `write_atomic` writes a
text at once; `open_atomic` gives a file to write a stream into, renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError

STALE_SECONDS = 3600  # a leftover temporary file older than this belongs to a dead run


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one rename; the old file stays intact on failure."""
    with open_atomic(path) as f:
        f.write(text)


@contextlib.contextmanager
def open_atomic(path: Path) -> Iterator[TextIO]:
    """A text file to write `path` through, line by line (e.g. a JSON Lines stream): it
    replaces `path` in one rename when the block ends, and is removed if the block fails."""
    path = Path(path)
    if path.is_symlink():  # write through the link, as a plain write would
        path = Path(os.path.realpath(path))
    folder = path.parent
    try:
        _remove_stale(folder, path.name)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise _cannot_write(path, err) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        os.replace(tmp, path)
        _sync_folder(folder)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise _cannot_write(path, err) from None
        raise


def _default_mode() -> int:
    """What `open(path, "w")` would give a new file: 0o666 less the umask (mkstemp's own
    0o600 would hide a report from its readers)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _remove_stale(folder: Path, name: str) -> None:
    cutoff = time.time() - STALE_SECONDS
    for leftover in folder.glob(f".{name}.*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the system allows opening a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _cannot_write(path: Path, err: OSError) -> DiagnosticError:
    reason = (err.strerror or str(err)).lower()
    return DiagnosticError(
        [
            Diagnostic(
                "aicxs_file_error",
                f"cannot write `{path}`: {reason}",
                None,
                "check that the folder exists, that you may write to it, and that the disk "
                "has room; the old file, if any, is unchanged",
                path=str(path),
            )
        ]
    )
