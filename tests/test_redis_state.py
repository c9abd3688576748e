"""The Redis state on its own: the key layout, leases and fencing, damaged values,
optimistic updates, and portal clients and app replicas sharing it (fakeredis in
process); connecting and failures are in test_redis_connection."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import fakeredis
import pytest

from oig_cloud_mcp.app.authorization import Authorization, RemoteSettings
from oig_cloud_mcp.app.context import App
from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.grants import Grant, Lockout, RefreshChain, digest
from oig_cloud_mcp.domain.models import Credentials, WriteResult
from oig_cloud_mcp.errors import StateFileError, StateUnavailableError
from oig_cloud_mcp.portal.client import OigCloudClient
from oig_cloud_mcp.state.ports import State
from oig_cloud_mcp.state.redis import state_on
from oig_cloud_mcp.state.redis.connection import Store
from oig_cloud_mcp.state.redis.records import RedisRecords, redis_remote
from oig_cloud_mcp.state.redis.stores import CHANGES

from .fake_portal import FakePortal
from .helpers.fakes import EMAIL, PASSWORD, given
from .helpers.redis_servers import HINTS, fake_store
from .helpers.stored_changes import change

pytestmark = pytest.mark.anyio

NOW = datetime(2025, 6, 28, 12, 0, tzinfo=UTC)


def shared_state(settings: Settings, server: fakeredis.FakeServer, **options: Any) -> State:
    return state_on(fake_store(server), settings, HINTS, **options)


# -- the key layout -----------------------------------------------------------------------


async def use_every_port(state: State, account: str = EMAIL) -> None:
    async with state.sessions.renewal(account) as renewal:
        await renewal.rejected()
        await renewal.accepted("abc123")
        await renewal.rejected()
    await state.cache.put(account, {"box": {}})
    async with state.cache.fetching(account):
        pass
    async with state.write_lock.hold(account) as lease:
        await state.pending.update(account, lambda e: [change(1)], fence=lease)
    await state.audit.append({"tool": "set_box_mode", "account": account})
    await state.previews.remember(account, "set_box_mode\n2205232120\nHome 2", NOW)
    await state.remote.grants.update("g", lambda _: (None, 0.0))
    await state.remote.lockouts.put("consent", Lockout(failures=1), time.time() + 60)


async def test_no_key_name_holds_an_email_address(settings: Settings) -> None:
    server = fakeredis.FakeServer()
    state = shared_state(settings, server)
    await state.sessions.add_to_whitelist(EMAIL)  # type: ignore[attr-defined]

    await use_every_port(state)

    names = await fake_store(server).redis.keys("*")
    assert len(names) >= 8
    assert not [name for name in names if "@" in name or "owner" in name]


async def test_every_key_carries_the_prefix_so_deployments_can_share_a_redis(
    settings: Settings,
) -> None:
    server = fakeredis.FakeServer()
    home = state_on(fake_store(server, "home:"), settings, HINTS)
    cabin = state_on(fake_store(server, "cabin:"), settings, HINTS)

    await use_every_port(home)

    names = [str(name) for name in await fake_store(server).redis.keys("*")]
    assert all(name.startswith("home:") for name in names)
    assert await cabin.pending.changes(EMAIL) == []
    assert await cabin.sessions.stored_cookie(EMAIL) is None
    assert await cabin.remote.lockouts.values() == []


async def test_keys_expire_as_documented(settings: Settings) -> None:
    server = fakeredis.FakeServer()
    settings = dataclasses.replace(settings, cache_ttl_s=20.0)
    state = shared_state(settings, server)
    await use_every_port(state)
    redis = fake_store(server).redis

    async def ttl(kind: str) -> int:
        (name,) = [n for n in map(str, await redis.keys("*")) if n.startswith(f"oig:{kind}:")]
        return int(await redis.ttl(name))

    assert 0 < await ttl("live") <= 20
    assert 29 * 86400 < await ttl("session") <= 30 * 86400
    assert 86400 < await ttl("pending") <= 2 * 86400
    assert 0 < await ttl("previews") <= 3600
    assert 0 < await ttl("remote:lockouts") <= 60
    assert await ttl("backoff") == -1  # kept until a login succeeds, like the file
    assert await ttl("fence:write") == -1
    assert not [n for n in await redis.keys("oig:lock:*")]  # every lock was let go


# -- leases and fencing -------------------------------------------------------------------


async def test_a_holder_that_lost_its_lease_cannot_record_an_intent(settings: Settings) -> None:
    server = fakeredis.FakeServer()
    first, second = shared_state(settings, server), shared_state(settings, server)
    raw = fake_store(server).redis

    async with first.write_lock.hold(EMAIL) as stale:
        (lock,) = await raw.keys("oig:lock:write:*")
        await raw.delete(lock)  # its lease ran out while it stalled
        async with second.write_lock.hold(EMAIL) as current:
            await second.pending.update(EMAIL, lambda e: [*e, change(2)], fence=current)

            with pytest.raises(StateUnavailableError, match="lost the write lock"):
                await first.pending.update(EMAIL, lambda e: [change(1)], fence=stale)
            with pytest.raises(StateUnavailableError, match="so nothing was sent"):
                await stale.check()
            await current.check()

    assert await first.pending.changes(EMAIL) == [change(2)]


async def test_every_holder_of_the_write_lock_gets_a_higher_fencing_number(
    settings: Settings,
) -> None:
    state = shared_state(settings, fakeredis.FakeServer())
    numbers = []
    for _ in range(3):
        async with state.write_lock.hold(EMAIL) as lease:
            numbers.append(lease.fence)  # type: ignore[attr-defined]

    assert numbers == sorted(set(numbers))
    assert len(numbers) == 3


async def test_a_lock_held_longer_than_its_lease_stays_held(settings: Settings) -> None:
    settings = dataclasses.replace(settings, timeout_s=0.05)  # others wait 4 × this + lease
    server = fakeredis.FakeServer()
    first = shared_state(settings, server, lease_s=0.3)
    second = shared_state(settings, server, lease_s=0.3)

    async with first.write_lock.hold(EMAIL) as lease:
        with pytest.raises(StateUnavailableError, match="still being sent"):
            async with second.write_lock.hold(EMAIL):
                pass  # waited 0.5 s: longer than the lease, which was renewed meanwhile
        await lease.check()

    async with second.write_lock.hold(EMAIL):
        pass


async def test_a_lock_whose_holder_died_is_free_once_its_lease_runs_out(
    settings: Settings,
) -> None:
    server = fakeredis.FakeServer()
    state = shared_state(settings, server, lease_s=0.3)
    raw = fake_store(server).redis
    dead_holder = state.sessions.store.account_key("lock:write", EMAIL)  # type: ignore[attr-defined]
    await raw.set(dead_holder, "token-of-a-killed-replica", px=300)

    started = time.monotonic()
    async with state.write_lock.hold(EMAIL) as lease:
        await lease.check()

    assert 0.2 < time.monotonic() - started < 2


# -- damaged values -----------------------------------------------------------------------


async def test_damaged_values_read_as_absent_and_a_damaged_list_is_kept_aside(
    settings: Settings,
) -> None:
    server = fakeredis.FakeServer()
    state = shared_state(settings, server)
    store = fake_store(server)
    for kind in ("session", "live", "pending"):
        await store.redis.set(store.account_key(kind, EMAIL), "{not json")
    await store.redis.set("oig:remote:grants:g", "{not json")

    assert await state.sessions.stored_cookie(EMAIL) is None  # a login, not an error
    assert await state.cache.get(EMAIL) is None
    assert await state.pending.changes(EMAIL) == []
    assert await state.remote.grants.get("g") is None
    assert await state.pending.update(EMAIL, lambda e: [*e, change(1)]) == [change(1)]
    aside = store.account_key("pending", EMAIL) + ":damaged"
    assert await store.redis.get(aside) == "{not json"


async def test_an_update_runs_again_on_what_another_replica_wrote_meanwhile(
    settings: Settings,
) -> None:
    server = fakeredis.FakeServer()
    state = shared_state(settings, server)
    other = fakeredis.FakeRedis(server=server, decode_responses=True)  # another replica
    later = time.time() + 60
    seen: list[int] = []
    await state.remote.lockouts.put("consent", Lockout(failures=1), later)

    def count(lockout: Lockout | None) -> tuple[Lockout | None, float]:
        seen.append(lockout.failures if lockout else 0)
        if len(seen) == 1:  # the other replica writes between this read and this write
            other.set("oig:remote:lockouts:consent", Lockout(failures=5).model_dump_json(), ex=60)
        return Lockout(failures=seen[-1] + 1), later

    assert await state.remote.lockouts.update("consent", count) == Lockout(failures=6)
    assert seen == [1, 5]


async def test_a_change_of_pending_changes_runs_again_on_another_replicas_list(
    settings: Settings,
) -> None:
    server = fakeredis.FakeServer()
    state = shared_state(settings, server)
    other = shared_state(settings, server)
    key = fake_store(server).account_key("pending", EMAIL)
    theirs = fakeredis.FakeRedis(server=server, decode_responses=True)
    runs = 0

    def add(entries: list[Any]) -> list[Any]:
        nonlocal runs
        runs += 1
        if runs == 1:
            theirs.set(key, CHANGES.dump_json([change(7)]).decode())
        return [*entries, change(1)]

    kept = await state.pending.update(EMAIL, add)

    assert kept == [change(7), change(1)] == await other.pending.changes(EMAIL)
    assert runs == 2


# -- portal clients sharing the state -----------------------------------------------------


@contextlib.asynccontextmanager
async def replicas(
    settings: Settings, count: int, **changes: Any
) -> AsyncIterator[list[OigCloudClient]]:
    """`count` portal clients, each with its own connection to one fake Redis (replicas)."""
    settings = dataclasses.replace(settings, **changes)
    server = fakeredis.FakeServer()
    states = [shared_state(settings, server) for _ in range(count)]
    made = [
        OigCloudClient(
            settings.base_url,
            given(Credentials(EMAIL, PASSWORD)),
            sessions=state.sessions,
            cache=state.cache,
        )
        for state in states
    ]
    try:
        yield made
    finally:
        for client, state in zip(made, states, strict=True):
            await client.aclose()
            await state.aclose()


async def test_replicas_renew_each_expired_session_with_exactly_one_login(
    settings: Settings, portal: FakePortal
) -> None:
    portal.login_delay_s = 0.1  # the others find the session dead while one logs in
    async with replicas(settings, 3, cache_ttl_s=0.0) as three:
        await asyncio.gather(*(r.live_stats() for r in three))
        before = portal.count("Login.php")
        results = []
        for _ in range(5):
            portal.expire_sessions()
            results += await asyncio.gather(
                *(r.live_stats() for r in three), return_exceptions=True
            )

    assert before == 1
    assert portal.count("Login.php") - before == 5
    assert [r for r in results if isinstance(r, BaseException)] == []


async def test_replicas_reading_at_once_within_the_cache_window_ask_the_portal_once(
    settings: Settings, portal: FakePortal
) -> None:
    portal.delay_s = 0.1
    async with replicas(settings, 3, cache_ttl_s=20.0) as three:
        answers = await asyncio.gather(*(r.live_stats() for r in three))
        again = await asyncio.gather(*(r.live_stats() for r in three))

    assert portal.count("json.php") == 1
    assert answers == again
    assert all(answer == answers[0] for answer in answers)


class StallsBeforeTheIntent:
    """Pending changes of a replica that stalls, past its lease, just before it records the
    intent of a write: meanwhile `meanwhile` runs (the lock passes to another replica)."""

    def __init__(self, inner: Any, meanwhile: Callable[[], Awaitable[None]]) -> None:
        self.inner = inner
        self.meanwhile: Callable[[], Awaitable[None]] | None = meanwhile

    async def changes(self, account: str) -> Any:
        return await self.inner.changes(account)

    async def update(self, account: str, change: Any, *, fence: Any = None) -> Any:
        if fence is not None and self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
        return await self.inner.update(account, change, fence=fence)


async def confirmed(app: App, principal: str, mode: str) -> WriteResult:
    """A write as the user makes it: the preview, then the same call confirmed."""
    await app.writes.execute(
        await app.writes.plan("set_box_mode", mode=mode, box_id=None),
        "preview",
        principal=principal,
    )
    plan = await app.writes.plan("set_box_mode", mode=mode, box_id=None)
    return await app.writes.execute(plan, "confirmed", principal=principal)


async def test_a_replica_that_lost_the_write_lock_sends_nothing(
    settings: Settings, portal: FakePortal
) -> None:
    writable = dataclasses.replace(
        settings, allowed_writes=frozenset({"set_box_mode"}), cache_ttl_s=0.0
    )
    server = fakeredis.FakeServer()
    stalled_state, other_state = shared_state(writable, server), shared_state(writable, server)
    stalled, other = (
        build_app(writable, state=stalled_state),
        build_app(writable, state=other_state),
    )
    results: list[WriteResult] = []

    async def lease_runs_out_and_the_other_replica_writes() -> None:
        raw = fake_store(server).redis
        await raw.delete(*await raw.keys("oig:lock:write:*"))
        results.append(await confirmed(other, "other", "Home 2"))

    stalled_state.pending = StallsBeforeTheIntent(
        stalled_state.pending, lease_runs_out_and_the_other_replica_writes
    )
    try:
        with pytest.raises(StateFileError, match="Nothing was sent") as raised:
            await confirmed(stalled, "stalled", "Home UPS")
        pending = await other_state.pending.changes(EMAIL)
    finally:
        await stalled.aclose()
        await other.aclose()

    assert "lost the write lock" in str(raised.value)
    assert [r.outcome for r in results] == ["written"]
    assert [r.json()["value"] for r in portal.write_requests()] == [1]  # Home 2 only
    assert [(c.requested, c.status) for c in pending] == [("Home 2", "pending")]


class TouchedByAnotherReplica(RedisRecords[Grant]):
    """Grants that another replica writes once while this one is changing one (so the
    optimistic transaction runs the change again)."""

    def __init__(self, store: Store, other: Any) -> None:
        super().__init__(store, "grants", Grant)
        self.other = other

    async def update(self, key: str, change: Any) -> Any:
        touched = False

        def contended(grant: Grant | None) -> Any:
            nonlocal touched
            if not touched:
                touched = True
                name = self.store.key("remote", "grants", key)
                self.other.set(name, self.other.get(name), keepttl=True)
            return change(grant)

        return await super().update(key, contended)


async def test_a_refresh_rotates_even_when_another_replica_touches_the_grant_meanwhile() -> None:
    server = fakeredis.FakeServer()
    store = fake_store(server)
    records = redis_remote(store)
    records.grants = TouchedByAnotherReplica(
        store, fakeredis.FakeRedis(server=server, decode_responses=True)
    )
    authorization = Authorization(
        records, RemoteSettings(issuer="https://home.example", write_allowed=False)
    )
    refresh, now = "oig_rt_old", time.time()
    grant = Grant(
        id="grant-1",
        client_id="client-1",
        subject="owner",
        scopes=["oig:read"],
        resource="https://home.example/mcp",
        created_at=now,
        last_used_at=now,
        refresh=RefreshChain(current=digest(refresh)),
    )
    await records.grants.put(grant.id, grant, now + 3600)
    await records.refresh.put(digest(refresh), grant.id, now + 3600)

    tokens = await authorization.exchange_refresh("client-1", refresh, ["oig:read"])

    rotated = await records.grants.get(grant.id)
    assert rotated is not None
    assert rotated.refresh.current == digest(tokens.refresh_token)
