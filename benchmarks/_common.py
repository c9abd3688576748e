"""Shared helpers for the benchmark scripts: spawning servers, timing, the fake portal."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' fake portal is shared with the benchmarks

from tests.fake_portal import FakePortal, RunningPortal  # noqa: E402
from tests.helpers.stdio_session import stop  # noqa: E402

EMAIL = "owner@example.com"
PASSWORD = "s3cret-pw"
FLOOR_SERVER = Path(__file__).with_name("floor_server.py")


@dataclass
class Row:
    """One figure: what was measured, its spread, and how it compares with its floor/target."""

    figure: str
    median: float
    low: float
    high: float
    unit: str
    floor: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return None if not self.floor else self.median / self.floor


def summary(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def count_argument(default: int) -> int:
    """The first whole number among the command's arguments (a count of runs or calls),
    else `default`: other arguments (`--quick`, paths) are left to whoever reads them."""
    return next((int(arg) for arg in sys.argv[1:] if arg.isdigit()), default)


def oig_command() -> list[str]:
    """The installed console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("oig-cloud-mcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "oig_cloud_mcp"]


def floor_command(*, quiet: bool = False) -> list[str]:
    """The SDK floor server; `quiet` runs it at the WARNING log level like ours."""
    return [sys.executable, str(FLOOR_SERVER), *(["--quiet"] if quiet else [])]


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured process: its own home and state, no keyring, and
    bytecode written as an installed package has it (pip compiles at install; a first
    start writes it otherwise), even where the caller's environment forbids writing it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OIG_CLOUD") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    env.update(extra)
    return env


def portal_env(home: Path, url: str, **extra: str) -> dict[str, str]:
    return isolated_env(
        home,
        OIG_CLOUD_BASE_URL=url,
        OIG_CLOUD_EMAIL=EMAIL,
        OIG_CLOUD_PASSWORD=PASSWORD,
        OIG_CLOUD_MCP_WHITELIST=EMAIL,
        **extra,
    )


class Server:
    """A stdio MCP server process driven with raw JSON-RPC lines."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._id = 0
        self.last_line = b""

    def send(self, method: str, params: dict[str, Any] | None = None, notify: bool = False) -> int:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params or {}}
        if not notify:
            self._id += 1
            message["id"] = self._id
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        return self._id

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("server closed stdout")
        self.last_line = line
        return json.loads(line)  # type: ignore[no-any-return]

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        ident = self.send(method, params)
        while True:
            message = self.receive()
            if message.get("id") == ident:
                return message

    def initialize(self, version: str = "2025-06-18") -> dict[str, Any]:
        answer = self.request(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        )
        self.send("notifications/initialized", notify=True)
        return answer

    def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return self.request("tools/call", {"name": tool, "arguments": arguments})

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def cpu_ms(self) -> float:
        """User + system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks * 1000 / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        stop(self.process)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def temp_home() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="oig-bench-")


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    header = (
        f"{'figure':<60} {'median':>10} {'min':>10} {'max':>10} {'unit':<6} "
        f"{'floor':>10} {'ratio':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        floor = f"{row.floor:10.1f}" if row.floor is not None else f"{'':>10}"
        ratio = f"{row.ratio:6.2f}" if row.ratio is not None else f"{'':>6}"
        verdict = "" if row.met is None else (" (met)" if row.met else " (NOT met)")
        digits = 2 if row.unit == "x" else 1
        print(
            f"{row.figure:<60} {row.median:10.{digits}f} {row.low:10.{digits}f} "
            f"{row.high:10.{digits}f} {row.unit:<6} "
            f"{floor} {ratio}  {row.target}{verdict}"
        )


__all__ = ["FakePortal", "RunningPortal"]
