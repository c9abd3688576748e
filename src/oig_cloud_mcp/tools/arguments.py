"""Tool arguments in words, from a tool's input JSON schema.

The server uses these sentences when a call's arguments do not validate (the model reads
them), and the command line uses them to read `KEY=VALUE` words by the tool's schema, for
`call` errors and for per-tool help. Pure: no MCP, no pydantic models, just the schema
dictionaries the SDK publishes.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from ..domain.models import BOX_ID_PATTERN
from ..domain.requests import BOX_ID_WORDS
from ..errors import ArgumentError

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
            return BOX_ID_WORDS
        if schema.get("format") == "date":
            return "a date as YYYY-MM-DD"
        return "text"
    return "a value of the documented type"


def _options(schema: Schema) -> tuple[list[Schema], bool]:
    """The non-null alternatives a value of `schema` may take, and whether null is one.

    Published schemas write a nullable value as `anyOf`, as a type list
    (`"type": ["integer", "null"]`) or as an `enum` with null in it.
    """
    if "anyOf" in schema:
        options: list[Schema] = list(schema["anyOf"])
    elif isinstance(schema.get("type"), list):
        options = [{**schema, "type": kind} for kind in schema["type"]]
    elif "enum" in schema and None in schema["enum"]:
        choices = [value for value in schema["enum"] if value is not None]
        options = [{**schema, "enum": choices}, {"type": "null"}]
    else:
        options = [schema]
    nullable = any(option.get("type") == "null" for option in options)
    return [option for option in options if option.get("type") != "null"], nullable


def describe(schema: Schema) -> str:
    """What a value of `schema` must be: 'an integer from 1 to 100 (or null)'."""
    options, nullable = _options(schema)
    text = " or ".join(_one(option) for option in options)
    return f"{text} (or null)" if nullable else text


def properties(schema: Schema) -> Mapping[str, Schema]:
    """The arguments a tool takes, by name."""
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


NAME_CHARS = 40
NAMES_LISTED = 5
"""An unknown argument name is echoed cut to `NAME_CHARS`, and at most `NAMES_LISTED` of
them: whatever a caller sends, the sentence stays short."""


def shown_name(name: str) -> str:
    """An argument name as an error sentence echoes it: at most `NAME_CHARS` characters."""
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def _names(names: Sequence[str]) -> str:
    listed = ", ".join(shown_name(name) for name in names[:NAMES_LISTED])
    more = len(names) - NAMES_LISTED
    return f"{listed} and {more} more" if more > 0 else listed


def unknown_arguments(
    schema: Schema, arguments: Iterable[str], *, what: str = "tool"
) -> str | None:
    """A sentence about argument names the tool (or prompt: `what`) does not take, or None."""
    known = properties(schema)
    unknown = [name for name in arguments if name not in known]
    if not unknown:
        return None
    takes = ", ".join(known) if known else "no arguments"
    plural = "s" if len(unknown) > 1 else ""
    return f"Unknown argument{plural} {_names(unknown)}; this {what} takes: {takes}."


def _got(value: object) -> str:
    if isinstance(value, str) and len(value) > 40:
        value = value[:40]  # no need to encode a megabyte to show 37 characters
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # e.g. an integer of more than 4300 digits
        text = f"a {type(value).__name__} too large to show"
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


# -- the command line: KEY=VALUE words as typed in a shell ------------------------------

_BOOLEANS = {"true": True, "false": False}
"""The only boolean words: `confirm=yes` or `confirm=1` is refused, as the server
refuses anything but the JSON value true."""
_INTEGER = re.compile(r"[+-]?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SAMPLE_DATE = "2025-06-24"


def accepts(schema: Schema, *, required: bool = True) -> str:
    """What a `KEY=VALUE` value of `schema` must be, in words; lists are comma-separated.

    `null` is mentioned for a required argument only: for an optional one it is the same
    as leaving the argument out.
    """
    options, nullable = _options(schema)
    parts = [
        _one(option) + (", separated by commas" if option.get("type") == "array" else "")
        for option in options
    ]
    text = " or ".join(parts) or "null"
    return f"{text} (or null)" if nullable and parts and required else text


def _fold(text: str) -> str:
    """Enum values compare without case, spaces, '_' or '-': home_ups, HomeUPS = Home UPS."""
    return re.sub(r"[\s_-]+", "", text).casefold()


def _string(option: Schema, value: str) -> str:
    pattern = option.get("pattern")
    if isinstance(pattern, str) and (re.search(pattern, value) is None or "\n" in value):
        raise ValueError  # (Python's `$` also matches before a final newline)
    if not option.get("minLength", 0) <= len(value) <= option.get("maxLength", len(value)):
        raise ValueError
    if option.get("format") == "date":
        if _ISO_DATE.fullmatch(value) is None:
            raise ValueError
        date.fromisoformat(value)
    return value


def _in_range(option: Schema, value: float) -> None:
    low, high = option.get("minimum"), option.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError


def _list_words(text: str) -> list[str]:
    """`a,b` or a JSON list `["a", "b"]`, as the words of its items."""
    if text.startswith("["):
        values = json.loads(text)
        if not isinstance(values, list):
            raise ValueError
        return [v if isinstance(v, str) else json.dumps(v) for v in values]
    words = [word.strip() for word in text.split(",")]
    if not all(words):
        raise ValueError
    return words


def _from_text(option: Schema, raw: str) -> Any:
    """`raw` as a value of one (non-null) schema option; ValueError when it is none."""
    text = raw.strip()
    if "enum" in option:
        for choice in option["enum"]:
            if _fold(_value(choice)) == _fold(text):
                return choice
        raise ValueError
    kind = option.get("type")
    if kind == "string":
        return _string(option, raw)
    if kind == "integer":
        if _INTEGER.fullmatch(text) is None:
            raise ValueError
        _in_range(option, int(text))
        return int(text)
    if kind == "number":
        number = float(text)
        if not math.isfinite(number):
            raise ValueError
        _in_range(option, number)
        return number
    if kind == "boolean":
        if text.lower() in _BOOLEANS:
            return _BOOLEANS[text.lower()]
        raise ValueError
    if kind == "array":
        return [_from_text(option.get("items", {}), word) for word in _list_words(text)]
    return json.loads(text)  # a type the command line has no words for: JSON


def parse_value(schema: Schema, raw: str) -> Any:
    """`raw` read by `schema`: `null` for a nullable value, else the first option that fits.

    Raises ValueError when no option of the schema takes it.
    """
    options, nullable = _options(schema)
    if nullable and raw.strip() == "null":
        return None
    for option in options:
        try:
            return _from_text(option, raw)
        except ValueError:  # json.JSONDecodeError is a ValueError too
            continue
    raise ValueError(raw)


def _closest(name: str, known: Iterable[str]) -> str:
    import difflib  # only for a wrong name

    match = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {match[0]}?)" if match else ""


def parse_pairs(tool: str, schema: Schema, pairs: Sequence[str]) -> dict[str, Any]:
    """`KEY=VALUE` words as `tool`'s arguments, typed by its input schema.

    Raises `ArgumentError` with one sentence naming the argument and what it accepts:
    for a word without `=`, an unknown or repeated key, a value the schema refuses, or a
    required argument left out.
    """
    props = properties(schema)
    required = set(schema.get("required", ()))
    takes = f"{tool} takes: {', '.join(props)}" if props else f"{tool} takes no arguments"
    arguments: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            if pair in props:
                raise ArgumentError(
                    f"{pair} needs a value: write {pair}=VALUE, where VALUE is "
                    f"{accepts(props[pair], required=pair in required)}."
                )
            raise ArgumentError(f"{shown_name(pair)!r} is not KEY=VALUE; {takes}.")
        if name not in props:
            raise ArgumentError(
                f"Unknown argument {shown_name(name)}{_closest(name, props)}; {takes}."
            )
        if name in arguments:
            raise ArgumentError(f"{name} is given twice; give it once.")
        try:
            arguments[name] = parse_value(props[name], raw)
        except ValueError:
            accepted = accepts(props[name], required=name in required)
            raise ArgumentError(f"{name} must be {accepted} (got {_got(raw)}).") from None
    missing = [name for name in schema.get("required", ()) if name not in arguments]
    if missing:
        raise ArgumentError(
            "; ".join(f"{name} is required: {accepts(props.get(name, {}))}" for name in missing)
            + "."
        )
    return arguments


def _sample(schema: Schema) -> str:
    options, _ = _options(schema)
    option = options[0] if options else {}
    if "enum" in option:
        return _value(option["enum"][0])
    kind = option.get("type")
    if kind == "array":
        items = option.get("items", {})
        return ",".join(_value(v) for v in items.get("enum", ["a", "b"])[:2])
    if kind in ("integer", "number"):
        return _value(option.get("minimum", 1))
    if kind == "boolean":
        return "true"
    if option.get("format") == "date":
        return SAMPLE_DATE
    return "VALUE"


def example(tool: str, schema: Schema) -> str:
    """A `call` command line that gives `tool` every required argument."""
    words = ["oig-cloud-mcp", "call", tool]
    for name in schema.get("required", ()):
        words.append(f"{name}={shlex.quote(_sample(properties(schema).get(name, {})))}")
    return " ".join(words)


def argument_lines(schema: Schema, *, descriptions: bool = False, width: int = 88) -> list[str]:
    """One line per argument: name, required or optional, what it accepts, its default;
    with `descriptions`, each followed by the schema's description, indented and wrapped
    to `width`."""
    props = properties(schema)
    required = set(schema.get("required", ()))
    column = max((len(name) for name in props), default=0)
    lines: list[str] = []
    for name, prop in props.items():
        need = name in required
        text = f"{'required' if need else 'optional'}: {accepts(prop, required=need)}"
        if prop.get("default") is not None:
            text += f"; default {_value(prop['default'])}"
        lines.append(f"{name:<{column}}  {text}")
        if descriptions and prop.get("description"):
            indent = " " * (column + 2)
            about = str(prop["description"])
            lines += textwrap.wrap(about, width, initial_indent=indent, subsequent_indent=indent)
    return lines
