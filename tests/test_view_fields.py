"""Every field an MCP App view reads is one its tool answers.

A view reads its tool's result in one function, `read(d)`, and takes every field through
helpers.js's accessors (`field`, `numberAt`, `textAt`, `listAt`) with one literal path; an
item of a list is bound by `for (const r of listAt(d, "hours"))` or
`listAt(d, "pending_changes").map((p) => ...)` and read by its path within the item. The
paths are checked against the tool's output model in the catalogue, the source of its
output schema (the schema leaves out `data_age_s`, which `last_contact` says for a model;
the energy-flow view still needs it to know when the server's cache has run out).
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from oig_cloud_mcp.server.views import VIEWS, ViewSpec
from oig_cloud_mcp.tools.catalogue import CATALOGUE

ACCESSOR = re.compile(r"\b(?:field|numberAt|textAt|listAt)\((\w+), \"([\w.]+)\"\)")
ITEMS = (
    re.compile(r"for \(const (?P<item>\w+) of listAt\((?P<owner>\w+), \"(?P<path>[\w.]+)\"\)\)"),
    re.compile(
        r"listAt\((?P<owner>\w+), \"(?P<path>[\w.]+)\"\)\s*\.(?:map|filter|forEach|some|every|find)"
        r"\(\((?P<item>\w+)\)"
    ),
)


def read_function(view: ViewSpec) -> str:
    """The body of the view's `read(d)`."""
    page = view.read()
    start = page.index("function read(d) {")
    depth = 0
    for end in range(start, len(page)):
        depth += {"{": 1, "}": -1}.get(page[end], 0)
        if depth == 0 and page[end] == "}":
            return page[start : end + 1]
    raise AssertionError(f"{view.file}: read(d) does not end")


def paths_read(body: str) -> set[str]:
    """Every path read, from the result's root; "[]" steps into the items of a list."""
    roots = {"d": ""}
    for pattern in ITEMS:
        for found in pattern.finditer(body):
            roots[found["item"]] = f"{roots[found['owner']]}{found['path']}.[]."
    paths = set()
    for found in ACCESSOR.finditer(body):
        owner, path = found.groups()
        assert owner in roots, f"read(d) reads {path!r} of {owner}, which is no part of d"
        paths.add(roots[owner] + path)
    return paths


def members(annotation: Any) -> list[Any]:
    """The types a field's annotation allows (Optional and Annotated unwrapped)."""
    if get_origin(annotation) is Annotated:
        return members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in members(arg)]
    return [annotation]


def step(annotation: Any, name: str) -> Any | None:
    """The annotation of `name` within a value of `annotation` ("[]": a list's items)."""
    for kind in members(annotation):
        if name == "[]" and get_origin(kind) is list:
            return get_args(kind)[0]
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            for field_name, info in kind.model_fields.items():
                if (info.serialization_alias or info.alias or field_name) == name:
                    return info.annotation
    return None


def answers(model: type[BaseModel], path: str) -> bool:
    annotation: Any = model
    for name in path.split("."):
        annotation = step(annotation, name)
        if annotation is None:
            return False
    return True


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_every_field_a_view_reads_is_in_its_tools_output(view: ViewSpec) -> None:
    (tool,) = [t for t in CATALOGUE if t.name == view.tool]
    body = read_function(view)
    paths = paths_read(body)

    assert paths, f"{view.file}: read(d) reads no field through the accessors"
    unknown = sorted(p for p in paths if not answers(tool.output, p))
    assert unknown == [], f"{view.file} reads fields {tool.name} never answers"
    for item in ("d", *(f["item"] for pattern in ITEMS for f in pattern.finditer(body))):
        direct = re.findall(rf"\b{item}(?:\.(?!length\b)\w+|\[)", body)
        assert direct == [], f"{view.file}: read(d) reads {direct} without an accessor"


def test_the_check_finds_a_field_the_tool_never_answers() -> None:
    (tool,) = [t for t in CATALOGUE if t.name == "get_basic_data"]
    body = 'function read(d) { return { at: textAt(d, "battery.full_at"), '
    body += 'p: listAt(d, "pending_changes").map((p) => textAt(p, "requested")) }; }'

    paths = paths_read(body)

    assert paths == {"battery.full_at", "pending_changes", "pending_changes.[].requested"}
    assert [p for p in sorted(paths) if not answers(tool.output, p)] == ["battery.full_at"]
