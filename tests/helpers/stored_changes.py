"""Pending changes as the state ports keep them."""

from __future__ import annotations

from datetime import UTC, datetime

from oig_cloud_mcp.domain.changes import StoredChange, ValueCheck

REQUESTED_AT = datetime(2025, 6, 28, 12, 0, tzinfo=UTC)


def change(value: int, *, status: str = "pending", box_id: str = "2205232120") -> StoredChange:
    """A tracked `set_box_mode` change to mode `value` (its id is the value in hex)."""
    return StoredChange(
        id=f"{value:x}",
        tool="set_box_mode",
        box_id=box_id,
        requested=f"mode {value}",
        requested_at=REQUESTED_AT,
        check=ValueCheck(table="box_prms", column="mode", value=value),
        status=status,  # type: ignore[arg-type]
    )
