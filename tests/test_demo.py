"""The demo box: realistic values that follow the clock, through the real client and parser."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from oig_cloud_mcp.domain.models import BasicData
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.domain.snapshot import parse_basic_data
from oig_cloud_mcp.portal.client import OigCloudClient
from oig_cloud_mcp.portal.demo import (
    CAPACITY_WH,
    DEMO_BOX,
    DEMO_CREDENTIALS,
    DemoPortal,
    history,
    simulate_day,
    step_index,
    today_steps,
)
from oig_cloud_mcp.state.local.demo import DemoFile

from .helpers.fakes import given

pytestmark = pytest.mark.anyio
NOON = datetime(2026, 6, 21, 12, 30, tzinfo=PORTAL_TZ)
NIGHT = datetime(2026, 6, 21, 2, 0, tzinfo=PORTAL_TZ)


async def snapshot(moment: datetime, state: Path | None = None) -> BasicData:
    client = OigCloudClient(
        "http://demo.invalid/",
        given(DEMO_CREDENTIALS),
        handler=DemoPortal(DemoFile(state) if state else None, lambda: moment),
    )
    try:
        return parse_basic_data(await client.live_stats(), None, moment)
    finally:
        await client.aclose()


async def test_the_sun_shines_at_noon_and_not_at_night() -> None:
    noon, night = await snapshot(NOON), await snapshot(NIGHT)
    assert noon.solar.power_w is not None
    assert night.battery.power_w is not None

    assert noon.solar.power_w > 1000
    assert night.solar.power_w == 0
    assert night.battery.power_w < 0  # the house runs on the battery
    for data in (noon, night):
        assert data.battery.soc_pct is not None
        assert 20 <= data.battery.soc_pct <= 100
        assert data.box_id == DEMO_BOX
        assert data.live_data is True


async def test_today_counters_grow_during_the_day() -> None:
    morning = await snapshot(NOON.replace(hour=9))
    evening = await snapshot(NOON.replace(hour=20))
    assert morning.solar.today_kwh is not None
    assert morning.house.today_kwh is not None
    assert evening.solar.today_kwh is not None
    assert evening.house.today_kwh is not None
    assert evening.solar.today_kwh > morning.solar.today_kwh
    assert evening.house.today_kwh > morning.house.today_kwh


async def test_demo_writes_are_remembered_between_runs(tmp_path: Path) -> None:
    state = tmp_path / "demo_box.json"
    client = OigCloudClient(
        "http://demo.invalid/",
        given(DEMO_CREDENTIALS),
        handler=DemoPortal(DemoFile(state), lambda: NOON),
    )
    try:
        body = {"id_device": DEMO_BOX, "table": "box_prms", "column": "mode", "value": 3}
        await client.write("Device.Set.Value.php", body)
    finally:
        await client.aclose()

    assert (await snapshot(NOON, state)).mode == "Home UPS"


def demo_history(name: str, day: str, moment: datetime) -> list[list[float]]:
    return [item["values"] for item in history(name, f"{day},{day},0", moment)["items"]]


def test_counters_add_up_over_the_day_month_and_year() -> None:
    box = DemoPortal(None, lambda: NOON).box(NOON)
    dc_in, ac_in = box["dc_in"], box["ac_in"]

    assert 0 < dc_in["fv_ad"] / 1000 <= dc_in["fv_am"] <= dc_in["fv_ay"]
    assert ac_in["ac_pd"] / 1000 <= ac_in["ac_pm"] <= ac_in["ac_py"]
    assert ac_in["ac_ad"] / 1000 <= ac_in["ac_am"] + 1 <= ac_in["ac_ay"] + 1
    # energy balance of the day so far: solar + import - export = house + battery gain
    steps = today_steps(NOON)
    stored = (steps[-1].soc_pct - simulate_day(NOON.date() - timedelta(days=1))[-1].soc_pct) / 100
    balance = dc_in["fv_ad"] + ac_in["ac_ad"] - ac_in["ac_pd"] - box["ac_out"]["en_day"]
    assert abs(balance - stored * CAPACITY_WH) < 20
    # the phases add up to the live totals
    assert sum(box["ac_out"][k] for k in ("aco_pr", "aco_ps", "aco_pt")) == box["ac_out"]["aco_p"]
    actual = box["actual"]
    grid = sum(actual[k] for k in ("aci_wr", "aci_ws", "aci_wt"))
    solar = actual["fv_p1"] + actual["fv_p2"]
    assert abs(grid - (actual["aco_p"] + actual["bat_p"] - solar)) <= 2  # each rounded to W


def test_todays_history_follows_the_live_simulation_and_stops_now() -> None:
    box = DemoPortal(None, lambda: NOON).box(NOON)
    rows = {
        name: demo_history(name, "2026-06-21", NOON) for name in ("batt", "fve", "grid", "load")
    }

    assert {name: len(r) for name, r in rows.items()} == dict.fromkeys(rows, 12 * 4 + 2 + 1)
    assert rows["batt"][-1][2] == box["actual"]["bat_c"]  # the SOC series is the simulation's
    assert rows["grid"][-1][1] == sum(box["actual"][k] for k in ("aci_wr", "aci_ws", "aci_wt"))
    assert sum(rows["load"][-1]) == box["actual"]["aco_p"]
    for fve, load, grid, batt in zip(
        rows["fve"], rows["load"], rows["grid"], rows["batt"], strict=True
    ):
        battery_w = batt[1] * batt[0]  # current x voltage
        assert abs(grid[1] - (sum(load) + battery_w - fve[3] - fve[4])) <= 60  # A rounded to 0.1


def test_a_future_day_has_no_history_and_a_past_day_is_whole() -> None:
    assert demo_history("grid", "2026-06-22", NOON) == []
    assert len(demo_history("grid", "2026-06-20", NOON)) == 96


async def test_the_demo_answers_every_new_tool_prompt_and_resource(tmp_path: Path) -> None:
    from mcp import Client

    from oig_cloud_mcp.app.wiring import build_app
    from oig_cloud_mcp.config import Settings
    from oig_cloud_mcp.server import build_server

    settings = Settings(demo=True, state_dir=tmp_path / "state")
    portal = DemoPortal(None, lambda: NOON)  # the demo portal on the service's fixed clock
    http = OigCloudClient("http://demo.invalid/", given(DEMO_CREDENTIALS), handler=portal)
    service = build_app(settings, now=lambda: NOON, client=http)
    async with Client(build_server(settings, service), mode="legacy") as client:
        basic = await client.call_tool("get_basic_data", {})
        report = await client.call_tool("get_energy_report", {"period": "this_year"})
        profile = await client.call_tool("get_day_profile", {"date": "2026-06-21"})
        past = await client.call_tool("get_day_profile", {"date": "2026-06-20"})
        prompts = [await client.get_prompt(p.name) for p in (await client.list_prompts()).prompts]
        config = await client.read_resource(f"oig://box/{DEMO_BOX}/config")

    assert not any(r.is_error for r in (basic, report, profile, past))
    battery = basic.structured_content["battery"]  # type: ignore[index]
    assert (battery["capacity_kwh"], battery["reserve_pct"]) == (10.2, 20)
    assert basic.structured_content["phases"]["voltage_v"] == [235.8, 236.4, 235.1]  # type: ignore[index]
    assert report.structured_content["solar"]["kwh"] > 1000  # type: ignore[index]
    check = profile.structured_content["cross_check"]  # type: ignore[index]
    for name in ("solar", "house", "grid_import", "grid_export"):
        assert abs(check[name]["difference_kwh"]) <= 0.1, name
    assert past.structured_content["cross_check"] is None  # type: ignore[index]
    assert len(prompts) == 4
    assert '"boiler_present":true' in config.contents[0].text  # type: ignore[union-attr]


async def battery_notices(moment: datetime) -> list[datetime | None]:
    """The times of the demo's "charged to 100 %" notices, through the client and parser."""
    from oig_cloud_mcp.domain.notifications import extract_html, parse_notifications

    client = OigCloudClient(
        "http://demo.invalid/", given(DEMO_CREDENTIALS), handler=DemoPortal(None, lambda: moment)
    )
    try:
        html = extract_html(await client.notifications_html())
    finally:
        await client.aclose()
    assert html is not None
    return [when for when, n in parse_notifications(html) if "100 %" in n.body]


@pytest.mark.parametrize("moment", [NOON, NOON.replace(hour=18), NOON.replace(month=12, hour=15)])
async def test_the_full_battery_notice_is_stamped_when_the_simulation_was_full(
    moment: datetime,
) -> None:
    (when,) = await battery_notices(moment)
    assert when is not None
    assert when <= moment
    steps = simulate_day(moment.date())
    before, after = (steps[step_index(when - timedelta(minutes=m))] for m in (16, 1))
    assert round(after.soc_pct) == 100  # the quarter hour ending at the stamp filled it
    assert round(before.soc_pct) < 100  # and it was not full a quarter hour earlier


@pytest.mark.parametrize("moment", [NIGHT, NOON.replace(hour=2, minute=20), NOON.replace(hour=8)])
async def test_no_full_battery_notice_before_the_battery_was_full_today(moment: datetime) -> None:
    assert await battery_notices(moment) == []
    assert all(round(s.soc_pct) < 100 for s in today_steps(moment))
