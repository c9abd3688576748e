"""Account whitelist and login backoff.

`Whitelist` and `LoginBackoff` are pure logic (the clock is injected). `AccountGuard`
beside them does the file I/O: it reads the whitelist file and keeps the backoff state
on disk, so a restarted server does not forget a run of rejected logins.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LoginLockedError, NotWhitelistedError
from .models import account_key
from .private_files import locked, read_json, write_json, write_private

FREE_REJECTIONS = 3
FIRST_LOCK_S = 10.0
MAX_LOCK_S = 15 * 60.0


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
    def load(cls, path: Path, extra: Iterable[str] = ()) -> Whitelist:
        """The file's entries plus `extra` (from OIG_CLOUD_MCP_WHITELIST)."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = ""
        return cls(frozenset(parse_whitelist(text) | {account_key(e) for e in extra if e.strip()}))

    def allows(self, email: str) -> bool:
        """Whether `email` is listed (case-insensitive)."""
        return account_key(email) in self.entries


def add_to_whitelist(path: Path, email: str) -> bool:
    """Append `email` to the whitelist file unless present; True if it was added."""
    if Whitelist.load(path).allows(email):
        return False
    header = "# Accounts oig-cloud-mcp may use, one e-mail per line.\n"
    existing = path.read_text(encoding="utf-8") if path.exists() else header
    if existing and not existing.endswith("\n"):
        existing += "\n"
    write_private(path, existing + account_key(email) + "\n")
    return True


@dataclass
class BackoffState:
    """Consecutive rejected logins of one account and the end of its lock (Unix time)."""

    rejections: int = 0
    locked_until: float = 0.0


class LoginBackoff:
    """After 3 rejected logins in a row, lock for 10 s, doubling per rejection up to a cap."""

    def __init__(
        self,
        states: Mapping[str, BackoffState] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        first_lock_s: float = FIRST_LOCK_S,
        max_lock_s: float = MAX_LOCK_S,
    ) -> None:
        self.states: dict[str, BackoffState] = dict(states or {})
        self._clock = clock
        self._first_lock_s = first_lock_s
        self._max_lock_s = max_lock_s

    def retry_after(self, account: str) -> int:
        """Seconds until `account` may log in again (0 = now)."""
        state = self.states.get(account_key(account))
        if state is None:
            return 0
        remaining = state.locked_until - self._clock()
        return max(0, int(remaining + 0.999))

    def check(self, account: str) -> None:
        """Raise `LoginLockedError` while `account` is locked."""
        wait = self.retry_after(account)
        if wait > 0:
            rejections = self.states[account_key(account)].rejections
            raise LoginLockedError(
                f"Account {account} is locked for {wait} s after {rejections} rejected "
                "attempts; if your password changed, run `oig-cloud-mcp login`.",
                retry_after_s=wait,
            )

    def rejected(self, account: str) -> None:
        """The portal rejected a login: count it and lock when due."""
        state = self.states.setdefault(account_key(account), BackoffState())
        state.rejections += 1
        if state.rejections >= FREE_REJECTIONS:
            doublings = state.rejections - FREE_REJECTIONS
            lock = min(self._first_lock_s * 2.0 ** min(doublings, 32), self._max_lock_s)
            state.locked_until = self._clock() + lock

    def succeeded(self, account: str) -> None:
        """A login was accepted: start from zero."""
        self.states.pop(account_key(account), None)


def _read_states(path: Path) -> dict[str, BackoffState]:
    data = read_json(path)
    states: dict[str, BackoffState] = {}
    if isinstance(data, dict):
        for account, entry in data.items():
            if isinstance(entry, dict):
                states[account] = BackoffState(
                    rejections=int(entry.get("rejections", 0)),
                    locked_until=float(entry.get("locked_until", 0.0)),
                )
    return states


class AccountGuard:
    """The client's `LoginGuard`: whitelist before any request, persisted login backoff."""

    def __init__(
        self,
        whitelist_path: Path,
        backoff_path: Path,
        *,
        extra_whitelist: Iterable[str] = (),
        check_whitelist: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.whitelist_path = whitelist_path
        self.backoff_path = backoff_path
        self._extra = tuple(extra_whitelist)
        self._check_whitelist = check_whitelist
        self._clock = clock

    def backoff(self) -> LoginBackoff:
        """The current backoff state from disk."""
        return LoginBackoff(_read_states(self.backoff_path), clock=self._clock)

    def _update(self, change: Callable[[LoginBackoff], Any]) -> None:
        with locked(self.backoff_path):
            backoff = self.backoff()
            change(backoff)
            write_json(
                self.backoff_path,
                {a: vars(s) for a, s in backoff.states.items()},
            )

    def allow(self, account: str) -> None:
        """Refuse accounts missing from the whitelist, before any network call."""
        if self._check_whitelist and not Whitelist.load(self.whitelist_path, self._extra).allows(
            account
        ):
            raise NotWhitelistedError(
                f"The account {account} is not on the whitelist ({self.whitelist_path}); "
                "run `oig-cloud-mcp login`, add the e-mail as a line in that file, "
                "or list it in OIG_CLOUD_MCP_WHITELIST."
            )

    def before_login(self, account: str) -> None:
        """Refuse to log in while the account is locked."""
        self.backoff().check(account)

    def login_rejected(self, account: str) -> None:
        """Count a rejection the portal made."""
        self._update(lambda backoff: backoff.rejected(account))

    def login_succeeded(self, account: str) -> None:
        """Reset the account's backoff."""
        if self.backoff().states.get(account_key(account)) is not None:
            self._update(lambda backoff: backoff.succeeded(account))
