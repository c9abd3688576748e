"""The layer map in the README holds: imports flow downward only, and each outside library
has its one home (httpx in the client, mcp in the server, typer and printing in the CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "oig_cloud_mcp"

LAYERS: list[set[str]] = [
    {"errors", "client_types", "app_views"},
    {"models"},
    {"config", "parsing", "insight_models", "arguments"},
    {"insights", "notifications", "private_io"},
    {"snapshot", "day_profile", "state_files", "client_wire"},
    {"client"},
    {"security", "session_store", "credentials"},
    {"pending", "demo", "render", "service", "write_plans", "writes", "status"},
    {"server"},
    {"cli", "__main__"},
]
"""Lowest first, as the README's "Layout" lists them; a module may import its own layer
and the ones below."""

OWNERS = {"httpx": {"client", "client_wire"}, "mcp": {"server"}, "typer": {"cli"}}


def top_module(path: Path) -> str:
    """The layer name of a source file: the module, or the package for subpackages."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imports(path: Path) -> set[str]:
    """Our modules and the outside libraries that `path` imports, anywhere in it."""
    found: set[str] = set()
    inside_package = path.parent != PACKAGE
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            depth = node.level - (1 if inside_package else 0)
            if depth == 0 and inside_package:
                continue  # a sibling inside the same subpackage
            module = (node.module or "").split(".")[0]
            found |= {module} if module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_module_has_a_layer() -> None:
    placed = set().union(*LAYERS)
    assert {top_module(path) for path in SOURCES} <= placed


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_downward_only(path: Path) -> None:
    level = {name: index for index, layer in enumerate(LAYERS) for name in layer}
    own = top_module(path)
    ours = {name for name in imports(path) if name in level}
    above = sorted(name for name in ours if level[name] > level[own])
    assert above == [], f"{own} imports a higher layer"


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_each_outside_library_is_used_in_one_place(library: str) -> None:
    users = {top_module(path) for path in SOURCES if library in imports(path)}
    assert users <= OWNERS[library]


def test_only_the_command_line_prints() -> None:
    printers = {
        top_module(path)
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
    }
    assert printers <= {"cli"}
