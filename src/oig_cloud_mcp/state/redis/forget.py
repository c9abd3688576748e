"""Forgetting one account on Redis: its session cookie, login backoff, live data, pending
changes, write fencing number and the previews of its grants, each one key (see the
package's key list)."""

from __future__ import annotations

from collections.abc import Sequence

from .connection import Store
from .stores import RedisPending, RedisPreviews


async def forget_account(store: Store, account: str, principals: Sequence[str]) -> dict[str, int]:
    """Delete what Redis keeps for `account` and `principals`; how many of each kind were
    deleted (session, backoff, live, pending: changes; previews: principals; and the write
    fencing number, whose loss only fails a write in flight before it is sent)."""
    pending = len(await RedisPending(store).changes(account))
    previews = RedisPreviews(store)
    kinds = ("session", "backoff", "live", "pending", "fence:write")
    keys = [store.account_key(kind, account) for kind in kinds]
    keys += [previews.key(principal) for principal in principals]
    with store.translating():
        async with store.redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.delete(key)
            deleted = [int(n) for n in await pipe.execute()]
    counted = dict(zip(kinds, deleted, strict=False))
    counted["pending"] = pending if counted["pending"] else 0
    counted["previews"] = sum(deleted[len(kinds) :])
    return counted
