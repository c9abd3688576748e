"""Two households on one server for many homes: A (the fake portal's default account, box
`BOX_ID`) and B (a neighbour with a box and values of its own), each signing in on the
consent page with its own OIG Cloud login, on the state directory or on a real Redis."""

from __future__ import annotations

import base64
import contextlib
import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from oig_cloud_mcp.config import Settings

from ..fake_portal import BOX_ID, FakePortal
from .fakes import EMAIL
from .oauth import Browser, Consent, RawOAuth, pkce
from .threaded import ThreadedServer, free_port

NEIGHBOUR = "neighbour@example.org"
NEIGHBOUR_PASSWORD = "n3ighbour-pw"
NEIGHBOUR_BOX = "2301010009"
NEIGHBOUR_SOC = 37
"""B's battery charge; A's (the sample's) is 89."""
STATES = ("files", "redis")
"""Where the server keeps its state: the state directory, or a real redis-server."""


def add_neighbour(portal: FakePortal) -> None:
    """Give the fake portal household B: its login, its box, its values, a notification."""
    box = copy.deepcopy(portal.payload[BOX_ID])
    box["actual"]["bat_c"] = NEIGHBOUR_SOC
    box["batt"]["bat_c"] = NEIGHBOUR_SOC
    box["box_prms"]["mode"] = 3
    portal.accounts[NEIGHBOUR] = NEIGHBOUR_PASSWORD
    portal.account_payloads[NEIGHBOUR] = {NEIGHBOUR_BOX: box}
    portal.account_payloads[EMAIL] = portal.payload  # the same boxes: A sees only its own
    portal.notifications.insert(
        0, (3, "28. 6. 2025 | 14:00", NEIGHBOUR_BOX, "Neighbour's alarm", "Only B's.")
    )


def key_file(folder: Path) -> Path:
    """A key file with one fresh key, readable by its owner only."""
    path = folder / "key_ring"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)  # as the README says to keep it
    return path


def many_homes(tmp_path: Path, portal_url: str, state_url: str = "", **more: Any) -> Settings:
    """A server for many homes on the fake portal; its state on `state_url` (Redis) or in
    the state directory; `more` overrides any setting."""
    fields: dict[str, Any] = {
        "base_url": portal_url,
        "accounts": "multi",
        "key_file": key_file(tmp_path),
        "state_url": state_url,
        "cache_ttl_s": 0,
        "config_dir": tmp_path / "config",
        "state_dir": tmp_path / "state",
    }
    return Settings(**{**fields, **more})


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The server for many homes as `serve --http` builds it, in this process on a free
    loopback port; yields its URL."""
    from oig_cloud_mcp.app.wiring import build_remote
    from oig_cloud_mcp.server.remote.http import Remote, build_http_app

    port = free_port()
    current = settings.with_overrides(http_port=port)
    issuer = f"http://127.0.0.1:{port}"
    parts = build_remote(current, issuer=issuer)
    app = build_http_app(Remote(current, parts, issuer), cimd=False)
    with ThreadedServer(app, port) as server:
        yield server.url


class Household(Browser):
    """A household's browser: on the consent page it signs in with its OIG Cloud login."""

    def __init__(self, email: str, password: str) -> None:
        super().__init__()
        self.email = email
        self.password = password

    def consent(
        self,
        authorize_url: str,
        code: str = "",
        *,
        write: bool = False,
        action: str = "allow",
        edit: Callable[[dict[str, str]], None] | None = None,
    ) -> Consent:
        """Open the consent page and sign in (`code` is ignored: no pairing codes here)."""

        def sign_in(data: dict[str, str]) -> None:
            data.pop("code", None)
            data.update(email=self.email, password=self.password)
            if edit is not None:
                edit(data)

        return super().consent(authorize_url, "", write=write, action=action, edit=sign_in)


def signed_in(raw: RawOAuth, household: Household, *, write: bool = False) -> dict[str, str]:
    """Register a client, sign in as `household` on the consent page, exchange the code:
    the tokens (and client id)."""
    client = raw.client()
    verifier, challenge = pkce()
    scope = "oig:read oig:write" if write else "oig:read"
    url = raw.authorize_url(client["client_id"], challenge, scope=scope)
    consent = household.consent(url, write=write)
    assert consent.answer.status_code == 302, consent.answer.text
    answer = raw.tokens(client, consent.redirect["code"], verifier)
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "client_id": client["client_id"]}


def rpc(raw: RawOAuth, token: str, method: str, **params: Any) -> dict[str, Any]:
    """One JSON-RPC request to /mcp with `token`; the whole answer."""
    answer = raw.mcp(token, method, params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())
