"""The state ports: everything oig-cloud-mcp keeps, as the app and the client see it.

Each port is a `typing.Protocol` keyed by account (the case-folded e-mail) or, for the
preview ledger, by the principal that previewed. Implementations: `state.local` (private
files in the state directory, shared by every process on the machine; the default),
`state.memory` (one process, for tests) and `state.redis` (a Redis shared by the replicas
of a hosted server). A `State` bundles one implementation of each.

    sessions    OIG session cookies, login backoff and the whitelist (the client's hook)
    cache       the last json.php answer per account, for the cache window
    pending     changes sent and not yet seen applied
    audit       what every write tool call did
    write_lock  one write at a time per account, across processes
    previews    which change each principal was shown, so only that one may be confirmed
    remote      the OAuth authorization server's records (clients, consents, codes, grants,
                tokens, pairing codes, consent lockouts), each kept under a digest or id,
                with an expiry
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..domain.changes import StoredChange
from ..portal.sessions import LiveCache, SessionKeeper

if TYPE_CHECKING:
    from ..domain.grants import (
        AccessRecord,
        ClientRecord,
        CodeRecord,
        ConsentRequest,
        Grant,
        Lockout,
    )

Changes = list[StoredChange]


class PendingStore(Protocol):
    """Changes sent to each account's boxes, tracked until the live data shows them."""

    async def changes(self, account: str) -> Changes:
        """The account's tracked changes, oldest first."""

    async def update(
        self,
        account: str,
        change: Callable[[Changes], Changes],
        *,
        fence: WriteLease | None = None,
    ) -> Changes:
        """Read, change and keep the account's list atomically (across processes).

        `change` may run more than once (a shared store runs it again on the newer list
        when another process changed it meanwhile), so it must be a pure function of its
        argument. With `fence` (the intent of a write, under the write lock) the list is
        kept only while that lock is still held: checked atomically with the write where
        the store can (Redis), else just before it; otherwise `StateFileError` is raised
        and nothing changes.
        """


class AuditLog(Protocol):
    """Append-only lines of what write tools did."""

    async def append(self, entry: dict[str, Any]) -> None:
        """Keep one line durably; raises `StateFileError` when it cannot."""

    async def last(self, count: int) -> list[dict[str, Any]]:
        """The newest `count` readable lines, oldest first."""


class WriteLease(Protocol):
    """An account's write lock, as its holder sees it while holding it."""

    async def check(self) -> None:
        """Raise `StateFileError` unless this holder still holds the lock.

        A lock shared by replicas is held under a lease: a holder that stalls longer than
        the lease loses it to another one, and must not record or send anything after.
        """


class ProcessLease:
    """The lease of a lock that lasts as long as the process holding it (a file lock, an
    asyncio lock): it cannot be lost, so there is nothing to check."""

    async def check(self) -> None:
        """Always still held."""


class WriteLock(Protocol):
    """One write at a time per account, whichever process sends it."""

    def hold(self, account: str) -> AbstractAsyncContextManager[WriteLease]:
        """Hold the account's write lock (waiting for it without blocking the loop); the
        lease is what `PendingStore.update(fence=...)` checks before an intent is kept."""

    async def busy(self, account: str) -> bool:
        """Whether a write holds the account's lock now (checked without waiting): a
        change recorded as `sending` is then in flight, not left by a process that died."""


class PreviewLedger(Protocol):
    """Which changes each principal was shown as a preview, and when."""

    async def remember(self, principal: str, change: str, at: datetime) -> None:
        """`principal` was shown `change` (a key naming tool, box and value) at `at`."""

    async def shown_at(self, principal: str, change: str) -> datetime | None:
        """When `principal` was last shown `change`, if it was."""


R = TypeVar("R")


class Records(Protocol[R]):
    """One kind of small record, keyed by a string, each with an expiry (Unix time).

    An expired record reads as absent. `take` and `update` are atomic across every process
    (and replica) sharing the state: a code taken once is gone for every other taker.
    """

    async def get(self, key: str) -> R | None:
        """The record, unless missing or expired."""

    async def put(self, key: str, value: R, expires_at: float) -> None:
        """Keep `value` under `key` until `expires_at`."""

    async def take(self, key: str) -> R | None:
        """Read and delete the record in one step (single use)."""

    async def delete(self, key: str) -> None:
        """Forget the record."""

    async def update(
        self, key: str, change: Callable[[R | None], tuple[R | None, float]]
    ) -> R | None:
        """Replace the record with what `change` makes of it (None deletes it), atomically;
        `change` returns the new record and its expiry. It may run more than once (again on
        the newer record when another process changed it meanwhile): it must not count
        or collect anything outside its result."""

    async def values(self) -> list[tuple[str, R]]:
        """Every record that has not expired."""


@dataclass
class RemoteRecords:
    """The records of remote access (see `domain.grants`)."""

    clients: Records[ClientRecord]
    consents: Records[ConsentRequest]
    codes: Records[CodeRecord]
    grants: Records[Grant]
    access: Records[AccessRecord]
    refresh: Records[str]
    """Refresh-token digest → the id of its grant (retired tokens too, to detect reuse)."""
    pairing: Records[bool]
    lockouts: Records[Lockout]
    vault: Records[str]
    """Households' logins, sealed (serving many homes; see `state.vault`)."""


@dataclass
class State:
    """One implementation of every port, and where it keeps things (for `status`)."""

    sessions: SessionKeeper
    cache: LiveCache
    pending: PendingStore
    audit: AuditLog
    write_lock: WriteLock
    previews: PreviewLedger
    remote: RemoteRecords
    where: str
    aclose: Callable[[], Awaitable[None]] = field(default=lambda: _nothing())
    """Let go of connections (the shared state's); call once when the server stops."""
    ping: Callable[[], Awaitable[None]] = field(default=lambda: _nothing())
    """Raise `StateUnavailableError` unless the shared state answers (the health check)."""
    forget: Callable[[str, Sequence[str]], Awaitable[dict[str, int]]] = field(
        default=lambda account, principals: _nothing_kept()
    )
    """Delete everything kept for an account (its session cookie, login backoff, live
    cache, pending changes) and the previews of the given principals; returns how many of
    each kind were deleted (keys: session, backoff, live, pending, previews)."""


async def _nothing() -> None:
    """Files and memory hold no connection."""


async def _nothing_kept() -> dict[str, int]:
    """Memory is forgotten with its process."""
    return {}
