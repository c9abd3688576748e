"""Moved to tests/helpers/redis_servers.py; this name stays importable for tests written before."""

from __future__ import annotations

from .helpers.redis_servers import HINTS, RedisServer, fake_store, redis_server_path
from .helpers.threaded import free_port

__all__ = ["HINTS", "RedisServer", "fake_store", "free_port", "redis_server_path"]
