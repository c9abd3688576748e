"""The `oig-cloud-mcp` command. This package is the only typer user and the only code that prints.

A plain serve (no arguments, `serve`, `--demo`, `--allow-writes`, `--debug`: what MCP
client configurations run) starts the server without importing typer at all, so the
client sees `initialize` answered as early as the SDK allows. Everything else goes
through the typer application in `cli.app`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn


def fail(exc: BaseException, *, debug: bool) -> NoReturn:
    """Report an error as one line on stderr and exit 1 (with --debug, re-raise it)."""
    from ..errors import OigError

    if debug:
        raise exc
    if isinstance(exc, KeyboardInterrupt):
        sys.exit(130)
    if isinstance(exc, OigError):
        sys.stderr.write(f"Error: {exc}\n")
    else:
        sys.stderr.write(
            f"Error: unexpected {type(exc).__name__}; run again with --debug for details.\n"
        )
    sys.exit(1)


def plain_serve_options(argv: Sequence[str]) -> dict[str, object] | None:
    """The options of a plain serve invocation, or None when the typer CLI must parse argv."""
    options: dict[str, object] = {"demo": False, "debug": False, "allow_writes": None}
    args = list(argv)
    if "serve" in args:
        args.remove("serve")
    while args:
        arg = args.pop(0)
        if arg in ("--demo", "--debug"):
            options[arg[2:]] = True
        elif arg == "--allow-writes" and args:
            options["allow_writes"] = args.pop(0)
        elif arg.startswith("--allow-writes="):
            options["allow_writes"] = arg.partition("=")[2]
        else:
            return None
    return options


def serve_plain(demo: bool, debug: bool, allow_writes: str | None) -> None:
    """Serve MCP over stdio with the environment's settings and the given flags."""
    try:
        from ..config import Settings, parse_allowed_writes
        from ..server import serve

        settings = Settings.from_env()
        changes: dict[str, object] = {}
        if demo:
            changes["demo"] = True
        if debug:
            changes["log_level"] = "DEBUG"
        if allow_writes is not None:
            changes["allowed_writes"] = parse_allowed_writes(allow_writes)
        if sys.stdin.isatty():  # a person typed the command; stdout stays for JSON-RPC
            sys.stderr.write(
                "oig-cloud-mcp is waiting for an MCP client on stdin; add it to your client's "
                "configuration instead (see README), or try `oig-cloud-mcp --help`. "
                "Ctrl+C quits.\n"
            )
        serve(settings.with_overrides(**changes))
    except (Exception, KeyboardInterrupt) as exc:
        fail(exc, debug=debug)


def main() -> None:
    """Entry point of the `oig-cloud-mcp` command."""
    options = plain_serve_options(sys.argv[1:])
    if options is not None:
        serve_plain(**options)  # type: ignore[arg-type]
        return
    from .app import run

    run()
