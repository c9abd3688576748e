"""Remote mode (`serve --http`): per-call cost against the SDK's floor, the token check,
and 50 concurrent clients for a minute.

`python benchmarks/remote.py [CALLS] [--seconds S]`

(a) Per call. The installed command serves HTTP on loopback against the local fake portal
    with the live-data cache off (`OIG_CLOUD_MCP_CACHE_TTL=0`); a client that went through
    the whole OAuth flow (registration, consent with a pairing code, token) times
    `tools/call get_basic_data`. The floor (`remote_floor_server.py`) is a bare MCPServer
    served the same way (Streamable HTTP, stateless, JSON answers, a bearer check with
    the resource validated) whose verifier accepts one static token, timed on its one
    trivial tool. Our call minus a bare GET of json.php (as `call_overhead.py` does for
    stdio) is what the server adds; it is compared with the floor's whole call. A
    JSON-RPC `ping` on both servers isolates the transport and the token check from the
    tool's work, and the servers' CPU time per call (from /proc) is the figure that a
    busy machine disturbs least. The same keep-alive httpx client times everything, in
    interleaved blocks.
(b) Token check. `Authorization.access` and the SDK provider's `load_access_token` on a
    state directory on disk, with 1 and with 50 live grants, many iterations.
(c) Load. 50 clients, each with its own grant and connection, call get_basic_data in a
    loop for 60 s against `serve --http` with the default 20 s cache: requests, errors,
    latency p50/p99, CPU of the server and of the load generator, requests that reached
    the portal, and the server's resident memory at the start, half-way and the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from _common import (
    FakePortal,
    Row,
    RunningPortal,
    portal_env,
    print_rows,
    summary,
    temp_home,
)
from call_overhead import bare_gets
from remote_floor_server import FLOOR_TOKEN
from tests.helpers.oauth import Browser, RawOAuth, grant
from tests.helpers.remote import served
from tests.helpers.threaded import free_port

from oig_cloud_mcp.app.authorization import Authorization, RemoteSettings
from oig_cloud_mcp.domain.grants import ClientRecord
from oig_cloud_mcp.server.remote.provider import OigProvider
from oig_cloud_mcp.state.local.records import local_remote

FLOOR_SERVER = Path(__file__).with_name("remote_floor_server.py")
CALLS = 150
SECONDS = 60.0
CLIENTS = 50
CACHE_TTL_S = 20
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}


def tool_call(tool: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}}


PING = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}}


def answered(response: httpx.Response) -> bool:
    """A 200 whose JSON-RPC result is not a tool error."""
    if response.status_code != 200:
        return False
    result = response.json().get("result")
    return isinstance(result, dict) and not result.get("isError")


def timed_calls(
    http: httpx.Client, url: str, token: str, tool: str | None, calls: int
) -> list[float]:
    """Round trips of `tools/call tool` (None: a JSON-RPC ping) with the bearer, after 5
    unmeasured ones."""
    headers = {**HEADERS, "Authorization": f"Bearer {token}"}
    body = PING if tool is None else tool_call(tool)
    times = []
    for _ in range(calls + 5):
        started = time.perf_counter()
        response = http.post(f"{url}/mcp", json=body, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert answered(response), response.text
    return times[5:]


@contextlib.contextmanager
def floor_server() -> Iterator[tuple[str, int]]:
    """The floor server on a free port: its URL and process id."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(FLOOR_SERVER), str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"{url}/mcp", json={}, timeout=1)  # 401 once it listens
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the floor server did not start") from None
                time.sleep(0.05)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def pairing_codes(env: dict[str, str]) -> Authorization:
    """The served command's authorization records, to mint pairing codes as `remote pair`
    does (same files, same locks) without a process per code."""
    state = Path(env["XDG_STATE_HOME"]) / "oig-cloud-mcp" / "remote"
    return Authorization(local_remote(state), RemoteSettings(issuer="", write_allowed=False))


def grants(url: str, env: dict[str, str], count: int) -> list[str]:
    """`count` access tokens, each from its own client through the whole OAuth flow."""
    owner, raw, minted = Browser(), RawOAuth(url), pairing_codes(env)
    try:
        return [grant(raw, owner, asyncio.run(minted.pair()))["access_token"] for _ in range(count)]
    finally:
        owner.close()
        raw.close()


