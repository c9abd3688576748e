"""Lean JSON schemas for `tools/list`: what a model needs, said once.

pydantic's schemas are written for validators: a generated `title` per property ("Solar W"
for solar_w), a `required` list repeating every field, a `$defs` entry per model with the
model's docstring, `anyOf` for every nullable value. A model reading `tools/list` pays for
each byte in every conversation. Input schemas lose the titles, the string patterns and
lengths (the server checks them against the catalogue's full argument models, which the
argument sentences of `tools.arguments` and the command line read), and a nullable
value is a type list. Output schemas describe what this server
always sends, so they also lose `required`, nested objects' `type` and their docstrings
(the tool's description and the server's instructions say what they are; a field's own
description stays), single-use `$defs` are inlined, and nullable choices become one
`enum` with `null` in it. Validation is unaffected: the SDK validates arguments against the
pydantic model, not against the published schema.

The schemas are derived ahead of time, not at every start: `derived_schemas()` asks the
SDK for each catalogue tool's schemas (as it would derive them at registration) and leans
them; `packaging/tool_schemas.py` writes the result to `tool_schemas.json`, which the
server publishes, and a test checks the file says what the derivation says.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

PUBLISHED = "tool_schemas.json"
"""The file in this package holding each tool's published input and output schema."""

_KEEP_AS_IS = frozenset({"default", "const", "enum", "examples"})
_NAMED = frozenset({"properties", "$defs", "patternProperties"})
_NULL = {"type": "null"}


def _simple_union(options: Any) -> dict[str, Any] | None:
    """One schema for an `anyOf` of one plain choice and null (`["integer", "null"]`, or
    an `enum` with null in it); else None."""
    if not isinstance(options, list) or len(options) != 2 or _NULL not in options:
        return None
    (choice,) = [o for o in options if o != _NULL]
    if not isinstance(choice, dict):
        return None
    if "enum" in choice and set(choice) <= {"enum", "type"}:
        return {"enum": [*choice["enum"], None]}
    if isinstance(choice.get("type"), str) and "$ref" not in choice and "anyOf" not in choice:
        return {**choice, "type": [choice["type"], "null"]}
    return None


def _lean_input(node: Any) -> Any:
    if isinstance(node, list):
        return [_lean_input(item) for item in node]
    if not isinstance(node, dict):
        return node
    union = _simple_union(node.get("anyOf"))
    if union is not None:
        node = {**{k: v for k, v in node.items() if k != "anyOf"}, **union}
    lean: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue  # `required` already says the argument may be left out
        if key == "type" and "enum" in node:
            continue  # the choices say it
        if key in ("minLength", "maxLength", "pattern"):
            continue  # checked by the server; a box id and a date say what they are
        if key in _NAMED and isinstance(value, dict):
            lean[key] = {name: _lean_input(sub) for name, sub in value.items()}
        else:
            lean[key] = value if key in _KEEP_AS_IS else _lean_input(value)
    return lean


def lean_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An input schema without generated titles, with short nullable unions."""
    lean: dict[str, Any] = _lean_input(schema)
    return lean


def _references(node: Any, counts: dict[str, int]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            counts[ref] = counts.get(ref, 0) + 1
        for value in node.values():
            _references(value, counts)
    elif isinstance(node, list):
        for value in node:
            _references(value, counts)


def _merged_union(options: list[Any]) -> dict[str, Any] | None:
    """One schema for an `anyOf` of bare types, of choices (and constants), or of a plain
    choice and null; else None."""
    if all(isinstance(o, dict) and ("enum" in o or "const" in o) for o in options):
        values = [v for o in options for v in o.get("enum", [o.get("const")])]
        return {"enum": list(dict.fromkeys(values))}
    if all(isinstance(o, dict) and set(o) == {"type"} for o in options):
        types = [o["type"] for o in options]
        types = [t for t in types if not (t == "integer" and "number" in types)]
        return {"type": types[0] if len(types) == 1 else types}
    return _simple_union(options)


_CONSTRAINTS = frozenset(
    {"default", "minimum", "maximum", "minLength", "maxLength", "pattern", "propertyNames"}
)
"""Validation details of an output schema that tell a model nothing it needs."""


def _implied(node: dict[str, Any]) -> bool:
    """Whether a schema's `type` is said by the rest of it: choices, a constant, items."""
    implied = {"array": "items", "object": "additionalProperties"}.get(str(node.get("type")))
    return "enum" in node or "const" in node or (implied is not None and implied in node)


