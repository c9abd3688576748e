"""The one way files are read, validated, locked and written (state_files)."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from oig_cloud_mcp.errors import StateFileError
from oig_cloud_mcp.state.local.files import (
    MAX_BYTES,
    append_private,
    ensure_private_dir,
    read_private,
    write_private,
)
from oig_cloud_mcp.state.local.state_file import StateFile, json_codec

from .fake_portal import FakePortal
from .helpers.mcp_calls import preview_then_confirm
from .helpers.stdio_session import StdioSession


class Counter(BaseModel):
    count: int = 0


def counter(path: Path, *, fail_closed: bool = False) -> StateFile[Counter]:
    return StateFile(path, json_codec(Counter), fail_closed=fail_closed, damaged="{path}: {reason}")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_directory_created_is_private_parents_included(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    ensure_private_dir(deep)
    assert [mode(d) for d in (tmp_path / "a", tmp_path / "a" / "b", deep)] == [0o700] * 3


def test_an_existing_parent_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    ensure_private_dir(tmp_path / "app")
    assert mode(tmp_path) == 0o755
    assert mode(tmp_path / "app") == 0o700


def test_a_file_where_the_directory_should_be_is_named(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("oops")
    with pytest.raises(StateFileError, match=r"state should be a directory but is a file"):
        ensure_private_dir(tmp_path / "state")


def test_a_symlinked_directory_is_refused_and_what_it_points_to_keeps_its_mode(
    tmp_path: Path,
) -> None:
    target = tmp_path / "shared"
    target.mkdir()
    target.chmod(0o755)
    (target / "f.json").write_text('{"count": 5}')
    link = tmp_path / "state"
    link.symlink_to(target)

    for use in (
        lambda: ensure_private_dir(link),
        lambda: write_private(link / "g.json", b"{}"),
        lambda: append_private(link / "audit.jsonl", "line"),
        lambda: read_private(link / "f.json"),
        lambda: counter(link / "f.json").update(lambda c: c),
    ):
        with pytest.raises(StateFileError, match=r"state is a symbolic link.*real directory"):
            use()

    assert mode(target) == 0o755
    assert sorted(p.name for p in target.iterdir()) == ["f.json"]


def test_several_first_users_creating_the_directory_at_once_all_get_it(tmp_path: Path) -> None:
    refused: list[StateFileError] = []

    def create(directory: Path, start: threading.Barrier) -> None:
        start.wait()
        try:
            ensure_private_dir(directory)
        except StateFileError as exc:  # "should be a directory but is a file" was a race
            refused.append(exc)

    for attempt in range(30):
        directory, start = tmp_path / str(attempt) / "state", threading.Barrier(6)
        threads = [threading.Thread(target=create, args=(directory, start)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert mode(directory) == 0o700

    assert refused == []


def test_writes_are_atomic_private_and_leave_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "s" / "f.json"
    write_private(path, b"one")
    write_private(path, b"two")
    assert path.read_bytes() == b"two"
    assert mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["f.json"]


def test_a_symbolic_link_is_never_followed(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere.json"
    secret.write_text('{"count": 5}')
    link = tmp_path / "f.json"
    link.symlink_to(secret)

    with pytest.raises(StateFileError, match="symbolic link"):
        counter(link).read()
    with pytest.raises(StateFileError, match="symbolic link"):
        write_private(link, b"{}")
    with pytest.raises(StateFileError, match="symbolic link"):
        append_private(link, "line")
    assert secret.read_text() == '{"count": 5}'


def test_damaged_content_is_moved_aside_and_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text('{"count": "many"}')

    assert counter(path).read() == Counter()

    assert not path.exists()
    (aside,) = tmp_path.glob("f.json.corrupt-*")
    assert aside.read_text() == '{"count": "many"}'
    assert mode(aside) == 0o600


def test_a_fail_closed_file_with_damaged_content_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text("{")

    with pytest.raises(StateFileError) as caught:
        counter(path, fail_closed=True).read()

    assert caught.value.kind == "damaged"
    assert path.read_text() == "{"
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_an_oversized_file_counts_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b" " * (MAX_BYTES + 1))
    assert counter(path).read() == Counter()
    assert len(list(tmp_path.glob("f.json.corrupt-*"))) == 1


def test_a_directory_in_place_of_a_file_is_an_error_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "f.json").mkdir()
    with pytest.raises(StateFileError, match="is a directory"):
        counter(tmp_path / "f.json").update(lambda c: Counter(count=c.count + 1))
    assert (tmp_path / "f.json").is_dir()


def test_an_update_keeps_what_another_writer_stored(tmp_path: Path) -> None:
    file = counter(tmp_path / "f.json")
    for _ in range(3):
        file.update(lambda c: Counter(count=c.count + 1))
    assert counter(tmp_path / "f.json").read().count == 3


def test_missing_files_read_as_none_or_empty(tmp_path: Path) -> None:
    assert read_private(tmp_path / "nothing") is None
    assert counter(tmp_path / "nothing").read() == Counter()


@pytest.mark.e2e
def test_the_demo_creates_only_private_directories(tmp_path: Path, portal: FakePortal) -> None:
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode",
    }
    with StdioSession(env, "--demo") as server:
        server.initialize()
        preview_then_confirm(server.call_tool, "set_box_mode", mode="Home 2")

    created = [p for p in home.rglob("*") if p.is_dir()]
    assert any(p.name == "demo" for p in created)
    assert {str(p.relative_to(home)): mode(p) for p in created} == {
        str(p.relative_to(home)): 0o700 for p in created
    }
