"""The tool catalogue: every tool described once.

An entry holds a tool's name, title, description, argument model, output model, the
permission it needs, the use case it calls, the text summary of its answer, the view it
is shown in, and the words the README and the Claude Desktop extension use for it.
Registration (server), OAuth scopes (remote), the README's tool tables, the extension's
write switches, `tools`/`call` on the command line and `status` all derive from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from ..domain.insight_models import DayProfile, EnergyReport
from ..domain.models import BasicData, ExtendedData, Notifications, WriteResult
from ..domain.write_plans import EXPORT_LEGAL_NOTE, ONE_BOX_WRITE_NOTE, WritePlan
from . import inputs, render

if TYPE_CHECKING:
    from ..app.reads import Reads
    from ..app.writes import Writes

Permission = Literal["read", "write"]
SCOPES: dict[Permission, str] = {"read": "oig:read", "write": "oig:write"}
"""The OAuth scope a remote client needs for each permission."""
ENERGY_FLOW = "energy-flow"
DAY_CURVES = "day-curves"


@dataclass(frozen=True, kw_only=True)
class Tool:
    """What every tool has: name, words, arguments, output and the permission it needs."""

    name: str
    title: str
    description: str
    """For the model: what the tool answers and when to use it."""
    arguments: type[inputs.Arguments]
    output: type[BaseModel]
    readme: str
    """For the README: what it answers or does, in a sentence or two."""
    view: str | None = None
    """The MCP App view that shows its answer, if any."""

    @property
    def permission(self) -> Permission:
        """read or write."""
        return "read"

    @property
    def scope(self) -> str:
        """The OAuth scope a remote token needs to call it."""
        return SCOPES[self.permission]


@dataclass(frozen=True, kw_only=True)
class ReadTool(Tool):
    """A tool that reads: one use case and the text summary of its answer."""

    run: Callable[[Reads, Any], Awaitable[BaseModel]]
    render: Callable[[Any], str]
    ask: str
    """A question a homeowner asks that this tool answers (README)."""


@dataclass(frozen=True, kw_only=True)
class WriteTool(Tool):
    """A tool that changes the box: it plans the change, which is previewed or sent."""

    output: type[BaseModel] = WriteResult
    plan: Callable[[Writes, Any], Awaitable[WritePlan]]
    switch: str
    """The owner's switch for it (the Claude Desktop extension's settings)."""
    caution: str = ""
    """What the owner must know before switching it on."""

    @property
    def permission(self) -> Permission:
        """write."""
        return "write"

    @staticmethod
    def render(result: WriteResult) -> str:
        """A write's summary is its message."""
        return result.message


READ_TOOLS: tuple[ReadTool, ...] = (
    ReadTool(
        name="get_basic_data",
        title="Live data of the box",
        description="The box now: battery, time to reserve or full, solar, grid, house, "
        "phases, mode, today's energy, changes sent. Start here.",
        arguments=inputs.BoxArguments,
        output=BasicData,
        run=lambda reads, a: reads.basic_data(a.box_id),
        render=render.basic_data_text,
        view=ENERGY_FLOW,
        readme="Live snapshot: battery %, battery/solar/grid/house power, today's solar, "
        "import, export and consumption, mode (`Home 1`…`Home UPS`), grid export state and "
        "limit, box temperature, last contact, the first 3 box ids and how many there are "
        "(`box_count`); "
        "the **battery outlook** (installed kWh, reserve %, kWh above the reserve, minutes to "
        "the reserve or to full at the current power), installed solar kWp, and **per-phase** "
        "house load, grid power and voltage, grid frequency and the busiest phase, with a note "
        "when it nears the ~3.3 kW where the box goes to bypass",
        ask="How long will the battery last tonight?",
    ),
    ReadTool(
        name="get_energy_report",
        title="Energy report",
        description="Energy totals of a period or range: solar, import, export, consumption, "
        "self-consumption, self-sufficiency; optionally per day.",
        arguments=inputs.EnergyReportArguments,
        output=EnergyReport,
        run=lambda reads, a: reads.energy_report(
            a.period, a.box_id, start_date=a.start_date, end_date=a.end_date, by_day=a.by_day
        ),
        render=render.energy_report_text,
        readme="Solar produced, imported, exported, consumption, battery charged/discharged "
        "(older boxes only), `net_export_kwh` (export minus import: + = exported more than "
        "imported), **self-consumption** (1 − export/solar) and **self-sufficiency** "
        "(1 − import/consumption) in kWh and % with one decimal; each figure names its portal "
        "counter or says it is an estimate (yesterday, last month and last year are estimated "
        "from the history)",
        ask="How self-sufficient was I this month?",
    ),
    ReadTool(
        name="get_day_profile",
        title="A day by the hour",
        description="One day (default today) by the hour: solar, house, grid, battery %, "
        "peaks and lows.",
        arguments=inputs.DayProfileArguments,
        output=DayProfile,
        run=lambda reads, a: reads.day_profile(a.date, a.box_id),
        render=render.day_profile_text,
        view=DAY_CURVES,
        readme="One day by the hour: 24 rows of solar W, house W, grid W and battery %, peak "
        "solar and house hour, the hours the battery was fullest and emptiest, energy "
        "integrated from the samples (estimated), and for today the difference from the day "
        "counters",
        ask="When did my house use the most power yesterday?",
    ),
    ReadTool(
        name="get_extended_data",
        title="History of the box",
        description="History of up to 31 days: summaries and averaged samples per series.",
        arguments=inputs.ExtendedDataArguments,
        output=ExtendedData,
        run=lambda reads, a: reads.extended_data(
            a.start_date, a.end_date, a.series, a.box_id, a.max_samples
        ),
        render=render.extended_data_text,
        readme="History: per value min/max (each with the time of its sample)/mean/last over "
        "every sample, plus the samples averaged into at most `max_samples` rows of a round "
        "length (1 h, 6 h, 2 days…), each labelled with its start time (`row_starts`)",
        ask="What was the lowest battery level last week?",
    ),
    ReadTool(
        name="get_notifications",
        title="Box notifications",
        description="The box's event log (warnings, errors, bypass), newest first.",
        arguments=inputs.NotificationsArguments,
        output=Notifications,
        run=lambda reads, a: reads.notifications(a.limit, a.min_severity, a.box_id),
        render=render.notifications_text,
        readme="The box's event log, newest first, and the automatic-bypass state when a "
        "notice names it, with the notice it comes from and its age (`bypass_at`): OIG Cloud "
        "has no live bypass field",
        ask="Any warnings from the box this week?",
    ),
)

