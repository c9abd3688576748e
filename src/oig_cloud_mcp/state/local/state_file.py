"""The one way oig-cloud-mcp reads, validates, locks and writes its own files.

A `StateFile` reads its file with `files` (no links, size-capped, named errors) and
validates the content into a model. Content that does not validate is moved aside as
`NAME.corrupt-<time>` (0600), logged once, and the caller starts from a clean state; a
file that guards the account (`fail_closed`) is left in place and refused instead. A file
that cannot be read at all is an error that names it, and it is never overwritten.
Updates hold the file's lock across processes and write atomically; an `AppendLog`
appends whole lines under the same lock. Nothing else in the package touches these files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from ...errors import StateFileError
from .files import (
    MAX_BYTES,
    CorruptFileError,
    append_private,
    locked,
    move_aside,
    read_linked,
    read_private,
    read_tail,
    write_private,
)

M = TypeVar("M")
B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class Codec(Generic[M]):
    """How a file's bytes become a value and back."""

    empty: Callable[[], M]
    parse: Callable[[bytes], M]
    """Raises `CorruptFileError` or `ValueError` for content that does not validate."""
    dump: Callable[[M], bytes]


def json_codec(model: type[B]) -> Codec[B]:
    """A codec for a pydantic model stored as JSON (strict types, no NaN or infinity)."""

    def parse(data: bytes) -> B:
        try:
            return model.model_validate_json(data, strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the top level"
            raise CorruptFileError(f"{first['msg']} at {where}") from None

    def dump(value: B) -> bytes:
        return value.model_dump_json(indent=1).encode("utf-8")

    return Codec(empty=model, parse=parse, dump=dump)


HealthState = Literal["missing", "ok", "moved aside", "damaged", "unreadable"]


@dataclass(frozen=True)
class Health:
    """What `status` says about one file."""

    path: Path
    state: HealthState
    detail: str = ""


class StateFile(Generic[M]):
    """One validated file: read, update under the lock, check for `status`."""

    def __init__(
        self,
        path: Path,
        codec: Codec[M],
        *,
        fail_closed: bool = False,
        damaged: str = "",
        follow_links: bool = False,
    ) -> None:
        self.path = path
        self._codec = codec
        self._fail_closed = fail_closed
        self._damaged = damaged or "{path} is damaged ({reason}); delete it."
        self._follow_links = follow_links
        """A user-edited file (the whitelist) may be a link: read and written where it points."""

    def _raw(self) -> bytes | None:
        if self._follow_links:
            return read_linked(self.path)
        return read_private(self.path)

    def _target(self) -> Path:
        return self.path.resolve() if self._follow_links and self.path.is_symlink() else self.path

    def _parse(self, data: bytes | None) -> M:
        if data is None:
            return self._codec.empty()
        try:
            return self._codec.parse(data)
        except ValueError as exc:
            raise CorruptFileError(str(exc) or "unreadable content") from None

    def read_held(self) -> M:
        """Read and validate while the caller holds the lock.

        A damaged file is moved aside (or refused, when the file fails closed).
        """
        try:
            return self._parse(self._raw())
        except CorruptFileError as exc:
            if self._fail_closed:
                raise StateFileError(
                    self._damaged.format(path=self.path, reason=exc), path=self.path, kind="damaged"
                ) from None
            move_aside(self.path, str(exc))
            return self._codec.empty()

    def read(self) -> M:
        """The current value (empty when missing)."""
        try:
            return self._parse(self._raw())
        except CorruptFileError:
            with locked(self.path):  # another process may have replaced it meanwhile
                return self.read_held()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction[M]]:
        """Hold the lock, read the value, and let the caller write a new one."""
        with locked(self.path):
            yield Transaction(self, self.read_held())

    def write_held(self, value: M) -> None:
        """Write `value` while the caller holds the lock."""
        target = self._target()
        write_private(target, self._codec.dump(value), own_dir=target == self.path)

    def update(self, change: Callable[[M], M]) -> M:
        """Read, change and write back under the lock (not written when nothing changed);
        returns the new value."""
        with self.transaction() as tx:
            before = self._codec.dump(tx.value)  # `change` may edit the value in place
            tx.value = change(tx.value)
            if self._codec.dump(tx.value) != before or not self.path.exists():
                tx.save()
            return tx.value

    def delete(self) -> bool:
        """Remove the file under its lock; True if there was one."""
        with locked(self.path):
            try:
                self.path.unlink()
            except FileNotFoundError:
                return False
            return True

    def reset(self) -> None:
        """Start clean on purpose (the owner's explicit act): move a damaged file aside."""
        with locked(self.path):
            self._health_locked()

    def health(self) -> Health:
        """ok / missing / moved aside / damaged / unreadable, never raising."""
        try:
            data = self._raw()
            self._parse(data)
        except StateFileError as exc:
            return Health(self.path, "unreadable", str(exc))
        except CorruptFileError as exc:
            if self._fail_closed:
                return Health(self.path, "damaged", str(exc))
            try:
                with locked(self.path):  # another process may have replaced it meanwhile
                    return self._health_locked()
            except StateFileError as error:
                return Health(self.path, "unreadable", str(error))
        return Health(self.path, "missing" if data is None else "ok")

    def _health_locked(self) -> Health:
        try:
            data = self._raw()
            self._parse(data)
        except CorruptFileError as exc:
            target = move_aside(self.path, str(exc))
            return Health(self.path, "moved aside", f"{exc}; now {target.name}")
        return Health(self.path, "missing" if data is None else "ok")


class Transaction(Generic[M]):
    """A value read under the file's lock; `save()` writes it back before the lock goes."""

    def __init__(self, file: StateFile[M], value: M) -> None:
        self.file = file
        self.value = value

    def save(self) -> None:
        """Write the (changed) value."""
        self.file.write_held(self.value)


TAIL_BYTES = 65536
"""How much of a log grown past `MAX_BYTES` `AppendLog.last` reads, from its end."""


class AppendLog:
    """An append-only file of JSON lines: each append is one whole, fsynced line, made
    under the file's lock; reading takes the newest lines (the tail of a large file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, line: str) -> None:
        """Append one line durably; raises `StateFileError` when it cannot."""
        with locked(self.path):
            append_private(self.path, line)

    def last_lines(self, count: int) -> list[str]:
        """Up to `count` newest lines (raises `StateFileError` if the file is unreadable)."""
        data = read_private(self.path) if self._small() else self._tail()
        return (data or b"").decode("utf-8", "replace").splitlines()[-count:]

    def _small(self) -> bool:
        try:
            return self.path.lstat().st_size <= MAX_BYTES
        except OSError:
            return True  # let read_private say what is wrong

    def _tail(self) -> bytes:
        """The whole lines in the last `TAIL_BYTES` of the log."""
        data = read_tail(self.path, TAIL_BYTES) or b""
        return data.split(b"\n", 1)[-1]
