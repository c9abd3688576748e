"""Help that reads well, from the installed command: `-h` everywhere, whole one-line
summaries, metavars in words, examples, and each tool's arguments with what they accept."""

from __future__ import annotations

import re

import pytest

from .helpers.commands import run_all, run_cli

pytestmark = pytest.mark.e2e

COMMANDS = ("serve", "login", "logout", "status", "tools", "call", "remote")


def test_dash_h_shows_help_for_the_program_and_every_command(env: dict[str, str]) -> None:
    top, *commands = run_all([(["-h"], env), *(([name, "-h"], env) for name in COMMANDS)])

    for ran in (top, *commands):
        assert ran.returncode == 0, ran
        assert ran.stdout.startswith("Usage: oig-cloud-mcp"), ran.stdout
        assert ran.stderr == ""
        assert "<str>" not in ran.stdout
        assert "<list" not in ran.stdout
        assert "{tool}" not in ran.stdout
    listed = dict(re.findall(r"^  (\w+)\s{2,}(.+)$", top.stdout.split("Commands:")[1], re.M))
    assert list(listed) == list(COMMANDS)
    for summary in listed.values():
        assert summary.endswith("."), summary  # whole sentences, never cut with "..."
        assert "..." not in summary
    assert "Exit codes: 0 success, 1 the operation failed" in top.stdout
    assert "--allow-writes TOOLS" in top.stdout
    login, call = commands[1], commands[5]
    assert "--email EMAIL" in login.stdout
    assert "Usage: oig-cloud-mcp call [OPTIONS] [TOOL] [KEY=VALUE]..." in call.stdout
    assert "Examples:" in call.stdout
    assert "series=batt,grid" in call.stdout
    assert "-h, --help" in call.stdout


def test_tools_lists_each_argument_with_type_range_and_default(env: dict[str, str]) -> None:
    ran = run_cli(["tools"], env)

    assert ran.returncode == 0, ran
    assert "get_notifications (read): Box notifications" in ran.stdout
    assert "limit         optional: an integer from 1 to 100; default 20" in ran.stdout
    assert "min_severity  optional: one of: info, warning, error, critical" in ran.stdout
    assert "start_date   required: a date as YYYY-MM-DD" in ran.stdout
    assert "Write tools, off (enable with --allow-writes): set_box_mode" in ran.stdout


def test_call_help_with_a_tool_and_tools_tool_show_every_argument(env: dict[str, str]) -> None:
    call_help, tools_tool, unknown = run_all(
        [
            (["call", "--help", "get_extended_data"], env),
            (["tools", "set_grid_delivery"], env),
            (["tools", "get_everything"], env),
        ]
    )

    assert call_help.returncode == 0, call_help
    assert "Examples:" in call_help.stdout
    for line in (
        "get_extended_data (read): History of the box",
        "max_samples  optional: an integer from 1 to 96; default 24",
        "series       optional: a list of batt, fve, grid, load, separated by commas",
        "oig-cloud-mcp call get_extended_data start_date=2025-06-24 end_date=2025-06-24",
    ):
        assert line in call_help.stdout
    assert tools_tool.returncode == 0, tools_tool
    for line in (
        "set_grid_delivery (write; off, enable it with --allow-writes)",
        "state    required: one of: off, on, limited",
        "limit_w  optional: an integer from 1 to 9999",
        "Export limit in W; only for limited.",
        "confirm  optional: true or false; default false",
    ):
        assert line in tools_tool.stdout
    assert unknown.returncode == 2
    assert unknown.errors[0].startswith("Error: No tool 'get_everything'; choose one of:")


def test_logout_says_what_it_removed_and_what_was_not_there(env: dict[str, str]) -> None:
    from pathlib import Path

    config = Path(env["XDG_CONFIG_HOME"]) / "oig-cloud-mcp"
    config.mkdir(parents=True)
    (config / "account").write_text("owner@example.com\n")

    first = run_cli(["logout"], env)
    second = run_cli(["logout"], env)

    assert first.returncode == 0, first
    assert "Removed the remembered account" in first.stdout
    assert "Was not there: the password of owner@example.com (OS keyring)" in first.stdout
    assert second.returncode == 0, second
    assert "Removed" not in second.stdout
    assert second.stdout.startswith("Was not there: the stored password; the cached session")
    assert "the remembered account" in second.stdout
