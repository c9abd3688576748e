"""A simulated Battery Box behind an in-process portal, for `--demo`.

The demo speaks the portal's wire format (json.php, json2.php, the notification
widget, the write scripts), so demo answers go through the same client and parsing
code as real data. Values follow the time of day and season: a solar bell curve,
a house load with morning and evening peaks, and a battery that absorbs the difference.
Live values, history (json2.php) and the day, month and year counters all come from
the same quarter-hour simulation, so they agree with each other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from ..domain.models import Credentials
from ..domain.parsing import PORTAL_TZ
from .inprocess import PortalCall, PortalReply

DEMO_BOX = "2400000001"


DemoTables = dict[str, dict[str, int]]
"""The settings tables the demo box remembers between runs (table -> column -> value)."""


class DemoMemory(Protocol):
    """Where the demo box keeps its settings between runs (the state package's file)."""

    def load(self) -> DemoTables:
        """The tables kept so far (empty at first)."""

    def save(self, tables: DemoTables) -> None:
        """Keep `tables`."""


DEMO_CREDENTIALS = Credentials("demo@oig-cloud-mcp.invalid", "demo", source="demo")
STEP_MIN = 15
STEPS_PER_DAY = 24 * 60 // STEP_MIN
CAPACITY_WH = 10240.0
PV_PEAK_W = 8000.0
RESERVE_PCT = 20
MAX_BATTERY_W = 5000.0
START_SOC = 0.45
LOAD_SHARES = (0.4, 0.35, 0.25)
"""How the house load is spread over L1, L2 and L3."""
GRID_VOLTS = (235.8, 236.4, 235.1)


def _solar(yday: int, hour: float) -> float:
    season = math.cos((yday - 172) / 365 * 2 * math.pi)  # 1 at midsummer
    half_day = 4.5 + 3.0 * (season + 1) / 2
    hours = hour - 13.0
    if abs(hours) >= half_day:
        return 0.0
    peak = PV_PEAK_W * (0.35 + 0.55 * (season + 1) / 2)
    return peak * math.cos(hours / half_day * math.pi / 2) ** 2


def _load(hour: float) -> float:
    morning = 900 * math.exp(-((hour - 7.0) ** 2) / 1.5)
    evening = 1600 * math.exp(-((hour - 19.0) ** 2) / 3.0)
    return 320 + morning + evening


@dataclass(frozen=True)
class Step:
    """One quarter hour of the simulated box: mean powers (W) and the charge after it."""

    pv: float
    load: float
    battery: float
    grid: float
    soc_pct: float


@lru_cache(maxsize=8)
def simulate_day(day: date) -> tuple[Step, ...]:
    """The quarter hours of `day` (wall clock, from 00:00).

    Solar feeds the house, the battery takes the surplus and covers the shortfall down
    to the reserve, the grid the rest (grid = load + battery - solar, as in Home 1). The
    battery starts a day earlier at 45 %, so its charge carries over the night.
    """
    soc_wh = CAPACITY_WH * START_SOC
    floor_wh = CAPACITY_WH * RESERVE_PCT / 100
    per_hour = 60 / STEP_MIN
    steps: list[Step] = []
    for current in (day - timedelta(days=1), day):
        yday = current.timetuple().tm_yday
        for i in range(STEPS_PER_DAY):
            hour = i / per_hour
            pv, load = _solar(yday, hour), _load(hour)
            if pv >= load:  # charge with what the house does not use
                battery = min(pv - load, (CAPACITY_WH - soc_wh) * per_hour, MAX_BATTERY_W)
            else:  # discharge down to the reserve
                battery = -min(load - pv, max(soc_wh - floor_wh, 0.0) * per_hour, MAX_BATTERY_W)
            soc_wh += battery / per_hour
            if current == day:
                steps.append(
                    Step(pv, load, battery, load + battery - pv, 100 * soc_wh / CAPACITY_WH)
                )
    return tuple(steps)


def _energy(steps: tuple[Step, ...] | list[Step]) -> tuple[float, float, float, float]:
    """Solar, house, import and export energy (Wh) of these steps."""
    hours = STEP_MIN / 60
    return (
        sum(s.pv for s in steps) * hours,
        sum(s.load for s in steps) * hours,
        sum(max(s.grid, 0.0) for s in steps) * hours,
        sum(max(-s.grid, 0.0) for s in steps) * hours,
    )


@lru_cache(maxsize=400)
def day_energy(day: date) -> tuple[float, float, float, float]:
    """Solar, house, import and export energy (Wh) of a whole simulated day."""
    return _energy(simulate_day(day))


def step_index(now: datetime) -> int:
    """The quarter hour of its day that `now` falls in."""
    local = now.astimezone(PORTAL_TZ)
    return (local.hour * 60 + local.minute) // STEP_MIN


def today_steps(now: datetime) -> list[Step]:
    """Today's quarter hours up to and including the current one (no future samples)."""
    return list(simulate_day(now.astimezone(PORTAL_TZ).date())[: step_index(now) + 1])


def charged_full_at(now: datetime) -> datetime | None:
    """When the battery first reached 100 % today (the end of that quarter hour), or None
    if it has not been full today by `now`."""
    local = now.astimezone(PORTAL_TZ)
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=PORTAL_TZ)
    for i, step in enumerate(simulate_day(local.date())):
        done = midnight + timedelta(minutes=STEP_MIN * (i + 1))
        if done > local:
            return None
        if round(step.soc_pct) >= 100:
            return done
    return None


