"""Start-up: spawn -> `initialize` answer -> first `tools/list` answer, and resident memory.

Compared with the SDK's floor (benchmarks/floor_server.py, one tool, same interpreter),
runs interleaved so both see the same machine load.
"""

from __future__ import annotations

import time

from _common import (
    Row,
    Server,
    count_argument,
    floor_command,
    isolated_env,
    oig_command,
    print_rows,
    summary,
    temp_home,
)

RUNS = count_argument(12)


def one_start(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, float]:
    with Server(argv, env) as server:
        server.initialize()
        init_ms = (time.perf_counter() - server.started) * 1000
        server.request("tools/list")
        list_ms = (time.perf_counter() - server.started) * 1000
        rss_mib = server.rss_kib() / 1024
        cpu_ms = server.cpu_ms()
    return init_ms, list_ms, cpu_ms, rss_mib


def measure(runs: int = RUNS) -> list[Row]:
    ours: list[tuple[float, float, float, float]] = []
    floor: list[tuple[float, float, float, float]] = []
    quiet: list[tuple[float, float, float, float]] = []
    with temp_home() as home:
        from pathlib import Path

        env = isolated_env(Path(home))
        one_start(oig_command(), env)  # warm the OS file cache once for each
        one_start(floor_command(), env)
        one_start(floor_command(quiet=True), env)
        for _ in range(runs):
            ours.append(one_start(oig_command(), env))
            floor.append(one_start(floor_command(), env))
            quiet.append(one_start(floor_command(quiet=True), env))
    rows = []
    for index, (name, unit) in enumerate(
        (
            ("start-up: spawn -> initialize answer", "ms"),
            ("start-up: spawn -> first tools/list answer", "ms"),
            ("start-up: CPU time used until tools/list answer", "ms"),
        )
    ):
        med, low, high = summary([o[index] for o in ours])
        floor_med = summary([f[index] for f in floor])[0]
        rows.append(
            Row(name, med, low, high, unit, floor_med, "<= 1.10 x floor", med <= 1.10 * floor_med)
        )
        quiet_med = summary([q[index] for q in quiet])[0]
        rows.append(
            Row(
                "  same, against the quiet floor (SDK at WARNING)",
                med,
                low,
                high,
                unit,
                quiet_med,
                "<= 1.10 x floor",
                med <= 1.10 * quiet_med,
            )
        )
    med, low, high = summary([o[3] for o in ours])
    floor_rss = summary([f[3] for f in floor])[0]
    rows.append(
        Row(
            "start-up: resident memory after tools/list",
            med,
            low,
            high,
            "MiB",
            floor_rss,
            "<= floor + 15 MiB",
            med - floor_rss <= 15,
        )
    )
    return rows


if __name__ == "__main__":
    print_rows(f"Start-up ({RUNS} interleaved runs each)", measure())
