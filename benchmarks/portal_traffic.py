"""Portal traffic in scripted sessions: how many requests reach OIG Cloud."""

from __future__ import annotations

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


def concurrent_reads(running: RunningPortal, home: Path) -> int:
    with Server(oig_command(), portal_env(home, running.url)) as server:
        server.initialize()
        ids = {
            server.send("tools/call", {"name": "get_basic_data", "arguments": {}})
            for _ in range(10)
        }
        while ids:
            ids.discard(server.receive().get("id"))  # type: ignore[arg-type]
    return running.portal.count("json.php")


def mixed_session(running: RunningPortal, home: Path) -> dict[str, int]:
    with Server(oig_command(), portal_env(home, running.url)) as server:
        server.initialize()
        for tool in ("get_basic_data", "get_notifications", "get_basic_data"):
            server.call(tool)
    portal = running.portal
    return {
        "login": portal.count("Login.php"),
        "json.php": portal.count("json.php"),
        "notifications": portal.count("Controller.Call.php"),
    }


def restarts(running: RunningPortal, home: Path) -> int:
    def start_and_read() -> None:
        with Server(oig_command(), portal_env(home, running.url)) as server:
            server.initialize()
            server.call("get_basic_data")

    start_and_read()  # logs in once and caches the session
    before = running.portal.count("Login.php")
    for _ in range(3):
        start_and_read()
    return running.portal.count("Login.php") - before


def expired(running: RunningPortal, home: Path) -> int:
    with Server(
        oig_command(), portal_env(home, running.url, OIG_CLOUD_MCP_CACHE_TTL="0")
    ) as server:
        server.initialize()
        server.call("get_basic_data")
        before = running.portal.count("Login.php")
        running.portal.expire_sessions()
        server.call("get_basic_data")
    return running.portal.count("Login.php") - before


def measure() -> list[Row]:
    rows = []
    with RunningPortal(FakePortal()) as running:

        def fresh(run):  # type: ignore[no-untyped-def]
            running.portal = FakePortal()
            with temp_home() as home:
                return run(running, Path(home))

        a = fresh(concurrent_reads)
        rows.append(
            Row(
                "traffic (a): 10 concurrent get_basic_data -> json.php",
                a,
                a,
                a,
                "req",
                None,
                "1",
                a == 1,
            )
        )
        b = fresh(mixed_session)
        for endpoint, count in b.items():
            rows.append(
                Row(
                    f"traffic (b): basic+notifications+basic -> {endpoint}",
                    count,
                    count,
                    count,
                    "req",
                    None,
                    "1",
                    count == 1,
                )
            )
        c = fresh(restarts)
        rows.append(
            Row(
                "traffic (c): 3 restarts with a cached session -> logins",
                c,
                c,
                c,
                "req",
                None,
                "0",
                c == 0,
            )
        )
        d = fresh(expired)
        rows.append(
            Row("traffic (d): expired session -> logins", d, d, d, "req", None, "1", d == 1)
        )
    return rows


if __name__ == "__main__":
    print_rows("Portal traffic", measure())
