"""The README sections written from the code, so they cannot drift from it.

`python packaging/readme_sections.py` rewrites them in README.md; a test checks the README
holds exactly what this renders:

- the layout, from the import-linter contracts in pyproject.toml and each package's
  docstring;
- the tool tables, from the tool catalogue.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "oig_cloud_mcp"
README = ROOT / "README.md"


def _summary(name: str) -> str:
    """The first sentence of a package's (or module's) docstring, on one line."""
    path = PACKAGE / name / "__init__.py"
    if not path.exists():
        path = PACKAGE / f"{name}.py"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    paragraph = " ".join(doc.split("\n\n")[0].split())
    return re.split(r"(?<=\.) ", paragraph, maxsplit=1)[0]


def _contracts() -> list[dict[str, Any]]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = pyproject["tool"]["importlinter"]["contracts"]
    return contracts


def _short(module: str) -> str:
    return module.removeprefix("oig_cloud_mcp.")


def layout() -> str:
    """Packages by job, lowest first, and each outside library's one home."""
    contracts = _contracts()
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    every = {_short(m.strip()) for layer in layers for m in layer.split("|")}
    lines = [
        "Packages by job, lowest first; each imports only the ones below it (the",
        "import-linter contracts in `pyproject.toml` check it, in `.ci/run`):",
        "",
    ]
    for number, layer in enumerate(reversed(layers), 1):
        names = [_short(m.strip()) for m in layer.split("|")]
        for index, name in enumerate(names):
            lead = f"{number}." if index == 0 else "   and"
            lines.append(f"{lead} `{name}`: {_summary(name)}")
    homes = []
    for contract in contracts:
        if contract["type"] != "forbidden":
            continue
        allowed = every - {_short(m) for m in contract["source_modules"]}
        for library in contract["forbidden_modules"]:
            homes.append(f"{library} in {', '.join(f'`{a}`' for a in sorted(allowed))}")
    lines += ["", "Each outside library has one home: " + "; ".join(homes) + "."]
    return "\n".join(lines)


def _arguments(schema: dict[str, Any]) -> str:
    from oig_cloud_mcp.tools.arguments import accepts

    required = set(schema.get("required", ()))
    parts = []
    for name, prop in schema.get("properties", {}).items():
        need = name in required
        text = accepts(prop, required=need)
        default = prop.get("default")
        if default is not None:
            text += f", default `{default if isinstance(default, str) else str(default).lower()}`"
        parts.append(f"`{name}` ({'' if need else 'optional: '}{text})")
    return "; ".join(parts) or "none"


def tool_tables() -> str:
    """The read and write tools: arguments, what each answers or does, a question."""
    from oig_cloud_mcp.tools.catalogue import READ_TOOLS, WRITE_TOOLS, full_schema

    lines = [
        "| Tool | Arguments | What it answers | Ask for example |",
        "|---|---|---|---|",
    ]
    for tool in READ_TOOLS:
        arguments = _arguments(full_schema(tool.name))
        lines.append(f'| `{tool.name}` | {arguments} | {tool.readme} | "{tool.ask}" |')
    lines += [
        "",
        "Write tools (off unless the owner enables them, see "
        "[Controlling your box](#controlling-your-box)):",
        "",
        "| Tool | Arguments | What it does |",
        "|---|---|---|",
    ]
    for write in WRITE_TOOLS:
        lines.append(f"| `{write.name}` | {_arguments(full_schema(write.name))} | {write.readme} |")
    return "\n".join(lines)


SECTIONS = {"layout": layout, "tools": tool_tables}


def _replacement(text: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match[1] + text + match[2]


def rendered(readme: str) -> str:
    """`readme` with every generated section rewritten."""
    for name, render in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no <!-- {name}:start --> … <!-- {name}:end -->")
        readme = pattern.sub(_replacement(render() + "\n"), readme)
    return readme


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    README.write_text(rendered(README.read_text(encoding="utf-8")), encoding="utf-8")
    print("README.md sections rewritten:", ", ".join(SECTIONS))
