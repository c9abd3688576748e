"""Tool arguments in words, from a tool's input JSON schema.

The server uses these sentences when a call's arguments do not validate (the model reads
them), and the command line uses them for `call` errors and per-tool help. Pure: no MCP,
no pydantic models, just the schema dictionaries the SDK publishes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .models import BOX_ID_PATTERN

Schema = Mapping[str, Any]


def _value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _one(schema: Schema) -> str:
    if "enum" in schema:
        return "one of: " + ", ".join(_value(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return "true or false"
    if kind in ("integer", "number"):
        noun = "an integer" if kind == "integer" else "a number"
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"{noun} from {_value(low)} to {_value(high)}"
        if low is not None:
            return f"{noun} of at least {_value(low)}"
        return noun if high is None else f"{noun} of at most {_value(high)}"
    if kind == "array":
        items = schema.get("items", {})
        inner = _one(items) if isinstance(items, Mapping) else "values"
        return "a list of " + inner.removeprefix("one of: ").removeprefix("a ").removeprefix("an ")
    if kind == "string":
        if schema.get("pattern") == BOX_ID_PATTERN:
            return "a Battery Box id of 1 to 20 digits (0-9)"
        if schema.get("format") == "date":
            return "a date as YYYY-MM-DD"
        return "text"
    return "a value of the documented type"


def describe(schema: Schema) -> str:
    """What a value of `schema` must be: 'an integer from 1 to 100 (or null)'."""
    options = schema.get("anyOf") or [schema]
    nullable = any(option.get("type") == "null" for option in options)
    text = " or ".join(_one(option) for option in options if option.get("type") != "null")
    return f"{text} (or null)" if nullable else text


def properties(schema: Schema) -> Mapping[str, Schema]:
    """The arguments a tool takes, by name."""
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def unknown_arguments(schema: Schema, arguments: Iterable[str]) -> str | None:
    """A sentence about argument names the tool does not take, or None."""
    known = properties(schema)
    unknown = [name for name in arguments if name not in known]
    if not unknown:
        return None
    takes = ", ".join(known) if known else "no arguments"
    plural = "s" if len(unknown) > 1 else ""
    return f"Unknown argument{plural} {', '.join(unknown)}; this tool takes: {takes}."


def _got(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def argument_problems(schema: Schema, errors: Iterable[Mapping[str, Any]]) -> str:
    """One sentence naming each bad argument and what it accepts (from pydantic errors)."""
    props = properties(schema)
    parts: list[str] = []
    seen: set[str] = set()
    for error in errors:
        location = error.get("loc") or ("arguments",)
        name = str(location[0])
        if name in seen:
            continue
        seen.add(name)
        accepted = describe(props[name]) if name in props else "a value of the documented type"
        if error.get("type") == "missing":
            parts.append(f"{name} is required: {accepted}")
        else:
            parts.append(f"{name} must be {accepted} (got {_got(error.get('input'))})")
    return "; ".join(parts[:3]) + "."
