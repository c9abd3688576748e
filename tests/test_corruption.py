"""Every file we keep × every way it can be damaged → the documented outcome (README
"State files"), and `status` never crashes.

Outcomes: content that does not validate is moved aside as NAME.corrupt-<time> (0600) and
the server starts clean, except the login backoff, which fails closed (automatic logins
pause, the file stays); a file that cannot be read is an error that names it and it is
never overwritten; the user-edited whitelist is followed through a link and may be
UTF-8 or UTF-16 with a byte-order mark, anything else is refused (fail closed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.state import credentials

from .fake_portal import BOX_ID, FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.settings import with_writes
from .helpers.state_probe import probe, probe_unprivileged

DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_UTF8 = b'{"a": "\xff\xfe\xfa"}'

CONTENT: dict[str, dict[str, bytes]] = {
    "session.json": {
        "wrong shape": b'["cookie"]',
        "wrong types": b'{"sessions": {"owner@example.com": {"cookie": 5, "saved_at": "x"}}}',
        "huge numbers": (
            b'{"sessions": {"owner@example.com": {"cookie": "dead", "saved_at": 1e308}}}'
        ),
    },
    "login_backoff.json": {
        "wrong shape": b"[1, 2, 3]",
        "wrong types": b'{"owner@example.com": {"rejections": "x", "locked_until": null}}',
        "huge numbers": b'{"owner@example.com": {"rejections": 5, "locked_until": 1e308}}',
    },
    "pending_changes.json": {
        "wrong shape": b'{"tool": "set_box_mode"}',
        "wrong types": json.dumps(
            [
                {
                    "id": "1",
                    "box_id": BOX_ID,
                    "requested": "Home 2",
                    "requested_at": "2026-11-22T10:00:00",
                    "check": {"table": "box_prms", "column": "mode", "value": 1},
                    "status": "pending",
                }
            ]
        ).encode(),
        "huge numbers": json.dumps(
            [
                {
                    "id": "1",
                    "tool": "set_box_mode",
                    "box_id": BOX_ID,
                    "requested": "Home 2",
                    "requested_at": "9999-12-31T00:00:00+00:00",
                    "check": {"table": "box_prms", "column": "mode", "value": 1},
                    "status": "pending",
                }
            ]
        ).encode(),
    },
    "audit.jsonl": {
        "wrong shape": b"[1]\n42\n",
        "wrong types": b'{"time": 5, "arguments": "x"}\n',
        "huge numbers": b'{"time": 1e308}\n',
    },
    "account": {
        "wrong shape": b"owner at example dot com",
        "wrong types": b"12345",
        "huge numbers": b"9" * 5000,
    },
}
KINDS = (
    "empty",
    "garbage",
    "wrong shape",
    "wrong types",
    "huge numbers",
    "deep nesting",
    "non-UTF-8",
    "unreadable",
    "directory",
    "symlink",
)
FILES = ("session.json", "login_backoff.json", "pending_changes.json", "audit.jsonl", "account")


def expected(name: str, kind: str) -> str:
    """The documented outcome of damaging `name` in way `kind`."""
    if kind in ("unreadable", "directory", "symlink"):
        return "unreadable"
    if name == "audit.jsonl" or (name, kind) in {
        ("session.json", "huge numbers"),  # values are clamped when used
        ("login_backoff.json", "huge numbers"),
        ("pending_changes.json", "huge numbers"),
        ("account", "empty"),  # an empty account file simply names no account
    }:
        return "ok"
    if name == "login_backoff.json":
        return "damaged"
    return "moved aside"


def place(path: Path, kind: str, content: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if kind == "directory":
        path.mkdir()
    elif kind == "symlink":
        elsewhere = path.parent.parent / f"elsewhere-{path.name}"
        elsewhere.write_bytes(b"{}")
        path.symlink_to(elsewhere)
    else:
        common = {
            "empty": b"",
            "garbage": b"\x00\x01garbage{{",
            "deep nesting": DEEP,
            "non-UTF-8": NOT_UTF8,
            "unreadable": b"{}",
        }
        data = common[kind] if kind in common else content[kind]
        path.write_bytes(data)
        path.chmod(0o000 if kind == "unreadable" else 0o600)


@pytest.fixture
def writable(settings: Settings) -> Settings:
    return with_writes(settings, ["set_box_mode"])


def file_path(settings: Settings, name: str) -> Path:
    return (settings.config_dir if name == "account" else settings.state_dir) / name


def without_env_login(settings: Settings) -> Settings:
    """The account file only matters when the login comes from `oig-cloud-mcp login`."""
    from oig_cloud_mcp.state import credentials

    credentials.store_password(EMAIL, "s3cret-pw")
    return settings.with_overrides(env_email=None, env_password=None)


def status_line(lines: list[str], name: str) -> str:
    label = {
        "session.json": "Session cache",
        "login_backoff.json": "Login backoff",
        "pending_changes.json": "Pending changes",
        "audit.jsonl": "Audit log",
        "account": "Account file",
    }[name]
    return next(line for line in lines if line.startswith(label))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", FILES)
def test_a_damaged_state_file_has_its_documented_outcome(
    writable: Settings, portal: FakePortal, name: str, kind: str
) -> None:
    settings = without_env_login(writable) if name == "account" else writable
    path = file_path(settings, name)
    place(path, kind, CONTENT[name])
    before = path.lstat()
    outcome = expected(name, kind)

    seen = probe_unprivileged(settings) if kind == "unreadable" else probe(settings)

    line = status_line(seen["status"], name)
    if outcome == "unreadable":
        assert "UNREADABLE" in line or "Cannot read" in line or "is a " in line, line
        assert str(path) in line
        after = path.lstat()  # never overwritten, never moved
        assert (after.st_ino, after.st_mode, after.st_size) == (
            before.st_ino,
            before.st_mode,
            before.st_size,
        )
    elif outcome == "moved aside":
        assert "moved aside" in line, line
        (aside,) = path.parent.glob(f"{name}.corrupt-*")
        assert aside.stat().st_mode & 0o777 == 0o600
    elif outcome == "damaged":
        assert "DAMAGED" in line, line
        assert path.exists()
    else:
        assert "UNREADABLE" not in line, line
        assert "DAMAGED" not in line, line
    check_calls(name, outcome, seen, path)


def check_calls(name: str, outcome: str, seen: dict[str, Any], path: Path) -> None:
    """What the read and the confirmed write say afterwards."""
    read, write = seen["read"], seen["write"]
    for answer in (read, write):
        assert "unexpected error" not in answer["text"]
    if outcome != "unreadable":
        if name == "login_backoff.json" and outcome == "ok":
            assert read["error"]  # 5 rejections: locked, but for the longest lock, not forever
            assert "locked for 900 s" in read["text"]
        elif name == "login_backoff.json" and outcome == "damaged":
            assert read["error"]  # no cached session, and logins are paused
            assert "damaged" in read["text"]
            assert "oig-cloud-mcp login" in read["text"]
        elif name == "account":
            assert read["error"]
            assert "No OIG Cloud account is set up" in read["text"]
        else:
            assert not read["error"], read["text"]
            assert not write["error"], write["text"]
        return
    assert str(path) in read["text"] + write["text"] or name in read["text"] + write["text"]
    if name == "pending_changes.json":
        assert not read["error"]  # the live data is still worth having, with a note
        assert "Pending changes are unknown" in read["text"]
        assert write["error"]
        assert "Nothing was sent" in write["text"]
    elif name == "audit.jsonl":
        assert not read["error"]
        assert write["error"]
        assert "Nothing was sent" in write["text"]
    else:
        assert read["error"]


@pytest.mark.parametrize("kind", ["non-UTF-8", "directory", "unreadable"])
def test_a_damaged_whitelist_fails_closed_with_a_sentence_naming_it(
    writable: Settings, portal: FakePortal, kind: str
) -> None:
    """Even for a login from OIG_CLOUD_EMAIL/OIG_CLOUD_PASSWORD, which that whitelists."""
    unlisted = writable.with_overrides(whitelist_extra=())
    place(unlisted.whitelist_path, kind, {})

    seen = probe_unprivileged(unlisted) if kind == "unreadable" else probe(unlisted)

    assert seen["read"]["error"]
    assert str(unlisted.whitelist_path) in seen["read"]["text"]
    assert portal.log == []
    assert any(line.startswith("Whitelist") for line in seen["status"])


@pytest.mark.parametrize("kind", ["empty", "garbage"])
def test_a_whitelist_that_lists_nobody_refuses_a_keyring_login_naming_it(
    writable: Settings, portal: FakePortal, kind: str
) -> None:
    keyring_login = writable.with_overrides(env_email=None, env_password=None, whitelist_extra=())
    credentials.store_password(EMAIL, PASSWORD)
    credentials.remember_account(keyring_login, EMAIL)
    place(keyring_login.whitelist_path, kind, {})

    seen = probe(keyring_login)

    assert seen["read"]["error"]
    assert str(keyring_login.whitelist_path) in seen["read"]["text"]
    assert portal.log == []


def test_a_symlinked_whitelist_is_followed(writable: Settings, portal: FakePortal) -> None:
    target = writable.config_dir.parent / "dotfiles" / "whitelist.txt"
    target.parent.mkdir(parents=True)
    target.write_text(EMAIL + "\n")
    writable.whitelist_path.parent.mkdir(parents=True, exist_ok=True)
    writable.whitelist_path.symlink_to(target)

    keyring_login = writable.with_overrides(env_email=None, env_password=None, whitelist_extra=())
    credentials.store_password(EMAIL, PASSWORD)  # the whitelist governs keyring logins
    credentials.remember_account(keyring_login, EMAIL)

    seen = probe(keyring_login)

    assert not seen["read"]["error"], seen["read"]["text"]


def test_a_state_directory_that_is_a_file_is_named_in_every_answer(
    writable: Settings, portal: FakePortal
) -> None:
    writable.state_dir.parent.mkdir(parents=True, exist_ok=True)
    writable.state_dir.write_text("not a directory")

    seen = probe(writable)

    assert seen["write"]["error"]
    assert f"{writable.state_dir} should be a directory" in seen["write"]["text"]
    assert portal.write_requests() == []
    assert any(str(writable.state_dir) in line for line in seen["status"])
