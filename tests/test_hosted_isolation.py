"""A server for many homes keeps households apart: with household A's token nothing of
household B can be read or changed — no tool, resource, prompt or view, no pending change,
no `box_id` naming B's box, no preview of A confirmed with B's token, no sealed login of B
moved to A's key. On the state directory and on a real redis-server alike.

A is the fake portal's default account (box `BOX_ID`, battery at 89 %); B a neighbour
with a box and values of its own (`NEIGHBOUR_BOX`, 37 %).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from oig_cloud_mcp.domain.models import WRITE_TOOLS, subject_of
from oig_cloud_mcp.errors import StateFileError

from .fake_portal import BOX_ID, FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.households import (
    NEIGHBOUR,
    NEIGHBOUR_BOX,
    NEIGHBOUR_PASSWORD,
    NEIGHBOUR_SOC,
    STATES,
    Household,
    add_neighbour,
    many_homes,
    rpc,
    serving,
    signed_in,
)
from .helpers.oauth import RawOAuth, oauth_provider

pytestmark = pytest.mark.e2e

READS: dict[str, dict[str, Any]] = {
    "get_basic_data": {},
    "get_energy_report": {"period": "today"},
    "get_day_profile": {"date": "today"},
    "get_extended_data": {"start_date": "2025-06-27", "end_date": "2025-06-28"},
    "get_notifications": {"limit": 50},
}
WRITES: dict[str, dict[str, Any]] = {
    "set_box_mode": {"mode": "Home 2"},
    "set_grid_delivery": {"state": "off"},
    "set_boiler_mode": {"mode": "manual"},
    "set_battery_grid_charging": {"target_pct": 80},
}
"""(set_battery_grid_charging takes no box_id: it acts on the first box of the account.)"""


@dataclass
class Homes:
    """The server, a raw OAuth client on it, and both households' tokens (read and write)."""

    url: str
    raw: RawOAuth
    a: dict[str, str]
    b: dict[str, str]
    settings: Any

    def call(self, token: dict[str, str], tool: str, **arguments: Any) -> dict[str, Any]:
        """`tools/call` with the household's access token: the tool's result."""
        answer = rpc(self.raw, token["access_token"], "tools/call", name=tool, arguments=arguments)
        return dict(answer["result"])


@pytest.fixture(params=STATES)
def homes(
    request: pytest.FixtureRequest, tmp_path: Any, portal: FakePortal, portal_url: str
) -> Iterator[Homes]:
    add_neighbour(portal)
    state_url = request.getfixturevalue("real_redis").url if request.param == "redis" else ""
    settings = many_homes(tmp_path, portal_url, state_url, allowed_writes=frozenset(WRITE_TOOLS))
    with serving(settings) as url:
        raw = RawOAuth(url)
        a, b = Household(EMAIL, PASSWORD), Household(NEIGHBOUR, NEIGHBOUR_PASSWORD)
        try:
            yield Homes(
                url, raw, signed_in(raw, a, write=True), signed_in(raw, b, write=True), settings
            )
        finally:
            raw.close()
            a.close()
            b.close()


def text_of(result: dict[str, Any]) -> str:
    """Everything a tool result says, as one string."""
    return json.dumps(result, ensure_ascii=False)


def test_each_household_reads_only_its_own_box_with_every_read_tool(
    homes: Homes, portal: FakePortal
) -> None:
    seen_a = {tool: homes.call(homes.a, tool, **args) for tool, args in READS.items()}
    seen_b = {tool: homes.call(homes.b, tool, **args) for tool, args in READS.items()}

    for tool in READS:
        assert not seen_a[tool].get("isError"), seen_a[tool]
        assert not seen_b[tool].get("isError"), seen_b[tool]
        assert NEIGHBOUR_BOX not in text_of(seen_a[tool]), tool
        assert BOX_ID not in text_of(seen_b[tool]), tool
    assert seen_a["get_basic_data"]["structuredContent"]["box_id"] == BOX_ID
    assert seen_b["get_basic_data"]["structuredContent"]["box_id"] == NEIGHBOUR_BOX
    assert seen_b["get_basic_data"]["structuredContent"]["battery"]["soc_pct"] == NEIGHBOUR_SOC
    assert "Neighbour's alarm" not in text_of(seen_a["get_notifications"])
    assert "Neighbour's alarm" in text_of(seen_b["get_notifications"])
    logins = {r.json()["email"] for r in portal.requests_to("Login.php")}
    assert logins == {EMAIL, NEIGHBOUR}  # the two sign-ins; every call reused their sessions


