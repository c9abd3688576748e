"""Run every benchmark and print one table: `python benchmarks/run_all.py [RUNS] [--quick]`."""

from __future__ import annotations

import sys

import answer_size
import call_overhead
import hosted
import portal_traffic
import remote
import shared_state
import startup
import startup_instructions
from _common import print_rows

if __name__ == "__main__":
    quick = "--quick" in sys.argv  # skips the valgrind instruction counts (about 3 minutes)
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    runs = int(numbers[0]) if numbers else 12
    rows = [
        *startup.measure(runs),
        *([] if quick else startup_instructions.measure()),
        *call_overhead.measure(),
        *portal_traffic.measure(),
        *shared_state.measure(),
        *answer_size.measure(),
        *remote.measure(),
        *hosted.measure(),
    ]
    print_rows(f"oig-cloud-mcp benchmarks (start-up: {runs} interleaved runs each)", rows)
    missed = [row.figure for row in rows if row.met is False]
    print("\nTargets missed: " + (", ".join(missed) if missed else "none"))
