"""Bench: durable ingest, as many devices push at once, each batch on disk before its answer.

Targets (issue 11, item 1), server on one core: at least 5,000 envelopes a second at 4 KiB (batches of
10, 4 in flight) with p99 per batch at most 50 ms; at least 2,000 a second at 16 KiB; one device with
batches of 100 at least 5,000 a second. Not a unit test: run it by hand and put the figures in
docs/performance.md. tests/test_bench.py runs it once in a short form to keep it working.

    .venv/bin/python bench/ingest.py [--devices 20] [--per-device 500] [--batch 10] [--in-flight 4] [--content 3000] [--postgres]

It starts a real `lantern serve --demo` on a fresh data folder (tests/conftest.py), pins it to the
first core and itself to the others (where there are two or more), enrols the devices, seals every
envelope before the clock starts, then pushes the batches `--in-flight` at a time, each signed by its
own device (sync/client.py). Before it reports, the demo DSL pulls everything back: the set pulled is
the set pushed, each exactly once, bytes equal.

With --postgres the server runs on a PostgreSQL cluster of the bench's own (tests/postgres.py), with
PostgreSQL's durable defaults, pinned to the server's core with it (docs/hosting.md). The targets are
SQLite's; PostgreSQL's figures are for a host weighing it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import (  # noqa: E402
    load_average, machine, peak_rss_mb, percentile, percentiles, stored_bytes, verdict,
)
from bench.fresh import fresh_server  # noqa: E402
from tests.conftest import free_port, stop_server  # noqa: E402
from tests.postgres import Cluster  # noqa: E402

TARGETS = {3000: 5_000, 15000: 2_000}  # content bytes (a 4 KiB, a 16 KiB bucket): envelopes a second


def pin(server, cluster: Cluster | None) -> str:
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return "not pinned (one core)"
    for pid in [server.process.pid, *(postgres_pids(cluster) if cluster else [])]:
        os.sched_setaffinity(pid, {cores[0]})
    os.sched_setaffinity(0, set(cores[1:]))
    return f"server{' and PostgreSQL' if cluster else ''} on core {cores[0]}, load driver on {cores[1:]}"


def postgres_pids(cluster: Cluster) -> list[int]:
    """The postmaster and every process it started (the server's backend among them)."""
    pids = [cluster.process.pid]
    for pid in pids:  # grows as it goes: each process's children after it
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--per-device", type=int, default=500)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--content", type=int, default=3000, help="content bytes (3000: 4 KiB envelopes; 15000: 16 KiB)")
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL instead of SQLite")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    print(f"{load_average()} at the start")
    cluster = Cluster(free_port(), durable=True) if args.postgres else None
    database = cluster.new_database() if cluster else None
    server = fresh_server(database)

    def stored() -> int:
        return cluster.size(database) if cluster else stored_bytes(server.database)

    try:
        print(pin(server, cluster))
        devices = [server.enrolled("staff") for _ in range(args.devices)]
        batches = []
        for d, client in enumerate(devices):
            sealed = [client.seal(b"%04d%08d" % (d, i) + bytes(args.content - 12)) for i in range(args.per_device)]
            batches += [(client, sealed[i:i + args.batch]) for i in range(0, len(sealed), args.batch)]
        # Devices take turns, as they would arrive: batch k of every device before batch k+1 of any.
        per_device = -(-args.per_device // args.batch)
        batches = [batches[d * per_device + k] for k in range(per_device) for d in range(args.devices)]
        pushed = [data for _, batch in batches for data in batch]
        size = sum(map(len, pushed)) / len(pushed)
        disk_before = stored()

        def push(job) -> float:
            client, batch = job
            t = time.perf_counter()
            client.push(batch)
            return (time.perf_counter() - t) * 1000

        started = time.perf_counter()
        with ThreadPoolExecutor(args.in_flight) as pool:
            batch_ms = list(pool.map(push, batches))
        elapsed = time.perf_counter() - started

        dsl = server.enrolled("dsl")
        pulled = list(dsl.pull_all())
        assert len(pulled) == len(pushed), f"pulled {len(pulled)}, pushed {len(pushed)}"
        assert sorted(p.data for p in pulled) == sorted(pushed), "the envelopes pulled are not the ones pushed"
        assert len({p.seq for p in pulled}) == len(pulled)
        per_envelope = (stored() - disk_before) / len(pushed)
        rss = peak_rss_mb(server.process.pid)
    finally:
        stop_server(server)
        if cluster:
            cluster.stop()

    rate = len(pushed) / elapsed
    target = TARGETS.get(args.content) if args.devices > 1 else 5_000  # one device, batches of 100: 5,000
    target = None if args.postgres else target
    print(f"\n{len(pushed)} envelopes of {size:.0f} bytes from {args.devices} devices, batches of {args.batch}, "
          f"{args.in_flight} in flight: {elapsed:.2f} s, {rate:.0f} a second"
          + (f" (target {target:,}: {verdict(rate >= target)})" if target else ""))
    # The p99 target is for batches of 10, 4 in flight; other shapes are reported without one.
    shaped = args.batch == 10 and args.in_flight == 4 and not args.postgres
    print(f"per batch: {percentiles(batch_ms)}" + (f"  (target p99 50 ms: {verdict(percentile(batch_ms, 99) <= 50)})" if shaped else ""))
    if cluster:
        print(f"on disk: {per_envelope:,.0f} bytes an envelope, PostgreSQL's database (its WAL apart)")
    else:
        print(f"on disk: {per_envelope:,.0f} bytes an envelope, database and WAL after a checkpoint"
              + (f" (target 4,600: {verdict(per_envelope <= 4600)})" if args.content == 3000 else ""))
    print(f"server peak RSS: {rss:.0f} MB (target 150 MB: {verdict(rss <= 150)})")
    print(f"{load_average()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
