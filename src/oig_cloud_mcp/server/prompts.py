"""Prompts and resources of the MCP server.

Prompts are conversation starters a user picks in the client (Claude Desktop's "+"
menu): each tells the model which tools to call and what to answer; none writes
anything by itself. Resources: a guide to the box modes and each box's configuration.
"""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field

from ..domain.models import BOX_ID_PATTERN, MODE_EFFECTS, REPORTED_ONLY_MODES
from ..domain.requests import BOX_ID_WORDS
from ..errors import InvalidRequestError, OigError

if TYPE_CHECKING:
    from ..app.reads import Reads

PromptBoxId = Annotated[
    str | None, Field(description="Battery Box id; leave empty for the first box.")
]
BAD_BOX_ID = f"box_id must be {BOX_ID_WORDS}, or left empty."
NULLS = "Values that are null are unknown, not zero."

DAILY_CHECK_IN = """\
Give me a short daily check-in on my home battery system.{box}
1. Call get_basic_data: what powers the house now, the battery % and how long it lasts at \
this power (battery.to_reserve_min or to_full_min), the mode, notes and pending changes.
2. Call get_energy_report with period="today": solar so far, bought and sold, \
self-sufficiency.
3. Call get_notifications with min_severity="warning" and limit=10: mention anything from \
the last 24 hours (errors, bypass, lost contact), or say there was nothing.
Answer in a few short lines in plain words. {nulls}"""

MONTHLY_REPORT = """\
Write this month's energy report for my home battery system.{box}
1. Call get_energy_report with period="this_month", then with period="this_year".
2. Call get_notifications with limit=50 and keep this month's entries: setting changes, \
bypass events, errors.
Report solar produced, bought, sold, consumption (say when it is estimated), \
self-consumption and self-sufficiency, and how the month compares with the year so far \
(its share of the year's solar; better or worse ratios). Under "What changed" list this \
month's setting changes and events. OIG Cloud has no totals for earlier months, so do not \
invent month-to-month comparisons. {nulls}"""

OUTAGE = """\
Help me prepare my home battery system for a power outage.{box}
1. Call get_basic_data. battery.capacity_kwh, soc_pct, reserve_pct, above_reserve_kwh and \
to_reserve_min say how much backup there is and how long it lasts at the current power; \
house and phases show what the backed-up output carries (phases.note warns when one phase \
nears the bypass level).
2. Tell me how many hours the battery would carry the house at the current load, and what \
would shorten that.
3. {ups} {nulls}"""

UPS_OFFER = """\
If the mode is not Home UPS, offer to switch to Home UPS, which keeps the battery full \
(it can buy grid energy). Only if I agree: call set_box_mode with mode="Home UPS" without \
confirm, show me the preview, and call it again with confirm=true only after I confirm. \
Remind me to switch back when the risk has passed."""

UPS_OFF = """\
Home UPS mode keeps the battery full for an outage, but changing the mode is not enabled \
on this server: tell me I can switch in the OIG app, or enable set_box_mode \
(--allow-writes set_box_mode). Do not try to change anything."""

WHY_BYPASS = """\
Explain why my home battery box switched to bypass, or whether it did.{box}
1. Call get_notifications with min_severity="warning" and limit=30: find the bypass \
notices ("Automatický BYPASS - Zapnut/Vypnut" = on/off), their times and errors around them.
2. Call get_basic_data: phases gives the backed-up load per phase now, the busiest phase, \
and a note when it nears ~3,300 W, where the box goes to bypass (a figure from Home \
Assistant's OIG integration, not from OIG).
3. If a bypass notice has a date, call get_day_profile for that date to see the house \
load around that hour (hourly means hide short peaks).
Give the likely cause in plain words (an overloaded phase, a fault, a manual switch) and \
what I can do, such as spreading large loads across phases. Say so when the data does not \
show the cause. {nulls}"""


def _box(box_id: str | None) -> str:
    if box_id is None or not box_id.strip():
        return ""
    if not re.fullmatch(BOX_ID_PATTERN, box_id.strip()):
        raise MCPError(INVALID_PARAMS, BAD_BOX_ID)  # other errors reach the client unnamed
    return f' Use box_id="{box_id.strip()}" in every call.'


def modes_guide() -> str:
    """The `oig://guide/modes` text."""
    from ..domain.write_plans import APPLY_NOTE

    modes = "\n".join(f"- **{name}**: {effect}" for name, effect in MODE_EFFECTS.items())
    extra = " and ".join(REPORTED_ONLY_MODES.values())
    return (
        "# Battery Box modes\n\n"
        f"{modes}\n\n"
        f"Some boxes also report {extra} (supplementary modes); they cannot be set here. "
        "`battery.reserve_pct` in get_basic_data is the minimum charge the box keeps. "
        f"{APPLY_NOTE} set_box_mode changes the mode only if the owner enabled it, and "
        "always shows a preview first.\n"
    )


def register_prompts(server: MCPServer, allowed: frozenset[str]) -> None:
    """The four prompts; the outage prompt offers Home UPS only when set_box_mode is on."""
    ups = UPS_OFFER if "set_box_mode" in allowed else UPS_OFF

    @server.prompt(title="Daily check-in")
    async def daily_check_in(box_id: PromptBoxId = None) -> str:
        """The state now, today so far, and anything unusual in the notifications."""
        return DAILY_CHECK_IN.format(box=_box(box_id), nulls=NULLS)

    @server.prompt(title="Monthly report")
    async def monthly_report(box_id: PromptBoxId = None) -> str:
        """This month's energy report and what changed."""
        return MONTHLY_REPORT.format(box=_box(box_id), nulls=NULLS)

    @server.prompt(title="Prepare for an outage")
    async def prepare_for_outage(box_id: PromptBoxId = None) -> str:
        """How long the battery would last, and how to keep it full."""
        return OUTAGE.format(box=_box(box_id), ups=ups, nulls=NULLS)

    @server.prompt(title="Why bypass?")
    async def why_bypass(box_id: PromptBoxId = None) -> str:
        """Why the box switched to bypass: notifications and per-phase loads."""
        return WHY_BYPASS.format(box=_box(box_id), nulls=NULLS)


def register_resources(server: MCPServer, reads: Callable[[], "Reads"]) -> None:
    """The modes guide and the box configuration template."""

    @server.resource(
        "oig://guide/modes",
        name="modes-guide",
        title="Battery Box modes",
        description="What Home 1, 2, 3 and UPS do with the battery and the grid.",
        mime_type="text/markdown",
    )
    async def guide_modes() -> str:
        return modes_guide()

    @server.resource(
        "oig://box/{box_id}/config",
        name="box-config",
        title="Box configuration",
        description="Installed battery and solar size, reserve, mode, export and boiler.",
        mime_type="application/json",
    )
    async def box_config(box_id: str) -> str:
        try:
            config = await reads().box_config(box_id)
        except InvalidRequestError as exc:  # a bad or unknown box id: as the prompts answer it
            raise MCPError(INVALID_PARAMS, str(exc)) from exc
        except OigError as exc:
            raise ResourceError(str(exc)) from exc
        return config.model_dump_json()
