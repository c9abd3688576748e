"""History series for `get_extended_data` from json2.php answers: per-field summaries and
rows averaged into buckets.

Pure: no I/O. Values that cannot be right are left out first (`plausible`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .models import FieldSummary, Number, Series, SeriesName
from .parsing import HISTORY_FIELDS, history_rows, number
from .plausible import believed_rows


def _mean(values: Sequence[Number | None]) -> Number | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    mean = round(sum(present) / len(present), 2)
    return int(mean) if mean.is_integer() else mean


def _buckets(count: int, limit: int) -> list[range]:
    if count <= limit:
        return [range(i, i + 1) for i in range(count)]
    edges = [round(i * count / limit) for i in range(limit + 1)]
    return [range(edges[i], edges[i + 1]) for i in range(limit)]


def parse_history(
    name: SeriesName, payload: Mapping[str, Any], max_samples: int
) -> tuple[Series, list[str]]:
    """One json2.php series: per-field summaries plus at most `max_samples` averaged rows,
    and the notes on values left out."""
    layout = HISTORY_FIELDS[name]
    rows, doubts = believed_rows(name, history_rows(payload))
    columns = [[number(row[i]) if i < len(row) else None for row in rows] for i, _, _ in layout]
    fields = [
        FieldSummary(
            name=label,
            unit=unit,
            min=min((v for v in column if v is not None), default=None),
            max=max((v for v in column if v is not None), default=None),
            mean=_mean(column),
            last=next((v for v in reversed(column) if v is not None), None),
        )
        for (_, label, unit), column in zip(layout, columns, strict=True)
    ]
    samples = [
        [_mean([column[i] for i in bucket]) for column in columns]
        for bucket in _buckets(len(rows), max_samples)
    ]
    series = Series(
        series=name,
        sample_count=len(rows),
        fields=fields,
        columns=[label for _, label, _ in layout],
        samples=samples,
    )
    return series, doubts
