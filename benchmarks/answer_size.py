"""Answer size: bytes and ~tokens (characters / 4) of each read tool's full tools/call result,
plus prompts/list and one resource read.

`get_basic_data` is compared with passing the raw json.php payload through as text,
which is what most energy MCP servers do.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import (
    FakePortal,
    Row,
    RunningPortal,
    Server,
    oig_command,
    portal_env,
    print_rows,
    temp_home,
)

TOKEN_LIMIT = 25_000
ROWS_31_DAYS = 31 * 288  # five-minute samples for 31 days, per series
PAST_DAY = "2025-04-04"  # the day before the sample's last contact
PRAGUE = ZoneInfo("Europe/Prague")
BOX = "2205232120"
TOOLS_LIST_BYTES = 12_000
"""The whole tools/list answer line with every tool enabled (issue 14: was 21,510 B)."""


def size_of(server: Server, tool: str, **arguments: object) -> int:
    answer = server.call(tool, **arguments)
    assert not answer["result"].get("isError"), answer
    return len(server.last_line.rstrip(b"\n"))


def large_account_size(boxes: int = 3000) -> int:
    """get_basic_data for an installer's account: the sample box and copies of it."""
    portal = FakePortal()
    box = portal.box()
    portal.payload = {BOX: box} | {str(3_000_000_000 + i): box for i in range(boxes - 1)}
    with (
        RunningPortal(portal) as running,
        temp_home() as home,
        Server(oig_command(), portal_env(Path(home), running.url)) as server,
    ):
        server.initialize()
        return size_of(server, "get_basic_data")


def measure() -> list[Row]:
    portal = FakePortal(history_rows=ROWS_31_DAYS)
    portal.notifications = portal.notifications * 34  # 102 entries
    rows: list[Row] = []
    with RunningPortal(portal) as running, temp_home() as home:
        with Server(oig_command(), portal_env(Path(home), running.url)) as server:
            server.initialize()
            server.request("tools/list")
            tools_list = len(server.last_line.rstrip(b"\n"))
            sizes = {
                "get_basic_data": size_of(server, "get_basic_data"),
                "get_extended_data 31 days, 4 series": size_of(
                    server, "get_extended_data", start_date="2025-06-01", end_date="2025-07-01"
                ),
                "get_extended_data 31 days, max_samples=96": size_of(
                    server,
                    "get_extended_data",
                    start_date="2025-06-01",
                    end_date="2025-07-01",
                    max_samples=96,
                ),
                "get_notifications (default 20)": size_of(server, "get_notifications"),
                "get_notifications (limit=100)": size_of(server, "get_notifications", limit=100),
                "get_energy_report today": size_of(server, "get_energy_report"),
                "get_energy_report this_month": size_of(
                    server, "get_energy_report", period="this_month"
                ),
                "get_energy_report this_year": size_of(
                    server, "get_energy_report", period="this_year"
                ),
                **{
                    f"get_energy_report {period} (estimated from history)": size_of(
                        server, "get_energy_report", period=period
                    )
                    for period in ("yesterday", "last_month", "last_year")
                },
            }
            running.portal.history_mode = "day"  # a realistic day of 96 rows per series
            sizes["get_day_profile (a full past day)"] = size_of(
                server, "get_day_profile", date=PAST_DAY
            )
            running.portal.box()["device"]["lastcall"] = datetime.now(PRAGUE).strftime(
                "%Y-%m-%d %H:%M:%S"
            )
            sizes["get_day_profile (today so far, cross-checked)"] = size_of(
                server, "get_day_profile", date=datetime.now(PRAGUE).date().isoformat()
            )
            sizes["resources/read box config"] = len(
                json.dumps(server.request("resources/read", {"uri": f"oig://box/{BOX}/config"}))
            )
            prompts_list = len(json.dumps(server.request("prompts/list")))
        with Server(
            [*oig_command(), "--allow-writes", "all"], portal_env(Path(home), running.url)
        ) as writable:
            writable.initialize()
            writable.request("tools/list")
            tools_list_all = len(writable.last_line.rstrip(b"\n"))
        raw = json.dumps(running.portal.payload)
        passthrough = len(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "result": {"content": [{"type": "text", "text": raw}], "isError": False},
                }
            )
        )
    sizes["get_basic_data, an account of 3,000 boxes"] = large_account_size()
    targets = {
        "get_basic_data": 1500,
        "get_basic_data, an account of 3,000 boxes": 1500,
        "get_extended_data 31 days, 4 series": 8000,
        **{name: 4096 for name in sizes if name.startswith(("get_energy", "get_day"))},
    }
    for name, size in sizes.items():
        target = targets.get(name)
        rows.append(
            Row(
                f"size: {name}",
                size,
                size,
                size,
                "bytes",
                None,
                f"<= {target} B" if target else f"<= {TOKEN_LIMIT} tokens",
                size <= target if target else size / 4 <= TOKEN_LIMIT,
            )
        )
        rows.append(Row(f"size: {name} (~tokens)", size / 4, size / 4, size / 4, "tok"))
    rows.append(
        Row(
            "size: raw json.php passed through as text",
            passthrough,
            passthrough,
            passthrough,
            "bytes",
        )
    )
    ratio = sizes["get_basic_data"] / passthrough
    rows.append(Row("size: get_basic_data / raw passthrough", ratio, ratio, ratio, "x"))
    rows.append(Row("size: tools/list (5 read tools)", tools_list, tools_list, tools_list, "bytes"))
    rows.append(
        Row(
            "size: tools/list (all 9 tools, writes enabled)",
            tools_list_all,
            tools_list_all,
            tools_list_all,
            "bytes",
            None,
            f"<= {TOOLS_LIST_BYTES} B",
            tools_list_all <= TOOLS_LIST_BYTES,
        )
    )
    rows.append(Row("size: prompts/list", prompts_list, prompts_list, prompts_list, "bytes"))
    return rows


if __name__ == "__main__":
    print_rows("Answer size", measure())