@pytest.mark.parametrize("tool", [t for t in [*READS, *WRITES] if t != "set_battery_grid_charging"])
def test_a_box_id_of_the_other_household_reads_like_a_box_that_does_not_exist(
    homes: Homes, portal: FakePortal, tool: str
) -> None:
    arguments = {**READS, **WRITES}[tool]
    theirs = homes.call(homes.a, tool, **arguments, box_id=NEIGHBOUR_BOX)
    nobodys = homes.call(homes.a, tool, **arguments, box_id="1111111111")

    assert theirs["isError"] is True
    told = text_of(theirs)
    assert f"Box {NEIGHBOUR_BOX} is not on this account" in told
    assert told.replace(NEIGHBOUR_BOX, "1111111111") == text_of(nobodys)  # nothing more known
    assert str(NEIGHBOUR_SOC) not in told
    assert portal.write_requests() == []


def test_the_box_configuration_resource_of_the_other_household_cannot_be_read(
    homes: Homes,
) -> None:
    own = rpc(
        homes.raw, homes.a["access_token"], "resources/read", uri=f"oig://box/{BOX_ID}/config"
    )
    theirs = rpc(
        homes.raw,
        homes.a["access_token"],
        "resources/read",
        uri=f"oig://box/{NEIGHBOUR_BOX}/config",
    )
    their_own = rpc(
        homes.raw,
        homes.b["access_token"],
        "resources/read",
        uri=f"oig://box/{NEIGHBOUR_BOX}/config",
    )

    assert json.loads(own["result"]["contents"][0]["text"])["box_id"] == BOX_ID
    assert "result" not in theirs
    assert f"Box {NEIGHBOUR_BOX} is not on this account" in theirs["error"]["message"]
    assert json.loads(their_own["result"]["contents"][0]["text"])["box_id"] == NEIGHBOUR_BOX


def test_prompts_and_views_hold_no_household_data_and_read_no_box(
    homes: Homes, portal: FakePortal
) -> None:
    token = homes.a["access_token"]
    before = len(portal.log)
    prompts = rpc(homes.raw, token, "prompts/list")["result"]["prompts"]
    answers = [
        rpc(homes.raw, token, "prompts/get", name=p["name"], arguments={"box_id": NEIGHBOUR_BOX})
        for p in prompts
    ]
    resources = rpc(homes.raw, token, "resources/list")["result"]["resources"]
    views = [
        rpc(homes.raw, token, "resources/read", uri=r["uri"])
        for r in resources
        if r["uri"].startswith("ui://")
    ]

    assert len(prompts) >= 3
    assert len(views) >= 2
    for answer in answers + views:
        assert "result" in answer, answer
        shown = text_of(answer)
        assert str(NEIGHBOUR_SOC) + " %" not in shown
        assert BOX_ID not in shown
    assert len(portal.log) == before  # nothing of any box was read for them


def test_a_pending_change_of_one_household_is_not_shown_to_the_other(
    homes: Homes, portal: FakePortal
) -> None:
    portal.apply_delay_s = 3600  # the box takes its time: the change stays pending
    homes.call(homes.a, "set_box_mode", mode="Home 2")
    sent = homes.call(homes.a, "set_box_mode", mode="Home 2", confirm=True)
    own = homes.call(homes.a, "get_basic_data")["structuredContent"]
    theirs = homes.call(homes.b, "get_basic_data")["structuredContent"]

    assert not sent.get("isError"), sent
    assert [w.json()["id_device"] for w in portal.write_requests()] == [BOX_ID]
    assert own["pending_changes"]
    assert not theirs.get("pending_changes")
    assert portal.account_payloads[NEIGHBOUR][NEIGHBOUR_BOX]["box_prms"]["mode"] == 3


