"""The installed `oig-cloud-mcp` command, run as a subprocess the way a person runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("oig-cloud-mcp")
    if script.exists():
        return [str(script)]
    found = shutil.which("oig-cloud-mcp")
    return [found] if found else [sys.executable, "-m", "oig_cloud_mcp"]


@dataclass
class Ran:
    """What one run of the command left behind."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return self.stderr.splitlines()


def process_env(env: dict[str, str]) -> dict[str, str]:
    """This environment without any OIG_ variable, plus `env`; the conftest's INFO log
    level becomes WARNING, so that the command's own lines are all stderr holds."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OIG_")}
    merged = clean | env
    if merged.get("OIG_CLOUD_MCP_LOG_LEVEL") == "INFO":
        merged["OIG_CLOUD_MCP_LOG_LEVEL"] = "WARNING"
    return merged


def start(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    stdin: int | None = subprocess.PIPE,
    **popen: object,
) -> subprocess.Popen[str]:
    """Start `oig-cloud-mcp ARGV` (the installed console script) with `env`."""
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [*command(), *argv],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=process_env(env),
        **popen,
    )


def finish(process: subprocess.Popen[str], stdin_text: str = "") -> Ran:
    """Wait for a started command (feeding it `stdin_text`) and keep what it left."""
    out, err = process.communicate(stdin_text if process.stdin else None, timeout=60)
    return Ran(process.returncode, out, err)


def run_cli(argv: Sequence[str], env: dict[str, str], stdin_text: str = "") -> Ran:
    """Run `oig-cloud-mcp ARGV` to the end, in a clean environment (see `process_env`)."""
    return finish(start(argv, env), stdin_text)


def run_all(cases: Sequence[tuple[Sequence[str], dict[str, str]]]) -> list[Ran]:
    """Run several invocations at once (each is mostly interpreter start-up)."""
    return [finish(process) for process in [start(argv, env) for argv, env in cases]]


def run_command(
    env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `oig-cloud-mcp ARGS` to the end in this environment plus `env` (OIG_ variables
    and log level as they are)."""
    return subprocess.run(
        [*command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
