"""Settings, built once from the environment and command-line flags.

This is the only package that reads environment variables; every name is a constant in
`config.names`, and `config.reading` checks each value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..domain.models import is_plausible_email
from ..errors import ConfigurationError
from .names import (
    ACCOUNT_MODES,
    APP_NAME,
    DEFAULT_BASE_URL,
    DEFAULT_CACHE_TTL_S,
    DEFAULT_HTTP_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_TIMEOUT_S,
    DEFAULT_TOKEN_TTL_S,
    ENV_ACCOUNTS,
    ENV_ALLOW_WRITES,
    ENV_ALLOWED_ACCOUNTS,
    ENV_BASE_URL,
    ENV_CACHE_TTL,
    ENV_DEMO,
    ENV_EMAIL,
    ENV_EXTENSION,
    ENV_HTTP_HOST,
    ENV_HTTP_PORT,
    ENV_KEY_FILE,
    ENV_LOG_FORMAT,
    ENV_LOG_LEVEL,
    ENV_ORIGINS,
    ENV_OTEL_DISABLED,
    ENV_OTEL_ENDPOINT,
    ENV_OTEL_METRICS_ENDPOINT,
    ENV_OTEL_METRICS_EXPORTER,
    ENV_OTEL_PROTOCOL,
    ENV_OTEL_SERVICE_NAME,
    ENV_OTEL_TRACES_ENDPOINT,
    ENV_OTEL_TRACES_EXPORTER,
    ENV_PASSWORD,
    ENV_PUBLIC_URL,
    ENV_REDIRECT_URIS,
    ENV_STATE,
    ENV_STATE_PASSWORD_FILE,
    ENV_TIMEOUT,
    ENV_TOKEN_TTL,
    ENV_TRUSTED_PROXIES,
    ENV_WHITELIST,
    ENV_WRITE_ENCODING,
    LOG_FORMATS,
    LOG_LEVELS,
    MAX_CACHE_TTL_S,
    MAX_TIMEOUT_S,
    MAX_TOKEN_TTL_S,
    WRITE_ENCODINGS,
)
from .reading import (
    LOOPBACK_NETWORKS,
    STATE_SCHEMES,
    _Reader,
    _shown,
    parse_allowed_writes,
    parse_state_url,
)
from .telemetry import Telemetry


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


__all__ = [
    "ACCOUNT_MODES",
    "APP_NAME",
    "DEFAULT_BASE_URL",
    "DEFAULT_CACHE_TTL_S",
    "DEFAULT_HTTP_HOST",
    "DEFAULT_HTTP_PORT",
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_TOKEN_TTL_S",
    "ENV_ACCOUNTS",
    "ENV_ALLOWED_ACCOUNTS",
    "ENV_ALLOW_WRITES",
    "ENV_BASE_URL",
    "ENV_CACHE_TTL",
    "ENV_DEMO",
    "ENV_EMAIL",
    "ENV_EXTENSION",
    "ENV_HTTP_HOST",
    "ENV_HTTP_PORT",
    "ENV_KEY_FILE",
    "ENV_LOG_FORMAT",
    "ENV_LOG_LEVEL",
    "ENV_ORIGINS",
    "ENV_OTEL_DISABLED",
    "ENV_OTEL_ENDPOINT",
    "ENV_OTEL_METRICS_ENDPOINT",
    "ENV_OTEL_METRICS_EXPORTER",
    "ENV_OTEL_PROTOCOL",
    "ENV_OTEL_SERVICE_NAME",
    "ENV_OTEL_TRACES_ENDPOINT",
    "ENV_OTEL_TRACES_EXPORTER",
    "ENV_PASSWORD",
    "ENV_PUBLIC_URL",
    "ENV_REDIRECT_URIS",
    "ENV_STATE",
    "ENV_STATE_PASSWORD_FILE",
    "ENV_TIMEOUT",
    "ENV_TOKEN_TTL",
    "ENV_TRUSTED_PROXIES",
    "ENV_WHITELIST",
    "ENV_WRITE_ENCODING",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "LOOPBACK_NAMES",
    "LOOPBACK_NETWORKS",
    "MAX_CACHE_TTL_S",
    "MAX_TIMEOUT_S",
    "MAX_TOKEN_TTL_S",
    "STATE_SCHEMES",
    "WRITE_ENCODINGS",
    "Settings",
    "Telemetry",
    "is_loopback_host",
    "parse_allowed_writes",
    "parse_state_url",
    "public_url",
]
