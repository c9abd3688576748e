"""One replica for the tests of several processes: the app's use cases over the Redis
state and a real `OigCloudClient` against the fake portal, driven by JSON lines.

Started as `python -m tests.helpers.redis_worker CONFIG` (a JSON object, see `Replica` in
test_redis_processes). It prints `{"ready": true}`, then answers every command line on
stdin with one line on stdout:

    {"op": "read"}                        get_basic_data's use case
    {"op": "preview", "mode": "Home 2"}   set_box_mode, previewed
    {"op": "confirm", "mode": "Home 2"}   set_box_mode, confirmed (after a preview)
    {"op": "pending"}                     the account's tracked changes, as stored
    {"op": "put_record", "key": "k"}      a pairing code kept for 10 minutes
    {"op": "get_record", "key": "k"}      whether it is there

Answers: {"ok": true, "result": ..., "elapsed_s": ...} or {"ok": false, "type": the
error's class, "error": its message, "elapsed_s": ...}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from oig_cloud_mcp.app.context import App
from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.app.writes import Decision
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.errors import OigError
from oig_cloud_mcp.state import credentials
from oig_cloud_mcp.state.redis import redis_state


def settings_of(config: dict[str, Any]) -> Settings:
    home = Path(config["home"])
    return Settings(
        base_url=config["portal_url"],
        env_email=config["email"],
        env_password=config["password"],
        whitelist_extra=(config["email"],),
        cache_ttl_s=config.get("cache_ttl_s", 20.0),
        timeout_s=config.get("timeout_s", 10.0),
        allowed_writes=frozenset({"set_box_mode"}),
        config_dir=home / "config",
        state_dir=home / "state",
    )


async def perform(app: App, principal: str, command: dict[str, Any]) -> Any:
    op = command["op"]
    if op == "read":
        return (await app.reads.basic_data()).model_dump(mode="json")
    if op in ("preview", "confirm"):
        plan = await app.writes.plan("set_box_mode", mode=command["mode"], box_id=None)
        decision: Decision = "preview" if op == "preview" else "confirmed"
        result = await app.writes.execute(plan, decision, principal=principal)
        return result.model_dump(mode="json")
    account = await app.client.account()
    if op == "pending":
        return [c.model_dump(mode="json") for c in await app.state.pending.changes(account)]
    if op == "put_record":
        await app.state.remote.pairing.put(command["key"], True, time.time() + 600)
        return True
    if op == "get_record":
        return await app.state.remote.pairing.get(command["key"])
    raise ValueError(f"unknown op {op!r}")


def say(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


async def serve(config: dict[str, Any]) -> None:
    settings = settings_of(config)
    state = redis_state(
        config["redis_url"],
        settings,
        credentials.hints(settings),
        lease_s=config.get("lease_s", 10.0),
        redis_timeout_s=config.get("redis_timeout_s", 5.0),
    )
    app = build_app(settings, state=state)
    say({"ready": True})
    try:
        while line := await asyncio.to_thread(sys.stdin.readline):
            command = json.loads(line)
            started = time.monotonic()
            try:
                result = await perform(app, config["principal"], command)
                answer = {"ok": True, "result": result}
            except OigError as exc:
                answer = {"ok": False, "type": type(exc).__name__, "error": str(exc)}
            say({**answer, "elapsed_s": time.monotonic() - started})
    finally:
        await app.aclose()
        await state.aclose()


if __name__ == "__main__":
    asyncio.run(serve(json.loads(sys.argv[1])))
