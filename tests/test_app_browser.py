"""The MCP App views in a real headless Chromium, inside a test host page that plays the
host's side of the bridge (`tests/browser/host.html`), fed with the demo box's results.

Asserts what a person sees: numbers, arrow directions, "—" for unknown values, the
curves' points, the table view, both themes; and what the view asks the host to do
(`tools/call` from Refresh and the date picker). Screenshots go to `$OIG_ARTEFACTS`
(default: pytest's tmp dir); with `OIG_UPDATE_DOCS=1` the light demo views also go to
`docs/` for the README. Without Chromium the module is skipped, unless
`OIG_REQUIRE_BROWSER=1` (CI), where that is a failure.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.portal.client import OigCloudClient
from oig_cloud_mcp.portal.demo import DEMO_BOX, DEMO_CREDENTIALS, DemoPortal
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.server.views import DAY_CURVES_URI, ENERGY_FLOW_URI, VIEWS, ViewSpec

from .browser.cdp import Browser, find_chromium
from .browser.host import DARK, LIGHT, ViewHost
from .helpers.fakes import given
from .helpers.required import found_or_skip

MOMENT = datetime(2026, 4, 21, 10, 30, tzinfo=PORTAL_TZ)  # spring sun, the battery charging
PAST_DAY = "2026-04-20"
DOCS = Path(__file__).parents[1] / "docs"
DASH = "\u2014"
SERIES = {"solar": "solar_w", "house": "house_w", "grid": "grid_w", "battery": "battery_pct"}


def _view(uri: str) -> ViewSpec:
    return next(v for v in VIEWS if v.uri == uri)


FLOW_HTML = _view(ENERGY_FLOW_URI).read()
CURVES_HTML = _view(DAY_CURVES_URI).read()


# ---- fixtures: one Chromium and one set of demo results per module ---------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = (
        "no Chromium found (Debian: apt-get install chromium; or set OIG_CHROMIUM; "
        "POSIX only): the MCP App views are not tested in a browser"
    )
    chromium = Browser(found_or_skip(find_chromium(), reason, "OIG_REQUIRE_BROWSER"))
    yield chromium
    chromium.close()


async def _demo_results(state_dir: Path) -> dict[str, dict[str, Any]]:
    """Results of the real tools on the demo box at MOMENT, as the host forwards them."""
    settings = Settings(demo=True, state_dir=state_dir, config_dir=state_dir)
    portal = DemoPortal(None, lambda: MOMENT)
    client = OigCloudClient("http://demo.invalid/", given(DEMO_CREDENTIALS), handler=portal)
    service = build_app(settings, now=lambda: MOMENT, client=client)
    calls = {
        "basic": ("get_basic_data", {}),
        "day": ("get_day_profile", {"date": PAST_DAY}),
        "today": ("get_day_profile", {"date": MOMENT.date().isoformat()}),
    }
    results: dict[str, dict[str, Any]] = {}
    async with Client(build_server(settings, service)) as mcp:
        for key, (tool, arguments) in calls.items():
            result = await mcp.call_tool(tool, arguments)
            assert not result.is_error, result.content
            results[key] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    return results


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = anyio.run(
        _demo_results, tmp_path_factory.mktemp("demo-state")
    )
    return results


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("OIG_ARTEFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("app-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(view: ViewHost, artefacts: Path, name: str, docs_name: str | None = None) -> None:
    """Screenshot into the artefacts, and into docs/ when OIG_UPDATE_DOCS=1."""
    view.wait_view("document.fonts.status === 'loaded'")
    view.view("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    shot = artefacts / f"{name}.png"
    view.screenshot(shot)
    assert shot.stat().st_size > 5_000
    if docs_name and os.environ.get("OIG_UPDATE_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / docs_name)


def tool_result(structured: dict[str, Any], text: str = "(summary)") -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "structuredContent": structured}


def no_problems(view: ViewHost) -> None:
    assert view.problems() == []
    assert view.view("document.documentElement.scrollWidth <= window.innerWidth")  # 400 px


# ---- energy flow -------------------------------------------------------------------------


def charging_and_exporting(demo: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The demo snapshot, changed: battery charging, grid exporting, house unknown."""
    data: dict[str, Any] = copy.deepcopy(demo["basic"]["structuredContent"])
    data["solar"]["power_w"] = 4400
    data["battery"].update(power_w=2100, soc_pct=64, to_full_min=80, to_reserve_min=None)
    data["grid"].update(power_w=-1800, delivery="limited", delivery_limit_w=5000)
    data["house"]["power_w"] = None
    return data


