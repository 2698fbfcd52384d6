"""Envelopes: stored as opaque bytes with the header fields docs/envelope.md lists as visible to the
server, pulled by their recipients, never updated or deleted. Receipts and the author's status view."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from server import alerts, clock, devices
from server.clock import iso
from server.db import Db
from server.devices import Device
from server.errors import Refused
from sync import envelope, wire
from sync.envelope import EnvelopeError


@dataclass(frozen=True)
class Stored:
    record_id: uuid.UUID
    seq: int
    duplicate: bool
    alert: alerts.Dispatch | None = None


def push(db: Db, device: Device, batch: list[bytes], *, sender: alerts.Sender | None = None,
         clock: Callable[[], float] = clock.now) -> list[Stored]:
    """Stores a batch atomically: every envelope is checked first, and one refusal stores none.

    The same record id with the same bytes is a no-op; with other bytes it is refused as a
    conflict. When this returns, the transaction is on disk (synchronous=FULL). A new urgent
    envelope gets its alert in the same transaction, and its pushes go to `sender` the moment the
    commit returns (without a sender, the scheduler sends them when their lease runs out).
    """
    checked = check_batch(device, batch)
    now = clock()
    # A batch with an urgent note in it may use the disk's reserve (server/db.py), whole.
    with db.write(urgent=any(header.urgent for _, header in checked)) as s:
        if device.unspent_nonce is not None:
            devices.spend_nonce(s, device)
        stored = [_store(s, data, header, now) for data, header in checked]
    durable_at = clock()
    for result in stored:
        if result.alert is not None and sender is not None:
            sender.submit(alerts.with_durable_time(result.alert, durable_at))
    return stored


def check_batch(device: Device, batch: list[bytes]) -> list[tuple[bytes, envelope.Header]]:
    """Each envelope of a batch with its header, once every one is well formed, signed by this device
    and for its school (docs/envelope.md, checks 1 to 6); the first that is not is refused, with its
    index. Notes and the roster are both checked this way before anything is stored."""
    author = devices.loaded_key(device.public_key)
    return [(data, _check(i, data, device, author)) for i, data in enumerate(batch)]


def _check(index: int, data: bytes, device: Device, author) -> envelope.Header:
    try:
        header = envelope.parse(data)
    except EnvelopeError as exc:
        raise Refused("invalid_envelope", f"envelope {index}: {exc.code}") from None
    if header.author_key_id.hex() != device.key_id:
        raise Refused("not_your_envelope", f"envelope {index}: signed by another device")
    if header.school_id != device.school_id:
        raise Refused("wrong_school", f"envelope {index}: addressed to another school")
    try:
        # The author was matched above: the device's key id is its public key's (server/devices.py).
        envelope.check_signature(data, author)
    except EnvelopeError as exc:
        raise Refused("invalid_envelope", f"envelope {index}: {exc.code}") from None
    return header


def _store(s, data: bytes, header: envelope.Header, now: float) -> Stored:
    rid = str(header.record_id)
    existing = s.execute("SELECT seq, data FROM envelopes WHERE record_id = ?", [rid]).fetchone()
    if existing:
        if existing[1] != data:
            raise Refused("conflict", f"record {rid} is already stored with other bytes")
        return Stored(header.record_id, existing[0], duplicate=True)
    # Plain statements, which sqlite3 prepares once and keeps: sqlite-utils' insert helpers read the
    # table's schema and open a savepoint for every row (bench/ingest.py).
    (seq,) = s.execute(
        "INSERT INTO envelopes (record_id, school_id, author_key_id, urgent, data, received_at) VALUES (?, ?, ?, ?, ?, ?) "
        "RETURNING seq",
        [rid, str(header.school_id), header.author_key_id.hex(), int(header.urgent), data, iso()],
    ).fetchone()
    s.executemany("INSERT INTO envelope_recipients (key_id, seq) VALUES (?, ?)",
                       [(k.hex(), seq) for k in header.recipient_key_ids])
    alert = None
    if header.urgent:
        alert = alerts.create_alert(
            s, school_id=str(header.school_id), seq=seq, record_id=rid, author_key_id=header.author_key_id.hex(),
            recipient_key_ids=[k.hex() for k in header.recipient_key_ids], now=now,
        )
    return Stored(header.record_id, seq, duplicate=False, alert=alert)


@dataclass(frozen=True)
class Page:
    rows: list[tuple[int, bytes]]
    more: bool  # whether another page remains
    after: int  # the cursor past this page: the last seq it looked at, so a page is never read twice
    high_water: int  # the last seq sealed to this person, on this server now (0 for none)


def pull(db: Db, device: Device, after: int, limit: int) -> Page:
    """One page of the envelopes sealed to the device's person, in server order.

    Each of the person's keys is read in its own range of the (key_id, seq) index, which stops after
    limit+1 rows, and the ranges are merged here: one query over all of them, ordered by seq, would
    sort every envelope after the cursor, their bytes included, on every page (a device catching up on
    30,000 would read them all 60 times: bench/triage.py)."""
    with db.read() as s:
        keys = [row[0] for row in s.execute(
            "SELECT key_id FROM recipients WHERE person_id = ? AND school_id = ?",
            [str(device.person_id), str(device.school_id)],
        )]
        seqs: set[int] = set()
        high_water = 0
        for key_id in keys:
            seqs.update(row[0] for row in s.execute(
                "SELECT seq FROM envelope_recipients WHERE key_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                [key_id, after, limit + 1],
            ))
            (last,) = s.execute("SELECT max(seq) FROM envelope_recipients WHERE key_id = ?", [key_id]).fetchone()
            high_water = max(high_water, last or 0)
        page = sorted(seqs)[:limit + 1]
        wanted = page[:limit]
        rows = s.execute(
            f"SELECT seq, data FROM envelopes WHERE school_id = ? AND seq IN ({','.join('?' * len(wanted))}) ORDER BY seq",
            [str(device.school_id), *wanted],
        ).fetchall() if wanted else []
    return Page([(seq, data) for seq, data in rows], len(page) > limit, wanted[-1] if wanted else after, high_water)


def seq_for_recipient(s, device: Device, record_id: uuid.UUID) -> int:
    """The seq of a record sealed to this device's person in its school; refuses anyone else's."""
    row = s.execute(
        """SELECT e.seq FROM envelopes e JOIN envelope_recipients r ON r.seq = e.seq
           JOIN recipients k ON k.key_id = r.key_id
           WHERE e.record_id = ? AND e.school_id = ? AND k.person_id = ?""",
        [str(record_id), str(device.school_id), str(device.person_id)],
    ).fetchone()
    if row is None:
        raise Refused("not_a_recipient", f"record {record_id} is not addressed to you")
    return row[0]


def record_receipts(db: Db, device: Device, receipts: list[wire.Receipt], *,
                    clock: Callable[[], float] = clock.now) -> None:
    """The device's person has opened these records. Only a recipient of each may say so. Opening
    an urgent note acknowledges its alert, in the same transaction: the escalation stops. The proof
    is kept for the author, unread: the server cannot check it (it has no content key)."""
    now = clock()
    with db.write(urgent=True) as s:  # a receipt stops an alert: it may use the disk's reserve
        for receipt in receipts:
            seq = seq_for_recipient(s, device, receipt.record_id)
            s.execute(
                "INSERT INTO receipts (seq, person_id, opened_at, proof) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [seq, str(device.person_id), iso(now), receipt.proof],
            )
            alerts.acknowledge(s, seq, device.key_id, now)


def _alert_state(s, seq: int) -> str | None:
    """What became of an urgent record's alert (wire.RecordStatus.alert); None when it has none."""
    row = s.execute("SELECT id FROM alerts WHERE seq = ?", [seq]).fetchone()
    if row is None:
        return None
    states = {state for (state,) in s.execute("SELECT DISTINCT state FROM alert_deliveries WHERE alert_id = ?", [row[0]])}
    if "delivered" in states:
        return "delivered"
    return "sending" if states & {"queued", "retry"} else "unreached"


