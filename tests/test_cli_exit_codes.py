"""Exit codes of the installed command, as git and gh use them: 0 success, 1 the operation
failed, 2 usage error. Every failure is one `Error:` line on stderr and nothing on stdout.
(130 / 143 for signals: test_cli_signals.py.)"""

from __future__ import annotations

import json

import pytest

from .fake_portal import FakePortal
from .helpers.commands import Ran, run_all, run_cli

pytestmark = pytest.mark.e2e


def assert_one_error_line(ran: Ran, code: int, *expected: str) -> None:
    assert ran.returncode == code, ran
    assert len(ran.errors) == 1, ran.stderr
    assert ran.errors[0].startswith("Error: "), ran.stderr
    for text in expected:
        assert text in ran.errors[0], ran.errors[0]
    assert ran.stdout == ""
    for noise in ("Traceback", "ExceptionGroup", "unexpected", "Invalid value for"):
        assert noise not in ran.stderr


def test_the_readme_quick_start_call_exits_0(env: dict[str, str]) -> None:
    ran = run_cli(["call", "get_basic_data", "--demo"], env)

    assert ran.returncode == 0, ran
    assert "Battery" in ran.stdout
    assert ran.stderr == ""


def test_call_reads_lists_numbers_and_booleans_by_the_tool_schema(env: dict[str, str]) -> None:
    day = ["--demo", "call", "get_extended_data", "start_date=2025-06-24", "end_date=2025-06-24"]
    writes = ["--demo", "--allow-writes", "all", "call", "set_box_mode"]
    commas, as_json, preview = run_all(
        [
            ([*day, "series=batt,grid", "max_samples=4", "--json"], env),
            ([*day, 'series=["fve"]', "--json"], env),
            ([*writes, "mode=home ups", "confirm=false"], env),
        ]
    )

    assert commas.returncode == 0, commas
    series = json.loads(commas.stdout)["series"]
    assert [s["series"] for s in series] == ["batt", "grid"]
    assert all(len(s["samples"]) == 4 for s in series)
    assert as_json.returncode == 0, as_json
    assert [s["series"] for s in json.loads(as_json.stdout)["series"]] == ["fve"]
    assert preview.returncode == 0, preview
    assert "Preview only, nothing was changed: Home 1 -> Home UPS" in preview.stdout


def test_every_failed_operation_exits_1_with_one_error_line(
    env: dict[str, str], portal: FakePortal
) -> None:
    no_account = {k: v for k, v in env.items() if not k.startswith("OIG_CLOUD_")}
    cases = {
        "wrong password": (["call", "get_basic_data"], env | {"OIG_CLOUD_PASSWORD": "bad"}),
        "portal down": (
            ["call", "get_basic_data"],
            env | {"OIG_CLOUD_BASE_URL": "http://127.0.0.1:9/"},
        ),
        "no account": (["call", "get_basic_data"], no_account),
        "range too long": (
            ["--demo", "call", "get_extended_data", "start_date=2025-01-01", "end_date=2025-03-01"],
            env,
        ),
        "status --check without an account": (["status", "--check"], no_account),
    }

    ran = dict(zip(cases, run_all(list(cases.values())), strict=True))

    wrong = ran["wrong password"]
    assert wrong.returncode == 1
    assert wrong.errors == [wrong.errors[0]]
    assert "OIG_CLOUD_PASSWORD" in wrong.stderr  # where the rejected password came from
    assert "over the keyring" in wrong.stderr
    assert_one_error_line(ran["portal down"], 1, "Cannot reach OIG Cloud")
    assert_one_error_line(ran["no account"], 1, "oig-cloud-mcp login")
    assert_one_error_line(ran["range too long"], 1, "at most 31 days")
    status = ran["status --check without an account"]
    assert status.returncode == 1
    assert status.errors[-1].startswith("Error: No OIG Cloud account is set up")
    assert "Account: none" in status.stdout


