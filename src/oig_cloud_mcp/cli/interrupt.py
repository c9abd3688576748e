"""Ctrl+C and SIGTERM: every command ends promptly, with one line and exit 130 / 143.

The first SIGINT or SIGTERM cancels what is running: the main asyncio task when one is
registered (`run`), else the synchronous code, with `KeyboardInterrupt`. A watchdog thread
ends the process `GRACE_S` later if it is still there. The stdio server always needs it:
the SDK reads stdin in a worker thread whose blocking read nothing can interrupt, and the
interpreter would wait for that thread at exit. A second signal ends the process at once.

Ending without unwinding loses nothing: state files are replaced atomically, locks are
released by the OS, and a write cut short is tracked as "outcome unknown", never re-sent.

Imports nothing heavy: a plain serve installs this before loading the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")

GRACE_S = 0.25
"""How long a signalled process may take to wind down before the watchdog ends it."""

_WORDS: dict[int, str] = {signal.SIGINT: "Interrupted.", signal.SIGTERM: "Terminated."}


class _State:
    signum: int | None = None
    cancel: Callable[[], None] | None = None
    said = False
    json_lines = False
    lock = threading.RLock()  # a second signal may arrive while the main thread holds it


_STATE = _State()


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


def received() -> int | None:
    """The first signal this process got, if any."""
    return _STATE.signum


def say(signum: int | None = None) -> None:
    """Write "Interrupted." (or "Terminated.") on stderr, once per process."""
    with _STATE.lock:
        if _STATE.said:
            return
        _STATE.said = True
    word = _WORDS.get(signum or _STATE.signum or signal.SIGINT, "Interrupted.")
    lead = "\n" if _isatty(2) else ""  # the terminal has just echoed ^C
    line = f"{lead}{word}"
    if _STATE.json_lines:  # a log collector reads stderr: the last line is JSON as well
        moment = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        line = json.dumps(
            {"time": moment, "level": "WARNING", "logger": "oig_cloud_mcp", "message": word}
        )
    with contextlib.suppress(OSError):
        os.write(2, f"{line}\n".encode())


def say_as_json_lines() -> None:
    """Write the signal's word as a JSON log line (the server logs JSON lines)."""
    _STATE.json_lines = True


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def stop(signum: int | None = None) -> NoReturn:
    """Say why and exit with the signal's code (130 when no signal was recorded)."""
    number = signum or _STATE.signum or signal.SIGINT
    say(number)
    raise SystemExit(exit_code(number))


def _end_now(code: int) -> NoReturn:
    # No flush of sys.stdout/stderr: the main thread may hold their locks, blocked on a
    # full pipe. `say` writes to the descriptor directly.
    say()
    os._exit(code)


def _watchdog(code: int) -> None:
    time.sleep(GRACE_S)
    _end_now(code)


def _on_signal(signum: int, frame: object) -> None:
    if _STATE.signum is not None:
        _end_now(exit_code(_STATE.signum))
    _STATE.signum = signum
    threading.Thread(
        target=_watchdog, args=(exit_code(signum),), name="oig-exit-watchdog", daemon=True
    ).start()
    if _STATE.cancel is not None:
        _STATE.cancel()
        return
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT and SIGTERM as described above, unless the parent ignores them."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in _WORDS:
        if signal.getsignal(signum) != signal.SIG_IGN:  # e.g. a non-interactive shell's `&`
            signal.signal(signum, _on_signal)


def _quiet_once_signalled(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's reports ("Task exception was never retrieved") unless a signal is ending
    the run: then work torn down half-way is expected, and the one line says it all."""
    if _STATE.signum is None:
        loop.default_exception_handler(context)


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`; a signal cancels it and exits with 130 / 143 after one line."""

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None or _STATE.signum is not None:  # a signal came while starting
            main.close()
            raise asyncio.CancelledError

        def cancel() -> None:
            loop.call_soon_threadsafe(task.cancel)

        _STATE.cancel = cancel
        loop.set_exception_handler(_quiet_once_signalled)
        try:
            return await main
        finally:
            _STATE.cancel = None

    try:
        return asyncio.run(guarded())
    except (asyncio.CancelledError, KeyboardInterrupt, BaseExceptionGroup):
        if _STATE.signum is not None:
            stop()
        raise
