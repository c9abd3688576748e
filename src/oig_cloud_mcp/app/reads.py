"""`OigService`: what the tools do, independent of MCP.

It wires the client to the credentials, session store and security guard chosen by
`Settings`, validates requests before any network call and turns raw portal data
into models. The client is created on first use so that start-up stays cheap.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..domain.models import (
    BOX_ID_PATTERN,
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
    parse_box_config,
    parse_history,
    select_box,
)
from ..domain.snapshot import parse_basic_data
from ..errors import InvalidRequestError, StateFileError
from ..state.local.pending import PendingChanges

if TYPE_CHECKING:
    from ..domain.insight_models import DayProfile, EnergyReport, Period
    from ..portal.client import OigCloudClient

log = logging.getLogger(__name__)

ALL_SERIES: tuple[SeriesName, ...] = ("batt", "fve", "grid", "load")
MAX_RANGE_DAYS = 31
ONE_BOX_HISTORY_NOTE = "The portal's history request names no box; it answers for its selected box."
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_BOX_ID = re.compile(BOX_ID_PATTERN)


def check_box_id(box_id: str | None) -> str | None:
    """A box id as the portal writes them (ASCII digits), checked before any request."""
    if box_id is not None and not _BOX_ID.fullmatch(box_id):
        raise InvalidRequestError(
            "box_id must be a Battery Box id of 1 to 20 digits (0-9), or left out for the "
            "first box on the account."
        )
    return box_id


def _parse_date(name: str, text: str) -> date:
    try:
        if not _ISO_DATE.match(text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequestError(
            f"{name} '{text}' is not a date; use YYYY-MM-DD, for example 2025-06-24."
        ) from None


def validate_range(start: str, end: str, today: date) -> tuple[date, date, list[str]]:
    """Check a history range before any request; returns the dates and notes."""
    first, last = _parse_date("start_date", start), _parse_date("end_date", end)
    notes: list[str] = []
    if first > last:
        raise InvalidRequestError(
            f"start_date {first} is after end_date {last}; swap them or pick another range."
        )
    if first > today:
        raise InvalidRequestError(
            f"start_date {first} is in the future (today is {today} in Prague); "
            "history exists only for past days."
        )
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise InvalidRequestError(
            f"The range {first}..{last} covers {days} days; ask for at most "
            f"{MAX_RANGE_DAYS} days at a time."
        )
    if last > today:
        notes.append(f"end_date {last} is in the future; history ends today ({today}).")
        last = today
    return first, last, notes


def validate_day(text: str, today: date) -> date:
    """Check the day of a day profile before any request: a date, not after today.

    There is no lower limit: how far back OIG Cloud keeps history is not documented
    (spec §13 q6), and a day it has nothing for comes back empty with a note.
    """
    day = _parse_date("date", text)
    if day > today:
        raise InvalidRequestError(
            f"date {day} is in the future (today is {today} in Prague); a day profile "
            "exists for today and earlier days."
        )
    return day


class OigService:
    """Reads one OIG Cloud account (or the demo box) for the MCP tools."""

    def __init__(
        self,
        settings: Settings,
        *,
        now: Callable[[], datetime] | None = None,
        client: OigCloudClient | None = None,
    ) -> None:
        if settings.demo:  # the demo box keeps its pending changes and audit apart
            settings = settings.with_overrides(state_dir=settings.state_dir / "demo")
        self.settings = settings
        self._now = now or (lambda: datetime.now(PORTAL_TZ))
        self._client: OigCloudClient | None = client

    def now(self) -> datetime:
        """The current time (aware)."""
        return self._now()

    @property
    def client(self) -> OigCloudClient:
        """The portal client, created on first use."""
        if self._client is None:
            self._client = build_client(self.settings)
        return self._client

    async def aclose(self) -> None:
        """Close the portal client if it was ever created."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def basic_data(self, box_id: str | None = None) -> BasicData:
        """The live snapshot of one box."""
        check_box_id(box_id)
        payload = await self.client.live_stats()
        now = self.now()
        data = parse_basic_data(payload, box_id, now)
        self._review_pending(data, payload[data.box_id], now)
        return data

    def _review_pending(self, data: BasicData, box: Mapping[str, Any], now: datetime) -> None:
        path = self.settings.pending_path
        if not (path.exists() or path.is_symlink()):
            return
        try:
            data.pending_changes = PendingChanges(path).review(data.box_id, box, now)
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
        chosen, _ = select_box(payload, box_id)
        if len(box_ids(payload)) > 1:
            notes.append(ONE_BOX_HISTORY_NOTE)
        results = []
        for name in wanted:
            raw = await self.client.history(name, first.isoformat(), last.isoformat())
            results.append(parse_history(name, raw, max_samples))
        if any(s.sample_count > len(s.samples) for s in results):
            notes.append(
                f"Samples are averaged into at most {max_samples} rows per series; "
                "summaries cover every sample. OIG Cloud's history has no sample times."
            )
        if all(s.sample_count == 0 for s in results):
            notes.append("OIG Cloud returned no history for this range.")
        return ExtendedData(
            box_id=chosen,
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            series=results,
            notes=notes,
        )

    async def energy_report(
        self, period: Period = "today", box_id: str | None = None
    ) -> EnergyReport:
        """Energy totals and ratios of one box for today, this month or this year."""
        check_box_id(box_id)
        from ..domain.insights import energy_report

        payload = await self.client.live_stats()
        chosen, box = select_box(payload, box_id)
        return energy_report(chosen, box, period, self.now())

    async def day_profile(self, day: str, box_id: str | None = None) -> DayProfile:
        """One day by the hour from the four history series; today is cross-checked."""
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
        return parse_box_config(await self.client.live_stats(), box_id)

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
            bypass_state,
            extract_html,
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
        bypass = bypass_state(items)
        if min_severity is not None:
            items = [n for n in items if SEVERITY_RANK[n.severity] >= SEVERITY_RANK[min_severity]]
        return Notifications(
            notifications=items[:limit], total=len(items), bypass=bypass, notes=notes
        )


def build_client(settings: Settings) -> OigCloudClient:
    """The portal client for `settings`: the demo portal, or the real one with our guards."""
    from ..portal.client import OigCloudClient

    if settings.demo:
        from ..portal.demo import DEMO_CREDENTIALS, DemoPortal

        return OigCloudClient(
            "http://demo.invalid/",
            lambda: DEMO_CREDENTIALS,
            cache_ttl_s=settings.cache_ttl_s,
            handler=DemoPortal(settings.state_dir / "demo_box.json"),
        )
    from ..domain.security import backoff_file
    from ..state.credentials import current_account, hints, resolve_credentials
    from ..state.local.sessions import SessionStore, SharedSessions

    sessions = SharedSessions(
        SessionStore(settings.session_path),
        backoff_file(settings.backoff_path),
        hints(settings),
        whitelist=(settings.whitelist_path, settings.whitelist_extra),
    )
    return OigCloudClient(
        settings.base_url,
        lambda: resolve_credentials(settings),
        account=lambda: current_account(settings),
        sessions=sessions,
        cache_ttl_s=settings.cache_ttl_s,
        timeout_s=settings.timeout_s,
    )


__all__ = [
    "ALL_SERIES",
    "OigService",
    "build_client",
    "check_box_id",
    "validate_day",
    "validate_range",
]
