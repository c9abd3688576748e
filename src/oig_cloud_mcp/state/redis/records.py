"""Remote-access records in the shared Redis: `prefix:remote:<kind>:<key>`, one JSON value
per record, expiring when the record does (PX, from the caller's clock, so replicas whose
clocks differ a little still agree within that difference).

`take` is GETDEL (single use across every replica); `update` is an optimistic transaction
(WATCH, read, MULTI/EXEC; run again on the newer record if another replica changed it);
`values` walks the kind's keys with SCAN (fine for the few records a home server has).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from pydantic import TypeAdapter, ValidationError
from redis.asyncio.client import Pipeline

from ...domain.grants import (
    AccessRecord,
    ClientRecord,
    CodeRecord,
    ConsentRequest,
    Grant,
    Lockout,
)
from ..ports import RemoteRecords
from .connection import Raw, Store, start_writes

log = logging.getLogger(__name__)
R = TypeVar("R")

SCAN_BATCH = 200


class RedisRecords(Generic[R]):
    """`Records` of one kind in Redis."""

    def __init__(
        self, store: Store, kind: str, model: type[R], clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.kind = kind
        self._adapter: TypeAdapter[R] = TypeAdapter(model)
        self._clock = clock

    def _key(self, key: str) -> str:
        return self.store.key("remote", self.kind, key)

    def _load(self, raw: Raw) -> R | None:
        if raw is None:
            return None
        try:
            return self._adapter.validate_json(raw)
        except ValidationError:
            log.warning("A damaged %s record in the shared state reads as absent", self.kind)
            return None

    def _dump(self, value: R) -> str:
        return self._adapter.dump_json(value).decode()

    def _ttl_ms(self, expires_at: float) -> int:
        """Milliseconds until `expires_at` (0: already expired, keep nothing)."""
        left = (expires_at - self._clock()) * 1000
        return math.ceil(left) if left > 0 and math.isfinite(left) else 0

    async def get(self, key: str) -> R | None:
        """The record, unless missing or expired."""
        with self.store.translating():
            return self._load(await self.store.redis.get(self._key(key)))

    async def put(self, key: str, value: R, expires_at: float) -> None:
        """Keep `value` until `expires_at` (Unix time)."""
        ttl_ms = self._ttl_ms(expires_at)
        with self.store.translating():
            if ttl_ms:
                await self.store.redis.set(self._key(key), self._dump(value), px=ttl_ms)
            else:
                await self.store.redis.delete(self._key(key))

    async def take(self, key: str) -> R | None:
        """Read and delete the record in one command (GETDEL)."""
        with self.store.translating():
            return self._load(await self.store.redis.getdel(self._key(key)))

    async def delete(self, key: str) -> None:
        """Forget the record."""
        with self.store.translating():
            await self.store.redis.delete(self._key(key))

    async def update(
        self, key: str, change: Callable[[R | None], tuple[R | None, float]]
    ) -> R | None:
        """Replace the record with what `change` makes of it, in one optimistic transaction
        (`change` runs again on the newer record when another replica changed it)."""
        name = self._key(key)

        async def attempt(pipe: Pipeline) -> R | None:
            value, expires_at = change(self._load(await pipe.get(name)))
            ttl_ms = 0 if value is None else self._ttl_ms(expires_at)
            start_writes(pipe)
            if value is not None and ttl_ms:
                pipe.set(name, self._dump(value), px=ttl_ms)
            else:
                pipe.delete(name)
            return value

        return await self.store.transaction(attempt, name)

    async def values(self) -> list[tuple[str, R]]:
        """Every record that has not expired, by key."""
        pattern = self.store.pattern("remote", self.kind)
        cut = len(self._key(""))
        with self.store.translating():
            names = [name async for name in self.store.redis.scan_iter(pattern, SCAN_BATCH)]
            found: list[tuple[str, Raw]] = []
            for start in range(0, len(names), SCAN_BATCH):
                batch = names[start : start + SCAN_BATCH]
                found += zip(batch, await self.store.redis.mget(batch), strict=True)
        kept = [(name[cut:], self._load(raw)) for name, raw in found]
        return [(key, value) for key, value in kept if value is not None]


def redis_remote(store: Store, clock: Callable[[], float] = time.time) -> RemoteRecords:
    """Remote-access records under `prefix:remote:`."""

    def records(kind: str, model: type[R]) -> RedisRecords[R]:
        return RedisRecords(store, kind, model, clock)

    return RemoteRecords(
        clients=records("clients", ClientRecord),
        consents=records("consents", ConsentRequest),
        codes=records("codes", CodeRecord),
        grants=records("grants", Grant),
        access=records("access", AccessRecord),
        refresh=records("refresh", str),
        pairing=records("pairing", bool),
        lockouts=records("lockouts", Lockout),
        vault=records("vault", str),
    )
