"""Programs some tests need (Chromium, Caddy, redis-server): found, or the test is skipped,
except in CI, where `OIG_REQUIRE_<PROGRAM>=1` makes a missing one a failure."""

from __future__ import annotations

import os

import pytest


def found_or_skip(found: str | None, reason: str, require: str) -> str:
    """`found`; else skip saying `reason`, or fail when the variable `require` is 1."""
    if found is None:
        if os.environ.get(require) == "1":
            pytest.fail(f"{require}=1 but {reason}")
        pytest.skip(reason)
    return found
