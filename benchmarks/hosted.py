"""Hosted mode: replicas of `serve --http --accounts multi` sharing one Redis, under load.

`python benchmarks/hosted.py [SECONDS]` (default 30 s per configuration, four of
them); needs `redis-server` (Debian: redis-server).

Configurations: 1, 2 and 3 replicas of the installed command with `--state redis://…`
(a redis-server of its own on a free loopback port, started afresh for each, persisting
to an append-only file as in compose.yaml), and for comparison 1 replica on the state
directory. Every replica gets the same `--public-url` and key file. The fake portal
(tests/fake_portal.py) has HOUSEHOLDS accounts; CLIENTS clients, spread evenly over them,
each go through the whole OAuth flow (registration, the consent page signed in with
their household's OIG login, the code, the token), then call `tools/call get_basic_data`
in a loop for S seconds, each request to the next replica (round robin by the client
itself, as a load balancer would), with the default 20 s cache.

Figures: requests, errors, throughput, latency p50/p99; `json.php` requests at the portal
per household and cache window (1 is the promise: one household's calls share one
request, whichever replica they reach) and logins during the load (0: the sign-in's
session is shared); Redis commands per call (INFO commandstats before and after, INFO
itself left out; a MULTI/EXEC block counts each command in it); and CPU time per call of
the replicas together, of Redis, and of this process (the load generator and the fake
portal). On a loaded machine wall-clock figures move a lot; the CPU figures move less.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _common import FakePortal, Row, RunningPortal, isolated_env, print_rows, temp_home
from remote import HEADERS, answered, cpu_ms, tool_call
from tests.helpers.oauth import Browser, RawOAuth, pkce
from tests.helpers.redis_servers import RedisServer
from tests.helpers.remote import served
from tests.helpers.threaded import free_port

SECONDS = 30.0
CLIENTS = 50
HOUSEHOLDS = 5
CACHE_TTL_S = 20.0
REPLICAS = (1, 2, 3)


def household(number: int) -> tuple[str, str]:
    """The OIG login of household `number` at the fake portal."""
    return f"home{number}@example.com", f"pw-of-home-{number}"


def signed_in_token(raw: RawOAuth, browser: Browser, email: str, password: str) -> str:
    """An access token of a fresh client, consented by signing in as the household."""

    def sign_in(data: dict[str, str]) -> None:
        del data["code"]
        data.update(email=email, password=password)

    client = raw.client()
    verifier, challenge = pkce()
    consent = browser.consent(raw.authorize_url(client["client_id"], challenge), "", edit=sign_in)
    answer = raw.tokens(client, consent.redirect["code"], verifier)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def redis_commands(server: RedisServer) -> tuple[int, dict[str, int]]:
    """Commands Redis has executed so far (INFO itself left out), and per command."""
    client = server.client()
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    calls = {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items()}
    calls.pop("info", None)
    return sum(calls.values()), calls


async def _load(urls: list[str], tokens: list[str], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[str] = []
    stop_at = time.monotonic() + seconds

    async def client(index: int, token: str) -> None:
        headers = {**HEADERS, "Authorization": f"Bearer {token}"}
        turn = index  # clients start on different replicas, then take turns
        async with httpx.AsyncClient(timeout=60) as http:
            while time.monotonic() < stop_at:
                url = urls[turn % len(urls)]
                turn += 1
                started = time.perf_counter()
                try:
                    response = await http.post(
                        f"{url}/mcp", json=tool_call("get_basic_data"), headers=headers
                    )
                    ok = answered(response)
                    detail = f"HTTP {response.status_code}: {response.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, repr(exc)
                latencies.append((time.perf_counter() - started) * 1000)
                if not ok:
                    failures.append(detail)

    await asyncio.gather(*(client(index, token) for index, token in enumerate(tokens)))
    return {"latencies": latencies, "failures": failures}


@dataclass
class Outcome:
    """What one configuration measured."""

    label: str
    requests: int
    errors: int
    seconds: float
    p50: float
    p99: float
    portal_reads: int
    logins: int
    redis_commands: int | None
    top_commands: str
    server_cpu_ms: float
    redis_cpu_ms: float | None
    own_cpu_ms: float

    @property
    def reads_per_household(self) -> float:
        return self.portal_reads / HOUSEHOLDS

    @property
    def windows(self) -> int:
        """Cache windows the run touches: the first read opens one, then every 20 s."""
        return int(self.seconds // CACHE_TTL_S) + 1

    def per_call(self, value: float | None) -> float | None:
        return None if value is None else value / max(1, self.requests)


@contextlib.contextmanager
def replicas(env: dict[str, str], count: int) -> Iterator[list[Any]]:
    """`count` replicas of `serve --http --accounts multi` with one public URL (the first
    replica's address, as a load balancer's would be)."""
    ports = [free_port() for _ in range(count)]
    public = f"http://127.0.0.1:{ports[0]}"
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                served(env, "--accounts", "multi", "--public-url", public, port=port)
            )
            for port in ports
        ]


def run(count: int, *, on_redis: bool, seconds: float) -> Outcome:
    """One configuration: `count` replicas, on Redis or on the state directory."""
    accounts = dict(household(n) for n in range(HOUSEHOLDS))
    with (
        RunningPortal(FakePortal(accounts=accounts)) as running,
        temp_home() as folder,
        contextlib.ExitStack() as stack,
    ):
        home = Path(folder)
        key = home / "key_ring"
        key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
        extra = {
            "OIG_CLOUD_BASE_URL": running.url,
            "OIG_CLOUD_MCP_KEY_FILE": str(key),
            "OIG_CLOUD_MCP_ACCOUNTS": "multi",
        }
        store, top = None, []
        if on_redis:
            store = RedisServer(shutil.which("redis-server") or "redis-server", home / "redis")
            store.start()
            stack.callback(store.kill)
            extra["OIG_CLOUD_MCP_STATE"] = store.url
        env = isolated_env(home, **extra)
        servers = stack.enter_context(replicas(env, count))
        urls = [server.url for server in servers]
        raw, browser = RawOAuth(urls[0]), Browser()
        try:
            tokens = [
                signed_in_token(raw, browser, *household(index % HOUSEHOLDS))
                for index in range(CLIENTS)
            ]
        finally:
            raw.close()
            browser.close()
        pids = [server.process.pid for server in servers]
        portal = running.portal
        before = portal.count("json.php"), portal.count("Login.php")
        commands, per_command = redis_commands(store) if store else (0, {})
        redis_cpu = cpu_ms(store.process.pid) if store and store.process else 0.0
        server_cpu, own = sum(cpu_ms(pid) for pid in pids), time.process_time()
        seen = asyncio.run(_load(urls, tokens, seconds))
        server_cpu = sum(cpu_ms(pid) for pid in pids) - server_cpu
        own = (time.process_time() - own) * 1000
        if store and store.process:
            redis_cpu = cpu_ms(store.process.pid) - redis_cpu
            after, after_per_command = redis_commands(store)
            commands = after - commands
            delta = {k: v - per_command.get(k, 0) for k, v in after_per_command.items()}
            top = sorted(delta.items(), key=lambda item: -item[1])[:6]
        reads = portal.count("json.php") - before[0]
        logins = portal.count("Login.php") - before[1]
    latencies, failures = seen["latencies"], seen["failures"]
    for failure in sorted(set(failures))[:5]:
        print(f"  failure: {failure}", file=sys.stderr)
    ordered = sorted(latencies)
    total = len(ordered)
    label = f"{count} replica{'s' if count > 1 else ''} on {'Redis' if store else 'the state dir'}"
    return Outcome(
        label=label,
        requests=total,
        errors=len(failures),
        seconds=seconds,
        p50=statistics.median(ordered),
        p99=ordered[min(total - 1, int(total * 0.99))],
        portal_reads=reads,
        logins=logins,
        redis_commands=commands if store else None,
        top_commands=", ".join(f"{name} {calls / total:.2f}" for name, calls in top)
        if store
        else "",
        server_cpu_ms=server_cpu,
        redis_cpu_ms=redis_cpu if store else None,
        own_cpu_ms=own,
    )


def rows(outcome: Outcome) -> list[Row]:
    label = f"hosted, {outcome.label}"

    def one(figure: str, value: float, unit: str, target: str = "", met: bool | None = None) -> Row:
        return Row(f"{label}: {figure}", value, value, value, unit, None, target, met)

    found = [
        one("requests", outcome.requests, "req"),
        one("errors", outcome.errors, "req", "0", outcome.errors == 0),
        one("requests per second", outcome.requests / outcome.seconds, "req/s"),
        one("latency p50", outcome.p50, "ms"),
        one("latency p99", outcome.p99, "ms"),
        one(
            f"json.php per household ({outcome.windows} cache windows)",
            outcome.reads_per_household,
            "req",
            f"<= {outcome.windows}",
            outcome.reads_per_household <= outcome.windows,
        ),
        one("logins during the load", outcome.logins, "req", "0", outcome.logins == 0),
        one("replicas' CPU per call", outcome.per_call(outcome.server_cpu_ms) or 0.0, "ms"),
        one(
            "load generator + portal CPU per call", outcome.per_call(outcome.own_cpu_ms) or 0, "ms"
        ),
    ]
    if outcome.redis_commands is not None:
        found.append(
            one("Redis commands per call", outcome.per_call(outcome.redis_commands) or 0, "cmd")
        )
        found.append(one("Redis CPU per call", outcome.per_call(outcome.redis_cpu_ms) or 0, "ms"))
    return found


def table(outcomes: list[Outcome]) -> None:
    """One column per configuration."""
    width = 24
    print(f"\n{'':<42}" + "".join(f"{o.label:>{width}}" for o in outcomes))

    def line(name: str, values: list[str]) -> None:
        print(f"{name:<42}" + "".join(f"{value:>{width}}" for value in values))

    line("requests (errors)", [f"{o.requests:,} ({o.errors})" for o in outcomes])
    line("requests per second", [f"{o.requests / o.seconds:.1f}" for o in outcomes])
    line("latency p50 / p99, ms", [f"{o.p50:.0f} / {o.p99:.0f}" for o in outcomes])
    line(
        "json.php per household (cache windows)",
        [f"{o.reads_per_household:.1f} ({o.windows})" for o in outcomes],
    )
    line("logins during the load", [str(o.logins) for o in outcomes])
    line(
        "Redis commands per call",
        [
            f"{o.per_call(o.redis_commands):.2f}" if o.redis_commands is not None else "-"
            for o in outcomes
        ],
    )
    line(
        "CPU per call, ms: replicas",
        [f"{o.per_call(o.server_cpu_ms):.2f}" for o in outcomes],
    )
    line(
        "CPU per call, ms: Redis",
        [
            f"{o.per_call(o.redis_cpu_ms):.3f}" if o.redis_cpu_ms is not None else "-"
            for o in outcomes
        ],
    )
    line(
        "CPU per call, ms: load generator + portal",
        [f"{o.per_call(o.own_cpu_ms):.2f}" for o in outcomes],
    )
    for outcome in outcomes:
        if outcome.top_commands:
            print(f"  Redis commands per call, {outcome.label}: {outcome.top_commands}")


def measure(seconds: float = SECONDS) -> list[Row]:
    outcomes = outcomes_of(seconds)
    return [row for outcome in outcomes for row in rows(outcome)]


def outcomes_of(seconds: float) -> list[Outcome]:
    found = [run(1, on_redis=False, seconds=seconds)]
    found += [run(count, on_redis=True, seconds=seconds) for count in REPLICAS]
    return found


if __name__ == "__main__":
    seconds = float(next((arg for arg in sys.argv[1:] if arg.isdigit()), SECONDS))
    load = os.getloadavg()
    outcomes = outcomes_of(seconds)
    print(
        f"\nHosted mode: {CLIENTS} clients over {HOUSEHOLDS} households, get_basic_data for "
        f"{seconds:.0f} s per configuration, {os.cpu_count()} cores, load average "
        f"{load[0]:.1f} before and {os.getloadavg()[0]:.1f} after"
    )
    table(outcomes)
    print_rows("Hosted mode, every figure", [row for o in outcomes for row in rows(o)])
