"""Account whitelist and login backoff: the rules, pure (the clock is injected, no I/O).

The whitelist file (user-edited, may be a symlink) and the backoff file (ours, validated,
fail-closed) are kept by the state package, which applies both under the account's
cross-process lock, so a restarted server or a second process never forgets a rejection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import Field, FiniteFloat, RootModel, field_validator

from ..errors import LoginLockedError
from .base import DEFERRED, Model
from .models import account_key

FREE_REJECTIONS = 3
FIRST_LOCK_S = 10.0
MAX_LOCK_S = 15 * 60.0
MAX_COUNTED_REJECTIONS = 1000


def parse_whitelist(text: str) -> set[str]:
    """One address per line; blank lines and `#` comments are ignored."""
    entries = set()
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            entries.add(account_key(entry))
    return entries


@dataclass(frozen=True)
class Whitelist:
    """Accounts this installation may use. Empty means nobody: fail closed."""

    entries: frozenset[str]

    @classmethod
    def parse(cls, text: str, extra: Iterable[str] = ()) -> Whitelist:
        """The entries of a whitelist file's `text` plus `extra` (OIG_CLOUD_MCP_WHITELIST)."""
        listed = parse_whitelist(text)
        return cls(frozenset(listed | {account_key(e) for e in extra if e.strip()}))

    def allows(self, email: str) -> bool:
        """Whether `email` is listed (case-insensitive)."""
        return account_key(email) in self.entries


class BackoffState(Model):
    """Consecutive rejected logins of one account and the end of its lock (Unix time)."""

    rejections: int = Field(default=0, ge=0)
    locked_until: FiniteFloat = 0.0

    @field_validator("rejections")
    @classmethod
    def _clamp_rejections(cls, value: int) -> int:
        return min(value, MAX_COUNTED_REJECTIONS)


class BackoffFile(RootModel[dict[str, BackoffState]]):
    """`login_backoff.json`: account key -> state."""

    model_config = DEFERRED

    root: dict[str, BackoffState] = Field(default_factory=dict)


class LoginBackoff:
    """After 3 rejected logins in a row, lock for 10 s, doubling per rejection up to a cap."""

    def __init__(
        self,
        states: dict[str, BackoffState] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        first_lock_s: float = FIRST_LOCK_S,
        max_lock_s: float = MAX_LOCK_S,
    ) -> None:
        self.states: dict[str, BackoffState] = states if states is not None else {}
        self._clock = clock
        self._first_lock_s = first_lock_s
        self._max_lock_s = max_lock_s

    def retry_after(self, account: str) -> int:
        """Seconds until `account` may log in again (0 = now); never more than the cap."""
        state = self.states.get(account_key(account))
        if state is None:
            return 0
        remaining = min(state.locked_until - self._clock(), self._max_lock_s)
        return max(0, int(remaining + 0.999))

    def rejections(self, account: str) -> int:
        """Rejected logins in a row; while locked, at least the number that locks (a stored
        lock with fewer, like the lock past the cap, comes from a damaged or edited file)."""
        state = self.states.get(account_key(account))
        if state is None:
            return 0
        if self.retry_after(account) > 0:
            return max(state.rejections, FREE_REJECTIONS)
        return state.rejections

    def check(self, account: str, hint: str) -> None:
        """Raise `LoginLockedError` while `account` is locked; `hint` says what helps."""
        wait = self.retry_after(account)
        if wait > 0:
            rejections = self.rejections(account)
            raise LoginLockedError(
                f"Account {account} is locked for {wait} s after {rejections} rejected "
                f"logins; {hint}",
                retry_after_s=wait,
            )

    def rejected(self, account: str) -> None:
        """The portal rejected a login: count it and lock when due."""
        state = self.states.setdefault(account_key(account), BackoffState())
        state.rejections = min(state.rejections + 1, MAX_COUNTED_REJECTIONS)
        if state.rejections >= FREE_REJECTIONS:
            doublings = min(state.rejections - FREE_REJECTIONS, 32)
            lock = min(self._first_lock_s * 2.0**doublings, self._max_lock_s)
            state.locked_until = self._clock() + lock

    def succeeded(self, account: str) -> None:
        """A login was accepted: start from zero."""
        self.states.pop(account_key(account), None)
