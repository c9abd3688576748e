"""Whitelist and login backoff: pure logic with a fake clock, plus the persisted guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from oig_cloud_mcp.errors import LoginLockedError, NotWhitelistedError
from oig_cloud_mcp.security import (
    AccountGuard,
    LoginBackoff,
    Whitelist,
    add_to_whitelist,
    parse_whitelist,
)

from .conftest import FakeClock

ME = "Owner@Example.com"


def test_whitelist_ignores_comments_blank_lines_and_case() -> None:
    text = "# accounts\n\n  owner@example.com  # me\nOTHER@example.com\n"
    assert parse_whitelist(text) == {"owner@example.com", "other@example.com"}


def test_an_empty_whitelist_allows_nobody(tmp_path: Path) -> None:
    assert not Whitelist.load(tmp_path / "missing.txt").allows(ME)


def test_whitelist_extra_entries_are_added(tmp_path: Path) -> None:
    assert Whitelist.load(tmp_path / "missing.txt", [" owner@EXAMPLE.com "]).allows(ME)


def test_adding_to_the_whitelist_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "whitelist.txt"
    assert add_to_whitelist(path, ME) is True
    assert add_to_whitelist(path, ME.upper()) is False
    assert Whitelist.load(path).allows(ME)
    assert path.read_text().count("owner@example.com") == 1


def test_three_rejections_lock_for_ten_seconds_then_double_up_to_the_cap() -> None:
    clock = FakeClock()
    backoff = LoginBackoff(clock=clock, max_lock_s=60)
    for _ in range(2):
        backoff.rejected(ME)
    backoff.check(ME)  # two rejections: still free

    backoff.rejected(ME)
    assert backoff.retry_after(ME) == 10
    clock.advance(10)
    backoff.check(ME)

    waits = []
    for _ in range(4):
        backoff.rejected(ME)
        waits.append(backoff.retry_after(ME))
    assert waits == [20, 40, 60, 60]


def test_locked_message_says_how_long_and_what_to_do() -> None:
    backoff = LoginBackoff(clock=FakeClock())
    for _ in range(3):
        backoff.rejected(ME)
    with pytest.raises(LoginLockedError, match=r"locked for 10 s.*oig-cloud-mcp login") as caught:
        backoff.check(ME)
    assert caught.value.retry_after_s == 10


def test_success_resets_the_count() -> None:
    backoff = LoginBackoff(clock=FakeClock())
    for _ in range(2):
        backoff.rejected(ME)
    backoff.succeeded(ME)
    backoff.rejected(ME)
    backoff.rejected(ME)
    backoff.check(ME)


def test_backoff_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    first = AccountGuard(tmp_path / "w.txt", tmp_path / "state" / "b.json", clock=clock)
    for _ in range(3):
        first.login_rejected(ME)

    restarted = AccountGuard(tmp_path / "w.txt", tmp_path / "state" / "b.json", clock=clock)
    with pytest.raises(LoginLockedError):
        restarted.before_login(ME)
    assert (tmp_path / "state" / "b.json").stat().st_mode & 0o777 == 0o600


def test_guard_refuses_an_unlisted_account_naming_the_file(tmp_path: Path) -> None:
    guard = AccountGuard(tmp_path / "whitelist.txt", tmp_path / "b.json")
    with pytest.raises(NotWhitelistedError, match=r"whitelist\.txt.*oig-cloud-mcp login"):
        guard.allow(ME)


def test_the_whitelist_file_written_by_login_is_private(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "whitelist.txt"
    add_to_whitelist(path, ME)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
