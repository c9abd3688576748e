"""`serve --http` and `remote pair | list | revoke`: the box from claude.ai and the phone."""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ..config import Settings
from ..errors import ArgumentError, InvalidRequestError
from . import interrupt, one_line, start_telemetry
from .base import DebugOption, StateOption, app, echo, settings, warn

if TYPE_CHECKING:
    from ..app.authorization import Authorization
    from ..state.ports import State

remote = typer.Typer(
    name="remote",
    help="Remote access over HTTP: pairing codes for the consent page, and the clients let in.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(remote, name="remote", short_help="Remote access: pairing codes, clients let in.")

T = TypeVar("T")

NEXT_STEP = (
    "oig-cloud-mcp serves MCP at {url}/mcp (listening on {host}:{port}). Next: add {url}/mcp "
    "as a custom connector in your client, and when its consent page asks, type a code from "
    "`{pair}`. Ctrl+C stops.\n"
)
NEXT_STEP_MANY = (
    "oig-cloud-mcp serves MCP for many homes at {url}/mcp (listening on {host}:{port}). "
    "Next: households add {url}/mcp as a custom connector in their client and sign in on "
    "its consent page with their OIG Cloud e-mail and password. Ctrl+C stops.\n"
)
NO_PAIRING = (
    "No pairing code when serving many homes (OIG_CLOUD_MCP_ACCOUNTS=multi): households "
    "sign in with their OIG Cloud e-mail and password on the consent page."
)


def serve_http(current: Settings) -> None:
    """Serve MCP over Streamable HTTP with OAuth until SIGINT or SIGTERM."""
    from ..app.wiring import build_remote
    from ..config import public_url
    from ..server import configure_logging
    from ..server.remote.http import Remote, build_http_app, listen, serve

    configure_logging(current.log_level, current.log_format)
    issuer = public_url(current)  # before binding: a bad address binds nothing
    parts = build_remote(current, issuer=issuer)  # a missing key file: before binding too
    sock = listen(current)
    asgi = build_http_app(Remote(current, parts, issuer), cimd=parts.authorization.fetches)
    host = f"[{current.http_host}]" if ":" in current.http_host else current.http_host
    pair = parts.authorization.settings.pair_command
    step = NEXT_STEP_MANY if current.accounts == "multi" else NEXT_STEP
    started = step.format(url=issuer, host=host, port=current.http_port, pair=pair)
    if current.log_format == "json":  # every line a log collector reads is JSON
        logging.getLogger("oig_cloud_mcp").warning(started.rstrip())
        interrupt.say_as_json_lines()
    else:
        sys.stderr.write(started)
        sys.stderr.flush()
    stop_telemetry = start_telemetry(current)
    try:
        interrupt.run(serve(asgi, current, sock))
    finally:
        stop_telemetry()
    if interrupt.received() is not None:
        interrupt.stop()


def _authorized(current: Settings, use: Callable[[Authorization], Awaitable[T]]) -> T:
    """Run `use` with the authorization server's records (on Redis with --state)."""
    from ..app.wiring import build_authorization, build_state

    async def run() -> T:
        state = build_state(current)
        try:
            return await use(build_authorization(current, state, issuer=""))
        finally:
            await state.aclose()

    return interrupt.run(run())


@remote.command("pair", short_help="Print a one-time pairing code for the consent page.")
def pair(state: StateOption = None, debug: DebugOption = False) -> None:
    """Print a one-time pairing code (valid 10 minutes, used once) for the consent page.

    The code alone goes to standard output (for scripts); the explanation to standard error.
    Serving many homes (OIG_CLOUD_MCP_ACCOUNTS=multi) there are no codes: exit 2.
    """
    current = settings()
    if current.accounts == "multi":
        raise ArgumentError(NO_PAIRING)
    code = _authorized(current, lambda auth: auth.pair())
    warn(
        "Type this code into the consent page your client opens (valid 10 minutes, once). "
        "Five wrong codes lock the consent page for 15 minutes."
    )
    echo(code)


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment).astimezone().strftime("%Y-%m-%d %H:%M")


@remote.command("new-key", short_help="Print a new key for the key file (serving many homes).")
def new_key(debug: DebugOption = False) -> None:
    """Print a new key for the file named by OIG_CLOUD_MCP_KEY_FILE, which seals the
    households' OIG Cloud logins when serving many homes (`--accounts multi`).

    One key per line; the first seals, all open: to rotate, put a new key first, restart
    every server, and drop the old line once no login sealed with it is left.
    """
    from ..state.vault import new_key as fresh

    warn("Add this line at the top of the key file (keep the file private: chmod 600).")
    echo(fresh())