class _Leaner:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.counts: dict[str, int] = {}
        _references(schema, self.counts)

    def inlined(self, ref: str) -> bool:
        return self.counts.get(ref, 0) == 1 and ref.removeprefix("#/$defs/") in self.defs

    def object(self, node: dict[str, Any], *, root: bool = False) -> dict[str, Any]:
        """An object schema (root or `$defs` entry): its docstring and `required` go."""
        lean: dict[str, Any] = self.node(
            {k: v for k, v in node.items() if k not in ("description", "required")}
        )
        if not root:
            lean.pop("type", None)
        return lean

    def merged(self, value: Any) -> dict[str, Any] | None:
        """`anyOf` as one schema, where that is the same to a reader: an object or null is
        the object (an object schema without `type` lets null through already)."""
        others = [o for o in value if o != _NULL] if isinstance(value, list) else []
        if len(others) == 1 and isinstance(others[0], dict):
            lean = self.node(others[0])
            if "$ref" in lean or ("properties" in lean and "type" not in lean):
                return dict(lean)
        return _merged_union(value)

    def node(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.node(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and self.inlined(ref):
            target = self.object(self.defs[ref.removeprefix("#/$defs/")])
            return target | self.node({k: v for k, v in node.items() if k != "$ref"})
        lean: dict[str, Any] = {}
        for key, value in node.items():
            merged = self.merged(value) if key == "anyOf" else None
            if key in ("title", "$defs") or (key == "required" and isinstance(value, list)):
                continue
            if key in _CONSTRAINTS or (key == "type" and _implied(node)):
                continue
            if key == "additionalProperties" and value is True:
                continue
            if merged is not None:
                lean.update(merged)
            elif key in _NAMED and isinstance(value, dict):
                lean[key] = {name: self.node(sub) for name, sub in value.items()}
            else:
                lean[key] = value if key in _KEEP_AS_IS else self.node(value)
        return lean


def lean_output_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """An output schema as a model needs it (see the module's docstring)."""
    if schema is None:
        return None
    leaner = _Leaner(schema)
    lean = leaner.object(schema, root=True)
    kept = {
        name: leaner.object(definition)
        for name, definition in leaner.defs.items()
        if not leaner.inlined(f"#/$defs/{name}")
    }
    if kept:
        lean["$defs"] = kept
    return lean


@cache
def published_schemas() -> dict[str, dict[str, Any]]:
    """Each catalogue tool's published schemas, `{"input": ..., "output": ...}` by name."""
    text = (resources.files(__package__) / PUBLISHED).read_text(encoding="utf-8")
    schemas: dict[str, dict[str, Any]] = json.loads(text)
    return schemas


def derived_schemas() -> dict[str, dict[str, Any]]:
    """Each catalogue tool's schemas as the SDK derives them from its function, leaned: what
    `tool_schemas.json` must hold."""
    from mcp.server.mcpserver.tools import Tool as SDKTool

    from ..tools.catalogue import READ_TOOLS, WRITE_TOOLS
    from .registration import read_tool_function, write_tool_function

    def unused() -> Any:
        raise AssertionError("only the functions' signatures are read")

    functions = [read_tool_function(unused, tool) for tool in READ_TOOLS] + [
        write_tool_function(unused, tool, unused) for tool in WRITE_TOOLS
    ]
    derived = (SDKTool.from_function(fn, structured_output=True) for fn in functions)
    return {
        tool.name: {
            "input": lean_input_schema(tool.parameters),
            "output": lean_output_schema(tool.output_schema),
        }
        for tool in derived
    }
