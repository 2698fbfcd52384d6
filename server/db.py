"""The SQLite database, the embedded default: opened durably, one writer at a time, its schema as
migrations applied at start; and which database a server opens (a PostgreSQL URL: server/postgres.py).

Both kinds yield the same thing from `read()` and `write()`: something with sqlite3's `execute` and
`executemany`, taking statements in the SQL both speak (server/sql.py)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from server.errors import Refused

migrations = Migrations("lantern")


@migrations()
def m001_foundation(db: sqlite_utils.Database) -> None:
    db["schools"].create({"id": str, "name": str, "demo": int}, pk="id")
    db["recipients"].create(
        {"key_id": str, "school_id": str, "role": str, "name": str, "public_key": bytes},
        pk="key_id",
        foreign_keys=[("school_id", "schools", "id")],
    )
    db["devices"].create(
        {"key_id": str, "school_id": str, "public_key": bytes, "enrolled_at": str},
        pk="key_id",
        foreign_keys=[("school_id", "schools", "id")],
    )
    # seq is the sync cursor: INTEGER PRIMARY KEY AUTOINCREMENT never reuses a value, even after
    # the last row is deleted, so a device's "after" can never skip or repeat an envelope.
    db.execute(
        """CREATE TABLE envelopes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL UNIQUE,
            school_id TEXT NOT NULL REFERENCES schools(id),
            author_key_id TEXT NOT NULL REFERENCES devices(key_id),
            urgent INTEGER NOT NULL,
            data BLOB NOT NULL,
            received_at TEXT NOT NULL
        )"""
    )
    db["envelope_recipients"].create(
        {"key_id": str, "seq": int},
        pk=("key_id", "seq"),
        foreign_keys=[("seq", "envelopes", "seq")],
    )


@migrations()
def m002_people_enrolment_keyring(db: sqlite_utils.Database) -> None:
    db["schools"].add_column("trust_public_key", bytes)
    db["people"].create(
        {"id": str, "school_id": str, "name": str, "role": str, "recipient_public_key": bytes, "created_at": str},
        pk="id",
        foreign_keys=[("school_id", "schools", "id")],
    )
    # Devices enrolled by the foundation's open demo enrolment have no person: they can still
    # push nothing new (every request now needs a person's enrolment), and what they sent stays.
    db["devices"].add_column("person_id", str)
    db["devices"].add_column("label", str)
    db["devices"].add_column("revoked_at", str)
    # recipients becomes the index of each school's current signed keyring.
    db["recipients"].add_column("person_id", str)
    db["enrolment_codes"].create(
        {
            "secret_hash": str, "school_id": str, "person_id": str, "created_at": str,
            "expires_at": str, "used_at": str, "device_key_id": str,
        },
        pk="secret_hash",
        foreign_keys=[("school_id", "schools", "id"), ("person_id", "people", "id")],
    )
    db["keyrings"].create(
        {"school_id": str, "version": int, "payload": bytes, "signature": bytes, "published_at": str},
        pk=("school_id", "version"),
        foreign_keys=[("school_id", "schools", "id")],
    )
    db["contacts"].create(
        {"id": int, "school_id": str, "kind": str, "name": str, "phone": str},
        pk="id",
        foreign_keys=[("school_id", "schools", "id")],
    )
    db["nonces"].create({"device_key_id": str, "nonce": str, "expires_at": int}, pk=("device_key_id", "nonce"))
    db["receipts"].create(
        {"seq": int, "person_id": str, "opened_at": str},
        pk=("seq", "person_id"),
        foreign_keys=[("seq", "envelopes", "seq")],
    )
    db["envelopes"].create_index(["author_key_id"])


@migrations()
def m003_alerts(db: sqlite_utils.Database) -> None:
    """Urgent alerts (docs/alerts.md). Times here are Unix seconds (REAL), because the scheduler does
    arithmetic on them; the older tables' ISO strings stay as they are."""
    # One Web Push subscription per device. The endpoint is a capability URL: whoever knows it can
    # push to that browser, so it is stored but never logged or shown. One endpoint, one device.
    db.execute(
        """CREATE TABLE push_subscriptions (
            device_key_id TEXT PRIMARY KEY REFERENCES devices(key_id),
            school_id TEXT NOT NULL REFERENCES schools(id),
            endpoint TEXT NOT NULL UNIQUE,
            p256dh BLOB NOT NULL,
            auth BLOB NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    # A school's escalation policy as one JSON document (server/escalation.py): it is set and read
    # whole, and each alert keeps a copy of the policy it started under.
    db.execute(
        """CREATE TABLE escalation_policies (
            school_id TEXT PRIMARY KEY REFERENCES schools(id),
            policy TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    # One alert per urgent envelope, written in the envelope's own transaction. `step` is the last
    # step started; next_due is when step + 1 is due, NULL once acknowledged or when the schedule ends.
    db.execute(
        """CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            school_id TEXT NOT NULL REFERENCES schools(id),
            seq INTEGER NOT NULL UNIQUE REFERENCES envelopes(seq),
            record_id TEXT NOT NULL,
            author_key_id TEXT NOT NULL,
            policy TEXT NOT NULL,
            widen INTEGER NOT NULL,
            created_at REAL NOT NULL,
            step INTEGER NOT NULL,
            next_due REAL,
            acknowledged_at REAL,
            acknowledged_by TEXT
        )"""
    )
    db.execute("CREATE INDEX alerts_next_due ON alerts (next_due)")
    db.execute("CREATE INDEX alerts_school ON alerts (school_id, created_at)")
    # One row per (alert, step, device): its state and retry schedule. 'queued' rows are in the
    # sender's hands until next_attempt_at (a lease, so a crash cannot lose them); 'retry' rows wait
    # for next_attempt_at; the rest are final.
    db.execute(
        """CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id TEXT NOT NULL REFERENCES alerts(id),
            step INTEGER NOT NULL,
            device_key_id TEXT NOT NULL REFERENCES devices(key_id),
            state TEXT NOT NULL CHECK (state IN
                ('queued', 'retry', 'delivered', 'pruned', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL,
            next_attempt_at REAL,
            last_status INTEGER,
            updated_at REAL NOT NULL
        )"""
    )
    db.execute("CREATE INDEX alert_deliveries_due ON alert_deliveries (state, next_attempt_at)")
    db.execute("CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id)")
    # The audit trail: ids, steps, statuses and times only, never a note, a name or an endpoint.
    # Append-only, and the database itself refuses to change or delete a row.
    db.execute(
        """CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id TEXT NOT NULL REFERENCES alerts(id),
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            step INTEGER,
            device_key_id TEXT,
            status INTEGER,
            detail TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX alert_events_alert ON alert_events (alert_id, id)")
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER alert_events_no_{verb.lower()} BEFORE {verb} ON alert_events
                BEGIN SELECT RAISE(ABORT, 'alert_events is append-only'); END"""
        )


@migrations()
def m004_recipient_keys(db: sqlite_utils.Database) -> None:
    """Recipient keys made on team members' own devices (docs/protocol.md, "Recipient keys made on
    the device"). One per device; a person may have several devices, so several keys. A key here is
    only proposed: it reaches the keyring, and so the staff devices that seal notes, when the trust
    key holder signs a draft that includes it (server/keyrings.py draft)."""
    db.execute(
        """CREATE TABLE recipient_keys (
            key_id TEXT PRIMARY KEY,
            school_id TEXT NOT NULL REFERENCES schools(id),
            person_id TEXT NOT NULL REFERENCES people(id),
            device_key_id TEXT NOT NULL UNIQUE REFERENCES devices(key_id),
            public_key BLOB NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX recipient_keys_person ON recipient_keys (person_id, created_at)")



@migrations()
def m005_roster(db: sqlite_utils.Database) -> None:
    """The child roster (docs/protocol.md, "The roster"), relayed sealed: each device's roster key
    (an HPKE public key it made), the school's current roster version, and per roster key the newest
    envelope sealed to it. The server never holds a child's name."""
    db.execute(
        """CREATE TABLE roster_keys (
            key_id TEXT PRIMARY KEY,
            school_id TEXT NOT NULL REFERENCES schools(id),
            device_key_id TEXT NOT NULL UNIQUE REFERENCES devices(key_id),
            public_key BLOB NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX roster_keys_school ON roster_keys (school_id, created_at)")
    db.execute(
        """CREATE TABLE rosters (
            school_id TEXT PRIMARY KEY REFERENCES schools(id),
            version INTEGER NOT NULL,
            author_key_id TEXT NOT NULL REFERENCES devices(key_id),
            published_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE roster_envelopes (
            roster_key_id TEXT PRIMARY KEY REFERENCES roster_keys(key_id),
            school_id TEXT NOT NULL REFERENCES schools(id),
            version INTEGER NOT NULL,
            author_key_id TEXT NOT NULL REFERENCES devices(key_id),
            data BLOB NOT NULL,
            stored_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX roster_envelopes_school ON roster_envelopes (school_id, version)")

@migrations()
def m006_reminders(db: sqlite_utils.Database) -> None:
    """Clock reminders (server/reminders.py): an id the device made up, whose it is, and when. Nothing
    says which clock, which case or which child."""
    db.execute(
        """CREATE TABLE reminders (
            id TEXT PRIMARY KEY,
            school_id TEXT NOT NULL REFERENCES schools(id),
            person_id TEXT NOT NULL REFERENCES people(id),
            due_at REAL NOT NULL,
            sent_at REAL
        )"""
    )
    db.execute("CREATE INDEX reminders_due ON reminders (due_at) WHERE sent_at IS NULL")


@migrations()
def m007_views(db: sqlite_utils.Database) -> None:
    """The view trail (server/views.py): which record, whose device, when; nothing else."""
    db.execute(
        """CREATE TABLE views (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            seq INTEGER NOT NULL REFERENCES envelopes(seq),
            school_id TEXT NOT NULL REFERENCES schools(id),
            person_id TEXT NOT NULL REFERENCES people(id),
            device_key_id TEXT NOT NULL REFERENCES devices(key_id),
            viewed_at REAL NOT NULL
        )"""
    )
    db.execute("CREATE INDEX views_seq ON views (seq, viewed_at)")


@migrations()
def m008_receipt_proofs(db: sqlite_utils.Database) -> None:
    """Each receipt's proof that its reader opened the record (docs/envelope.md, "Receipts"), kept for
    the author's device to check; receipts from before it have none, and prove nothing."""
    db.execute("ALTER TABLE receipts ADD COLUMN proof BLOB")


@migrations()
def m009_database_identity(db: sqlite_utils.Database) -> None:
    """The database's identity, made once with it and kept in its backups, so that a device meeting
    another database at the same address knows to pull again from the start (server/continuity.py)."""
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('database_id', ?)", [str(uuid.uuid4())])


@migrations()
def m010_key_proofs(db: sqlite_utils.Database) -> None:
    """Each roster key's and recipient key's proof, signed by the device that made it, that it is that
    device's (sync/key_proofs.py); keys from before it have none, and are sent nothing until their
    device registers them again with one."""
    db.execute("ALTER TABLE roster_keys ADD COLUMN proof BLOB")
    db.execute("ALTER TABLE recipient_keys ADD COLUMN proof BLOB")


@migrations()
def m011_enrol_approvals(db: sqlite_utils.Database) -> None:
    """Each device's approval from its enrolment code, for the trust key holder's app to check against
    the codes it issued (sync/codes.py); devices from before it have none, and are approved by eye.
    From here `enrolment_codes.secret_hash` holds the hash of the code's token, not of its secret (a
    code issued before and not yet used is refused: ask for a new one)."""
    db.execute("ALTER TABLE devices ADD COLUMN enrol_approval BLOB")


log = logging.getLogger("lantern")

PAGE = 4096  # SQLite's default page size, which Lantern's databases keep
# What only an urgent note, its alert's bookkeeping, the receipt that stops it and the nonces that
# sign them may use once the disk is full: 1 MiB, a few hundred urgent notes.
RESERVE_PAGES = 256
RESERVE_FILE = "reserve.bin"  # held on the disk so that, when it fills, there is room to give back


class Db(ABC):
    """What the domain code holds, whichever the database (the routes' `db` dependency is one).

    `read()` and `write(urgent=...)` yield a session with sqlite3's `execute` and `executemany`; a write
    commits when its block ends and rolls back if it raises. `check_file()` raises Refused when the
    database can no longer be trusted to keep a write; `full_since` is when storage filled, or None.
    `held_seq` and `hold_seq` read and raise the envelopes' next `seq` (server/continuity.py)."""

    full_since: float | None = None
    max_pages: int | None = None

    @abstractmethod
    def read(self) -> AbstractContextManager: ...

    @abstractmethod
    def write(self, *, urgent: bool = False) -> AbstractContextManager: ...

    @abstractmethod
    def check_file(self) -> None: ...

    @abstractmethod
    def held_seq(self, s) -> int | None: ...

    @abstractmethod
    def hold_seq(self, s, value: int) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


class SqliteDb(Db):
    """The one connection, shared by the server's threads behind a lock (datasette's single writer).

    Writes run in BEGIN IMMEDIATE transactions, so that the admin CLI, another process on the same
    file, waits for the write lock up front (busy_timeout) rather than failing half way.

    A full disk (or the database's quota, `max_pages`) is met in the same way: the write that meets it
    is refused (`storage_full`, nothing written), the reserve file is deleted to give the disk back
    RESERVE_PAGES, and from then on the database may grow only by those pages and only for an urgent
    write (`write(urgent=True)`); reads go on. When the disk has room again the reserve is made again
    and every write is accepted.
    """

    def __init__(self, path: Path, max_pages: int | None = None) -> None:
        self.path = path
        self.sqlite = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
        self._lock = threading.RLock()
        self._file = _identity(path)
        self.max_pages = max_pages
        self.full_since: float | None = None
        self._full_at_pages = 0
        self._checked_room_at = 0.0
        self._cap_set: int | None = None  # the max_page_count this connection has now
        self._make_reserve()
        # WAL lets readers run beside the writer. synchronous=FULL makes every commit reach the disk
        # before it returns: in WAL mode NORMAL can lose the last transactions on power failure, and
        # an acknowledged envelope must never be lost.
        self.sqlite.execute("PRAGMA journal_mode=WAL")
        self.sqlite.execute("PRAGMA synchronous=FULL")
        self.sqlite.execute("PRAGMA foreign_keys=ON")
        self.sqlite.execute("PRAGMA busy_timeout=5000")

    def migrate(self) -> None:
        with self._lock:
            migrations.apply(self.sqlite)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.sqlite.conn

    def check_file(self) -> None:
        """Refuses to go on when the file this connection opened is no longer the one at its path
        (deleted, or replaced by a restore under the running server): a write would land in a file
        nobody will ever read again, and be acknowledged as stored."""
        if _identity(self.path) != self._file:
            raise Refused("database_unavailable", "the database file was removed or replaced while the server ran: restart it")

    @contextmanager
    def write(self, *, urgent: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.check_file()
            self._recover_if_room()
            if self.full_since is not None and not urgent:
                raise storage_full()  # what fits in the last free pages is kept for what cannot wait
            cap = self._cap(urgent)
            if cap != self._cap_set:  # a pragma per write is a statement on every ingest: only on a change
                self.sqlite.execute(f"PRAGMA max_page_count = {cap}")
                self._cap_set = cap
            try:
                self.sqlite.execute("BEGIN IMMEDIATE")
                try:
                    yield self.sqlite.conn
                except BaseException:
                    self.sqlite.conn.rollback()
                    raise
                self.sqlite.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
                    raise
                if self.sqlite.conn.in_transaction:
                    self.sqlite.conn.rollback()
                self._now_full()
                raise storage_full() from None

    def _cap(self, urgent: bool) -> int:
        """How many pages this write may grow the database to (SQLite's max_page_count)."""
        if self.full_since is not None:
            return self._full_at_pages + (RESERVE_PAGES if urgent else 0)
        if self.max_pages is not None:
            return self.max_pages - (0 if urgent else RESERVE_PAGES)
        return 2**31 - 2  # SQLite's own limit: no cap

    def _now_full(self) -> None:
        (pages,) = self.sqlite.execute("PRAGMA page_count").fetchone()
        if self.full_since is None:
            self.full_since = time.time()
            self._checked_room_at = time.monotonic()
            self._full_at_pages = pages
            (self.path.parent / RESERVE_FILE).unlink(missing_ok=True)
            log.warning("storage full at %d pages: from now on only urgent notes and their receipts are stored", pages)

    def _make_reserve(self) -> None:
        try:
            with open(self.path.parent / RESERVE_FILE, "ab") as f:
                if f.tell() < RESERVE_PAGES * PAGE:
                    # Written, not only sized: a sparse file would hold no room to give back.
                    f.write(bytes(RESERVE_PAGES * PAGE - f.tell()))
                    f.flush()
                    os.fsync(f.fileno())
        except OSError:
            pass  # no room even for the reserve: the next write that needs room says so

    def _recover_if_room(self) -> None:
        """While full, at most every 10 s: room again on the disk (and under the quota) ends it."""
        if self.full_since is None or time.monotonic() - self._checked_room_at < 10:
            return
        self._checked_room_at = time.monotonic()
        (pages,) = self.sqlite.execute("PRAGMA page_count").fetchone()
        # Under a quota, room means pages were freed (a school's records moved elsewhere), not one page.
        under_quota = self.max_pages is None or pages < self.max_pages - 2 * RESERVE_PAGES
        try:
            free = os.statvfs(self.path.parent)
            room = free.f_bavail * free.f_frsize > 4 * RESERVE_PAGES * PAGE
        except OSError:
            room = False
        if room and under_quota:
            self._make_reserve()
            self.full_since = None
            log.warning("storage has room again: every write is accepted")

    def held_seq(self, s: sqlite3.Connection) -> int | None:
        """The highest envelope `seq` handed out, or None before the first (server/continuity.py)."""
        held = s.execute("SELECT seq FROM sqlite_sequence WHERE name = 'envelopes'").fetchone()
        return held[0] if held else None

    def hold_seq(self, s: sqlite3.Connection, value: int) -> None:
        """The next envelope's `seq` is value + 1."""
        if s.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'envelopes'", [value]).rowcount == 0:
            s.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('envelopes', ?)", [value])

    def close(self) -> None:
        self.sqlite.close()


def storage_full() -> Refused:
    return Refused(
        "storage_full",
        "the server's disk is full: only urgent notes and the receipts that stop their alerts are stored "
        "until its administrator frees space; keep this on the device and send it again later",
    )


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


class DatabaseProblem(Exception):
    """A database Lantern cannot start on, said as a sentence for the person running it."""


def check_database(target: Path | str) -> None:
    """Before anything is written: the folder must be writable, and a file already there must be a
    Lantern database whose schema this code knows (not a newer one, which it could damage); or, for a
    PostgreSQL URL, the same of the database it names."""
    if is_postgres(target):
        from server import postgres

        return postgres.check(target)
    check_folder(target.parent)
    if target.exists():
        check_schema(target)


def is_postgres(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def check_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = folder / ".lantern-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DatabaseProblem(
            f"Lantern cannot write in its data folder {folder} ({exc.strerror or exc}): it keeps its database there. "
            "Give the user running Lantern write access, or choose another folder with --data-dir."
        ) from None


def check_schema(path: Path) -> None:
    """The file is a Lantern database whose schema this code knows."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            applied = [name for (name,) in connection.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'lantern'")] if "_sqlite_migrations" in tables else []
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        raise DatabaseProblem(
            f"{path} is not a SQLite database. Lantern will not touch it: move it away, or choose another folder with --data-dir."
        ) from None
    if tables and not applied:
        raise DatabaseProblem(
            f"{path} is a SQLite database, but not Lantern's. Lantern will not touch it: move it away, or choose another "
            "folder with --data-dir."
        )
    known = {m.name for m in migrations.pending(sqlite_utils.Database(memory=True))}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise DatabaseProblem(
            f"{path} was last used by a newer Lantern (its schema has {', '.join(unknown)}, which this version does not "
            "know). Run that version or a later one; this one could damage it."
        )


def open_database(target: Path | str, max_pages: int | None = None):
    """The database at `target`, its migrations applied: a SQLite file's path, or a PostgreSQL URL."""
    if is_postgres(target):
        from server import postgres  # imported only here: psycopg is not loaded for the embedded default

        return postgres.open_postgres(target)
    db = SqliteDb(target, max_pages)
    db.migrate()
    return db
