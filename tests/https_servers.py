"""Moved to tests/helpers/https_servers.py; this name stays importable for tests written before."""

from __future__ import annotations

from .helpers.https_servers import TestCA, https_server

__all__ = ["TestCA", "https_server"]
