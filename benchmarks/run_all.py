"""Run every benchmark and print one table: `python benchmarks/run_all.py`."""

from __future__ import annotations

import sys

import answer_size
import call_overhead
import portal_traffic
import startup
from _common import print_rows

if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    rows = [
        *startup.measure(runs),
        *call_overhead.measure(),
        *portal_traffic.measure(),
        *answer_size.measure(),
    ]
    print_rows(f"oig-cloud-mcp benchmarks (start-up: {runs} interleaved runs each)", rows)
    missed = [row.figure for row in rows if row.met is False]
    print("\nTargets missed: " + (", ".join(missed) if missed else "none"))
