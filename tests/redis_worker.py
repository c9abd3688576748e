"""Moved to tests/helpers/redis_worker.py; this name stays importable for tests written before."""

from __future__ import annotations

from .helpers.redis_worker import serve, settings_of

__all__ = ["serve", "settings_of"]

if __name__ == "__main__":
    import runpy

    runpy.run_module("tests.helpers.redis_worker", run_name="__main__")
