"""`call`'s KEY=VALUE words, read by the real tools' input schemas (in-process: pure
functions; the installed command's exit codes and messages are in test_cli_exit_codes.py)."""

from __future__ import annotations

from typing import Any

import pytest

from oig_cloud_mcp.errors import ArgumentError
from oig_cloud_mcp.tools.arguments import accepts, argument_lines, example, parse_pairs
from oig_cloud_mcp.tools.catalogue import CATALOGUE, full_schema


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, Any]]:
    """The argument schemas the command line reads: the catalogue's, every bound included."""
    return {tool.name: full_schema(tool.name) for tool in CATALOGUE}


def parse(schemas: dict[str, dict[str, Any]], tool: str, *words: str) -> dict[str, Any]:
    return parse_pairs(tool, schemas[tool], words)


def refusal(schemas: dict[str, dict[str, Any]], tool: str, *words: str) -> str:
    with pytest.raises(ArgumentError) as refused:
        parse(schemas, tool, *words)
    return str(refused.value)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["limit=5"], {"limit": 5}),
        (["limit=+5", "min_severity=WARNING"], {"limit": 5, "min_severity": "warning"}),
        (["min_severity=null"], {"min_severity": None}),
        (["box_id=2205232120"], {"box_id": "2205232120"}),
    ],
)
def test_numbers_and_enum_values_are_read_by_the_schema(
    schemas: dict[str, dict[str, Any]], words: list[str], expected: dict[str, Any]
) -> None:
    assert parse(schemas, "get_notifications", *words) == expected


@pytest.mark.parametrize(
    ("word", "series"),
    [
        ("series=batt,grid", ["batt", "grid"]),
        ("series=batt, grid", ["batt", "grid"]),
        ("series=fve", ["fve"]),
        ('series=["load", "batt"]', ["load", "batt"]),
        ("series=null", None),
    ],
)
def test_lists_are_comma_separated_or_json(
    schemas: dict[str, dict[str, Any]], word: str, series: list[str] | None
) -> None:
    days = ("start_date=2025-06-01", "end_date=2025-06-02")

    arguments = parse(schemas, "get_extended_data", *days, word)

    assert arguments["series"] == series


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["mode=Home 3"], {"mode": "Home 3"}),
        (["mode=home3", "confirm=true"], {"mode": "Home 3", "confirm": True}),
        (["mode=HOME_UPS", "confirm=false"], {"mode": "Home UPS", "confirm": False}),
        (["mode=home-ups", "confirm=TRUE"], {"mode": "Home UPS", "confirm": True}),
    ],
)
def test_enum_values_ignore_case_spaces_and_separators_and_booleans_are_true_or_false(
    schemas: dict[str, dict[str, Any]], words: list[str], expected: dict[str, Any]
) -> None:
    assert parse(schemas, "set_box_mode", *words) == expected


def test_a_required_nullable_argument_takes_null(schemas: dict[str, dict[str, Any]]) -> None:
    assert parse(schemas, "set_battery_grid_charging", "target_pct=null") == {"target_pct": None}
    assert parse(schemas, "set_battery_grid_charging", "target_pct=80") == {"target_pct": 80}


@pytest.mark.parametrize(
    ("tool", "words", "message"),
    [
        (
            "get_basic_data",
            ["box_id"],
            "box_id needs a value: write box_id=VALUE, where VALUE is a Battery Box id of 1 "
            "to 20 digits (0-9).",
        ),
        ("get_basic_data", ["=5"], "'=5' is not KEY=VALUE; get_basic_data takes: box_id."),
        (
            "get_basic_data",
            ["bx_id=1"],
            "Unknown argument bx_id (did you mean box_id?); get_basic_data takes: box_id.",
        ),
        ("get_basic_data", ["box_id=12a"], "box_id must be a Battery Box id of 1 to 20 digits"),
        ("get_basic_data", ["box_id=１２"], "box_id must be a Battery Box id"),  # fullwidth
        ("get_notifications", ["limit=5.5"], 'limit must be an integer from 1 to 100 (got "5.5").'),
        ("get_notifications", ["limit=101"], "limit must be an integer from 1 to 100"),
        ("get_notifications", ["limit=1", "limit=2"], "limit is given twice; give it once."),
        (
            "get_notifications",
            ["min_severity=loud"],
            'min_severity must be one of: info, warning, error, critical (got "loud").',
        ),
        (
            "get_extended_data",
            ["start_date=2025-02-30", "end_date=2025-03-01"],
            'start_date must be a date as YYYY-MM-DD (got "2025-02-30").',
        ),
        (
            "get_extended_data",
            ["start_date=2025-06-01", "end_date=2025-06-02", "series=batt,,grid"],
            "series must be a list of batt, fve, grid, load, separated by commas",
        ),
        (
            "get_extended_data",
            [],
            "start_date is required: a date as YYYY-MM-DD; end_date is required: a date as "
            "YYYY-MM-DD.",
        ),
        ("set_box_mode", ["mode=Home 4"], "mode must be one of: Home 1, Home 2, Home 3, Home UPS"),
        ("set_box_mode", ["mode=Home 1", "confirm=maybe"], "confirm must be true or false"),
        (
            "set_battery_grid_charging",
            ["target_pct=10"],
            "target_pct must be an integer from 20 to 100 (or null)",
        ),
    ],
)
def test_a_word_the_schema_refuses_is_one_sentence_naming_the_argument_and_what_it_accepts(
    schemas: dict[str, dict[str, Any]], tool: str, words: list[str], message: str
) -> None:
    assert message in refusal(schemas, tool, *words)


def test_optional_arguments_do_not_mention_null_and_lists_say_commas(
    schemas: dict[str, dict[str, Any]],
) -> None:
    series = schemas["get_extended_data"]["properties"]["series"]
    target = schemas["set_battery_grid_charging"]["properties"]["target_pct"]

    assert accepts(series, required=False) == "a list of batt, fve, grid, load, separated by commas"
    assert accepts(target) == "an integer from 20 to 100 (or null)"


def test_argument_lines_give_each_argument_its_need_range_default_and_description(
    schemas: dict[str, dict[str, Any]],
) -> None:
    lines = argument_lines(schemas["get_notifications"], descriptions=True)

    assert lines[:2] == [
        "limit         optional: an integer from 1 to 100; default 20",
        "              How many, newest first.",
    ]
    assert argument_lines({"properties": {}}) == []


def test_the_example_gives_every_required_argument_a_value_the_schema_takes(
    schemas: dict[str, dict[str, Any]],
) -> None:
    for tool, schema in schemas.items():
        words = example(tool, schema).split(" ", 3)[3:]
        assert words or not schema.get("required"), tool

    assert example("set_box_mode", schemas["set_box_mode"]) == (
        "oig-cloud-mcp call set_box_mode mode='Home 1'"
    )
    extended = example("get_extended_data", schemas["get_extended_data"])
    assert parse(schemas, "get_extended_data", *extended.split()[3:])


@pytest.mark.parametrize("word", ["yes", "1", "on", "no", "0", "y"])
def test_booleans_are_only_true_or_false(schemas: dict[str, dict[str, Any]], word: str) -> None:
    assert refusal(schemas, "set_box_mode", "mode=Home 2", f"confirm={word}") == (
        f'confirm must be true or false (got "{word}").'
    )


def test_a_long_unknown_argument_name_is_echoed_cut(schemas: dict[str, dict[str, Any]]) -> None:
    message = refusal(schemas, "get_basic_data", "q" * 100_000 + "=1")

    assert message == "Unknown argument " + "q" * 39 + "…; get_basic_data takes: box_id."
