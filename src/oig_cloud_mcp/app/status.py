"""What `oig-cloud-mcp status` reports, as plain lines (the CLI prints them).

Every state file is reported as ok, missing, moved aside (it was damaged), damaged (a
file that fails closed) or unreadable; nothing here may raise, whatever is on disk.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import TypeVar

from .. import __version__
from ..config import ENV_ALLOW_WRITES, ENV_EMAIL, ENV_PASSWORD, Settings
from ..domain.models import account_key
from ..domain.parsing import duration_words
from ..domain.security import LoginBackoff, Whitelist
from ..errors import OigError
from ..state import credentials as store
from ..state.local import LocalFiles
from ..state.local.state_file import Health, StateFile
from .wiring import local_files

M = TypeVar("M")
WRITES_SCOPE = (
    " (with this shell's settings; a server started by an MCP client follows the "
    f"--allow-writes or {ENV_ALLOW_WRITES} in the client's configuration)"
)


def _guarded(label: str, make: Callable[[], list[str]]) -> list[str]:
    """A section of the report; an error becomes its one line instead of a crash."""
    try:
        return make()
    except OigError as exc:
        return [f"{label}: {exc}"]


def _file_line(label: str, health: Health, ok: str = "ok", missing: str | None = None) -> str:
    if health.state == "missing" and missing is not None:
        return f"{label}: {health.path} ({missing})"
    if health.state in ("ok", "missing"):
        return f"{label}: {health.path} ({ok})"
    if health.state == "moved aside":
        return f"{label}: {health.path} was damaged ({health.detail}); moved aside, starting clean"
    if health.state == "damaged":
        return f"{label}: {health.path} is DAMAGED ({health.detail})"
    return f"{label}: UNREADABLE: {health.detail}"


def _checked(label: str, file: StateFile[M], ok: Callable[[], str]) -> str:
    health = file.health()
    return _file_line(label, health, ok() if health.state in ("ok", "missing") else "")


def _account_lines(settings: Settings) -> list[str]:
    email = store.account_email(settings)
    missing = settings.missing_env_credential
    if settings.has_env_credentials:
        source = f"environment ({ENV_EMAIL} / {ENV_PASSWORD})"
    elif email is None:
        return [f"Account: none{store.set_up_hint(settings)}"]
    else:
        try:
            found = store.stored_password(email) is not None
        except OigError as exc:
            return [f"Account: {email}", f"Keyring: {exc}"]
        source = "OS keyring" if found else "missing from the keyring; run `oig-cloud-mcp login`"
        if missing is not None:
            given = ENV_PASSWORD if missing == ENV_EMAIL else ENV_EMAIL
            source += f" ({given} is ignored: {missing} is not set)"
    return [f"Account: {email}", f"Password: {source}"]


def session_words(saved_at: float | None) -> str:
    """What `status` says of a stored session saved at `saved_at` (Unix time), if any."""
    if saved_at is None:
        return "no session"
    return f"session saved {duration_words(time.time() - saved_at)} ago"


def _session_line(files: LocalFiles, email: str | None) -> str:
    sessions = files.sessions

    def state() -> str:
        return session_words(sessions.saved_at(account_key(email)) if email else None)

    return _checked("Session cache", sessions.file, state)


def _backoff_line(files: LocalFiles, email: str | None) -> str:
    file = files.backoff

    def state() -> str:
        if email is None:
            return "no account"
        return backoff_words(LoginBackoff(file.read().root), email)

    return _checked("Login backoff", file, state)


def _pending_line(files: LocalFiles) -> str:
    pending = files.pending

    def state() -> str:
        entries = pending.file.read().root
        return f"{len(entries)} change(s) in the last 24 h" if entries else "none"

    return _checked("Pending changes", pending.file, state)


def audit_entry_line(entry: dict[str, object]) -> str:
    """One audit entry as `status` lists it."""
    arguments = entry.get("arguments")
    shown = (
        ", ".join(f"{k}={v}" for k, v in arguments.items() if v is not None)
        if isinstance(arguments, dict)
        else ""
    )
    return f"  {entry.get('time')} {entry.get('tool')}({shown}): {entry.get('outcome')}"


def _audit_lines(files: LocalFiles) -> list[str]:
    entries = files.audit.read_last(3)
    lines = [f"Audit log: {files.audit.path}" + ("" if entries else " (empty)")]
    return lines + [audit_entry_line(entry) for entry in entries]


def grants_words(clients: set[str]) -> str:
    """What `status` says of the clients holding grants."""
    if not clients:
        return "no client holds a grant; `oig-cloud-mcp serve --http` serves it"
    held = "1 client holds a grant" if len(clients) == 1 else f"{len(clients)} clients hold grants"
    return f"{held} (`oig-cloud-mcp remote list`)"


def backoff_words(backoff: LoginBackoff, email: str) -> str:
    """What `status` says of an account's login backoff."""
    wait, rejections = backoff.retry_after(email), backoff.rejections(email)
    if wait > 0:
        return f"LOCKED for {wait} s after {rejections} rejected logins"
    if rejections:
        return f"{rejections} rejected login(s) in a row, not locked"
    return "no lockout"