def test_a_preview_shown_to_one_household_does_not_license_the_others_confirm(
    homes: Homes, portal: FakePortal
) -> None:
    preview = homes.call(homes.a, "set_box_mode", mode="Home 2")
    confirmed = homes.call(homes.b, "set_box_mode", mode="Home 2", confirm=True)
    on_their_box = homes.call(homes.b, "set_box_mode", mode="Home 2", box_id=BOX_ID, confirm=True)

    assert preview["structuredContent"]["box_id"] == BOX_ID
    assert confirmed["structuredContent"]["outcome"] == "previewed"  # B's own box, first shown
    assert confirmed["structuredContent"]["box_id"] == NEIGHBOUR_BOX
    assert "Nothing was sent" in text_of(confirmed)
    assert on_their_box["isError"] is True
    assert f"Box {BOX_ID} is not on this account" in text_of(on_their_box)
    assert portal.write_requests() == []


def test_a_sealed_login_moved_to_the_other_household_does_not_open(homes: Homes) -> None:
    from oig_cloud_mcp.app.wiring import build_state
    from oig_cloud_mcp.config import ENV_KEY_FILE
    from oig_cloud_mcp.state.vault import KeyRing, Vault

    a, b = subject_of(EMAIL), subject_of(NEIGHBOUR)

    async def swap_and_open() -> tuple[Any, str]:
        state = build_state(homes.settings)
        records = state.remote.vault
        vault = Vault(records, KeyRing.load(homes.settings.key_file, variable=ENV_KEY_FILE))
        try:
            sealed_b = await records.get(b)
            assert sealed_b is not None
            assert (await vault.login(b)) is not None
            await records.put(a, sealed_b, 2**40)  # B's sealed login under A's key
            try:
                return await vault.login(a), ""
            except StateFileError as exc:
                return None, str(exc)
        finally:
            await state.aclose()

    opened, told = anyio.run(swap_and_open)

    assert opened is None
    assert "cannot be opened" in told
    assert NEIGHBOUR not in told
    assert NEIGHBOUR_PASSWORD not in told


def test_after_a_swapped_login_a_household_never_logs_in_as_the_other(
    homes: Homes, portal: FakePortal
) -> None:
    from oig_cloud_mcp.app.wiring import build_state

    async def swap() -> None:
        state = build_state(homes.settings)
        try:
            sealed_b = await state.remote.vault.get(subject_of(NEIGHBOUR))
            assert sealed_b is not None
            await state.remote.vault.put(subject_of(EMAIL), sealed_b, 2**40)
        finally:
            await state.aclose()

    anyio.run(swap)
    portal.expire_sessions()  # A's next call must log in with what is sealed under its key
    logins_before = len(portal.requests_to("Login.php"))
    answer = homes.call(homes.a, "get_basic_data")

    assert answer["isError"] is True
    assert "connect again" in text_of(answer)
    assert len(portal.requests_to("Login.php")) == logins_before  # no login as B
    assert NEIGHBOUR_BOX not in text_of(answer)


def test_the_sdk_client_of_each_household_reads_its_own_box(
    tmp_path: Any, portal: FakePortal, portal_url: str, real_redis: Any
) -> None:
    add_neighbour(portal)
    settings = many_homes(tmp_path, portal_url, real_redis.url)

    async def connect(url: str, household: Household) -> dict[str, Any]:
        provider, _ = oauth_provider(url, household, lambda: "")
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="legacy") as client,  # type: ignore[arg-type]
        ):
            answer = await client.call_tool("get_basic_data", {})
            theirs = await client.call_tool(
                "get_basic_data",
                {"box_id": BOX_ID if household.email == NEIGHBOUR else NEIGHBOUR_BOX},
            )
            return {"own": answer.structured_content, "theirs": theirs.is_error}

    a, b = Household(EMAIL, PASSWORD), Household(NEIGHBOUR, NEIGHBOUR_PASSWORD)
    with serving(settings) as url:
        seen_a = anyio.run(connect, url, a)
        seen_b = anyio.run(connect, url, b)
    a.close()
    b.close()

    assert seen_a["own"]["box_id"] == BOX_ID
    assert seen_b["own"]["box_id"] == NEIGHBOUR_BOX
    assert seen_b["own"]["battery"]["soc_pct"] == NEIGHBOUR_SOC
    assert seen_a["theirs"] is True
    assert seen_b["theirs"] is True
