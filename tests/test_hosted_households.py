"""A server for many homes as a household and its operator meet it: what a household is
told when its OIG login stops working, whose write an audit line records, and what the
operator's log collector reads.
"""

from __future__ import annotations

import base64
import json
import os
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from oig_cloud_mcp.app.households import Households
from oig_cloud_mcp.app.wiring import build_state
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import subject_of
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.errors import OigError, WriteNotAllowedError
from oig_cloud_mcp.state.vault import KeyRing, Vault

from .fake_portal import FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.remote import served


def key_file(folder: Path) -> Path:
    path = folder / "key_ring"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)  # as the README says to keep it
    return path


def many_homes(tmp_path: Path, portal_url: str) -> Settings:
    return Settings(
        base_url=portal_url,
        accounts="multi",
        key_file=key_file(tmp_path),
        config_dir=tmp_path / "config",
        state_dir=tmp_path / "state",
    )


@pytest.mark.anyio
async def test_a_household_whose_password_changed_is_told_to_connect_again(
    tmp_path: Path, portal: FakePortal, portal_url: str
) -> None:
    settings = many_homes(tmp_path, portal_url)
    state = build_state(settings)
    ring = KeyRing.load(settings.key_file, variable="OIG_CLOUD_MCP_KEY_FILE")
    households = Households(
        settings, state, Vault(state.remote.vault, ring), lambda: datetime.now(PORTAL_TZ)
    )
    subject = await households.sign_in(EMAIL, PASSWORD)
    portal.accounts[EMAIL] = "changed-in-the-oig-app"  # the household changed it there
    portal.expire_sessions()
    try:
        with pytest.raises(OigError) as caught:
            await households.app(subject).reads.basic_data()
    finally:
        await households.aclose()
        await state.aclose()

    told = str(caught.value)
    assert "oig-cloud-mcp login" not in told
    assert "connect" in told  # connect the client again and sign in on the consent page


@pytest.mark.anyio
async def test_an_audit_line_says_which_household_it_is_for(
    tmp_path: Path, portal_url: str
) -> None:
    settings = many_homes(tmp_path, portal_url)
    state = build_state(settings)
    ring = KeyRing.load(settings.key_file, variable="OIG_CLOUD_MCP_KEY_FILE")
    households = Households(
        settings, state, Vault(state.remote.vault, ring), lambda: datetime.now(PORTAL_TZ)
    )
    subject = subject_of(EMAIL)
    try:
        with pytest.raises(WriteNotAllowedError):  # writes are off: refused, and audited
            await households.app(subject).writes.require_enabled("set_box_mode", {})
        (entry,) = await state.audit.last(1)
    finally:
        await households.aclose()
        await state.aclose()

    assert entry["tool"] == "set_box_mode"
    assert subject in json.dumps(entry)  # the household's pseudonym, never its e-mail


def test_with_json_logs_every_line_a_replica_writes_is_json_to_the_last(
    tmp_path: Path, portal_url: str, real_redis: Any
) -> None:
    env = {
        "HOME": str(tmp_path / "home"),
        "OIG_CLOUD_BASE_URL": portal_url,
        "OIG_CLOUD_MCP_STATE": real_redis.url,
        "OIG_CLOUD_MCP_KEY_FILE": str(key_file(tmp_path)),
        "OIG_CLOUD_MCP_LOG_FORMAT": "json",
        "OIG_CLOUD_MCP_LOG_LEVEL": "INFO",
    }
    with served(env, "--accounts", "multi") as replica:
        code, stderr = replica.stop(signal.SIGTERM)

    assert code == 143
    lines = stderr.splitlines()
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line
