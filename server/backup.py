"""Backups that restore: a consistent copy of the live database, taken while the server runs, and
putting one back while it is stopped, keeping what was there (docs/admin.md, "Backing up and restoring").

The copy uses SQLite's online backup, which reads one consistent moment of a database in WAL mode while
writers go on. A restore never deletes: the database it replaces, with its write-ahead log, is moved
aside under a name that says when. What a device sent after the backup was taken is not lost: the
restored server numbers what comes next past anything it handed out, and devices send again what it no
longer holds (server/continuity.py)."""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from server.db import DatabaseProblem, check_folder, check_schema

LOCK_FILE = "lantern.lock"


class ServerRunning(Exception):
    pass


def hold_lock(data_dir: Path):
    """Held by `lantern serve` for as long as it runs (the open file is the lock): a second server on the
    same folder, or a restore under a running one, is refused. Released by the system when it exits,
    however it exits."""
    handle = open(data_dir / LOCK_FILE, "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ServerRunning(f"a Lantern server is running on {data_dir}") from None
    return handle


@dataclass(frozen=True)
class Copied:
    envelopes: int
    schools: int
    bytes: int


def _checked(path: Path) -> Copied:
    """A database file that SQLite finds whole, and what it holds."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise DatabaseProblem(f"{path} is damaged ({verdict}): use another backup.")
        (envelopes,) = connection.execute("SELECT COUNT(*) FROM envelopes").fetchone()
        (schools,) = connection.execute("SELECT COUNT(*) FROM schools").fetchone()
    finally:
        connection.close()
    return Copied(envelopes, schools, path.stat().st_size)


def back_up(database: Path, out: Path) -> Copied:
    """Copies the live database to `out`, a new file, and checks the copy."""
    if out.exists():
        raise DatabaseProblem(f"{out} exists already: Lantern will not write over it. Choose a new file name.")
    partial = out.with_name(out.name + ".partial")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one file, whole, with no log beside it
        finally:
            target.close()
    finally:
        source.close()
    copied = _checked(partial)
    partial.rename(out)  # only a checked copy takes the name asked for
    return copied


def restore(backup: Path, database: Path, now: float | None = None) -> tuple[Copied, Path | None]:
    """Puts `backup` in place of `database` while no server runs on its folder. Returns what it holds
    and where the database it replaced went (None when there was none)."""
    if not backup.is_file():
        raise DatabaseProblem(f"no backup at {backup}")
    check_schema(backup)  # Lantern's, and not from a newer version
    copied = _checked(backup)
    check_folder(database.parent)
    lock = hold_lock(database.parent)
    try:
        aside = None
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
        for suffix in ("", "-wal", "-shm"):
            current = database.with_name(database.name + suffix)
            if current.exists():
                moved = database.with_name(f"{database.name}.before-restore-{stamp}{suffix}")
                current.rename(moved)
                aside = aside or moved
        partial = database.with_name(database.name + ".restoring")
        shutil.copyfile(backup, partial)
        partial.rename(database)
    finally:
        lock.close()
    return copied, aside
