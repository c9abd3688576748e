"""Settings as the tests vary them, and where a server process keeps its state."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import WRITE_TOOLS


def with_writes(
    settings: Settings, tools: Iterable[str] = WRITE_TOOLS, *, cached: bool = False
) -> Settings:
    """`settings` with the write `tools` enabled (all by default) and, unless `cached`,
    the live-data cache off, so that every read after a write goes to the portal."""
    enabled = settings.with_overrides(allowed_writes=frozenset(tools))
    return enabled if cached else enabled.with_overrides(cache_ttl_s=0.0)


def state_dir_of(env: dict[str, str]) -> Path:
    """Where a server process started with `env` keeps its state files."""
    return Path(env["XDG_STATE_HOME"]) / "oig-cloud-mcp"
