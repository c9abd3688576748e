"""A simulated Battery Box behind an in-process portal, for `--demo`.

The demo speaks the portal's wire format (json.php, json2.php, the notification
widget, the write scripts), so demo answers go through the same client and parsing
code as real data. Values follow the time of day and season: a solar bell curve,
a house load with morning and evening peaks, and a battery that absorbs the difference.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, RootModel

from .client_types import PortalCall, PortalReply
from .models import Credentials
from .parsing import PORTAL_TZ
from .state_files import StateFile, json_codec

DEMO_BOX = "2400000001"


class DemoSettings(RootModel[dict[str, dict[str, int]]]):
    """`demo_box.json`: the settings tables the demo box remembers between runs."""

    root: dict[str, dict[str, int]] = Field(default_factory=dict)


DEMO_CREDENTIALS = Credentials("demo@oig-cloud-mcp.invalid", "demo", source="demo")
STEP = timedelta(minutes=15)
CAPACITY_WH = 10240.0
PV_PEAK_W = 8000.0


def solar_w(moment: datetime) -> float:
    """PV output: a bell curve around 13:00, longer and higher in summer."""
    local = moment.astimezone(PORTAL_TZ)
    season = math.cos((local.timetuple().tm_yday - 172) / 365 * 2 * math.pi)  # 1 at midsummer
    half_day = 4.5 + 3.0 * (season + 1) / 2
    hours = local.hour + local.minute / 60 - 13.0
    if abs(hours) >= half_day:
        return 0.0
    return (
        PV_PEAK_W * (0.35 + 0.55 * (season + 1) / 2) * math.cos(hours / half_day * math.pi / 2) ** 2
    )


def load_w(moment: datetime) -> float:
    """House load: a base with a morning and an evening peak."""
    hour = moment.astimezone(PORTAL_TZ).hour + moment.minute / 60
    morning = 900 * math.exp(-((hour - 7.0) ** 2) / 1.5)
    evening = 1600 * math.exp(-((hour - 19.0) ** 2) / 3.0)
    return 320 + morning + evening


def _day_so_far(now: datetime) -> dict[str, float]:
    """Today's energies (Wh) from local midnight, the live flows, and the SOC.

    The battery is simulated from the previous midnight on, so its charge carries over
    the night instead of jumping at 00:00.
    """
    local = now.astimezone(PORTAL_TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    moment = midnight - timedelta(days=1)
    soc_wh = CAPACITY_WH * 0.45
    totals = {"pv": 0.0, "load": 0.0, "import": 0.0, "export": 0.0, "bat": 0.0, "grid": 0.0}
    while moment <= local:
        pv, load = solar_w(moment), load_w(moment)
        surplus = pv - load
        if surplus >= 0:  # charge with what the house does not use (W over a 1/4 h step)
            battery = min(surplus, (CAPACITY_WH - soc_wh) * 4, 5000.0)
        else:  # discharge down to 20 %
            battery = -min(-surplus, max(soc_wh - CAPACITY_WH * 0.2, 0.0) * 4, 5000.0)
        grid = load + battery - pv
        soc_wh += battery / 4
        if moment >= midnight:
            totals["pv"] += pv / 4
            totals["load"] += load / 4
            totals["import"] += max(grid, 0) / 4
            totals["export"] += max(-grid, 0) / 4
        totals.update(bat=battery, grid=grid, pv_now=pv, load_now=load)
        moment += STEP
    totals["soc"] = 100 * soc_wh / CAPACITY_WH
    return totals


class DemoPortal:
    """An in-process OIG Cloud with one simulated box; accepts any login."""

    def __init__(
        self, state_file: Path | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._clock = clock or (lambda: datetime.now(PORTAL_TZ))
        self.settings: dict[str, dict[str, Any]] = {
            "box_prms": {"mode": 0, "bat_ac": 0, "p_fve": 8000, "p_bat": 10240, "crcte": 1},
            "invertor_prms": {"to_grid": 1},
            "invertor_prm1": {"p_max_feed_grid": 10000},
            "boiler_prms": {"ison": 1, "manual": 0},
        }
        self.log: list[tuple[datetime, str]] = []
        self._file = StateFile(state_file, json_codec(DemoSettings)) if state_file else None
        if self._file is not None:  # the demo box remembers its settings between runs
            for table, values in self._file.read().root.items():
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
            return _json_reply(history(str(request.get("name")), str(request.get("range"))))
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
        if self._file is not None:
            self._file.update(lambda _: DemoSettings(self.settings))
        return PortalReply(200, b'[[0,2,"OK"]]')

    def box(self, now: datetime) -> dict[str, Any]:
        """The json.php data of the demo box at `now`."""
        day = _day_so_far(now)
        pv1 = round(day["pv_now"] * 0.55)
        pv2 = round(day["pv_now"] * 0.45)
        grid = round(day["grid"])
        phases = [
            round(grid * 0.4),
            round(grid * 0.35),
            grid - round(grid * 0.4) - round(grid * 0.35),
        ]
        load = round(day["load_now"])
        soc = round(day["soc"])
        return {
            "actual": {
                "aci_wr": phases[0],
                "aci_ws": phases[1],
                "aci_wt": phases[2],
                "aco_p": load,
                "fv_p1": pv1,
                "fv_p2": pv2,
                "bat_p": round(day["bat"]),
                "bat_c": soc,
                "viz": 8,
            },
            "ac_in": {
                "aci_wr": phases[0],
                "aci_ws": phases[1],
                "aci_wt": phases[2],
                "aci_f": 50.01,
                "ac_ad": round(day["import"]),
                "ac_pd": round(day["export"]),
            },
            "ac_out": {"aco_p": load, "en_day": round(day["load"])},
            "dc_in": {"fv_p1": pv1, "fv_p2": pv2, "fv_ad": round(day["pv"])},
            "batt": {"bat_c": soc},
            "box": {"temp": round(22 + 8 * day["pv_now"] / PV_PEAK_W, 1), "humid": 41.0},
            "boiler": {"p": 0, "w": 0},
            "device": {
                "id_type": 3002,
                "lastcall": now.astimezone(PORTAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            },
            **{name: dict(values) for name, values in self.settings.items()},
        }

    def notifications_html(self) -> str:
        """The notification widget: recent writes plus two fixed notices."""
        now = self._clock().astimezone(PORTAL_TZ)
        entries = [(when, 1, "Změna nastavení", text) for when, text in self.log]
        entries.append((now - timedelta(hours=3), 1, "Stav baterie", "Baterie nabita na 100 %."))
        entries.append(
            (
                now - timedelta(days=1, hours=2),
                3,
                "Automatický BYPASS - Vypnut",
                "Automatický BYPASS - Vypnut",
            )
        )
        folders = "".join(
            f'<div class="folder"><div class="point level-{level}"></div>'
            f'<div class="date">{when.day}. {when.month}. {when.year} | '
            f"{when.hour}:{when.minute:02d}</div>"
            f'<div class="row-2"><strong>Box #{DEMO_BOX}</strong> - {title}</div>'
            f'<div class="body"><p>{body}</p></div></div>'
            for when, level, title, body in sorted(entries, key=lambda e: e[0], reverse=True)
        )
        return f'<div id="ctrl-notifs"><div class="folder-list">{folders}</div></div>'


def history(name: str, date_range: str) -> dict[str, Any]:
    """A json2.php answer: 15-minute rows over the whole date range."""
    try:
        first, last = (date.fromisoformat(part) for part in date_range.split(",")[:2])
    except ValueError:
        return {"items": []}
    moment = datetime(first.year, first.month, first.day, tzinfo=PORTAL_TZ)
    end = datetime(last.year, last.month, last.day, tzinfo=PORTAL_TZ) + timedelta(days=1)
    items = []
    while moment < end:
        pv, load = solar_w(moment), load_w(moment)
        rows = {
            "batt": [52.0 + pv / 4000, round((pv - load) / 52, 1), 60, 24.0],
            "fve": [
                380.0 if pv else 0.0,
                370.0 if pv else 0.0,
                0,
                round(pv * 0.55),
                round(pv * 0.45),
            ],
            "grid": [
                236.0,
                round(load - pv),
                round(max(load - pv, 0) / 4),
                round(max(pv - load, 0) / 4),
            ],
            "load": [round(load * 0.4), round(load * 0.35), round(load * 0.25)],
        }
        items.append({"values": rows.get(name, [])})
        moment += STEP
    return {"items": items}


def _json_reply(payload: Any) -> PortalReply:
    return PortalReply(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})
