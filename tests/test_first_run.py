"""A first run as a newcomer meets it: no keyring, credentials in the environment, the
Claude Desktop extension. Every message says what helps in *that* setup, never a step
that cannot work there (a terminal `login` for an extension user, say)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from mcp import Client
from typer.testing import CliRunner

from oig_cloud_mcp.app.status import status_lines
from oig_cloud_mcp.cli.app import app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.errors import KeyringUnavailableError
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.state import credentials

from .fake_portal import FakePortal
from .helpers.commands import run_all, run_cli
from .helpers.fakes import EMAIL, PASSWORD, MemoryKeyring
from .helpers.mcp_calls import call, error_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

import build_mcpb  # noqa: E402

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
SETTINGS_PATH = "Claude Desktop: Settings → Extensions → OIG Cloud"


def without_login(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in ("OIG_CLOUD_EMAIL", "OIG_CLOUD_PASSWORD")}


@pytest.fixture(scope="module")
def extension_env() -> dict[str, str]:
    """The manifest's `mcp_config.env`, placeholders unfilled (an untouched setting)."""
    return dict(build_mcpb.manifest()["server"]["mcp_config"]["env"])


def filled(template: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """The env Claude Desktop passes: `values` filled in, the rest left as placeholders."""
    return {
        name: re.sub(r"\$\{user_config\.(\w+)\}", lambda m: values.get(m[1], m[0]), text)
        for name, text in template.items()
    }


# -- 1. no OS keyring --------------------------------------------------------------------------


def test_login_without_a_keyring_names_the_install_that_reaches_the_tools_environment(
    env: dict[str, str], portal: FakePortal
) -> None:
    ran = run_cli(
        ["login", "--email", EMAIL, "--password-stdin"],
        without_login(env) | NO_KEYRING,
        PASSWORD + "\n",
    )

    assert ran.returncode == 1, ran
    (line,) = ran.errors
    assert "`uv tool install --with keyrings.alt oig-cloud-mcp`" in line
    assert "`pipx inject oig-cloud-mcp keyrings.alt`" in line
    assert "pip install keyrings.alt" not in line  # the wrong environment for a uv tool
    assert "set OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD" in line  # all env credentials need
    assert "OIG_CLOUD_MCP_WHITELIST" not in line
    assert portal.log == []


def test_login_with_env_credentials_and_no_keyring_says_login_is_not_needed() -> None:
    env_login = Settings(env_email=EMAIL, env_password=PASSWORD)
    keyring.set_keyring(FailKeyring())

    with pytest.raises(KeyringUnavailableError) as caught:
        credentials.ensure_keyring_usable(env_login)

    assert "`login` is not needed" in str(caught.value)
    assert "Either set" not in str(caught.value)
    assert "OIG_CLOUD_MCP_WHITELIST" not in str(caught.value)  # the two variables suffice


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's backend of that name (not installed here)."""

    __module__ = "keyrings.alt.file"
    file_path = "/home/pi/.local/share/python_keyring/keyring_pass.cfg"


def test_login_into_a_plaintext_keyring_says_the_password_is_unencrypted(
    portal_url: str, portal: FakePortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OIG_CLOUD_BASE_URL", portal_url)
    keyring.set_keyring(PlaintextKeyring())

    result = CliRunner().invoke(
        app, ["login", "--email", EMAIL, "--password-stdin"], input=PASSWORD + "\n"
    )
    status = CliRunner().invoke(app, ["status"])

    assert result.exit_code == 0, result.output
    stored = f"unencrypted in the 0600 file {PlaintextKeyring.file_path}"
    assert f"keyrings.alt.file.PlaintextKeyring, {stored}" in result.output
    assert stored in status.output


# -- 2. credentials from the environment -------------------------------------------------------


def test_headless_onboarding_takes_the_two_variables_the_first_message_names(
    env: dict[str, str], portal: FakePortal
) -> None:
    """A Raspberry Pi without a keyring: the first error names every way out, and the two
    variables it names are all it takes (setting them chooses the account: no whitelist
    entry besides)."""
    bare = {k: v for k, v in env.items() if not k.startswith("OIG_CLOUD")} | NO_KEYRING
    fresh = {k: v for k, v in env.items() if k != "OIG_CLOUD_MCP_WHITELIST"} | NO_KEYRING

    first, tried_login = run_all(
        [
            (["call", "get_basic_data"], bare),
            (["login", "--email", EMAIL, "--password-stdin"], bare),
        ]
    )
    then = run_cli(["call", "get_basic_data"], fresh)

    assert first.returncode == 1, first
    (line,) = first.errors
    for way_out in ("`oig-cloud-mcp login`", "OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD", "--demo"):
        assert way_out in line, line
    assert tried_login.returncode == 1, tried_login
    assert "set OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD" in tried_login.stderr
    assert "OIG_CLOUD_MCP_WHITELIST" not in tried_login.stderr
    assert then.returncode == 0, then
    assert then.stderr == ""


@pytest.mark.anyio
async def test_a_keyring_account_missing_from_the_whitelist_is_still_told_to_log_in(
    settings: Settings, portal: FakePortal
) -> None:
    stored = settings.with_overrides(env_email=None, env_password=None, whitelist_extra=())
    credentials.store_password(EMAIL, PASSWORD)
    credentials.remember_account(stored, EMAIL)

    async with Client(build_server(stored), mode="legacy") as client:
        text = error_text(await call(client, "get_basic_data"))

    assert "not on the whitelist" in text
    assert "run `oig-cloud-mcp login`" in text
    assert portal.log == []


@pytest.mark.parametrize(
    ("given", "missing"),
    [("OIG_CLOUD_EMAIL", "OIG_CLOUD_PASSWORD"), ("OIG_CLOUD_PASSWORD", "OIG_CLOUD_EMAIL")],
)
def test_only_one_of_the_two_variables_names_the_missing_one(
    env: dict[str, str], portal: FakePortal, given: str, missing: str
) -> None:
    half = env | {missing: ""}

    status, called = run_all([(["status"], half), (["call", "get_basic_data"], half)])

    sentence = f"{given} is set but {missing} is not"
    assert status.returncode == 0, status
    assert f"Account: none: {sentence}" in status.stdout
    assert called.returncode == 1, called
    (line,) = called.errors
    assert line.startswith(f"Error: No OIG Cloud account is set up: {sentence}")
    assert portal.log == []


def test_a_half_set_pair_next_to_a_keyring_login_says_it_is_ignored(tmp_path: Path) -> None:
    local = Settings(config_dir=tmp_path / "config", state_dir=tmp_path / "state")
    credentials.store_password(EMAIL, PASSWORD)
    credentials.remember_account(local, EMAIL)

    lines = status_lines(local.with_overrides(env_email="other@example.com"))

    assert "Password: OS keyring (OIG_CLOUD_EMAIL is ignored: OIG_CLOUD_PASSWORD is not set)" in (
        lines
    )


# -- 3 and 4. the Claude Desktop extension -----------------------------------------------------


def test_an_extension_with_no_account_points_to_its_settings_and_its_demo_box(
    env: dict[str, str], extension_env: dict[str, str]
) -> None:
    home = {k: v for k, v in env.items() if not k.startswith("OIG_CLOUD")}
    untouched = home | filled(extension_env, {})
    emptied = home | filled(extension_env, {"email": "", "password": ""})
    no_password = home | filled(extension_env, {"email": EMAIL})
    demo = home | filled(extension_env, {"demo": "true"})

    ran = run_all(
        [
            (["call", "get_basic_data"], untouched),
            (["call", "get_basic_data"], emptied),
            (["call", "get_basic_data"], no_password),
            (["call", "get_basic_data", "--json"], demo),
        ]
    )

    for result in ran[:3]:
        assert result.returncode == 1, result
        (line,) = result.errors
        assert line.startswith("Error: No OIG Cloud account is set up")
        assert f"enter your OIG Cloud e-mail and password in {SETTINGS_PATH}" in line
        assert "(or switch on its demo box)" in line
        assert "oig-cloud-mcp login" not in line
    assert "the extension's password is empty" in ran[2].errors[0]
    assert ran[3].returncode == 0, ran[3]
    assert json.loads(ran[3].stdout)["battery"]["soc_pct"] is not None


def test_a_rejected_extension_login_points_to_its_settings(
    env: dict[str, str], portal: FakePortal
) -> None:
    as_extension = env | {"OIG_CLOUD_MCP_EXTENSION": "1", "OIG_CLOUD_PASSWORD": "wrong"}

    ran = run_cli(["call", "get_basic_data"], as_extension)

    assert ran.returncode == 1, ran
    (line,) = ran.errors
    assert f"OIG Cloud rejected the e-mail or password for {EMAIL}" in line
    assert f"correct them in the extension's settings ({SETTINGS_PATH})" in line
    for terminal_only in ("oig-cloud-mcp login", "OIG_CLOUD_PASSWORD", "configuration"):
        assert terminal_only not in line


async def rejected_four_times(settings: Settings) -> list[str]:
    async with Client(build_server(settings), mode="legacy") as client:
        return [error_text(await call(client, "get_basic_data")) for _ in range(4)]


@pytest.mark.anyio
async def test_a_locked_extension_account_says_how_long_and_that_its_settings_help(
    settings: Settings, portal: FakePortal
) -> None:
    wrong = settings.with_overrides(env_password="wrong", extension=True)

    *rejected, locked = await rejected_four_times(wrong)

    assert all("correct them in the extension's settings" in text for text in rejected)
    assert re.search(rf"Account {EMAIL} is locked for \d+ s after 3 rejected logins", locked)
    assert f"tried again: correct them in {SETTINGS_PATH}" in locked
    assert "oig-cloud-mcp login" not in locked
    assert portal.count("Login.php") == 3


@pytest.mark.anyio
async def test_rejected_env_credentials_blame_the_e_mail_or_the_password(
    settings: Settings, portal: FakePortal
) -> None:
    *rejected, locked = await rejected_four_times(settings.with_overrides(env_password="x"))

    assert "they come from OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD" in rejected[0]
    assert "OIG_CLOUD_PASSWORD is wrong" not in rejected[0]
    assert "correct OIG_CLOUD_EMAIL or OIG_CLOUD_PASSWORD" in locked


def test_the_extension_variable_is_read_like_the_other_flags() -> None:
    assert Settings.from_env({"OIG_CLOUD_MCP_EXTENSION": "1"}).extension is True
    assert Settings.from_env({"OIG_CLOUD_MCP_EXTENSION": "${user_config.x}"}).extension is False
    assert Settings.from_env({}).extension is False


# -- 5. status -----------------------------------------------------------------------------------


def test_status_on_a_fresh_machine_explains_itself(env: dict[str, str]) -> None:
    ran = run_cli(["status"], without_login(env) | NO_KEYRING)

    assert ran.returncode == 0, ran
    lines = ran.stdout.splitlines()
    account_file = next(line for line in lines if line.startswith("Account file:"))
    assert account_file.endswith("/account (none yet)")
    assert "Keyring backend: none usable (login will fail; see Troubleshooting" in ran.stdout
    assert "keyring.backends.fail" not in ran.stdout
    writes = next(line for line in lines if line.startswith("Write tools:"))
    assert writes.startswith("Write tools: disabled (with this shell's settings;")
    assert "a server started by an MCP client follows the --allow-writes" in writes
    assert "OIG_CLOUD_MCP_ALLOW_WRITES" in writes


def test_status_audit_lines_leave_out_arguments_that_were_not_given(settings: Settings) -> None:
    entry = {
        "time": "2026-06-21T12:30:00+02:00",
        "tool": "set_box_mode",
        "box_id": None,
        "arguments": {"mode": "Home 3", "box_id": None, "confirm": True},
        "outcome": "previewed",
    }
    settings.audit_path.parent.mkdir(parents=True, mode=0o700)
    settings.audit_path.write_text(json.dumps(entry) + "\n")
    settings.audit_path.chmod(0o600)

    lines = status_lines(settings)

    assert "  2026-06-21T12:30:00+02:00 set_box_mode(mode=Home 3, confirm=True): previewed" in lines
    assert not any("None" in line for line in lines)


def test_an_existing_account_file_is_ok(tmp_path: Path) -> None:
    local = Settings(config_dir=tmp_path / "config", state_dir=tmp_path / "state")
    credentials.remember_account(local, EMAIL)

    assert f"Account file: {local.account_path} (ok)" in status_lines(local)


def test_login_without_a_keyring_says_it_is_not_needed_when_the_environment_holds_the_login(
    env: dict[str, str], portal: FakePortal
) -> None:
    ran = run_cli(["login", "--email", EMAIL, "--password-stdin"], {**env, **NO_KEYRING}, "x\n")

    assert ran.returncode == 1, ran
    assert "not needed" in ran.stderr
    assert portal.log == []
