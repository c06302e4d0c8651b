"""Write files so that a reader sees the old content or the new one, never half of either.

Three ways, one per kind of file: :func:`write_atomic` replaces a file (a report, a baseline);
:func:`write_new` creates one and never replaces anything (a production window: two replicas must
never overwrite each other); :func:`locked` serialises a read-modify-write between processes and
threads (an alerts file that several producers append to).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV, errno.EMLINK})
"""What ``link()`` answers on a filesystem without hard links (FAT, some network shares)."""


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling, fsync, then rename.

    An interrupted write (Ctrl-C, SIGTERM, a full disk) leaves the previous file intact and no
    stray temporary file behind. A link to a file updates that file and keeps the link. A device or
    a FIFO (``/dev/stdout``, a named pipe) is written to directly: renaming over it would replace
    it with a plain file. A folder is refused (IsADirectoryError).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    try:
        kind = os.stat(path).st_mode  # follows links
    except FileNotFoundError:
        kind = None
    if kind is not None and stat.S_ISDIR(kind):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if kind is not None and not stat.S_ISREG(kind):
        with open(path, "wb") as stream:
            stream.write(raw)
        return
    path = Path(os.path.realpath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644  # mkstemp's 0o600 would hide a report from the CI user that reads it
    tmp = _temporary(path, raw, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(path.parent)


def write_new(path: Path, data: str | bytes) -> None:
    """Create ``path`` holding ``data``, complete or not at all; raise FileExistsError if it exists.

    The content is written to a temporary sibling, fsynced, then hard-linked to ``path`` (``link()``
    fails on an existing name, where ``rename()`` would silently replace it) and the sibling removed.
    On a filesystem without hard links the file is created with ``O_EXCL`` and written in place: it
    still never replaces anything, but a reader may see it before it is complete.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    tmp = _temporary(path, raw, 0o644)
    try:
        os.link(tmp, path)
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        _write_exclusive(path, raw)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _sync_folder(path.parent)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s lock file (``.<name>.lock`` beside it) for the block.

    The lock file is never the data file: :func:`write_atomic` replaces that one, and a lock on a
    replaced file locks nothing. ``flock`` serialises processes and threads alike and is released
    when its holder dies, so a crashed producer cannot leave the file locked. POSIX only.
    """
    import fcntl  # POSIX only; imported here so that the rest of this module works everywhere

    path = Path(path)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _temporary(path: Path, raw: bytes, mode: int) -> str:
    """A hidden, fsynced sibling of ``path`` holding ``raw`` (readers skip names starting with a dot)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _fill(os.fdopen(fd, "wb"), raw, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _write_exclusive(path: Path, raw: bytes) -> None:
    stream = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb")
    try:
        _fill(stream, raw, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)  # ours: O_EXCL created it
        raise


def _fill(stream: BinaryIO, raw: bytes, mode: int) -> None:
    """Write, flush and fsync a new file, with ``mode`` whatever the umask (0o600 hides it from CI)."""
    with stream:
        os.fchmod(stream.fileno(), mode)
        stream.write(raw)
        stream.flush()
        os.fsync(stream.fileno())


def _sync_folder(folder: Path) -> None:
    """Make a rename or a link durable where the OS allows it."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
