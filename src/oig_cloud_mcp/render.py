"""Short plain-text renderings of tool results.

Clients show the model this text next to the structured data, so it reads like a
summary a person would give, not a second copy of the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import BasicData, ExtendedData, Notifications, Number


def _n(value: Number | None, unit: str) -> str:
    if value is None:
        return "unknown"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}"


def _flow(value: Number | None, positive: str, negative: str) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "idle (0 W)"
    return f"{positive if value > 0 else negative} {_n(abs(value), 'W')}"


def _age(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f" ({seconds} s ago)"
    if seconds < 7200:
        return f" ({seconds // 60} min ago)"
    return f" ({seconds // 3600} h ago)"


def _lines(lines: Iterable[str]) -> str:
    return "\n".join(line for line in lines if line)


def basic_data_text(data: BasicData) -> str:
    """Summary of a live snapshot."""
    g, s, b, h = data.grid, data.solar, data.battery, data.house
    export: str = g.delivery or "unknown"
    if g.delivery == "limited":
        export += f" to {_n(g.delivery_limit_w, 'W')}"
    strings = "/".join(_n(x.power_w, "W") for x in s.strings)
    pending = "; ".join(f"{p.requested} ({p.status})" for p in data.pending_changes)
    return _lines(
        [
            f"Box {data.box_id}: mode {data.mode or 'unknown'}, last contact "
            f"{data.last_contact or 'unknown'}{_age(data.data_age_s)}, "
            f"live data {'on' if data.live_data else 'OFF'}.",
            f"Solar {_n(s.power_w, 'W')} (strings {strings}), today {_n(s.today_kwh, 'kWh')}.",
            f"Battery {_n(b.soc_pct, '%')}, {_flow(b.power_w, 'charging', 'discharging')}.",
            f"Grid {_flow(g.power_w, 'importing', 'exporting')}; today imported "
            f"{_n(g.today_import_kwh, 'kWh')}, exported {_n(g.today_export_kwh, 'kWh')}; "
            f"export {export}.",
            f"House {_n(h.power_w, 'W')}, today {_n(h.today_kwh, 'kWh')}. Box "
            f"{_n(data.box.temperature_c, '°C')}, {_n(data.box.humidity_pct, '%')} humidity.",
            f"Pending changes: {pending}." if pending else "",
            f"Boxes on the account: {', '.join(data.boxes)}." if len(data.boxes) > 1 else "",
            *data.notes,
        ]
    )


def extended_data_text(data: ExtendedData) -> str:
    """Summary of a history range: one line per series."""
    lines = [f"History of box {data.box_id}, {data.start_date} to {data.end_date}:"]
    for series in data.series:
        stats = ", ".join(
            f"{f.name} {_n(f.min, f.unit)}..{_n(f.max, f.unit)} (mean {_n(f.mean, f.unit)})"
            for f in series.fields
        )
        lines.append(f"{series.series}: {series.sample_count} samples; {stats}.")
    return _lines([*lines, *data.notes])


def notifications_text(data: Notifications) -> str:
    """One line per notification."""
    lines = [
        f"{n.time or 'unknown time'} [{n.severity}] box {n.box_id or '?'}: {n.title}"
        + (f" - {n.body}" if n.body and n.body != n.title else "")
        for n in data.notifications
    ]
    header = f"{len(data.notifications)} of {data.total} notifications, newest first."
    bypass = f"Automatic bypass: {data.bypass}." if data.bypass else ""
    return _lines([header, bypass, *lines, *data.notes])
