"""`oig-cloud-mcp` beyond a plain serve: the typer application and its error surface.

`run()` turns every outcome into one exit code: 0 success, 1 the operation failed,
2 usage error, 130 / 143 interrupted, 141 (SIGPIPE) the reader went away (see
`cli/__init__.py`). Commands live in `base`
(serve), `account` (login, logout, status) and `tools` (tools, call).
"""

from __future__ import annotations

import signal
import sys

import typer

# Importing `account` and `tools` registers their commands on `app` (after `serve`).
from . import USAGE, account, error, fail, interrupt, output, remote, tools  # noqa: F401
from .base import PROG, STATE, app

__all__ = ["app", "run"]


def _usage_error(exc: BaseException) -> None:
    """typer's usage errors (click's, vendored or not): one line, exit 2; else None."""
    message = getattr(exc, "format_message", None)
    code = getattr(exc, "exit_code", None)
    if not callable(message) or not isinstance(code, int):
        return None
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", PROG) or PROG
    sentence = message().rstrip()
    end = "" if sentence.endswith((".", "?", "!")) else "."
    error(f"{sentence}{end} See `{path} --help`.", code)


def run() -> None:
    """Run the typer CLI: errors become one line on stderr and the exit code says which kind."""
    output.guard_stdout()
    try:
        code = app(standalone_mode=False)
        output.flush()
    except SystemExit:
        raise
    except typer.Abort:
        if interrupt.received() is not None:
            interrupt.stop()
        error(
            "Standard input ended before an answer; for scripts use --email EMAIL "
            "--password-stdin.",
            USAGE,
        )
    except BaseException as exc:
        _usage_error(exc)
        fail(exc, debug=STATE.debug)
    if interrupt.received() is not None or code == interrupt.exit_code(signal.SIGINT):
        interrupt.stop()  # typer turns a KeyboardInterrupt into exit code 130
    sys.exit(code if isinstance(code, int) else 0)