def flow(view: ViewHost, key: str) -> dict[str, Any]:
    """An arrow as drawn: direction data, stroke width, and where its head points."""
    found: dict[str, Any] = view.view(
        f"""(key => {{
          const g = document.querySelector(`.flow[data-flow="${{key}}"]`);
          const centre = (e) => {{ const b = e.getBBox(), m = e.getCTM();
            return [m.a * (b.x + b.width / 2) + m.e, m.d * (b.y + b.height / 2) + m.f]; }};
          const head = g.querySelector("polygon");
          return {{
            dir: g.dataset.dir, from: g.dataset.from || null, to: g.dataset.to || null,
            width: Number(g.querySelector("line.main").getAttribute("stroke-width")),
            tip: head ? head.getAttribute("points").split(" ")[0].split(",").map(Number) : null,
            node: centre(document.querySelector(`.node[data-node="${{key}}"] circle`)),
            hub: centre(document.querySelector(".hub")),
          }};
        }})({json.dumps(key)})"""
    )
    return found


def points_at(arrow: dict[str, Any]) -> str:
    """'node' or 'hub': which end the arrow's head is nearer to."""
    tip = arrow["tip"]
    assert tip is not None, "no arrow head"
    return "node" if math.dist(tip, arrow["node"]) < math.dist(tip, arrow["hub"]) else "hub"


def test_energy_flow_shows_the_demo_box(
    browser: Browser, demo: dict[str, dict[str, Any]], artefacts: Path
) -> None:
    data = demo["basic"]["structuredContent"]
    just_fetched = MOMENT + timedelta(seconds=data["data_age_s"] + 1)
    with ViewHost(
        browser,
        FLOW_HTML,
        context=LIGHT,
        tool_input={},
        tool_result=demo["basic"],
        now=just_fetched,
    ) as v:
        v.wait_view("document.getElementById('battery-pct').textContent !== '—'")

        init = v.host("host.initParams")
        assert init["protocolVersion"] == "2026-01-26"
        assert init["appInfo"]["name"] == "oig-cloud-energy-flow"
        assert init["appCapabilities"] == {"availableDisplayModes": ["inline"]}
        assert v.host("host.initialized") is True
        assert v.text("#battery-pct") == f"{data['battery']['soc_pct']} %"
        assert v.text("#d-mode") == data["mode"]
        assert v.text("#box") == f"Battery Box {DEMO_BOX}"
        assert re.fullmatch(r"as of 10:30, [1-3] s ago", v.text("#d-age"))
        assert v.text("#d-export") == data["grid"]["delivery"]
        assert flow(v, "solar")["dir"] == "in"  # spring morning: solar feeds the box
        assert flow(v, "battery")["dir"] == "out"  # ... and the battery charges
        assert "charging" in v.text("#battery-sub")
        assert v.view("document.getElementById('refresh').disabled")  # the server's 20 s cache
        desc = v.text("#flow-desc")
        assert f"Battery {data['battery']['soc_pct']} %, charging" in desc
        height = v.wait_host("host.sizes.length && host.sizes[host.sizes.length - 1].height")
        assert height > 300
        assert v.host("host.frame.getBoundingClientRect().height") == height
        no_problems(v)
        save(v, artefacts, "energy-flow-light", docs_name="energy-flow.png")


