"""Start-up with telemetry: the installed command with the `otel` extra installed but no
OTEL_* variables (nothing of the SDK is loaded), against the same command configured to
export (OTEL_EXPORTER_OTLP_ENDPOINT to a local sink that answers every export with 200),
and the SDK's floor; also in CPU instructions (valgrind callgrind, which machine load does
not change), when valgrind is there. Then `get_basic_data` against the fake portal,
configured and not: the added cost of a call's spans and metrics. Interleaved runs:
`startup_otel.py [RUNS]`.
"""

from __future__ import annotations

import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _common import (
    FakePortal,
    Row,
    RunningPortal,
    Server,
    count_argument,
    floor_command,
    oig_command,
    portal_env,
    print_rows,
    summary,
    temp_home,
)
from startup import one_start
from startup_instructions import instructions

RUNS = count_argument(12)
CALLS = 20


class Sink(BaseHTTPRequestHandler):
    """Takes an OTLP export and answers 200, as a collector does."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def call_ms(env: dict[str, str]) -> float:
    """Median round trip of `get_basic_data` (cache off) over CALLS calls on one server."""
    times = []
    with Server(oig_command(), env) as server:
        server.initialize()
        server.call("get_basic_data")  # the login
        for _ in range(CALLS):
            started = time.perf_counter()
            server.call("get_basic_data")
            times.append((time.perf_counter() - started) * 1000)
    return summary(times)[0]


def once(figure: str, value: float, floor: float) -> Row:
    """A figure measured once (an instruction count), in millions."""
    return Row(figure, value, value, value, "M", floor)


def measure(runs: int = RUNS) -> list[Row]:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{sink.server_address[1]}"
    plain: list[tuple[float, float, float, float]] = []
    exporting: list[tuple[float, float, float, float]] = []
    floor: list[tuple[float, float, float, float]] = []
    plain_calls: list[float] = []
    exporting_calls: list[float] = []
    with temp_home() as home, RunningPortal(FakePortal()) as portal:
        off = portal_env(Path(home), portal.url, OIG_CLOUD_MCP_CACHE_TTL="0")
        off = {k: v for k, v in off.items() if not k.startswith("OTEL_")}
        on = {**off, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        for env in (off, on):
            one_start(oig_command(), env)  # warm the OS file cache
        one_start(floor_command(quiet=True), off)
        for _ in range(runs):
            plain.append(one_start(oig_command(), off))
            exporting.append(one_start(oig_command(), on))
            floor.append(one_start(floor_command(quiet=True), off))
        for _ in range(3):
            plain_calls.append(call_ms(off))
            exporting_calls.append(call_ms(on))
        starts = ((oig_command(), off), (oig_command(), on), (floor_command(quiet=True), off))
        have = shutil.which("valgrind") is not None
        counts = [instructions(argv, env) / 1e6 for argv, env in starts] if have else []
    sink.shutdown()
    rows = []
    if counts:
        plain_count, exporting_count, floor_count = counts
        rows.append(
            once("otel extra, not configured: start-up instructions", plain_count, floor_count)
        )
        rows.append(once("otel configured: start-up instructions", exporting_count, plain_count))
    names = (
        ("spawn -> first tools/list answer", "ms", 1),
        ("CPU time used until tools/list answer", "ms", 2),
        ("resident memory after tools/list", "MiB", 3),
    )
    for name, unit, index in names:
        base = summary([p[index] for p in plain])[0]
        floor_med = summary([f[index] for f in floor])[0]
        med, low, high = summary([p[index] for p in plain])
        rows.append(Row(f"otel extra, not configured: {name}", med, low, high, unit, floor_med))
        med, low, high = summary([e[index] for e in exporting])
        rows.append(Row(f"otel configured (OTLP/HTTP): {name}", med, low, high, unit, base))
    med, low, high = summary(plain_calls)
    rows.append(Row("get_basic_data round trip, not configured", med, low, high, "ms"))
    base = med
    med, low, high = summary(exporting_calls)
    rows.append(Row("get_basic_data round trip, exporting", med, low, high, "ms", base))
    return rows


if __name__ == "__main__":
    print_rows(
        f"Start-up with the otel extra ({RUNS} interleaved runs each; "
        "floor: the quiet SDK floor; configured: ratio to not configured)",
        measure(),
    )
