"""Start a packed extension the way its manifest says the host will, and ask it once.

    python packaging/run_bundle.py dist/oig-cloud-mcp-X.Y.Z.mcpb

Unpacks the bundle, fills `${__dirname}` and the user's settings (the demo box, so no
account is needed) into `server.mcp_config`, runs that command with `uv` from PATH, and
sends `initialize` and `tools/call get_basic_data` over stdio. Exits 1 unless both answer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

SETTINGS = {"email": "demo@example.invalid", "password": "not-used-by-the-demo", "demo": "true"}
INITIALIZE = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "ci", "version": "1"},
}


def request(ident: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """A JSON-RPC request."""
    return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}


def fill(text: str, bundle: Path, user: dict[str, str]) -> str:
    """Substitute the manifest's variables like the host does (unset options become false)."""
    text = text.replace("${__dirname}", str(bundle))
    return re.sub(r"\$\{user_config\.([A-Za-z0-9_]+)\}", lambda m: user.get(m[1], "false"), text)


def exchange(process: subprocess.Popen[bytes], message: dict[str, Any]) -> dict[str, Any]:
    """Send one JSON-RPC request and return the answer with its id."""
    if process.stdin is None or process.stdout is None:
        raise RuntimeError("the server's stdio is not connected")
    process.stdin.write((json.dumps(message) + "\n").encode())
    process.stdin.flush()
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the server closed stdout")
        answer: dict[str, Any] = json.loads(line)
        if answer.get("id") == message.get("id"):
            return answer


def run(archive: Path) -> dict[str, Any]:
    """Start the bundle and return its `get_basic_data` answer."""
    with tempfile.TemporaryDirectory(prefix="oig-mcpb-") as temp:
        bundle = Path(temp) / "bundle"
        with zipfile.ZipFile(archive) as packed:
            packed.extractall(bundle)
        config = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        mcp = config["server"]["mcp_config"]
        command = shutil.which(mcp["command"])
        if command is None:
            raise RuntimeError(f"{mcp['command']} is not on PATH (pip install uv)")
        args = [fill(arg, bundle, SETTINGS) for arg in mcp.get("args", [])]
        env = {k: fill(v, bundle, SETTINGS) for k, v in mcp.get("env", {}).items()}
        home = Path(temp) / "home"
        env |= {"HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
        process = subprocess.Popen(
            [command, *args],
            cwd="/",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **env},
        )
        try:
            started = exchange(process, request(1, "initialize", INITIALIZE))
            if "result" not in started:
                raise RuntimeError(f"initialize failed: {started}")
            call = {"name": "get_basic_data", "arguments": {}}
            return exchange(process, request(2, "tools/call", call))
        finally:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=60)


if __name__ == "__main__":
    answer = run(Path(sys.argv[1]))["result"]
    if answer.get("isError"):
        sys.stderr.write(f"get_basic_data failed: {answer}\n")
        sys.exit(1)
    data = answer["structuredContent"]
    sys.stdout.write(
        f"packed extension answered: box {data['box_id']}, battery {data['battery']['soc_pct']} %\n"
    )
