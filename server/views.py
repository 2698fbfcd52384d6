"""The view trail (docs/protocol.md, "The view trail"): each time a device opens a record, it says so
in a signed request, and the record's readers can read who opened it, on which device, and when.
The server stores which record, whose device, and the time: nothing else, and it already knows that
much from receipts. Only a record's recipients may add to its trail or read it."""

from __future__ import annotations

import uuid

from server.clock import iso
from server.db import Db
from server.devices import Device
from server.envelopes import seq_for_recipient
from sync import wire


def record_views(db: Db, device: Device, record_ids: list[uuid.UUID], now: float) -> None:
    with db.write() as s:
        for rid in record_ids:
            s.execute(
                "INSERT INTO views (seq, school_id, person_id, device_key_id, viewed_at) VALUES (?, ?, ?, ?, ?)",
                [seq_for_recipient(s, device, rid), str(device.school_id), str(device.person_id), device.key_id, now],
            )


def trail(db: Db, device: Device, record_id: uuid.UUID) -> wire.ViewTrail:
    with db.read() as s:
        seq = seq_for_recipient(s, device, record_id)
        rows = s.execute(
            """SELECT v.person_id, p.name, v.device_key_id, v.viewed_at FROM views v
               JOIN people p ON p.id = v.person_id WHERE v.seq = ? ORDER BY v.viewed_at, v.id""",
            [seq],
        ).fetchall()
    return wire.ViewTrail(record_id=record_id, views=[
        wire.View(person_id=uuid.UUID(p), name=n, device_key_id=d, viewed_at=iso(at)) for p, n, d, at in rows
    ])
