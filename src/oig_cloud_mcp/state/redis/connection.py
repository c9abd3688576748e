"""The connection to the shared Redis: `connect`, the key layout and the one place where
redis-py's exceptions become ours.

A `Store` is a redis-py asyncio client, the address to name in messages (host:port/db,
never a password) and the key prefix that lets several deployments share one Redis.
Every key is `prefix + kind + ":" + ...`; accounts appear in key names only as a digest,
so no e-mail shows up in a key listing, `MONITOR` or a slow log.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import redis.asyncio
from opentelemetry import metrics
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import AuthenticationError, OutOfMemoryError, RedisError, ResponseError

from ... import __version__
from ...domain.models import account_key
from ...errors import ConfigurationError, StateUnavailableError

log = logging.getLogger(__name__)
T = TypeVar("T")
Raw = bytes | str | None
"""A value as redis-py types it (the client decodes, so in fact str or None)."""

DEFAULT_PREFIX = "oig:"
DEFAULT_TIMEOUT_S = 5.0
"""How long one Redis command may take (connecting included) before the call fails."""
RETRIES = 2
"""Commands are sent again this often after a dropped connection (a restarted Redis)."""
SCHEMES = ("redis", "rediss", "unix")

NOT_ANSWERING = "The shared state (Redis at {where}) is not answering; try again in a moment."
AUTH_REFUSED = (
    "The shared state (Redis at {where}) refused the password; check the Redis URL or the "
    "password file the server was started with."
)
OUT_OF_MEMORY = (
    "The shared state (Redis at {where}) refused a write: Redis is out of memory "
    "(maxmemory); raise its memory limit or free memory, and try again."
)
COMMAND_REFUSED = (
    "The shared state (Redis at {where}) refused a command ({code}); check that server (its "
    "memory limit, or whether it is a read-only replica) and try again."
)

ROUND_TRIPS = metrics.get_meter("oig_cloud_mcp.state", __version__).create_counter(
    "oig.state.redis.round_trips",
    unit="{round_trip}",
    description="Requests sent to the shared Redis: one command, or one whole pipeline.",
)


def _counting(connection: type[AbstractConnection]) -> type[AbstractConnection]:
    """`connection` counting each send (through the OpenTelemetry API: a no-op until the
    telemetry is on): a command or a whole pipeline goes out in one send and is answered
    before the next, so each is one round trip."""

    async def send_packed_command(self: Any, command: Any, check_health: bool = True) -> None:
        ROUND_TRIPS.add(1)
        await connection.send_packed_command(self, command, check_health)

    return type(connection.__name__, (connection,), {"send_packed_command": send_packed_command})


@dataclass(frozen=True)
class Store:
    """A Redis client, its address for messages and the prefix of every key."""

    redis: redis.asyncio.Redis
    where: str
    """host:port/db (or the socket path): what messages name, never a password."""
    prefix: str = DEFAULT_PREFIX

    def key(self, *parts: str) -> str:
        """`prefix` + the parts joined with ":" (for keys that name no account)."""
        return self.prefix + ":".join(parts)

    def account_key(self, kind: str, account: str) -> str:
        """The key of one account's `kind`, e.g. `oig:session:<digest of the account>`."""
        return self.key(kind, account_digest(account))

    def pattern(self, *parts: str) -> str:
        """A SCAN pattern matching every key below `key(*parts)`."""
        return re.sub(r"([*?\[\]\\])", r"\\\1", self.key(*parts, "")) + "*"

    def unavailable(self, template: str = NOT_ANSWERING, **fields: str) -> StateUnavailableError:
        """Our error for the shared state, naming its address."""
        return StateUnavailableError(template.format(where=self.where, **fields), where=self.where)

    @contextlib.contextmanager
    def translating(self) -> Iterator[None]:
        """Turn redis-py's and the socket's failures into `StateUnavailableError`."""
        try:
            yield
        except AuthenticationError as exc:
            raise self.unavailable(AUTH_REFUSED) from exc
        except ResponseError as exc:
            if isinstance(exc, OutOfMemoryError) or _out_of_memory(exc):
                raise self.unavailable(OUT_OF_MEMORY) from exc
            raise self.unavailable(COMMAND_REFUSED, code=_error_code(exc)) from exc
        except (RedisError, OSError) as exc:  # ConnectionError, TimeoutError, BusyLoading, ...
            log.debug("Redis at %s failed: %r", self.where, exc)
            raise self.unavailable() from exc

    async def transaction(self, attempt: Callable[[Pipeline], Awaitable[T]], *watched: str) -> T:
        """Run `attempt` under WATCH of `watched`; it reads in immediate mode, calls
        `pipe.multi()` and queues its writes. When a watched key changed before EXEC, it runs
        again on the new values (optimistic locking), so it must have no side effects."""
        with self.translating():
            result: T = await self.redis.transaction(attempt, *watched, value_from_callable=True)
        return result

    async def ping(self) -> None:
        """Raise `StateUnavailableError` unless Redis answers now."""
        with self.translating():
            await self.redis.ping()

    async def aclose(self) -> None:
        """Close the client's connections."""
        with contextlib.suppress(RedisError, OSError):
            await self.redis.aclose()


