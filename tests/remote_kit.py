"""Remote mode under test: the installed command serving HTTP, an in-process server on a
fake clock, a browser that fills in the consent page, and the MCP SDK's own OAuth client."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import uvicorn

from .stdio_session import command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_command(
    env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a person runs it."""
    return subprocess.run(
        [*command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def pairing_code(env: dict[str, str]) -> str:
    """A fresh code from `oig-cloud-mcp remote pair` (the code alone is on stdout)."""
    done = run_command(env, "remote", "pair")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@dataclass
class ServedCommand:
    """`oig-cloud-mcp serve --http` running as a subprocess."""

    process: subprocess.Popen[str]
    url: str
    stderr_lines: list[str] = field(default_factory=list)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal the server and return its exit code and stderr."""
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return code, "".join(self.stderr_lines)


@contextlib.contextmanager
def served(env: dict[str, str], *args: str, port: int | None = None) -> Iterator[ServedCommand]:
    """Start `oig-cloud-mcp serve --http` and wait until it answers /health."""
    port = port or free_port()
    process = subprocess.Popen(
        [*command(), "serve", "--http", "--port", str(port), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # serving HTTP writes nothing there
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    server = ServedCommand(process, f"http://127.0.0.1:{port}")
    assert process.stderr is not None
    pump = threading.Thread(
        target=lambda: server.stderr_lines.extend(process.stderr or []), daemon=True
    )
    pump.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pump.join(timeout=5)
            raise RuntimeError("serve --http did not start: " + "".join(server.stderr_lines))
        time.sleep(0.05)
    try:
        yield server
    finally:
        if process.poll() is None:
            server.stop()
        pump.join(timeout=5)
        if process.stderr is not None:
            process.stderr.close()


class ThreadedServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread (in-process tests)."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the in-process HTTP server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.names.append(str(found["name"]))
            self.inputs[str(found["name"])] = found.get("value") or ""


def form_fields(html_text: str) -> _Inputs:
    parser = _Inputs()
    parser.feed(html_text)
    return parser


@dataclass
class Consent:
    """What the browser saw and got on the consent page."""

    page: httpx.Response
    answer: httpx.Response

    @property
    def redirect(self) -> dict[str, str]:
        """The query of the redirect back to the client."""
        location = self.answer.headers.get("location", "")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Browser:
    """The owner's browser: follows /authorize to the consent page and submits it."""

    def __init__(self) -> None:
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def consent(
        self,
        authorize_url: str,
        code: str,
        *,
        write: bool = False,
        action: str = "allow",
        edit: Callable[[dict[str, str]], None] | None = None,
    ) -> Consent:
        """Open the authorize URL, type `code`, and press Allow (or Deny)."""
        first = self.http.get(authorize_url)
        assert first.status_code == 302, first.text
        page = self.http.get(urljoin(authorize_url, first.headers["location"]))
        assert page.status_code == 200, page.text
        fields = form_fields(page.text).inputs
        data = {"request": fields["request"], "csrf": fields["csrf"], "code": code}
        data["action"] = action
        if write:
            data["write"] = "1"
        if edit is not None:
            edit(data)
        answer = self.http.post(urljoin(authorize_url, "/consent"), data=data)
        return Consent(page, answer)

    def close(self) -> None:
        self.http.close()


def oauth_provider(
    url: str,
    browser: Browser,
    code: Callable[[], str],
    *,
    write: bool = False,
    scopes: str | None = None,
    auth_method: str = "none",
    metadata_url: str | None = None,
    redirect_uri: str = "http://127.0.0.1:9/callback",
) -> tuple[Any, Any]:
    """The MCP SDK's OAuthClientProvider with an in-memory store, whose browser step is our
    consent-page driver; returns (provider, storage)."""
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

    class Storage(TokenStorage):
        def __init__(self) -> None:
            self.tokens: OAuthToken | None = None
            self.client: OAuthClientInformationFull | None = None

        async def get_tokens(self) -> OAuthToken | None:
            return self.tokens

        async def set_tokens(self, tokens: OAuthToken) -> None:
            self.tokens = tokens

        async def get_client_info(self) -> OAuthClientInformationFull | None:
            return self.client

        async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
            self.client = client_info

    captured: dict[str, str] = {}

    async def redirect_handler(authorize_url: str) -> None:
        import anyio

        consent = await anyio.to_thread.run_sync(
            lambda: browser.consent(authorize_url, code(), write=write)
        )
        captured.clear()
        captured.update(consent.redirect)

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=captured["code"], state=captured.get("state"), iss=captured.get("iss")
        )

    storage = Storage()
    provider = OAuthClientProvider(
        server_url=f"{url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="Test client",
            redirect_uris=[redirect_uri],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method=auth_method,  # type: ignore[arg-type]
            scope=scopes,
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=metadata_url,
    )
    return provider, storage


def state_dir(env: dict[str, str]) -> Path:
    """The state directory of a command run with `env`."""
    return Path(env["XDG_STATE_HOME"]) / "oig-cloud-mcp"


CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")
