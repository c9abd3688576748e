"""Special files where ours should be: a FIFO, a link to /dev/zero, a huge file, a link
slipped in while a damaged file is moved aside, an unreadable big audit log. Each gets a
sentence naming the file, promptly; nothing blocks, reads without end, or follows a link."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.errors import StateFileError
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.state.local.audit import LocalAudit
from oig_cloud_mcp.state.local.files import (
    MAX_BYTES,
    CorruptFileError,
    append_private,
    move_aside,
    read_linked,
)
from oig_cloud_mcp.state.local.state_file import AppendLog

from .fake_portal import FakePortal
from .helpers.commands import command, process_env
from .helpers.settings import state_dir_of

DEADLINE_S = 15


def _release(fifo: Path) -> None:
    """Open the other end of `fifo`, so that a thread blocked opening it goes on."""
    for flags in (os.O_RDONLY | os.O_NONBLOCK, os.O_WRONLY | os.O_NONBLOCK):
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, flags))


def call_promptly(settings: Settings, fifo: Path, tool: str, **arguments: Any) -> str:
    """One tool call's text; fails (and unblocks it) if it takes longer than DEADLINE_S."""
    answer: dict[str, str] = {}

    async def one_call() -> None:
        async with Client(build_server(settings), mode="legacy") as client:
            result = await client.call_tool(tool, arguments)
            answer["text"] = "".join(getattr(b, "text", "") for b in result.content)

    worker = threading.Thread(target=lambda: asyncio.run(one_call()), daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    if worker.is_alive():
        while worker.is_alive():
            _release(fifo)
            worker.join(0.1)
        pytest.fail(f"{tool} blocked on the FIFO {fifo}")
    return answer["text"]


def test_a_fifo_as_the_audit_log_does_not_block_a_refused_write(
    settings: Settings, portal: FakePortal
) -> None:
    settings.state_dir.mkdir(parents=True)
    os.mkfifo(settings.audit_path)

    text = call_promptly(settings, settings.audit_path, "set_box_mode", mode="Home 2")

    assert "set_box_mode is disabled" in text
    assert stat.S_ISFIFO(settings.audit_path.lstat().st_mode)  # left where it is


def test_appending_to_a_fifo_is_refused_naming_it(tmp_path: Path) -> None:
    fifo = tmp_path / "audit.jsonl"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # even with a reader at the other end
    try:
        with pytest.raises(StateFileError, match=f"{fifo} is not a regular file"):
            append_private(fifo, "{}")
    finally:
        os.close(reader)
    with pytest.raises(StateFileError, match=f"{fifo} is not a regular file"):
        append_private(fifo, "{}")  # and without one


def test_a_fifo_as_the_whitelist_is_refused_naming_it(
    settings: Settings, portal: FakePortal
) -> None:
    settings.config_dir.mkdir(parents=True)
    os.mkfifo(settings.whitelist_path)

    text = call_promptly(settings, settings.whitelist_path, "get_basic_data")

    assert f"{settings.whitelist_path} is not a regular file" in text
    assert portal.log == []


def test_status_with_a_fifo_as_the_whitelist_answers_promptly(env: dict[str, str]) -> None:
    config = Path(env["XDG_CONFIG_HOME"]) / "oig-cloud-mcp"
    config.mkdir(parents=True)
    os.mkfifo(config / "whitelist.txt")

    process = subprocess.Popen(
        [*command(), "status"],
        env=process_env(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=DEADLINE_S * 2)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        _release(config / "whitelist.txt")
        pytest.fail("status blocked on a FIFO whitelist")

    assert process.returncode == 0, err
    assert f"Whitelist: {config / 'whitelist.txt'} is not a regular file" in out


def read_whitelist_with_little_memory(path: Path) -> str:
    """What `read_linked(path)` (the whitelist's read) raises, in a process allowed 1 GiB of
    memory, so that reading without end fails there rather than exhausting the machine."""
    code = (
        "import resource, sys; from pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from oig_cloud_mcp.state.local.files import read_linked\n"
        "try:\n"
        "    read_linked(Path(sys.argv[1]))\n"
        "except BaseException as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout.strip()


def test_a_whitelist_linked_to_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    whitelist = tmp_path / "whitelist.txt"
    whitelist.symlink_to("/dev/zero")

    raised = read_whitelist_with_little_memory(whitelist)

    assert raised == f"StateFileError {whitelist} is not a regular file; move it away."


def test_a_huge_linked_whitelist_is_refused_as_too_large(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "whitelist.txt"
    target.parent.mkdir()
    with target.open("wb") as file:
        file.truncate(64 * MAX_BYTES)  # sparse: 64 MiB that cost no disk
    whitelist = tmp_path / "whitelist.txt"
    whitelist.symlink_to(target)

    with pytest.raises(CorruptFileError, match="larger than 1024 KiB"):
        read_linked(whitelist)


def test_moving_a_damaged_file_aside_never_changes_a_link_target(tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere" / "precious.txt"
    victim.parent.mkdir()
    victim.write_text("not ours")
    victim.chmod(0o644)
    damaged = tmp_path / "state" / "session.json"
    damaged.parent.mkdir()
    damaged.symlink_to(victim)  # slipped in after the damaged file was read

    moved = move_aside(damaged, "not JSON")

    assert moved.is_symlink()
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_moving_a_damaged_file_aside_keeps_it_private(tmp_path: Path) -> None:
    damaged = tmp_path / "session.json"
    damaged.write_text("{")
    damaged.chmod(0o644)

    moved = move_aside(damaged, "not JSON")

    assert stat.S_IMODE(moved.stat().st_mode) == 0o600


def big_audit_log(path: Path) -> None:
    """An audit log of a bit more than MAX_BYTES, of whole valid lines."""
    line = (
        json.dumps(
            {
                "time": "2025-06-28T13:05:00+02:00",
                "tool": "set_box_mode",
                "arguments": {"mode": "Home 2"},
                "outcome": "previewed",
            }
        )
        + "\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(line * (MAX_BYTES // len(line) + 100))


def test_the_last_entries_of_a_big_audit_log_are_read_from_its_end(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    big_audit_log(log)
    AppendLog(log).append(json.dumps({"tool": "set_grid_delivery", "outcome": "written"}))

    entries = LocalAudit(log).read_last(2)

    assert [e["tool"] for e in entries] == ["set_box_mode", "set_grid_delivery"]


@pytest.mark.e2e
def test_status_reports_a_big_unreadable_audit_log_in_one_line(env: dict[str, str]) -> None:
    audit = state_dir_of(env) / "audit.jsonl"
    big_audit_log(audit)
    audit.chmod(0o000)
    argv = [*command(), "status"]
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root's file-read override"
        argv = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *argv]

    done = subprocess.run(
        argv, env=process_env(env), capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert f"Audit log: Cannot read {audit} (permission denied)" in done.stdout


@pytest.mark.e2e
def test_a_symlinked_state_directory_is_refused_by_the_command_and_its_target_left_alone(
    env: dict[str, str], portal: FakePortal, tmp_path: Path
) -> None:
    target = tmp_path / "shared"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    state = state_dir_of(env)
    state.parent.mkdir(parents=True)
    state.symlink_to(target)

    done = subprocess.run(
        [*command(), "call", "get_basic_data"],
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1, done
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"Error: {state} is a symbolic link"), line
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert list(target.iterdir()) == []
    assert portal.log == []
