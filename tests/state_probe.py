"""Moved to tests/helpers/state_probe.py; this name stays importable for tests written before."""

from __future__ import annotations

from .helpers.state_probe import probe, probe_unprivileged

__all__ = ["probe", "probe_unprivileged"]

if __name__ == "__main__":
    import runpy

    runpy.run_module("tests.helpers.state_probe", run_name="__main__")
