"""The command line: login, logout, status, tools and call, as a user types them.

Here in-process (typer's CliRunner, an in-memory keyring) where exit codes and signals
do not matter; `test_cli_*.py` run the installed console script as a subprocess, with
tests/helpers/commands.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from oig_cloud_mcp.cli import plain_serve_options
from oig_cloud_mcp.cli.app import app

from .fake_portal import FakePortal
from .helpers.fakes import EMAIL, PASSWORD, MemoryKeyring

# -- in-process ------------------------------------------------------------------------------


@pytest.fixture
def runner(portal_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OIG_CLOUD_BASE_URL", portal_url)
    return CliRunner()


def login(runner: CliRunner, password: str = PASSWORD) -> Result:
    return runner.invoke(
        app, ["login", "--email", EMAIL, "--password-stdin"], input=password + "\n"
    )


def test_login_verifies_stores_in_keyring_and_whitelists(
    runner: CliRunner, portal: FakePortal, memory_keyring: MemoryKeyring, isolated_home: Path
) -> None:
    result = login(runner)

    assert result.exit_code == 0, result.output
    assert memory_keyring.items[("oig-cloud-mcp", EMAIL)] == PASSWORD
    assert "Logged in to OIG Cloud as owner@example.com" in result.output
    assert "2205232120" in result.output
    assert "whitelist.txt" in result.output
    assert PASSWORD not in result.output
    assert portal.count("Login.php") == 1
    whitelist = isolated_home / "config" / "oig-cloud-mcp" / "whitelist.txt"
    assert EMAIL in whitelist.read_text()


def test_login_with_a_wrong_password_stores_nothing(
    runner: CliRunner, portal: FakePortal, memory_keyring: MemoryKeyring
) -> None:
    result = login(runner, "wrong-password")

    assert result.exit_code != 0
    assert memory_keyring.items == {}
    assert "rejected the e-mail or password" in str(result.exception or result.output)


def test_login_with_password_stdin_alone_logs_in_the_remembered_account(
    runner: CliRunner, portal: FakePortal, memory_keyring: MemoryKeyring
) -> None:
    assert login(runner).exit_code == 0
    memory_keyring.items.clear()

    result = runner.invoke(app, ["login", "--password-stdin"], input=PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    assert "Logged in to OIG Cloud as owner@example.com." in result.output
    assert memory_keyring.items[("oig-cloud-mcp", EMAIL)] == PASSWORD


def test_after_login_the_server_tools_work_from_the_keyring(
    runner: CliRunner, portal: FakePortal
) -> None:
    assert login(runner).exit_code == 0

    result = runner.invoke(app, ["call", "get_basic_data", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["battery"]["soc_pct"] == 89
    assert portal.count("Login.php") == 1  # the session from `login` is reused


def test_logout_removes_password_session_and_account(
    runner: CliRunner, portal: FakePortal, memory_keyring: MemoryKeyring, isolated_home: Path
) -> None:
    login(runner)

    result = runner.invoke(app, ["logout"])

    assert result.exit_code == 0
    assert memory_keyring.items == {}
    status = runner.invoke(app, ["status"])
    assert "Account: none" in status.output
    assert "no session" in status.output


def test_status_shows_account_keyring_session_whitelist_and_writes(
    runner: CliRunner, portal: FakePortal
) -> None:
    login(runner)

    result = runner.invoke(app, ["status", "--check"])

    assert result.exit_code == 0, result.output
    for expected in (
        "Account: owner@example.com",
        "Password: OS keyring",
        "MemoryKeyring",
        "session saved",
        "Whitelist:",
        "no lockout",
        "Write tools: disabled",
        "Battery 89 %",
    ):
        assert expected in result.output
    assert PASSWORD not in result.output


def test_tools_lists_the_read_tools_in_demo_mode(runner: CliRunner) -> None:
    result = runner.invoke(app, ["tools", "--demo"])
    assert result.exit_code == 0
    assert "get_basic_data (read)" in result.output
    assert "get_extended_data (read)" in result.output


def test_call_parses_key_value_arguments(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["--demo", "call", "get_notifications", "limit=1", "min_severity=info", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["notifications"]) == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {"demo": False, "debug": False, "allow_writes": None}),
        (["serve", "--demo"], {"demo": True, "debug": False, "allow_writes": None}),
        (
            ["--allow-writes", "set_box_mode", "serve"],
            {"demo": False, "debug": False, "allow_writes": "set_box_mode"},
        ),
        (["--allow-writes=all", "--debug"], {"demo": False, "debug": True, "allow_writes": "all"}),
        (["status"], None),
        (["--help"], None),
        (["serve", "--bogus"], None),
    ],
)
def test_plain_serve_invocations_skip_the_full_cli(
    argv: list[str], expected: dict[str, object] | None
) -> None:
    assert plain_serve_options(argv) == expected


def test_serving_does_not_import_typer() -> None:
    code = (
        "import sys; import oig_cloud_mcp.cli, oig_cloud_mcp.server; "
        "print('typer' in sys.modules, 'httpx' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_login_without_a_keyring_backend_says_what_to_do_before_any_request(
    runner: CliRunner, portal: FakePortal
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    keyring.set_keyring(FailKeyring())

    result = login(runner)

    assert result.exit_code != 0
    message = str(result.exception)
    assert "OIG_CLOUD_EMAIL" in message
    assert "keyrings.alt" in message
    assert portal.log == []


def test_status_and_login_do_not_load_the_mcp_server() -> None:
    code = (
        "import sys; import oig_cloud_mcp.cli.app, oig_cloud_mcp.app.status; "
        "import oig_cloud_mcp.portal.client; "
        "print('oig_cloud_mcp.server' in sys.modules, 'mcp' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_started_by_hand_in_a_terminal_it_explains_itself_on_stderr(isolated_home: Path) -> None:
    import pty

    main_fd, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "oig_cloud_mcp", "--demo"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(terminal)
    try:
        first_line = process.stderr.readline().decode()  # type: ignore[union-attr]
    finally:
        process.kill()
        process.wait()
        os.close(main_fd)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert "waiting for an MCP client" in first_line
    assert "--help" in first_line