HouseholdOption = Annotated[
    str | None,
    typer.Option(
        "--household",
        metavar="EMAIL",
        help="Only the household that signs in with this OIG Cloud e-mail (many homes).",
    ),
]


def _household(email: str) -> str:
    """`email` as the operator named a household; anything but an e-mail address is a
    usage error (exit 2), not "nothing is kept" for the pseudonym of a typo."""
    from ..domain.models import is_plausible_email

    if not is_plausible_email(email.strip()):
        raise ArgumentError(
            f"{email!r} is not an e-mail address; name a household by the OIG Cloud e-mail "
            "it signs in with."
        )
    return email.strip()


def _with_state(current: Settings, use: Callable[[State, Authorization], Awaitable[T]]) -> T:
    """Run `use` with the state and the authorization server's records (Redis with --state)."""
    from ..app.wiring import build_authorization, build_state

    async def run() -> T:
        state = build_state(current)
        try:
            return await use(state, build_authorization(current, state, issuer=""))
        finally:
            await state.aclose()

    return interrupt.run(run())


@remote.command("list", short_help="List the clients let in: permissions, created, last used.")
def list_clients(
    household: HouseholdOption = None, state: StateOption = None, debug: DebugOption = False
) -> None:
    """List the clients that hold a grant: name, permissions, created and last used, and
    (many homes) the pseudonym of the household it was granted for — never its e-mail."""
    from ..app.operator import OWNER, grants_of, pseudonym

    current = settings()
    subject = None if household is None else pseudonym(_household(household))
    grants = _authorized(current, lambda auth: grants_of(auth, subject))
    if not grants:
        if household is not None:
            echo(f"No client of household {subject} holds a grant.")
        elif current.accounts == "multi":
            echo(
                "No client holds a grant; households connect from their client and sign in "
                "on the consent page."
            )
        else:
            echo("No client holds a grant; `oig-cloud-mcp remote pair` lets one in.")
        return
    for grant, client in grants:
        name = one_line((client.name if client else None) or "unnamed client")
        rights = "read and change" if "oig:write" in grant.scopes else "read"
        whose = "" if grant.subject == OWNER else f"; household {grant.subject}"
        echo(f"{name} ({one_line(grant.client_id)})")
        echo(
            f"    {rights}; created {_when(grant.created_at)}, last used "
            f"{_when(grant.last_used_at)}{whose}"
        )


@remote.command("revoke", short_help="End a client's grants (or every client's with --all).")
def revoke(
    client: Annotated[
        str | None, typer.Argument(metavar="CLIENT", help="A client id from `remote list`.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="End every client's grants.")] = False,
    household: HouseholdOption = None,
    state: StateOption = None,
    debug: DebugOption = False,
) -> None:
    """End a client's grants (or a household's, or every one): their tokens stop working
    at the next request."""
    given = [client is not None, every, household is not None].count(True)
    if given > 1:
        raise ArgumentError(
            "CLIENT, --household and --all cannot be combined: name one CLIENT, or pass "
            "--household EMAIL or --all."
        )
    if given == 0:
        raise ArgumentError(
            "Name one CLIENT (see `oig-cloud-mcp remote list`), or pass --household EMAIL or --all."
        )
    if household is not None:
        from ..app.operator import pseudonym, revoke_household

        subject = pseudonym(_household(household))
        ended = _authorized(settings(), lambda auth: revoke_household(auth, subject))
        if ended == 0:
            raise InvalidRequestError(
                f"No grant of household {subject}; see `oig-cloud-mcp remote list`."
            )
    else:
        ended = _authorized(settings(), lambda auth: auth.revoke_client(None if every else client))
        if ended == 0 and not every:
            raise InvalidRequestError(f"No grant of {client!r}; see `oig-cloud-mcp remote list`.")
    echo(f"Ended {ended} grant(s); their tokens stop working at the next request.")


@remote.command("forget", short_help="Delete everything kept for a household (many homes).")
def forget(
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="The household's OIG Cloud e-mail.")
    ],
    state: StateOption = None,
    debug: DebugOption = False,
) -> None:
    """Delete everything kept for a household: its sealed login, its grants and tokens,
    its OIG Cloud session, login backoff, live data, pending changes and previews, and
    say what was deleted. Its clients must sign in again; its audit lines stay."""
    from ..app.operator import forget_household

    named = _household(email)
    done = _with_state(settings(), lambda found, _: forget_household(found, named))
    said = done.words()
    if not said:
        echo(f"Nothing is kept for household {done.subject}.")
        return
    echo(f"Deleted for household {done.subject}: {', '.join(said)}.")
    if done.counts.get("grants"):
        echo("Its clients must sign in again on the consent page to use this server.")
