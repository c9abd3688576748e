"""Settings, built once from the environment and command-line flags.

This is the only module that reads environment variables; every name is a constant here.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from .domain.models import WRITE_TOOLS, is_plausible_email
from .errors import ConfigurationError

APP_NAME = "oig-cloud-mcp"
DEFAULT_BASE_URL = "https://portal.oigpower.cz/"

ENV_EMAIL = "OIG_CLOUD_EMAIL"
ENV_PASSWORD = "OIG_CLOUD_PASSWORD"  # noqa: S105 - the variable's name, not a password
ENV_BASE_URL = "OIG_CLOUD_BASE_URL"
ENV_DEMO = "OIG_CLOUD_MCP_DEMO"
ENV_WHITELIST = "OIG_CLOUD_MCP_WHITELIST"
ENV_CACHE_TTL = "OIG_CLOUD_MCP_CACHE_TTL"
ENV_TIMEOUT = "OIG_CLOUD_MCP_TIMEOUT"
ENV_LOG_LEVEL = "OIG_CLOUD_MCP_LOG_LEVEL"
ENV_ALLOW_WRITES = "OIG_CLOUD_MCP_ALLOW_WRITES"
ENV_WRITE_ENCODING = "OIG_CLOUD_WRITE_ENCODING"
ENV_EXTENSION = "OIG_CLOUD_MCP_EXTENSION"
"""Set to 1 by the Claude Desktop extension's manifest: messages then point to its settings."""
ENV_HTTP_HOST = "OIG_CLOUD_MCP_HTTP_HOST"
ENV_HTTP_PORT = "OIG_CLOUD_MCP_HTTP_PORT"
ENV_PUBLIC_URL = "OIG_CLOUD_MCP_PUBLIC_URL"
ENV_TOKEN_TTL = "OIG_CLOUD_MCP_TOKEN_TTL"  # noqa: S105 - a variable name
ENV_REDIRECT_URIS = "OIG_CLOUD_MCP_REDIRECT_URIS"
ENV_ORIGINS = "OIG_CLOUD_MCP_ORIGINS"
ENV_ACCOUNTS = "OIG_CLOUD_MCP_ACCOUNTS"
ENV_KEY_FILE = "OIG_CLOUD_MCP_KEY_FILE"
ENV_STATE = "OIG_CLOUD_MCP_STATE"
ENV_STATE_PASSWORD_FILE = "OIG_CLOUD_MCP_STATE_PASSWORD_FILE"  # noqa: S105 - a variable name
ENV_ALLOWED_ACCOUNTS = "OIG_CLOUD_MCP_ALLOWED_ACCOUNTS"
ENV_TRUSTED_PROXIES = "OIG_CLOUD_MCP_TRUSTED_PROXIES"
ENV_LOG_FORMAT = "OIG_CLOUD_MCP_LOG_FORMAT"
# OpenTelemetry's own variables (the SDK reads the rest: headers, timeouts, intervals)
ENV_OTEL_DISABLED = "OTEL_SDK_DISABLED"
ENV_OTEL_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_OTEL_TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
ENV_OTEL_METRICS_ENDPOINT = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
ENV_OTEL_TRACES_EXPORTER = "OTEL_TRACES_EXPORTER"
ENV_OTEL_METRICS_EXPORTER = "OTEL_METRICS_EXPORTER"
ENV_OTEL_PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL"
ENV_OTEL_SERVICE_NAME = "OTEL_SERVICE_NAME"