def _remote_line(files: LocalFiles) -> str:
    clients = {grant.client_id for _, grant in files.grants.live()}
    return f"Remote access: {grants_words(clients)}"


def _whitelist_line(settings: Settings, files: LocalFiles) -> str:
    whitelist = Whitelist.parse(files.whitelist.read(), settings.whitelisted_by_env)
    return (
        f"Whitelist: {settings.whitelist_path} ({', '.join(sorted(whitelist.entries)) or 'empty'})"
    )


def _telemetry_line(settings: Settings) -> str:
    """Whether traces and metrics are exported, and where (never a credential)."""
    config = settings.telemetry
    if not config.enabled:
        return "Telemetry: off (nothing is exported; see README, Telemetry)"
    where = []
    for signal, exporters, endpoint in (
        ("traces", config.traces, config.traces_endpoint),
        ("metrics", config.metrics, config.metrics_endpoint),
    ):
        where += [f"{signal} to {endpoint if e == 'otlp' else 'stderr'}" for e in exporters]
    line = f"Telemetry: on, as {config.service_name}: {', '.join(where)}"
    if importlib.util.find_spec("opentelemetry.sdk") is None:
        line += " (but the otel extra is not installed, so nothing is exported)"
    return line


def _head(settings: Settings) -> tuple[list[str], str | None]:
    """Version, portal, account and keyring lines, and the account's e-mail if known."""
    account_file = _file_line(
        "Account file", store.account_file(settings).health(), missing="none yet"
    )
    try:
        email = store.account_email(settings)
    except OigError:
        email = None  # the account section says why
    try:
        backend = store.keyring_backend_name()
    except Exception as exc:  # any keyring failure is reported, never raised
        backend = f"unavailable ({type(exc).__name__})"
    return [
        f"oig-cloud-mcp {__version__}" + (" (demo mode)" if settings.demo else ""),
        f"Portal: {settings.base_url}",
        account_file,
        *_guarded("Account", lambda: _account_lines(settings)),
        f"Keyring backend: {backend}",
    ], email


def _writes_line(settings: Settings) -> str:
    return f"Write tools: {', '.join(sorted(settings.allowed_writes)) or 'disabled'}{WRITES_SCOPE}"


def _dirs(settings: Settings) -> list[str]:
    return [f"Config dir: {settings.config_dir}", f"State dir: {settings.state_dir}"]


def status_lines(settings: Settings) -> list[str]:
    """Account, credential source, keyring, state files, whitelist, lockout, writes and
    telemetry."""
    head, email = _head(settings)
    files = local_files(settings.with_overrides(demo=False))  # the account's own files
    return [
        *head,
        *_guarded("Session cache", lambda: [_session_line(files, email)]),
        *_guarded("Whitelist", lambda: [_whitelist_line(settings, files)]),
        *_guarded("Login backoff", lambda: [_backoff_line(files, email)]),
        *_guarded("Pending changes", lambda: [_pending_line(files)]),
        _writes_line(settings),
        *_guarded("Audit log", lambda: _audit_lines(files)),
        *_guarded("Remote access", lambda: [_remote_line(files)]),
        _telemetry_line(settings),
        *_dirs(settings),
    ]


async def status_report(settings: Settings) -> list[str]:
    """`status_lines`, or with `--state` the same report read from the shared state; serving
    many homes, also the households and the key file."""
    from .shared_status import household_lines, shared_state_lines

    homes = await household_lines(settings) if settings.accounts == "multi" else []
    if not settings.state_url or settings.demo:
        lines = status_lines(settings)
        return [*lines[:-2], *homes, *lines[-2:]]
    head, email = _head(settings)
    shared = await shared_state_lines(settings, email)
    return [
        *head,
        *shared,
        *homes,
        _writes_line(settings),
        _telemetry_line(settings),
        *_dirs(settings),
    ]
