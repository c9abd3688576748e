"""The text summaries a model reads when its client passes no structured content
(issue 17): they carry what a question needs, in words that read right."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.domain.snapshot import parse_basic_data
from oig_cloud_mcp.tools.render import basic_data_text

BOX_ID = "2205232120"
SAMPLE = json.loads(
    (Path(__file__).parent / "fixtures" / "json_php_live_stats_single_box.json").read_text()
)
NOW = datetime(2025, 4, 5, 21, 0, 43, tzinfo=PORTAL_TZ)  # 5 min after the sample's lastcall


@pytest.fixture
def payload() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)  # type: ignore[no-any-return]


def test_live_data_off_says_the_battery_power_is_unknown(payload: dict[str, Any]) -> None:
    del payload[BOX_ID]["actual"]

    text = basic_data_text(parse_basic_data(payload, None, NOW))

    assert "Battery 89 %, unknown" not in text
    assert "Battery 89 %, power unknown; 6.6 kWh above the 20 % reserve." in text
