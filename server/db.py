"""The SQLite database: opening it durably, and its schema as migrations applied at start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

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


def open_database(path: Path) -> sqlite_utils.Database:
    """Opens (creating if need be) the database and brings its schema up to date.

    WAL lets readers run beside the one writer. synchronous=FULL makes every commit reach the disk
    before it returns: in WAL mode NORMAL can lose the last transactions on power failure, and an
    acknowledged envelope must never be lost.
    """
    # One connection shared by the server's threads; server.store serialises access to it.
    db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    migrations.apply(db)
    return db