def test_arrows_follow_the_signs_and_unknown_is_a_dash(
    browser: Browser, demo: dict[str, dict[str, Any]], artefacts: Path
) -> None:
    crafted = charging_and_exporting(demo)
    with ViewHost(browser, FLOW_HTML, context=LIGHT, tool_result=tool_result(crafted)) as v:
        v.wait_view("document.getElementById('battery-pct').textContent === '64 %'")

        battery, grid, solar, house = (flow(v, k) for k in ("battery", "grid", "solar", "house"))
        assert (battery["dir"], battery["from"], battery["to"]) == ("out", "hub", "battery")
        assert points_at(battery) == "node"  # the head touches the battery: charging
        assert (grid["dir"], grid["from"], grid["to"]) == ("out", "hub", "grid")
        assert points_at(grid) == "node"  # towards the grid: exporting
        assert points_at(solar) == "hub"
        assert solar["width"] > battery["width"] > grid["width"]  # 4.4 > 2.1 > 1.8 kW
        assert house["dir"] == "unknown"
        assert house["tip"] is None
        assert v.text("#house-val") == DASH
        assert v.text("#grid-val") == "1.8 kW"
        assert v.text("#grid-sub") == "Grid, exporting"
        assert v.text("#battery-sub") == "charging 2.1 kW"
        assert v.text("#d-export") == "limited to 5.0 kW"
        assert v.text("#d-outlook") == "full in about 1 h 20 min"
        save(v, artefacts, "energy-flow-charging-exporting")

        # a second result (the battery now discharging, the grid importing) redraws the view
        second = copy.deepcopy(crafted)
        second["battery"].update(power_w=-900, soc_pct=58, to_full_min=None, to_reserve_min=150)
        second["grid"].update(power_w=300, delivery="off")
        second["house"]["power_w"] = 1200
        v.notify("ui/notifications/tool-result", tool_result(second))
        v.wait_view("document.getElementById('battery-pct').textContent === '58 %'")

        battery, grid = flow(v, "battery"), flow(v, "grid")
        assert (battery["from"], battery["to"]) == ("battery", "hub")
        assert points_at(battery) == "hub"
        assert (grid["from"], grid["to"]) == ("grid", "hub")
        assert points_at(grid) == "hub"
        assert v.text("#house-val") == "1.2 kW"
        assert v.text("#d-export") == "off"
        assert v.text("#d-outlook") == "reserve (20 %) in about 2 h 30 min"
        no_problems(v)


def test_table_view_shows_the_same_numbers(
    browser: Browser, demo: dict[str, dict[str, Any]]
) -> None:
    crafted = charging_and_exporting(demo)
    with ViewHost(browser, FLOW_HTML, context=LIGHT, tool_result=tool_result(crafted)) as v:
        v.wait_view("document.getElementById('battery-pct').textContent === '64 %'")
        height = v.wait_host("host.sizes.length && host.sizes[host.sizes.length - 1].height")
        assert v.visible("#flow")
        assert not v.visible("table")

        v.click("#toggle")
        v.wait_view("document.querySelector('table').getClientRects().length > 0")
        rows = v.view(
            "[...document.querySelectorAll('#rows tr')]"
            ".map(tr => [...tr.children].map(c => c.textContent))"
        )
        assert not v.visible("#flow")
        assert v.view("document.getElementById('toggle').getAttribute('aria-pressed')") == "true"
        assert rows == [
            ["Solar", "4.4 kW", "producing"],
            ["Battery", "2.1 kW", "charging"],
            ["Battery charge", "64 %", "full in about 1 h 20 min"],
            ["Grid", "1.8 kW", "exporting"],
            ["House", DASH, DASH],
        ]
        v.wait_host(f"host.sizes[host.sizes.length - 1].height !== {height}", "a new size")

        v.click("#toggle")
        v.wait_view("document.getElementById('flow').getClientRects().length > 0")
        assert not v.visible("table")
        no_problems(v)


def test_refresh_calls_the_tool_again_once_the_cache_has_expired(
    browser: Browser, demo: dict[str, dict[str, Any]]
) -> None:
    fetched = demo["basic"]["structuredContent"]["data_age_s"]  # after last_contact
    with ViewHost(
        browser,
        FLOW_HTML,
        context=LIGHT,
        tool_input={},
        tool_result=demo["basic"],
        now=MOMENT + timedelta(seconds=fetched),
    ) as v:
        v.wait_view("document.getElementById('battery-pct').textContent !== '—'")
        assert re.fullmatch(r"Refresh \((1\d|20) s\)", v.text("#refresh"))
        v.click("#refresh")  # disabled: the server would answer from its cache
        assert v.tool_calls() == []

        v.advance_clock(21)
        v.wait_view("!document.getElementById('refresh').disabled", "Refresh to be enabled")
        age = re.fullmatch(r"as of 10:30, (\d+) s ago", v.text("#d-age"))
        assert age
        assert int(age.group(1)) >= 21
        v.click("#refresh")
        v.wait_host("host.toolCalls.length === 1", "a tools/call")

        assert v.tool_calls() == [{"name": "get_basic_data", "arguments": {"box_id": DEMO_BOX}}]
        assert v.text("#refresh") == "Refreshing…"
        fresh = charging_and_exporting(demo)  # the box reported 6 s before the server asked
        fresh.update(last_contact="2026-04-21T10:30:15+02:00", data_age_s=6)
        v.answer_tool_call(tool_result(fresh))
        v.wait_view("document.getElementById('battery-pct').textContent === '64 %'")
        assert v.view("document.getElementById('refresh').disabled")  # cached again
        assert points_at(flow(v, "grid")) == "node"
        no_problems(v)


