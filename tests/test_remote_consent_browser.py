"""The consent page in a real headless Chromium, with scripts switched off.

A client registered with a loopback redirect (as Claude Code and VS Code do) sends the
owner's browser to /authorize from a page on another site; the browser lands on the
consent page, which names the client and where it goes back; the owner mistypes the
pairing code once, then types the right one and presses Allow. The browser must end up
at the client's own listener with `code`, `state` and `iss`: the page's policy
(`form-action 'self' <redirect origin>`) must let that redirect through, its form must be
accepted from a real browser (which sends `Origin` by its referrer policy), and nothing
may need a script. A control proves this Chromium does block a form's redirect that
`form-action` does not allow, so the landing means something. Screenshots go to
`$OIG_ARTEFACTS` (default: pytest's tmp dir); with `OIG_UPDATE_DOCS=1` the consent page
also goes to `docs/consent.png` for the README. Without Chromium the module is skipped,
unless `OIG_REQUIRE_BROWSER=1` (CI).
"""

from __future__ import annotations

import html
import os
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .browser.cdp import Browser, CdpError, Page, find_chromium
from .helpers.oauth import RawOAuth, pkce
from .helpers.remote import pairing_code, served
from .helpers.required import found_or_skip
from .helpers.threaded import free_port

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).parents[1] / "docs"
CLIENT_NAME = "Your MCP client"
WIDTH, HEIGHT = 480, 640


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    reason = (
        "no Chromium found (Debian: apt-get install chromium; or set OIG_CHROMIUM; "
        "POSIX only): the consent page is not tested in a browser"
    )
    browser = Browser(found_or_skip(find_chromium(), reason, "OIG_REQUIRE_BROWSER"))
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A tab in which no page script can run."""
    tab = Page(chromium, width=WIDTH, height=HEIGHT)
    tab.call("Emulation.setScriptExecutionDisabled", {"value": True})
    yield tab
    tab.close()


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    chosen = os.environ.get("OIG_ARTEFACTS")
    folder = Path(chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Landing:
    """A client's loopback listener: records every request, answers "Connected". `/start`
    is a page with a link to `start` (where a connector's web page sends the owner);
    `/form` is a page whose policy allows forms only to itself, posting to `/go`, which
    redirects to `elsewhere` (the control)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[str] = []
        self.elsewhere = ""
        self.start = ""
        landing = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, **headers: str) -> None:
                self.send_response(status)
                for name, value in {"Content-Type": "text/html", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                landing.requests.append(f"GET {self.path}")
                if self.path == "/start":
                    link = f"<a id=connect href='{html.escape(landing.start)}'>Connect</a>"
                    self._answer(200, link.encode())
                elif self.path == "/form":
                    form = b"<form method=post action=/go><button>Go</button></form>"
                    self._answer(200, form, **{"Content-Security-Policy": "form-action 'self'"})
                else:
                    self._answer(200, b"<title>Connected</title><p>Connected.")

            def do_POST(self) -> None:
                landing.requests.append(f"POST {self.path}")
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._answer(302, b"", Location=landing.elsewhere)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, prefix: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for request in self.requests:
                if request.startswith(prefix):
                    return request
            time.sleep(0.05)
        raise AssertionError(f"no {prefix} request reached the client; it saw {self.requests}")

    def __enter__(self) -> Landing:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def landing() -> Iterator[Landing]:
    with Landing() as listener:
        yield listener


def current_url(page: Page) -> str:
    history = page.call("Page.getNavigationHistory")
    return str(history["entries"][history["currentIndex"]]["url"])


def open_url(page: Page, url: str, arrives: str) -> None:
    """Navigate and wait until the tab shows a loaded page whose URL starts with `arrives`."""
    page.call("Page.navigate", {"url": url})
    wait_until(page, arrives)


def wait_until(page: Page, arrives: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    here = "(nowhere yet)"
    while True:
        try:  # while a navigation commits, the tab may briefly not answer
            here = current_url(page)
            if here.startswith(arrives) and page.evaluate("document.readyState") == "complete":
                return
        except CdpError:
            pass
        if time.monotonic() > deadline:
            raise CdpError(f"the tab is at {here}, not at {arrives}")
        time.sleep(0.05)


def center(page: Page, selector: str) -> tuple[float, float]:
    """The middle of the element `selector` (for a real click)."""
    root = page.call("DOM.getDocument")["root"]["nodeId"]
    node = page.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"no {selector} on the page"
    quad = page.call("DOM.getBoxModel", {"nodeId": node})["model"]["border"]
    return (quad[0] + quad[4]) / 2, (quad[1] + quad[5]) / 2


def type_into(page: Page, selector: str, text: str) -> None:
    """Click into a field and type `text`, as a person does."""
    page.click(*center(page, selector))
    page.call("Input.insertText", {"text": text})


def text_of(page: Page) -> str:
    return str(page.evaluate("document.body.innerText"))


def blocked_by_policy(page: Page) -> list[str]:
    return [
        event["entry"]["text"]
        for event in page.events("Log.entryAdded")
        if "Content Security Policy" in event["entry"].get("text", "")
    ]


def test_chromium_blocks_a_form_redirect_that_form_action_does_not_allow(
    page: Page, landing: Landing
) -> None:
    """The control: a same-origin form whose answer redirects to another origin."""
    landing.elsewhere = f"http://localhost:{landing.port}/elsewhere"
    open_url(page, f"{landing.url}/form", f"{landing.url}/form")
    page.click(*center(page, "button"))
    landing.wait_for("POST /go")
    time.sleep(1.0)  # time enough for the redirect to be followed, were it allowed
    assert not any("/elsewhere" in request for request in landing.requests)
    assert current_url(page) == f"{landing.url}/form"
    assert blocked_by_policy(page)


def test_the_owner_connects_a_client_in_a_real_browser_without_scripts(
    env: dict[str, str], page: Page, landing: Landing, artefacts: Path
) -> None:
    with served(env) as server:
        raw = RawOAuth(server.url)
        raw.redirect = f"{landing.url}/callback"
        client = raw.client(client_name=CLIENT_NAME, scope="oig:read")
        verifier, challenge = pkce()
        # Like a connector's web page on another site, which sends the owner to /authorize:
        landing.start = raw.authorize_url(client["client_id"], challenge)
        open_url(page, f"http://localhost:{landing.port}/start", "http://localhost")
        page.click(*center(page, "#connect"))
        wait_until(page, f"{server.url}/consent")

        shown = text_of(page)
        assert f"Connect {CLIENT_NAME} to your battery box?" in shown
        assert "your browser goes back to a program on this computer" in shown
        assert "change settings" not in shown  # writes are off on this server
        bottom = page.evaluate("Math.ceil(document.body.getBoundingClientRect().bottom)")
        shot = artefacts / "consent.png"
        page.screenshot({"x": 0, "y": 0, "width": WIDTH, "height": min(bottom + 24, HEIGHT)}, shot)
        assert shot.stat().st_size > 5_000
        if os.environ.get("OIG_UPDATE_DOCS") == "1":
            DOCS.mkdir(exist_ok=True)
            shutil.copyfile(shot, DOCS / "consent.png")

        type_into(page, "#code", "AAAA-AAAA")  # a typo first
        page.click(*center(page, "button[value=allow]"))
        page.wait_for(
            "document.body.innerText.includes('That pairing code is wrong, used or expired')",
            what="the consent page to say the code is wrong",
        )
        assert not any("/callback" in request for request in landing.requests)

        type_into(page, "#code", pairing_code(env).lower())  # case does not matter
        page.click(*center(page, "button[value=allow]"))
        arrived = landing.wait_for("GET /callback")
        wait_until(page, f"{landing.url}/callback")
        query = {k: v[0] for k, v in parse_qs(urlsplit(arrived[4:]).query).items()}
        assert query["state"] == "st8"
        assert query["iss"] == server.url
        assert blocked_by_policy(page) == []
        assert page.evaluate("document.title") == "Connected"

        tokens = raw.tokens(client, query["code"], verifier)
        assert tokens.status_code == 200, tokens.text
        assert tokens.json()["scope"] == "oig:read"
        raw.close()
