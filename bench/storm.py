"""Long run: the SIGKILL storm of tests/test_durability.py, at 50 kills (the test runs 10).

    .venv/bin/python bench/storm.py [--kills 50] [--per-device 3000]

Four devices push their envelopes in batches of 10 while the server (a real `lantern serve` on a fresh
data folder) is killed with SIGKILL at random moments and started again. It checks what the test
checks, then says how it went: every acknowledged envelope stored exactly once, with its bytes and the
seq it was acknowledged with, pulled once by the DSL, and the file whole after a last SIGKILL. Not a
speed figure: a correctness run too long for CI. tests/test_bench.py runs it once in a short form.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine  # noqa: E402
from tests.test_durability import sigkill_storm  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--per-device", type=int, default=3000, help="envelopes each of the 4 devices pushes")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"{load_average()} at the start")
    started = time.monotonic()
    # At least four in five kills must land while envelopes are still going, or the run tested little.
    summary = sigkill_storm(Path(tempfile.mkdtemp(prefix="lantern-storm-")) / "data", per_device=args.per_device,
                            kills=args.kills, min_kills=args.kills * 4 // 5, seconds=600)
    print(f"{summary}; {time.monotonic() - started:.0f} s")
    print(f"{load_average()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
