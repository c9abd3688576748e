"""Prompts and resources through the in-process SDK `Client`, in both protocol eras."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import MODE_EFFECTS
from oig_cloud_mcp.server import build_server

from .fake_portal import BOX_ID, FakePortal
from .helpers.stdio_session import StdioSession

pytestmark = pytest.mark.anyio
PROMPTS = {
    "daily_check_in": "Daily check-in",
    "monthly_report": "Monthly report",
    "prepare_for_outage": "Prepare for an outage",
    "why_bypass": "Why bypass?",
}
TOOLS_USED = {
    "daily_check_in": ("get_basic_data", "get_energy_report", "get_notifications"),
    "monthly_report": ("get_energy_report", "get_notifications"),
    "prepare_for_outage": ("get_basic_data",),
    "why_bypass": ("get_notifications", "get_basic_data", "get_day_profile"),
}


async def prompt_text(client: Client, name: str, **arguments: str) -> str:
    result = await client.get_prompt(name, arguments or None)
    assert [m.role for m in result.messages] == ["user"]
    content: Any = result.messages[0].content
    return str(content.text)


async def test_prompts_and_resources_are_advertised(mcp: Client) -> None:
    capabilities = mcp.server_capabilities

    assert capabilities.prompts is not None
    assert capabilities.resources is not None


async def test_four_prompts_with_titles_and_an_optional_box_id(mcp: Client) -> None:
    prompts = {p.name: p for p in (await mcp.list_prompts()).prompts}

    assert {name: p.title for name, p in prompts.items()} == PROMPTS
    for prompt in prompts.values():
        assert prompt.description
        assert [(a.name, a.required) for a in prompt.arguments or []] == [("box_id", False)]


@pytest.mark.parametrize("name", list(PROMPTS))
async def test_each_prompt_names_the_tools_to_call_and_makes_no_request(
    mcp: Client, portal: FakePortal, name: str
) -> None:
    text = await prompt_text(mcp, name)

    for tool in TOOLS_USED[name]:
        assert f"Call {tool}" in text or f"call {tool}" in text, tool
    assert "null" in text
    assert "box_id" not in text
    assert portal.log == []


async def test_a_box_id_is_passed_on_to_every_call(mcp: Client) -> None:
    text = await prompt_text(mcp, "daily_check_in", box_id=BOX_ID)

    assert f'Use box_id="{BOX_ID}" in every call.' in text


async def test_a_bad_box_id_in_a_prompt_is_refused(mcp: Client) -> None:
    with pytest.raises(MCPError, match="box_id must be a Battery Box id"):
        await mcp.get_prompt("why_bypass", {"box_id": "../etc"})


async def test_the_outage_prompt_never_offers_a_write_when_writes_are_off(mcp: Client) -> None:
    text = await prompt_text(mcp, "prepare_for_outage")

    assert "not enabled" in text
    assert "Do not try to change anything." in text
    assert "confirm=true" not in text


async def test_the_outage_prompt_offers_home_ups_through_the_preview_when_enabled(
    settings: Settings, mode: str
) -> None:
    writable = settings.with_overrides(allowed_writes=frozenset({"set_box_mode"}))
    async with Client(build_server(writable), mode=mode) as client:  # type: ignore[arg-type]
        text = await prompt_text(client, "prepare_for_outage")

    assert 'call set_box_mode with mode="Home UPS" without confirm' in text
    assert "confirm=true only after I confirm" in text
    assert "Only if I agree" in text


async def test_other_write_tools_alone_do_not_offer_home_ups(settings: Settings, mode: str) -> None:
    writable = settings.with_overrides(allowed_writes=frozenset({"set_grid_delivery"}))
    async with Client(build_server(writable), mode=mode) as client:  # type: ignore[arg-type]
        text = await prompt_text(client, "prepare_for_outage")

    assert "set_box_mode with" not in text


async def test_the_modes_guide_is_a_listed_resource(mcp: Client, portal: FakePortal) -> None:
    listed = {str(r.uri): r for r in (await mcp.list_resources()).resources}
    assert set(listed) == {
        "oig://guide/modes",
        "ui://oig-cloud/energy-flow.html",  # the MCP App views
        "ui://oig-cloud/day-curves.html",
    }
    assert listed["oig://guide/modes"].mime_type == "text/markdown"

    result = await mcp.read_resource("oig://guide/modes")

    text = result.contents[0].text  # type: ignore[union-attr]
    for name, effect in MODE_EFFECTS.items():
        assert f"**{name}**: {effect}" in text
    assert "Home 5" in text
    assert portal.log == []


async def test_the_box_configuration_is_a_resource_template(
    mcp: Client, portal: FakePortal
) -> None:
    templates = (await mcp.list_resource_templates()).resource_templates
    assert [(t.uri_template, t.mime_type) for t in templates] == [
        ("oig://box/{box_id}/config", "application/json")
    ]

    result = await mcp.read_resource(f"oig://box/{BOX_ID}/config")

    config = json.loads(result.contents[0].text)  # type: ignore[union-attr]
    assert config == {
        "box_id": BOX_ID,
        "mode": "Home 1",
        "mode_effect": MODE_EFFECTS["Home 1"],
        "battery_capacity_kwh": 9.6,
        "battery_reserve_pct": 20,
        "pv_installed_kwp": 9.6,
        "grid_delivery": "on",
        "grid_delivery_limit_w": None,
        "boiler_present": False,
        "boiler_mode": None,
        "notes": [],
    }


async def test_a_box_configuration_off_the_account_is_one_sentence(
    mcp: Client, portal: FakePortal
) -> None:
    with pytest.raises(MCPError) as caught:
        await mcp.read_resource("oig://box/9999999999/config")

    assert str(caught.value) == f"Box 9999999999 is not on this account; use one of: {BOX_ID}."


async def test_a_box_configuration_with_a_bad_id_makes_no_request(
    mcp: Client, portal: FakePortal
) -> None:
    with pytest.raises(MCPError, match="box_id must be a Battery Box id"):
        await mcp.read_resource("oig://box/12ab/config")
    assert portal.log == []


@pytest.mark.parametrize(
    ("uri", "sentence"),
    [
        ("oig://box/12ab/config", "box_id must be a Battery Box id of 1 to 20 digits"),
        ("oig://box/9999999999/config", "Box 9999999999 is not on this account; use one of:"),
    ],
    ids=["bad id", "unknown id"],
)
async def test_a_bad_or_unknown_box_id_in_the_resource_is_invalid_params_like_a_prompt(
    mcp: Client, portal: FakePortal, uri: str, sentence: str
) -> None:
    with pytest.raises(MCPError) as caught:
        await mcp.read_resource(uri)

    assert caught.value.error.code == INVALID_PARAMS
    assert caught.value.error.message.startswith(sentence), caught.value.error.message


@pytest.mark.parametrize(
    ("name", "arguments", "sentence"),
    [
        (
            "daily_check_in",
            {"box_id": "1", "other": "x"},
            "Unknown argument other; this prompt takes: box_id.",
        ),
        ("why_bypass", {"x" * 1000: "1"}, "Unknown argument " + "x" * 39 + "…; this prompt"),
        ("no_such_prompt", None, "No prompt 'no_such_prompt'; choose one of: daily_check_in, "),
    ],
)
async def test_an_unknown_prompt_or_argument_is_one_invalid_params_sentence(
    mcp: Client,
    caplog: pytest.LogCaptureFixture,
    name: str,
    arguments: dict[str, str] | None,
    sentence: str,
) -> None:
    with pytest.raises(MCPError) as caught:
        await mcp.get_prompt(name, arguments)

    assert caught.value.error.code == INVALID_PARAMS
    assert caught.value.error.message.startswith(sentence), caught.value.error.message
    assert len(caught.value.error.message) < 300
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.e2e
def test_a_bad_prompt_request_leaves_no_traceback_in_the_server_log(env: dict[str, str]) -> None:
    with StdioSession(env) as session:
        session.initialize()
        extra = session.request(
            "prompts/get", {"name": "daily_check_in", "arguments": {"box_id": "1", "other": "x"}}
        )
        unknown = session.request("prompts/get", {"name": "nope"})

    assert extra["error"]["code"] == INVALID_PARAMS
    assert extra["error"]["message"] == "Unknown argument other; this prompt takes: box_id."
    assert unknown["error"]["code"] == INVALID_PARAMS
    assert unknown["error"]["message"].startswith("No prompt 'nope'; choose one of:")
    assert "Traceback" not in session.stderr
    assert "ERROR" not in session.stderr
