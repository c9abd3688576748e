"""The demo box: realistic values that follow the clock, through the real client and parser."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from oig_cloud_mcp.client import OigCloudClient
from oig_cloud_mcp.demo import DEMO_BOX, DEMO_CREDENTIALS, DemoPortal
from oig_cloud_mcp.models import BasicData
from oig_cloud_mcp.parsing import PORTAL_TZ, parse_basic_data

pytestmark = pytest.mark.anyio
NOON = datetime(2026, 6, 21, 12, 30, tzinfo=PORTAL_TZ)
NIGHT = datetime(2026, 6, 21, 2, 0, tzinfo=PORTAL_TZ)


async def snapshot(moment: datetime, state: Path | None = None) -> BasicData:
    client = OigCloudClient(
        "http://demo.invalid/", lambda: DEMO_CREDENTIALS, handler=DemoPortal(state, lambda: moment)
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
        "http://demo.invalid/", lambda: DEMO_CREDENTIALS, handler=DemoPortal(state, lambda: NOON)
    )
    try:
        body = {"id_device": DEMO_BOX, "table": "box_prms", "column": "mode", "value": 3}
        await client.write("Device.Set.Value.php", body)
    finally:
        await client.aclose()

    assert (await snapshot(NOON, state)).mode == "Home UPS"
