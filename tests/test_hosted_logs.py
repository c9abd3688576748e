"""What the operator of a server for many homes reads in its log, with the installed
command serving: no password of any URL, no household's e-mail, at INFO and DEBUG, in
text and in JSON; and a warning when the key file cannot do its job.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from oig_cloud_mcp.domain.models import subject_of
from oig_cloud_mcp.state.vault import fingerprint

from .fake_portal import FakePortal
from .helpers.households import (
    NEIGHBOUR,
    NEIGHBOUR_PASSWORD,
    Household,
    add_neighbour,
    key_file,
    rpc,
    signed_in,
)
from .helpers.oauth import RawOAuth, pkce
from .helpers.remote import served
from .helpers.threaded import free_port

pytestmark = pytest.mark.e2e

E_MAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
"""Anything that looks like an e-mail address."""


def operator_env(tmp_path: Path, base_url: str, **more: str) -> dict[str, str]:
    """A replica for many homes on the state directory, the portal at `base_url`."""
    home = tmp_path / "home"
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "OIG_CLOUD_BASE_URL": base_url,
        "OIG_CLOUD_MCP_KEY_FILE": str(key_file(tmp_path)),
        "OIG_CLOUD_MCP_CACHE_TTL": "0",
        **more,
    }


def basic_data(raw: RawOAuth, tokens: dict[str, str]) -> dict[str, Any]:
    """get_basic_data as the household's client: the tool's result."""
    answer = rpc(raw, tokens["access_token"], "tools/call", name="get_basic_data", arguments={})
    return dict(answer["result"])


def household_refused(
    tmp_path: Path, portal: FakePortal, portal_url: str, **env: str
) -> tuple[str, dict[str, Any]]:
    """A household signs in through a replica (its portal at `portal_url`), reads its
    box, changes its OIG password, and reads again: the replica's log, and the refusal."""
    add_neighbour(portal)
    with served(operator_env(tmp_path, portal_url, **env), "--accounts", "multi") as replica:
        raw, household = RawOAuth(replica.url), Household(NEIGHBOUR, NEIGHBOUR_PASSWORD)
        try:
            tokens = signed_in(raw, household)
            assert not basic_data(raw, tokens).get("isError")
            portal.accounts[NEIGHBOUR] = "changed-in-the-oig-app"
            portal.expire_sessions()
            refused = basic_data(raw, tokens)  # the sealed password is refused now
        finally:
            raw.close()
            household.close()
        _, log = replica.stop()
    assert portal.count("Login.php") >= 2  # the portal was reached, through its URL
    return log, refused


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_password_in_the_portal_url_never_reaches_the_log(
    tmp_path: Path, portal: FakePortal, portal_url: str, level: str
) -> None:
    through_proxy = portal_url.replace("http://", "http://proxyuser:proxypw@") + "/"

    log, _ = household_refused(tmp_path, portal, through_proxy, OIG_CLOUD_MCP_LOG_LEVEL=level)

    assert f" {level} " in log  # the replica really logged at that level
    assert "proxypw" not in log


@pytest.mark.parametrize("form", ["text", "json"])
@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_households_e_mail_never_reaches_the_log(
    tmp_path: Path, portal: FakePortal, portal_url: str, level: str, form: str
) -> None:
    log, refused = household_refused(
        tmp_path, portal, portal_url, OIG_CLOUD_MCP_LOG_LEVEL=level, OIG_CLOUD_MCP_LOG_FORMAT=form
    )

    assert refused.get("isError")
    assert f" {level} " in log or f'"level": "{level}"' in log
    assert "get_basic_data" in log  # the refusal is logged, by the household's pseudonym
    assert E_MAIL.findall(log) == []
    assert NEIGHBOUR_PASSWORD not in log


def test_the_consent_page_asked_for_while_redis_is_down_is_one_log_line(
    tmp_path: Path, portal_url: str, real_redis: Any
) -> None:
    env = operator_env(tmp_path, portal_url, OIG_CLOUD_MCP_STATE=real_redis.url)
    with served(env, "--accounts", "multi") as replica:
        raw = RawOAuth(replica.url)
        try:
            client = raw.client()
            _, challenge = pkce()
            real_redis.stop()
            answer = raw.http.get(raw.authorize_url(client["client_id"], challenge))
        finally:
            raw.close()
        _, log = replica.stop()

    assert answer.status_code == 503
    assert "Traceback" not in log
    told = [line for line in log.splitlines() if "/authorize" in line]
    assert len(told) == 1, log
    assert "is not answering" in told[0]


def test_a_replica_whose_keys_cannot_open_a_sealed_login_warns_naming_the_key(
    tmp_path: Path, portal: FakePortal, portal_url: str
) -> None:
    add_neighbour(portal)
    first = operator_env(tmp_path, portal_url)
    sealed_with = fingerprint(base64.b64decode(Path(first["OIG_CLOUD_MCP_KEY_FILE"]).read_text()))
    other_keys = tmp_path / "other"
    other_keys.mkdir()
    second = {**first, "OIG_CLOUD_MCP_KEY_FILE": str(key_file(other_keys))}
    port = free_port()
    with served(first, "--accounts", "multi", port=port) as replica:
        raw, household = RawOAuth(replica.url), Household(NEIGHBOUR, NEIGHBOUR_PASSWORD)
        tokens = signed_in(raw, household)
        raw.close()
        household.close()
    portal.expire_sessions()  # the next call must open the sealed login
    with served(second, "--accounts", "multi", port=port) as replica:
        raw = RawOAuth(replica.url)
        try:
            refused = basic_data(raw, tokens)
        finally:
            raw.close()
        _, log = replica.stop()

    assert refused.get("isError"), refused
    (warned,) = [line for line in log.splitlines() if " WARNING " in line]
    assert sealed_with in warned
    assert subject_of(NEIGHBOUR) in warned  # the household by its pseudonym
    assert E_MAIL.findall(log) == []


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o444, True), (0o600, False)])
def test_a_key_file_other_users_can_read_is_one_warning_at_start(
    tmp_path: Path, portal_url: str, mode: int, warned: bool
) -> None:
    env = operator_env(tmp_path, portal_url)
    Path(env["OIG_CLOUD_MCP_KEY_FILE"]).chmod(mode)
    with served(env, "--accounts", "multi") as replica:  # served all the same
        _, log = replica.stop()

    warnings = [line for line in log.splitlines() if " WARNING " in line]
    if warned:
        (line,) = warnings
        assert env["OIG_CLOUD_MCP_KEY_FILE"] in line
        assert "readable by other users; chmod 600" in line
    else:
        assert warnings == []


def test_a_full_redis_is_logged_as_out_of_memory(
    tmp_path: Path, portal_url: str, real_redis: Any
) -> None:
    env = operator_env(tmp_path, portal_url, OIG_CLOUD_MCP_STATE=real_redis.url)
    with served(env, "--accounts", "multi") as replica:
        admin = real_redis.client()
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", 1)  # every write is now refused: OOM
        raw = RawOAuth(replica.url)
        try:
            answer = raw.register()
        finally:
            raw.close()
            admin.config_set("maxmemory", 0)
            admin.close()
        _, log = replica.stop()

    assert answer.status_code == 503
    (told,) = [line for line in log.splitlines() if "/register" in line and " ERROR " in line]
    assert "Redis is out of memory (maxmemory)" in told
    assert "refused a command" not in log
