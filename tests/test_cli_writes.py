"""A change from the command line is previewed and asked about before it is sent, like a
change an assistant makes: `call set_box_mode ... confirm=true` shows the preview, asks at
the terminal, and sends only after "y" (or with --yes, for scripts)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from .helpers.commands import command, process_env, run_cli

pytestmark = pytest.mark.e2e
CHANGE = ["--demo", "call", "set_box_mode", "mode=home3", "confirm=true"]
WRITES = ["--allow-writes", "set_box_mode"]


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}


def demo_writes(home: dict[str, str]) -> list[str]:
    audit = Path(home["XDG_STATE_HOME"]) / "oig-cloud-mcp" / "demo" / "audit.jsonl"
    lines = audit.read_text().splitlines() if audit.exists() else []
    return [json.loads(line)["outcome"] for line in lines if '"written"' in line]


def at_a_terminal(argv: list[str], env: dict[str, str], answer: bytes) -> tuple[int, str]:
    """Run with a pseudo-terminal as stdin and stdout, answering the question."""
    main_fd, terminal = pty.openpty()
    process = subprocess.Popen(
        [*command(), *argv], stdin=terminal, stdout=terminal, stderr=terminal, env=process_env(env)
    )
    os.close(terminal)
    seen = b""
    try:
        while b"Send this change" not in seen:
            seen += os.read(main_fd, 4096)
        os.write(main_fd, answer + b"\n")
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:  # the terminal closes when the command exits
                break
            if not chunk:
                break
            seen += chunk
    finally:
        code = process.wait(timeout=60)
        os.close(main_fd)
    return code, seen.decode("utf-8", "replace")


def test_yes_sends_a_confirmed_change_after_showing_its_preview(home: dict[str, str]) -> None:
    ran = run_cli([*CHANGE, "--yes", *WRITES], home)

    assert ran.returncode == 0, ran
    assert "Preview only, nothing was changed" in ran.stdout
    assert "accepted the change" in ran.stdout
    assert demo_writes(home) == ["written"]


def test_without_a_terminal_or_yes_a_confirmed_change_is_refused(home: dict[str, str]) -> None:
    ran = run_cli([*CHANGE, *WRITES], home)

    assert ran.returncode == 2, ran
    assert "add --yes" in ran.stderr
    assert demo_writes(home) == []


@pytest.mark.parametrize(("answer", "code", "written"), [(b"y", 0, 1), (b"n", 1, 0)])
def test_at_a_terminal_the_change_is_sent_only_after_yes(
    home: dict[str, str], answer: bytes, code: int, written: int
) -> None:
    returned, shown = at_a_terminal([*CHANGE, *WRITES], home, answer)

    assert returned == code, shown
    assert "Preview only, nothing was changed" in shown
    assert len(demo_writes(home)) == written
    if not written:
        assert "Nothing was changed." in shown


def test_at_a_terminal_the_preview_does_not_tell_the_person_to_call_again(
    home: dict[str, str],
) -> None:
    _, shown = at_a_terminal([*CHANGE, *WRITES], home, b"n")
    ran = run_cli([*CHANGE, "--yes", *WRITES], home)

    for output in (shown, ran.stdout):
        assert "Preview only, nothing was changed" in output
        assert "confirm=true" not in output  # the person already typed it; the model's cue
    assert shown.index("Preview only") < shown.index("Send this change to the box? [y/N]")
