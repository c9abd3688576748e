"""Settings that looked usable but were not: contradictory write switches, numbers no one
types on purpose, a URL that cannot be split. Each is refused with one sentence naming
the variable (exit 2, like every unusable variable)."""

from __future__ import annotations

import pytest

from oig_cloud_mcp import config
from oig_cloud_mcp.config import MAX_CACHE_TTL_S, MAX_TIMEOUT_S, Settings
from oig_cloud_mcp.errors import ConfigurationError

from .helpers.commands import run_all


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(environ)
    return str(refused.value)


@pytest.mark.parametrize(
    "value",
    [
        "set_box_mode=true,set_box_mode=false",
        "set_box_mode=false,set_box_mode=true",
        "set_box_mode,set_box_mode",
        "set_box_mode, SET_BOX_MODE=true",
    ],
)
def test_a_write_tool_named_twice_is_refused_not_enabled(value: str) -> None:
    message = refusal({"OIG_CLOUD_MCP_ALLOW_WRITES": value})

    assert (
        message == "OIG_CLOUD_MCP_ALLOW_WRITES names set_box_mode twice; name each write tool once."
    )
    with pytest.raises(ConfigurationError, match=r"^--allow-writes names set_box_mode twice"):
        config.parse_allowed_writes(value, source="--allow-writes")


@pytest.mark.parametrize(
    "value", ["1e308", "1e3", "١٠", "１０", "inf", "nan", "0x10", "1_0", "+5", "5 s", "", "."]
)
def test_seconds_are_ascii_decimal_numbers_only(value: str) -> None:
    if not value:  # empty counts as unset
        assert Settings.from_env({"OIG_CLOUD_MCP_TIMEOUT": value}).timeout_s == 30
        return
    message = refusal({"OIG_CLOUD_MCP_TIMEOUT": value})

    assert message.startswith("OIG_CLOUD_MCP_TIMEOUT must be a number of seconds")
    assert message.endswith(f"not {value!r}.")


@pytest.mark.parametrize(
    ("name", "most", "default"),
    [
        ("OIG_CLOUD_MCP_TIMEOUT", MAX_TIMEOUT_S, 30),
        ("OIG_CLOUD_MCP_CACHE_TTL", MAX_CACHE_TTL_S, 20),
    ],
)
def test_seconds_have_a_sane_maximum(name: str, most: float, default: int) -> None:
    field = "timeout_s" if name.endswith("TIMEOUT") else "cache_ttl_s"
    at_most = Settings.from_env({name: f"{most:g}"})
    message = refusal({name: f"{most + 0.5:g}"})

    assert getattr(at_most, field) == most
    assert getattr(Settings.from_env({name: "2.5"}), field) == 2.5
    assert getattr(Settings.from_env({name: ".5"}), field) == 0.5
    assert message == (
        f"{name} must be a number of seconds, at most {most:g} (default {default}), "
        f"not '{most + 0.5:g}'."
    )
    assert (MAX_TIMEOUT_S, MAX_CACHE_TTL_S) == (600, 3600)  # ten minutes; an hour


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://[::1/", "https://portal.oigpower.cz:99999/", "http://host:x/"]
)
def test_a_base_url_that_cannot_be_split_is_named_in_one_sentence(url: str) -> None:
    assert refusal({"OIG_CLOUD_BASE_URL": url}) == (
        "OIG_CLOUD_BASE_URL must be an http:// or https:// URL such as "
        f"https://portal.oigpower.cz/, not {url!r}."
    )


def test_an_ipv6_base_url_in_brackets_is_fine() -> None:
    assert Settings.from_env({"OIG_CLOUD_BASE_URL": "http://[::1]:8080/"}).base_url == (
        "http://[::1]:8080/"
    )


def test_the_command_refuses_them_with_one_line_and_exit_2(env: dict[str, str]) -> None:
    cases = {
        "OIG_CLOUD_BASE_URL": "http://[::1",
        "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode=true,set_box_mode=false",
        "OIG_CLOUD_MCP_TIMEOUT": "1e308",
    }

    ran = run_all([(["--demo", "call", "get_basic_data"], env | {k: v}) for k, v in cases.items()])

    for result, name in zip(ran, cases, strict=True):
        assert result.returncode == 2, result
        assert result.stdout == ""
        (line,) = result.errors
        assert line.startswith(f"Error: {name} "), line
        assert "unexpected" not in line
