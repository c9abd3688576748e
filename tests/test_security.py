"""Whitelist and login backoff: pure logic with a fake clock, plus the persisted guard."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from oig_cloud_mcp.app.status import status_lines
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.security import LoginBackoff, parse_whitelist
from oig_cloud_mcp.errors import LoginLockedError, NotWhitelistedError
from oig_cloud_mcp.state.local.security import (
    add_to_whitelist,
    backoff_file,
    check_whitelisted,
    load_whitelist,
)
from oig_cloud_mcp.state.local.sessions import Hints, SessionStore, SharedSessions

from .helpers.fakes import FakeClock

ME = "Owner@Example.com"


def test_whitelist_ignores_comments_blank_lines_and_case() -> None:
    text = "# accounts\n\n  owner@example.com  # me\nOTHER@example.com\n"
    assert parse_whitelist(text) == {"owner@example.com", "other@example.com"}


def test_an_empty_whitelist_allows_nobody(tmp_path: Path) -> None:
    assert not load_whitelist(tmp_path / "missing.txt").allows(ME)


def test_whitelist_extra_entries_are_added(tmp_path: Path) -> None:
    assert load_whitelist(tmp_path / "missing.txt", [" owner@EXAMPLE.com "]).allows(ME)


def test_adding_to_the_whitelist_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "whitelist.txt"
    assert add_to_whitelist(path, ME) is True
    assert add_to_whitelist(path, ME.upper()) is False
    assert load_whitelist(path).allows(ME)
    assert path.read_text().count("owner@example.com") == 1


def test_three_rejections_lock_for_ten_seconds_then_double_up_to_the_cap() -> None:
    clock = FakeClock()
    backoff = LoginBackoff(clock=clock, max_lock_s=60)
    for _ in range(2):
        backoff.rejected(ME)
    backoff.check(ME, "")  # two rejections: still free

    backoff.rejected(ME)
    assert backoff.retry_after(ME) == 10
    clock.advance(10)
    backoff.check(ME, "")

    waits = []
    for _ in range(4):
        backoff.rejected(ME)
        waits.append(backoff.retry_after(ME))
    assert waits == [20, 40, 60, 60]


def test_locked_message_says_how_long_and_what_to_do() -> None:
    backoff = LoginBackoff(clock=FakeClock())
    for _ in range(3):
        backoff.rejected(ME)
    with pytest.raises(LoginLockedError, match=r"locked for 10 s.*run this") as caught:
        backoff.check(ME, "run this")
    assert caught.value.retry_after_s == 10


def test_success_resets_the_count() -> None:
    backoff = LoginBackoff(clock=FakeClock())
    for _ in range(2):
        backoff.rejected(ME)
    backoff.succeeded(ME)
    backoff.rejected(ME)
    backoff.rejected(ME)
    backoff.check(ME, "")


def shared(tmp_path: Path, clock: FakeClock) -> SharedSessions:
    return SharedSessions(
        SessionStore(tmp_path / "state" / "session.json"),
        backoff_file(tmp_path / "state" / "b.json"),
        Hints(rejected="fix it", locked="wait"),
        clock=clock,
    )


@pytest.mark.anyio
async def test_backoff_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(start=time.time())
    for _ in range(3):
        async with shared(tmp_path, clock).renewal(ME) as renewal:
            await renewal.rejected()

    async with shared(tmp_path, clock).renewal(ME) as restarted:
        with pytest.raises(LoginLockedError, match="wait"):
            await restarted.check_may_login(explicit=False)
        await restarted.check_may_login(explicit=True)  # the owner's own login still tries
    assert (tmp_path / "state" / "b.json").stat().st_mode & 0o777 == 0o600


def test_a_lock_far_in_the_future_is_clamped_to_the_longest_lock() -> None:
    clock = FakeClock()
    backoff = LoginBackoff(clock=clock)
    for _ in range(3):
        backoff.rejected(ME)
    backoff.states[ME.casefold()].locked_until = 1e308  # a damaged or tampered value
    assert backoff.retry_after(ME) == 15 * 60


def test_a_lock_stored_without_rejections_counts_at_least_the_three_that_lock(
    settings: Settings,
) -> None:
    stored = {ME.casefold(): {"rejections": 0, "locked_until": time.time() + 1e9}}
    settings.backoff_path.parent.mkdir(parents=True)
    settings.backoff_path.write_text(json.dumps(stored))  # damaged or edited by hand
    backoff = LoginBackoff(backoff_file(settings.backoff_path).read().root)

    with pytest.raises(LoginLockedError) as caught:
        backoff.check(ME, "wait.")
    lines = status_lines(settings.with_overrides(env_email=ME))

    assert "locked for 900 s after 3 rejected logins" in str(caught.value)
    (line,) = [line for line in lines if line.startswith("Login backoff:")]
    assert line.endswith("(LOCKED for 900 s after 3 rejected logins)")


def test_an_unlisted_account_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(NotWhitelistedError, match=r"whitelist\.txt.*oig-cloud-mcp login"):
        check_whitelisted(tmp_path / "whitelist.txt", (), ME)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_a_whitelist_saved_with_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "whitelist.txt"
    path.write_bytes("# Windows Notepad\nowner@example.com\n".encode(encoding))
    assert load_whitelist(path).allows(ME)


def test_a_symlinked_whitelist_stays_a_symlink_when_login_adds_to_it(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "whitelist.txt"
    target.parent.mkdir()
    target.write_text("other@example.com\n")
    link = tmp_path / "cfg" / "whitelist.txt"
    link.parent.mkdir()
    link.symlink_to(target)

    assert add_to_whitelist(link, ME) is True

    assert link.is_symlink()
    assert load_whitelist(link).allows(ME)
    assert load_whitelist(link).allows("other@example.com")


def test_login_adding_to_a_linked_whitelist_leaves_the_mode_of_the_link_target_dir(
    tmp_path: Path,
) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    dotfiles.chmod(0o755)
    (dotfiles / "whitelist.txt").write_text("other@example.com\n")
    link = tmp_path / "cfg" / "whitelist.txt"
    link.parent.mkdir()
    link.symlink_to(dotfiles / "whitelist.txt")

    add_to_whitelist(link, ME)

    assert dotfiles.stat().st_mode & 0o777 == 0o755  # the user's directory, not ours
    assert load_whitelist(link).allows(ME)


def test_the_whitelist_file_written_by_login_is_private(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "whitelist.txt"
    add_to_whitelist(path, ME)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