def cpu_ms(pid: int) -> float:
    """User + system CPU time process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def per_call(calls: int) -> list[Row]:
    block = calls // 3
    with RunningPortal(FakePortal()) as running, temp_home() as home:
        env = portal_env(Path(home), running.url, OIG_CLOUD_MCP_CACHE_TTL="0")
        bare: list[float] = []
        floor: list[float] = []
        ours: list[float] = []
        pings: dict[str, list[float]] = {"floor": [], "ours": []}
        cpu = {"floor": 0.0, "ours": 0.0}
        with (
            served(env) as server,
            floor_server() as (floor_url, floor_pid),
            httpx.Client() as http,
        ):
            (token,) = grants(server.url, env, 1)
            for _ in range(3):  # interleave blocks so all three see the same load
                bare += bare_gets(running.url, block)
                used = cpu_ms(floor_pid)
                floor += timed_calls(http, floor_url, FLOOR_TOKEN, "ping", block)
                cpu["floor"] += cpu_ms(floor_pid) - used
                used = cpu_ms(server.process.pid)
                ours += timed_calls(http, server.url, token, "get_basic_data", block)
                cpu["ours"] += cpu_ms(server.process.pid) - used
                pings["floor"] += timed_calls(http, floor_url, FLOOR_TOKEN, None, block)
                pings["ours"] += timed_calls(http, server.url, token, None, block)
    b_med, f_med, o_med = (statistics.median(times) for times in (bare, floor, ours))
    added = o_med - b_med
    per = 3 * (block + 5)  # timed_calls makes 5 unmeasured calls per block
    floor_cpu, our_cpu = cpu["floor"] / per, cpu["ours"] / per
    return [
        Row("remote: bare httpx GET json.php", *summary(bare), "ms"),
        Row("remote: floor tools/call (bearer, stateless JSON)", *summary(floor), "ms"),
        Row("remote: get_basic_data over HTTP with OAuth", *summary(ours), "ms"),
        Row(
            "remote: added per call (medians: call - bare GET)",
            added,
            added,
            added,
            "ms",
            f_med,
            "<= 1.2 x floor call",
            added <= 1.2 * f_med,
        ),
        Row(
            "remote: added per call beyond the floor call",
            added - f_med,
            added - f_med,
            added - f_med,
            "ms",
            None,
            "<= 5 ms",
            added - f_med <= 5,
        ),
        Row("remote: JSON-RPC ping over /mcp, floor", *summary(pings["floor"]), "ms"),
        Row(
            "remote: JSON-RPC ping over /mcp, serve --http",
            *summary(pings["ours"]),
            "ms",
            statistics.median(pings["floor"]),
        ),
        Row("remote: server CPU per call, floor tools/call", floor_cpu, floor_cpu, floor_cpu, "ms"),
        Row(
            "remote: server CPU per call, get_basic_data (incl. portal)",
            our_cpu,
            our_cpu,
            our_cpu,
            "ms",
            floor_cpu,
        ),
    ]


async def _issue(authorization: Authorization, client: ClientRecord) -> str:
    """One grant through the use cases (consent with a pairing code, code exchange)."""
    handle = await authorization.request_consent(
        client,
        redirect_uri=client.redirect_uris[0],
        explicit=True,
        state=None,
        scopes=["oig:read"],
        code_challenge="c" * 43,
        resource=None,
    )
    csrf = await authorization.new_form(handle)
    target = await authorization.approve(handle, csrf, await authorization.pair(), write=False)
    code = httpx.URL(target).params["code"]
    return (await authorization.exchange_code(client.client_id, code)).access_token


async def _token_check(live: int, iterations: int) -> tuple[list[float], list[float]]:
    with temp_home() as home:
        records = local_remote(Path(home) / "remote")
        issuer = "http://127.0.0.1:8000"
        authorization = Authorization(records, RemoteSettings(issuer=issuer, write_allowed=False))
        now = time.time()
        client = ClientRecord(
            client_id="bench",
            redirect_uris=["http://127.0.0.1/callback"],
            created_at=now,
            last_used_at=now,
        )
        await authorization.register(client)
        tokens = [await _issue(authorization, client) for _ in range(live)]
        provider = OigProvider(authorization, f"{issuer}/consent")
        direct, adapted = [], []
        for index in range(iterations):
            token = tokens[index % live]
            started = time.perf_counter()
            assert await authorization.access(token) is not None
            middle = time.perf_counter()
            assert await provider.load_access_token(token) is not None
            direct.append((middle - started) * 1e6)
            adapted.append((time.perf_counter() - middle) * 1e6)
        return direct, adapted


def token_check(iterations: int = 2000) -> list[Row]:
    rows = []
    for live in (1, CLIENTS):
        direct, adapted = asyncio.run(_token_check(live, iterations))
        rows.append(Row(f"token check: Authorization.access, {live} live", *summary(direct), "us"))
        rows.append(
            Row(f"token check: provider.load_access_token, {live} live", *summary(adapted), "us")
        )
    return rows


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def _load(url: str, tokens: list[str], pid: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[str] = []
    memory: dict[str, float] = {"start": rss_mib(pid)}
    stop_at = time.monotonic() + seconds

    async def client(token: str) -> None:
        headers = {**HEADERS, "Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    response = await http.post(
                        "/mcp", json=tool_call("get_basic_data"), headers=headers
                    )
                    ok = answered(response)
                    detail = f"HTTP {response.status_code}: {response.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, repr(exc)
                latencies.append((time.perf_counter() - started) * 1000)
                if not ok:
                    failures.append(detail)

    async def sampler() -> None:
        await asyncio.sleep(seconds / 2)
        memory["middle"] = rss_mib(pid)

    await asyncio.gather(sampler(), *(client(token) for token in tokens))
    memory["end"] = rss_mib(pid)
    return {"latencies": latencies, "failures": failures, "memory": memory}


def load(seconds: float = SECONDS) -> list[Row]:
    with RunningPortal(FakePortal()) as running, temp_home() as home:
        env = portal_env(Path(home), running.url)  # the default 20 s cache
        with served(env) as server:
            tokens = grants(server.url, env, CLIENTS)
            before = running.portal.count("json.php"), running.portal.count("Login.php")
            used, mine = cpu_ms(server.process.pid), time.process_time()
            seen = asyncio.run(_load(server.url, tokens, server.process.pid, seconds))
            busy = (cpu_ms(server.process.pid) - used) / (seconds * 1000)
            driving = (time.process_time() - mine) / seconds
            portal = running.portal.count("json.php") - before[0]
            logins = running.portal.count("Login.php") - before[1]
    latencies, failures, memory = seen["latencies"], seen["failures"], seen["memory"]
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    limit = int(seconds // CACHE_TTL_S) + 1
    for failure in sorted(set(failures))[:5]:
        print(f"  failure: {failure}", file=sys.stderr)
    label = f"load: {CLIENTS} clients x {seconds:.0f} s"
    total = len(latencies)

    def one(figure: str, value: float, unit: str, target: str = "", met: bool | None = None) -> Row:
        return Row(f"{label}: {figure}", value, value, value, unit, None, target, met)

    return [
        one("requests", total, "req"),
        one("errors", len(failures), "req", "0", not failures),
        one("requests per second", total / seconds, "req/s"),
        Row(f"{label}: latency p50", p50, ordered[0], ordered[-1], "ms"),
        one("latency p99", p99, "ms"),
        one("server CPU busy (of one core)", busy * 100, "%"),
        one("server CPU per request", busy * seconds * 1000 / total, "ms"),
        one("load generator CPU busy (of one core)", driving * 100, "%"),
        one(
            "json.php requests at the portal",
            portal,
            "req",
            f"<= {limit} (20 s cache)",
            portal <= limit,
        ),
        one("logins at the portal", logins, "req", "<= 1", logins <= 1),
        one("server RSS at the start", memory["start"], "MiB"),
        one("server RSS half-way", memory["middle"], "MiB"),
        one(
            "server RSS at the end",
            memory["end"],
            "MiB",
            "<= half-way + 5 MiB",
            memory["end"] <= memory["middle"] + 5,
        ),
    ]


def measure(calls: int = CALLS, seconds: float = SECONDS) -> list[Row]:
    return [*per_call(calls), *token_check(), *load(seconds)]


if __name__ == "__main__":
    calls = int(next((arg for arg in sys.argv[1:] if arg.isdigit()), CALLS))
    given = sys.argv.index("--seconds") + 1 if "--seconds" in sys.argv else 0
    seconds = float(sys.argv[given]) if given else SECONDS
    print_rows(
        f"Remote mode ({calls} calls each, cache off; {CLIENTS} clients x {seconds:.0f} s)",
        measure(calls, seconds),
    )
