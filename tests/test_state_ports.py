"""Every implementation of the state ports keeps the same promises.

Each test runs on memory, on the state directory's files, on Redis (fakeredis, in
process) and on a real redis-server of the test's own. "Another process" is a second
`State` on the same directory or the same Redis (memory shares nothing, so it sits out
those tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fakeredis
import pytest

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.changes import StoredChange
from oig_cloud_mcp.domain.grants import Lockout
from oig_cloud_mcp.errors import LoginLockedError, NotWhitelistedError, StateFileError
from oig_cloud_mcp.state.local import local_state
from oig_cloud_mcp.state.local.security import add_to_whitelist, backoff_file
from oig_cloud_mcp.state.local.sessions import SessionStore, SharedSessions
from oig_cloud_mcp.state.memory import memory_state
from oig_cloud_mcp.state.ports import State
from oig_cloud_mcp.state.redis import Store, connect, state_on
from oig_cloud_mcp.state.redis.sessions import RedisSessions

from .helpers.fakes import FakeClock
from .helpers.redis_servers import HINTS, fake_store
from .helpers.stored_changes import change

pytestmark = pytest.mark.anyio

KINDS = ["memory", "files", "fakeredis", "redis-server"]
SHARED_KINDS = KINDS[1:]
OWNER = "owner@example.com"
NEIGHBOUR = "neighbour@example.com"
NOW = datetime(2025, 6, 28, 12, 0, tzinfo=UTC)


@dataclasses.dataclass
class Kit:
    """Two views of one state (as two processes have), made for one kind."""

    kind: str
    make: Callable[[], State]

    def state(self) -> State:
        return self.make()


@pytest.fixture(params=KINDS)
async def kit(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Kit]:
    """One kind of state; `kit.state()` is another process's view of the same state."""
    async with _kit(request, settings) as made:
        yield made


@pytest.fixture(params=SHARED_KINDS)
async def shared(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Kit]:
    """The kinds shared by several processes."""
    async with _kit(request, settings) as made:
        yield made


@contextlib.asynccontextmanager
async def _kit(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Kit]:
    settings = dataclasses.replace(settings, cache_ttl_s=0.3, timeout_s=2.0)
    stores: list[Store] = []

    def on(make_store: Callable[[], Store]) -> Callable[[], State]:
        def make() -> State:
            stores.append(make_store())
            return state_on(stores[-1], settings, HINTS, lease_s=1.0)

        return make

    if request.param == "memory":
        one = memory_state(cache_ttl_s=settings.cache_ttl_s)
        yield Kit("memory", lambda: one)
    elif request.param == "files":
        yield Kit("files", lambda: local_state(settings, HINTS))
    else:
        if request.param == "fakeredis":
            server = fakeredis.FakeServer()
            yield Kit("fakeredis", on(lambda: fake_store(server)))
        else:
            real = request.getfixturevalue("real_redis")
            yield Kit("redis-server", on(lambda: connect(real.url)))
        for store in stores:
            await store.aclose()


# -- pending changes ----------------------------------------------------------------------


async def test_pending_changes_start_empty_and_an_update_keeps_them(kit: Kit) -> None:
    state = kit.state()
    assert await state.pending.changes(OWNER) == []

    kept = await state.pending.update(OWNER, lambda entries: [*entries, change(1)])

    assert kept == [change(1)]
    assert await state.pending.changes(OWNER) == [change(1)]


async def test_pending_changes_are_kept_per_account(kit: Kit) -> None:
    state = kit.state()
    await state.pending.update(OWNER, lambda entries: [*entries, change(1)])
    await state.pending.update(NEIGHBOUR, lambda entries: [*entries, change(2)])

    assert await state.pending.changes(OWNER) == [change(1)]
    assert await state.pending.changes(NEIGHBOUR) == [change(2)]


async def test_an_update_that_keeps_nothing_leaves_no_changes(kit: Kit) -> None:
    state = kit.state()
    await state.pending.update(OWNER, lambda entries: [change(1)])
    await state.pending.update(OWNER, lambda entries: [])

    assert await state.pending.changes(OWNER) == []


async def test_changes_made_by_another_process_are_seen_and_kept(shared: Kit) -> None:
    first, second = shared.state(), shared.state()
    await first.pending.update(OWNER, lambda entries: [*entries, change(1)])
    await second.pending.update(OWNER, lambda entries: [*entries, change(2)])

    assert await first.pending.changes(OWNER) == [change(1), change(2)]


