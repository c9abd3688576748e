"""What a user sees with a given state directory: `status`, one read and one write.

The corruption table runs `probe` in-process, or, for files made unreadable with mode
000 while the tests run as root (root reads anything), in a subprocess whose DAC
override capabilities are dropped with `setpriv`, so the permission is really enforced.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from mcp import Client

from oig_cloud_mcp.app.status import status_lines
from oig_cloud_mcp.config import Settings, Telemetry
from oig_cloud_mcp.server import build_server

from .mcp_calls import preview_then_confirm

ROOT = Path(__file__).resolve().parents[2]


async def _calls(settings: Settings) -> dict[str, Any]:
    async with Client(build_server(settings), mode="legacy") as client:

        async def answer(tool: str, **arguments: Any) -> dict[str, Any]:
            result = await client.call_tool(tool, arguments)
            text = "".join(getattr(block, "text", "") for block in result.content)
            return {"error": result.is_error, "text": text}

        return {
            "read": await answer("get_basic_data"),
            "write": await preview_then_confirm(answer, "set_box_mode", mode="Home 2"),
        }


def probe(settings: Settings) -> dict[str, Any]:
    """`status` lines plus a read and a previewed, then confirmed write, as the user would
    see them."""
    return {"status": status_lines(settings), **asyncio.run(_calls(settings))}


def _encode(settings: Settings) -> str:
    fields = dataclasses.asdict(settings)
    fields = {k: (str(v) if isinstance(v, Path) else v) for k, v in fields.items()}
    fields["allowed_writes"] = sorted(settings.allowed_writes)
    fields["whitelist_extra"] = list(settings.whitelist_extra)
    return json.dumps(fields)


def _decode(text: str) -> Settings:
    fields = json.loads(text)
    for name in ("config_dir", "state_dir"):
        fields[name] = Path(fields[name])
    fields["allowed_writes"] = frozenset(fields["allowed_writes"])
    fields["whitelist_extra"] = tuple(fields["whitelist_extra"])
    telemetry: dict[str, Any] = fields["telemetry"]
    telemetry |= {"traces": tuple(telemetry["traces"]), "metrics": tuple(telemetry["metrics"])}
    fields["telemetry"] = Telemetry(**telemetry)
    return Settings(**fields)


def probe_unprivileged(settings: Settings) -> dict[str, Any]:
    """`probe` in a process that cannot read a mode-000 file, even when we are root."""
    argv = [sys.executable, "-m", "tests.helpers.state_probe", _encode(settings)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root's file-read override"
        argv = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


if __name__ == "__main__":
    sys.stdout.write(json.dumps(probe(_decode(sys.argv[1]))) + "\n")
