"""Headless Chromium driven over the DevTools protocol, with the standard library only.

Chromium is started with `--remote-debugging-pipe`: it reads commands from fd 3 and
writes answers and events to fd 4, each a JSON object ended by a NUL byte. A reader
thread files answers by id and keeps events; `Browser.call` waits for its answer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
    # keep the sandboxed view frame in the page's process, so one session reaches it
    "--disable-features=IsolateSandboxedIframes,Translate,MediaRouter",
    "--remote-debugging-pipe",
)


class CdpError(RuntimeError):
    """A DevTools command failed, or Chromium did not answer in time."""


def find_chromium() -> str | None:
    """The Chromium executable: $OIG_CHROMIUM, else the first of the usual names on PATH
    (None where the DevTools pipe cannot be set up: it needs POSIX `posix_spawn`)."""
    if not hasattr(os, "posix_spawn"):
        return None
    explicit = os.environ.get("OIG_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _high_fd(fd: int) -> int:
    """A copy of `fd` numbered 10 or above (so dup2 onto 3 and 4 cannot clobber it)."""
    import fcntl  # POSIX only, like the pipe itself

    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return copy


class Browser:
    """One headless Chromium process and its DevTools pipe."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="oig-chromium-")
        cmd_read, self._cmd_write = (_high_fd(fd) for fd in os.pipe())
        self._out_read, out_write = (_high_fd(fd) for fd in os.pipe())
        log = Path(self.profile.name) / "chromium.log"
        argv = [executable, *FLAGS, f"--user-data-dir={self.profile.name}/data", "about:blank"]
        self.pid = os.posix_spawn(
            executable,
            argv,
            {**os.environ, "LANG": "en_US.UTF-8", "TZ": os.environ.get("TZ", "UTC")},
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT, 0o600),
                (os.POSIX_SPAWN_DUP2, 1, 2),
                (os.POSIX_SPAWN_DUP2, cmd_read, 3),
                (os.POSIX_SPAWN_DUP2, out_write, 4),
            ],
        )
        os.close(cmd_read)
        os.close(out_write)
        self._lock = threading.Condition()
        self._answers: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="cdp-reader", daemon=True)
        self._reader.start()
        self.version = self.call("Browser.getVersion", timeout=20)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._out_read, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self.events.append(message)
                self._lock.notify_all()
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Send one command and wait for its result."""
        with self._lock:
            self._next += 1
            ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._cmd_write, data) :]
        deadline = time.monotonic() + timeout
        with self._lock:
            while ident not in self._answers:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise CdpError(f"no answer to {method} within {timeout} s")
                self._lock.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def session_events(self, session: str, method: str) -> list[dict[str, Any]]:
        """The params of every `method` event of one session so far."""
        with self._lock:
            return [
                e.get("params", {})
                for e in self.events
                if e.get("sessionId") == session and e.get("method") == method
            ]

    def close(self) -> None:
        """Close Chromium (politely, then by force) and remove its profile."""
        with contextlib.suppress(CdpError, OSError):
            self.call("Browser.close", timeout=5)
        deadline = time.monotonic() + 5
        done = 0
        while time.monotonic() < deadline:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        if not done:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self._cmd_write)
        self._reader.join(timeout=5)
        os.close(self._out_read)
        self.profile.cleanup()


class Page:
    """A tab: evaluates script in the page or in a frame, clicks, takes screenshots."""

    def __init__(self, browser: Browser, *, width: int, height: int, scale: float = 1) -> None:
        self.browser = browser
        self.target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.call(
            "Target.attachToTarget", {"targetId": self.target, "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": False},
        )

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A DevTools command in this tab's session."""
        return self.browser.call(method, params, session=self.session)

    def events(self, method: str) -> list[dict[str, Any]]:
        """Params of every `method` event of this tab so far."""
        return self.browser.session_events(self.session, method)

    def navigate(self, url: str) -> str:
        """Load `url` and wait for its load event; returns the main frame id."""
        frame: str = self.call("Page.navigate", {"url": url})["frameId"]
        check = f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
        self.wait_for(check, what=f"{url} to load")
        return frame

    def wait_for(
        self, expression: str, *, context: int | None = None, what: str = "", timeout: float = 10.0
    ) -> Any:
        """Poll `expression` until it is truthy; returns its value. While a page is being
        replaced (a form was just submitted) the expression may throw, such as on a
        `document.body` that is not there yet: that counts as not yet, until the timeout."""
        deadline = time.monotonic() + timeout
        failed: CdpError | None = None
        while True:
            try:
                value = self.evaluate(expression, context=context)
            except CdpError as exc:
                value, failed = None, exc
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"timed out waiting for {what or expression}") from failed
            time.sleep(0.02)

    def evaluate(self, expression: str, *, context: int | None = None) -> Any:
        """The JSON value of `expression` (awaited if it is a promise)."""
        params: dict[str, Any] = {
            "expression": expression,
            "returnByValue": True,
            "awaitPromise": True,
        }
        if context is not None:
            params["contextId"] = context
        result = self.call("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            raise CdpError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def frame_context(self, main_frame: str, timeout: float = 10.0) -> int:
        """The main-world execution context of the first child frame of `main_frame`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for params in self.events("Runtime.executionContextCreated"):
                aux = params["context"].get("auxData", {})
                if aux.get("isDefault") and aux.get("frameId") not in (None, main_frame):
                    return int(params["context"]["id"])
            time.sleep(0.02)
        raise CdpError("the view's frame never got a script context")

    def click(self, x: float, y: float) -> None:
        """A real left click at page coordinates (CSS pixels)."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def screenshot(self, clip: dict[str, float], path: Path) -> None:
        """Save a PNG of the `clip` rectangle (page coordinates)."""
        data = self.call(
            "Page.captureScreenshot",
            {"format": "png", "clip": {**clip, "scale": 1}, "captureBeyondViewport": False},
        )["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Close the tab."""
        with contextlib.suppress(CdpError):
            self.browser.call("Target.closeTarget", {"targetId": self.target})
