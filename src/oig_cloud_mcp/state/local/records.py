"""Remote-access records in the state directory: one validated file per kind of record,
`remote/<kind>.json` ({key: {value, expires_at}}), every change made under the file's lock
(so a code taken by one process is gone for all others); expired records are dropped
whenever the file is written."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import Field, FiniteFloat, RootModel

from ...domain.base import DEFERRED, Model
from ..ports import RemoteRecords
from .state_file import StateFile, json_codec

if TYPE_CHECKING:
    pass

R = TypeVar("R")


class Entry(Model, Generic[R]):
    """One record and when it expires (Unix time)."""

    value: R
    expires_at: FiniteFloat


class Table(RootModel[dict[str, Entry[R]]], Generic[R]):
    """A file of records by key."""

    model_config = DEFERRED

    root: dict[str, Entry[R]] = Field(default_factory=dict)


class LocalRecords(Generic[R]):
    """`Records` of one kind in one file."""

    def __init__(
        self, path: Path, kind: Callable[[], type[R]], clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self._kind = kind
        self._clock = clock

    @cached_property
    def file(self) -> StateFile[Table[R]]:
        """The file, its model built on first use (`kind` names the record type lazily): a
        stdio server never reads these, and building their models at start cost it 3 %."""
        return StateFile(self.path, json_codec(Table[self._kind()]))  # type: ignore[arg-type,misc]

    def _fresh(self, table: Table[R]) -> dict[str, Entry[R]]:
        now = self._clock()
        return {key: entry for key, entry in table.root.items() if entry.expires_at > now}

    def _exists(self) -> bool:
        return self.path.exists() or self.path.is_symlink()

    async def get(self, key: str) -> R | None:
        """The record, unless missing or expired."""
        if not self._exists():
            return None
        entry = self._fresh(self.file.read()).get(key)
        return None if entry is None else entry.value

    async def put(self, key: str, value: R, expires_at: float) -> None:
        """Keep the record (under the file's lock)."""
        await self.update(key, lambda _: (value, expires_at))

    async def take(self, key: str) -> R | None:
        """Read and delete the record under the file's lock."""
        if not self._exists():
            return None
        taken: R | None = None

        def remove(table: Table[R]) -> Table[R]:
            nonlocal taken
            kept = self._fresh(table)
            entry = kept.pop(key, None)
            taken = None if entry is None else entry.value
            return Table[R](kept)

        self.file.update(remove)
        return taken

    async def delete(self, key: str) -> None:
        """Forget the record."""
        await self.take(key)

    async def update(
        self, key: str, change: Callable[[R | None], tuple[R | None, float]]
    ) -> R | None:
        """Replace the record with what `change` makes of it, under the file's lock."""
        result: R | None = None

        def apply(table: Table[R]) -> Table[R]:
            nonlocal result
            kept = self._fresh(table)
            old = kept.get(key)
            result, expires_at = change(None if old is None else old.value)
            if result is None:
                kept.pop(key, None)
            else:
                kept[key] = Entry[R](value=result, expires_at=expires_at)
            return Table[R](kept)

        self.file.update(apply)
        return result

    async def values(self) -> list[tuple[str, R]]:
        """Every record that has not expired."""
        return self.live()

    def live(self) -> list[tuple[str, R]]:
        """`values`, for `status` (which reads files without an event loop)."""
        if not self._exists():
            return []
        return [(key, entry.value) for key, entry in self._fresh(self.file.read()).items()]


def local_remote(directory: Path, clock: Callable[[], float] = time.time) -> RemoteRecords:
    """Remote-access records in `directory` (the state directory's `remote/`)."""

    def records(name: str, kind: Callable[[], type[R]]) -> LocalRecords[R]:
        return LocalRecords(directory / f"{name}.json", kind, clock)

    return RemoteRecords(
        clients=records("clients", lambda: grants().ClientRecord),
        consents=records("consents", lambda: grants().ConsentRequest),
        codes=records("codes", lambda: grants().CodeRecord),
        grants=records("grants", lambda: grants().Grant),
        access=records("access", lambda: grants().AccessRecord),
        refresh=records("refresh", lambda: str),
        pairing=records("pairing", lambda: bool),
        lockouts=records("lockouts", lambda: grants().Lockout),
        vault=records("vault", lambda: str),
    )


def grants() -> ModuleType:
    """`domain.grants`, imported when a record is first read or written."""
    from ...domain import grants

    return grants
