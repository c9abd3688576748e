"""Shared state across real server processes: how many logins and writes reach the portal.

(a) 5 processes, the session expires 10 times, each process reads at once after each
expiry: logins and failed calls. (b) A wrong password, 15 calls in 5 processes in bursts:
rejected logins. (c) The same change, previewed in each, confirmed at once by 2 processes,
12 trials: writes. (d) A server killed while its write is in flight, restarted, the change
previewed and confirmed again: writes. (e) Login.php answering a maintenance page 5 times:
logins counted as rejections.
"""

from __future__ import annotations

import time
from pathlib import Path

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
from tests.helpers.mcp_calls import preview_then_confirm

MODES = ("Home UPS", "Home 2", "Home 3", "Home 1")
WRONG_PASSWORD = "wrong-pw-4711"


def _start(count: int, env: dict[str, str]) -> list[Server]:
    servers = [Server(oig_command(), env) for _ in range(count)]
    for server in servers:
        server.initialize()
    return servers


def _at_once(servers: list[Server], tool: str, **arguments: object) -> list[dict[str, object]]:
    ids = [s.send("tools/call", {"name": tool, "arguments": arguments}) for s in servers]
    results = []
    for server, ident in zip(servers, ids, strict=True):
        while (message := server.receive()).get("id") != ident:
            pass
        results.append(message["result"])
    return results


def expiries(running: RunningPortal, home: Path) -> tuple[int, int]:
    running.portal.login_delay_s = 0.2
    servers = _start(5, portal_env(home, running.url, OIG_CLOUD_MCP_CACHE_TTL="0"))
    try:
        _at_once(servers, "get_basic_data")
        before, failed = running.portal.count("Login.php"), 0
        for _ in range(10):
            running.portal.expire_sessions()
            failed += sum(bool(r.get("isError")) for r in _at_once(servers, "get_basic_data"))
        return running.portal.count("Login.php") - before, failed
    finally:
        for server in servers:
            server.close()


def wrong_password(running: RunningPortal, home: Path) -> int:
    env = {**portal_env(home, running.url), "OIG_CLOUD_PASSWORD": WRONG_PASSWORD}
    servers = _start(5, env)
    try:
        for _ in range(3):
            _at_once(servers, "get_basic_data")
        return running.portal.count("Login.php")
    finally:
        for server in servers:
            server.close()


def twice_confirmed(running: RunningPortal, home: Path) -> int:
    running.portal.write_delay_s = 0.3
    env = portal_env(
        home, running.url, OIG_CLOUD_MCP_ALLOW_WRITES="set_box_mode", OIG_CLOUD_MCP_CACHE_TTL="0"
    )
    servers = _start(2, env)
    try:
        for trial in range(12):
            for server in servers:  # each process previews it first, as the user is shown
                server.call("set_box_mode", mode=MODES[trial % 4])
            _at_once(servers, "set_box_mode", mode=MODES[trial % 4], confirm=True)
        return len(running.portal.write_requests())
    finally:
        for server in servers:
            server.close()


def killed_mid_write(running: RunningPortal, home: Path) -> int:
    running.portal.write_delay_s, running.portal.apply_delay_s = 3, 3600
    env = portal_env(home, running.url, OIG_CLOUD_MCP_ALLOW_WRITES="set_box_mode")
    (first,) = _start(1, env)
    first.call("set_box_mode", mode="Home UPS")  # the preview the user is shown
    first.send(
        "tools/call", {"name": "set_box_mode", "arguments": {"mode": "Home UPS", "confirm": True}}
    )
    deadline = time.monotonic() + 30
    while not running.portal.write_requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    first.process.kill()
    first.process.wait()
    running.portal.write_delay_s = 0
    (restarted,) = _start(1, env)
    try:
        preview_then_confirm(restarted.call, "set_box_mode", mode="Home UPS")
        return len(running.portal.write_requests())
    finally:
        restarted.close()
        while running.portal.writes_in_flight and time.monotonic() < deadline:
            time.sleep(0.05)  # let the killed server's write finish before the portal stops


def maintenance(running: RunningPortal, home: Path) -> int:
    running.portal.login_answer = "maintenance"
    (server,) = _start(1, portal_env(home, running.url))
    try:
        for _ in range(5):
            server.call("get_basic_data")
        running.portal.login_answer = "normal"
        return int(bool(server.call("get_basic_data")["result"].get("isError")))
    finally:
        server.close()


def measure() -> list[Row]:
    rows = []
    scenarios = (
        ("shared (a): 5 processes x 10 expiries -> logins", expiries, "10"),
        (
            "shared (b): wrong password, 15 calls in 5 processes -> rejected logins",
            wrong_password,
            "<= 3",
        ),
        (
            "shared (c): same change confirmed by 2 processes, 12 trials -> writes",
            twice_confirmed,
            "12",
        ),
        ("shared (d): killed mid-write, restart, confirm again -> writes", killed_mid_write, "1"),
        (
            "shared (e): 5 maintenance pages at login -> refused afterwards (1=yes)",
            maintenance,
            "0",
        ),
    )
    for name, scenario, target in scenarios:
        with RunningPortal(FakePortal()) as running, temp_home() as home:
            result = scenario(running, Path(home))
        if isinstance(result, tuple):
            logins, failed = result
            rows.append(Row(name, logins, logins, logins, "req", None, target, logins == 10))
            rows.append(
                Row("  same: failed calls", failed, failed, failed, "calls", None, "0", failed == 0)
            )
            continue
        met = result <= 3 if target == "<= 3" else result == int(target)
        rows.append(Row(name, result, result, result, "req", None, target, met))
    return rows


if __name__ == "__main__":
    print_rows("Shared state across processes", measure())
