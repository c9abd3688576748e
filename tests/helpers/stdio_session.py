"""Drive the real `oig-cloud-mcp` command over stdio with raw JSON-RPC lines."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from typing import Any

from .commands import command

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-06-18", "2025-11-25")


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a stdio server the way a client does: close its stdin, then wait (kill if stuck)."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class StdioSession:
    """One server process; every stdout line is kept for inspection.

    Answers are routed to their request by id, so several threads may call at once.
    """

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [*command(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )
        self.stdout_lines: list[str] = []
        self._answers: dict[int, queue.Queue[Any]] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8")
            self.stdout_lines.append(line)
            message = json.loads(line)
            with self._lock:
                waiting = self._answers.get(message.get("id"))  # type: ignore[arg-type]
            if waiting is not None:
                waiting.put(message)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        with self._lock:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()

    def start(self, method: str, params: dict[str, Any] | None = None) -> queue.Queue[Any]:
        """Send a request; its answer arrives in the returned queue."""
        answer: queue.Queue[Any] = queue.Queue()
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            self._answers[ident] = answer
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params or {}})
        return answer

    def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 30
    ) -> Any:
        try:
            return self.start(method, params).get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no answer to {method}") from None

    def initialize(self, version: str = "2025-06-18") -> Any:
        answer = self.request(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "e2e", "version": "1"},
            },
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def call_tool(self, name: str, **arguments: Any) -> Any:
        return self.request("tools/call", {"name": name, "arguments": arguments})["result"]

    def start_tool(self, name: str, **arguments: Any) -> queue.Queue[Any]:
        """Start a tool call without waiting for it."""
        return self.start("tools/call", {"name": name, "arguments": arguments})

    def close(self) -> str:
        """Close stdin, wait for exit and return stderr."""
        stop(self.process)
        self._pump_thread.join(timeout=5)
        assert self.process.stderr is not None
        assert self.process.stdout is not None
        stderr = self.process.stderr.read().decode("utf-8", "replace")
        self.process.stderr.close()
        self.process.stdout.close()
        return stderr

    def __enter__(self) -> StdioSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stderr = self.close()
