"""The session-cookie file: private, atomic, per account, shared by processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from oig_cloud_mcp.state.local.files import locked
from oig_cloud_mcp.state.local.sessions import SessionStore


def test_cookies_are_stored_per_account_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "session.json"
    store = SessionStore(path, clock=lambda: 123.0)

    save(store, "a@example.com", "cookie-a")
    save(store, "b@example.com", "cookie-b")

    assert SessionStore(path).load("a@example.com") == "cookie-a"
    assert SessionStore(path).load("b@example.com") == "cookie-b"
    assert store.saved_at("a@example.com") == 123.0
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_corrupt_or_missing_file_reads_as_no_session_and_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    assert SessionStore(path).load("a@example.com") is None
    path.write_text("{not json")
    assert SessionStore(path).load("a@example.com") is None
    (aside,) = tmp_path.glob("session.json.corrupt-*")
    assert aside.read_text() == "{not json"
    assert aside.stat().st_mode & 0o777 == 0o600


def test_clear_forgets_one_account_or_all(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "session.json")
    save(store, "a@example.com", "x")
    save(store, "b@example.com", "y")
    store.clear("a@example.com")
    assert store.load("a@example.com") is None
    assert store.load("b@example.com") == "y"
    store.clear()
    assert store.load("b@example.com") is None


def save(store: SessionStore, account: str, cookie: str) -> None:
    with locked(store.path):
        store.save_held(account, cookie)


def _save_many(path: str, account: str) -> None:
    store = SessionStore(Path(path))
    for i in range(40):
        save(store, account, f"{account}-{i}")


def test_two_processes_saving_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_save_many, args=(str(path), name)) for name in ("p1", "p2")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    store = SessionStore(path)
    assert store.load("p1") == "p1-39"
    assert store.load("p2") == "p2-39"
