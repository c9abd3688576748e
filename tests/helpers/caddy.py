"""Caddy as the TLS reverse proxy of the README's recipes, run for real, and the owner's
browser that trusts its certificate. Without `caddy` the tests that need it are skipped,
unless `OIG_REQUIRE_CADDY=1` (CI), where that is a failure."""

from __future__ import annotations

import contextlib
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .oauth import Browser, Consent
from .required import found_or_skip


def find_caddy() -> str:
    """The `caddy` executable, or skip (fail under OIG_REQUIRE_CADDY=1)."""
    reason = (
        "no `caddy` (Debian: apt-get install caddy): the README's reverse-proxy recipe "
        "is not tested"
    )
    return found_or_skip(shutil.which("caddy"), reason, "OIG_REQUIRE_CADDY")


@contextlib.contextmanager
def caddy_proxy(executable: str, config: str, folder: Path, url: str) -> Iterator[ssl.SSLContext]:
    """Run Caddy with `config` until it answers `url`/health over TLS; yields an SSL
    context that trusts Caddy's local root certificate (and nothing else)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Caddyfile").write_text(config)
    log = (folder / "caddy.log").open("w")
    process = subprocess.Popen(
        [executable, "run", "--config", str(folder / "Caddyfile"), "--adapter", "caddyfile"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "xdg-data")},
    )
    root = folder / "storage" / "pki" / "authorities" / "local" / "root.crt"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("caddy did not start: " + (folder / "caddy.log").read_text())
            if root.exists():
                context = ssl.create_default_context(cafile=str(root))
                try:
                    if httpx.get(f"{url}/health", verify=context, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        yield context
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class TlsBrowser(Browser):
    """The owner's browser, trusting the proxy's certificate; keeps what it saw."""

    def __init__(self, trust: ssl.SSLContext) -> None:
        self.http = httpx.Client(follow_redirects=False, timeout=10, verify=trust)
        self.seen: list[Consent] = []

    def consent(self, authorize_url: str, code: str, **options: Any) -> Consent:
        seen = super().consent(authorize_url, code, **options)
        self.seen.append(seen)
        return seen
