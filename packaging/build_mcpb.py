"""Build the Claude Desktop extension (.mcpb) of the current version.

    python packaging/build_mcpb.py [STAGE_DIR]

stages a bundle directory (default `build/mcpb`): `manifest.json`, the icon, and what uv
needs to build the package (`pyproject.toml`, `README.md`, `LICENSE`, `src/`). Of `src/`
only the files git tracks are staged, so a stray `.env` or a local state directory never
ends up in the bundle; outside a git checkout every file is staged except `IGNORE` and
`NEVER_PACKED` (which spares `PACKAGE_DATA` and the folders of Python packages). The
manifest is derived, not hand-kept: the version from the package, the URLs, summary and
licence from `pyproject.toml`, the tools and prompts from the server itself. Pack it with
the official CLI: `npx --yes @anthropic-ai/mcpb@2.1.2 pack build/mcpb dist/NAME.mcpb`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = Path(__file__).resolve().parent
MCPB_CLI = "@anthropic-ai/mcpb@2.1.2"
IGNORE = ("__pycache__", "*.pyc", ".venv", "uv.lock")
PACKAGE_DATA = ("tool_schemas.json",)
"""Files of the package that a `NEVER_PACKED` pattern would leave out (the published tool
schemas, which `tools/list` reads)."""
NEVER_PACKED = (
    ".*",  # .env, .DS_Store, editor state
    "*.env",
    "*secret*",
    "*.key",
    "*.log",
    "*.bak",
    "*~",
    "*.corrupt-*",
    "*.json",  # state files (session.json, demo_box.json, ...), but for PACKAGE_DATA
    "*.jsonl",
    "*.txt",
    "*.cfg",
    "demo",
    "state",
    "cache",
)
"""Left out as well when the source is not a git checkout (e.g. an unpacked sdist)."""


def project() -> dict[str, Any]:
    """The `[project]` table of pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]  # type: ignore[no-any-return]


