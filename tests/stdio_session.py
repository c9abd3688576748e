"""Moved to tests/helpers/stdio_session.py; this name stays importable for tests written before."""

from __future__ import annotations

from .helpers.commands import command
from .helpers.stdio_session import HANDSHAKE_VERSIONS, StdioSession, stop

__all__ = ["HANDSHAKE_VERSIONS", "StdioSession", "command", "stop"]
