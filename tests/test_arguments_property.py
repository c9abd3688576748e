"""Hostile arguments for every tool, through the real MCP server in-process.

Whatever a model sends: the answer never is an "unexpected error", an argument the input
schema refuses reaches no portal at all, and nothing is written unless `confirm` is the
JSON value `true` and this server previewed the same change first. Validity is judged
by a small schema checker written here, not by the server's own code, against each tool's
full argument schema (the catalogue's); the lean schema `tools/list` publishes must accept
everything that one accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import WRITE_TOOLS
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.tools.catalogue import BY_NAME, full_schema

from .fake_portal import BOX_ID, FakePortal

Call = Callable[[str, dict[str, Any]], Any]
TRICKY = [
    "true",
    "yes",
    "on",
    "1",
    "",
    " ",
    "Home UPS",
    "home ups",
    "２２０５２３２１２０",  # fullwidth digits
    "٢٢٠٥",  # Arabic-Indic digits
    BOX_ID,
    f" {BOX_ID}",
    f"{BOX_ID}\n",
    "9999999999",
    "2025-06-24",
    "2025-02-30",
    "batt",
    "batt,grid",
    '["batt"]',
    "limited",
    "manual",
    "null",
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(TRICKY),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=4,
)


def _plausible(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values near the valid ones, so the valid path is exercised too."""
    options = schema.get("anyOf", [schema])
    found: list[st.SearchStrategy[Any]] = []
    for option in options:
        if "enum" in option:
            found.append(st.sampled_from(option["enum"]))
        elif option.get("type") == "integer":
            low, high = option.get("minimum", -5), option.get("maximum", 100)
            found.append(st.integers(min_value=low - 2, max_value=high + 2))
        elif option.get("type") == "boolean":
            found.append(st.booleans())
        elif option.get("type") == "null":
            found.append(st.none())
        elif option.get("type") == "array":
            found.append(st.lists(_plausible(option.get("items", {})), max_size=4))
        elif option.get("format") == "date":
            days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 1, 1))
            found.append(days.map(date.isoformat))
        elif option.get("type") == "string":
            found.append(st.sampled_from([BOX_ID, "9999999999", "1"]))
    return st.one_of(*found) if found else st.nothing()


def near_valid(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Every required argument and some optional ones, with plausible values."""
    props = schema["properties"]
    required = {name: _plausible(props[name]) for name in schema.get("required", [])}
    optional = {name: _plausible(p) for name, p in props.items() if name not in required}
    return st.fixed_dictionaries(required, optional=optional)


def hostile(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Any keys (including unknown ones) with any JSON values."""
    names = [*schema["properties"], "foo"]
    values = st.one_of(JSON, *(_plausible(p) for p in schema["properties"].values()))
    return st.dictionaries(st.sampled_from(names), values, max_size=4)


def _matches(schema: dict[str, Any], value: Any) -> bool:
    if "anyOf" in schema:
        return any(_matches(option, value) for option in schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list):  # the lean form of a nullable value
        return any(_matches({**schema, "type": one}, value) for one in kind)
    if "enum" in schema:
        return (value is None and None in schema["enum"]) or (
            isinstance(value, str) and value in schema["enum"]
        )
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and schema.get("minimum", value) <= value <= schema.get("maximum", value)
        )
    if kind == "string":
        pattern = schema.get("pattern")
        return (
            isinstance(value, str)
            and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
            and (pattern is None or re.fullmatch(pattern.strip("^$"), value, re.ASCII) is not None)
        )
    if kind == "array":
        return isinstance(value, list) and all(_matches(schema["items"], v) for v in value)
    return False


def valid(schema: dict[str, Any], arguments: dict[str, Any]) -> bool:
    """Our own reading of the input schema (plus the SDK's documented JSON-string lists)."""
    props = schema.get("properties", {})
    if any(name not in props for name in arguments):
        return False
    if any(name not in arguments for name in schema.get("required", [])):
        return False
    for name, value in arguments.items():
        if isinstance(value, str) and "string" not in str(props[name].get("type")):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
            value = parsed if isinstance(parsed, list | dict) else value
        if not _matches(props[name], value):
            return False
    return True


@pytest.fixture
def server_call(settings: Settings) -> Iterator[tuple[Call, dict[str, dict[str, Any]]]]:
    """A synchronous `call(tool, arguments)` into one server with every tool enabled."""
    writable = settings.with_overrides(allowed_writes=frozenset(WRITE_TOOLS))
    with start_blocking_portal() as portal:
        client = Client(build_server(writable), mode="legacy")
        with portal.wrap_async_context_manager(client) as mcp:
            tools = portal.call(mcp.list_tools).tools
            schemas = {tool.name: tool.input_schema for tool in tools}
            yield (lambda tool, arguments: portal.call(mcp.call_tool, tool, arguments)), schemas


@pytest.fixture
def previewed() -> set[tuple[str, str, str]]:
    """The changes (tool, box, requested value) the server under test answered with a
    preview so far, across the examples of one test."""
    return set()


def every_tool() -> list[str]:
    """Every tool of a server with all write tools enabled, read from the server itself."""
    import asyncio

    demo = Settings(demo=True, allowed_writes=frozenset(WRITE_TOOLS))
    return [tool.name for tool in asyncio.run(build_server(demo).list_tools())]


TOOLS = every_tool()


@pytest.mark.parametrize("tool", TOOLS)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_arguments_get_a_sentence_no_request_when_invalid_and_no_unconfirmed_write(
    server_call: tuple[Call, dict[str, dict[str, Any]]],
    portal: FakePortal,
    previewed: set[tuple[str, str, str]],
    tool: str,
    data: st.DataObject,
) -> None:
    call, published = server_call
    schema = full_schema(tool)
    arguments = data.draw(st.one_of(near_valid(schema), hostile(schema)), label="arguments")
    if valid(schema, arguments):
        assert valid(published[tool], arguments), "the published schema refuses a valid call"
    portal.log.clear()

    result = call(tool, arguments)

    text = "".join(getattr(block, "text", "") for block in result.content)
    event("valid" if valid(schema, arguments) else "invalid")
    event("answered" if not result.is_error else "refused")
    if portal.write_requests():
        event("written")
    assert "unexpected" not in text.lower()
    assert "pydantic" not in text
    assert "Error executing tool" not in text
    if not valid(schema, arguments):
        assert result.is_error, text
        assert portal.log == [], text
        assert len(text) < 400
    if not result.is_error:  # what it answers is what its output model describes
        BY_NAME[tool].output.model_validate(result.structured_content)
    answer = result.structured_content if isinstance(result.structured_content, dict) else {}
    change = (tool, str(answer.get("box_id")), str(answer.get("requested")))
    if portal.write_requests():
        assert arguments.get("confirm") is True
        assert change in previewed, "written without a preview of the same change first"
    if answer.get("outcome") == "previewed":
        previewed.add(change)
