"""What we believe of the portal: the one table of plausibility rules.

OIG Cloud is a small company's web app, and its numbers are untrusted. `parsing.number`
already refuses what is not a number at all (NaN, infinities, magnitudes past 1e12); the
rules here refuse numbers that are numbers but cannot be right for the field: a battery
level of 250 %, a negative day counter, a battery of a billion kWh, a last contact in the
future. Every refused value becomes `None` (the answers show null or "unknown"), and the
answer gets one note naming what was refused, so nothing is built on it. Text from the
portal (notification titles and bodies) loses its control characters here too.

Every answer that reads json.php or json2.php goes through `believed_box` or
`believed_rows` first; the rules are not repeated anywhere else.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .models import Number, SeriesName
from .parsing import PORTAL_TZ, number, parse_lastcall

MAX_POWER_W = 1_000_000
"""The largest power we believe anywhere (1 MW): a Battery Box is a home or small-business
inverter of some 3 to 30 kW, so this is far past any real reading, and it bounds every
time computed from a power."""
MAX_CAPACITY_WH = 10_000_000
"""The largest battery capacity we believe (10 MWh; real boxes hold some 5 to 100 kWh)."""
CONTACT_SKEW = timedelta(minutes=10)
"""A last contact up to this far ahead of our clock is clock skew (shown as just now);
further ahead it cannot be right."""
LISTED = 4
"""A note names at most this many refused values (and counts the rest)."""


@dataclass(frozen=True)
class Rule:
    """What a field is called in a note, its unit as the portal sends it, and its range."""

    label: str
    unit: str
    low: float
    high: float

    def allows(self, value: float) -> bool:
        """Whether `value` can be right for this field."""
        return self.low <= value <= self.high


def _percent(label: str) -> Rule:
    return Rule(label, "%", 0, 100)


def _power(label: str) -> Rule:
    return Rule(label, "W", -MAX_POWER_W, MAX_POWER_W)


def _energy(label: str, unit: str, hours: int) -> Rule:
    """An energy counter: never negative, at most MAX_POWER_W for the whole period."""
    scale = 1 if unit == "Wh" else 1000
    return Rule(label, unit, 0, MAX_POWER_W * hours / scale)


_DAY, _MONTH, _YEAR = 24, 31 * 24, 366 * 24
_PHASES = (("r", "L1"), ("s", "L2"), ("t", "L3"))
_LIVE = ("actual", "ac_in")  # live values, and the box's last regular ones
_LIVE_PV = ("actual", "dc_in")

BOX_RULES: dict[tuple[str, str], Rule] = {
    ("actual", "bat_c"): _percent("battery level"),
    ("batt", "bat_c"): _percent("battery level"),
    ("batt_prms", "bat_min"): _percent("reserve"),
    ("box_prms", "bat_ac"): _percent("grid-charge target"),
    ("box", "humid"): _percent("box humidity"),
    ("box", "temp"): Rule("box temperature", "°C", -60, 150),
    ("box_prms", "p_bat"): Rule("battery capacity", "Wh", 0, MAX_CAPACITY_WH),
    ("box_prms", "p_fve"): Rule("installed solar", "Wp", 0, MAX_POWER_W),
    ("actual", "bat_p"): _power("battery power"),
    ("actual", "aco_p"): _power("house power"),
    ("ac_out", "aco_p"): _power("house power"),
    **{("ac_out", f"aco_p{p}"): _power(f"house {n} power") for p, n in _PHASES},
    **{(part, f"aci_w{p}"): _power(f"grid {n} power") for part in _LIVE for p, n in _PHASES},
    **{(part, f"fv_p{s}"): _power(f"solar string {s} power") for part in _LIVE_PV for s in "12"},
    **{("ac_in", f"aci_v{p}"): Rule(f"grid {n} voltage", "V", 0, 1000) for p, n in _PHASES},
    ("ac_in", "aci_f"): Rule("grid frequency", "Hz", 0, 100),
    ("dc_in", "fv_ad"): _energy("solar today", "Wh", _DAY),
    ("ac_in", "ac_ad"): _energy("imported today", "Wh", _DAY),
    ("ac_in", "ac_pd"): _energy("exported today", "Wh", _DAY),
    ("ac_out", "en_day"): _energy("consumption today", "Wh", _DAY),
    ("batt", "bat_apd"): _energy("battery charged today", "Wh", _DAY),
    ("batt", "bat_and"): _energy("battery discharged today", "Wh", _DAY),
    ("dc_in", "fv_am"): _energy("solar this month", "kWh", _MONTH),
    ("ac_in", "ac_am"): _energy("imported this month", "kWh", _MONTH),
    ("ac_in", "ac_pm"): _energy("exported this month", "kWh", _MONTH),
    ("batt", "bat_am"): _energy("battery charged this month", "kWh", _MONTH),
    ("dc_in", "fv_ay"): _energy("solar this year", "kWh", _YEAR),
    ("ac_in", "ac_ay"): _energy("imported this year", "kWh", _YEAR),
    ("ac_in", "ac_py"): _energy("exported this year", "kWh", _YEAR),
    ("batt", "bat_ay"): _energy("battery charged this year", "kWh", _YEAR),
}
"""The json.php fields our answers read, with what each can be (spec §8)."""

HISTORY_RULES: dict[SeriesName, dict[int, Rule]] = {
    "batt": {
        0: Rule("battery voltage", "V", 0, 2000),
        1: Rule("battery current", "A", -10_000, 10_000),
        2: _percent("battery level"),
        3: Rule("battery temperature", "°C", -60, 150),
    },
    "fve": {
        0: Rule("solar string 1 voltage", "V", 0, 2000),
        1: Rule("solar string 2 voltage", "V", 0, 2000),
        3: _power("solar string 1 power"),
        4: _power("solar string 2 power"),
    },
    "grid": {
        0: Rule("grid voltage", "V", 0, 1000),
        1: _power("grid power"),
        2: Rule("grid import", "Wh", 0, MAX_POWER_W),
        3: Rule("grid export", "Wh", 0, MAX_POWER_W),
    },
    "load": {i: _power(f"house L{i + 1} power") for i in range(3)},
}
"""The json2.php positions our answers read (spec §5.2), with what each can be."""


def shown_number(value: Number) -> str:
    """A number as a note shows it: 250, -5000, 100.5, 1000000000000 (never 1e+12)."""
    text = f"{value:g}"
    return f"{value:.0f}" if "e" in text else text


def _refused_note(refused: Sequence[tuple[str, Number, str]]) -> str:
    listed = ", ".join(f"{label} {shown_number(v)} {unit}" for label, v, unit in refused[:LISTED])
    more = len(refused) - LISTED
    tail = f" and {more} more" if more > 0 else ""
    return f"OIG Cloud sent values that cannot be right, shown as unknown: {listed}{tail}."


def _future_note(text: str, now: datetime) -> str:
    return (
        f"OIG Cloud gave the box's last contact as {text[:19]}, later than now "
        f"({now.astimezone(PORTAL_TZ):%Y-%m-%d %H:%M}); it is shown as unknown."
    )


def believed_box(box: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], list[str]]:
    """One box of a json.php payload with every value that cannot be right set to None,
    and the notes that say so (empty when all is believable). Applying it twice changes
    nothing more."""
    believed: dict[str, Any] = dict(box)
    refused: list[tuple[str, Number, str]] = []
    for (part, key), rule in BOX_RULES.items():
        data = believed.get(part)
        value = number(data.get(key)) if isinstance(data, Mapping) else None
        if value is None or rule.allows(value):
            continue
        believed[part] = {**data, key: None}  # type: ignore[dict-item]
        if (rule.label, value, rule.unit) not in refused:
            refused.append((rule.label, value, rule.unit))
    notes = [_refused_note(refused)] if refused else []
    device = believed.get("device")
    lastcall = device.get("lastcall") if isinstance(device, Mapping) else None
    contact = parse_lastcall(lastcall)
    if isinstance(device, Mapping) and contact is not None and contact > now + CONTACT_SKEW:
        believed["device"] = {**device, "lastcall": None}
        notes.append(_future_note(str(lastcall), now))
    return believed, notes


def believed_rows(
    name: SeriesName, rows: Sequence[Sequence[Any]]
) -> tuple[list[list[Any]], list[str]]:
    """json2.php rows of one series with every value that cannot be right set to None,
    and a note counting them per field (empty when all is believable)."""
    rules = HISTORY_RULES[name]
    refused: Counter[str] = Counter()
    example: dict[str, str] = {}
    believed: list[list[Any]] = []
    for row in rows:
        values = list(row)
        for i, rule in rules.items():
            value = number(values[i]) if i < len(values) else None
            if value is not None and not rule.allows(value):
                values[i] = None
                refused[rule.label] += 1
                example.setdefault(rule.label, f"{shown_number(value)} {rule.unit}")
        believed.append(values)
    if not refused:
        return believed, []
    parts = [
        f"{count} samples of {label} (such as {example[label]})"
        for label, count in list(refused.items())[:LISTED]
    ]
    more = len(refused) - LISTED
    tail = f" and {more} more fields" if more > 0 else ""
    return believed, [
        f"OIG Cloud's {name} history has values that cannot be right, left out: "
        f"{', '.join(parts)}{tail}."
    ]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Portal text safe to show in a terminal: every control character but newline and tab
    written as an escape (`\\x1b`), as the command line prints it. Raw, an escape sequence
    in a notification could drive the terminal a host shows it in."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
