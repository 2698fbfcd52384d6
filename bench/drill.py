"""Long run: the restore drill. Back up under load, lose the server, restore, and count what the devices
send again (docs/admin.md, "Backing up and restoring"; docs/protocol.md, "When the server forgets").

    .venv/bin/python bench/drill.py [--devices 10] [--seconds 30]

A real `lantern serve` on a fresh data folder; `--devices` staff devices push a note each in turn for
`--seconds`; halfway, `lantern admin backup` is taken while they go on, encrypted to a backup key made
for the drill. Then the server is lost (SIGKILL, and its database files deleted), the backup is put back
with `lantern admin restore`, and the server starts again at the same address. Each device asks what the
server no longer holds and sends it again. It checks that the DSL then pulls every acknowledged note
exactly once, with its bytes, and says how many the backup held and how many came back from the
devices. Not a speed figure: a correctness run too long for CI (tests/test_backup.py is its short
form). tests/test_bench.py runs it once in a short form.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fresh import UNLIMITED, fresh_server  # noqa: E402
from bench.report import load_average, machine  # noqa: E402
from sync import envelope  # noqa: E402
from tests.conftest import backup_key, start_server, stop_server  # noqa: E402
from tests.test_cli import lantern  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"{load_average()} at the start")

    server = fresh_server()
    folder = server.data_dir.parent
    key, recipient = backup_key(folder)
    devices = [server.enrolled("staff") for _ in range(args.devices)]
    dsl = server.enrolled("dsl")
    acknowledged: dict = {}
    going = threading.Event()
    going.set()

    def push_in_turn() -> None:
        for n in itertools.count():
            if not going.is_set():
                return
            device = devices[n % len(devices)]
            note = device.seal(f"note {n}".encode())
            device.push([note])
            acknowledged[envelope.parse(note).record_id] = note

    pusher = threading.Thread(target=push_in_turn)
    pusher.start()
    time.sleep(args.seconds / 2)
    backup = folder / "drill.db.age"
    lantern(*server.admin, "backup", "--out", str(backup), "--recipient", recipient)
    time.sleep(args.seconds / 2)
    going.clear()
    pusher.join()

    # The server is lost: killed, its database gone with the disk. The push key is kept, as docs/admin.md says.
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    for lost in server.data_dir.glob("lantern.db*"):
        lost.unlink()
    port = int(server.url.rsplit(":", 1)[1])
    restored = lantern("admin", "restore", "--data-dir", str(server.data_dir), str(backup), "--key", str(key)).stdout
    held = int(restored.split(" envelope(s)")[0].rsplit(" ", 1)[1])
    server = start_server(server.data_dir, port=port, env=UNLIMITED)
    try:
        sent_again = sum(len(device.resend_missing()) for device in devices)
        pulled = [p.data for p in dsl.pull_new()]
    finally:
        stop_server(server)

    assert len(set(pulled)) == len(pulled), "the DSL pulled an envelope twice"
    assert sorted(pulled) == sorted(acknowledged.values()), "what the DSL pulled is not what was acknowledged"
    assert held + sent_again == len(acknowledged)
    print(f"\n{len(acknowledged)} notes acknowledged from {args.devices} devices in {args.seconds:g} s; "
          f"the backup, taken halfway, held {held}; the devices sent {sent_again} again after the restore; "
          f"the DSL pulled all {len(pulled)}, each once, bytes equal")
    print(f"{load_average()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
