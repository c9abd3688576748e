"""The test account and the fakes that stand in for the keyring and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from keyring.backend import KeyringBackend

from oig_cloud_mcp.domain.models import Credentials

EMAIL = "owner@example.com"
PASSWORD = "s3cret-pw"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def given(credentials: Credentials) -> Callable[[], Awaitable[Credentials]]:
    """A client's source of credentials that always gives `credentials`."""

    async def source() -> Credentials:
        return credentials

    return source
