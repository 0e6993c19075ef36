"""Run every benchmark of ``bench/`` in turn (``make bench``), each in its own process, and
say which failed. ``--short`` is passed on to each (the smaller runs).

    .venv/bin/python bench/run_all.py [--short] [--only ingest --only scanning ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# Modules of bench/ that are helpers, not benchmarks.
HELPERS = {"__init__", "benchdb", "run_all"}


def benchmarks() -> list[Path]:
    """Every benchmark script, by name."""
    return sorted(p for p in BENCH_DIR.glob("*.py") if p.stem not in HELPERS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="the benchmarks' short runs")
    parser.add_argument("--only", action="append", help="a benchmark's name (repeatable)")
    args = parser.parse_args()
    chosen = [p for p in benchmarks() if not args.only or p.stem in args.only]
    failed = []
    for script in chosen:
        command = [sys.executable, str(script), *(["--short"] if args.short else [])]
        print(f"=== {script.stem}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(command, cwd=BENCH_DIR.parent)
        print(f"=== {script.stem}: exit {code} after {time.perf_counter() - started:.0f} s")
        if code != 0:
            failed.append(script.stem)
    print("benchmarks:", "all ran" if not failed else "failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
