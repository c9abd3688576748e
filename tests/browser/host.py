"""A view of the MCP App inside the test host page (`host.html`), seen from the test."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .cdp import Browser, CdpError, Page

HOST_PAGE = Path(__file__).with_name("host.html")
MARGIN = 16  # the host page's body padding

LIGHT: dict[str, Any] = {
    "theme": "light",
    "displayMode": "inline",
    "availableDisplayModes": ["inline"],
    "containerDimensions": {"width": 400, "maxHeight": 800},
    "locale": "en-US",
    "timeZone": "Europe/Prague",
    "platform": "web",
    "styles": {
        "variables": {
            "--color-background-primary": "#fcfcfa",
            "--color-text-primary": "#141413",
            "--font-sans": "DejaVu Sans, sans-serif",
        }
    },
}
DARK: dict[str, Any] = {
    **LIGHT,
    "theme": "dark",
    "styles": {
        "variables": {
            "--color-background-primary": "#262624",
            "--color-text-primary": "#f0efea",
            "--font-sans": "DejaVu Sans, sans-serif",
        }
    },
}


class ViewHost:
    """One view loaded in a fresh tab of the test host page."""

    def __init__(
        self,
        browser: Browser,
        html: str,
        *,
        context: dict[str, Any],
        tool_input: dict[str, Any] | None = None,
        tool_result: dict[str, Any] | None = None,
        width: int = 400,
        scale: float = 1,
        now: datetime | None = None,
    ) -> None:
        """Load `html` like a host: handshake, then tool-input and tool-result if given.

        `now` sets the view's clock (`Date.now`) before any data arrives.
        """
        self.page = Page(browser, width=width + 2 * MARGIN, height=1200, scale=scale)
        self.host_url = HOST_PAGE.as_uri()
        main_frame = self.page.navigate(self.host_url)
        args = ", ".join(json.dumps(a) for a in (html, width, context))
        self.page.evaluate(f"host.start({args})")
        self.context = self.page.frame_context(main_frame)
        if now is not None:
            self.set_clock(now)
        self.wait_host("host.initialized", "ui/notifications/initialized from the view")
        if tool_input is not None:
            self.notify("ui/notifications/tool-input", {"arguments": tool_input})
        if tool_result is not None:
            self.notify("ui/notifications/tool-result", tool_result)

    def __enter__(self) -> ViewHost:
        return self

    def __exit__(self, *_: object) -> None:
        self.page.close()

    # the host page's side
    def host(self, expression: str) -> Any:
        """Evaluate in the host page (`host` is the host's bridge state)."""
        return self.page.evaluate(expression)

    def wait_host(self, expression: str, what: str = "") -> Any:
        """Wait until `expression` is truthy in the host page."""
        return self.page.wait_for(expression, what=what)

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send the view a notification from the host."""
        self.host(f"host.notify({json.dumps(method)}, {json.dumps(params)})")

    def tool_calls(self) -> list[dict[str, Any]]:
        """Every tools/call the view sent: name and arguments."""
        calls: list[dict[str, Any]] = self.host(
            "host.toolCalls.map(c => ({name: c.name, arguments: c.arguments}))"
        )
        return calls

    def answer_tool_call(self, result: dict[str, Any]) -> None:
        """Answer the oldest unanswered tools/call with `result` (a CallToolResult)."""
        self.host(f"host.answerToolCall({json.dumps(result)})")

    # the view's side
    def view(self, expression: str) -> Any:
        """Evaluate in the view's own frame."""
        return self.page.evaluate(expression, context=self.context)

    def wait_view(self, expression: str, what: str = "") -> Any:
        """Wait until `expression` is truthy in the view."""
        return self.page.wait_for(expression, context=self.context, what=what)

    def text(self, selector: str) -> str:
        """The text a person sees in the element (`innerText`, or SVG `textContent`)."""
        value: str = self.view(
            f"(e => e.innerText ?? e.textContent)(document.querySelector({json.dumps(selector)}))"
        )
        return value.strip()

    def visible(self, selector: str) -> bool:
        """Whether the element takes up space on screen."""
        return bool(
            self.view(
                f"(e => !!e && e.getClientRects().length > 0)"
                f"(document.querySelector({json.dumps(selector)}))"
            )
        )

    def click(self, selector: str) -> None:
        """A real mouse click on the middle of the element."""
        rect = self.view(
            f"(r => [r.x, r.y, r.width, r.height])"
            f"(document.querySelector({json.dumps(selector)}).getBoundingClientRect())"
        )
        frame = self.host("(r => [r.x, r.y])(host.frame.getBoundingClientRect())")
        self.page.click(frame[0] + rect[0] + rect[2] / 2, frame[1] + rect[1] + rect[3] / 2)

    def set_clock(self, now: datetime) -> None:
        """Set the view's `Date.now` to `now` (it runs on from there; timers keep their pace)."""
        self.view(
            "(() => { if (!window.__realNow) { window.__realNow = Date.now;"
            " Date.now = () => window.__realNow() + window.__shift; }"
            f" window.__shift = {now.timestamp() * 1000} - window.__realNow(); }})()"
        )

    def advance_clock(self, seconds: float) -> None:
        """Move the view's `Date.now` (set by `set_clock`) forward."""
        self.view(f"window.__shift += {seconds * 1000}")

    def screenshot(self, path: Path) -> None:
        """A PNG of the view's frame as the host shows it."""
        x, y, w, h = self.host(
            "(r => [r.x, r.y, r.width, r.height])(host.frame.getBoundingClientRect())"
        )
        self.page.screenshot({"x": x, "y": y, "width": w, "height": h}, path)

    def problems(self) -> list[str]:
        """Script errors, console errors, CSP reports and any request besides the host page."""
        found = [
            f"exception: {e['exceptionDetails'].get('exception', {}).get('description')}"
            for e in self.page.events("Runtime.exceptionThrown")
        ]
        found += [
            f"console.{e['type']}: {[a.get('value') for a in e.get('args', [])]}"
            for e in self.page.events("Runtime.consoleAPICalled")
            if e["type"] in ("error", "warning", "assert")
        ]
        found += [
            f"log {e['entry']['level']}: {e['entry'].get('text')}"
            for e in self.page.events("Log.entryAdded")
            if e["entry"]["level"] in ("error", "warning")
        ]
        found += [
            f"request: {e['request']['url']}"
            for e in self.page.events("Network.requestWillBeSent")
            # data: URLs are no network (Chromium's own date picker icon is one)
            if e["request"]["url"] != self.host_url and not e["request"]["url"].startswith("data:")
        ]
        return found


__all__ = ["DARK", "LIGHT", "CdpError", "ViewHost"]
