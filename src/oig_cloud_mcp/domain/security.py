"""Account whitelist and login backoff.

`Whitelist` and `LoginBackoff` are pure logic (the clock is injected). The whitelist file
(user-edited, may be a symlink) and the backoff file (ours, validated, fail-closed) are
read with `state_files`; `session_store.SharedSessions` applies both under the account's
cross-process lock, so a restarted server or a second process never forgets a rejection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, FiniteFloat, RootModel, field_validator

from ..errors import LoginLockedError, NotWhitelistedError, StateFileError
from ..state.local.files import CorruptFileError, read_text_file, write_private
from ..state.local.state_file import StateFile, json_codec
from .models import account_key

FREE_REJECTIONS = 3
FIRST_LOCK_S = 10.0
MAX_LOCK_S = 15 * 60.0
MAX_COUNTED_REJECTIONS = 1000

BACKOFF_DAMAGED = (
    "The login-backoff file {path} is damaged ({reason}), so automatic logins are paused to "
    "protect the account; run `oig-cloud-mcp login` (which resets it) or delete the file."
)


def parse_whitelist(text: str) -> set[str]:
    """One address per line; blank lines and `#` comments are ignored."""
    entries = set()
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            entries.add(account_key(entry))
    return entries


def _whitelist_text(path: Path) -> str:
    try:
        return read_text_file(path, follow_links=True) or ""
    except CorruptFileError as exc:
        raise StateFileError(
            f"The whitelist {path} is not readable text ({exc}); save it as UTF-8, or delete "
            "it and run `oig-cloud-mcp login` to create it again.",
            path=path,
        ) from None


@dataclass(frozen=True)
class Whitelist:
    """Accounts this installation may use. Empty means nobody: fail closed."""

    entries: frozenset[str]

    @classmethod
    def load(cls, path: Path, extra: Iterable[str] = ()) -> Whitelist:
        """The file's entries plus `extra` (from OIG_CLOUD_MCP_WHITELIST)."""
        listed = parse_whitelist(_whitelist_text(path))
        return cls(frozenset(listed | {account_key(e) for e in extra if e.strip()}))

    def allows(self, email: str) -> bool:
        """Whether `email` is listed (case-insensitive)."""
        return account_key(email) in self.entries


NOT_LISTED_HINT = (
    "run `oig-cloud-mcp login`, add the e-mail as a line in that file, or list it in "
    "OIG_CLOUD_MCP_WHITELIST."
)
"""What helps an account missing from the whitelist when the login comes from the keyring."""


def check_whitelisted(
    path: Path, extra: Iterable[str], account: str, hint: str = NOT_LISTED_HINT
) -> None:
    """Refuse an account missing from the whitelist, before any network call.

    `hint` says what helps, which depends on where the login comes from.
    """
    if not Whitelist.load(path, extra).allows(account):
        raise NotWhitelistedError(f"The account {account} is not on the whitelist ({path}); {hint}")


def add_to_whitelist(path: Path, email: str) -> bool:
    """Append `email` to the whitelist file unless present; True if it was added.

    A symlinked whitelist (dotfile managers) is updated where the link points.
    """
    existing = _whitelist_text(path)
    if account_key(email) in parse_whitelist(existing):
        return False
    text = existing or "# Accounts oig-cloud-mcp may use, one e-mail per line.\n"
    if not text.endswith("\n"):
        text += "\n"
    target = path.resolve() if path.is_symlink() else path
    write_private(target, (text + account_key(email) + "\n").encode("utf-8"))
    return True


class BackoffState(BaseModel):
    """Consecutive rejected logins of one account and the end of its lock (Unix time)."""

    rejections: int = Field(default=0, ge=0)
    locked_until: FiniteFloat = 0.0

    @field_validator("rejections")
    @classmethod
    def _clamp_rejections(cls, value: int) -> int:
        return min(value, MAX_COUNTED_REJECTIONS)


class BackoffFile(RootModel[dict[str, BackoffState]]):
    """`login_backoff.json`: account key -> state."""

    root: dict[str, BackoffState] = Field(default_factory=dict)


def backoff_file(path: Path) -> StateFile[BackoffFile]:
    """The persisted backoff; a damaged file pauses automatic logins (fails closed)."""
    return StateFile(path, json_codec(BackoffFile), fail_closed=True, damaged=BACKOFF_DAMAGED)


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

    def check(self, account: str, hint: str) -> None:
        """Raise `LoginLockedError` while `account` is locked; `hint` says what helps."""
        wait = self.retry_after(account)
        if wait > 0:
            rejections = self.states[account_key(account)].rejections
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
