"""The recorded json.php answer of one box (tests/fixtures), and the time it was read."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from oig_cloud_mcp.domain.parsing import PORTAL_TZ

SAMPLE_PATH = (
    Path(__file__).resolve().parent.parent / "fixtures" / ("json_php_live_stats_single_box.json")
)
BOX_ID = "2205232120"
"""The one box of the sample."""
NOW = datetime(2025, 4, 5, 21, 0, 43, tzinfo=PORTAL_TZ)
"""Five minutes after the sample's `lastcall`."""


@cache
def _recorded() -> dict[str, Any]:
    return json.loads(SAMPLE_PATH.read_text())  # type: ignore[no-any-return]


def sample_payload() -> dict[str, Any]:
    """A fresh copy of the whole json.php answer, boxes by id (yours to change)."""
    return copy.deepcopy(_recorded())


def sample_box() -> dict[str, Any]:
    """A fresh copy of the sample box's data (yours to change)."""
    return sample_payload()[BOX_ID]  # type: ignore[no-any-return]