async def _served_flow_html(settings: Settings) -> str:
    """The energy-flow view as the server for `settings` serves it to a host."""
    async with Client(build_server(settings)) as mcp:
        (contents,) = (await mcp.read_resource(ENERGY_FLOW_URI)).contents
    return str(contents.text)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("cache_ttl_s", "right_after", "enabled_after_s"),
    [(60, r"Refresh \((5\d|60) s\)", 61), (0, "Refresh", 0)],
    ids=["a minute", "no cache"],
)
def test_refresh_waits_as_long_as_the_server_keeps_its_answers(
    browser: Browser,
    demo: dict[str, dict[str, Any]],
    tmp_path: Path,
    cache_ttl_s: float,
    right_after: str,
    enabled_after_s: int,
) -> None:
    settings = Settings(demo=True, state_dir=tmp_path, cache_ttl_s=cache_ttl_s)
    html = anyio.run(_served_flow_html, settings)
    fetched = demo["basic"]["structuredContent"]["data_age_s"]  # after last_contact
    with ViewHost(
        browser,
        html,
        context=LIGHT,
        tool_input={},
        tool_result=demo["basic"],
        now=MOMENT + timedelta(seconds=fetched),
    ) as v:
        v.wait_view("document.getElementById('battery-pct').textContent !== '—'")
        assert re.fullmatch(right_after, v.text("#refresh"))
        if enabled_after_s:
            v.advance_clock(21)  # the default cache would have run out
            assert v.view("document.getElementById('refresh').disabled")
            v.advance_clock(enabled_after_s - 21)
        v.wait_view("!document.getElementById('refresh').disabled", "Refresh to be enabled")
        v.click("#refresh")
        v.wait_host("host.toolCalls.length === 1", "a tools/call")


def test_an_old_result_shown_again_says_its_age_and_can_be_refreshed_at_once(
    browser: Browser, demo: dict[str, dict[str, Any]]
) -> None:
    two_days_later = MOMENT + timedelta(days=2, minutes=3)
    with ViewHost(
        browser, FLOW_HTML, context=LIGHT, tool_result=demo["basic"], now=two_days_later
    ) as v:
        v.wait_view("document.getElementById('battery-pct').textContent !== '—'")

        assert v.text("#d-age") == "as of 10:30, 2 days ago"
        assert v.text("#refresh") == "Refresh"
        v.click("#refresh")
        v.wait_host("host.toolCalls.length === 1", "a tools/call")
        assert v.tool_calls() == [{"name": "get_basic_data", "arguments": {"box_id": DEMO_BOX}}]
        no_problems(v)


def background(v: ViewHost) -> str:
    colour: str = v.view("getComputedStyle(document.body).backgroundColor")
    return colour


def test_light_and_dark_themes_follow_the_host_context(
    browser: Browser, demo: dict[str, dict[str, Any]], artefacts: Path
) -> None:
    with ViewHost(browser, FLOW_HTML, context=DARK, tool_result=demo["basic"]) as v:
        v.wait_view("document.getElementById('battery-pct').textContent !== '—'")
        assert v.view("document.documentElement.dataset.theme") == "dark"
        assert background(v) == "rgb(38, 38, 36)"  # the host's --color-background-primary
        assert v.view("getComputedStyle(document.body).color") == "rgb(240, 239, 234)"
        save(v, artefacts, "energy-flow-dark")

        v.notify("ui/notifications/host-context-changed", {"theme": "light", **LIGHT})
        v.wait_view("document.documentElement.dataset.theme === 'light'")
        assert background(v) == "rgb(252, 252, 250)"

        # values written as light-dark(), as Claude sends them, follow the theme
        claude_like = {"variables": {"--color-background-primary": "light-dark(#fff, #171717)"}}
        v.notify("ui/notifications/host-context-changed", {"theme": "dark", "styles": claude_like})
        v.wait_view("document.documentElement.dataset.theme === 'dark'")
        assert background(v) == "rgb(23, 23, 23)"
        v.notify("ui/notifications/host-context-changed", {"theme": "light"})  # merged
        v.wait_view("document.documentElement.dataset.theme === 'light'")
        assert background(v) == "rgb(255, 255, 255)"

        # a host that sends only the theme: the view's own fallbacks, host variables dropped
        v.notify("ui/notifications/host-context-changed", {"theme": "dark", "styles": {}})
        v.wait_view("document.documentElement.dataset.theme === 'dark'")
        assert background(v) == "rgb(29, 31, 35)"
        soc = demo["basic"]["structuredContent"]["battery"]["soc_pct"]
        assert v.text("#battery-pct") == f"{soc} %"
        no_problems(v)


