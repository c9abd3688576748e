"""Output that cannot be written: a reader that went away, or a full disk.

git's way, which gh (Go's runtime) shares: a command whose reader has gone
(`oig-cloud-mcp tools | head -c1`, a pager quit early) dies of SIGPIPE, quietly, and the
shell sees 141; any other failed write ("No space left on device") is one error line.
Python ignores SIGPIPE, so such a write fails with an `OSError` instead, and click and
typer turn EPIPE into a silent exit 1. `guard_stdout` makes every failed write to
stdout an `OutputError`, which they let through to `failed`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
from typing import Any, NoReturn, TextIO

from . import error


class OutputError(Exception):
    """Writing to stdout failed; `cause` is the OSError."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _GuardedStdout:
    """sys.stdout, whose write and flush raise `OutputError` instead of `OSError`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise OutputError(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputError(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_stdout() -> None:
    """Route the command's output (typer's help included) through `_GuardedStdout`."""
    if sys.stdout is not None and not isinstance(sys.stdout, _GuardedStdout):
        sys.stdout = _GuardedStdout(sys.stdout)


def flush() -> None:
    """Write out what is buffered, so that a failure is reported while we can."""
    if sys.stdout is not None:
        sys.stdout.flush()


def failed(exc: OutputError) -> NoReturn:
    """End the command as git does: die of SIGPIPE for a reader that went away, else
    "Error: cannot write output (REASON)." and exit 1."""
    _discard_stdout()
    if exc.cause.errno == errno.EPIPE:
        _die_of_sigpipe()
    error(f"cannot write output ({exc.cause.strerror or exc.cause}).")


def _discard_stdout() -> None:
    """Point fd 1 at the null device: what is still buffered goes nowhere, and the
    interpreter's last flush cannot fail again ("Exception ignored ...")."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _die_of_sigpipe() -> NoReturn:
    sigpipe = getattr(signal, "SIGPIPE", None)
    if sigpipe is not None:
        signal.signal(sigpipe, signal.SIG_DFL)
        os.kill(os.getpid(), sigpipe)
    raise SystemExit(128 + (sigpipe or 13))  # git's exit(141) where there is no SIGPIPE
