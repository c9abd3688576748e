"""Environment variables: a value that cannot be used is one `Error:` line at start naming
the variable and what it accepts (exit 2), for serving and for every command; an unfilled
`${user_config.NAME}` placeholder (Claude Desktop's, for an empty optional field) is unset.
"""

from __future__ import annotations

import dataclasses

import pytest

from oig_cloud_mcp import config
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import WRITE_TOOLS
from oig_cloud_mcp.errors import ConfigurationError

from .helpers.commands import run_all

EVERY_VARIABLE = [value for name, value in vars(config).items() if name.startswith("ENV_")]
INVALID = {
    "OIG_CLOUD_MCP_TIMEOUT=abc": (
        "OIG_CLOUD_MCP_TIMEOUT must be a number of seconds, more than 0 (default 30), not 'abc'."
    ),
    "OIG_CLOUD_MCP_TIMEOUT=0": "OIG_CLOUD_MCP_TIMEOUT must be a number of seconds, more than 0",
    "OIG_CLOUD_MCP_CACHE_TTL=-5": (
        "OIG_CLOUD_MCP_CACHE_TTL must be a number of seconds, 0 or more (default 20), not '-5'."
    ),
    "OIG_CLOUD_MCP_CACHE_TTL=soon": "OIG_CLOUD_MCP_CACHE_TTL must be a number of seconds",
    "OIG_CLOUD_BASE_URL=notaurl": (
        "OIG_CLOUD_BASE_URL must be an http:// or https:// URL such as "
        "https://portal.oigpower.cz/, not 'notaurl'."
    ),
    "OIG_CLOUD_MCP_LOG_LEVEL=loud": (
        "OIG_CLOUD_MCP_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL "
        "(default WARNING), not 'loud'."
    ),
    "OIG_CLOUD_WRITE_ENCODING=xml": (
        "OIG_CLOUD_WRITE_ENCODING must be one of json, form (default json), not 'xml'."
    ),
    "OIG_CLOUD_MCP_DEMO=ture": "OIG_CLOUD_MCP_DEMO must be 1, true, yes or on",
    "OIG_CLOUD_MCP_ALLOW_WRITES=set_everything": (
        "OIG_CLOUD_MCP_ALLOW_WRITES must be all (or 1), or a comma-separated list of"
    ),
    "OIG_CLOUD_MCP_WHITELIST=owner": "OIG_CLOUD_MCP_WHITELIST must be a comma-separated list",
    "OIG_CLOUD_MCP_TRUSTED_PROXIES=caddy": (
        "OIG_CLOUD_MCP_TRUSTED_PROXIES must be a comma-separated list of addresses or networks "
        "such as 10.0.0.0/8; 'caddy' is neither."
    ),
    "OIG_CLOUD_MCP_STATE=memcached://x": "OIG_CLOUD_MCP_STATE must be a redis://, rediss://",
}


def environ(assignment: str) -> dict[str, str]:
    name, _, value = assignment.partition("=")
    return {name: value}


@pytest.mark.parametrize(("assignment", "message"), INVALID.items())
def test_a_value_that_cannot_be_used_names_the_variable_and_what_it_accepts(
    assignment: str, message: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(environ(assignment))

    assert message in str(refused.value)


def test_every_unusable_variable_is_named_in_the_one_error() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"OIG_CLOUD_MCP_TIMEOUT": "x", "OIG_CLOUD_MCP_LOG_LEVEL": "loud"})

    assert "OIG_CLOUD_MCP_TIMEOUT" in str(refused.value)
    assert "OIG_CLOUD_MCP_LOG_LEVEL" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_usable_values_are_read_as_meant() -> None:
    settings = Settings.from_env(
        {
            "OIG_CLOUD_MCP_TIMEOUT": "0.5",
            "OIG_CLOUD_MCP_CACHE_TTL": "0",
            "OIG_CLOUD_MCP_LOG_LEVEL": "debug",
            "OIG_CLOUD_WRITE_ENCODING": "FORM",
            "OIG_CLOUD_BASE_URL": "http://127.0.0.1:8080",
            "OIG_CLOUD_MCP_DEMO": "yes",
            "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode",
            "OIG_CLOUD_EMAIL": "owner@example.com",
            "OIG_CLOUD_PASSWORD": " pass word ",
            "OIG_CLOUD_MCP_TRUSTED_PROXIES": "172.30.57.2, 10.1.0.0/16",
        }
    )

    assert settings.timeout_s == 0.5
    assert settings.cache_ttl_s == 0
    assert settings.log_level == "DEBUG"
    assert settings.write_encoding == "form"
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.demo is True
    assert settings.allowed_writes == {"set_box_mode"}
    assert settings.env_password == " pass word "  # a password is taken as given
    assert settings.trusted_proxies == ("172.30.57.2/32", "10.1.0.0/16")
    assert Settings.from_env({}).trusted_proxies == ("127.0.0.0/8", "::1/128")


