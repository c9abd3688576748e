"""The operator's commands per household, run as the installed command: `remote list`
names households by pseudonym (never by e-mail) and filters by `--household`, `remote
revoke --household` ends one household's grants, and `remote forget` deletes everything
kept for a household — and only for it — and says what it deleted. On the state
directory and on a real redis-server alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from oig_cloud_mcp.domain.models import subject_of
from oig_cloud_mcp.state.redis.connection import account_digest

from .fake_portal import BOX_ID, FakePortal
from .helpers.commands import run_command
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.households import (
    NEIGHBOUR,
    NEIGHBOUR_BOX,
    NEIGHBOUR_PASSWORD,
    STATES,
    Household,
    add_neighbour,
    many_homes,
    rpc,
    serving,
    signed_in,
)
from .helpers.oauth import RawOAuth, pkce
from .helpers.settings import state_dir_of

pytestmark = pytest.mark.e2e

A, B = subject_of(EMAIL), subject_of(NEIGHBOUR)


@dataclass
class Served:
    """A server for many homes with both households signed in, and the operator's env."""

    env: dict[str, str]
    raw: RawOAuth
    a: dict[str, str]
    b: dict[str, str]
    redis: Any

    def basic_data(self, tokens: dict[str, str]) -> Any:
        """get_basic_data with the household's token: the HTTP status, and the result."""
        answer = self.raw.mcp(tokens["access_token"])
        if answer.status_code != 200:
            return answer.status_code
        result = rpc(
            self.raw, tokens["access_token"], "tools/call", name="get_basic_data", arguments={}
        )
        return result["result"]["structuredContent"]

    def stored(self) -> str:
        """Everything kept (but the audit log), as one text: keys and values."""
        if self.redis is not None:
            client = self.redis.client()
            try:
                parts = []
                for key in client.scan_iter("*"):
                    kind = client.type(key)
                    value = {
                        "string": lambda k: client.get(k),
                        "hash": lambda k: client.hgetall(k),
                        "set": lambda k: client.smembers(k),
                    }.get(kind, lambda k: "")(key)
                    if key != "oig:audit":
                        parts.append(f"{key} = {value}")
                return "\n".join(parts)
            finally:
                client.close()
        folder = state_dir_of(self.env)
        return "\n".join(
            f"{path} = {path.read_text()}"
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.name != "audit.jsonl"
        )


@pytest.fixture(params=STATES)
def served(
    request: pytest.FixtureRequest,
    env: dict[str, str],
    tmp_path: Path,
    portal: FakePortal,
    portal_url: str,
) -> Iterator[Served]:
    add_neighbour(portal)
    redis = request.getfixturevalue("real_redis") if request.param == "redis" else None
    operator = {**env, "OIG_CLOUD_MCP_ACCOUNTS": "multi"}
    if redis is not None:
        operator["OIG_CLOUD_MCP_STATE"] = redis.url
    settings = many_homes(
        tmp_path,
        portal_url,
        redis.url if redis is not None else "",
        allowed_writes=frozenset({"set_box_mode"}),
        state_dir=state_dir_of(env),
    )
    with serving(settings) as url:
        raw = RawOAuth(url)
        a, b = Household(EMAIL, PASSWORD), Household(NEIGHBOUR, NEIGHBOUR_PASSWORD)
        try:
            yield Served(operator, raw, signed_in(raw, a, write=True), signed_in(raw, b), redis)
        finally:
            raw.close()
            a.close()
            b.close()


def change_mode(served: Served, tokens: dict[str, str]) -> None:
    """Preview and confirm a change of mode, which the box takes its time to apply."""
    for confirm in (False, True):
        answer = rpc(
            served.raw,
            tokens["access_token"],
            "tools/call",
            name="set_box_mode",
            arguments={"mode": "Home 3", "confirm": confirm},
        )
        assert not answer["result"].get("isError"), answer


def test_the_list_names_households_by_pseudonym_and_filters_by_e_mail(served: Served) -> None:
    every = run_command(served.env, "remote", "list")
    only_a = run_command(served.env, "remote", "list", "--household", EMAIL)
    nobody = run_command(served.env, "remote", "list", "--household", "someone@example.net")

    assert every.returncode == 0, every.stderr
    assert f"household {A}" in every.stdout
    assert f"household {B}" in every.stdout
    assert "read and change; created" in every.stdout
    assert EMAIL not in every.stdout + every.stderr
    assert NEIGHBOUR not in every.stdout + every.stderr
    assert only_a.returncode == 0, only_a.stderr
    assert A in only_a.stdout
    assert B not in only_a.stdout
    assert served.a["client_id"] in only_a.stdout
    assert served.b["client_id"] not in only_a.stdout
    assert nobody.stdout.startswith(f"No client of household {subject_of('someone@example.net')}")


def test_revoking_a_household_ends_its_grants_and_no_other(served: Served) -> None:
    done = run_command(served.env, "remote", "revoke", "--household", NEIGHBOUR)
    again = run_command(served.env, "remote", "revoke", "--household", NEIGHBOUR)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Ended 1 grant(s)")
    assert served.basic_data(served.b) == 401
    assert served.basic_data(served.a)["box_id"] == BOX_ID
    assert again.returncode != 0
    assert f"No grant of household {B}" in again.stderr


def test_revoke_takes_one_of_a_client_a_household_or_all(served: Served) -> None:
    both = run_command(served.env, "remote", "revoke", served.a["client_id"], "--household", EMAIL)

    assert both.returncode == 2
    assert "--household EMAIL" in both.stderr
    assert served.basic_data(served.a)["box_id"] == BOX_ID


def test_forgetting_a_household_deletes_everything_kept_for_it_and_nothing_else(
    served: Served, portal: FakePortal
) -> None:
    portal.apply_delay_s = 3600  # A's change stays pending
    change_mode(served, served.a)
    refused = Household(EMAIL, "a-guess")  # someone tried A's e-mail on the consent page
    _, challenge = pkce()
    refused.consent(served.raw.authorize_url(served.raw.client()["client_id"], challenge))
    refused.close()
    assert A in served.stored()

    done = run_command(served.env, "remote", "forget", EMAIL)
    after = served.stored()
    twice = run_command(served.env, "remote", "forget", EMAIL)

    assert done.returncode == 0, done.stderr
    said = done.stdout
    assert said.startswith(f"Deleted for household {A}: its sealed OIG Cloud login, 1 grant, ")
    for part in ("tokens", "its OIG Cloud session cookie", "its count of refused sign-ins"):
        assert part in said
    assert "1 pending change" in said
    assert "the previews of 1 grant" in said
    assert "must sign in again" in said
    assert EMAIL not in said
    assert A not in after
    assert account_digest(A) not in after
    assert served.basic_data(served.a) == 401
    assert B in after  # the neighbour is untouched
    assert served.basic_data(served.b)["box_id"] == NEIGHBOUR_BOX
    assert twice.returncode == 0, twice.stderr
    assert twice.stdout.strip() == f"Nothing is kept for household {A}."


def test_a_forgotten_household_signs_in_again_from_scratch(
    served: Served, portal: FakePortal
) -> None:
    done = run_command(served.env, "remote", "forget", EMAIL)
    logins = portal.count("Login.php")
    household = Household(EMAIL, PASSWORD)
    tokens = signed_in(served.raw, household)
    household.close()

    assert done.returncode == 0, done.stderr
    assert served.basic_data(tokens)["box_id"] == BOX_ID
    assert portal.count("Login.php") == logins + 1  # no session was left to reuse
