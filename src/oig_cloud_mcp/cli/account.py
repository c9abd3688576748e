"""`login`, `logout` and `status`: the account, the keyring and the files on disk."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import ENV_EMAIL, ENV_PASSWORD, Settings
from ..errors import ArgumentError, OigError
from . import interrupt, shown
from .base import DebugOption, StateOption, app, echo, settings, warn

if TYPE_CHECKING:
    from ..domain.models import Credentials


def _checked_email(text: str) -> str:
    """An e-mail typed at the prompt (click shows the error and asks again)."""
    from ..domain.models import is_plausible_email

    address = text.strip()
    if not is_plausible_email(address):
        raise typer.BadParameter(
            f"{address!r} is not an e-mail address; use the one you log in to the OIG app with."
        )
    return address


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("OIG Cloud password", hide_input=True)
    if not password:
        raise ArgumentError("The password is empty; nothing was checked or stored.")
    return password


def _remembered(current: Settings) -> str | None:
    from ..state import credentials as store

    with contextlib.suppress(OigError):  # status reports a damaged file; here: no default
        return store.remembered_account(current)
    return None


def _given_email(current: Settings, email: str | None, password_stdin: bool) -> str | None:
    """The e-mail the command line gives: --email, or the remembered account for
    --password-stdin; None when it must be asked for. Usage errors raise ArgumentError."""
    if email is not None:
        try:
            return _checked_email(email)
        except typer.BadParameter as exc:
            raise ArgumentError(f"--email: {exc.message}") from None
    if not password_stdin:
        return None
    remembered = _remembered(current)
    if remembered is None:
        raise ArgumentError(
            "--password-stdin needs --email EMAIL: standard input carries the password "
            "and no account is remembered."
        )
    return remembered


def _ask_email(current: Settings) -> str:
    """Ask for the e-mail, offering the remembered account as the default."""
    remembered = _remembered(current)
    shown_default = f" [{shown(remembered)}]" if remembered else ""
    answer: str = typer.prompt(
        f"OIG Cloud e-mail{shown_default}",
        default=remembered,
        show_default=False,
        value_proc=_checked_email,
    )
    return answer


@dataclass
class Verified:
    """A login the portal accepted: its boxes (if json.php answered) and its whitelist."""

    boxes: list[str]
    listed_now: bool
    whitelist: str


async def _verify_login(current: Settings, creds: Credentials) -> Verified:
    """Log in once against the portal and put the account on the whitelist; read the box
    ids if json.php answers.

    This is the owner's explicit attempt: it is made even while the account is locked
    after rejections, and a success lifts the lock.
    """
    from ..app.wiring import owner_login
    from ..domain.parsing import box_ids

    owner = owner_login(current, creds)
    try:
        await owner.client.login(creds, explicit=True)
        added = await owner.whitelist(creds.email)
        try:
            boxes = box_ids(await owner.client.live_stats())
        except OigError as exc:
            warn(f"Warning: logged in, but reading live data failed: {exc}")
            boxes = []
    finally:
        await owner.aclose()
    return Verified(boxes, added, owner.whitelist_where)


@app.command(short_help="Check your OIG Cloud login and store it in the OS keyring.")
def login(
    email: Annotated[
        str | None,
        typer.Option(
            "--email",
            metavar="EMAIL",
            help="Your OIG Cloud e-mail (the OIG app's login); asked for when left out.",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from standard input (for scripts); with --email, or "
            "for the remembered account.",
        ),
    ] = False,
    state: StateOption = None,
    debug: DebugOption = False,
) -> None:
    """Check your OIG Cloud login and store it in the OS keyring.

    The e-mail and password are checked against OIG Cloud before anything is stored.
    Without --email you are asked for it, with the remembered account as the default.

    \b
    Examples:
      oig-cloud-mcp login
      echo "$PASSWORD" | oig-cloud-mcp login --email you@example.com --password-stdin
    """
    from ..domain.models import Credentials
    from ..state import credentials as store

    current = settings()
    address = _given_email(current, email, password_stdin)  # usage errors before anything
    store.ensure_keyring_usable(current)  # before asking for anything or touching the portal
    address = address or _ask_email(current)
    creds = Credentials(address, _read_password(password_stdin), source="keyring")
    verified = interrupt.run(_verify_login(current, creds))
    store.store_password(creds.email, creds.password)
    store.remember_account(current, creds.email)
    echo(f"Logged in to OIG Cloud as {creds.email}.")
    if verified.boxes:
        echo(f"Battery Box(es): {', '.join(verified.boxes)}")
    echo(f"Password stored in the OS keyring ({store.keyring_backend_name()}).")
    echo(f"Account remembered in {current.account_path}")
    listed = "updated" if verified.listed_now else "already lists it"
    echo(f"Whitelist {listed}: {verified.whitelist}")
    echo(f"Session cache: {verified.whitelist if current.state_url else current.session_path}")
    if current.has_env_credentials:
        echo(f"Note: {ENV_EMAIL} and {ENV_PASSWORD} are set and take precedence.")


@app.command(short_help="Remove the stored password, session and remembered account.")
def logout(state: StateOption = None, debug: DebugOption = False) -> None:
    """Remove the stored password, the cached session and the remembered account.

    Says what it removed and what was not there; running it twice is harmless.
    """
    from ..app.wiring import local_files
    from ..state import credentials as store

    current = settings()
    email = store.remembered_account(current)
    removed: list[str] = []
    absent: list[str] = []
    if email is not None:
        try:
            had_password = store.stored_password(email) is not None
            store.delete_password(email)
            (removed if had_password else absent).append(f"the password of {email} (OS keyring)")
        except OigError as exc:
            warn(f"Warning: {exc}")
    else:
        absent.append("the stored password")
    cleared = local_files(current.with_overrides(demo=False)).sessions.clear()
    (removed if cleared else absent).append(f"the cached session ({current.session_path})")
    forgot = store.forget_account(current)
    (removed if forgot else absent).append(f"the remembered account ({current.account_path})")
    if removed:
        echo("Removed " + "; ".join(removed) + ".")
    if absent:
        echo("Was not there: " + "; ".join(absent) + ".")


@app.command(short_help="Show the account, where credentials and state live, and any lockout.")
def status(
    check: Annotated[
        bool, typer.Option("--check", help="Also read live data once (exit 1 if that fails).")
    ] = False,
    state: StateOption = None,
    debug: DebugOption = False,
) -> None:
    """Show the account, where credentials and state live, and any lockout."""
    from ..app.status import status_report

    current = settings()
    for line in interrupt.run(status_report(current)):
        echo(line)
    if check:
        from ..app.wiring import build_app
        from ..tools.render import basic_data_text

        async def read() -> str:
            app = build_app(current)
            try:
                return basic_data_text(await app.reads.basic_data())
            finally:
                await app.aclose()

        echo("Live check:")
        echo(interrupt.run(read()))
