"""The read use cases: what the read tools answer, independent of MCP.

Requests are checked before any network call (`domain.requests`), the portal is asked
through the app's client, and raw portal data becomes models (`domain`). Reading the live
data also resolves the pending changes it shows applied.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..domain.changes import reviewed, shown
from ..domain.history import RowLayout, history_notes, parse_history
from ..domain.models import (
    BasicData,
    BoxConfig,
    ExtendedData,
    Notifications,
    SeriesName,
    Severity,
)
from ..domain.parsing import (
    PORTAL_TZ,
    box_ids,
    select_box,
)
from ..domain.plausible import believed_box
from ..domain.requests import (
    ALL_SERIES,
    ONE_BOX_HISTORY_NOTE,
    check_box_id,
    validate_day,
    validate_range,
)
from ..domain.snapshot import parse_basic_data, parse_box_config
from ..domain.timeline import Span, history_end
from ..errors import StateFileError

if TYPE_CHECKING:
    from ..domain.insight_models import DayProfile, EnergyReport, Period
    from ..portal.client import OigCloudClient
    from .context import App

log = logging.getLogger(__name__)


class Reads:
    """Reads one OIG Cloud account (or the demo box) for the read tools."""

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def client(self) -> OigCloudClient:
        """The app's portal client."""
        return self.app.client

    def now(self) -> datetime:
        """The current time (aware)."""
        return self.app.now()

    async def basic_data(self, box_id: str | None = None) -> BasicData:
        """The live snapshot of one box."""
        check_box_id(box_id)
        payload = await self.client.live_stats()
        now = self.now()
        data = parse_basic_data(payload, box_id, now)
        await self._review_pending(data, payload[data.box_id], now)
        return data

    async def _review_pending(self, data: BasicData, box: Mapping[str, Any], now: datetime) -> None:
        pending = self.app.state.pending
        account = await self.client.account()
        try:
            if await pending.changes(account):
                kept = await pending.update(
                    account, lambda entries: reviewed(entries, data.box_id, box, now)
                )
                data.pending_changes = shown(kept, data.box_id)
        except StateFileError as exc:  # the live data is still worth having
            data.notes.append(f"Pending changes are unknown: {exc}")

    async def extended_data(
        self,
        start_date: str,
        end_date: str,
        series: Sequence[SeriesName] | None = None,
        box_id: str | None = None,
        max_samples: int = 24,
    ) -> ExtendedData:
        """History per series for a date range of at most 31 days."""
        check_box_id(box_id)
        today = self.now().astimezone(PORTAL_TZ).date()
        first, last, notes = validate_range(start_date, end_date, today)
        wanted = list(dict.fromkeys(series or ALL_SERIES))
        payload = await self.client.live_stats()
        chosen, box = select_box(payload, box_id)
        if len(box_ids(payload)) > 1:
            notes.append(ONE_BOX_HISTORY_NOTE)
        now = self.now()
        end = history_end(believed_box(box, now)[0], now, first)
        rows = RowLayout.of(Span.of(first, last, end), max_samples)
        results = []
        for name in wanted:
            raw = await self.client.history(name, first.isoformat(), last.isoformat())
            parsed, doubts = parse_history(name, raw, rows)
            results.append(parsed)
            notes += doubts
        notes += history_notes(results, rows)
        if all(s.sample_count == 0 for s in results):
            notes.append("OIG Cloud returned no history for this range.")
        return ExtendedData(
            box_id=chosen,
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            row_starts=rows.starts() if any(s.sample_count for s in results) else [],
            row_minutes=rows.width_min,
            series=results,
            notes=notes,
        )

    async def energy_report(
        self,
        period: Period = "today",
        box_id: str | None = None,
        *,
        start_date: str | None = None,
        end_date: str | None = None,
        by_day: bool = False,
    ) -> EnergyReport:
        """Energy totals and ratios of one box for a period, or for start_date..end_date
        (at most 31 days): the portal's counters where one covers it (today, this month,
        this year), else estimated from the history; with `by_day`, each day too."""
        check_box_id(box_id)
        from ..domain.energy import energy_report
        from ..domain.energy_history import (
            BY_DAY_NOTE,
            ENERGY_SERIES,
            daily_energy,
            daily_rows,
            estimated_report,
            plan_report,
        )

        now = self.now()
        plan = plan_report(period, start_date, end_date, by_day, now.astimezone(PORTAL_TZ).date())
        payload = await self.client.live_stats()
        chosen, box = select_box(payload, box_id)
        chunks = []
        for first, last in plan.chunks() if plan.needs_history else []:
            start, end = first.isoformat(), last.isoformat()
            history = {name: await self.client.history(name, start, end) for name in ENERGY_SERIES}
            chunks.append((first, last, history))
        totals, notes = daily_energy(chunks, box, now)
        if plan.counter is None:
            report = estimated_report(chosen, box, plan, totals, notes, now)
        else:
            report = energy_report(chosen, box, plan.counter, now)
            if plan.by_day:
                report.days = daily_rows(totals)
                report.notes += [*plan.notes, *notes, BY_DAY_NOTE]
        if plan.needs_history and len(box_ids(payload)) > 1:
            report.notes.append(ONE_BOX_HISTORY_NOTE)
        return report

    async def day_profile(self, day: str = "today", box_id: str | None = None) -> DayProfile:
        """One day by the hour from the four history series (`today`, the default,
        `yesterday` or YYYY-MM-DD); today is cross-checked with the day counters."""
        check_box_id(box_id)
        from ..domain.day_profile import SERIES, day_profile

        now = self.now()
        wanted = validate_day(day, now.astimezone(PORTAL_TZ).date()).isoformat()
        payload = await self.client.live_stats()
        chosen, box = select_box(payload, box_id)
        history = {name: await self.client.history(name, wanted, wanted) for name in SERIES}
        profile = day_profile(date.fromisoformat(wanted), history, box, now, box_id=chosen)
        if len(box_ids(payload)) > 1:
            profile.notes.append(ONE_BOX_HISTORY_NOTE)
        return profile

    async def box_config(self, box_id: str | None = None) -> BoxConfig:
        """Installed sizes and settings of one box."""
        check_box_id(box_id)
        return parse_box_config(await self.client.live_stats(), box_id, self.now())

    async def notifications(
        self,
        limit: int = 20,
        min_severity: Severity | None = None,
        box_id: str | None = None,
    ) -> Notifications:
        """Notifications, newest first, filtered by box and minimum severity."""
        check_box_id(box_id)
        from ..domain.notifications import (
            SEVERITY_RANK,
            bypass_note,
            extract_html,
            latest_bypass,
            parse_notifications,
        )

        if box_id is not None:  # the same "not on this account" sentence as the other tools
            box_id, _ = select_box(await self.client.live_stats(), box_id)
        raw = await self.client.notifications_html()
        fragment = extract_html(raw)
        notes: list[str] = []
        if fragment is None:
            notes.append("OIG Cloud sent the notification list in an unexpected shape.")
            fragment = ""
        parsed = parse_notifications(fragment)
        if not parsed:
            notes.append("OIG Cloud returned an empty notification list.")
        floor = datetime.min.replace(tzinfo=PORTAL_TZ)
        parsed.sort(key=lambda pair: pair[0] or floor, reverse=True)
        items = [n for _, n in parsed if box_id is None or n.box_id in (None, box_id)]
        bypass = latest_bypass(items)
        if bypass is not None:
            notes.append(bypass_note(bypass[1], self.now()))
        if min_severity is not None:
            items = [n for n in items if SEVERITY_RANK[n.severity] >= SEVERITY_RANK[min_severity]]
        return Notifications(
            notifications=items[:limit],
            total=len(items),
            bypass=None if bypass is None else bypass[0],
            bypass_at=None if bypass is None else bypass[1].time,
            notes=notes,
        )
