"""`App`: what the use cases share for one household: settings, state, clock and client.

Built by `wiring.build_app`, the one composition root. The portal client is created on
first use, so a server starts without importing httpx or touching the network.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from ..config import Settings
from ..state.ports import State

if TYPE_CHECKING:
    from ..portal.client import OigCloudClient
    from .reads import Reads
    from .writes import Writes


class App:
    """One household's use cases (`reads`, `writes`) over its state and portal client."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        now: Callable[[], datetime],
        make_client: Callable[[], OigCloudClient],
        *,
        owns_state: bool = False,
    ) -> None:
        self.settings = settings
        self._owns_state = owns_state
        self.state = state
        self.now = now
        self._make_client = make_client
        self._client: OigCloudClient | None = None

    @property
    def client(self) -> OigCloudClient:
        """The portal client, created on first use."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    @cached_property
    def reads(self) -> Reads:
        """The read use cases."""
        from .reads import Reads

        return Reads(self)

    @cached_property
    def writes(self) -> Writes:
        """The write use cases (refused unless the owner enabled them)."""
        from .writes import Writes

        return Writes(self)

    async def aclose(self) -> None:
        """Close the portal client if it was ever created, and the state if this app
        built it (the shared state's connections)."""
        try:
            if self._client is not None:
                client, self._client = self._client, None
                await client.aclose()
        finally:
            if self._owns_state:
                self._owns_state = False
                await self.state.aclose()
