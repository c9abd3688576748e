"""Realistic json2.php days for the fake portal's `day` history mode (spec §5.2 positions)."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, timedelta
from typing import Any

LOAD_SHARES = (0.5, 0.06, 0.44)  # roughly the sample's 136/15/116 W
SOC_KNOTS = ((0.0, 55.0), (6.0, 45.0), (15.0, 100.0), (21.0, 89.0), (24.0, 80.0))


def days(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _solar_shape(hour: float) -> float:
    return math.cos((hour - 13) / 6 * math.pi / 2) ** 2 if abs(hour - 13) < 6 else 0.0


def _house_shape(hour: float) -> float:
    return 300 + 800 * math.exp(-((hour - 7) ** 2) / 1.5) + 1200 * math.exp(-((hour - 19) ** 2) / 3)


def _soc(hour: float) -> float:
    for (h0, s0), (h1, s1) in itertools.pairwise(SOC_KNOTS):
        if hour <= h1:
            return s0 + (s1 - s0) * (hour - h0) / (h1 - h0)
    return SOC_KNOTS[-1][1]


def _scaled(shape: list[float], rows: int, counter_wh: object) -> list[float]:
    """`shape` scaled so its first `rows` quarter hours integrate to `counter_wh`."""
    total = sum(shape[:rows]) / 4
    factor = counter_wh / total if isinstance(counter_wh, int | float) and total else 0.0
    return [round(value * factor, 1) for value in shape]


def day_history(box: dict[str, Any], day: date) -> dict[str, list[list[float]]]:
    """A realistic json2.php day at 15-minute spacing, for the `day` history mode.

    The box's `device.lastcall` is the portal's clock: its day gets rows up to that
    quarter hour and later days none. Solar, house, grid import and grid export are
    shaped curves scaled so that the rows of the lastcall day integrate to the box's day
    counters (fv_ad, en_day, ac_ad, ac_pd); earlier days repeat the same curves in full.
    Grid imports only while there is no sun and exports only while there is.
    """
    clock = datetime.fromisoformat(str(box["device"]["lastcall"]))
    rows = 96 if day < clock.date() else 0
    if day == clock.date():
        rows = (clock.hour * 60 + clock.minute) // 15 + 1
    hours = [i / 4 for i in range(96)]
    dc_in, ac_in, ac_out = box.get("dc_in", {}), box.get("ac_in", {}), box.get("ac_out", {})
    today = (clock.hour * 60 + clock.minute) // 15 + 1
    solar = _scaled([_solar_shape(h) for h in hours], today, dc_in.get("fv_ad"))
    house = _scaled([_house_shape(h) for h in hours], today, ac_out.get("en_day"))
    night = [0.0 if _solar_shape(h) else _house_shape(h) for h in hours]
    bought = _scaled(night, today, ac_in.get("ac_ad"))
    sold = _scaled([_solar_shape(h) for h in hours], today, ac_in.get("ac_pd"))
    history: dict[str, list[list[float]]] = {"batt": [], "fve": [], "grid": [], "load": []}
    for i in range(rows):
        soc = round(_soc(hours[i]), 1)
        grid = round(bought[i] - sold[i], 1)
        history["batt"].append([round(48 + 0.08 * soc, 1), 0.0, soc, 24.0])
        history["fve"].append(
            [
                380.0 if solar[i] else 0.0,
                370.0 if solar[i] else 0.0,
                0.0,
                round(solar[i] * 0.55, 1),
                round(solar[i] - round(solar[i] * 0.55, 1), 1),
            ]
        )
        history["grid"].append([236.0, grid, round(bought[i] / 4, 1), round(sold[i] / 4, 1)])
        first, second = round(house[i] * LOAD_SHARES[0], 1), round(house[i] * LOAD_SHARES[1], 1)
        history["load"].append([first, second, round(house[i] - first - second, 1)])
    return history