def test_an_unfilled_user_config_placeholder_counts_as_unset_for_every_variable() -> None:
    placeholders = {name: f"${{user_config.{name.lower()}}}" for name in EVERY_VARIABLE}

    assert len(EVERY_VARIABLE) >= 10
    assert dataclasses.asdict(Settings.from_env(placeholders)) == dataclasses.asdict(
        Settings.from_env({})
    )


def test_serving_and_commands_refuse_an_unusable_variable_before_anything_else(
    env: dict[str, str],
) -> None:
    named = [  # the examples, through the real server start (all: in-process above)
        "OIG_CLOUD_MCP_TIMEOUT=abc",
        "OIG_CLOUD_MCP_TIMEOUT=0",
        "OIG_CLOUD_MCP_CACHE_TTL=-5",
        "OIG_CLOUD_BASE_URL=notaurl",
        "OIG_CLOUD_MCP_LOG_LEVEL=loud",
        "OIG_CLOUD_WRITE_ENCODING=xml",
    ]
    serving = [(["--demo"], env | environ(assignment)) for assignment in named]
    broken = env | {"OIG_CLOUD_MCP_TIMEOUT": "abc"}
    placeholders = env | {name: "${user_config.x}" for name in EVERY_VARIABLE}
    commands = [
        (["status"], broken),
        (["logout"], broken),
        (["--demo", "call", "get_basic_data"], broken),
        (["call", "--help"], broken),
        (["--demo", "call", "get_basic_data", "--json"], placeholders),
    ]

    *served, status, logout, call, call_help, with_placeholders = run_all(serving + commands)

    for result, assignment in zip(served, named, strict=True):
        message = INVALID[assignment]
        assert result.returncode == 2, result
        assert result.stdout == ""  # serving: nothing on stdout, ever
        assert result.errors == [result.errors[0]]
        assert result.errors[0].startswith(f"Error: {message}"), result.errors
    for result in (status, logout, call):
        assert result.returncode == 2, result
        assert result.stdout == ""
        assert result.errors == [f"Error: {INVALID['OIG_CLOUD_MCP_TIMEOUT=abc']}"]
    assert call_help.returncode == 0  # help still works
    assert with_placeholders.returncode == 0, with_placeholders
    assert '"soc_pct"' in with_placeholders.stdout


@pytest.mark.parametrize(
    ("value", "enabled"),
    [
        ("set_box_mode=true,set_grid_delivery=false", {"set_box_mode"}),
        ("set_box_mode=${user_config.allow_set_box_mode},set_boiler_mode=yes", {"set_boiler_mode"}),
        ("set_box_mode, set_boiler_mode", {"set_box_mode", "set_boiler_mode"}),
        ("ALL", set(WRITE_TOOLS)),
        ("${user_config.allow_writes}", set()),
    ],
)
def test_allow_writes_takes_names_all_or_one_true_false_per_tool(
    value: str, enabled: set[str]
) -> None:
    assert config.parse_allowed_writes(value) == enabled


def test_allow_writes_with_a_flag_that_is_not_true_or_false_names_the_item() -> None:
    with pytest.raises(ConfigurationError, match="set_box_mode=maybe must end in =true or =false"):
        config.parse_allowed_writes("set_box_mode=maybe", source="--allow-writes")
