"""Ctrl+C and SIGTERM, as real signals to the installed command.

The idle stdio server quits on the first signal; a command waiting on a portal that does
not answer says "Interrupted." (or "Terminated.") and exits 130 (143). No traceback, no
"Exception ignored", no "Task exception was never retrieved", and while serving nothing
but JSON-RPC on stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fake_portal import FakePortal
from .helpers.commands import Ran, finish, start

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name == "nt", reason="POSIX signals")]

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "signals", "version": "1"},
    },
}
QUIT_WITHIN_S = 3.0
"""Generous for a loaded CI machine; the measured time is about 0.3 s (see the report)."""


def signal_and_wait(process: subprocess.Popen[str], signum: int) -> tuple[Ran, float]:
    began = time.monotonic()
    process.send_signal(signum)
    ran = finish(process)
    return ran, time.monotonic() - began


def assert_quiet_exit(ran: Ran, code: int, line: str) -> None:
    assert ran.returncode == code, ran
    assert ran.stderr == f"{line}\n", ran.stderr
    for noise in ("Traceback", "Exception ignored", "Task exception", "KeyboardInterrupt"):
        assert noise not in ran.stderr


@contextlib.contextmanager
def ended(*processes: subprocess.Popen[str]) -> Iterator[None]:
    """Whatever happens in the block, no process outlives it and no pipe stays open."""
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate()


def wait_for(condition: object, what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)


def idle_server(env: dict[str, str]) -> subprocess.Popen[str]:
    """A demo server that has answered `initialize` and now waits for the next line."""
    process = start(["--demo"], env)
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(json.dumps(INITIALIZE) + "\n")
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    assert answer["id"] == 1
    return process


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [(signal.SIGINT, 130, "Interrupted."), (signal.SIGTERM, 143, "Terminated.")],
)
def test_the_idle_server_quits_on_the_first_signal(
    env: dict[str, str], signum: int, code: int, line: str
) -> None:
    process = idle_server(env)

    with ended(process):
        ran, seconds = signal_and_wait(process, signum)

    assert_quiet_exit(ran, code, line)
    assert seconds < QUIT_WITHIN_S
    assert ran.stdout == ""  # the initialize answer was all, and it was JSON-RPC


def test_a_second_signal_ends_the_server_at_once(env: dict[str, str]) -> None:
    process = idle_server(env)

    with ended(process):
        process.send_signal(signal.SIGINT)
        ran, seconds = signal_and_wait(process, signal.SIGINT)

    assert_quiet_exit(ran, 130, "Interrupted.")
    assert seconds < QUIT_WITHIN_S


def own_home(env: dict[str, str], home: Path) -> dict[str, str]:
    """`env` with a home of its own: processes sharing one would queue on its login lock."""
    dirs = {f"XDG_{d.upper()}_HOME": str(home / d) for d in ("config", "state", "cache", "data")}
    return env | {"HOME": str(home)} | dirs


def test_ctrl_c_while_the_portal_hangs_says_interrupted_and_exits_130(
    env: dict[str, str], portal: FakePortal, tmp_path: Path
) -> None:
    portal.delay_s = 10  # long enough to be interrupted, short enough to end before the suite
    argvs = {
        "call": ["call", "get_basic_data"],
        "status --check": ["status", "--check"],
        "login": ["login", "--email", "owner@example.com", "--password-stdin"],
        "call, SIGTERM": ["call", "get_basic_data"],
    }
    processes = {
        name: start(argv, own_home(env, tmp_path / str(i)))
        for i, (name, argv) in enumerate(argvs.items())
    }
    with ended(*processes.values()):
        login = processes["login"]
        assert login.stdin is not None
        login.stdin.write("s3cret-pw\n")
        login.stdin.flush()
        wait_for(lambda: len(portal.log) == len(processes), "every command waits on the portal")

        ran = {
            name: signal_and_wait(
                process, signal.SIGTERM if name.endswith("SIGTERM") else signal.SIGINT
            )
            for name, process in processes.items()
        }

    for name in ("call", "status --check", "login"):
        result, seconds = ran[name]
        assert_quiet_exit(result, 130, "Interrupted.")
        assert seconds < QUIT_WITHIN_S, name
    assert ran["call"][0].stdout == ""
    assert "Live check:" in ran["status --check"][0].stdout
    assert_quiet_exit(ran["call, SIGTERM"][0], 143, "Terminated.")


def test_ctrl_c_at_the_password_prompt_exits_130_after_offering_the_remembered_account(
    env: dict[str, str], portal: FakePortal
) -> None:
    import pty

    account = Path(env["XDG_CONFIG_HOME"]) / "oig-cloud-mcp" / "account"
    account.parent.mkdir(parents=True)
    account.write_text("owner@example.com\n")
    main_fd, terminal = pty.openpty()
    # A session of its own: no controlling terminal, so getpass reads the pty on stdin.
    process = start(["login"], env, stdin=terminal, start_new_session=True)
    os.close(terminal)
    with ended(process):
        shown = read_until(process, "OIG Cloud e-mail [owner@example.com]:")
        os.write(main_fd, b"\n")  # take the default
        shown += read_until(process, "OIG Cloud password:")
        ran, _ = signal_and_wait(process, signal.SIGINT)
    os.close(main_fd)

    assert ran.returncode == 130, ran
    assert ran.stderr.strip().endswith("Interrupted."), ran.stderr
    assert "Traceback" not in ran.stderr
    assert "Aborted" not in ran.stderr
    assert portal.log == []


def read_until(process: subprocess.Popen[str], text: str, timeout_s: float = 30) -> str:
    """Read stdout until `text` appears (a prompt has no newline, so byte by byte)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout_s
    while text.encode() not in seen:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {text!r} in {seen!r}")
        chunk = os.read(fd, 1)
        if not chunk:
            raise EOFError(seen.decode())
        seen += chunk
    return seen.decode()
