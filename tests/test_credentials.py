"""Where the login comes from: environment first, else the remembered account's keyring entry."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.errors import CredentialsNotFoundError, KeyringUnavailableError
from oig_cloud_mcp.state import credentials

from .helpers.fakes import EMAIL, PASSWORD, MemoryKeyring


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    return Settings(config_dir=tmp_path / "config", state_dir=tmp_path / "state")


def test_environment_credentials_win(local: Settings, memory_keyring: MemoryKeyring) -> None:
    credentials.remember_account(local, "other@example.com")
    memory_keyring.set_password("oig-cloud-mcp", "other@example.com", "other")
    env = local.with_overrides(env_email=EMAIL, env_password=PASSWORD)

    creds = credentials.resolve_credentials(env)

    assert (creds.email, creds.password, creds.source) == (EMAIL, PASSWORD, "environment")


def test_the_remembered_account_reads_its_password_from_the_keyring(local: Settings) -> None:
    credentials.store_password(EMAIL, PASSWORD)
    credentials.remember_account(local, EMAIL)

    creds = credentials.resolve_credentials(local)

    assert (creds.email, creds.password, creds.source) == (EMAIL, PASSWORD, "keyring")
    assert local.account_path.stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in local.account_path.read_text()


def test_nothing_set_up_says_run_login(local: Settings) -> None:
    with pytest.raises(CredentialsNotFoundError, match="oig-cloud-mcp login"):
        credentials.resolve_credentials(local)


def test_a_missing_keyring_entry_says_run_login(local: Settings) -> None:
    credentials.remember_account(local, EMAIL)
    with pytest.raises(CredentialsNotFoundError, match=f"No password for {EMAIL}"):
        credentials.resolve_credentials(local)


def test_no_keyring_backend_names_both_ways_out(local: Settings) -> None:
    credentials.remember_account(local, EMAIL)
    keyring.set_keyring(FailKeyring())

    with pytest.raises(KeyringUnavailableError) as caught:
        credentials.resolve_credentials(local)

    message = str(caught.value)
    assert "OIG_CLOUD_EMAIL" in message
    assert "keyrings.alt" in message