def _out_of_memory(exc: ResponseError) -> bool:
    """Whether Redis answered OOM: redis-py strips the "OOM" code from the message of its
    `OutOfMemoryError`, but a `ResponseError` raised elsewhere (a pipeline's EXEC) may
    still carry it, or only the words."""
    text = str(exc)
    return text.startswith("OOM ") or "used memory > 'maxmemory'" in text


def _error_code(exc: ResponseError) -> str:
    """The code of Redis's error (READONLY, NOPERM, …): redis-py keeps it as `status_code`
    where it knows it and strips it from the message."""
    code = getattr(exc, "status_code", None) or str(exc).split(" ", 1)[0]
    return str(code)[:20] or "error"


def start_writes(pipe: Pipeline) -> None:
    """MULTI: in a `Store.transaction` attempt, what follows is queued for EXEC."""
    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated


def account_digest(account: str) -> str:
    """What stands for an account in key names: not its e-mail, but a digest of it.

    Not a secret: someone who can read the Redis can still test a guessed e-mail; it keeps
    addresses out of key listings and logs.
    """
    data = b"oig-cloud-mcp account\x00" + account_key(account).encode()
    return hashlib.sha256(data).hexdigest()[:32]


def connect(
    url: str,
    password_file: Path | None = None,
    *,
    prefix: str = DEFAULT_PREFIX,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Store:
    """A `Store` for the Redis at `url`: `redis://[[user]:password@]host[:port][/db]`,
    `rediss://...` (TLS, the server's certificate verified) or `unix:///path?db=0`.

    The password may come from the URL or, better, from `password_file` (its first line;
    a Docker or Kubernetes secret), not both. Nothing is sent until the first command.
    Raises `ConfigurationError` naming what is wrong, never echoing the URL (it may hold
    the password).
    """
    where, has_password = _address(url)
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES),
        # redis-py 5 retries only what this lists (later versions these by default)
        "retry_on_error": [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
    }
    if url.startswith("rediss:"):  # the certificate and its host name (redis-py 5 skips it)
        options |= {"ssl_cert_reqs": "required", "ssl_check_hostname": True}
    if password_file is not None:
        if has_password:
            raise ConfigurationError(
                "Give the Redis password either in the URL or in the password file, not both."
            )
        options["password"] = _read_password(password_file)
    if not prefix or any(c.isspace() for c in prefix):
        raise ConfigurationError(
            f"The Redis key prefix must be a word without spaces, such as {DEFAULT_PREFIX!r}."
        )
    try:
        client = redis.asyncio.Redis.from_url(url, **options)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"The Redis URL for {where} cannot be used ({type(exc).__name__}); write it as "
            "redis://host:6379/0, rediss://host:6380/0 or unix:///path/to/redis.sock."
        ) from None
    pool = client.connection_pool
    pool.connection_class = _counting(pool.connection_class)
    return Store(client, where, prefix)


def _address(url: str) -> tuple[str, bool]:
    """host:port/db (or the socket path) of `url`, and whether it carries a password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in SCHEMES:
        raise ConfigurationError(
            "The Redis URL must start with redis://, rediss:// (TLS) or unix://, for example "
            "redis://localhost:6379/0."
        )
    has_password = bool(parts.password)
    if parts.scheme == "unix":
        return unquote(parts.path), has_password
    if not parts.hostname:
        raise ConfigurationError(
            "The Redis URL names no host, for example redis://localhost:6379/0."
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    database = parts.path.strip("/") or "0"
    return f"{host}:{port or 6379}/{database}", has_password


def _read_password(path: Path) -> str:
    """The first line of the password file (without its line break)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigurationError(
            f"The Redis password file {path} cannot be read ({reason})."
        ) from None
    password = text.splitlines()[0] if text else ""
    if not password:
        raise ConfigurationError(f"The Redis password file {path} is empty.")
    return password
