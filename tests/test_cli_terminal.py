"""What the installed command prints is safe for a terminal: control characters from files,
arguments or the portal are shown escaped (`\\x1b`), never raw; and the small words of the
command line (booleans, durations, punctuation, `--debug`) read as the README says."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oig_cloud_mcp.cli.app import app

from .fake_portal import BOX_ID, FakePortal
from .helpers.commands import command, process_env, run_all, run_cli
from .helpers.settings import state_dir_of

pytestmark = pytest.mark.e2e

ATTACKS = (
    "\x1b]0;pwned\x07",  # set the window title
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: write the clipboard
    "\x1b[2K\x1b[1A",  # erase the line, move up
    "\x9b2J",  # C1 CSI: clear the screen
    "\x7f\x00\r",
)
RAW = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
"""C0 but newline and tab, DEL, and C1 (UTF-8 encoded) as bytes on a stream."""


def run_bytes(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """`oig-cloud-mcp ARGV`, with stdout and stderr as the bytes a terminal would get."""
    return subprocess.run(
        [*command(), *argv],
        env=process_env(env),
        capture_output=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def assert_no_raw_controls(done: subprocess.CompletedProcess[bytes]) -> None:
    for stream in (done.stdout, done.stderr):
        assert RAW.search(stream) is None, stream


def test_status_shows_escape_sequences_from_the_audit_log_escaped(env: dict[str, str]) -> None:
    state = state_dir_of(env)
    state.mkdir(parents=True)
    entry = {
        "time": "2025-06-28T13:05:00+02:00",
        "tool": "set_box_mode",
        "box_id": None,
        "arguments": {"mode": "".join(ATTACKS), "\x1b[31mconfirm": True},
        "outcome": "invalid\x1b[2J",
    }
    (state / "audit.jsonl").write_text(json.dumps(entry) + "\n")

    done = run_bytes(["status"], env)

    assert done.returncode == 0, done
    assert_no_raw_controls(done)
    shown = done.stdout.decode()
    assert "mode=\\x1b]0;pwned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07" in shown
    assert "\\x9b2J\\x7f\\x00\\x0d" in shown
    assert "\\x1b[31mconfirm=True" in shown


def test_notifications_with_escape_sequences_print_escaped_as_text_and_json(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.notifications = [(4, "28. 6. 2025 | 13:05", BOX_ID, "".join(ATTACKS), "body\x1b[2J")]

    text, as_json = (
        run_bytes(["call", "get_notifications", *extra], env) for extra in ([], ["--json"])
    )

    for done in (text, as_json):
        assert done.returncode == 0, done
        assert_no_raw_controls(done)
    assert "\\x1b]0;pwned\\x07" in text.stdout.decode()
    notification = json.loads(as_json.stdout)["notifications"][0]
    # the portal's text is escaped where it is read, so every MCP client gets it safe too
    assert notification["title"].startswith("\\x1b]0;pwned\\x07")
    assert "\\x9b2J" in notification["title"]
    assert notification["body"] == "body\\x1b[2J"


def test_an_argument_with_escape_sequences_is_escaped_in_the_error_line(
    env: dict[str, str],
) -> None:
    done = run_bytes(["call", "get_basic_data", "\x1b[2J\x1b]0;x\x07=1", "--demo"], env)

    assert done.returncode == 2
    assert_no_raw_controls(done)
    assert "Unknown argument \\x1b[2J\\x1b]0;x\\x07;" in done.stderr.decode()


@pytest.mark.parametrize("word", ["yes", "1", "on", "no", "0"])
def test_confirm_accepts_only_true_or_false(env: dict[str, str], word: str) -> None:
    ran = run_cli(
        [
            "--demo",
            "--allow-writes",
            "all",
            "call",
            "set_box_mode",
            "mode=Home 2",
            f"confirm={word}",
        ],
        env,
    )

    assert ran.returncode == 2, ran
    assert ran.errors == [
        f'Error: confirm must be true or false (got "{word}"). '
        "See `oig-cloud-mcp call --help set_box_mode`."
    ]
    assert ran.stdout == ""


def test_a_box_silent_for_long_is_said_in_days_in_status_check(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.box()["device"]["lastcall"] = "2020-01-01 12:00:00"

    ran = run_cli(["status", "--check"], env)

    assert ran.returncode == 0, ran
    assert "last contact 2020-01-01 12:00." in ran.stdout
    days = re.search(r"The box last reported (\d+) days ago; check that it is online.", ran.stdout)
    assert days is not None, ran.stdout
    assert " h ago" not in ran.stdout
    assert "minutes ago" not in ran.stdout


def test_an_unknown_command_gets_one_sentence_with_single_punctuation(
    env: dict[str, str],
) -> None:
    ran = run_cli(["statu"], env)

    assert ran.returncode == 2
    assert len(ran.errors) == 1
    assert "Did you mean 'status'? See `oig-cloud-mcp --help`." in ran.errors[0]
    assert "?." not in ran.errors[0]


def test_debug_is_accepted_after_a_command_too(env: dict[str, str]) -> None:
    call, status = run_all(
        [(["call", "get_basic_data", "--debug", "--demo"], env), (["status", "--debug"], env)]
    )

    assert call.returncode == 0, call
    assert "Battery" in call.stdout
    assert " DEBUG " in call.stderr  # debug logs on stderr, as with --debug before it
    assert status.returncode == 0, status
    assert "No such option" not in call.stderr + status.stderr


def test_the_remembered_account_is_escaped_in_the_login_prompt(isolated_home: Path) -> None:
    config = isolated_home / "config" / "oig-cloud-mcp"
    config.mkdir(parents=True)
    (config / "account").write_text("own\x1b]0;x\x07er@example.com\n")

    result = CliRunner().invoke(app, ["login"], input="\n")

    assert "OIG Cloud e-mail [own\\x1b]0;x\\x07er@example.com]:" in result.output
    assert "\x1b" not in result.output
