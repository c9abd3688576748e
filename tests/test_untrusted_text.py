"""Text we do not control (a model's arguments, the portal's notifications and box keys)
stays bounded where we echo or record it: audit lines stay whole JSON, error sentences
stay short, notifications are cut, and a key that is not a box id is no box."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.audit import AUDIT_TEXT_CHARS, audit_entry
from oig_cloud_mcp.domain.notifications import MAX_BODY_CHARS, MAX_TITLE_CHARS
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.state.local.audit import LocalAudit

from .fake_portal import BOX_ID, FakePortal
from .helpers.mcp_calls import answered as call
from .helpers.mcp_calls import preview_then_confirm
from .helpers.settings import with_writes

pytestmark = pytest.mark.anyio
MEGABYTE = 1 << 20


def audit_lines(settings: Settings) -> list[str]:
    return settings.audit_path.read_text(encoding="utf-8").splitlines()


async def test_a_refused_write_with_huge_arguments_leaves_one_valid_audit_line(
    mcp: Client, settings: Settings
) -> None:
    huge = {"mode": "\x1b[2J" * 5000, "x" * MEGABYTE: "y" * MEGABYTE, "confirm": True}

    result, text = await call(mcp, "set_box_mode", **huge)

    assert result.is_error
    assert len(text) < 1000
    [line] = audit_lines(settings)
    entry = json.loads(line)  # whole JSON, not cut at 4000 characters
    assert entry["tool"] == "set_box_mode"
    assert entry["outcome"] == "disabled"
    arguments = entry["arguments"]
    assert arguments["mode"].startswith("\x1b[2J\x1b[2J")
    assert len(arguments["mode"]) == AUDIT_TEXT_CHARS
    assert arguments["mode"].endswith("…")
    assert arguments["confirm"] is True
    assert any(name.startswith("xxx") and len(name) <= 40 for name in arguments)
    assert len(line) < 10_000


@pytest.mark.anyio
async def test_every_audit_line_is_valid_json_whatever_the_arguments(settings: Settings) -> None:
    log = LocalAudit(settings.audit_path)
    now = datetime.now(PORTAL_TZ)
    huge = {"mode": "é" * 10_000}
    await log.append(audit_entry(now, "set_box_mode", "1" * 5000, huge, "invalid", "d" * 10_000))
    wide = {f"k{i}": [i] * 1000 for i in range(50)}
    await log.append(audit_entry(now, "set_grid_delivery", None, wide, "invalid"))
    odd = {"n": 10**5000, "f": float("nan")}
    await log.append(audit_entry(now, "set_boiler_mode", None, odd, "invalid"))

    entries = [json.loads(line) for line in audit_lines(settings)]

    assert [e["tool"] for e in await log.last(5)] == [
        "set_box_mode",
        "set_grid_delivery",
        "set_boiler_mode",
    ]
    first, second, third = entries
    assert len(first["box_id"]) == AUDIT_TEXT_CHARS
    assert len(first["arguments"]["mode"]) == AUDIT_TEXT_CHARS
    assert len(first["detail"]) <= 600
    assert len(second["arguments"]) <= 11
    assert all(len(json.dumps(v)) <= AUDIT_TEXT_CHARS + 2 for v in second["arguments"].values())
    assert third["arguments"]["n"] == "int too large to record"
    assert third["arguments"]["f"] == "NaN"


async def test_an_unknown_argument_name_is_echoed_cut_and_listed_at_most_five_times(
    mcp: Client,
) -> None:
    names = {f"{i}{'n' * MEGABYTE}": 1 for i in range(8)}

    result, text = await call(mcp, "get_basic_data", **names)

    assert result.is_error
    assert len(text) < 600
    assert text.startswith("Unknown arguments 0nnnn")
    assert "…" in text
    assert "and 3 more; this tool takes: box_id." in text


async def test_an_unknown_tool_name_is_echoed_cut(mcp: Client) -> None:
    result, text = await call(mcp, "t" * MEGABYTE)

    assert result.is_error
    assert text.startswith("Unknown tool '" + "t" * 39 + "…'; the tools are: get_basic_data")
    assert len(text) < 300


async def test_huge_notification_titles_and_bodies_are_cut(mcp: Client, portal: FakePortal) -> None:
    portal.notifications = [
        (4, "28. 6. 2025 | 13:05", BOX_ID, "T" * (2 * MEGABYTE), "B" * MEGABYTE)
    ]

    result, text = await call(mcp, "get_notifications")

    assert not result.is_error, text
    [notification] = result.structured_content["notifications"]
    assert len(notification["title"]) == MAX_TITLE_CHARS
    assert notification["title"].endswith("T…")
    assert len(notification["body"]) == MAX_BODY_CHARS
    assert notification["body"].endswith("B…")
    assert len(text) < 2 * (MAX_TITLE_CHARS + MAX_BODY_CHARS)


@pytest.fixture
def writable(settings: Settings) -> Settings:
    return with_writes(settings)


@pytest.mark.parametrize("key", ["abc\x1b[2J", "٣٤٥", "x" * 100_000, "２２０５２３２１２０"])
async def test_a_json_php_key_that_is_no_box_id_is_ignored_by_confirmed_writes(
    writable: Settings, portal: FakePortal, key: str
) -> None:
    portal.payload = {key: dict(portal.box()), **portal.payload}

    async with Client(build_server(writable), mode="legacy") as client:
        result, text = await preview_then_confirm(
            functools.partial(call, client), "set_box_mode", mode="Home 2"
        )
        basic, _ = await call(client, "get_basic_data")

    assert not result.is_error, text
    assert "unexpected" not in text
    assert [r.json()["id_device"] for r in portal.write_requests()] == [BOX_ID]
    assert basic.structured_content["boxes"] == [BOX_ID]
    assert any("not a Battery Box id" in note for note in basic.structured_content["notes"])


TERMINAL_CONTROL = "\x1b]52;c;aGk=\x07\x1b[2J\x9b31m\x08"
"""OSC 52 (write the clipboard), erase the screen, a C1 CSI and a backspace."""


async def test_control_characters_from_the_portal_reach_no_answer_raw(
    mcp: Client, portal: FakePortal
) -> None:
    portal.notifications = [
        (3, "28. 6. 2025 | 9:41", BOX_ID, f"Alarm{TERMINAL_CONTROL}", f"Body{TERMINAL_CONTROL}"),
        (3, "28. 6. 2025 | 9:40", BOX_ID, "Automatický BYPASS - Zapnut\x1b[8m", "Zapnut\x1b[8m"),
    ]

    result, text = await call(mcp, "get_notifications")

    structured = json.dumps(result.structured_content, ensure_ascii=False)
    for raw in "\x1b\x07\x9b\x08":
        assert raw not in text
        assert raw not in structured
    assert "Alarm\\x1b]52;c;aGk=\\x07\\x1b[2J\\x9b31m\\x08" in text
    assert result.structured_content["notifications"][0]["body"].startswith("Body\\x1b]52")


def with_boxes(portal: FakePortal, count: int) -> None:
    """The account gets `count` boxes: the sample box first, then copies of it."""
    box = portal.box()
    portal.payload = {BOX_ID: box} | {str(3000000000 + i): box for i in range(count - 1)}


def wire_size(result: Any) -> int:
    """Bytes of the tools/call answer as JSON-RPC puts it on the wire (envelope included)."""
    body = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key in ("_meta", "resultType"):  # not on the wire at the benchmark's 2025-06-18
        body.pop(key, None)
    line = {"jsonrpc": "2.0", "id": 99, "result": body}
    return len(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())


LARGE_ACCOUNT_BUDGETS: list[tuple[str, dict[str, Any], int]] = [
    ("get_basic_data", {}, 1500),
    ("get_basic_data", {"box_id": "3000000007"}, 1500),
    ("get_energy_report", {}, 4096),
    ("get_day_profile", {"date": "2025-04-04"}, 4096),
    ("get_extended_data", {"start_date": "2025-04-01", "end_date": "2025-04-05"}, 8000),
    ("get_notifications", {"box_id": BOX_ID}, 8000),
]


@pytest.mark.parametrize(("tool", "arguments", "budget"), LARGE_ACCOUNT_BUDGETS)
async def test_an_account_of_thousands_of_boxes_keeps_every_answer_in_its_budget(
    mcp: Client, portal: FakePortal, tool: str, arguments: dict[str, Any], budget: int
) -> None:
    with_boxes(portal, 3000)

    result, text = await call(mcp, tool, **arguments)

    assert not result.is_error, text
    assert wire_size(result) <= budget


async def test_an_account_of_thousands_of_boxes_says_how_many_and_lists_a_few(
    mcp: Client, portal: FakePortal
) -> None:
    with_boxes(portal, 3000)

    result, text = await call(mcp, "get_basic_data")

    assert result.structured_content["boxes"][:2] == [BOX_ID, "3000000000"]
    assert len(result.structured_content["boxes"]) == 3
    assert result.structured_content["box_count"] == 3000
    assert "Boxes: 2205232120, 3000000000, 3000000001 and 2997 more." in text


@pytest.mark.parametrize("tool", ["get_basic_data", "get_energy_report", "get_notifications"])
async def test_a_box_not_on_a_large_account_is_one_short_sentence(
    mcp: Client, portal: FakePortal, tool: str
) -> None:
    with_boxes(portal, 3000)

    result, text = await call(mcp, tool, box_id="9999999999")

    assert result.is_error
    assert text.startswith("Box 9999999999 is not on this account; use one of: 2205232120, ")
    assert "and 2997 more" in text
    assert len(text) < 300
