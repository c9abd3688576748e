"""Everything kept between calls, behind ports: sessions, backoff, pending changes, audit,
the write lock, previews, remote access's records, and households' sealed logins.

`ports` names what is kept; `local` keeps it in the private state directory, `memory` in
one process, `redis` on a Redis shared by the replicas of a hosted server (the `hosted`
extra; loaded only by `shared_state`). `credentials` is the only keyring user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import ENV_STATE
from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.security import LoginBackoff
    from .local.sessions import Hints
    from .ports import State

NEEDS_HOSTED = (
    f"Shared state on Redis (--state or {ENV_STATE}) needs the hosted extra: install "
    "`oig-cloud-mcp[hosted]` (pip install 'oig-cloud-mcp[hosted]', or uvx --from "
    "'oig-cloud-mcp[hosted]' oig-cloud-mcp)."
)


def shared_state(settings: Settings, hints: Hints) -> State:
    """Every port on the Redis that `settings.state_url` names (the replicas' shared state).

    Imports redis only here, so nothing else loads it.
    """
    return _on_redis(settings, hints, checks_whitelist=settings.accounts != "multi")


@dataclass
class SharedWhitelist:
    """The shared state for the owner's own `login` (no whitelist check: the login is what
    lists the account), with the whitelist kept there."""

    state: State
    add: Callable[[str], Awaitable[bool]]
    """List an e-mail; True if it was not listed before."""
    entries: Callable[[], Awaitable[list[str]]]
    saved_at: Callable[[str], Awaitable[float | None]]
    """When an account's session was stored (Unix time), if one is."""
    backoff: Callable[[str], Awaitable[LoginBackoff]]
    """An account's login backoff."""


def shared_whitelist(settings: Settings, hints: Hints) -> SharedWhitelist:
    """The shared state that `settings.state_url` names, and its whitelist."""
    from .redis.sessions import RedisSessions

    state = _on_redis(settings, hints, checks_whitelist=False)
    sessions = state.sessions
    if not isinstance(sessions, RedisSessions):  # pragma: no cover - redis_state's own
        raise TypeError("the shared state's sessions are RedisSessions")
    return SharedWhitelist(
        state, sessions.add_to_whitelist, sessions.whitelisted, sessions.saved_at, sessions.backoff
    )


def _on_redis(settings: Settings, hints: Hints, *, checks_whitelist: bool) -> State:
    try:
        from .redis import redis_state
    except ImportError as exc:
        raise ConfigurationError(NEEDS_HOSTED) from exc
    return redis_state(
        settings.state_url,
        settings,
        hints,
        password_file=settings.state_password_file,
        checks_whitelist=checks_whitelist,
    )
