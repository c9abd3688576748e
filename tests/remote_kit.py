"""Moved to tests/helpers/remote.py and oauth.py; this name stays importable for old tests."""

from __future__ import annotations

from .helpers.commands import run_command
from .helpers.oauth import (
    Browser,
    Consent,
    RawOAuth,
    call_tool,
    form_fields,
    grant,
    oauth_provider,
    pkce,
)
from .helpers.remote import CODE, InProcess, ServedCommand, in_process, pairing_code, served
from .helpers.settings import state_dir_of as state_dir
from .helpers.threaded import ThreadedServer, free_port

__all__ = [
    "CODE",
    "Browser",
    "Consent",
    "InProcess",
    "RawOAuth",
    "ServedCommand",
    "ThreadedServer",
    "call_tool",
    "form_fields",
    "free_port",
    "grant",
    "in_process",
    "oauth_provider",
    "pairing_code",
    "pkce",
    "run_command",
    "served",
    "state_dir",
]
