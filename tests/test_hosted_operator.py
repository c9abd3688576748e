"""The operator's commands for many homes, run as the installed command: they speak of
households signing in, never of pairing codes; what a client named itself is printed
escaped; an argument that is no e-mail is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from .fake_portal import FakePortal
from .helpers.commands import run_cli
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.households import Household, key_file
from .helpers.oauth import RawOAuth, pkce
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


FORGED = "Evil\nFake client (abc)\n    read; household h0\u202ethgir\u200b\x1b[2J\x00\t."
"""A client name that would forge a line in `remote list`, turn text around (U+202E),
hide characters (U+200B), clear the terminal (ESC) and carry a NUL."""


def test_a_clients_name_is_shown_escaped_by_remote_list_and_on_the_consent_page(
    operator: dict[str, str], portal: FakePortal
) -> None:
    with served(operator) as replica:
        raw, household = RawOAuth(replica.url), Household(EMAIL, PASSWORD)
        try:
            client = raw.client(client_name=FORGED)
            verifier, challenge = pkce()
            consent = household.consent(raw.authorize_url(client["client_id"], challenge))
            assert consent.answer.status_code == 302, consent.answer.text
            assert raw.tokens(client, consent.redirect["code"], verifier).status_code == 200
        finally:
            raw.close()
            household.close()
        listed = run_cli(["remote", "list"], operator)

    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 2  # the client's name line, its grant line
    for raw_character in "\u202e\u200b\x1b\x00\t":
        assert raw_character not in listed.stdout
        assert raw_character not in consent.page.text
    assert "Evil\\x0aFake client (abc)\\x0a    read; household h0\\u202ethgir" in listed.stdout
    assert "Evil" in consent.page.text


@pytest.mark.parametrize(
    "argv",
    [
        ["remote", "forget", ""],
        ["remote", "forget", "garbage"],
        ["remote", "list", "--household", "not an email"],
        ["remote", "revoke", "--household", "jana@"],
    ],
)
def test_a_household_named_by_no_e_mail_is_refused_in_one_line(
    operator: dict[str, str], argv: list[str]
) -> None:
    done = run_cli(argv, operator)

    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.errors
    assert "not an e-mail address" in line


def test_revoke_with_a_client_and_a_household_says_they_cannot_be_combined(
    operator: dict[str, str],
) -> None:
    done = run_cli(["remote", "revoke", "--household", EMAIL, "some-client"], operator)

    assert done.returncode == 2
    (line,) = done.errors
    assert "cannot be combined" in line
