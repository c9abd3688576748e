"""The shared state on Redis: every port, for the replicas of a hosted server.

Needs the `hosted` extra (redis-py); nothing else in the package imports this module, so
a stdio server never loads redis. Keys (with the default prefix `oig:`; `<account>` is a
digest of the case-folded e-mail, see `connection.account_digest`):

    oig:session:<account>         string  {cookie, saved_at}            30 days from the login
    oig:backoff:<account>         string  {rejections, locked_until}    until a login succeeds
    oig:whitelist                 set     case-folded e-mails           kept
    oig:live:<account>            string  the json.php answer           the cache window
    oig:pending:<account>         string  JSON list of tracked changes  2 days from a change
    oig:audit                     stream  entry = one JSON line         about 100,000 entries
    oig:previews:<principal>      hash    change -> ISO time shown      1 hour from a preview
    oig:remote:<kind>:<key>       string  one record (JSON)             the record's expiry
    oig:lock:session:<account>    lock    a holder's token              the lease, renewed
    oig:lock:write:<account>      lock    a holder's token              the lease, renewed
    oig:lock:live:<account>       lock    a holder's token              portal timeout + 5 s
    oig:fence:write:<account>     integer the last fencing number       kept

Redis failures (down, timeouts, a refused password or command) reach the app as one
`StateUnavailableError` naming host:port/db, translated in `connection.Store.translating`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ...config import Settings
from ..local.sessions import Hints
from ..ports import State
from .connection import DEFAULT_PREFIX, DEFAULT_TIMEOUT_S, Store, connect
from .forget import forget_account
from .locks import DEFAULT_LEASE_S, RedisWriteLock
from .records import redis_remote
from .sessions import RedisLiveCache, RedisSessions
from .stores import RedisAudit, RedisPending, RedisPreviews

__all__ = ["DEFAULT_LEASE_S", "DEFAULT_PREFIX", "Store", "connect", "redis_state", "state_on"]

FETCH_MARGIN_S = 5.0
"""The live-fetch lock outlives the portal timeout by this much."""


def redis_state(
    url: str,
    settings: Settings,
    hints: Hints,
    *,
    password_file: Path | None = None,
    prefix: str = DEFAULT_PREFIX,
    lease_s: float = DEFAULT_LEASE_S,
    redis_timeout_s: float = DEFAULT_TIMEOUT_S,
    checks_whitelist: bool = True,
) -> State:
    """Every port on the Redis at `url` (see `connect`), for `settings` (cache window,
    portal timeout, extra whitelist entries) with `hints` for the user's messages.

    `checks_whitelist=False` for the owner's own login and for many homes (households
    sign in on the consent page; nobody is listed). Call `await state.aclose()` when the
    server stops.
    """
    store = connect(url, password_file, prefix=prefix, timeout_s=redis_timeout_s)
    return state_on(store, settings, hints, lease_s=lease_s, checks_whitelist=checks_whitelist)


def state_on(
    store: Store,
    settings: Settings,
    hints: Hints,
    *,
    lease_s: float = DEFAULT_LEASE_S,
    clock: Callable[[], float] = time.time,
    checks_whitelist: bool = True,
) -> State:
    """Every port on an existing `Store` (tests pass one on fakeredis).

    Waiting for a lock is bounded by what its holder can need: a login (two portal
    timeouts), a write (a session check, a login and the write itself: four).
    """
    timeout_s = settings.timeout_s
    return State(
        sessions=RedisSessions(
            store,
            hints,
            whitelist_extra=settings.whitelisted_by_env,
            checks_whitelist=checks_whitelist,
            lease_s=lease_s,
            wait_s=2 * timeout_s + lease_s,
            clock=clock,
        ),
        cache=RedisLiveCache(store, settings.cache_ttl_s, fetch_lease_s=timeout_s + FETCH_MARGIN_S),
        pending=RedisPending(store),
        audit=RedisAudit(store),
        write_lock=RedisWriteLock(store, lease_s=lease_s, wait_s=4 * timeout_s + lease_s),
        previews=RedisPreviews(store),
        remote=redis_remote(store, clock),
        where=f"shared state on Redis at {store.where} (keys {store.prefix}*)",
        aclose=store.aclose,
        ping=store.ping,
        forget=lambda account, principals: forget_account(store, account, principals),
    )
