"""Numbers the portal should never send (NaN, infinities, 1e999, 400-digit integers, 1e308)
in json.php and json2.php: every tool answers, with null where the number was, and no text
says "inf W" or "nan %". Through the real MCP server in-process, against the fake portal."""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from starlette.requests import Request
from starlette.responses import Response

from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings as OigSettings
from oig_cloud_mcp.server import build_server

from .fake_portal import BOX_ID, FakePortal, RunningPortal
from .helpers.sample import NOW
from .helpers.settings import with_writes

RAW_HUGE = "__raw 1e999__"
"""Placeholder the portal writes as the bare JSON literal 1e999 (json.dumps cannot)."""
HOSTILE: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    "NaN",
    "Infinity",
    "1e999",
    RAW_HUGE,
    10**400,
    1e308,
    -1e308,
]
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_basic_data", {}),
    ("get_energy_report", {"period": "today"}),
    ("get_energy_report", {"period": "this_month"}),
    ("get_energy_report", {"period": "this_year"}),
    ("get_extended_data", {"start_date": "2025-04-01", "end_date": "2025-04-05"}),
    ("get_day_profile", {"date": "2025-04-05"}),
    ("get_day_profile", {"date": "2025-04-04"}),
    ("set_box_mode", {"mode": "Home 2"}),
    ("set_boiler_mode", {"mode": "manual"}),
    ("set_grid_delivery", {"state": "limited", "limit_w": 500}),
]
NOT_A_NUMBER_SHOWN = re.compile(r"\b(inf|nan|infinity)\b|e\+\d|\d{14}", re.IGNORECASE)
"""What no text may show: NaN, infinities, exponents, or a number of 1e13 or more (each
value is at most 1e12; a sum of three phases may be a little more)."""
LARGEST = 1e13


@dataclass(repr=False)
class HostilePortal(FakePortal):
    """The fake portal, with every json2.php value replaced by `history_value` and
    `RAW_HUGE` written as a bare 1e999."""

    history_value: Any = 1.0

    def __repr__(self) -> str:  # hypothesis prints the fixtures of a failing example
        return f"HostilePortal(history_value={self.history_value!r})"

    def _raw(self, response: Response) -> Response:
        text = bytes(response.body).decode().replace(json.dumps(RAW_HUGE), "1e999")
        return Response(text, response.status_code, media_type="application/json")

    def _live(self, request: Request, body: bytes) -> Response:
        return self._raw(super()._live(request, body))

    def _history(self, request: Request, body: bytes) -> Response:
        response = super()._history(request, body)
        if response.status_code != 200:
            return response
        data = json.loads(bytes(response.body))
        for item in data["items"]:
            item["values"] = [self.history_value for _ in item["values"]]
        return self._raw(Response(json.dumps(data), 200, media_type="application/json"))


def numeric_paths(box: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, field) of every number in a json.php box."""
    return [
        (name, key)
        for name, part in box.items()
        if isinstance(part, dict)
        for key, value in part.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


def poisoned(portal: FakePortal, values: dict[tuple[str, str], Any]) -> None:
    """Put `values` into the box, which gets a boiler so that its preview reads it too."""
    box = portal.box()
    box["boiler"] = {"p": 0}
    box["boiler_prms"]["ison"] = 1
    for (name, key), value in values.items():
        box[name][key] = value


@pytest.fixture
def hostile(running_portal: RunningPortal, portal: FakePortal) -> HostilePortal:
    """The portal every request now reaches (after `portal` has reset it)."""
    running_portal.portal = HostilePortal()
    return running_portal.portal


@pytest.fixture
def tool_call(settings: OigSettings, hostile: HostilePortal) -> Iterator[Any]:
    """A synchronous `call(tool, arguments)` into a server at NOW, every tool enabled."""
    writable = with_writes(settings)
    server = build_server(writable, build_app(writable, now=lambda: NOW))
    with start_blocking_portal() as runner:
        client = Client(server, mode="legacy")
        with runner.wrap_async_context_manager(client) as mcp:
            yield lambda tool, arguments: runner.call(mcp.call_tool, tool, arguments)


def all_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) < LARGEST
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < LARGEST
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_finite(v) for v in value)
    return True


def check_answer(tool: str, result: Any) -> str:
    text = "".join(getattr(block, "text", "") for block in result.content)
    assert "unexpected" not in text.lower(), (tool, text)
    assert NOT_A_NUMBER_SHOWN.search(text) is None, (tool, text)
    assert all_finite(result.structured_content), (tool, result.structured_content)
    return text


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:12])
def test_every_tool_answers_when_every_portal_number_is_not_a_number(
    tool_call: Any, hostile: HostilePortal, value: Any
) -> None:
    poisoned(hostile, dict.fromkeys(numeric_paths(hostile.box()), value))
    hostile.history_value = value

    for tool, arguments in CALLS:
        result = tool_call(tool, arguments)
        text = check_answer(tool, result)
        if tool.startswith("get_"):
            assert not result.is_error, (tool, text)

    basic = tool_call("get_basic_data", {}).structured_content
    assert basic["battery"]["soc_pct"] is None
    assert basic["solar"]["today_kwh"] is None
    assert basic["grid"]["power_w"] is None


def test_one_absurd_counter_is_null_and_the_others_stay(
    tool_call: Any, hostile: HostilePortal
) -> None:
    poisoned(hostile, {("dc_in", "fv_ad"): 10**400, ("ac_in", "ac_ad"): float("nan")})

    result = tool_call("get_energy_report", {"period": "today"})

    text = check_answer("get_energy_report", result)
    assert result.structured_content["solar"]["kwh"] is None
    assert result.structured_content["grid_import"]["kwh"] is None
    assert result.structured_content["grid_export"]["kwh"] == 18.1
    assert "solar unknown, imported unknown, exported 18.1 kWh" in text


VALUES = st.one_of(
    st.floats(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([10**400, -(10**400)]),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "1e308", "", "abc", "12", RAW_HUGE]),
    st.none(),
    st.booleans(),
    st.just([]),
    st.just({}),
)
PATHS = numeric_paths(json.loads(json.dumps(FakePortal().box())))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.dictionaries(st.sampled_from(PATHS), VALUES, min_size=1, max_size=12),
    period=st.sampled_from(["today", "this_month", "this_year"]),
)
def test_any_json_php_values_give_answers_with_finite_numbers(
    tool_call: Any,
    hostile: HostilePortal,
    values: dict[tuple[str, str], Any],
    period: str,
) -> None:
    original = copy.deepcopy(FakePortal().payload)
    hostile.payload = original
    poisoned(hostile, values)

    for tool, arguments in [
        ("get_basic_data", {}),
        ("get_energy_report", {"period": period}),
        ("get_day_profile", {"date": "2025-04-05"}),
        ("set_box_mode", {"mode": "Home 3", "box_id": BOX_ID}),
    ]:
        check_answer(tool, tool_call(tool, arguments))
