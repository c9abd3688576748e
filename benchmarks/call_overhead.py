"""Call overhead: `get_basic_data` over stdio minus a bare httpx GET of json.php.

Both hit the same local fake portal on 127.0.0.1 with the live-data cache disabled
(OIG_CLOUD_MCP_CACHE_TTL=0), so the difference is what the server adds per call.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from _common import (
    EMAIL,
    PASSWORD,
    FakePortal,
    Row,
    RunningPortal,
    Server,
    count_argument,
    oig_command,
    portal_env,
    print_rows,
    summary,
    temp_home,
)

CALLS = count_argument(60)


def bare_gets(url: str, calls: int) -> list[float]:
    with httpx.Client(base_url=url) as http:
        login = http.post(
            "inc/php/scripts/Login.php", content=json.dumps({"email": EMAIL, "password": PASSWORD})
        )
        cookie = login.cookies["PHPSESSID"]
        http.cookies.clear()
        times = []
        for _ in range(calls + 5):
            started = time.perf_counter()
            response = http.get("json.php", headers={"Cookie": f"PHPSESSID={cookie}"})
            response.json()
            times.append((time.perf_counter() - started) * 1000)
    return times[5:]


def tool_calls(url: str, calls: int) -> list[float]:
    with (
        temp_home() as home,
        Server(oig_command(), portal_env(Path(home), url, OIG_CLOUD_MCP_CACHE_TTL="0")) as server,
    ):
        server.initialize()
        times = []
        for _ in range(calls + 5):
            started = time.perf_counter()
            answer = server.call("get_basic_data")
            times.append((time.perf_counter() - started) * 1000)
            assert not answer["result"]["isError"], answer
    return times[5:]


def measure(calls: int = CALLS) -> list[Row]:
    with RunningPortal(FakePortal()) as running:
        bare, tool = [], []
        for _ in range(3):  # interleave blocks so both see the same load
            bare += bare_gets(running.url, calls // 3)
            tool += tool_calls(running.url, calls // 3)
    b_med, b_low, b_high = summary(bare)
    t_med, t_low, t_high = summary(tool)
    return [
        Row("call: bare httpx GET json.php", b_med, b_low, b_high, "ms"),
        Row("call: get_basic_data over stdio", t_med, t_low, t_high, "ms", b_med),
        Row(
            "call: overhead added per call (median - median)",
            t_med - b_med,
            t_low - b_low,
            t_high - b_high,
            "ms",
            None,
            "<= 5 ms",
            t_med - b_med <= 5,
        ),
    ]


if __name__ == "__main__":
    print_rows(f"Call overhead ({CALLS} calls each, cache off)", measure())