async def test_simultaneous_updates_from_several_processes_lose_none(shared: Kit) -> None:
    states = [shared.state() for _ in range(4)]

    def adding(n: int) -> Callable[[list[StoredChange]], list[StoredChange]]:
        return lambda entries: [*entries, change(n)]

    await asyncio.gather(
        *(state.pending.update(OWNER, adding(n)) for n, state in enumerate(states, 1))
    )

    kept = await states[0].pending.changes(OWNER)
    assert sorted(e.id for e in kept) == ["1", "2", "3", "4"]


async def test_an_update_fenced_by_the_held_write_lock_is_kept(kit: Kit) -> None:
    state = kit.state()
    async with state.write_lock.hold(OWNER) as lease:
        await lease.check()
        await state.pending.update(OWNER, lambda entries: [change(1)], fence=lease)

    assert await state.pending.changes(OWNER) == [change(1)]


# -- the audit log ------------------------------------------------------------------------


async def test_the_audit_log_gives_the_newest_entries_oldest_first(shared: Kit) -> None:
    first, second = shared.state(), shared.state()
    for n in range(5):
        await (first if n % 2 else second).audit.append({"n": n, "at": NOW})

    assert [e["n"] for e in await first.audit.last(3)] == [2, 3, 4]
    assert (await second.audit.last(1))[0]["at"] == str(NOW)  # kept as JSON text


async def test_the_audit_log_starts_empty(kit: Kit) -> None:
    assert await kit.state().audit.last(10) == []
    await kit.state().audit.append({"n": 1})
    assert await kit.state().audit.last(0) == []


# -- the preview ledger -------------------------------------------------------------------


async def test_a_preview_is_remembered_per_principal_and_change(shared: Kit) -> None:
    first, second = shared.state(), shared.state()
    await first.previews.remember("grant-a", "set_box_mode\n2205232120\nHome 2", NOW)

    assert await second.previews.shown_at("grant-a", "set_box_mode\n2205232120\nHome 2") == NOW
    assert await second.previews.shown_at("grant-b", "set_box_mode\n2205232120\nHome 2") is None
    assert await second.previews.shown_at("grant-a", "set_box_mode\n2205232120\nHome 3") is None


async def test_a_later_preview_of_the_same_change_is_the_one_remembered(kit: Kit) -> None:
    state = kit.state()
    await state.previews.remember("p", "c", NOW)
    await state.previews.remember("p", "c", NOW + timedelta(minutes=5))

    assert await state.previews.shown_at("p", "c") == NOW + timedelta(minutes=5)


# -- remote records -----------------------------------------------------------------------


async def test_a_record_reads_back_until_it_expires(kit: Kit) -> None:
    records = kit.state().remote.lockouts
    await records.put("consent", Lockout(failures=2), time.time() + 0.3)

    assert await records.get("consent") == Lockout(failures=2)
    await asyncio.sleep(0.4)
    assert await records.get("consent") is None
    assert await records.values() == []


async def test_a_record_put_with_a_past_expiry_reads_as_absent(kit: Kit) -> None:
    records = kit.state().remote.refresh
    await records.put("digest", "grant-1", time.time() - 1)

    assert await records.get("digest") is None


async def test_a_taken_record_is_gone_for_every_process(shared: Kit) -> None:
    first, second = shared.state(), shared.state()
    await first.remote.pairing.put("code", True, time.time() + 60)

    takes = await asyncio.gather(
        first.remote.pairing.take("code"), second.remote.pairing.take("code")
    )

    assert sorted(takes, key=str) == [None, True]
    assert await first.remote.pairing.get("code") is None


async def test_update_creates_changes_and_deletes_a_record(kit: Kit) -> None:
    records = kit.state().remote.lockouts
    later = time.time() + 60

    def count(lockout: Lockout | None) -> tuple[Lockout | None, float]:
        return Lockout(failures=(lockout.failures if lockout else 0) + 1), later

    assert await records.update("consent", count) == Lockout(failures=1)
    assert await records.update("consent", count) == Lockout(failures=2)
    assert await records.update("consent", lambda _: (None, later)) is None
    assert await records.get("consent") is None


