"""Metrics an operator reads: Redis round trips of a hosted server, and tool errors told
apart from successes in `mcp.server.operation.duration`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client

from oig_cloud_mcp.config import Settings, Telemetry
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.state.redis.connection import connect

from .helpers.otel import Kit, installed

ROUND_TRIPS = "oig.state.redis.round_trips"


@pytest.fixture
def kit() -> Iterator[Kit]:
    with installed().recording() as recording:
        yield recording


def total(kit: Kit, name: str, **labels: Any) -> float:
    return sum(
        float(p.get("value", p.get("count", 0)))
        for p in kit.points(name)
        if all(p["attributes"].get(k) == v for k, v in labels.items())
    )


def test_each_redis_command_and_each_pipeline_is_one_round_trip(kit: Kit, real_redis: Any) -> None:
    async def talk() -> None:
        store = connect(real_redis.url)
        await store.ping()  # the connection's handshake, then PING
        before = total(kit, ROUND_TRIPS)
        await store.redis.set("k", "v")
        async with store.redis.pipeline(transaction=True) as pipe:
            pipe.get("k")
            pipe.delete("k")
            await pipe.execute()
        assert total(kit, ROUND_TRIPS) - before == 2
        await store.aclose()

    anyio.run(talk)


def test_a_tool_error_is_recorded_as_one_in_the_operation_duration(
    kit: Kit, settings: Settings
) -> None:
    measured = settings.with_overrides(telemetry=Telemetry(metrics=("otlp",)))

    async def calls() -> None:
        async with Client(build_server(measured)) as client:
            await client.call_tool(
                "get_extended_data", {"start_date": "2025-06-02", "end_date": "2025-06-01"}
            )
            await client.call_tool("get_basic_data", {})

    before = total(kit, "mcp.server.operation.duration", **{"error.type": "tool_error"})
    anyio.run(calls)
    errors = total(kit, "mcp.server.operation.duration", **{"error.type": "tool_error"})
    fine = [
        p
        for p in kit.points("mcp.server.operation.duration")
        if p["attributes"].get("gen_ai.tool.name") == "get_basic_data"
        and "error.type" not in p["attributes"]
    ]

    assert errors - before == 1
    assert fine