@pytest.mark.parametrize("html", [FLOW_HTML, CURVES_HTML], ids=["energy-flow", "day-curves"])
def test_bridge_answers_the_host(browser: Browser, html: str) -> None:
    with ViewHost(browser, html, context=LIGHT) as v:
        v.wait_host("host.initialized")
        ids = {
            method: v.host(f"host.request({json.dumps(method)}, {{}})")
            for method in ("ping", "ui/resource-teardown", "ui/something-else")
        }
        v.wait_host(f"Object.keys(host.responses).length === {len(ids)}", "3 answers")
        answers = {m: v.host(f"host.responses[{i}]") for m, i in ids.items()}

        assert answers["ping"]["result"] == {}
        assert answers["ui/resource-teardown"]["result"] == {}
        assert answers["ui/something-else"]["error"]["code"] == -32601

        v.notify("ui/notifications/tool-cancelled", {"reason": "user stopped it"})
        v.wait_view("document.getElementById('status').textContent.includes('cancelled')")
        error = {"content": [{"type": "text", "text": "Box 42 is not on this account."}]}
        v.notify("ui/notifications/tool-result", {**error, "isError": True})
        v.wait_view("document.getElementById('status').textContent.includes('Box 42')")
        assert v.view("document.getElementById('status').className") == "error"
        no_problems(v)


# ---- day curves --------------------------------------------------------------------------


def drawn_points(v: ViewHost) -> dict[str, list[int]]:
    """The hours that have a point drawn, per series."""
    found: dict[str, list[int]] = v.view(
        """Object.fromEntries(["solar", "house", "grid", "battery"].map(s => [s,
             [...document.querySelectorAll(`circle.pt[data-series="${s}"]`)]
               .map(c => Number(c.dataset.hour))]))"""
    )
    return found


def line_pieces(v: ViewHost) -> dict[str, int]:
    """How many separate pieces each series' line is drawn in."""
    found: dict[str, int] = v.view(
        """Object.fromEntries(["solar", "house", "grid", "battery"].map(s => {
             const p = document.querySelector(`path.line[data-series="${s}"]`);
             return [s, p ? (p.getAttribute("d").match(/M/g) || []).length : 0]; }))"""
    )
    return found


def known_hours(profile: dict[str, Any], field: str) -> list[int]:
    return [row["hour"] for row in profile["hours"] if row[field] is not None]


def cell(value: float | None) -> str:
    if value is None:
        return DASH
    return str(int(value)) if float(value).is_integer() else str(value)


def test_day_curves_draw_the_demo_day(
    browser: Browser, demo: dict[str, dict[str, Any]], artefacts: Path
) -> None:
    profile = demo["day"]["structuredContent"]
    with ViewHost(
        browser,
        CURVES_HTML,
        context=LIGHT,
        tool_input={"date": PAST_DAY},
        tool_result=demo["day"],
    ) as v:
        v.wait_view("document.querySelectorAll('circle.pt').length > 0")

        points = drawn_points(v)
        for series, field in SERIES.items():
            assert points[series] == known_hours(profile, field)
        assert len(points["solar"]) == 24  # a whole past day
        assert line_pieces(v) == {"solar": 1, "house": 1, "grid": 1, "battery": 1}
        assert v.text("#box") == f"{PAST_DAY} · Battery Box {DEMO_BOX}"
        assert v.view("document.querySelectorAll('.legend li').length") == 4
        assert "Solar peaked at" in v.text("#summary")
        assert v.view("document.getElementById('chart').getAttribute('aria-describedby')") == (
            "summary"
        )
        no_problems(v)
        save(v, artefacts, "day-curves-light", docs_name="day-curves.png")

        v.click("#toggle")
        v.wait_view("document.querySelector('table').getClientRects().length > 0")
        rows = v.view(
            "[...document.querySelectorAll('#rows tr')]"
            ".map(tr => [...tr.children].map(c => c.textContent))"
        )
        assert not v.visible("#chart")
        assert len(rows) == 24
        for row, hour in zip(rows, profile["hours"], strict=True):
            assert row == [f"{hour['hour']:02d}:00", *(cell(hour[f]) for f in SERIES.values())]
        save(v, artefacts, "day-curves-table")