async def test_simultaneous_updates_of_one_record_from_several_processes_all_count(
    shared: Kit,
) -> None:
    states = [shared.state() for _ in range(4)]
    later = time.time() + 60

    def count(lockout: Lockout | None) -> tuple[Lockout | None, float]:
        return Lockout(failures=(lockout.failures if lockout else 0) + 1), later

    await asyncio.gather(*(s.remote.lockouts.update("consent", count) for s in states))

    assert await states[0].remote.lockouts.get("consent") == Lockout(failures=4)


async def test_values_lists_the_live_records_of_one_kind_by_key(kit: Kit) -> None:
    remote = kit.state().remote
    await remote.refresh.put("a:1", "grant-a", time.time() + 60)
    await remote.refresh.put("b*[x]", "grant-b", time.time() + 60)
    await remote.refresh.put("gone", "grant-c", time.time() - 1)
    await remote.pairing.put("a:1", True, time.time() + 60)

    assert sorted(await remote.refresh.values()) == [("a:1", "grant-a"), ("b*[x]", "grant-b")]


# -- the live cache -----------------------------------------------------------------------


async def test_the_live_cache_keeps_an_answer_for_the_cache_window(kit: Kit) -> None:
    cache = kit.state().cache
    assert await cache.get(OWNER) is None

    await cache.put(OWNER, {"2205232120": {"actual": {"bat_c": 80}}})

    assert await cache.get(OWNER) == {"2205232120": {"actual": {"bat_c": 80}}}
    assert await cache.get(NEIGHBOUR) is None
    await asyncio.sleep(0.4)
    assert await cache.get(OWNER) is None


async def test_a_forgotten_answer_is_asked_for_again(kit: Kit) -> None:
    cache = kit.state().cache
    await cache.put(OWNER, {"box": {}})
    await cache.forget(OWNER)

    assert await cache.get(OWNER) is None


# -- the write lock -----------------------------------------------------------------------


async def test_the_write_lock_lets_one_holder_in_at_a_time(kit: Kit) -> None:
    holders = [kit.state().write_lock for _ in range(3)]
    inside: list[int] = []
    most = 0

    async def write(lock: Any) -> None:
        nonlocal most
        async with lock.hold(OWNER):
            inside.append(1)
            most = max(most, len(inside))
            await asyncio.sleep(0.05)
            inside.pop()

    await asyncio.gather(*(write(lock) for lock in holders))

    assert most == 1


async def test_a_held_write_lock_is_seen_as_busy_by_every_process(kit: Kit) -> None:
    holder, onlooker = kit.state().write_lock, kit.state().write_lock

    assert await onlooker.busy(OWNER) is False
    async with holder.hold(OWNER):
        assert await onlooker.busy(OWNER) is True
    assert await onlooker.busy(OWNER) is False


async def test_the_write_locks_of_two_accounts_do_not_wait_for_each_other(kit: Kit) -> None:
    if kit.kind == "files":
        pytest.skip("a state directory serves one household: one write lock")
    state = kit.state()
    async with state.write_lock.hold(OWNER):
        async with asyncio.timeout(2):
            async with state.write_lock.hold(NEIGHBOUR) as lease:
                await lease.check()


# -- sessions, login backoff and the whitelist (files and Redis) -------------------------


@dataclasses.dataclass
class SessionsKit:
    """Another process's `SessionKeeper` on demand, and what the owner does by hand."""

    keeper: Callable[[], Any]
    listed: Callable[[str], Any]
    damage_backoff: Callable[[str], Any]


@pytest.fixture(params=SHARED_KINDS)
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SessionsKit]:
    extra = ("extra@example.com",)
    if request.param == "files":
        whitelist = tmp_path / "whitelist.txt"
        backoff = tmp_path / "login_backoff.json"

        def shared_sessions() -> SharedSessions:
            return SharedSessions(
                SessionStore(tmp_path / "session.json"),
                backoff_file(backoff),
                HINTS,
                whitelist=(whitelist, extra),
                clock=clock,
            )

        async def listed(email: str) -> None:
            add_to_whitelist(whitelist, email)

        async def damage(account: str) -> None:
            backoff.write_text("{not json")

        yield SessionsKit(shared_sessions, listed, damage)
        return
    real = request.param == "redis-server"
    server = fakeredis.FakeServer()
    url = request.getfixturevalue("real_redis").url if real else ""
    stores: list[Store] = []

    def redis_sessions() -> RedisSessions:
        stores.append(connect(url) if real else fake_store(server))
        return RedisSessions(
            stores[-1], HINTS, whitelist_extra=extra, lease_s=1.0, wait_s=5.0, clock=clock
        )

    async def listed_in_redis(email: str) -> None:
        await redis_sessions().add_to_whitelist(email)

    async def damage_in_redis(account: str) -> None:
        store = stores[-1]
        await store.redis.set(store.account_key("backoff", account), "{not json")

    yield SessionsKit(redis_sessions, listed_in_redis, damage_in_redis)
    for store in stores:
        await store.aclose()


