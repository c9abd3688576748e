"""What `oig-cloud-mcp status` reports, as plain lines (the CLI prints them)."""

from __future__ import annotations

import time

from . import __version__
from . import credentials as store
from .config import Settings
from .errors import OigError
from .models import account_key
from .pending import AuditLog
from .security import AccountGuard, Whitelist
from .session_store import SessionStore


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"


def _credential_lines(settings: Settings) -> list[str]:
    email = store.account_email(settings)
    if settings.has_env_credentials:
        source = "environment (OIG_CLOUD_EMAIL / OIG_CLOUD_PASSWORD)"
    elif email is None:
        return ["Account: none; run `oig-cloud-mcp login`"]
    else:
        try:
            found = store.stored_password(email) is not None
        except OigError as exc:
            return [f"Account: {email}", f"Keyring: {exc}"]
        source = "OS keyring" if found else "missing from the keyring; run `oig-cloud-mcp login`"
    return [f"Account: {email}", f"Password: {source}"]


def _session_line(settings: Settings, email: str | None) -> str:
    session = SessionStore(settings.session_path)
    saved = session.saved_at(account_key(email)) if email else None
    state = "no session" if saved is None else f"session saved {_age(time.time() - saved)} ago"
    return f"Session cache: {settings.session_path} ({state})"


def _lockout_line(settings: Settings, email: str | None) -> str:
    if email is None:
        return "Login backoff: -"
    backoff = AccountGuard(settings.whitelist_path, settings.backoff_path).backoff()
    wait = backoff.retry_after(email)
    state = backoff.states.get(account_key(email))
    if wait > 0 and state is not None:
        return f"Login backoff: LOCKED for {wait} s after {state.rejections} rejected logins"
    if state is not None and state.rejections:
        return f"Login backoff: {state.rejections} rejected login(s) in a row, not locked"
    return "Login backoff: no lockout"


def _audit_lines(settings: Settings) -> list[str]:
    entries = AuditLog(settings.audit_path).last(3)
    lines = [f"Audit log: {settings.audit_path}" + ("" if entries else " (empty)")]
    for entry in entries:
        arguments = ", ".join(f"{k}={v}" for k, v in entry.get("arguments", {}).items())
        lines.append(
            f"  {entry.get('time')} {entry.get('tool')}({arguments}): {entry.get('outcome')}"
        )
    return lines


def status_lines(settings: Settings) -> list[str]:
    """Account, credential source, keyring, paths, whitelist, lockout and write settings."""
    email = store.account_email(settings)
    try:
        backend = store.keyring_backend_name()
    except Exception as exc:
        backend = f"unavailable ({type(exc).__name__})"
    whitelist = Whitelist.load(settings.whitelist_path, settings.whitelist_extra)
    writes = ", ".join(sorted(settings.allowed_writes)) or "disabled"
    return [
        f"oig-cloud-mcp {__version__}" + (" (demo mode)" if settings.demo else ""),
        f"Portal: {settings.base_url}",
        *_credential_lines(settings),
        f"Keyring backend: {backend}",
        _session_line(settings, email),
        f"Whitelist: {settings.whitelist_path} ({', '.join(sorted(whitelist.entries)) or 'empty'})",
        _lockout_line(settings, email),
        f"Write tools: {writes}",
        *_audit_lines(settings),
        f"Config dir: {settings.config_dir}",
        f"State dir: {settings.state_dir}",
    ]