def test_gaps_break_the_lines_and_are_never_drawn_as_zero(
    browser: Browser, demo: dict[str, dict[str, Any]], artefacts: Path
) -> None:
    profile = copy.deepcopy(demo["day"]["structuredContent"])
    for row in profile["hours"]:
        if 5 <= row["hour"] <= 7:
            row["solar_w"] = None
        if row["hour"] == 12:
            row.update(solar_w=None, house_w=None, grid_w=None, battery_pct=None)
    with ViewHost(browser, CURVES_HTML, context=DARK, tool_result=tool_result(profile)) as v:
        v.wait_view("document.querySelectorAll('circle.pt').length > 0")

        points = drawn_points(v)
        assert points["solar"] == [h for h in range(24) if h not in (5, 6, 7, 12)]
        assert all(12 not in hours for hours in points.values())
        assert line_pieces(v) == {"solar": 3, "house": 2, "grid": 2, "battery": 2}
        assert "1 hour has no data." in v.text("#summary")
        assert v.view("document.documentElement.dataset.theme") == "dark"
        no_problems(v)
        save(v, artefacts, "day-curves-dark-with-gaps")

        # today so far: the hours still to come are gaps too
        today = demo["today"]["structuredContent"]
        v.notify("ui/notifications/tool-result", demo["today"])
        v.wait_view(f"document.getElementById('box').textContent.startsWith('{today['date']}')")
        points = drawn_points(v)
        for series, field in SERIES.items():
            assert points[series] == known_hours(today, field)
        assert max(points["solar"]) == MOMENT.hour


def test_date_picker_asks_the_host_for_another_day(
    browser: Browser, demo: dict[str, dict[str, Any]]
) -> None:
    with ViewHost(browser, CURVES_HTML, context=LIGHT, tool_result=demo["day"]) as v:
        v.wait_view("document.querySelectorAll('circle.pt').length > 0")
        prague_today = datetime.now(PORTAL_TZ).date()
        assert v.view("document.getElementById('day').max") == prague_today.isoformat()
        assert v.view("document.getElementById('day').min") == (
            (prague_today - timedelta(days=30)).isoformat()
        )
        assert v.view("document.getElementById('day').value") == PAST_DAY

        picked = (prague_today - timedelta(days=2)).isoformat()
        v.view(
            "(i => { i.value = " + json.dumps(picked) + ";"
            " i.dispatchEvent(new Event('change', {bubbles: true})); })"
            "(document.getElementById('day'))"
        )
        v.wait_host("host.toolCalls.length === 1", "a tools/call")
        assert v.tool_calls() == [
            {"name": "get_day_profile", "arguments": {"date": picked, "box_id": DEMO_BOX}}
        ]
        assert v.text("#status") == f"Loading {picked}…"

        answer = copy.deepcopy(demo["today"])
        answer["structuredContent"]["date"] = picked
        v.answer_tool_call(answer)
        v.wait_view(f"document.getElementById('box').textContent.startsWith('{picked}')")
        assert drawn_points(v)["solar"] == known_hours(answer["structuredContent"], "solar_w")
        assert v.view("document.getElementById('day').value") == picked

        v.click("#prev")
        v.wait_host("host.toolCalls.length === 2", "a second tools/call")
        day_before = (date.fromisoformat(picked) - timedelta(days=1)).isoformat()
        assert v.tool_calls()[1] == {
            "name": "get_day_profile",
            "arguments": {"date": day_before, "box_id": DEMO_BOX},
        }
        v.answer_tool_call(
            {"content": [{"type": "text", "text": "OIG Cloud did not answer."}], "isError": True}
        )
        v.wait_view("document.getElementById('status').textContent.includes('did not answer')")
        assert v.text("#box").startswith(picked)  # the last good day stays on screen
        no_problems(v)
