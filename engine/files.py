"""Writing files so that nothing is lost, and nothing is written that the user did not name.

A regular file (or a new one) is written to a temporary file beside the target, then renamed
over it: an interrupted or failed run leaves the old file as it was. The temporary file is
`.<name>.<random>.tmp` in the target's folder; it is removed when the write fails. A process
killed outright (SIGKILL, power loss) can leave one behind: it is never taken for the target,
and the next write of the same target removes leftovers more than an hour old (younger ones
may belong to a run still writing).

Anything else is written in place, as a shell's `>` would, never replaced: a device
(`/dev/null`, `/dev/stdout`), a FIFO, and a symbolic link, whose target keeps its inode, owner
and mode. A link in a sticky folder (such as `/tmp`) that the running user does not own is
refused (`aicxs_output_link`): another user may have planted it there to point at a file of
ours (the rule of the kernel's `protected_symlinks`, applied whatever the system's setting).
A write that the system refuses (no such folder, no permission, disk full) is a located
`aicxs_file_error`, not a crash. `write_atomic` writes a text at once; `open_atomic` gives a
file to write a stream into.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError

STALE_SECONDS = 3600  # a leftover temporary file older than this belongs to a dead run


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one rename, the old file intact on failure; or
    write it in place when `path` is a device, a FIFO or a link (see the module's docstring)."""
    with open_atomic(path) as f:
        f.write(text)


@contextlib.contextmanager
def open_atomic(path: Path) -> Iterator[TextIO]:
    """A text file to write `path` through, line by line (e.g. a JSON Lines stream): for a
    regular file, it replaces `path` in one rename when the block ends, and is removed if the
    block fails; a device, a FIFO or a link is written in place (see the module's docstring)."""
    path = Path(path)
    try:
        st: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise _cannot_write(path, err) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise _cannot_write(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISLNK(st.st_mode):
            _check_link(path, st)
        with _open_in_place(path) as f:
            yield f
        return
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


@contextlib.contextmanager
def _open_in_place(path: Path) -> Iterator[TextIO]:
    """`path` opened for writing as it is (following a link, in the kernel, under its rules):
    a device or a FIFO stays one, a link's target keeps its inode, owner and mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as err:
        raise _cannot_write(path, err, in_place=True) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fsync(fd)
    except OSError as err:
        raise _cannot_write(path, err, in_place=True) from None


def _check_link(path: Path, link: os.stat_result) -> None:
    """Refuse a link that another user owns in a sticky folder: it may be a trap."""
    try:
        folder = os.stat(path.parent)
    except OSError as err:
        raise _cannot_write(path, err) from None
    if folder.st_mode & stat.S_ISVTX and link.st_uid != os.geteuid():
        raise DiagnosticError(
            [
                Diagnostic(
                    "aicxs_output_link",
                    f"`{path}` is a link owned by another user (uid {link.st_uid}) in a sticky "
                    "folder: aicxs will not write through it",
                    None,
                    "write the output to a path of your own, or remove the link if you trust "
                    "it no more than aicxs does (links in folders such as /tmp can be planted "
                    "by anyone)",
                    path=str(path),
                )
            ]
        )


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


def _cannot_write(path: Path, err: OSError, in_place: bool = False) -> DiagnosticError:
    reason = (err.strerror or str(err)).lower()
    kept = (
        "it is written in place (it is a device, a FIFO or a link), so it may hold part of "
        "the output"
        if in_place
        else "the old file, if any, is unchanged"
    )
    return DiagnosticError(
        [
            Diagnostic(
                "aicxs_file_error",
                f"cannot write `{path}`: {reason}",
                None,
                "check that the folder exists, that you may write to it, and that the disk "
                f"has room; {kept}",
                path=str(path),
            )
        ]
    )
