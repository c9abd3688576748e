"""Private files on disk, read and written the careful way, and locks between processes.

- Directories are created 0700 (missing parents too); files are 0600. A directory of
  ours that is a symbolic link is refused, never followed or made private.
- Reads never follow a symbolic link (but the whitelist's) and stop at `MAX_BYTES`; a
  file that cannot be read (permissions, a directory or special file in its place) is a
  `StateFileError` that names it and says what to do.
- Nothing waits on a FIFO: every open is non-blocking, and reads and appends go to regular
  files only (checked with fstat once open).
- Writes go to a private temporary file, fsynced, then atomically renamed over the old
  one; appends are fsynced lines.
- Locks are advisory locks on `NAME.lock`, shared by every process using the directory.

`state_file` builds validated files and logs on top of this; nothing else uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import stat
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from ...errors import StateFileError

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
MAX_BYTES = 1 << 20
"""Our files are a few KB; anything larger is damage, not data."""

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
"""Opening a FIFO must not wait for its other end: every open is non-blocking, and
anything but a regular file is refused once opened (fstat)."""
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _NONBLOCK


class CorruptFileError(Exception):
    """File content that does not validate (internal: the reader moves the file aside)."""


# -- directories ---------------------------------------------------------------------


def _linked_dir(directory: Path) -> StateFileError:
    return StateFileError(
        f"{directory} is a symbolic link; oig-cloud-mcp keeps private files there and does "
        "not follow a link to them (nor make its target private), so replace it with a real "
        "directory (a dotfile manager may link the files in it, not the directory).",
        path=directory,
    )


def _check_not_linked(directory: Path) -> None:
    """Refuse a directory of ours that is a symbolic link, as a linked file is refused."""
    if directory.is_symlink():
        raise _linked_dir(directory)


def ensure_private_dir(directory: Path) -> None:
    """Create `directory` (and missing parents) as 0700, or say why it cannot be used.

    A symbolic link in its place is refused, never followed: making it private would
    change the mode of whatever it points to.
    """
    _check_not_linked(directory)
    try:
        if directory.is_dir():
            if os.name == "posix" and stat.S_IMODE(directory.stat().st_mode) != PRIVATE_DIR:
                directory.chmod(PRIVATE_DIR)
            return
        if directory.exists() and not directory.is_dir():
            raise StateFileError(
                f"{directory} should be a directory but is a file; move it away so "
                "oig-cloud-mcp can create its directory there.",
                path=directory,
            )
        _make_parents(directory.parent)
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=PRIVATE_DIR)
        if os.name == "posix":
            directory.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    except OSError as exc:
        raise StateFileError(
            f"Cannot create the directory {directory} ({exc.strerror or exc}); check that "
            "its parent is writable.",
            path=directory,
        ) from exc


def _make_parents(directory: Path) -> None:
    """Missing parents are created 0700 too; existing ones are left as they are."""
    if directory.exists() or directory == directory.parent:
        return
    _make_parents(directory.parent)
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=PRIVATE_DIR)


# -- raw reads and writes ------------------------------------------------------------


def _unusable(path: Path, exc: OSError | None = None, *, shape: str = "") -> StateFileError:
    """The sentence for a file that cannot be read, naming it and what to do."""
    code = exc.errno if exc is not None else None
    if shape == "link" or code == errno.ELOOP:
        message = (
            f"{path} is a symbolic link; oig-cloud-mcp does not follow links in its state "
            "directory, so replace it with a regular file or delete it."
        )
    elif shape == "directory" or code == errno.EISDIR:
        message = f"{path} is a directory where oig-cloud-mcp keeps a file; move it away."
    elif shape == "special":
        message = f"{path} is not a regular file; move it away."
    elif code in (errno.EACCES, errno.EPERM):
        message = (
            f"Cannot read {path} (permission denied); make it yours again with "
            f"`chmod 600 {path}`, or delete it."
        )
    elif code == errno.ENOTDIR:
        message = f"{path.parent} should be a directory but is a file; move it away."
    else:
        reason = exc.strerror if exc is not None and exc.strerror else "unknown error"
        message = f"Cannot read {path} ({reason}); check the disk, or delete the file."
    return StateFileError(message, path=path)


def _check_regular(path: Path, fd: int) -> os.stat_result:
    """The fstat of an open file; a directory or special file (FIFO, device, socket)
    raises the sentence that names it."""
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise _unusable(path, shape="directory")
    if not stat.S_ISREG(info.st_mode):
        raise _unusable(path, shape="special")
    return info


def _read_bounded(path: Path, flags: int, *, tail: int | None = None) -> bytes | None:
    """At most `MAX_BYTES + 1` bytes of the regular file `path` (with `tail`: its last
    `tail` bytes), or None when it does not exist."""
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unusable(path, exc) from exc
    try:
        info = _check_regular(path, fd)
        if tail is not None and info.st_size > tail:
            os.lseek(fd, -tail, os.SEEK_END)
        chunks, size = [], 0
        while size <= MAX_BYTES and (chunk := os.read(fd, 65536)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _unusable(path, exc) from exc
    finally:
        os.close(fd)
    return b"".join(chunks)[: MAX_BYTES + 1]


def read_private(path: Path) -> bytes | None:
    """The bytes of `path`, or None when it does not exist. Never follows a symbolic link,
    neither `path` nor its directory."""
    _check_not_linked(path.parent)
    if path.is_symlink():
        raise _unusable(path, shape="link")
    data = _read_bounded(path, _READ_FLAGS)
    if data is not None and len(data) > MAX_BYTES:
        raise CorruptFileError(f"larger than {MAX_BYTES // 1024} KiB")
    return data


def read_tail(path: Path, size: int) -> bytes | None:
    """The last `size` bytes (at most `MAX_BYTES`) of `path`, or None when it does not
    exist; for append-only logs that may outgrow `MAX_BYTES`. Never follows a link."""
    _check_not_linked(path.parent)
    if path.is_symlink():
        raise _unusable(path, shape="link")
    data = _read_bounded(path, _READ_FLAGS, tail=min(size, MAX_BYTES))
    return None if data is None else data[-size:]


def _cannot_write(path: Path, exc: OSError) -> StateFileError:
    return StateFileError(
        f"Cannot write {path} ({exc.strerror or exc}); free some disk space or fix the "
        f"permissions of {path.parent}.",
        path=path,
        kind="unwritable",
    )


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY | _CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all_and_close(fd: int, data: bytes) -> None:
    """Write every byte, fsync, close (a short write is continued, not lost)."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes, *, own_dir: bool = True) -> None:
    """Atomically replace `path` with `data` (0600), durably.

    `own_dir=False`: `path` is where a user's link points (the whitelist), in a directory
    of theirs, which is used as it is (never created or made private).
    """
    if own_dir:
        ensure_private_dir(path.parent)
    if path.is_symlink() or path.is_dir():
        raise _unusable(path, shape="link" if path.is_symlink() else "directory")
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
        _write_all_and_close(fd, data)
        temp.replace(path)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def append_private(path: Path, line: str) -> None:
    """Append one line to the regular file `path` (created 0600) and fsync it."""
    ensure_private_dir(path.parent)
    if path.is_symlink():
        raise _unusable(path, shape="link")
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _CLOEXEC | _NONBLOCK
    try:
        fd = os.open(path, flags, PRIVATE_FILE)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads
            raise _unusable(path, shape="special") from exc
        if exc.errno in (errno.EISDIR, errno.ELOOP):
            raise _unusable(path, exc) from exc
        raise _cannot_write(path, exc) from exc
    try:
        _check_regular(path, fd)
    except BaseException:
        os.close(fd)
        raise
    try:
        _write_all_and_close(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
    except OSError as exc:
        raise _cannot_write(path, exc) from exc


def move_aside(path: Path, reason: str) -> Path:
    """Rename a damaged file to `NAME.corrupt-<time>` (kept 0600) and log it once."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    try:
        path.rename(target)
        # Whatever now has the name may be a link put there since the file was read:
        # never follow it (lstat, and no chmod for a link).
        if not stat.S_ISLNK(target.lstat().st_mode):
            target.chmod(PRIVATE_FILE)
    except OSError as exc:
        raise StateFileError(
            f"{path} is damaged ({reason}) and could not be moved aside ({exc.strerror or exc}); "
            "delete it.",
            path=path,
        ) from exc
    log.warning("%s was damaged (%s); moved it aside to %s and started clean", path, reason, target)
    return target


# -- locks ---------------------------------------------------------------------------


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _flock(fd: int, *, wait: bool) -> bool:
    """Lock the open lock file `fd` exclusively; without `wait`, False when it is held."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            if wait:
                raise
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def acquire_lock(path: Path) -> int:
    """Block until this process holds the exclusive lock `<path>.lock`; returns its fd."""
    lock = _lock_path(path)
    ensure_private_dir(lock.parent)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, PRIVATE_FILE)
    except OSError as exc:
        raise _unusable(lock, exc) from exc
    try:
        _flock(fd, wait=True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def is_locked(path: Path) -> bool:
    """Whether someone (in any process, this one included) holds the lock of `path` now;
    tried without waiting, and released at once when it was free."""
    lock = _lock_path(path)
    _check_not_linked(lock.parent)
    try:
        fd = os.open(lock, os.O_RDWR | _NOFOLLOW | _CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _unusable(lock, exc) from exc
    try:
        return not _flock(fd, wait=False)
    finally:
        os.close(fd)  # closing releases the lock, if this took it


def release_lock(fd: int) -> None:
    """Release a lock taken with `acquire_lock` (closing the fd releases it)."""
    os.close(fd)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock of `path` (blocking; for short file operations)."""
    fd = acquire_lock(path)
    try:
        yield
    finally:
        release_lock(fd)


@contextlib.asynccontextmanager
async def locked_async(path: Path) -> AsyncIterator[None]:
    """Hold the lock of `path` without blocking the event loop while waiting for it."""
    waiting = asyncio.ensure_future(asyncio.to_thread(acquire_lock, path))
    try:
        fd = await asyncio.shield(waiting)
    except asyncio.CancelledError:
        # The thread may still get the lock after we stopped waiting: free it then, or
        # every later holder (in any process) would wait forever.
        waiting.add_done_callback(_release_when_acquired)
        raise
    try:
        yield
    finally:
        release_lock(fd)


def _release_when_acquired(waiting: asyncio.Future[int]) -> None:
    if not waiting.cancelled() and waiting.exception() is None:
        release_lock(waiting.result())


def read_linked(path: Path) -> bytes | None:
    """The bytes of a user-edited file that may be a symbolic link (the whitelist), or None
    when it does not exist: the link's target must still be a regular file, read bounded."""
    data = _read_bounded(path, os.O_RDONLY | _CLOEXEC | _NONBLOCK)
    if data is not None and len(data) > MAX_BYTES:
        raise CorruptFileError(f"larger than {MAX_BYTES // 1024} KiB")
    return data


def decode_text(data: bytes) -> str:
    """A small user-editable text (UTF-8, with or without BOM, or UTF-16 with BOM).

    Raises `CorruptFileError` when the bytes are none of those.
    """
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise CorruptFileError("not UTF-8 text") from None
