"""What an audit line of a write tool holds, cut to size (pure: the state package appends it).

Every line stays whole, valid JSON however much a caller sends: each text is cut, at most
a few arguments are kept, nested values are sketched.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

AUDIT_TEXT_CHARS = 200
"""Each text in an audit line (argument value, box id) is cut to this many characters,
so every line stays whole, valid JSON however much a caller sends."""
AUDIT_NAME_CHARS = 40
AUDIT_ARGUMENTS = 10
"""At most this many arguments are recorded per line (the rest are counted)."""
AUDIT_DETAIL_CHARS = 600


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _audited_value(value: object) -> object:
    """`value` as an audit line keeps it: small JSON scalars as they are, anything else as
    text of at most `AUDIT_TEXT_CHARS` characters."""
    if isinstance(value, str):
        return _cut(value, AUDIT_TEXT_CHARS)
    small_int = isinstance(value, int) and abs(value) < 10**15  # bool included
    if value is None or small_int or (isinstance(value, float) and math.isfinite(value)):
        return value
    try:
        text = json.dumps(_sketch(value), ensure_ascii=False, default=str)
    except ValueError:  # an integer of more than 4300 digits
        text = f"{type(value).__name__} too large to record"
    return _cut(text, AUDIT_TEXT_CHARS)


def _sketch(value: object, depth: int = 3) -> object:
    """Enough of a nested value to fill `AUDIT_TEXT_CHARS`: a few items, short strings,
    a few levels; serialising it costs little whatever the value's size."""
    if isinstance(value, str):
        return _cut(value, AUDIT_TEXT_CHARS)
    if isinstance(value, list | tuple | dict) and depth == 0:
        return "…"
    if isinstance(value, list | tuple):
        return [_sketch(item, depth - 1) for item in value[:AUDIT_ARGUMENTS]]
    if isinstance(value, dict):
        items = itertools.islice(value.items(), AUDIT_ARGUMENTS)
        return {_cut(str(k), AUDIT_NAME_CHARS): _sketch(v, depth - 1) for k, v in items}
    return value


def audited_arguments(arguments: Mapping[str, Any]) -> dict[str, object]:
    """The arguments as an audit line records them: names and values cut to size."""
    kept: dict[str, object] = {}
    for name, value in itertools.islice(arguments.items(), AUDIT_ARGUMENTS):
        kept[_cut(str(name), AUDIT_NAME_CHARS)] = _audited_value(value)
    if len(arguments) > AUDIT_ARGUMENTS:
        kept["…"] = f"{len(arguments) - AUDIT_ARGUMENTS} more arguments"
    return kept


def audit_entry(
    when: datetime,
    tool: str,
    box_id: str | None,
    arguments: Mapping[str, Any],
    outcome: str,
    detail: str = "",
) -> dict[str, Any]:
    """One audit line: time, tool, box, arguments, outcome and an optional detail."""
    entry: dict[str, Any] = {
        "time": when.isoformat(timespec="seconds"),
        "tool": _cut(tool, AUDIT_NAME_CHARS),
        "box_id": None if box_id is None else _cut(box_id, AUDIT_TEXT_CHARS),
        "arguments": audited_arguments(arguments),
        "outcome": outcome,
    }
    if detail:
        entry["detail"] = _cut(detail, AUDIT_DETAIL_CHARS)
    return entry
