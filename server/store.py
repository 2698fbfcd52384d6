"""Everything the server keeps, behind one lock: one writer at a time, as in datasette.

Each method is one short transaction. The store holds envelopes as opaque bytes plus the header
fields that docs/envelope.md lists as visible to the server; it has no way to read more.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

from sync import envelope
from sync.envelope import EnvelopeError


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Refused(Exception):
    """A request the store will not carry out; nothing was written."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Stored:
    record_id: uuid.UUID
    seq: int
    duplicate: bool


class Store:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._lock = threading.Lock()

    def healthy(self) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1").fetchone() == (1,)

    # Schools and their safeguarding team

    def add_school(self, school_id: uuid.UUID, name: str, *, demo: bool) -> None:
        with self._lock, self.db.atomic():
            self.db["schools"].insert({"id": str(school_id), "name": name, "demo": int(demo)})

    def school(self, school_id: uuid.UUID) -> dict | None:
        with self._lock:
            rows = list(self.db["schools"].rows_where("id = ?", [str(school_id)]))
        return rows[0] if rows else None

    def demo_school(self) -> dict | None:
        with self._lock:
            rows = list(self.db["schools"].rows_where("demo = 1", limit=1))
        return rows[0] if rows else None

    def add_recipient(self, school_id: uuid.UUID, role: str, name: str, public_key: bytes) -> None:
        with self._lock, self.db.atomic():
            self.db["recipients"].insert(
                {
                    "key_id": envelope.key_id(public_key).hex(),
                    "school_id": str(school_id),
                    "role": role,
                    "name": name,
                    "public_key": public_key,
                }
            )

    def recipients(self, school_id: uuid.UUID) -> list[dict]:
        with self._lock:
            return list(self.db["recipients"].rows_where("school_id = ?", [str(school_id)], order_by="rowid"))

    # Devices

    def enrol_device(self, school_id: uuid.UUID, public_key: bytes) -> str:
        """Idempotent: a device that enrols twice (a retry after a lost answer) keeps its record."""
        try:
            envelope.public_key_from_bytes(public_key)
        except ValueError:
            raise Refused("invalid_key", "not a P-256 public key") from None
        kid = envelope.key_id(public_key).hex()
        with self._lock, self.db.atomic():
            existing = list(self.db["devices"].rows_where("key_id = ?", [kid]))
            if existing and existing[0]["school_id"] != str(school_id):
                raise Refused("device_in_other_school")
            if not existing:
                self.db["devices"].insert(
                    {"key_id": kid, "school_id": str(school_id), "public_key": public_key, "enrolled_at": _now()}
                )
        return kid

    def device_key(self, school_id: uuid.UUID, key_id_hex: str) -> bytes | None:
        with self._lock:
            rows = list(
                self.db["devices"].rows_where("key_id = ? AND school_id = ?", [key_id_hex, str(school_id)])
            )
        return rows[0]["public_key"] if rows else None

    # Envelopes

    def push(self, batch: list[bytes]) -> list[Stored]:
        """Stores a batch atomically: every envelope is checked first, and one refusal stores none.

        The same record id with the same bytes is a no-op; with other bytes it is refused as a
        conflict. When this returns, the transaction is on disk (synchronous=FULL).
        """
        with self._lock:
            checked = [self._check(i, data) for i, data in enumerate(batch)]
            results = []
            with self.db.atomic():
                for data, header in checked:
                    results.append(self._store(data, header))
        return results

    def _check(self, index: int, data: bytes) -> tuple[bytes, envelope.Header]:
        try:
            header = envelope.parse(data)
        except EnvelopeError as exc:
            raise Refused("invalid_envelope", f"envelope {index}: {exc.code}") from None
        rows = list(
            self.db["devices"].rows_where(
                "key_id = ? AND school_id = ?", [header.author_key_id.hex(), str(header.school_id)]
            )
        )
        if not rows:
            raise Refused("unknown_device", f"envelope {index}: its author is not enrolled in its school")
        try:
            envelope.verify(data, envelope.public_key_from_bytes(rows[0]["public_key"]))
        except EnvelopeError as exc:
            raise Refused("invalid_envelope", f"envelope {index}: {exc.code}") from None
        return data, header

    def _store(self, data: bytes, header: envelope.Header) -> Stored:
        rid = str(header.record_id)
        existing = self.db.execute("SELECT seq, data FROM envelopes WHERE record_id = ?", [rid]).fetchone()
        if existing:
            if existing[1] != data:
                raise Refused("conflict", f"record {rid} is already stored with other bytes")
            return Stored(header.record_id, existing[0], duplicate=True)
        seq = self.db["envelopes"].insert(
            {
                "record_id": rid,
                "school_id": str(header.school_id),
                "author_key_id": header.author_key_id.hex(),
                "urgent": int(header.urgent),
                "data": data,
                "received_at": _now(),
            }
        ).last_pk
        self.db["envelope_recipients"].insert_all({"key_id": k.hex(), "seq": seq} for k in header.recipient_key_ids)
        return Stored(header.record_id, seq, duplicate=False)

    def pull(self, school_id: uuid.UUID, recipient_key_id: str, after: int, limit: int) -> tuple[list[tuple[int, bytes]], bool]:
        """One page of the envelopes sealed to a recipient, in server order; limit+1 tells if more remain."""
        with self._lock:
            rows = self.db.execute(
                """SELECT e.seq, e.data FROM envelope_recipients r JOIN envelopes e ON e.seq = r.seq
                   WHERE r.key_id = ? AND e.school_id = ? AND r.seq > ? ORDER BY r.seq LIMIT ?""",
                [recipient_key_id, str(school_id), after, limit + 1],
            ).fetchall()
        return [(seq, data) for seq, data in rows[:limit]], len(rows) > limit
