"""Settings, built once from the environment and command-line flags.

This is the only module that reads environment variables; every name is a constant here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigurationError
from .models import WRITE_TOOLS

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

_TRUE = {"1", "true", "yes", "on", "all", "*"}
_FALSE = {"", "0", "false", "no", "off", "none"}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def parse_allowed_writes(value: str | None) -> frozenset[str]:
    """`1`/`true`/`all` enables every write tool; a comma list enables just those."""
    text = (value or "").strip().lower()
    if text in _FALSE:
        return frozenset()
    if text in _TRUE:
        return frozenset(WRITE_TOOLS)
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = names - set(WRITE_TOOLS)
    if unknown:
        raise ConfigurationError(
            f"Unknown write tool(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(WRITE_TOOLS)}."
        )
    return frozenset(names)


def _user_dirs() -> tuple[Path, Path, Path]:
    import platformdirs

    return (
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved once."""

    base_url: str = DEFAULT_BASE_URL
    env_email: str | None = None
    env_password: str | None = field(default=None, repr=False)
    demo: bool = False
    whitelist_extra: tuple[str, ...] = ()
    cache_ttl_s: float = 20.0
    timeout_s: float = 30.0
    log_level: str = "WARNING"
    allowed_writes: frozenset[str] = frozenset()
    write_encoding: str = "json"
    config_dir: Path = Path()
    state_dir: Path = Path()
    cache_dir: Path = Path()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the environment (default: `os.environ`)."""
        env = os.environ if environ is None else environ
        config_dir, state_dir, cache_dir = _user_dirs()
        encoding = env.get(ENV_WRITE_ENCODING, "json").strip().lower()
        return cls(
            base_url=env.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
            env_email=env.get(ENV_EMAIL) or None,
            env_password=env.get(ENV_PASSWORD) or None,
            demo=_flag(env.get(ENV_DEMO)),
            whitelist_extra=tuple(
                e.strip() for e in env.get(ENV_WHITELIST, "").split(",") if e.strip()
            ),
            cache_ttl_s=max(0.0, _float(env.get(ENV_CACHE_TTL), 20.0)),
            timeout_s=max(1.0, _float(env.get(ENV_TIMEOUT), 30.0)),
            log_level=(env.get(ENV_LOG_LEVEL) or "WARNING").upper(),
            allowed_writes=parse_allowed_writes(env.get(ENV_ALLOW_WRITES)),
            write_encoding="form" if encoding == "form" else "json",
            config_dir=config_dir,
            state_dir=state_dir,
            cache_dir=cache_dir,
        )

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (command-line flags win over the environment)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def has_env_credentials(self) -> bool:
        """Both OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD are set."""
        return bool(self.env_email and self.env_password)

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
