"""The operator's commands for many homes, run as the installed command: they speak of
households signing in, never of pairing codes; what a client named itself is printed
escaped; an argument that is no e-mail is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers.commands import run_cli
from .helpers.households import key_file
from .helpers.remote import served

pytestmark = pytest.mark.e2e


@pytest.fixture
def operator(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The operator's environment for many homes, on the state directory."""
    return {
        **env,
        "OIG_CLOUD_MCP_ACCOUNTS": "multi",
        "OIG_CLOUD_MCP_KEY_FILE": str(key_file(tmp_path)),
    }


def test_serving_many_homes_says_households_sign_in_not_to_type_a_code(
    operator: dict[str, str],
) -> None:
    with served(operator) as replica:
        _, said = replica.stop()

    first = said.splitlines()[0]
    assert "sign in" in first
    assert "OIG Cloud e-mail and password" in first
    assert "remote pair" not in said
    assert "code" not in first


def test_remote_pair_for_many_homes_is_refused_in_one_line(operator: dict[str, str]) -> None:
    done = run_cli(["remote", "pair"], operator)

    assert done.returncode == 2
    assert done.stdout == ""  # no code a script could hand out
    (line,) = done.errors
    assert "sign in with their OIG Cloud e-mail and password on the consent page" in line
    assert "no pairing code" in line.lower()


def test_remote_list_for_many_homes_with_no_grant_says_households_sign_in(
    operator: dict[str, str],
) -> None:
    done = run_cli(["remote", "list"], operator)

    assert done.returncode == 0, done.stderr
    assert "remote pair" not in done.stdout
    assert "sign in" in done.stdout