async def test_only_whitelisted_accounts_are_allowed(sessions: SessionsKit) -> None:
    keeper = sessions.keeper()
    with pytest.raises(NotWhitelistedError, match="ask the owner"):
        await keeper.allow(OWNER)
    await keeper.allow("Extra@Example.com")  # from settings, case-folded

    await sessions.listed("Owner@Example.com")

    await keeper.allow(OWNER)
    await sessions.keeper().allow(OWNER)
    with pytest.raises(NotWhitelistedError):
        await keeper.allow(NEIGHBOUR)


async def test_a_cookie_stored_by_one_renewal_is_seen_by_every_process(
    sessions: SessionsKit,
) -> None:
    first, second = sessions.keeper(), sessions.keeper()
    assert await second.stored_cookie(OWNER) is None

    async with first.renewal(OWNER) as renewal:
        await renewal.accepted("abc123")

    assert await second.stored_cookie(OWNER) == "abc123"
    assert await second.stored_cookie(NEIGHBOUR) is None
    async with second.renewal(OWNER) as renewal:
        assert await renewal.stored_cookie() == "abc123"


async def test_three_rejections_pause_logins_in_every_process_until_the_owner_logs_in(
    sessions: SessionsKit, clock: FakeClock
) -> None:
    for keeper in [sessions.keeper() for _ in range(3)]:
        async with keeper.renewal(OWNER) as renewal:
            await renewal.check_may_login(explicit=False)
            await renewal.rejected()

    async with sessions.keeper().renewal(OWNER) as renewal:
        with pytest.raises(LoginLockedError, match="locked for 10 s after 3 rejected"):
            await renewal.check_may_login(explicit=False)
        clock.advance(11)
        await renewal.check_may_login(explicit=False)  # the lock ran out
        await renewal.rejected()
        with pytest.raises(LoginLockedError, match="locked for 20 s"):
            await renewal.check_may_login(explicit=False)
        await renewal.check_may_login(explicit=True)  # the owner's own login: always tried
        await renewal.rejected()  # ... and counted when it is wrong too
        with pytest.raises(LoginLockedError, match="locked for 40 s after 5 rejected"):
            await renewal.check_may_login(explicit=False)
        await renewal.check_may_login(explicit=True)
        await renewal.accepted("abc123")
        await renewal.check_may_login(explicit=False)


async def test_an_accepted_login_starts_the_count_again(sessions: SessionsKit) -> None:
    keeper = sessions.keeper()
    async with keeper.renewal(OWNER) as renewal:
        await renewal.rejected()
        await renewal.rejected()
        await renewal.accepted("abc123")
        await renewal.rejected()
        await renewal.rejected()
        await renewal.check_may_login(explicit=False)  # two since the success: not locked


async def test_a_damaged_backoff_pauses_automatic_logins_until_the_owner_logs_in(
    sessions: SessionsKit,
) -> None:
    keeper = sessions.keeper()
    async with keeper.renewal(OWNER) as renewal:
        await renewal.rejected()
    await sessions.damage_backoff(OWNER)

    async with keeper.renewal(OWNER) as renewal:
        with pytest.raises(StateFileError, match="damaged") as raised:
            await renewal.check_may_login(explicit=False)
        assert raised.value.kind == "damaged"
        await renewal.check_may_login(explicit=True)
        await renewal.check_may_login(explicit=False)


async def test_one_renewal_at_a_time_across_processes(sessions: SessionsKit) -> None:
    inside: list[int] = []
    most = 0

    async def renew(keeper: Any) -> None:
        nonlocal most
        async with keeper.renewal(OWNER):
            inside.append(1)
            most = max(most, len(inside))
            await asyncio.sleep(0.05)
            inside.pop()

    await asyncio.gather(*(renew(sessions.keeper()) for _ in range(3)))

    assert most == 1
