"""Reading a file the user named, within a size limit, whatever the file turns out to be.

A file's size on disk says nothing for a device or a FIFO (`/dev/zero` has size 0 and no end;
a FIFO waits for a writer for ever), so every file aicxs reads (policies, standards, facts,
test files, answers, the policies of `serve`, the documents of `check --batch`) is opened
without waiting, refused unless it is a regular file (`aicxs_file_not_regular`), and read no
further than the limit and one byte: a file that grows while it is read cannot get past it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
from collections.abc import Iterator

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once, without waiting for a writer
    | getattr(os, "O_NOCTTY", 0)  # a terminal named as a file never becomes ours
    | getattr(os, "O_CLOEXEC", 0)
)
_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def read_limited(path: str | os.PathLike[str], limit: int, name: str | None = None) -> bytes | None:
    """The bytes of the regular file `path`, or None if it holds more than `limit` bytes.
    Raises `DiagnosticError` (`aicxs_file_not_regular`, naming the file as `name`) for a
    device, a FIFO or a socket, and `OSError` when the file cannot be read (a folder too)."""
    with open_regular(path, name) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            return None
        chunks: list[bytes] = []
        total, want = 0, size + 1  # one read to the end (and one to see the end) in general
        while total <= limit:
            chunk = f.read(min(want, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            want = 1 << 20
        if total > limit:
            return None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@contextlib.contextmanager
def open_regular(path: str | os.PathLike[str], name: str | None = None) -> Iterator[io.FileIO]:
    """`path` open for reading in binary, if it is a regular file (see `read_limited`)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(mode):
            raise DiagnosticError([not_regular(name or os.fspath(path), mode)])
        f = io.FileIO(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f


def not_regular(name: str, mode: int) -> Diagnostic:
    """The file is a device, a FIFO or a socket: its size cannot bound what it would give."""
    kind = next((word for test, word in _KINDS if test(mode)), "not a regular file")
    return Diagnostic(
        "aicxs_file_not_regular",
        f"`{name}` is {kind}, not a regular file",
        None,
        "give the path of a file: aicxs reads only regular files, whose size it can check "
        "before reading (a device or a pipe may never end)",
        path=name,
    )
