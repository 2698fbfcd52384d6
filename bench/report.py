"""What every bench script prints beside its figures: the machine, the versions, percentiles and
whether a target was met, so that docs/performance.md can keep each table with what it ran on."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least p % of them at or below it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def percentiles(values: list[float], unit: str = "ms") -> str:
    at = lambda p: percentile(values, p)  # noqa: E731
    return f"n={len(values)}  p50 {at(50):.1f}  p95 {at(95):.1f}  p99 {at(99):.1f}  max {max(values):.1f}  ({unit})"


def machine(browser=None) -> str:
    """The CPU, cores, kernel, Python, SQLite, and the browser's version when one is given."""
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    described = (f"{cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; Python "
                 f"{platform.python_version()}; SQLite {sqlite3.sqlite_version}")
    return described + (f"; Chromium {browser.version}" if browser is not None else "")


def load_average() -> str:
    return "load average (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident set so far (Linux's VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def stored_bytes(database: Path) -> int:
    """What a database holds on disk, its WAL included, after a checkpoint (another connection may
    checkpoint while the server runs: it only moves committed pages into the file)."""
    con = sqlite3.connect(database)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    wal = database.with_name(database.name + "-wal")
    return database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
