"""The `oig-cloud-mcp` command. This package is the only typer user and the only code that prints.

A plain serve (no arguments, `serve`, `--demo`, `--allow-writes`, `--debug`: what MCP
client configurations run) starts the server without importing typer at all, so the
client sees `initialize` answered as early as the SDK allows. Everything else goes
through the typer application in `cli.app`.

Exit codes, as git and gh use them: 0 success; 1 the operation failed (a tool error, the
portal, the account); 2 a usage error (command line or environment variable); 130 / 143
interrupted by SIGINT / SIGTERM (see `cli.interrupt`); a reader of the output that went
away ends the command by SIGPIPE, as git does (the shell sees 141; see `cli.output`).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from . import interrupt

if TYPE_CHECKING:
    from ..config import Settings

FAILED = 1
USAGE = 2

WAITING = (
    "oig-cloud-mcp is waiting for an MCP client on stdin; add it to your client's "
    "configuration instead (see README), or try `oig-cloud-mcp --help`. Ctrl+C quits.\n"
)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters but newline and tab: C0, DEL and C1. Raw, they would let a file,
an argument or the portal's text drive the terminal (erase lines, set the title, write
the clipboard with OSC 52)."""


def shown(text: str) -> str:
    """`text` safe for a terminal: every control character but newline and tab written as
    an escape (`\\x1b`). Everything the command prints passes through here."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


UNSEEN = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Unicode categories of characters that are not seen as themselves: controls (newline,
tab, ESC, NUL), format characters (the bidi overrides such as U+202E, zero-width
characters) and the line and paragraph separators."""


def one_line(text: str) -> str:
    """Text someone else chose (a client's name or id) as one line that shows what it is:
    every character of `UNSEEN` written as an escape (`\\x0a`, `\\u202e`), so it can
    neither forge a line of the output nor turn the rest of the line around."""
    import unicodedata

    return "".join(_escape(char) if unicodedata.category(char) in UNSEEN else char for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def error(message: str, code: int = FAILED) -> NoReturn:
    """Write `Error: message` as one line on stderr and exit with `code`."""
    sys.stderr.write(f"Error: {shown(message)}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def fail(exc: BaseException, *, debug: bool) -> NoReturn:
    """Report an error as one line on stderr and exit 1, or 2 for a setting or command-line
    argument that cannot be used (with --debug, re-raise it). Interrupted: 130 / 143."""
    from ..errors import ArgumentError, ConfigurationError, OigError, sole_exception
    from .output import OutputError, failed

    exc = sole_exception(exc)
    if isinstance(exc, KeyboardInterrupt) or interrupt.received() is not None:
        interrupt.stop()
    if isinstance(exc, OutputError):
        failed(exc)
    if debug:
        raise exc
    if isinstance(exc, ConfigurationError | ArgumentError):
        error(str(exc), USAGE)
    if isinstance(exc, OigError):
        error(str(exc))
    error(f"unexpected {type(exc).__name__}; run again with --debug for details.")


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


NO_OTEL_EXTRA = (
    "OpenTelemetry is configured (OTEL_*), but the otel extra is not installed, so nothing "
    "is exported: install oig-cloud-mcp[otel]."
)


def _nothing() -> None:
    """No telemetry to stop."""


def start_telemetry(settings: Settings) -> Callable[[], None]:
    """Install OpenTelemetry's SDK when the `OTEL_*` variables ask for it (see
    `config.Telemetry`); returns what flushes and stops it. Without them nothing of the
    SDK is imported."""
    if not settings.telemetry.enabled:
        return _nothing
    try:
        from ..telemetry import install
    except ImportError as exc:
        if not (exc.name or "").startswith("opentelemetry"):
            raise
        logging.getLogger("oig_cloud_mcp").warning(NO_OTEL_EXTRA)
        return _nothing
    return install(settings.telemetry)


def serve_stdio(settings: Settings) -> None:
    """Serve MCP over stdio until the client closes stdin, or a signal ends the process.

    Nothing reaches stdout but JSON-RPC: the SDK points fd 1 at stderr while it serves.
    """
    from ..server import build_server, configure_logging

    configure_logging(settings.log_level, settings.log_format)
    if sys.stdin.isatty():  # a person typed the command; stdout stays for JSON-RPC
        sys.stderr.write(WAITING)
    stop_telemetry = start_telemetry(settings)
    try:
        interrupt.run(build_server(settings).run_stdio_async())
    finally:
        stop_telemetry()


def serve_plain(demo: bool, debug: bool, allow_writes: str | None) -> None:
    """Serve MCP over stdio with the environment's settings and the given flags."""
    try:
        from ..config import Settings, parse_allowed_writes

        settings = Settings.from_env()
        changes: dict[str, object] = {}
        if demo:
            changes["demo"] = True
        if debug:
            changes["log_level"] = "DEBUG"
        if allow_writes is not None:
            changes["allowed_writes"] = parse_allowed_writes(allow_writes, source="--allow-writes")
        serve_stdio(settings.with_overrides(**changes))
    except SystemExit:
        raise
    except BaseException as exc:
        fail(exc, debug=debug)


def main() -> None:
    """Entry point of the `oig-cloud-mcp` command."""
    interrupt.install()
    try:
        options = plain_serve_options(sys.argv[1:])
        if options is not None:
            serve_plain(**options)  # type: ignore[arg-type]
            return
        from .app import run
    except KeyboardInterrupt:
        interrupt.stop()
    run()
