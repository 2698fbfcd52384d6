"""Bench: a team device catching up from the server, and pulling what is new, while pushes go on.

Targets (issue 11, item 2): a team device pulls 10,000 envelopes of 4 KiB from the server within 1 s
(pages of 500); an incremental pull of 100 new ones within 50 ms; no page skipping or repeating an
envelope while pushes go on. Not a unit test: run it by hand and put the figures in
docs/performance.md. tests/test_bench.py runs it once in a short form to keep it working.

    .venv/bin/python bench/catchup.py [--envelopes 10000] [--runs 5] [--increments 20] [--during 2000]

It starts a real `lantern serve --demo` on a fresh data folder (tests/conftest.py), has 20 staff
devices seal and push the envelopes (4 KiB each: content padded into the smallest bucket), then times
the demo DSL's device (sync/client.py, signing every request as the app does) pulling them all from
the start, `--runs` times. Each run is checked before it counts: the set pulled is the set pushed,
each exactly once, in seq order, bytes equal. Then 100 new envelopes are pushed and pulled from the
cursor, `--increments` times; then one device pulls from its cursor, over and over, while another
pushes `--during` more in batches of 10, and everything pushed must have come exactly once.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, peak_rss_mb, percentiles, verdict  # noqa: E402
from bench.fresh import fresh_server  # noqa: E402
from tests.conftest import stop_server  # noqa: E402

PAGE = 500
CONTENT = 3000  # bytes of content: with its padding, a 4 KiB bucket and an envelope of about 4.4 KB
STAFF = 20


def pull_from(client, after: int) -> tuple[list, int]:
    """Every envelope after `after`, page by page, and the cursor past the last."""
    pulled = []
    while True:
        page = client.pull(after=after, limit=PAGE)
        pulled += page.envelopes
        after = page.after
        if not page.more:
            return pulled, after


def check(pulled: list, pushed: list[bytes]) -> None:
    seqs = [e.seq for e in pulled]
    assert seqs == sorted(set(seqs)), "a page repeated an envelope or came out of order"
    assert [e.data for e in pulled] == pushed, f"pulled {len(pulled)}, pushed {len(pushed)}: not the same envelopes"


def author(clients, i: int, batch: int):
    """The device that seals, and so pushes, envelope i: each batch is one device's."""
    return clients[(i // batch) % len(clients)]


def sealed(clients, n: int, start: int, batch: int) -> list[bytes]:
    return [author(clients, i, batch).seal(b"%08d" % (start + i) + bytes(CONTENT - 8)) for i in range(n)]


def push_in_batches(clients, envelopes: list[bytes], batch: int) -> None:
    for i in range(0, len(envelopes), batch):
        author(clients, i, batch).push(envelopes[i:i + batch])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envelopes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="full catch-ups timed")
    parser.add_argument("--increments", type=int, default=20, help="pulls of 100 new envelopes timed")
    parser.add_argument("--during", type=int, default=2_000, help="envelopes pushed while a device pulls")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    print(f"{load_average()} at the start")
    server = fresh_server()
    try:
        staff = [server.enrolled("staff") for _ in range(STAFF)]
        dsl = server.enrolled("dsl")
        started = time.perf_counter()
        pushed = sealed(staff, args.envelopes, 0, 100)
        push_in_batches(staff, pushed, 100)
        size = sum(map(len, pushed)) / len(pushed)
        print(f"sealed and pushed {len(pushed)} envelopes of {size:.0f} bytes in {time.perf_counter() - started:.1f} s")

        catch_up = []
        for _ in range(args.runs):
            t = time.perf_counter()
            pulled, cursor = pull_from(dsl, 0)
            catch_up.append(time.perf_counter() - t)
            check(pulled, pushed)

        increments = []
        for k in range(args.increments):
            new = sealed(staff, 100, len(pushed), 100)
            push_in_batches(staff, new, 100)
            pushed += new
            t = time.perf_counter()
            pulled, cursor = pull_from(dsl, cursor)
            increments.append((time.perf_counter() - t) * 1000)
            check(pulled, new)

        # Pulling while another device pushes: what the puller ends with is exactly what was pushed.
        reader = server.enrolled("dsl")
        during = sealed(staff[:4], args.during, len(pushed), 10)
        pusher = threading.Thread(target=push_in_batches, args=(staff[:4], during, 10))
        seen, after, pulls = [], cursor, 0
        pusher.start()
        while pusher.is_alive():
            got, after = pull_from(reader, after)
            seen += got
            pulls += 1
        pusher.join()
        got, after = pull_from(reader, after)
        seen += got
        check(seen, during)
        rss = peak_rss_mb(server.process.pid)
    finally:
        stop_server(server)

    per_second = args.envelopes / min(catch_up)
    print(f"\n{args.envelopes} envelopes pulled from the start in pages of {PAGE}: "
          f"{percentiles([c * 1000 for c in catch_up])}, {per_second:.0f} a second at best "
          f"(target 1 s for 10,000: {verdict(max(catch_up) <= args.envelopes / 10_000)})")
    print(f"100 new envelopes pulled from the cursor: {percentiles(increments)}  (target 50 ms: {verdict(max(increments) <= 50)})")
    print(f"while {args.during} were pushed in batches of 10: {pulls} pulls from the cursor, each envelope exactly once, in order")
    print(f"server peak RSS: {rss:.0f} MB (target 150 MB: {verdict(rss <= 150)})")
    print(f"{load_average()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