def test_a_portal_that_does_not_answer_in_time_exits_1(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.delay_s = 5

    ran = run_cli(["call", "get_basic_data"], env | {"OIG_CLOUD_MCP_TIMEOUT": "0.3"})

    assert_one_error_line(ran, 1)


USAGE_ERRORS = {
    "a word without =": (
        ["call", "get_basic_data", "box_id"],
        ["box_id needs a value: write box_id=VALUE", "a Battery Box id of 1 to 20 digits"],
    ),
    "an unknown argument": (
        ["call", "get_basic_data", "boxid=1"],
        ["Unknown argument boxid (did you mean box_id?); get_basic_data takes: box_id"],
    ),
    "a number out of range": (
        ["call", "get_notifications", "limit=0"],
        ['limit must be an integer from 1 to 100 (got "0")'],
    ),
    "a list item not allowed": (
        [
            "call",
            "get_extended_data",
            "start_date=2025-06-01",
            "end_date=2025-06-02",
            "series=batt,sun",
        ],
        ["series must be a list of batt, fve, grid, load, separated by commas"],
    ),
    "a required argument left out": (
        ["call", "get_extended_data", "series=batt"],
        ["start_date is required: a date as YYYY-MM-DD; end_date is required"],
    ),
    "an unknown tool": (
        ["call", "get_everything"],
        ["No tool 'get_everything'; choose one of: get_basic_data", "--allow-writes"],
    ),
    "a write tool not enabled": (
        ["call", "set_box_mode", "mode=Home 3"],
        [
            "set_box_mode is disabled; the owner can enable it",
            "--allow-writes set_box_mode",
            "OIG_CLOUD_MCP_ALLOW_WRITES=set_box_mode",
        ],
    ),
    "an unknown write tool in --allow-writes": (
        ["--allow-writes", "set_everything", "tools"],
        ["--allow-writes must be all (or 1), or a comma-separated list of set_box_mode"],
    ),
    "an unknown option": (["status", "--bogus"], ["No such option: --bogus", "status --help"]),
    "an empty e-mail": (["login", "--email", ""], ["--email: '' is not an e-mail address"]),
    "a malformed e-mail": (
        ["login", "--email", "not-an-email", "--password-stdin"],
        ["--email: 'not-an-email' is not an e-mail address"],
    ),
    "--password-stdin with no e-mail to log in": (
        ["login", "--password-stdin"],
        ["--password-stdin needs --email EMAIL"],
    ),
}


def test_every_usage_error_exits_2_with_one_line_naming_what_is_accepted(
    env: dict[str, str], portal: FakePortal
) -> None:
    demo = env | {"OIG_CLOUD_MCP_DEMO": "1"}

    *ran, no_answer = run_all(
        [*((argv, demo) for argv, _ in USAGE_ERRORS.values()), (["login"], demo)]
    )

    for (case, (_, expected)), result in zip(USAGE_ERRORS.items(), ran, strict=True):
        assert result.returncode == 2, (case, result)
        assert_one_error_line(result, 2, *expected)
    assert portal.log == []  # a malformed e-mail is refused before any request
    assert no_answer.returncode == 2, no_answer
    assert no_answer.stdout == "OIG Cloud e-mail: "
    assert no_answer.errors == [
        "Error: Standard input ended before an answer; for scripts use --email EMAIL "
        "--password-stdin."
    ]


@pytest.mark.parametrize("environment", ["keyring", "OIG_CLOUD_EMAIL set"])
def test_login_with_a_wrong_password_says_try_again_not_run_login(
    env: dict[str, str], portal: FakePortal, environment: str
) -> None:
    no_account = {k: v for k, v in env.items() if not k.startswith("OIG_CLOUD_")}
    base = no_account | {"OIG_CLOUD_BASE_URL": env["OIG_CLOUD_BASE_URL"]}
    if environment != "keyring":
        base = env  # the variables do not make a typed password come from them

    ran = run_cli(["login", "--email", "owner@example.com", "--password-stdin"], base, "bad\n")

    assert_one_error_line(
        ran, 1, "OIG Cloud rejected the e-mail or password for owner@example.com", "try again"
    )
    assert "oig-cloud-mcp login" not in ran.stderr
    assert "OIG_CLOUD_PASSWORD" not in ran.stderr
