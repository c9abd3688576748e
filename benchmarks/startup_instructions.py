"""Start-up in CPU instructions (valgrind callgrind): deterministic, unlike wall time here.

One run each of oig-cloud-mcp and the two SDK floors, from spawn through the answers to
`initialize` and `tools/list` to exit. Instruction counts do not depend on machine load,
so one run is enough; each takes about a minute under valgrind. Each command first starts
once without valgrind, so that its bytecode is compiled before the count, as an installed
package's is.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from _common import Row, floor_command, isolated_env, oig_command, print_rows, temp_home
from startup import one_start

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "b", "version": "1"},
    },
}
LIST = (
    b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
    b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n'
)


def instructions(argv: list[str], env: dict[str, str]) -> int:
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdin.write(json.dumps(INIT).encode() + b"\n")
    process.stdin.flush()
    process.stdout.readline()
    process.stdin.write(LIST)
    process.stdin.flush()
    process.stdout.readline()
    process.stdin.close()
    errors = process.stderr.read().decode()
    process.wait()
    process.stdout.close()
    process.stderr.close()
    match = re.search(r"Collected : (\d+)", errors)
    if match is None:
        raise RuntimeError(errors[-400:])
    return int(match.group(1))


def measure() -> list[Row]:
    if shutil.which("valgrind") is None:
        print("valgrind not found: skipping the instruction counts")
        return []
    with temp_home() as home:
        env = isolated_env(Path(home))
        for command in (oig_command(), floor_command(), floor_command(quiet=True)):
            one_start(command, env)
        ours = instructions(oig_command(), env) / 1e6
        floor = instructions(floor_command(), env) / 1e6
        quiet = instructions(floor_command(quiet=True), env) / 1e6
    return [
        Row(
            "start-up instructions (callgrind), vs SDK floor",
            ours,
            ours,
            ours,
            "M",
            floor,
            "<= 1.10 x floor",
            ours <= 1.10 * floor,
        ),
        Row(
            "  same, against the quiet floor (SDK at WARNING)",
            ours,
            ours,
            ours,
            "M",
            quiet,
            "<= 1.10 x floor",
            ours <= 1.10 * quiet,
        ),
    ]


if __name__ == "__main__":
    print_rows("Start-up in instructions (one run each under valgrind)", measure())
