"""The session-cookie file: PHPSESSID per account, shared by every server process.

The file lives in the user state directory, is 0600 in a 0700 directory, is replaced
atomically under a lock, and never holds a password.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .private_files import locked, read_json, write_json


class SessionStore:
    """Persists session cookies keyed by account (the case-folded e-mail)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock

    def _sessions(self) -> dict[str, Any]:
        data = read_json(self.path)
        sessions = data.get("sessions") if isinstance(data, dict) else None
        return sessions if isinstance(sessions, dict) else {}

    def load(self, account: str) -> str | None:
        """The stored cookie for `account`, or None."""
        entry = self._sessions().get(account)
        cookie = entry.get("cookie") if isinstance(entry, dict) else None
        return cookie if isinstance(cookie, str) and cookie else None

    def saved_at(self, account: str) -> float | None:
        """When the cookie for `account` was stored (Unix time), or None."""
        entry = self._sessions().get(account)
        value = entry.get("saved_at") if isinstance(entry, dict) else None
        return float(value) if isinstance(value, int | float) else None

    def save(self, account: str, cookie: str) -> None:
        """Store `cookie` for `account`, keeping other accounts' entries."""
        with locked(self.path):
            sessions = self._sessions()
            sessions[account] = {"cookie": cookie, "saved_at": self._clock()}
            write_json(self.path, {"sessions": sessions})

    def clear(self, account: str | None = None) -> None:
        """Forget one account's cookie, or all of them."""
        if not self.path.exists():
            return
        with locked(self.path):
            sessions = self._sessions() if account is not None else {}
            sessions.pop(account or "", None)
            write_json(self.path, {"sessions": sessions})
