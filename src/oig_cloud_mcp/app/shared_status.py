"""`status --state URL`: the report read from the shared state (Redis) instead of files."""

from __future__ import annotations

import time
from collections.abc import Awaitable

from ..config import Settings
from ..domain.models import account_key
from ..errors import OigError
from ..state import SharedWhitelist, credentials, shared_whitelist
from .status import audit_entry_line, backoff_words, grants_words, session_words

NOT_ANSWERING = (
    "State: {where}: NOT ANSWERING, so the session, whitelist, backoff, pending-change, "
    "audit and remote-access lines are missing ({error})"
)


async def shared_state_lines(settings: Settings, email: str | None) -> list[str]:
    """Where the shared state is and whether it answers, then what it holds for `email`:
    one line when it does not answer, and a line per section that fails."""
    shared = shared_whitelist(settings, credentials.hints(settings))
    try:
        started = time.perf_counter()
        try:
            await shared.state.ping()
        except OigError as exc:
            return [NOT_ANSWERING.format(where=shared.state.where, error=exc)]
        took_ms = (time.perf_counter() - started) * 1000
        lines = [f"State: {shared.state.where}: answers ({took_ms:.1f} ms)"]
        account = account_key(email) if email else None
        sections: dict[str, Awaitable[list[str]]] = {
            "Session cache": _session(shared, account),
            "Whitelist": _whitelist(shared, settings),
            "Login backoff": _backoff(shared, account),
            "Pending changes": _pending(shared, account),
            "Audit log": _audit(shared),
            "Remote access": _grants(shared),
        }
        for label, section in sections.items():
            try:
                first, *more = await section
                lines += [f"{label}: {first}", *more]
            except OigError as exc:
                lines.append(f"{label}: {exc}")
        return lines
    finally:
        await shared.state.aclose()


async def _session(shared: SharedWhitelist, account: str | None) -> list[str]:
    return [session_words(await shared.saved_at(account) if account else None)]


async def _whitelist(shared: SharedWhitelist, settings: Settings) -> list[str]:
    listed = set(await shared.entries()) | {account_key(e) for e in settings.whitelisted_by_env}
    return [", ".join(sorted(listed)) or "empty"]


async def _backoff(shared: SharedWhitelist, account: str | None) -> list[str]:
    if account is None:
        return ["no account"]
    return [backoff_words(await shared.backoff(account), account)]


async def _pending(shared: SharedWhitelist, account: str | None) -> list[str]:
    if account is None:
        return ["no account"]
    changes = await shared.state.pending.changes(account)
    return [f"{len(changes)} change(s) in the last 24 h" if changes else "none"]


async def _audit(shared: SharedWhitelist) -> list[str]:
    entries = await shared.state.audit.last(3)
    return ["in the shared state" + ("" if entries else " (empty)")] + [
        audit_entry_line(entry) for entry in entries
    ]


async def _grants(shared: SharedWhitelist) -> list[str]:
    clients = {grant.client_id for _, grant in await shared.state.remote.grants.values()}
    return [grants_words(clients)]


async def household_lines(settings: Settings) -> list[str]:
    """Serving many homes: how many households' logins are kept, and whether this
    machine's key file opens them (a replica with another key file cannot)."""
    from ..config import ENV_KEY_FILE
    from ..state.vault import KeyRing, fingerprint, sealed_with
    from .wiring import build_state

    try:
        ring = KeyRing.load(settings.key_file, variable=ENV_KEY_FILE)
    except OigError as exc:
        return [f"Key file: {exc}"]
    ours = [fingerprint(key) for key in ring.keys]
    lines = [
        f"Key file: {settings.key_file} ({len(ours)} key(s); seals with {ours[0]}"
        + (f", also opens {', '.join(ours[1:])})" if ours[1:] else ")")
    ]
    state = build_state(settings)
    try:
        sealed = [value for _, value in await state.remote.vault.values()]
    except OigError as exc:
        return [*lines, f"Households: {exc}"]
    finally:
        await state.aclose()
    keys = [sealed_with(value) for value in sealed]
    foreign = sorted(set(keys) - set(ours))
    words = f"Households: {len(sealed)} signed in (their logins sealed in {state.where})"
    if foreign:
        words += (
            f"; {sum(key in foreign for key in keys)} sealed with "
            f"{', '.join(foreign)}, which this key file cannot open"
        )
    return [*lines, words]