def counters(now: datetime) -> dict[str, dict[str, int]]:
    """Day counters (Wh) and month/year counters (kWh) that add up: a month is the sum
    of its days, the year the sum of its days, each including today so far."""
    today = now.astimezone(PORTAL_TZ).date()
    pv, load, bought, sold = _energy(today_steps(now))
    month = [pv, bought, sold]
    year = [pv, bought, sold]
    day = today.replace(month=1, day=1)
    while day < today:
        energy = day_energy(day)
        for totals in (year, month) if day.month == today.month else (year,):
            for i, value in enumerate((energy[0], energy[2], energy[3])):
                totals[i] += value
        day += timedelta(days=1)
    kwh = [round(v / 1000) for v in (*month, *year)]
    return {
        "dc_in": {"fv_ad": round(pv), "fv_am": kwh[0], "fv_ay": kwh[3]},
        "ac_in": {
            "ac_ad": round(bought),
            "ac_pd": round(sold),
            "ac_am": kwh[1],
            "ac_pm": kwh[2],
            "ac_ay": kwh[4],
            "ac_py": kwh[5],
        },
        "ac_out": {"en_day": round(load)},
    }


class DemoPortal:
    """An in-process OIG Cloud with one simulated box; accepts any login."""

    def __init__(
        self, memory: DemoMemory | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._clock = clock or (lambda: datetime.now(PORTAL_TZ))
        self.settings: dict[str, dict[str, Any]] = {
            "box_prms": {
                "mode": 0,
                "bat_ac": 0,
                "p_fve": int(PV_PEAK_W),
                "p_bat": int(CAPACITY_WH),
                "crcte": 1,
            },
            "invertor_prms": {"to_grid": 1},
            "invertor_prm1": {"p_max_feed_grid": 10000},
            "boiler_prms": {"ison": 1, "manual": 0},
            "batt_prms": {"bat_min": RESERVE_PCT},
        }
        self.log: list[tuple[datetime, str]] = []
        self._memory = memory
        if memory is not None:  # the demo box remembers its settings between runs
            for table, values in memory.load().items():
                self.settings.setdefault(table, {}).update(values)

    async def __call__(self, call: PortalCall) -> PortalReply:
        """Answer one portal request."""
        path = call.path.rsplit("/", 1)[-1]
        if path == "Login.php":
            return PortalReply(200, b'[[2,"",false]]', {"Set-Cookie": "PHPSESSID=demo; path=/"})
        if path == "json.php":
            return _json_reply({DEMO_BOX: self.box(self._clock())})
        if path == "json2.php":
            request = json.loads(call.body or b"{}")
            name, dates = str(request.get("name")), str(request.get("range"))
            return _json_reply(history(name, dates, self._clock()))
        if path == "Controller.Call.php":
            return _json_reply([[11, "ctrl-notifs", self.notifications_html(), None]])
        return await self.write(path, call)

    async def write(self, path: str, call: PortalCall) -> PortalReply:
        """Apply a write at once (the demo box is quick)."""
        body = json.loads(call.body or b"{}")
        if path == "Device.Set.Value.php":
            self.settings.setdefault(body["table"], {})[body["column"]] = body["value"]
        elif path == "ToGrid.Toggle.php":
            self.settings["invertor_prms"]["to_grid"] = 0 if body["value"] == 0 else 1
            limit = body.get("p_max_feed_grid")
            self.settings["invertor_prm1"]["p_max_feed_grid"] = limit or 10000
        elif path == "Battery.Format.Save.php":
            self.settings["box_prms"]["bat_ac"] = int(body.get("bat_ac") or 0)
        else:
            return PortalReply(404, b"<html>Not found</html>")
        self.log.append((self._clock(), f"{path}: {json.dumps(body)}"))
        if self._memory is not None:
            self._memory.save(self.settings)
        return PortalReply(200, b'[[0,2,"OK"]]')

    def box(self, now: datetime) -> dict[str, Any]:
        """The json.php data of the demo box at `now`: the current quarter hour of the
        simulation, with counters summed over the same quarter hours."""
        step = today_steps(now)[-1]
        pv = _split(step.pv, (0.55, 0.45))
        grid = _split(step.grid, LOAD_SHARES)
        house = _split(step.load, LOAD_SHARES)
        soc = round(step.soc_pct)
        totals = counters(now)
        return {
            "actual": {
                "aci_wr": grid[0],
                "aci_ws": grid[1],
                "aci_wt": grid[2],
                "aco_p": sum(house),
                "fv_p1": pv[0],
                "fv_p2": pv[1],
                "bat_p": round(step.battery),
                "bat_c": soc,
                "viz": 8,
            },
            "ac_in": {
                "aci_vr": GRID_VOLTS[0],
                "aci_vs": GRID_VOLTS[1],
                "aci_vt": GRID_VOLTS[2],
                "aci_wr": grid[0],
                "aci_ws": grid[1],
                "aci_wt": grid[2],
                "aci_f": 50.01,
                **totals["ac_in"],
            },
            "ac_out": {
                "aco_p": sum(house),
                "aco_pr": house[0],
                "aco_ps": house[1],
                "aco_pt": house[2],
                **totals["ac_out"],
            },
            "dc_in": {"fv_p1": pv[0], "fv_p2": pv[1], **totals["dc_in"]},
            "batt": {"bat_c": soc},
            "box": {"temp": round(22 + 8 * step.pv / PV_PEAK_W, 1), "humid": 41.0},
            "boiler": {"p": 0, "w": 0},
            "device": {
                "id_type": 3002,
                "lastcall": now.astimezone(PORTAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            },
            **{name: dict(values) for name, values in self.settings.items()},
        }

    def notifications_html(self) -> str:
        """The notification widget: recent writes, "charged to 100 %" when the simulated
        battery was full today (stamped when it got full), and two fixed bypass notices."""
        now = self._clock().astimezone(PORTAL_TZ)
        entries = [(when, 1, "Změna nastavení", text) for when, text in self.log]
        full = charged_full_at(now)
        if full is not None:
            entries.append((full, 1, "Stav baterie", "Baterie nabita na 100 %."))
        for ago, state in (
            (timedelta(days=1, hours=2, minutes=25), "Zapnut"),
            (timedelta(days=1, hours=2), "Vypnut"),
        ):
            title = f"Automatický BYPASS - {state}"
            entries.append((now - ago, 3, title, title))
        folders = "".join(
            f'<div class="folder"><div class="point level-{level}"></div>'
            f'<div class="date">{when.day}. {when.month}. {when.year} | '
            f"{when.hour}:{when.minute:02d}</div>"
            f'<div class="row-2"><strong>Box #{DEMO_BOX}</strong> - {title}</div>'
            f'<div class="body"><p>{body}</p></div></div>'
            for when, level, title, body in sorted(entries, key=lambda e: e[0], reverse=True)
        )
        return f'<div id="ctrl-notifs"><div class="folder-list">{folders}</div></div>'


def _split(total: float, shares: tuple[float, ...]) -> list[int]:
    """`total` in whole W over parts by `shares`; the last part takes the rounding."""
    parts = [round(total * share) for share in shares[:-1]]
    return [*parts, round(total) - sum(parts)]


def _row(name: str, step: Step) -> list[float]:
    """One json2.php row (spec §5.2 positions) of a simulated quarter hour."""
    if name == "batt":
        volts = round(48.0 + 0.08 * step.soc_pct, 1)
        return [volts, round(step.battery / volts, 1), round(step.soc_pct), 24.0]
    if name == "fve":
        lit = step.pv > 0
        return [380.0 if lit else 0.0, 370.0 if lit else 0.0, 0, *_split(step.pv, (0.55, 0.45))]
    if name == "grid":
        bought, sold = max(step.grid, 0.0), max(-step.grid, 0.0)
        return [236.0, round(step.grid), round(bought * STEP_MIN / 60), round(sold * STEP_MIN / 60)]
    if name == "load":
        return [*_split(step.load, LOAD_SHARES)]
    return []


def history(name: str, date_range: str, now: datetime) -> dict[str, Any]:
    """A json2.php answer: one row per quarter hour of the range, none after `now`."""
    try:
        first, last = (date.fromisoformat(part) for part in date_range.split(",")[:2])
    except ValueError:
        return {"items": []}
    today = now.astimezone(PORTAL_TZ).date()
    items = []
    day = first
    while day <= min(last, today):
        steps = today_steps(now) if day == today else simulate_day(day)
        items += [{"values": _row(name, step)} for step in steps]
        day += timedelta(days=1)
    return {"items": items}


def _json_reply(payload: Any) -> PortalReply:
    return PortalReply(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})
