"""Turn the portal's raw `json.php` and `json2.php` payloads into our models.

Pure functions: no I/O, the current time is passed in. Every portal field is
treated as optional (spec §5.1, §8); what is missing becomes `None`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidRequestError, PortalError
from .models import BOX_MODES, REPORTED_ONLY_MODES, GridDelivery, Number

PORTAL_TZ = ZoneInfo("Europe/Prague")
UNLIMITED_EXPORT_W = 10000
MAX_MAGNITUDE = 1e12
"""The largest portal number we believe (in absolute value). The biggest real field is a
year counter of a few thousand kWh or an installed size of some 100,000 W; anything past
this is damage, and reading it would overflow sums and averages."""
_BOX_KEY = re.compile(r"[0-9]{1,20}")


HISTORY_FIELDS: dict[str, tuple[tuple[int, str, str], ...]] = {
    "batt": ((0, "voltage", "V"), (1, "current", "A"), (2, "soc", "%"), (3, "temperature", "°C")),
    "fve": (
        (0, "string1_voltage", "V"),
        (1, "string2_voltage", "V"),
        (3, "string1_power", "W"),
        (4, "string2_power", "W"),
    ),
    "grid": ((0, "voltage", "V"), (1, "power", "W"), (2, "import", "Wh"), (3, "export", "Wh")),
    "load": ((0, "l1_power", "W"), (1, "l2_power", "W"), (2, "l3_power", "W")),
}
"""Value positions of json2.php rows per series (spec §5.2)."""


def _believable(value: float) -> bool:
    return math.isfinite(value) and abs(value) <= MAX_MAGNITUDE


def number(value: object) -> Number | None:
    """A JSON number (or numeric string) as int/float; anything else as None.

    NaN, infinities and magnitudes beyond `MAX_MAGNITUDE` (the portal's JSON may carry
    `NaN`, `Infinity`, `1e999` or a 400-digit integer) are None too, so no consumer ever
    sums, averages or prints one.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= MAX_MAGNITUDE else None
    if isinstance(value, float):
        return value if _believable(value) else None
    if isinstance(value, str) and len(value) <= 64:
        try:
            parsed = float(value)
        except ValueError:
            return None
        if not _believable(parsed):
            return None
        return int(parsed) if parsed.is_integer() and "." not in value else parsed
    return None


def section(box: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A box section as a mapping; absent sections and `boiler: []` become empty."""
    value = box.get(name)
    return value if isinstance(value, Mapping) else {}


def _is_box(key: object, value: object) -> bool:
    return (
        isinstance(key, str) and _BOX_KEY.fullmatch(key) is not None and isinstance(value, Mapping)
    )


def box_ids(payload: Mapping[str, Any]) -> list[str]:
    """The box ids of a json.php payload, in portal order: keys of 1 to 20 ASCII digits
    whose value is an object. Anything else is not a Battery Box and is ignored."""
    return [key for key, value in payload.items() if _is_box(key, value)]


def ignored_entries(payload: Mapping[str, Any]) -> int:
    """How many objects in a json.php payload sit under a key that is not a box id."""
    return sum(
        1
        for key, value in payload.items()
        if isinstance(value, Mapping) and not _is_box(key, value)
    )


BOXES_LISTED = 3
"""An answer or an error names at most this many box ids: an installer's account may hold
thousands, and every answer keeps its size budget."""


def listed_boxes(boxes: Sequence[str]) -> str:
    """Box ids as a sentence lists them: `a, b, c, d, e and 2995 more`."""
    shown = ", ".join(boxes[:BOXES_LISTED])
    more = len(boxes) - BOXES_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def select_box(payload: Mapping[str, Any], box_id: str | None) -> tuple[str, Mapping[str, Any]]:
    """The requested box (default: the first) and its data."""
    boxes = box_ids(payload)
    if not boxes:
        raise PortalError(
            "OIG Cloud returned no Battery Box for this account.", endpoint="json.php"
        )
    chosen = boxes[0] if box_id is None else box_id.strip()
    if chosen not in boxes:
        raise InvalidRequestError(
            f"Box {chosen} is not on this account; use one of: {listed_boxes(boxes)}."
        )
    return chosen, payload[chosen]


def parse_lastcall(text: object) -> datetime | None:
    """`device.lastcall` ("YYYY-MM-DD HH:MM:SS", portal time) as an aware datetime."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=PORTAL_TZ)


def duration_words(seconds: float) -> str:
    """A duration as people say it: "45 s", "12 min", "5 h", "595 days"."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 120 * 60:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def decode_mode(code: Number | None) -> str | None:
    """The human name of a `box_prms.mode` code."""
    if code is None:
        return None
    return BOX_MODES.get(int(code)) or REPORTED_ONLY_MODES.get(int(code))


def decode_grid_delivery(box: Mapping[str, Any]) -> tuple[GridDelivery | None, int | None]:
    """Export state and limit from `invertor_prms.to_grid` and `p_max_feed_grid` (spec §6.2)."""
    to_grid = number(section(box, "invertor_prms").get("to_grid"))
    limit = number(section(box, "invertor_prm1").get("p_max_feed_grid"))
    if to_grid is None:
        return None, None
    if box.get("queen") is True:
        if to_grid == 1:
            return "on", None
        if limit:
            return "limited", int(limit)
        return "off", None
    if to_grid == 0:
        return "off", None
    if limit is not None and limit < UNLIMITED_EXPORT_W:
        return "limited", int(limit)
    return "on", None


def installed_kwh(box: Mapping[str, Any], key: str) -> float | None:
    """An installed size from `box_prms` (W, Wh or Wp) in thousands, one decimal; 0 or
    missing is unknown."""
    value = number(section(box, "box_prms").get(key))
    return round(value / 1000, 1) if value and value > 0 else None


def installed_pv_kwp(box: Mapping[str, Any]) -> float | None:
    """The installed photovoltaic power in kWp (`box_prms.p_fve`, Wp)."""
    return installed_kwh(box, "p_fve")


def boiler_present(box: Mapping[str, Any]) -> bool | None:
    """Whether the box has a boiler module in use: `boiler` is `[]` without one (spec §5.1)
    and `boiler_prms.ison` says whether the function is used; None when neither tells."""
    ison = number(section(box, "boiler_prms").get("ison"))
    if box.get("boiler") == [] or ison == 0:
        return False
    return None if ison is None else True


def history_rows(payload: Mapping[str, Any]) -> list[Sequence[Any]]:
    """The `values` rows of a json2.php answer, skipping anything malformed."""
    items = payload.get("items")
    if not isinstance(items, list):
        return []
    rows: list[Sequence[Any]] = []
    for item in items:
        values = item.get("values") if isinstance(item, Mapping) else None
        if isinstance(values, list):
            rows.append(values)
    return rows