WRITE_TOOLS: tuple[WriteTool, ...] = (
    WriteTool(
        name="set_box_mode",
        title="Set the box mode",
        description="Switch the box's operating mode.",
        arguments=inputs.BoxModeArguments,
        plan=lambda writes, a: writes.plan("set_box_mode", mode=a.mode, box_id=a.box_id),
        readme="Switches the operating mode. Home 1: solar feeds the house, the battery "
        "covers the rest. Home 2: the battery is kept, the grid covers the rest. Home 3: "
        "solar charges the battery first. Home UPS: the battery is charged (also from the "
        "grid) and kept full for an outage.",
        switch="Allow switching the box mode (Home 1/2/3/UPS)",
    ),
    WriteTool(
        name="set_grid_delivery",
        title="Set grid export",
        description="Turn export to the grid off, on, or on with a limit.",
        arguments=inputs.GridDeliveryArguments,
        plan=lambda writes, a: writes.plan(
            "set_grid_delivery", state=a.state, limit_w=a.limit_w, box_id=a.box_id
        ),
        readme="Export of surplus solar to the grid.",
        switch="Allow changing export to the grid",
        caution=EXPORT_LEGAL_NOTE,
    ),
    WriteTool(
        name="set_boiler_mode",
        title="Set the boiler mode",
        description="Heat the boiler from surplus (auto) or at full power (manual).",
        arguments=inputs.BoilerModeArguments,
        plan=lambda writes, a: writes.plan("set_boiler_mode", mode=a.mode, box_id=a.box_id),
        readme="Boiler heating from surplus (auto) or at full power (manual). Refused if the "
        "box has no boiler module.",
        switch="Allow switching the boiler between auto and manual",
    ),
    WriteTool(
        name="set_battery_grid_charging",
        title="Charge from the grid",
        description="Charge the battery from the grid up to a target, or stop.",
        arguments=inputs.GridChargingArguments,
        plan=lambda writes, a: writes.plan("set_battery_grid_charging", target_pct=a.target_pct),
        readme="Starts charging the battery from the grid up to the target now, or stops it. "
        + ONE_BOX_WRITE_NOTE,
        switch="Allow charging the battery from the grid",
    ),
)

CATALOGUE: tuple[ReadTool | WriteTool, ...] = (*READ_TOOLS, *WRITE_TOOLS)
BY_NAME: dict[str, ReadTool | WriteTool] = {tool.name: tool for tool in CATALOGUE}


def full_schema(name: str) -> dict[str, Any]:
    """The complete JSON schema of a tool's arguments (every pattern and bound)."""
    return BY_NAME[name].arguments.model_json_schema()


def write_tool_names() -> tuple[str, ...]:
    """The write tools, in catalogue order."""
    return tuple(tool.name for tool in WRITE_TOOLS)
