"""OIG Cloud's addresses for pytest-httpx, and a session keeper that records what the
client asked of it (the client's tests, without a server)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from pytest_httpx import HTTPXMock

BASE = "https://portal.oigpower.cz/"
LOGIN = BASE + "inc/php/scripts/Login.php"
LIVE = BASE + "json.php"
HISTORY = BASE + "json2.php"
COOKIE = "abcdefghijklmnopqrstuvwxyz"
STATS = {"2205232120": {"batt": {"bat_c": 89}}}


class Recorder:
    """A SessionKeeper that remembers what happened."""

    fix_hint = "run `oig-cloud-mcp login` to enter them again."

    def __init__(self, stored: str | None = None) -> None:
        self.stored = stored
        self.events: list[str] = []

    async def allow(self, account: str) -> None:
        self.events.append("allow")

    async def stored_cookie(self, account: str) -> str | None:
        return self.stored

    @contextlib.asynccontextmanager
    async def renewal(self, account: str) -> AsyncIterator[RecordedRenewal]:
        yield RecordedRenewal(self)


class RecordedRenewal:
    """One renewal of the session, recorded in its `Recorder`."""

    def __init__(self, owner: Recorder) -> None:
        self.owner = owner

    async def stored_cookie(self) -> str | None:
        return self.owner.stored

    async def check_may_login(self, *, explicit: bool) -> None:
        self.owner.events.append("before_login")

    async def rejected(self) -> None:
        self.owner.events.append("rejected")

    async def accepted(self, cookie: str) -> None:
        self.owner.stored = cookie
        self.owner.events.append(f"saved {cookie}")


def login_ok(httpx_mock: HTTPXMock, cookie: str = COOKIE) -> None:
    """The portal accepts the next login and hands out `cookie`."""
    httpx_mock.add_response(
        url=LOGIN,
        method="POST",
        text='[[2,"",false]]',
        headers={"Set-Cookie": f"PHPSESSID={cookie}; path=/"},
    )
