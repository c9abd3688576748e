"""The tools' schemas are derived ahead of time, not at every start: the packaged file says
what the SDK derives from the catalogue, and every answer fits what it publishes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # comes with mcp, without stubs
import pytest
from mcp import Client

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.server.schemas import derived_schemas, published_schemas
from oig_cloud_mcp.tools.catalogue import BY_NAME, CATALOGUE

from .fake_portal import FakePortal
from .helpers.settings import with_writes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from tool_schemas import SCHEMAS, rendered  # noqa: E402

pytestmark = pytest.mark.anyio
SOME_ARGUMENTS: dict[str, dict[str, Any]] = {
    "get_extended_data": {"start_date": "2025-06-01", "end_date": "2025-06-02"},
    "set_box_mode": {"mode": "Home UPS"},
    "set_grid_delivery": {"state": "limited", "limit_w": 3000},
    "set_boiler_mode": {"mode": "manual"},
    "set_battery_grid_charging": {"target_pct": 80},
}


def test_the_packaged_schemas_are_what_the_sdk_derives_from_the_catalogue() -> None:
    packaged = SCHEMAS.read_text(encoding="utf-8")

    assert packaged == rendered(derived_schemas()), "run `python packaging/tool_schemas.py`"
    assert set(published_schemas()) == {tool.name for tool in CATALOGUE}


async def test_tools_list_publishes_the_packaged_schemas(settings: Settings) -> None:
    async with Client(build_server(with_writes(settings))) as client:
        listed = (await client.list_tools()).tools

    assert {tool.name for tool in listed} == {tool.name for tool in CATALOGUE}
    for tool in listed:
        assert tool.input_schema == published_schemas()[tool.name]["input"]
        assert tool.output_schema == published_schemas()[tool.name]["output"]


async def test_every_answer_fits_its_published_schema_and_its_output_model(
    settings: Settings, portal: FakePortal
) -> None:
    portal.box()["boiler"] = {"p": 0, "w": 0}  # a box with a boiler, for set_boiler_mode
    portal.box()["boiler_prms"]["ison"] = 1
    async with Client(build_server(with_writes(settings)), mode="legacy") as client:
        for tool in CATALOGUE:
            result = await client.call_tool(tool.name, SOME_ARGUMENTS.get(tool.name, {}))

            assert not result.is_error, (tool.name, result.content)
            jsonschema.validate(result.structured_content, published_schemas()[tool.name]["output"])
            BY_NAME[tool.name].output.model_validate(result.structured_content)
