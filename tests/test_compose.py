"""The deployment for many homes (compose.yaml, deploy/), checked without a container runtime.

There is no Docker here, so the images are not built and the containers never run. What
is checked: the compose file parses and every variable it gives a replica is one the
server reads; every variable it reads from `.env` is in `.env.example` and back; the
Dockerfile installs the way the README does; `deploy/redis.conf` run by a real
redis-server keeps everything on disk and evicts nothing; and `deploy/Caddyfile` passes
`caddy validate` and, run by a real Caddy in front of three replicas started with the
compose file's own command and environment, carries a household's sign-in and its tool
calls to every replica, and its health checks pass. What differs from the containers:
the replicas listen on 0.0.0.0 of this machine with ports of their own, reached at
127.0.0.2-4 instead of `oig-1`-`oig-3`; the secrets and Redis are at other paths and
ports; Caddy's certificate comes from its own local CA, not Let's Encrypt.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml  # type: ignore[import-untyped]

from oig_cloud_mcp import config

from .fake_portal import BOX_ID, FakePortal
from .helpers.caddy import TlsBrowser, caddy_proxy, find_caddy
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.oauth import RawOAuth, call_tool, pkce
from .helpers.redis_servers import RedisServer, redis_server_path
from .helpers.remote import served
from .helpers.threaded import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
REPLICAS = sorted(name for name in SERVICES if name.startswith("oig-"))
CADDYFILE = (ROOT / "deploy" / "Caddyfile").read_text()
UPSTREAMS = re.compile(r"\boig-(\d+):8000\b")
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")
"""`${NAME}`, `${NAME:-default}`, `${NAME:?message}` (not `$${...}`, which is literal)."""


def env_example() -> dict[str, str]:
    """NAME=value lines of .env.example (comments and blank lines left out)."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def interpolated(text: str, values: dict[str, str]) -> str:
    """`text` as compose fills it in from `values` (its `.env`)."""

    def fill(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        value = values.get(name, "")
        if kind == "?" and not value:
            raise AssertionError(f"compose refuses to start without {name}: {rest}")
        return value if value or kind != "-" else rest

    return INTERPOLATION.sub(fill, text)


def replica(values: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A replica's command and environment, filled in from `values`."""
    service = SERVICES[REPLICAS[0]]
    command = [interpolated(str(word), values) for word in service["command"]]
    environment = {k: interpolated(str(v), values) for k, v in service["environment"].items()}
    return command, environment


def test_three_replicas_behind_caddy_share_one_redis_and_only_caddy_is_published() -> None:
    assert REPLICAS == ["oig-1", "oig-2", "oig-3"]
    first = SERVICES["oig-1"]
    for name in REPLICAS:
        assert SERVICES[name] == first  # the same service, three times
    assert "ports" not in first  # reached only through Caddy on the compose network
    assert "ports" not in SERVICES["redis"]
    assert SERVICES["caddy"]["ports"] == ["80:80", "443:443", "443:443/udp"]
    assert set(UPSTREAMS.findall(CADDYFILE)) == {"1", "2", "3"}
    assert first["environment"]["OIG_CLOUD_MCP_STATE"] == "redis://redis:6379/0"
    assert first["read_only"] is True  # nothing of a replica is on disk


def test_every_variable_a_replica_gets_is_one_the_server_reads() -> None:
    known = {value for name, value in vars(config).items() if name.startswith("ENV_")}

    for name in REPLICAS:
        assert set(SERVICES[name]["environment"]) - known == set()


def test_the_replicas_serve_many_homes_on_the_public_name_with_json_logs() -> None:
    command, environment = replica(env_example())
    settings = config.Settings.from_env(environment)  # every value is one it accepts

    assert command == [
        "serve", "--http", "--accounts", "multi", "--host", "0.0.0.0", "--port", "8000",
        "--public-url", "https://battery.example.org",
    ]  # fmt: skip
    assert settings.state_url == "redis://redis:6379/0"
    assert settings.log_format == "json"
    assert settings.key_file == Path("/run/secrets/key_ring")
    assert settings.state_password_file == Path("/run/secrets/redis_password")


def test_every_variable_compose_reads_is_in_the_env_example_and_back() -> None:
    read = {match.group(1) for match in INTERPOLATION.finditer(COMPOSE_TEXT)}
    caddy = set(re.findall(r"\{\$([A-Z0-9_]+)\}", CADDYFILE))

    assert read == set(env_example())
    assert caddy <= set(SERVICES["caddy"]["environment"])  # Caddy gets what its file reads
    with pytest.raises(AssertionError, match="OIG_PUBLIC_HOST"):
        replica({})  # compose stops with a sentence when the public name is missing


def test_secrets_are_files_outside_git_and_outside_the_image() -> None:
    secrets = COMPOSE["secrets"]
    environment = SERVICES["oig-1"]["environment"]

    assert secrets == {
        "redis_password": {"file": "./secrets/redis_password"},
        "key_ring": {"file": "./secrets/key_ring"},
    }
    assert environment["OIG_CLOUD_MCP_KEY_FILE"] == "/run/secrets/key_ring"
    assert environment["OIG_CLOUD_MCP_STATE_PASSWORD_FILE"] == "/run/secrets/redis_password"
    assert "redis_password" in SERVICES["redis"]["secrets"]
    assert "secrets/" in (ROOT / ".gitignore").read_text().splitlines()
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert dockerignore[dockerignore.index("*") + 1 :][:4] == [
        "!pyproject.toml", "!README.md", "!LICENSE", "!src/",
    ]  # fmt: skip


def test_the_dockerfile_installs_the_way_the_readme_does() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    readme = (ROOT / "README.md").read_text()
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    for step in ("python3 -m venv /opt/oig-cloud-mcp", "--home-dir /var/lib/oig oig"):
        assert step in readme, step
        assert step in dockerfile, step
    assert "/opt/oig-cloud-mcp/bin/pip install --no-cache-dir '/src[hosted]'" in dockerfile
    assert "COPY pyproject.toml README.md LICENSE /src/" in dockerfile
    assert "COPY src /src/src" in dockerfile
    assert project["readme"] == "README.md"  # what hatchling needs besides src/
    assert project["license-files"] == ["LICENSE"]
    assert 'ENTRYPOINT ["oig-cloud-mcp"]' in dockerfile


class ComposeRedis(RedisServer):
    """A redis-server on `deploy/redis.conf` with the password line compose.yaml adds (and
    this test's port, address and directory on the command line)."""

    def start(self) -> ComposeRedis:
        conf = self.directory / "redis.conf"
        conf.write_text(f"include {ROOT / 'deploy' / 'redis.conf'}\nrequirepass {self.password}\n")
        argv = [
            self.executable, str(conf),
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
            "--daemonize", "no", "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_answering()
        return self


def test_the_redis_config_keeps_every_key_on_disk_and_evicts_none(tmp_path: Path) -> None:
    server = ComposeRedis(redis_server_path(), tmp_path / "redis", password="a" * 64).start()
    try:
        stored = server.client()
        kept = {name: stored.config_get(name)[name] for name in ("appendonly", "appendfsync")}
        policy = stored.config_get("maxmemory-policy")["maxmemory-policy"]
        stored.set("oig:probe", "kept")
        time.sleep(1.5)  # appendfsync everysec: on disk within a second
        stored.close()
        server.kill()  # no clean shutdown, no RDB snapshot: only the append-only file
        server.start()
        after = server.client()
        survived = after.get("oig:probe")
        after.close()
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(port=server.port).ping()  # nobody without the password
    finally:
        server.kill()

    assert kept == {"appendonly": "yes", "appendfsync": "everysec"}
    assert policy == "noeviction"
    assert survived == "kept"


def upstream(number: int, ports: list[int]) -> str:
    """Where replica `number` is reached: 127.0.0.2, .3, .4 (loopback, but not a name the
    replicas answer to, as `oig-1` is not: only the public name lets a request in)."""
    return f"127.0.0.{number + 1}:{ports[number - 1]}"


def loopback_caddyfile(ports: list[int], storage: Path) -> str:
    """deploy/Caddyfile with each `oig-N:8000` upstream replaced by a loopback address (the
    compose names are not resolvable here), behind the test's global options: Caddy's
    own local CA instead of Let's Encrypt, no admin endpoint, loopback only, no port 80."""
    site = UPSTREAMS.sub(lambda match: upstream(int(match.group(1)), ports), CADDYFILE)
    options = (
        "admin off", "local_certs", "skip_install_trust", "auto_https disable_redirects",
        "default_bind 127.0.0.1", f"storage file_system {storage}",
    )  # fmt: skip
    return "{\n" + "".join(f"\t{option}\n" for option in options) + "}\n\n" + site


def test_caddy_validates_the_compose_caddyfile(tmp_path: Path) -> None:
    caddy = find_caddy()
    path = tmp_path / "Caddyfile"
    path.write_text(UPSTREAMS.sub(lambda m: f"127.0.0.1:{free_port()}", CADDYFILE))
    done = subprocess.run(
        [caddy, "validate", "--config", str(path), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path), "OIG_PUBLIC_HOST": "battery.example.org"},
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Valid configuration" in done.stdout + done.stderr


def served_flags(command: list[str]) -> list[str]:
    """The compose command's flags but `serve --http --port 8000`, which `served` passes
    (with a free port): the replica listens on 0.0.0.0 as in its container."""
    assert command[:2] == ["serve", "--http"]
    assert command[6:8] == ["--port", "8000"]
    return [*command[2:6], *command[8:]]


def sign_in(data: dict[str, str]) -> None:
    """The household fills in the consent page: its OIG Cloud login, no pairing code."""
    del data["code"]
    data.update(email=EMAIL, password=PASSWORD)


def test_through_the_compose_caddyfile_a_household_signs_in_and_every_replica_answers(
    tmp_path: Path,
    portal: FakePortal,
    portal_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caddy = find_caddy()
    password = "b" * 64
    store = ComposeRedis(redis_server_path(), tmp_path / "redis", password=password).start()
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "redis_password").write_text(password + "\n")
    (secrets / "key_ring").write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    (secrets / "key_ring").chmod(0o400)  # as the README's steps leave it
    https_port, ports = free_port(), [free_port() for _ in REPLICAS]
    storage = tmp_path / "caddy" / "storage"
    public_host = f"localhost:{https_port}"
    public = f"https://{public_host}"
    monkeypatch.setenv("OIG_PUBLIC_HOST", public_host)  # what compose gives Caddy
    command, environment = replica({**env_example(), "OIG_PUBLIC_HOST": public_host})
    environment = {
        **environment,
        "OIG_CLOUD_MCP_STATE": store.url,
        "OIG_CLOUD_MCP_STATE_PASSWORD_FILE": str(secrets / "redis_password"),
        "OIG_CLOUD_MCP_KEY_FILE": str(secrets / "key_ring"),
        "OIG_CLOUD_BASE_URL": portal_url,
    }
    flags = served_flags(command)
    homes = [tmp_path / f"home-{n}" for n in range(len(REPLICAS))]
    envs = [
        {**environment, "HOME": str(home), **{f"XDG_{kind}_HOME": str(home / kind) for kind in
            ("CONFIG", "STATE", "CACHE", "DATA")}}
        for home in homes
    ]  # fmt: skip
    for home in homes:
        home.mkdir()
    try:
        with (
            served(envs[0], *flags, port=ports[0]) as first,
            served(envs[1], *flags, port=ports[1]) as second,
            served(envs[2], *flags, port=ports[2]) as third,
            caddy_proxy(
                caddy, loopback_caddyfile(ports, storage), tmp_path / "caddy", public
            ) as trust,
        ):
            browser = TlsBrowser(trust)
            raw = RawOAuth(public)
            raw.http = httpx.Client(
                base_url=public, follow_redirects=False, timeout=10, verify=trust
            )
            client = raw.client()
            verifier, challenge = pkce()
            consent = browser.consent(
                raw.authorize_url(client["client_id"], challenge), "", edit=sign_in
            )
            tokens = raw.tokens(client, consent.redirect["code"], verifier).json()
            answers = [call_tool(raw, tokens["access_token"], "get_basic_data") for _ in range(6)]
            replicas = (first, second, third)
            before = [len(server.stderr_lines) for server in replicas]
            time.sleep(6)  # a round of Caddy's active health checks (every 5 s), nothing else
            checks = [
                "".join(server.stderr_lines[seen:])
                for server, seen in zip(replicas, before, strict=True)
            ]
            store.kill()  # Redis goes away: the replicas say 503, then so does Caddy
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            outage = [raw.mcp(tokens["access_token"]).status_code]
            time.sleep(6)  # Caddy's health checks see every replica failing
            outage += [raw.http.get("/health").status_code]
            outage += [raw.http.post("/mcp", json={}, headers=bearer).status_code]
            logs = ["".join(server.stderr_lines) for server in replicas]
            raw.close()
            browser.close()
    finally:
        store.kill()

    assert [answer["structuredContent"]["box_id"] for answer in answers] == [BOX_ID] * 6
    assert portal.count("Login.php") == 1  # the sign-in; every replica reuses its session
    assert outage == [503, 503, 503]  # never a 401 that would make a client drop its grant
    for log in logs:
        lines = [json.loads(line) for line in log.splitlines()]  # JSON, line by line
        messages = [line["message"] for line in lines]
        assert any(m.startswith("POST /mcp 200") for m in messages)  # round robin reached it
        assert PASSWORD not in log
        assert tokens["access_token"] not in log
    for check in checks:  # Caddy's health check carries the public name: 200, not 421
        assert "GET /health 200" in check
        assert "GET /health 421" not in check
    for home in homes:
        assert list(home.iterdir()) == []  # read_only: true holds, nothing is written


def test_a_replica_stopped_by_compose_exits_cleanly(
    tmp_path: Path, portal_url: str, real_redis: Any
) -> None:
    """`docker stop` sends SIGTERM and waits stop_grace_period (40 s) before SIGKILL: the
    replica, started with the compose command, ends well within it (exit code 143)."""
    key = tmp_path / "key_ring"
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    command, environment = replica(env_example())
    env = {
        **environment,
        "OIG_CLOUD_MCP_STATE": real_redis.url,
        "OIG_CLOUD_MCP_STATE_PASSWORD_FILE": "",
        "OIG_CLOUD_MCP_KEY_FILE": str(key),
        "OIG_CLOUD_BASE_URL": portal_url,
        "HOME": str(tmp_path / "home"),
    }
    grace = float(SERVICES["oig-1"]["stop_grace_period"].removesuffix("s"))
    with served(env, *served_flags(command)) as one:
        started = time.monotonic()
        code, _ = one.stop(signal.SIGTERM)
        took = time.monotonic() - started

    assert code == 143
    assert took < grace


def test_the_key_the_setup_steps_make_is_one_the_server_accepts(tmp_path: Path) -> None:
    """compose.yaml's and the README's setup make the key file with openssl."""
    import shutil

    from oig_cloud_mcp.state.vault import KeyRing

    step = "openssl rand -base64 32 > secrets/key_ring"
    assert step in COMPOSE_TEXT
    assert step in (ROOT / "README.md").read_text()
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl here")
    made = subprocess.run(
        [openssl, "rand", "-base64", "32"], capture_output=True, text=True, check=True
    )
    (tmp_path / "key_ring").write_text(made.stdout)

    ring = KeyRing.load(tmp_path / "key_ring", variable="OIG_CLOUD_MCP_KEY_FILE")
    assert ring.open(ring.seal(b"login", "h1"), "h1") == b"login"