DEFAULT_TIMEOUT_S = 30.0
MAX_TIMEOUT_S = 600.0
"""Longer than any portal answer worth waiting for; a client gives up well before."""
DEFAULT_HTTP_HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 8000
DEFAULT_TOKEN_TTL_S = 24 * 3600.0
"""Access tokens last a day: some connectors (claude.ai's) refresh badly."""
MAX_TOKEN_TTL_S = 30 * 24 * 3600.0
DEFAULT_CACHE_TTL_S = 20.0
MAX_CACHE_TTL_S = 3600.0
"""Live data older than an hour is not live any more."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_ALL_WRITES = _TRUE | {"all", "*"}
_NO_WRITES = _FALSE | {"none"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
ACCOUNT_MODES = ("single", "multi")
WRITE_ENCODINGS = ("json", "form")
_UNFILLED = re.compile(r"\$\{user_config\.[^}]*\}")
"""What Claude Desktop's extension host passes for an optional field left empty."""
_DOMAIN = re.compile(r"@[^@\s]+\.[^@\s]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
"""A number of seconds as people type it: ASCII digits, an optional decimal point."""


def _text(value: str | None) -> str:
    """A setting's text; an unfilled `${user_config.NAME}` placeholder counts as unset."""
    text = (value or "").strip()
    return "" if _UNFILLED.fullmatch(text) else text


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


class _Reader:
    """Reads variables from one environment and collects every problem in one sentence."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str) -> str:
        return _text(self.env.get(name))

    def secret(self, name: str) -> str | None:
        """The value as given (a password may end in a space), or None when unset."""
        value = self.env.get(name) or ""
        return value if _text(value) else None

    def refuse(self, name: str, accepts: str) -> None:
        self.problems.append(f"{name} must be {accepts}, not {_shown(self.text(name))}.")

    def flag(self, name: str) -> bool:
        text = self.text(name).lower()
        if text not in _TRUE | _FALSE:
            self.refuse(name, "1, true, yes or on (or 0, false, no, off)")
        return text in _TRUE

    def seconds(self, name: str, default: float, *, allow_zero: bool, most: float) -> float:
        """ASCII digits with an optional decimal point (no exponent, no other script's
        digits, no inf), from 0 (or just above) up to `most`."""
        text = self.text(name)
        if not text:
            return default
        value = float(text) if _DECIMAL.fullmatch(text) else math.nan
        if math.isnan(value) or (value == 0 and not allow_zero):
            low = "0 or more" if allow_zero else "more than 0"
            self.refuse(name, f"a number of seconds, {low} (default {default:g})")
            return default
        if value > most:
            self.refuse(name, f"a number of seconds, at most {most:g} (default {default:g})")
            return default
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        text = self.text(name)
        if not text:
            return default
        for choice in choices:
            if choice.lower() == text.lower():
                return choice
        self.refuse(name, f"one of {', '.join(choices)} (default {default})")
        return default

    def url(self, name: str, default: str) -> str:
        text = self.text(name)
        if not text:
            return default
        try:
            parts = urlsplit(text)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError for a port that is not one
        except ValueError:  # e.g. an unclosed IPv6 bracket, a port out of range
            usable = False
        if not usable:
            self.refuse(name, f"an http:// or https:// URL such as {default}")
            return default
        return text

    def port(self, name: str, default: int) -> int:
        text = self.text(name)
        if not text:
            return default
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
            self.refuse(name, f"a port number from 1 to 65535 (default {default})")
            return default
        return int(text)

    def urls(self, name: str, example: str) -> tuple[str, ...]:
        """A comma-separated list of http(s) URLs (no spaces inside one)."""
        found = tuple(u.strip() for u in self.text(name).split(",") if u.strip())
        for url in found:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                self.problems.append(
                    f"{name} must be a comma-separated list of URLs such as {example}; "
                    f"{_shown(url)} is not one."
                )
                return ()
        return found

    def state_url(self, name: str) -> str:
        """ "" (the state directory) or a redis:// / rediss:// / unix:// URL."""
        try:
            return parse_state_url(self.text(name), source=name)
        except ConfigurationError as exc:
            self.problems.append(str(exc))
            return ""

    def account_patterns(self, name: str) -> tuple[str, ...]:
        """E-mails and `@domain`s."""
        found = tuple(e.strip().casefold() for e in self.text(name).split(",") if e.strip())
        bad = [e for e in found if not (is_plausible_email(e) or _DOMAIN.fullmatch(e))]
        if bad:
            self.problems.append(
                f"{name} must be a comma-separated list of e-mails or @domains such as "
                f"@example.com; {_shown(bad[0])} is neither."
            )
            return ()
        return found

    def networks(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """Addresses or networks (CIDR), normalised; `default` when unset."""
        kept: list[str] = []
        for item in (n.strip() for n in self.text(name).split(",")):
            try:
                kept += [str(ipaddress.ip_network(item, strict=False))] if item else []
            except ValueError:
                self.problems.append(
                    f"{name} must be a comma-separated list of addresses or networks such "
                    f"as 10.0.0.0/8; {_shown(item)} is neither."
                )
                return default
        return tuple(kept) or default

    def emails(self, name: str) -> tuple[str, ...]:
        found = tuple(e.strip() for e in self.text(name).split(",") if e.strip())
        bad = [e for e in found if not is_plausible_email(e)]
        if bad:
            self.problems.append(
                f"{name} must be a comma-separated list of e-mail addresses; "
                f"{_shown(bad[0])} is not one."
            )
        return tuple(e for e in found if e not in bad)

    def writes(self, name: str) -> frozenset[str]:
        try:
            return parse_allowed_writes(self.env.get(name), source=name)
        except ConfigurationError as exc:
            self.problems.append(str(exc))
            return frozenset()

    def exporters(self, name: str, *, configured: bool) -> tuple[str, ...]:
        """An `OTEL_*_EXPORTER` list: unset is `otlp` once anything is `configured`."""
        given = [e.strip().lower() for e in self.text(name).split(",") if e.strip()]
        if any(e not in OTEL_EXPORTERS for e in given):
            self.refuse(name, "a comma-separated list of otlp, console or none")
            return ()
        chosen = given or (["otlp"] if configured else [])
        return tuple(dict.fromkeys(e for e in chosen if e != "none"))

    def telemetry(self) -> Telemetry:
        """OpenTelemetry: on only when an OTLP endpoint or an `OTEL_*_EXPORTER` is set."""
        names = (ENV_OTEL_ENDPOINT, ENV_OTEL_TRACES_ENDPOINT, ENV_OTEL_METRICS_ENDPOINT)
        configured = any(self.text(name) for name in names)
        if self.text(ENV_OTEL_DISABLED).lower() == "true":
            return Telemetry()
        traces = self.exporters(ENV_OTEL_TRACES_EXPORTER, configured=configured)
        metrics = self.exporters(ENV_OTEL_METRICS_EXPORTER, configured=configured)
        if not traces and not metrics:
            return Telemetry()
        for signal in ("", "TRACES_", "METRICS_"):
            name = f"OTEL_EXPORTER_OTLP_{signal}PROTOCOL"
            if self.text(name) not in ("", "http/protobuf") and "otlp" in traces + metrics:
                self.refuse(name, "http/protobuf (the only OTLP protocol this server sends)")
        base = _plain_url(self.url(ENV_OTEL_ENDPOINT, OTLP_DEFAULT)).rstrip("/")
        return Telemetry(
            traces=traces,
            metrics=metrics,
            traces_endpoint=_plain_url(
                self.url(ENV_OTEL_TRACES_ENDPOINT, "") or f"{base}/v1/traces"
            ),
            metrics_endpoint=_plain_url(
                self.url(ENV_OTEL_METRICS_ENDPOINT, "") or f"{base}/v1/metrics"
            ),
            service_name=self.text(ENV_OTEL_SERVICE_NAME) or APP_NAME,
        )


OTEL_EXPORTERS = ("otlp", "console", "none")
OTLP_DEFAULT = "http://localhost:4318"


def _plain_url(url: str) -> str:
    """`url` without a user name, password, query or fragment: safe to show."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(frozen=True)
class Telemetry:
    """Where OpenTelemetry traces and metrics go (the standard `OTEL_*` variables).

    Off unless the owner sets an OTLP endpoint or an exporter; the SDK then reads the
    other `OTEL_*` variables itself. The endpoints are kept as shown: no credentials.
    """

    traces: tuple[str, ...] = ()
    """Span exporters: `otlp` (OTLP over HTTP), `console` (stderr)."""
    metrics: tuple[str, ...] = ()
    traces_endpoint: str = ""
    metrics_endpoint: str = ""
    service_name: str = APP_NAME

    @property
    def enabled(self) -> bool:
        """Whether anything is exported at all."""
        return bool(self.traces or self.metrics)


STATE_SCHEMES = ("redis", "rediss", "unix")
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
"""Trusted proxies by default: one on this machine (Caddy, a tunnel's agent)."""


def parse_state_url(text: str, *, source: str = ENV_STATE) -> str:
    """Where state lives: "" (the state directory) or a Redis URL, as given.

    Raises `ConfigurationError` naming `source` (the variable or flag), never the URL
    itself: it may hold the Redis password.
    """
    text = text.strip()
    if text and urlsplit(text).scheme not in STATE_SCHEMES:
        raise ConfigurationError(
            f"{source} must be a redis://, rediss:// or unix:// URL such as "
            "redis://127.0.0.1:6379/0 (or unset for the state directory)."
        )
    return text


def parse_allowed_writes(value: str | None, *, source: str = ENV_ALLOW_WRITES) -> frozenset[str]:
    """`1`/`true`/`all` enables every write tool; a comma list enables just those.

    An item may also be `TOOL=true` or `TOOL=false` (one checkbox per tool, as the Claude
    Desktop extension passes them; an unfilled placeholder there counts as false).
    `source` (the variable or flag the value came from) names it in the error.
    """
    text = _text(value).lower()
    if text in _NO_WRITES:
        return frozenset()
    if text in _ALL_WRITES:
        return frozenset(WRITE_TOOLS)
    enabled: set[str] = set()
    named: set[str] = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, ticked, flag = item.partition("=")
        name, flag = name.strip(), _text(flag).lower()
        if name in named:  # `x=true,x=false` must not fail open
            raise ConfigurationError(f"{source} names {name} twice; name each write tool once.")
        named.add(name)
        if ticked and flag not in _TRUE | _FALSE:
            raise ConfigurationError(
                f"{source}: {item} must end in =true or =false (or leave out the =)."
            )
        if not ticked or flag in _TRUE:
            enabled.add(name)
    unknown = named - set(WRITE_TOOLS)
    if unknown:
        raise ConfigurationError(
            f"{source} must be all (or 1), or a comma-separated list of "
            f"{', '.join(WRITE_TOOLS)}; {', '.join(sorted(unknown))} is not a write tool."
        )
    return frozenset(enabled)


def _user_dirs() -> tuple[Path, Path]:
    import platformdirs

    return (
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
    )


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved once."""

    base_url: str = DEFAULT_BASE_URL
    env_email: str | None = None
    env_password: str | None = field(default=None, repr=False)
    demo: bool = False
    whitelist_extra: tuple[str, ...] = ()
    cache_ttl_s: float = DEFAULT_CACHE_TTL_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    log_level: str = "WARNING"
    allowed_writes: frozenset[str] = frozenset()
    write_encoding: str = "json"
    extension: bool = False
    """Started by the Claude Desktop extension (OIG_CLOUD_MCP_EXTENSION)."""
    http_host: str = DEFAULT_HTTP_HOST
    http_port: int = DEFAULT_HTTP_PORT
    public_url: str = ""
    """Where clients reach the HTTP server (checked by `remote.checked_public_url`)."""
    token_ttl_s: float = DEFAULT_TOKEN_TTL_S
    redirect_uris: tuple[str, ...] = ()
    """Redirect URIs clients may register besides loopback and the known connectors'."""
    origins: tuple[str, ...] = ()
    """Browser origins allowed besides the public URL's, loopback and the connectors'."""
    accounts: str = "single"
    """single: one home, consent by pairing code; multi: each household signs in with its
    own OIG Cloud account on the consent page."""
    key_file: Path | None = None
    """The key ring that seals households' logins (multi)."""
    state_url: str = field(default="", repr=False)
    """Where state lives: "" for the state directory, or redis://… (may hold a password)."""
    state_password_file: Path | None = None
    allowed_accounts: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = LOOPBACK_NETWORKS
    """Peers whose X-Forwarded-For names the client (the reverse proxy's address)."""
    """E-mails or @domains that may sign in (multi); empty: anyone with an OIG account."""
    log_format: str = "text"
    telemetry: Telemetry = field(default_factory=Telemetry)
    """OpenTelemetry export (see `Telemetry`); off by default."""
    config_dir: Path = Path()
    state_dir: Path = Path()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the environment (default: `os.environ`).

        Raises `ConfigurationError` naming every variable whose value cannot be used, and
        what it accepts. Empty variables and unfilled `${user_config.NAME}` placeholders
        count as unset.
        """
        read = _Reader(os.environ if environ is None else environ)
        email, password = read.text(ENV_EMAIL) or None, read.secret(ENV_PASSWORD)
        if email and password and not is_plausible_email(email):
            read.refuse(ENV_EMAIL, "the e-mail address of the OIG Cloud account")
        base_url = read.url(ENV_BASE_URL, DEFAULT_BASE_URL)
        demo = read.flag(ENV_DEMO)
        whitelist_extra = read.emails(ENV_WHITELIST)
        cache_ttl_s = read.seconds(
            ENV_CACHE_TTL, DEFAULT_CACHE_TTL_S, allow_zero=True, most=MAX_CACHE_TTL_S
        )
        timeout_s = read.seconds(
            ENV_TIMEOUT, DEFAULT_TIMEOUT_S, allow_zero=False, most=MAX_TIMEOUT_S
        )
        log_level = read.choice(ENV_LOG_LEVEL, LOG_LEVELS, "WARNING")
        allowed_writes = read.writes(ENV_ALLOW_WRITES)
        write_encoding = read.choice(ENV_WRITE_ENCODING, WRITE_ENCODINGS, "json")
        extension = read.flag(ENV_EXTENSION)
        http_host = read.text(ENV_HTTP_HOST) or DEFAULT_HTTP_HOST
        http_port = read.port(ENV_HTTP_PORT, DEFAULT_HTTP_PORT)
        public_url = read.url(ENV_PUBLIC_URL, "") if read.text(ENV_PUBLIC_URL) else ""
        token_ttl_s = read.seconds(
            ENV_TOKEN_TTL, DEFAULT_TOKEN_TTL_S, allow_zero=False, most=MAX_TOKEN_TTL_S
        )
        redirect_uris = read.urls(ENV_REDIRECT_URIS, "https://app.example.com/callback")
        origins = read.urls(ENV_ORIGINS, "https://app.example.com")
        accounts = read.choice(ENV_ACCOUNTS, ACCOUNT_MODES, "single")
        key_file = Path(read.text(ENV_KEY_FILE)) if read.text(ENV_KEY_FILE) else None
        state_url = read.state_url(ENV_STATE)
        password_file = read.text(ENV_STATE_PASSWORD_FILE)
        allowed_accounts = read.account_patterns(ENV_ALLOWED_ACCOUNTS)
        trusted_proxies = read.networks(ENV_TRUSTED_PROXIES, LOOPBACK_NETWORKS)
        log_format = read.choice(ENV_LOG_FORMAT, LOG_FORMATS, "text")
        telemetry = read.telemetry()
        if read.problems:
            raise ConfigurationError(" ".join(read.problems))
        config_dir, state_dir = _user_dirs()
        return cls(
            base_url=base_url,
            env_email=email,
            env_password=password,
            demo=demo,
            whitelist_extra=whitelist_extra,
            cache_ttl_s=cache_ttl_s,
            timeout_s=timeout_s,
            log_level=log_level,
            allowed_writes=allowed_writes,
            write_encoding=write_encoding,
            extension=extension,
            http_host=http_host,
            http_port=http_port,
            public_url=public_url,
            token_ttl_s=token_ttl_s,
            redirect_uris=redirect_uris,
            origins=origins,
            accounts=accounts,
            key_file=key_file,
            state_url=state_url,
            state_password_file=Path(password_file) if password_file else None,
            allowed_accounts=allowed_accounts,
            trusted_proxies=trusted_proxies,
            log_format=log_format,
            telemetry=telemetry,
            config_dir=config_dir,
            state_dir=state_dir,
        )

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (command-line flags win over the environment)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def has_env_credentials(self) -> bool:
        """Both OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD are set."""
        return bool(self.env_email and self.env_password)

    @property
    def whitelisted_by_env(self) -> tuple[str, ...]:
        """The e-mails the environment puts on the whitelist: OIG_CLOUD_MCP_WHITELIST, and
        OIG_CLOUD_EMAIL when OIG_CLOUD_PASSWORD is set too (whoever sets both in the MCP
        client's configuration has chosen that account, where OIG_CLOUD_MCP_WHITELIST
        would be set as well)."""
        if self.env_email and self.has_env_credentials:
            return (*self.whitelist_extra, self.env_email)
        return self.whitelist_extra

    @property
    def missing_env_credential(self) -> str | None:
        """The variable missing when only one of OIG_CLOUD_EMAIL / OIG_CLOUD_PASSWORD is set."""
        if bool(self.env_email) == bool(self.env_password):
            return None
        return ENV_PASSWORD if self.env_email else ENV_EMAIL

    @property
    def whitelist_path(self) -> Path:
        """The whitelist file."""
        return self.config_dir / "whitelist.txt"

    @property
    def account_path(self) -> Path:
        """The file naming the account `login` stored."""
        return self.config_dir / "account"

    @property
    def session_path(self) -> Path:
        """The session-cookie file."""
        return self.state_dir / "session.json"

    @property
    def backoff_path(self) -> Path:
        """The persisted login-backoff state."""
        return self.state_dir / "login_backoff.json"

    @property
    def pending_path(self) -> Path:
        """Writes accepted by the portal and not yet seen applied."""
        return self.state_dir / "pending_changes.json"

    @property
    def audit_path(self) -> Path:
        """The JSON-lines audit log of write tools."""
        return self.state_dir / "audit.jsonl"


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback_host(host: str) -> bool:
    """Whether `host` is this machine only (a bind address or a URL's host)."""
    return host.lower() in LOOPBACK_NAMES or host.startswith("127.")


def public_url(settings: Settings) -> str:
    """Where clients reach the HTTP server: `--public-url` (https unless on loopback), or on
    a loopback bind `http://HOST:PORT`. Raises `ConfigurationError` with one sentence.

    Written without a trailing slash, exactly as OAuth clients compare the issuer.
    """
    given = settings.public_url.strip()
    if not given:
        if not is_loopback_host(settings.http_host):
            raise ConfigurationError(
                f"Serving on {settings.http_host} reaches other machines, so clients need the "
                "address they use: pass --public-url https://… (or set "
                f"{ENV_PUBLIC_URL}); nothing was started."
            )
        host = f"[{settings.http_host}]" if ":" in settings.http_host else settings.http_host
        return f"http://{host}:{settings.http_port}"
    parts = urlsplit(given)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            f"--public-url {_shown(given)} must be a plain address such as "
            "https://battery.example.com (no user, query or fragment)."
        )
    if parts.path.strip("/"):
        raise ConfigurationError(
            f"--public-url {_shown(given)} must be the server's root, without a path: the MCP "
            "endpoint is /mcp below it."
        )
    if parts.scheme != "https" and not is_loopback_host(parts.hostname or ""):
        raise ConfigurationError(
            f"--public-url {_shown(given)} must start with https:// (a token must never cross "
            "the internet unencrypted); http:// is only for loopback addresses."
        )
    return f"{parts.scheme}://{parts.netloc}"
