"""What a request may ask for, checked before anything is sent: box ids, dates, ranges.

Pure rules (today is passed in); each refusal is one sentence that says what is accepted.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal, get_args

from ..errors import InvalidRequestError
from .models import BOX_ID_PATTERN, SeriesName

BOX_ID_WORDS = "a Battery Box id of 1 to 20 digits (0-9)"
"""What a box id is, in words (argument help and errors)."""
BOX_ID_RULE = f"box_id must be {BOX_ID_WORDS}, or left out for the first box on the account."
"""The one sentence for a box id that is not one (tools, prompts and resources)."""

ALL_SERIES: tuple[SeriesName, ...] = ("batt", "fve", "grid", "load")
MAX_RANGE_DAYS = 31
ONE_BOX_HISTORY_NOTE = "The portal's history request names no box; it answers for its selected box."
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_BOX_ID = re.compile(BOX_ID_PATTERN)


def check_box_id(box_id: str | None) -> str | None:
    """A box id as the portal writes them (ASCII digits), checked before any request."""
    if box_id is not None and not _BOX_ID.fullmatch(box_id):
        raise InvalidRequestError(BOX_ID_RULE)
    return box_id


def _parse_date(name: str, text: str) -> date:
    try:
        if not _ISO_DATE.match(text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequestError(
            f"{name} '{text[:40]}' is not a date; use YYYY-MM-DD, for example 2025-06-24."
        ) from None


def validate_range(start: str, end: str, today: date) -> tuple[date, date, list[str]]:
    """Check a history range before any request; returns the dates and notes."""
    first, last = _parse_date("start_date", start), _parse_date("end_date", end)
    notes: list[str] = []
    if first > last:
        raise InvalidRequestError(
            f"start_date {first} is after end_date {last}; swap them or pick another range."
        )
    if first > today:
        raise InvalidRequestError(
            f"start_date {first} is in the future (today is {today} in Prague); "
            "history exists only for past days."
        )
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise InvalidRequestError(
            f"The range {first}..{last} covers {days} days; ask for at most "
            f"{MAX_RANGE_DAYS} days at a time."
        )
    if last > today:
        notes.append(f"end_date {last} is in the future; history ends today ({today}).")
        last = today
    return first, last, notes


DayWord = Literal["today", "yesterday"]
"""Words a day may be given in, besides YYYY-MM-DD (the day profile's `date`)."""
DAY_WORDS: tuple[DayWord, ...] = get_args(DayWord)


def validate_day(text: str, today: date) -> date:
    """Check the day of a day profile before any request: `today`, `yesterday` or a date,
    not after today.

    There is no lower limit: how far back OIG Cloud keeps history is not documented
    (spec §13 q6), and a day it has nothing for comes back empty with a note.
    """
    word = text.strip().casefold()
    if word in DAY_WORDS:
        return today if word == "today" else today - timedelta(days=1)
    if not _ISO_DATE.match(text.strip()):
        raise InvalidRequestError(
            f"date '{text[:40]}' is not a day; use today, yesterday or a date as YYYY-MM-DD, "
            "for example 2025-06-24."
        )
    day = _parse_date("date", text)
    if day > today:
        raise InvalidRequestError(
            f"date {day} is in the future (today is {today} in Prague); a day profile "
            "exists for today and earlier days."
        )
    return day