async def _catalogue() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Tools and prompts of a server with every write tool enabled (the demo box)."""
    from mcp import Client

    from oig_cloud_mcp.config import Settings
    from oig_cloud_mcp.server import build_server
    from oig_cloud_mcp.tools.catalogue import write_tool_names

    settings = Settings(demo=True, allowed_writes=frozenset(write_tool_names()))
    async with Client(build_server(settings), mode="legacy") as client:
        tools = [
            {"name": t.name, "description": t.description or t.title or t.name}
            for t in (await client.list_tools()).tools
        ]
        prompts = []
        for prompt in (await client.list_prompts()).prompts:
            arguments = [a.name for a in prompt.arguments or []]
            required = {a.name: f"<{a.name}>" for a in prompt.arguments or [] if a.required}
            shown = await client.get_prompt(prompt.name, required)
            text = "\n\n".join(getattr(m.content, "text", "") for m in shown.messages)
            prompts.append(
                {
                    "name": prompt.name,
                    "description": prompt.description or prompt.name,
                    "arguments": arguments,
                    "text": text,
                }
            )
    return tools, prompts


def _allow_writes_env() -> str:
    """`OIG_CLOUD_MCP_ALLOW_WRITES` as `tool=true|false,...` from one checkbox per tool."""
    from oig_cloud_mcp.tools.catalogue import write_tool_names

    return ",".join(f"{tool}=${{user_config.allow_{tool}}}" for tool in write_tool_names())


def _user_config() -> dict[str, Any]:
    from oig_cloud_mcp.tools.catalogue import WRITE_TOOLS

    config: dict[str, Any] = {
        "email": {
            "type": "string",
            "title": "OIG Cloud e-mail",
            "description": "The e-mail you log in to the OIG Power app with; leave empty "
            "only to use the demo box.",
            "required": False,  # the demo box needs no account
        },
        "password": {
            "type": "string",
            "title": "OIG Cloud password",
            "description": "Kept in your operating system's keychain by Claude Desktop; "
            "leave empty only to use the demo box.",
            "required": False,
            "sensitive": True,
        },
    }
    for tool in WRITE_TOOLS:
        description = (
            "Off by default. Every change is previewed and needs your confirmation; the box "
            "applies it within about 10 minutes."
        )
        if tool.caution:
            description += " " + tool.caution
        config[f"allow_{tool.name}"] = {
            "type": "boolean",
            "title": tool.switch,
            "description": description,
            "required": False,
            "default": False,
        }
    config["demo"] = {
        "type": "boolean",
        "title": "Demo box (no account)",
        "description": "Answer from a built-in simulated Battery Box instead of OIG Cloud; "
        "needs no e-mail or password.",
        "required": False,
        "default": False,
    }
    return config


def manifest() -> dict[str, Any]:
    """The extension manifest for the current code."""
    from oig_cloud_mcp import __version__

    meta = project()
    urls = meta["urls"]
    author = meta["authors"][0]
    tools, prompts = asyncio.run(_catalogue())
    return {
        "manifest_version": "0.4",
        "name": meta["name"],
        "display_name": "OIG Cloud (Battery Box)",
        "version": __version__,
        "description": meta["description"],
        "long_description": (
            "Read your OIG Power Battery Box on OIG Cloud from Claude: battery charge and "
            "outlook, solar, grid and house power, today's and this month's energy, the "
            "day's curves and the box's notifications. Read-only unless you enable control "
            "below; every change is previewed and needs your confirmation."
        ),
        "author": {"name": author["name"], "email": author["email"], "url": urls["Homepage"]},
        "repository": {"type": "git", "url": urls["Repository"]},
        "homepage": urls["Homepage"],
        "documentation": urls["Homepage"] + "#readme",
        "support": urls["Issues"],
        "icon": "icon.png",
        "server": {
            "type": "uv",
            "entry_point": "src/oig_cloud_mcp/__main__.py",
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", "--no-dev", "oig-cloud-mcp"],
                "env": {
                    "OIG_CLOUD_EMAIL": "${user_config.email}",
                    "OIG_CLOUD_PASSWORD": "${user_config.password}",
                    "OIG_CLOUD_MCP_WHITELIST": "${user_config.email}",
                    "OIG_CLOUD_MCP_ALLOW_WRITES": _allow_writes_env(),
                    "OIG_CLOUD_MCP_DEMO": "${user_config.demo}",
                    "OIG_CLOUD_MCP_EXTENSION": "1",
                },
            },
        },
        "tools": tools,
        "tools_generated": False,
        "prompts": prompts,
        "prompts_generated": False,
        "keywords": meta["keywords"],
        "license": meta["license"],
        "privacy_policies": [urls["Homepage"] + "#privacy"],
        "compatibility": {
            "platforms": ["darwin", "win32", "linux"],
            "runtimes": {"python": meta["requires-python"]},
        },
        "user_config": _user_config(),
    }


def _matches(path: PurePosixPath, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in path.parts for pattern in patterns)


def _left_out(root: Path, path: PurePosixPath) -> bool:
    """Whether a file found outside a git checkout stays out of the bundle: a cache, or a
    secret or local state by its name or a folder's (a Python package's own folder, such as
    the package's `state`, is code, whatever its name)."""
    if _matches(path, IGNORE):
        return True
    if path.name in PACKAGE_DATA:
        return False
    folders = [f for f in path.parents if f.parts and not (root / f / "__init__.py").exists()]
    return _matches(PurePosixPath(path.name), NEVER_PACKED) or any(
        _matches(PurePosixPath(f.name), NEVER_PACKED) for f in folders
    )


def _git(root: Path, *args: str) -> list[PurePosixPath] | None:
    """`git ls-files ARGS -- src` in `root` if `root` is the top of a git checkout."""
    try:
        top = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if Path(top).resolve() != root.resolve():
            return None  # inside some other repository: not ours to ask
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", *args, "--", "src"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [PurePosixPath(name) for name in listed.decode().split("\0") if name]


def source_files(root: Path) -> list[PurePosixPath]:
    """The files under `root/src` to stage, relative to `root`.

    In a git checkout: the files git tracks (untracked ones are named on stderr). Elsewhere:
    every file except those matching `IGNORE` or `NEVER_PACKED`.
    """
    tracked = _git(root)
    if tracked is None:
        found = (
            PurePosixPath(path.relative_to(root).as_posix())
            for path in (root / "src").rglob("*")
            if path.is_file()
        )
        return sorted(p for p in found if not _left_out(root, p))
    untracked = [
        p for p in _git(root, "--others", "--exclude-standard") or [] if not _matches(p, IGNORE)
    ]
    if untracked:
        sys.stderr.write(f"Not staged (untracked): {', '.join(map(str, untracked))}\n")
    return sorted(p for p in tracked if (root / p).is_file() and not _matches(p, IGNORE))


def stage(target: Path) -> Path:
    """Write the bundle directory; returns the manifest's path."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    for relative in source_files(ROOT):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target / relative)
    shutil.copy2(PACKAGING / "icon-512.png", target / "icon.png")
    (target / ".mcpbignore").write_text("\n".join((*IGNORE, "")), encoding="utf-8")
    path = target / "manifest.json"
    path.write_text(json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    out = stage(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "mcpb")
    sys.stdout.write(f"{out}\n")
