"""A fake OIG Cloud portal that follows ../shared/oig-cloud-api/README.md (spec §10).

It runs for real on 127.0.0.1 (uvicorn in a thread) so the stdio end-to-end tests can
spawn the actual command against it. State is plain attributes tests can flip:
expire sessions, switch live data off, fail with 500, go slow, and read the request log.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import string
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .fake_history import day_history, days
from .helpers.threaded import serve_in_thread

SAMPLE = Path(__file__).parent / "fixtures" / "json_php_live_stats_single_box.json"
BOX_ID = "2205232120"
LOGIN_OK = '[[2,"",false]]'
ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Chyba</title></head>"
    "<body><h1>Nastala chyba</h1></body></html>"
)
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><title>Údržba</title></head>"
    "<body><h1>Probíhá údržba portálu</h1></body></html>"
)
HISTORY_WIDTH = {"batt": 4, "fve": 5, "grid": 4, "load": 3}


@dataclass
class Recorded:
    """One request as the portal saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakePortal:
    """Portal state and behaviour switches."""

    accounts: dict[str, str] = field(default_factory=lambda: {"owner@example.com": "s3cret-pw"})
    sessions: set[str] = field(default_factory=set)
    payload: dict[str, Any] = field(default_factory=lambda: json.loads(SAMPLE.read_text()))
    account_payloads: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Live data of other accounts, by e-mail (box id → box), whose sessions also see only
    their own boxes' notifications; any other account's sessions get `payload` and all."""
    session_accounts: dict[str, str] = field(default_factory=dict)
    """Which account each cookie the portal issued belongs to."""
    live_data: bool = True
    live_500: bool = False
    fail_all_500: bool = False
    delay_s: float = 0.0
    history_rows: int = 96
    history_mode: Literal["counting", "day"] = "counting"
    """counting: `history_rows` rows of consecutive numbers per request (shape only);
    day: a realistic day per date (see `day_history`)."""
    notifications: list[tuple[int, str, str, str, str]] = field(
        default_factory=lambda: [
            (
                1,
                "28. 6. 2025 | 13:05",
                BOX_ID,
                "Stav baterie",
                "Baterie nabita na 100 %.<br>Dobrý den.",
            ),
            (
                3,
                "28. 6. 2025 | 9:41",
                BOX_ID,
                "Automatický BYPASS - Zapnut",
                "Automatický BYPASS - Zapnut",
            ),
            (4, "27. 6. 2025 | 22:10", BOX_ID, "Chyba komunikace", "Box neodpovídá."),
        ]
    )
    log: list[Recorded] = field(default_factory=list)
    login_answer: str = "normal"
    """normal, or how a portal in trouble answers Login.php: maintenance, garbage, 500;
    or a success that gives no usable session: "no cookie" (no Set-Cookie at all),
    "dead session" (a cookie every other script then treats as dead)."""
    login_delay_s: float = 0.0
    issued_cookies: list[str] = field(default_factory=list)
    accept_form: bool = True
    write_delay_s: float = 0.0
    apply_delay_s: float = 0.0
    pending_writes: list[tuple[float, dict[str, dict[str, Any]]]] = field(default_factory=list)
    writes_in_flight: int = 0
    max_writes_in_flight: int = 0
    write_then_redirect: bool = False
    """Take each write, then answer it with a 302 to the login page."""
    dead_session_write: Literal["500", "401"] = "500"
    """How a write on a dead session is answered: the real portal's HTTP 500 error page
    (seen on portal.oigpower.cz, issue 17), or a plain 401."""

    def __repr__(self) -> str:
        # short: hypothesis prints fixtures in its reports, and the log only grows
        return f"{type(self).__name__}({len(self.log)} requests)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """What hypothesis's pretty printer shows (it would list every field otherwise)."""
        printer.text(repr(self))

    # -- helpers for tests ----------------------------------------------------------

    def requests_to(self, suffix: str) -> list[Recorded]:
        """Recorded requests whose path ends with `suffix`."""
        return [r for r in self.log if r.path.endswith(suffix)]

    def count(self, suffix: str) -> int:
        """How many requests hit an endpoint."""
        return len(self.requests_to(suffix))

    def expire_sessions(self) -> None:
        """Every existing PHPSESSID becomes invalid."""
        self.sessions.clear()

    def box(self, box_id: str = BOX_ID) -> dict[str, Any]:
        """The live state of a box (tests may edit it)."""
        return self.payload[box_id]  # type: ignore[no-any-return]

    # -- protocol -------------------------------------------------------------------

    def _session_ok(self, request: Request) -> bool:
        return request.cookies.get("PHPSESSID") in self.sessions

    def _payload_of(self, request: Request) -> dict[str, Any]:
        """The live data of the account whose session `request` carries."""
        account = self.session_accounts.get(request.cookies.get("PHPSESSID", ""), "")
        return self.account_payloads.get(account, self.payload)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path.lstrip("/")
        self.log.append(
            Recorded(request.method, path, dict(request.query_params), dict(request.headers), body)
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_all_500:
            return Response(ERROR_PAGE, 500, media_type="text/html")
        self._apply_due_writes()
        route = path.rsplit("/", 1)[-1]
        if route in WRITE_SCRIPTS:
            return await self._write(route, request, body)
        if route == "Login.php":
            return await self._login(request, body)
        handler = {
            "json.php": self._live,
            "json2.php": self._history,
            "Controller.Call.php": self._notifications,
        }.get(route)
        if handler is not None:
            return handler(request, body)
        return Response(ERROR_PAGE, 404, media_type="text/html")

    async def _login(self, request: Request, body: bytes) -> Response:
        if self.login_delay_s:
            await asyncio.sleep(self.login_delay_s)
        trouble = {
            "maintenance": Response(MAINTENANCE_PAGE, 200, media_type="text/html"),
            "garbage": Response("Fatal error: mysqli_connect()", 200, media_type="text/html"),
            "500": Response(ERROR_PAGE, 500, media_type="text/html"),
        }.get(self.login_answer)
        if trouble is not None:
            return trouble
        try:
            data = json.loads(body)
        except ValueError:
            return Response('[[1,"",true]]', 200, media_type="text/html")
        if self.accounts.get(str(data.get("email"))) != data.get("password"):
            return Response('[[1,"",true]]', 200, media_type="text/html")
        cookie = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(26))
        response = Response(LOGIN_OK, 200, media_type="text/html")
        if self.login_answer == "no cookie":
            return response
        if self.login_answer != "dead session":
            self.sessions.add(cookie)
        self.issued_cookies.append(cookie)
        self.session_accounts[cookie] = str(data.get("email"))
        response.set_cookie("PHPSESSID", cookie, path="/")
        return response

    def _live(self, request: Request, body: bytes) -> Response:
        if not self._session_ok(request):
            return Response("[]", 200, media_type="application/json")
        if self.live_500:
            return Response(ERROR_PAGE, 500, media_type="text/html")
        payload = copy.deepcopy(self._payload_of(request))
        if not self.live_data:
            for box in payload.values():
                box.pop("actual", None)
        return Response(json.dumps(payload), 200, media_type="application/json")

    def _history(self, request: Request, body: bytes) -> Response:
        if not self._session_ok(request):
            return Response("Unauthorized", 401, media_type="text/plain")
        try:
            data = json.loads(body)
        except ValueError:
            return Response(ERROR_PAGE, 500, media_type="text/html")
        width = HISTORY_WIDTH.get(str(data.get("name")))
        if width is None or "range" not in data:
            return Response(ERROR_PAGE, 500, media_type="text/html")
        if self.history_mode == "day":
            first, last = (date.fromisoformat(p) for p in str(data["range"]).split(",")[:2])
            items = [
                {"values": row}
                for day in days(first, last)
                for row in day_history(self.box(), day)[str(data["name"])]
            ]
        else:
            rows = range(self.history_rows)
            items = [{"values": [float(i + j) for j in range(width)]} for i in rows]
        return Response(json.dumps({"items": items}), 200, media_type="application/json")

    def notifications_html(self, boxes: Collection[str] | None = None) -> str:
        """The widget HTML for the current notification list (of `boxes` only, if given)."""
        folders = "".join(
            f'<div class="folder"><div class="point level-{level}"></div>'
            f'<div class="date">{when}</div>'
            f'<div class="row-2"><strong>Box #{box}</strong> - {title}</div>'
            f'<div class="body"><p>{text}</p></div></div>'
            for level, when, box, title, text in self.notifications
            if boxes is None or box in boxes
        )
        widget = '<div id="ctrl-notifs" x:controller:id="2">'
        return f'{widget}<div class="folder-list">{folders}</div></div>'

    def _notifications(self, request: Request, body: bytes) -> Response:
        if not self._session_ok(request):
            return Response("Unauthorized", 401, media_type="text/plain")
        account = self.session_accounts.get(request.cookies.get("PHPSESSID", ""), "")
        boxes = self.account_payloads.get(account)  # the default account sees every one
        answer = [[11, "ctrl-notifs", self.notifications_html(boxes), None]]
        return Response(json.dumps(answer), 200, media_type="application/json")

    def write_requests(self) -> list[Recorded]:
        """Every request to one of the three write scripts."""
        return [r for r in self.log if r.path.rsplit("/", 1)[-1] in WRITE_SCRIPTS]

    def apply_writes(self) -> int:
        """Apply now every write the box has taken but not yet shown, whatever
        `apply_delay_s` says: the explicit control tests use instead of waiting the delay
        out (set a long delay, check what is pending, then call this). Returns how many."""
        taken = len(self.pending_writes)
        self.pending_writes[:] = [(float("-inf"), changes) for _, changes in self.pending_writes]
        self._apply_due_writes()
        return taken

    def _apply_due_writes(self) -> None:
        now = time.monotonic()
        for write in [w for w in self.pending_writes if w[0] <= now]:
            self.pending_writes.remove(write)
            for table, values in write[1].items():
                self.box().setdefault(table, {}).update(values)
            # the real box logs applied changes in its notification list
            stamp = datetime.now(ZoneInfo("Europe/Prague"))
            when = f"{stamp.day}. {stamp.month}. {stamp.year} | {stamp.hour}:{stamp.minute:02d}"
            self.notifications.insert(0, (1, when, BOX_ID, "Změna nastavení", json.dumps(write[1])))

    async def _write(self, script: str, request: Request, body: bytes) -> Response:
        self.writes_in_flight += 1
        self.max_writes_in_flight = max(self.max_writes_in_flight, self.writes_in_flight)
        try:
            if self.write_delay_s:
                await asyncio.sleep(self.write_delay_s)
            if not self._session_ok(request):
                if self.dead_session_write == "401":
                    return Response("Unauthorized", 401, media_type="text/plain")
                return Response(ERROR_PAGE, 500, media_type="text/html")
            changes = self._accepted_changes(script, request, body)
        finally:
            self.writes_in_flight -= 1
        if changes is None:
            return Response(ERROR_PAGE, 500, media_type="text/html")
        self.pending_writes.append((time.monotonic() + self.apply_delay_s, changes))
        self._apply_due_writes()
        if self.write_then_redirect:
            return Response("", 302, headers={"Location": "/login.php"})
        return Response('[[0,2,"OK"]]', 200, media_type="application/json")

    def _accepted_changes(
        self, script: str, request: Request, body: bytes
    ) -> dict[str, dict[str, Any]] | None:
        """The state change a write asks for, or None when it breaks the 2026-07-31 contract."""
        if request.headers.get("x-requested-with") != "XMLHttpRequest":
            return None
        data = self._write_body(request, body)
        if data is None:
            return None
        if script == "Device.Set.Value.php":
            if (
                set(data) != {"id_device", "table", "column", "value"}
                or data["id_device"] != BOX_ID
            ):
                return None
            if not _is_int(data["value"]):
                return None
            return {str(data["table"]): {str(data["column"]): data["value"]}}
        if script == "ToGrid.Toggle.php":
            if "p_max_feed_grid" not in data or data.get("value") not in (0, 1, 2):
                return None
            limit = data["p_max_feed_grid"]
            if (data["value"] == 2) != _is_int(limit) or (limit is not None and not _is_int(limit)):
                return None
            return {
                "invertor_prms": {"to_grid": 0 if data["value"] == 0 else 1},
                "invertor_prm1": {"p_max_feed_grid": limit if data["value"] == 2 else 10000},
            }
        if set(data) != {"bat_ac"} or not _is_int(data["bat_ac"]):
            return None
        return {"box_prms": {"bat_ac": data["bat_ac"]}}

    def _write_body(self, request: Request, body: bytes) -> dict[str, Any] | None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            if not self.accept_form:
                return None
            fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
            return {k: _form_value(k, v) for k, v in fields.items()}
        try:
            data = json.loads(body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


WRITE_SCRIPTS = ("Device.Set.Value.php", "ToGrid.Toggle.php", "Battery.Format.Save.php")


def _form_value(key: str, value: str) -> object:
    """Form fields are strings; the portal's own JavaScript sends digits for numbers."""
    if value == "":
        return None
    return int(value) if value.isdigit() and key != "id_device" else value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class RunningPortal:
    """A FakePortal served by uvicorn on 127.0.0.1 in a background thread.

    `portal` may be swapped between tests; requests always go to the current one.
    """

    def __init__(self, portal: FakePortal) -> None:
        self.portal = portal

        async def route(request: Request) -> Response:
            return await self.portal.handle(request)

        app = Starlette(routes=[Route("/{path:path}", route, methods=["GET", "POST"])])
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="error",
            lifespan="off",
            timeout_graceful_shutdown=1,  # handlers asleep in delay_s need not finish
        )
        self._serving = serve_in_thread(config, "the fake portal")
        self.url = ""

    def __enter__(self) -> RunningPortal:
        self.url = f"http://127.0.0.1:{self._serving.__enter__()}/"
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.__exit__(None, None, None)
