"""History series for `get_extended_data` from json2.php answers: per-field summaries with
the (inferred) times of their extremes, and the samples averaged into rows of equal time.

Pure: no I/O. Values that cannot be right are left out first (`plausible`); json2.php
sends no sample times, so they come from `timeline`. Every series shares the same rows
(`RowLayout`), so one list of row start times labels them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from .models import FieldSummary, Number, Series, SeriesName
from .parsing import HISTORY_FIELDS, history_rows, number
from .plausible import believed_rows
from .timeline import Span

ROW_WIDTHS_MIN = (5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080)
"""Row widths a history answer picks from: the narrowest that needs at most max_samples
rows, so rows begin at round times (00:00, 08:00, 16:00 for a week in 24 rows)."""


@dataclass(frozen=True)
class RowLayout:
    """Rows of `width_min` from the start of `span`, as many as the span needs."""

    span: Span
    width_min: int
    count: int

    @classmethod
    def of(cls, span: Span, max_rows: int) -> RowLayout:
        """The narrowest round width that covers the span in at most `max_rows` rows."""
        need = span.minutes / max_rows
        width = next((w for w in ROW_WIDTHS_MIN if w >= need), math.ceil(need))
        return cls(span, width, math.ceil(span.minutes / width))

    def starts(self) -> list[str]:
        """When each row begins, Prague time (`2025-06-01T08:00`)."""
        return [_minute(self.span.sample_start(self.width_min, i)) for i in range(self.count)]


def _minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M}"


def rounded(value: float) -> Number:
    """A mean as answers show it: whole above 100, one decimal below (3 figures or so)."""
    result = round(value) if abs(value) >= 100 else round(value, 1)
    return int(result) if float(result).is_integer() else result


def _mean(values: Sequence[Number | None]) -> Number | None:
    present = [v for v in values if v is not None]
    return rounded(sum(present) / len(present)) if present else None


def _extreme_at(
    column: Sequence[Number | None], value: Number | None, at: Callable[[int], datetime] | None
) -> str | None:
    if value is None or at is None:
        return None
    return _minute(at(column.index(value)))


def parse_history(
    name: SeriesName, payload: Mapping[str, Any], rows: RowLayout
) -> tuple[Series, list[str]]:
    """One json2.php series: per-field summaries (extremes with their inferred times) and
    the means of the samples in each of `rows`, and the notes on values left out."""
    layout = HISTORY_FIELDS[name]
    found, doubts = believed_rows(name, history_rows(payload))
    columns = [[number(row[i]) if i < len(row) else None for row in found] for i, _, _ in layout]
    span = rows.span
    spacing = span.spacing(len(found))
    at = None if spacing is None else partial(span.sample_start, spacing)
    fields = []
    for (_, label, unit), column in zip(layout, columns, strict=True):
        low = min((v for v in column if v is not None), default=None)
        high = max((v for v in column if v is not None), default=None)
        fields.append(
            FieldSummary(
                name=label,
                unit=unit,
                min=low,
                min_at=_extreme_at(column, low, at),
                max=high,
                max_at=_extreme_at(column, high, at),
                mean=_mean(column),
                last=next((v for v in reversed(column) if v is not None), None),
            )
        )
    members: list[list[int]] = [[] for _ in range(rows.count)]
    if spacing is not None:
        for index in range(len(found)):
            row = index * spacing // rows.width_min
            if row < rows.count:
                members[row].append(index)
    samples = [[_mean([column[i] for i in row]) for column in columns] for row in members]
    samples = samples if found else []
    series = Series(
        series=name,
        sample_count=len(found),
        spacing_min=spacing,
        fields=fields,
        columns=[label for _, label, _ in layout],
        samples=samples,
    )
    return series, doubts


def history_notes(series: Sequence[Series], rows: RowLayout) -> list[str]:
    """What a history answer says about its rows and their times."""
    spacings = {s.series: s.spacing_min for s in series if s.spacing_min is not None}
    if not spacings:
        return []
    if len(set(spacings.values())) == 1:
        detail = f"{next(iter(spacings.values()))} min apart"
    else:
        detail = ", ".join(f"{name} {minutes} min" for name, minutes in spacings.items())
    width = f"{rows.width_min // 60} h" if rows.width_min % 60 == 0 else f"{rows.width_min} min"
    return [
        f"Samples are averaged into rows of {width} (row_starts); summaries cover every "
        "sample. Times are inferred (OIG Cloud's history has no sample times): samples "
        f"taken as evenly spaced from midnight of start_date, {detail}."
    ]