def _readable(s, seq: int) -> bool:
    """Whether a team device can open the envelope (wire.RecordStatus.readable)."""
    return bool(s.execute(
        """SELECT EXISTS(SELECT 1 FROM envelope_recipients r JOIN recipient_keys k ON k.key_id = r.key_id
                         JOIN devices d ON d.key_id = k.device_key_id
                         WHERE r.seq = ? AND d.revoked_at IS NULL)
               OR EXISTS(SELECT 1 FROM envelope_recipients r JOIN recipients k ON k.key_id = r.key_id
                         JOIN schools sc ON sc.id = k.school_id
                         WHERE r.seq = ? AND sc.demo = 0
                           AND k.key_id NOT IN (SELECT key_id FROM recipient_keys))""",
        [seq, seq],
    ).fetchone()[0])


def statuses(db: Db, device: Device, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple]:
    """For the author's own records: (received, opened, what became of its alert, whether a team
    device can open it, the receipts' proofs). Anything else reads as not received."""
    with db.read() as s:
        result = {}
        for rid in record_ids:
            row = s.execute(
                """SELECT e.seq, EXISTS(SELECT 1 FROM receipts WHERE seq = e.seq)
                   FROM envelopes e WHERE e.record_id = ? AND e.author_key_id = ?""",
                [str(rid), device.key_id],
            ).fetchone()
            if row is None:
                result[rid] = (False, False, None, None, [])
            else:
                opened = bool(row[1])
                proofs = [p for (p,) in s.execute(
                    "SELECT DISTINCT proof FROM receipts WHERE seq = ? AND proof IS NOT NULL", [row[0]]
                )]
                result[rid] = (True, opened, _alert_state(s, row[0]), opened or _readable(s, row[0]), proofs)
    return result
