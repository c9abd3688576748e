"""Write tools: off by default, previewed, confirmed or elicited, exactly one well-formed write."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import re
import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult

from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import WRITE_TOOLS, Credentials
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.errors import WriteNotAllowedError
from oig_cloud_mcp.portal.client import OigCloudClient
from oig_cloud_mcp.portal.demo import DEMO_CREDENTIALS, DemoPortal
from oig_cloud_mcp.portal.inprocess import PortalCall, PortalReply
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.state.local.pending import LocalPending

from .fake_portal import BOX_ID, FakePortal
from .helpers.fakes import EMAIL, PASSWORD, FakeClock, given
from .helpers.mcp_calls import answered as call
from .helpers.mcp_calls import preview_then_confirm
from .helpers.settings import with_writes

pytestmark = pytest.mark.anyio


@pytest.fixture
def writable(settings: Settings) -> Settings:
    return with_writes(settings)


@pytest.fixture
def server(writable: Settings) -> Any:
    """Every write tool enabled, the live-data cache off."""
    return build_server(writable)


async def confirmed(client: Client, tool: str, **arguments: Any) -> Any:
    """The preview, then the confirmed call (conftest's `preview_then_confirm`)."""
    return await preview_then_confirm(functools.partial(call, client), tool, **arguments)


def audit(settings: Settings) -> list[dict[str, Any]]:
    lines = settings.audit_path.read_text().splitlines()
    return [json.loads(line) for line in lines]


async def test_write_tools_are_absent_unless_enabled(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names.isdisjoint(WRITE_TOOLS)


async def test_enabling_some_write_tools_lists_only_those(
    settings: Settings, portal: FakePortal
) -> None:
    some = settings.with_overrides(allowed_writes=frozenset({"set_box_mode"}))
    async with Client(build_server(some)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result, _ = await call(client, "set_grid_delivery", state="off", confirm=True)

    assert "set_box_mode" in tools
    assert result.is_error
    assert portal.write_requests() == []
    annotations = tools["set_box_mode"].annotations
    assert annotations is not None
    assert annotations.read_only_hint is False
    assert annotations.destructive_hint is True
    assert annotations.idempotent_hint is True
    assert annotations.open_world_hint is True
    assert tools["set_box_mode"].title


async def test_a_disabled_write_is_refused_even_when_called_directly(
    settings: Settings, portal: FakePortal
) -> None:
    writes = build_app(settings).writes
    with pytest.raises(WriteNotAllowedError, match="--allow-writes set_box_mode"):
        await writes.plan("set_box_mode", mode="Home UPS", box_id=None)
    assert portal.log == []
    assert audit(settings)[-1]["outcome"] == "disabled"


async def test_without_confirm_nothing_is_written_and_the_preview_explains(
    mcp: Client, portal: FakePortal
) -> None:
    result, text = await call(mcp, "set_box_mode", mode="Home UPS")

    assert not result.is_error
    data = result.structured_content
    assert data["outcome"] == "previewed"
    assert (data["current"], data["requested"]) == ("Home 1", "Home UPS")
    assert "nothing was changed" in text
    assert "10 minutes" in text
    assert "confirm=true" in text
    assert "grid" in data["effect"]
    assert portal.write_requests() == []


async def test_confirm_sends_exactly_one_well_formed_write(
    mcp: Client, portal: FakePortal, writable: Settings
) -> None:
    result, text = await confirmed(mcp, "set_box_mode", mode="Home UPS")

    assert result.structured_content["outcome"] == "written"
    assert "accepted" in text
    assert "10 minutes" in text
    (write,) = portal.write_requests()
    assert write.path == "inc/php/scripts/Device.Set.Value.php"
    assert write.json() == {"id_device": BOX_ID, "table": "box_prms", "column": "mode", "value": 3}
    assert write.headers["x-requested-with"] == "XMLHttpRequest"
    assert write.headers["content-type"] == "application/json"
    assert len(write.query["_nonce"]) == 13
    assert audit(writable)[-1]["outcome"] == "written"


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("set_grid_delivery", {"state": "limited"}),
        ("set_grid_delivery", {"state": "limited", "limit_w": 10000}),
        ("set_grid_delivery", {"state": "on", "limit_w": 500}),
        ("set_box_mode", {"mode": "Home 5"}),
        ("set_boiler_mode", {"mode": "eco"}),
        ("set_battery_grid_charging", {"target_pct": 10}),
    ],
)
async def test_invalid_input_is_refused_without_any_request(
    mcp: Client, portal: FakePortal, tool: str, arguments: dict[str, Any]
) -> None:
    result, _ = await call(mcp, tool, confirm=True, **arguments)
    assert result.is_error
    assert portal.log == []


async def test_requesting_the_current_value_writes_nothing(mcp: Client, portal: FakePortal) -> None:
    result, text = await call(mcp, "set_box_mode", mode="Home 1", confirm=True)

    assert result.structured_content["outcome"] == "unchanged"
    assert "already in Home 1" in text
    assert portal.write_requests() == []


async def test_grid_delivery_limited_sends_value_and_limit_in_one_call(
    mcp: Client, portal: FakePortal
) -> None:
    _preview, text = await call(mcp, "set_grid_delivery", state="limited", limit_w=5000)
    assert "distributor" in text
    result, _ = await call(mcp, "set_grid_delivery", state="limited", limit_w=5000, confirm=True)

    assert result.structured_content["outcome"] == "written"
    (write,) = portal.write_requests()
    assert write.path.endswith("ToGrid.Toggle.php")
    assert write.json() == {"id_device": BOX_ID, "value": 2, "p_max_feed_grid": 5000}


async def test_grid_delivery_off_still_carries_p_max_feed_grid(
    mcp: Client, portal: FakePortal
) -> None:
    await confirmed(mcp, "set_grid_delivery", state="off")
    (write,) = portal.write_requests()
    assert write.json() == {"id_device": BOX_ID, "value": 0, "p_max_feed_grid": None}


async def test_boiler_mode_is_refused_on_a_box_without_a_boiler(
    mcp: Client, portal: FakePortal
) -> None:
    result, text = await call(mcp, "set_boiler_mode", mode="manual", confirm=True)
    assert result.is_error
    assert "no boiler" in text
    assert portal.write_requests() == []


async def test_boiler_mode_writes_manual_as_one(mcp: Client, portal: FakePortal) -> None:
    portal.box()["boiler"] = {"p": 0, "w": 0}
    portal.box()["boiler_prms"]["ison"] = 1

    await confirmed(mcp, "set_boiler_mode", mode="manual")

    (write,) = portal.write_requests()
    assert write.json()["table"] == "boiler_prms"
    assert (write.json()["column"], write.json()["value"]) == ("manual", 1)


@pytest.mark.parametrize(("target", "sent"), [(80, 80), (None, 0)])
async def test_battery_grid_charging_sends_an_integer_target(
    mcp: Client, portal: FakePortal, target: int | None, sent: int
) -> None:
    result, _ = await confirmed(mcp, "set_battery_grid_charging", target_pct=target)
    assert result.structured_content["outcome"] == "written"
    (write,) = portal.write_requests()
    assert write.json() == {"bat_ac": sent}


async def test_form_encoding_can_be_chosen(writable: Settings, portal: FakePortal) -> None:
    form = writable.with_overrides(write_encoding="form")
    async with Client(build_server(form)) as client:
        await confirmed(client, "set_box_mode", mode="Home 2")
    (write,) = portal.write_requests()
    assert write.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert write.body.decode() == f"id_device={BOX_ID}&table=box_prms&column=mode&value=1"


async def test_a_refused_write_is_reported_once_and_audited(
    writable: Settings, portal: FakePortal
) -> None:
    form = writable.with_overrides(write_encoding="form")
    portal.accept_form = False  # this portal answers form bodies with its 500 error page
    async with Client(build_server(form)) as client:
        result, text = await confirmed(client, "set_box_mode", mode="Home 2")

    assert result.is_error
    assert "refused the change (HTTP 500)" in text
    assert "nothing was changed" in text
    assert len(portal.write_requests()) == 1
    assert audit(form)[-1]["outcome"] == "rejected"


async def test_a_write_without_an_answer_is_reported_unknown_and_not_repeated(
    writable: Settings, portal: FakePortal
) -> None:
    slow = writable.with_overrides(timeout_s=1.0)
    portal.write_delay_s = 2.0
    portal.apply_delay_s = 3600
    async with Client(build_server(slow)) as client:
        result, text = await confirmed(client, "set_box_mode", mode="Home UPS")
        again, again_text = await call(client, "set_box_mode", mode="Home UPS", confirm=True)

    assert result.is_error
    assert "may or may not have been accepted" in text
    assert again.structured_content["outcome"] == "unchanged"
    assert "outcome is unknown" in again_text
    assert "not sent again" in again_text
    assert len(portal.write_requests()) == 1
    assert [e["outcome"] for e in audit(slow)] == ["previewed", "sending", "unknown", "unchanged"]


def confirm_with(action: str) -> Any:
    async def callback(context: Any, params: Any) -> ElicitResult:
        callback.asked.append(params.message)  # type: ignore[attr-defined]
        content = {"confirm": True} if action == "accept" else None
        return ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    callback.asked = []  # type: ignore[attr-defined]
    return callback


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_elicitation_accept_writes_once(
    writable: Settings, portal: FakePortal, mode: str
) -> None:
    callback = confirm_with("accept")
    async with Client(build_server(writable), mode=mode, elicitation_callback=callback) as client:  # type: ignore[arg-type]
        result, _ = await call(client, "set_box_mode", mode="Home UPS")

    assert result.structured_content["outcome"] == "written"
    assert "Home 1 to Home UPS" in callback.asked[0]
    assert len(portal.write_requests()) == 1


@pytest.mark.parametrize("action", ["decline", "cancel"])
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_elicitation_decline_or_cancel_writes_nothing_even_with_confirm(
    writable: Settings, portal: FakePortal, mode: str, action: str
) -> None:
    callback = confirm_with(action)
    async with Client(build_server(writable), mode=mode, elicitation_callback=callback) as client:  # type: ignore[arg-type]
        result, text = await call(client, "set_box_mode", mode="Home UPS", confirm=True)

    assert result.structured_content["outcome"] == "declined"
    assert "nothing was written" in text
    assert portal.write_requests() == []


async def test_pending_change_becomes_applied_when_live_data_shows_it(
    mcp: Client, portal: FakePortal
) -> None:
    portal.apply_delay_s = 3600  # the box applies it when the test says so
    await confirmed(mcp, "set_box_mode", mode="Home UPS")

    before, _ = await call(mcp, "get_basic_data")
    assert portal.apply_writes() == 1
    after, text = await call(mcp, "get_basic_data")

    assert [p["status"] for p in before.structured_content["pending_changes"]] == ["pending"]
    assert before.structured_content["mode"] == "Home 1"
    assert [p["status"] for p in after.structured_content["pending_changes"]] == ["applied"]
    assert after.structured_content["mode"] == "Home UPS"
    assert re.search(r"Changes sent: mode to Home UPS at \d\d:\d\d, applied \(the box", text)


async def test_a_repeat_while_pending_is_not_sent_again(mcp: Client, portal: FakePortal) -> None:
    portal.apply_delay_s = 60
    await confirmed(mcp, "set_box_mode", mode="Home UPS")
    result, text = await call(mcp, "set_box_mode", mode="Home UPS", confirm=True)

    assert result.structured_content["outcome"] == "unchanged"
    assert "pending" in text
    assert len(portal.write_requests()) == 1


async def test_pending_change_becomes_not_applied_after_an_hour(
    writable: Settings, portal: FakePortal
) -> None:
    portal.apply_delay_s = 3600
    now = [datetime(2026, 11, 21, 12, 0, tzinfo=PORTAL_TZ)]
    service = build_app(writable, now=lambda: now[0])
    async with Client(build_server(writable, service)) as client:
        await confirmed(client, "set_box_mode", mode="Home 3")
        now[0] += timedelta(minutes=30)
        half, _ = await call(client, "get_basic_data")
        now[0] += timedelta(minutes=31)
        late, _ = await call(client, "get_basic_data")

    assert half.structured_content["pending_changes"][0]["status"] == "pending"
    assert late.structured_content["pending_changes"][0]["status"] == "not_applied"


async def test_an_idle_session_is_refreshed_by_a_read_before_the_write(
    writable: Settings, portal: FakePortal
) -> None:
    clock = FakeClock()
    client = OigCloudClient(
        writable.base_url, given(Credentials(EMAIL, PASSWORD)), cache_ttl_s=3600, clock=clock
    )
    service = build_app(writable, client=client)
    async with Client(build_server(writable, service)) as mcp_client:
        await call(mcp_client, "get_basic_data")
        clock.advance(600)
        await confirmed(mcp_client, "set_box_mode", mode="Home 2")

    paths = [r.path.rsplit("/", 1)[-1] for r in portal.log]
    assert paths == ["Login.php", "json.php", "json.php", "Device.Set.Value.php"]


async def test_the_audit_log_is_private_and_holds_no_secret(
    mcp: Client, portal: FakePortal, writable: Settings
) -> None:
    await call(mcp, "set_box_mode", mode="Home UPS")
    await call(mcp, "set_box_mode", mode="Home UPS", confirm=True)

    text = writable.audit_path.read_text()
    assert PASSWORD not in text
    assert "PHPSESSID" not in text
    assert stat.S_IMODE(writable.audit_path.stat().st_mode) == 0o600
    outcomes = [entry["outcome"] for entry in audit(writable)]
    assert outcomes == ["previewed", "sending", "written"]
    assert audit(writable)[-1]["arguments"] == {"mode": "Home UPS", "box_id": None}


async def test_a_newer_request_replaces_an_older_pending_one(
    mcp: Client, portal: FakePortal
) -> None:
    portal.apply_delay_s = 60
    await confirmed(mcp, "set_box_mode", mode="Home UPS")
    await confirmed(mcp, "set_box_mode", mode="Home 2")

    result, _ = await call(mcp, "get_basic_data")

    pending = result.structured_content["pending_changes"]
    assert [(p["requested"], p["status"]) for p in pending] == [("Home 2", "pending")]


async def test_a_write_cancelled_while_waiting_for_the_lock_leaves_it_free(
    writable: Settings, portal: FakePortal
) -> None:
    import fcntl
    import os

    from oig_cloud_mcp.state.local.files import acquire_lock, release_lock

    service = build_app(writable)
    writes = service.writes
    plan = await writes.plan("set_box_mode", mode="Home UPS", box_id=None)
    await writes.execute(plan, "preview", principal="owner")  # shown to the user, who then confirms
    held = acquire_lock(writable.state_dir / "write")  # another process is writing
    waiting = asyncio.ensure_future(writes.execute(plan, "confirmed", principal="owner"))
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release_lock(held)

    fd = os.open(writable.state_dir / "write.lock", os.O_RDWR)
    try:
        for _ in range(50):  # the abandoned waiter must take and release the lock
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail("the write lock stayed held after the cancelled write")
    finally:
        os.close(fd)
        await service.aclose()
    assert portal.write_requests() == []


async def test_an_applied_change_shows_up_in_the_notifications(
    mcp: Client, portal: FakePortal
) -> None:
    await confirmed(mcp, "set_box_mode", mode="Home 3")

    result, _ = await call(mcp, "get_notifications", limit=1)

    newest = result.structured_content["notifications"][0]
    assert newest["title"] == "Změna nastavení"
    assert '"mode": 2' in newest["body"]


async def test_a_change_that_cannot_be_recorded_first_is_not_sent(
    writable: Settings, portal: FakePortal
) -> None:
    writable.audit_path.mkdir(parents=True)  # the audit log cannot be appended to

    async with Client(build_server(writable)) as client:
        result, text = await confirmed(client, "set_box_mode", mode="Home UPS")

    assert result.is_error
    assert text.startswith("Nothing was sent")
    assert str(writable.audit_path) in text
    assert portal.write_requests() == []
    assert LocalPending(writable.pending_path).file.read().root == []  # intent withdrawn


class BreaksTheRecordOnWrite:
    """The demo portal, but the pending-changes file turns into a directory mid-write."""

    def __init__(self, path: Path) -> None:
        self.portal = DemoPortal()
        self.path = path
        self.writes = 0

    async def __call__(self, call: PortalCall) -> PortalReply:
        if call.path.endswith("Device.Set.Value.php"):
            self.writes += 1
            self.path.unlink()
            self.path.mkdir()
        return await self.portal(call)


async def test_bookkeeping_that_fails_after_an_accepted_write_is_reported_not_raised(
    writable: Settings,
) -> None:
    portal = BreaksTheRecordOnWrite(writable.pending_path)
    client = OigCloudClient("http://demo.invalid/", given(DEMO_CREDENTIALS), handler=portal)
    service = build_app(writable, client=client)
    async with Client(build_server(writable, service)) as mcp_client:
        result, text = await confirmed(mcp_client, "set_box_mode", mode="Home UPS")

    assert not result.is_error
    assert result.structured_content["outcome"] == "written"
    assert "accepted the change" in text
    assert "record could not be updated" in text
    assert str(writable.pending_path) in text
    assert portal.writes == 1
    assert [e["outcome"] for e in audit(writable)] == ["previewed", "sending", "written"]


# -- undoing a change that is not applied yet --------------------------------------------


@pytest.mark.parametrize(
    ("tool", "change", "undo"),
    [
        ("set_box_mode", {"mode": "Home UPS"}, {"mode": "Home 1"}),
        ("set_grid_delivery", {"state": "on"}, {"state": "off"}),
    ],
)
async def test_undoing_a_change_the_box_has_not_applied_yet_is_sent_and_replaces_it(
    mcp: Client,
    portal: FakePortal,
    tool: str,
    change: dict[str, Any],
    undo: dict[str, Any],
) -> None:
    portal.box()["invertor_prms"]["to_grid"] = 0  # export is off
    portal.apply_delay_s = 3600  # the box applies them when the test says so
    await confirmed(mcp, tool, **change)

    preview, preview_text = await call(mcp, tool, **undo)
    result, text = await call(mcp, tool, **undo, confirm=True)
    assert portal.apply_writes() == 2
    after, _ = await call(mcp, "get_basic_data")

    assert preview.structured_content["outcome"] == "previewed"
    replaced = next(iter(change.values()))
    assert f"replaces the change to {replaced}" in preview_text
    assert "not applied yet" in preview_text
    assert result.structured_content["outcome"] == "written"
    assert f"replaces the change to {replaced}" in text
    assert len(portal.write_requests()) == 2
    shown = after.structured_content
    if tool == "set_box_mode":
        assert shown["mode"] == "Home 1"
    else:
        assert shown["grid"]["delivery"] == "off"


async def test_undoing_a_change_whose_outcome_is_unknown_is_sent(
    writable: Settings, portal: FakePortal
) -> None:
    slow = writable.with_overrides(timeout_s=1.0)
    portal.write_delay_s = 2.0
    portal.apply_delay_s = 3600
    async with Client(build_server(slow)) as client:
        unknown, _ = await confirmed(client, "set_box_mode", mode="Home UPS")
        portal.write_delay_s = 0.0
        result, text = await confirmed(client, "set_box_mode", mode="Home 1")

    assert unknown.is_error
    assert result.structured_content["outcome"] == "written"
    assert "replaces the change to Home UPS" in text
    assert "outcome is unknown" in text
    assert [w.json()["value"] for w in portal.write_requests()] == [3, 0]


async def test_the_value_the_box_shows_is_unchanged_once_nothing_else_is_pending(
    mcp: Client, portal: FakePortal
) -> None:
    portal.apply_delay_s = 3600
    await confirmed(mcp, "set_box_mode", mode="Home UPS")
    portal.apply_writes()  # applied: the box shows Home UPS
    await call(mcp, "get_basic_data")

    result, text = await call(mcp, "set_box_mode", mode="Home UPS", confirm=True)

    assert result.structured_content["outcome"] == "unchanged"
    assert "already in Home UPS" in text
    assert len(portal.write_requests()) == 1


# -- confirm only after a preview --------------------------------------------------------


async def test_a_confirm_without_a_preview_sends_nothing_and_returns_the_preview(
    mcp: Client, portal: FakePortal, writable: Settings
) -> None:
    result, text = await call(mcp, "set_box_mode", mode="Home UPS", confirm=True)

    assert result.structured_content["outcome"] == "previewed"
    assert (result.structured_content["current"], result.structured_content["requested"]) == (
        "Home 1",
        "Home UPS",
    )
    assert "Nothing was sent" in text
    assert "shown to the user" in text
    assert "confirm=true" in text
    assert portal.write_requests() == []
    assert audit(writable)[-1]["outcome"] == "previewed"


async def test_the_confirm_after_that_preview_writes(mcp: Client, portal: FakePortal) -> None:
    await call(mcp, "set_box_mode", mode="Home UPS", confirm=True)  # answered with the preview
    result, _ = await call(mcp, "set_box_mode", mode="Home UPS", confirm=True)

    assert result.structured_content["outcome"] == "written"
    assert len(portal.write_requests()) == 1


@pytest.mark.parametrize(
    ("previewed", "confirmed_"),
    [
        ({"mode": "Home 2"}, {"mode": "Home UPS"}),
        ({"mode": "Home UPS"}, {"mode": "Home UPS", "box_id": "1111111111"}),
    ],
    ids=["another value", "another box"],
)
async def test_a_preview_of_another_change_does_not_count(
    mcp: Client, portal: FakePortal, previewed: dict[str, Any], confirmed_: dict[str, Any]
) -> None:
    portal.payload["1111111111"] = copy.deepcopy(portal.box())
    await call(mcp, "set_box_mode", **previewed)

    result, _ = await call(mcp, "set_box_mode", **confirmed_, confirm=True)

    assert result.structured_content["outcome"] == "previewed"
    assert portal.write_requests() == []


async def test_a_preview_older_than_30_minutes_does_not_count(
    writable: Settings, portal: FakePortal
) -> None:
    now = [datetime(2026, 11, 21, 12, 0, tzinfo=PORTAL_TZ)]
    service = build_app(writable, now=lambda: now[0])
    async with Client(build_server(writable, service)) as client:
        await call(client, "set_box_mode", mode="Home UPS")
        now[0] += timedelta(minutes=31)
        late, _ = await call(client, "set_box_mode", mode="Home UPS", confirm=True)
        now[0] += timedelta(minutes=29)
        within, _ = await call(client, "set_box_mode", mode="Home UPS", confirm=True)

    assert late.structured_content["outcome"] == "previewed"
    assert within.structured_content["outcome"] == "written"
    assert len(portal.write_requests()) == 1


async def test_a_preview_made_before_a_restart_asks_again(
    writable: Settings, portal: FakePortal
) -> None:
    async with Client(build_server(writable)) as before:
        await call(before, "set_box_mode", mode="Home UPS")
    async with Client(build_server(writable)) as after:
        result, _ = await call(after, "set_box_mode", mode="Home UPS", confirm=True)

    assert result.structured_content["outcome"] == "previewed"
    assert portal.write_requests() == []


# -- what the confirmation dialog showed is what is sent ---------------------------------


def test_the_confirmation_answer_must_be_a_json_boolean() -> None:
    from pydantic import ValidationError

    from oig_cloud_mcp.server.registration import Confirmation

    with pytest.raises(ValidationError):
        Confirmation.model_validate({"confirm": "yes"})
    assert Confirmation.model_validate({"confirm": True}).confirm is True


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_an_elicitation_answered_with_yes_instead_of_true_writes_nothing(
    writable: Settings, portal: FakePortal, mode: str
) -> None:
    async def says_yes(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": "yes"})

    async with Client(build_server(writable), mode=mode, elicitation_callback=says_yes) as client:  # type: ignore[arg-type]
        result, _ = await call(client, "set_box_mode", mode="Home UPS")

    assert result.is_error
    assert portal.write_requests() == []


async def test_battery_grid_charging_says_the_portal_applies_it_to_its_selected_box(
    mcp: Client, portal: FakePortal
) -> None:
    result, text = await call(mcp, "set_battery_grid_charging", target_pct=80)

    assert "selected for the account" in result.structured_content["effect"]
    assert "selected for the account" in text


async def test_a_dialog_about_one_box_sends_nothing_if_the_call_would_change_another(
    writable: Settings, portal: FakePortal
) -> None:
    other = "1111111111"

    async def accept_while_the_box_order_changes(context: Any, params: Any) -> ElicitResult:
        accept_while_the_box_order_changes.asked.append(params.message)  # type: ignore[attr-defined]
        portal.payload = {other: copy.deepcopy(portal.box()), **portal.payload}
        return ElicitResult(action="accept", content={"confirm": True})

    accept_while_the_box_order_changes.asked = []  # type: ignore[attr-defined]
    async with Client(
        build_server(writable),
        mode="legacy",
        elicitation_callback=accept_while_the_box_order_changes,  # type: ignore[arg-type]
    ) as client:
        result, text = await call(client, "set_battery_grid_charging", target_pct=80)

    assert f"on box {BOX_ID}" in accept_while_the_box_order_changes.asked[0]  # type: ignore[attr-defined]
    assert result.is_error
    assert "nothing was written" in text
    assert other in text
    assert portal.write_requests() == []
    assert audit(writable)[-1]["outcome"] == "invalid"


# -- a write answered like a dead session ------------------------------------------------


async def test_a_write_taken_and_answered_with_a_redirect_is_unknown_and_never_sent_again(
    mcp: Client, portal: FakePortal, writable: Settings
) -> None:
    portal.write_then_redirect = True
    portal.apply_delay_s = 3600

    result, text = await confirmed(mcp, "set_box_mode", mode="Home UPS")
    again, again_text = await call(mcp, "set_box_mode", mode="Home UPS", confirm=True)
    listed, _ = await call(mcp, "get_basic_data")

    assert result.is_error
    assert "may or may not have been accepted" in text
    assert len(portal.write_requests()) == 1
    assert portal.count("Login.php") == 1
    assert [e["outcome"] for e in audit(writable)][-2:] == ["unknown", "unchanged"]
    assert again.structured_content["outcome"] == "unchanged"
    assert "outcome is unknown" in again_text
    pending = listed.structured_content["pending_changes"]
    assert [(p["requested"], p["status"]) for p in pending] == [("Home UPS", "outcome_unknown")]


@pytest.mark.parametrize("dead_answer", ["500", "401"])
async def test_a_write_on_a_session_that_died_is_sent_once_more_after_one_login(
    writable: Settings, portal: FakePortal, dead_answer: str
) -> None:
    portal.dead_session_write = dead_answer  # type: ignore[assignment]
    client = OigCloudClient(writable.base_url, given(Credentials(EMAIL, PASSWORD)))
    try:
        await client.live_stats()
        portal.expire_sessions()  # the portal ends the session just before the write

        receipt = await client.write(
            "Device.Set.Value.php",
            {"id_device": BOX_ID, "table": "box_prms", "column": "mode", "value": 3},
        )
    finally:
        await client.aclose()

    assert (receipt.message, receipt.resent) == ("OK", True)
    paths = [r.path.rsplit("/", 1)[-1] for r in portal.log]
    assert paths == [
        "Login.php",
        "json.php",
        "Device.Set.Value.php",  # HTTP 500 (or 401): the session is dead ...
        "json.php",  # ... and a read with the same cookie says so too
        "Login.php",
        "Device.Set.Value.php",
    ]
    assert portal.box()["box_prms"]["mode"] == 3


async def test_a_dialog_whose_change_moves_to_another_box_is_asked_again_on_2026_protocols(
    writable: Settings, portal: FakePortal
) -> None:
    other = "1111111111"

    async def accept_while_the_box_order_changes(context: Any, params: Any) -> ElicitResult:
        accept_while_the_box_order_changes.asked.append(params.message)  # type: ignore[attr-defined]
        if other not in portal.payload:
            portal.payload = {other: copy.deepcopy(portal.box()), **portal.payload}
        return ElicitResult(action="accept", content={"confirm": True})

    accept_while_the_box_order_changes.asked = []  # type: ignore[attr-defined]
    async with Client(
        build_server(writable),
        mode="auto",
        elicitation_callback=accept_while_the_box_order_changes,  # type: ignore[arg-type]
    ) as client:
        result, _ = await call(client, "set_battery_grid_charging", target_pct=80)

    first, last = accept_while_the_box_order_changes.asked  # type: ignore[attr-defined]
    assert f"on box {BOX_ID}" in first
    assert f"on box {other}" in last  # what the user accepted last is what is sent
    assert result.structured_content["outcome"] == "written"
    assert result.structured_content["box_id"] == other
