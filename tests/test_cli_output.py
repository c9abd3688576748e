"""Output that cannot be written, as git and gh handle it.

A reader that went away (`oig-cloud-mcp tools | head -c1`, a pager quit early) ends the
command quietly by SIGPIPE, as git does (the shell sees 141; git also exits 0 when its
output fitted in the pipe before the reader left). Any other failure to write (a full
disk) is one line: "cannot write output".
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from .helpers.commands import command, process_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name == "nt", reason="POSIX pipes")]

PRINTING = {
    "tools": ["tools"],
    "status": ["status"],
    "call": ["--demo", "call", "get_basic_data"],
    "call --json": ["--demo", "call", "get_basic_data", "--json"],
    "--help": ["--help"],
}


def demo_home(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}


@pytest.mark.parametrize("argv", PRINTING.values(), ids=PRINTING.keys())
def test_a_reader_that_went_away_ends_the_command_quietly_by_sigpipe(
    tmp_path: Path, argv: list[str]
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    process = subprocess.Popen(
        [*command(), *argv],
        stdin=subprocess.DEVNULL,
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=process_env(demo_home(tmp_path)),
    )
    os.close(write_end)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == -signal.SIGPIPE, stderr
    assert stderr == b""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_in_a_shell_pipeline_head_gets_its_byte_and_the_shell_sees_141_or_0(
    tmp_path: Path,
) -> None:
    script = f'set -o pipefail; {" ".join(command())} tools | head -c1; echo " $?"'

    ran = subprocess.run(
        [str(shutil.which("bash")), "-c", script],
        capture_output=True,
        text=True,
        env=process_env(demo_home(tmp_path)),
        timeout=60,
        check=False,
    )

    first, code = ran.stdout.split(" ")
    assert len(first) == 1
    assert code.strip() in ("141", "0")  # 0: everything fitted in the pipe, as with git
    assert ran.stderr == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("argv", PRINTING.values(), ids=PRINTING.keys())
def test_a_full_disk_is_one_line_saying_the_output_cannot_be_written(
    tmp_path: Path, argv: list[str]
) -> None:
    with Path("/dev/full").open("w") as full:
        ran = subprocess.run(
            [*command(), *argv],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=process_env(demo_home(tmp_path)),
            timeout=60,
            check=False,
        )

    assert ran.returncode == 1, ran.stderr
    assert ran.stderr == "Error: cannot write output (No space left on device).\n"
