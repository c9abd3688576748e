"""When json2.php's samples were taken: inferred, since the portal sends no times.

The history rows carry no timestamps (spec §5.2, §13 q6). We take them as evenly spaced
in real (elapsed) time from local midnight of the first day, so a 25-hour day in
October holds 25 hours of samples and a 23-hour day in March 23; the spacing is the span
divided by the count, snapped to a usual interval. Every sample time an answer shows comes
from here, and each answer says that it is inferred.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .parsing import PORTAL_TZ, parse_lastcall, section

DAY_SPACINGS_MIN = (1, 2, 5, 10, 15, 20, 30, 60)
"""Sample spacings a day's inferred spacing is snapped to (the day profile is hourly)."""
RANGE_SPACINGS_MIN = (*DAY_SPACINGS_MIN, 120, 180, 240, 360, 720, 1440)
"""Spacings for longer ranges, where the portal might send fewer, coarser samples."""
DAY_MIN = 24 * 60


def history_end(box: Mapping[str, Any] | None, now: datetime, first: date) -> datetime:
    """Where a box's history from `first` on ends: its last contact when that falls
    between midnight of `first` and `now` (the portal holds no samples from a box after
    it last reported), else `now`. A contact before `first` cannot explain samples the
    portal sent for the range, so it is not used."""
    contact = None if box is None else parse_lastcall(section(box, "device").get("lastcall"))
    return contact if contact is not None and midnight(first) < contact < now else now


def midnight(day: date) -> datetime:
    """The start of `day` in portal time (aware)."""
    return datetime.combine(day, time(), PORTAL_TZ)


def minutes_between(start: datetime, end: datetime) -> float:
    """Elapsed minutes from `start` to `end` (real time: across a clock change too)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60


def day_minutes(day: date) -> float:
    """How long `day` is in Prague: 1440 minutes, 1380 in March, 1500 in October."""
    return minutes_between(midnight(day), midnight(day + timedelta(days=1)))


def clock_change_note(day: date) -> str | None:
    """What a day profile says about a day whose clock changed, or None."""
    hours = round(day_minutes(day) / 60)
    if hours == 25:
        return (
            f"{day.isoformat()} had 25 hours (the clocks went back at 03:00); the 02:00 row "
            "covers both 02:00 hours."
        )
    if hours == 23:
        return (
            f"{day.isoformat()} had 23 hours (the clocks went forward at 02:00); there is no "
            "02:00 hour."
        )
    return None


@dataclass(frozen=True)
class Span:
    """The time a history answer covers: from `start` for `minutes` of real time, at most
    `limit_min` (samples past the limit cannot belong to the range)."""

    start: datetime
    minutes: float
    limit_min: float

    @classmethod
    def of(cls, first: date, last: date, now: datetime) -> Span:
        """From local midnight of `first` to the midnight after `last`, or to `now` when
        that is earlier (nothing when `first` has not begun). Pass `history_end(box, now)`
        as `now` where the box may have stopped reporting."""
        start = midnight(first)
        limit = minutes_between(start, midnight(last + timedelta(days=1)))
        return cls(start, max(0.0, min(limit, minutes_between(start, now))), limit)

    def spacing(self, count: int, choices: tuple[int, ...] = RANGE_SPACINGS_MIN) -> int | None:
        """The inferred sample spacing in minutes for `count` samples, or None."""
        if count <= 0 or self.minutes <= 0:
            return None
        raw = self.minutes / count
        return min(choices, key=lambda s: (abs(s - raw), s))

    def fitting(self, count: int, spacing: int) -> int:
        """How many of `count` samples start before the end of the range."""
        return min(count, math.ceil(self.limit_min / spacing))

    def sample_start(self, spacing: int, index: int) -> datetime:
        """When sample `index` began (portal time), at `spacing` minutes per sample."""
        moment = self.start.astimezone(UTC) + timedelta(minutes=spacing * index)
        return moment.astimezone(PORTAL_TZ)


def short_time(moment: datetime, *, with_date: bool) -> str:
    """`06-01 14:00` (or `14:00`) in portal time: how tables label inferred sample times."""
    local = moment.astimezone(PORTAL_TZ)
    return f"{local:%m-%d %H:%M}" if with_date else f"{local:%H:%M}"
