"""Backups that restore: a consistent copy of the live database, taken while the server runs, and
putting one back while it is stopped, keeping what was there (docs/admin.md, "Backing up and restoring").

The copy uses SQLite's online backup, which reads one consistent moment of a database in WAL mode while
writers go on. It leaves the server encrypted, as an age file (age-encryption.org/v1, by pyrage, the
bindings of the Rust implementation rage) to a backup key's public half: the database names the staff
and holds the push subscriptions, and whoever holds a copy in the clear could read those, so the key's
private half is kept apart from the server, and only a restore needs it. Debian's `age -d -i KEY`
opens a backup too, without Lantern. A restore never deletes: the database it replaces, with its
write-ahead log, is moved aside under a name that says when. What a device sent after the backup was
taken is not lost: the restored server numbers what comes next past anything it handed out, and devices
send again what it no longer holds (server/continuity.py)."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyrage
from pyrage import x25519

from server.db import DatabaseProblem, check_folder, check_schema
from sync.keyfiles import write_private

AGE_HEADER = b"age-encryption.org/v1\n"

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


def new_backup_key() -> tuple[str, str]:
    """A backup key, as age-keygen writes one: (the identity file's text, its public recipient)."""
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"# created: {created}\n# public key: {recipient}\n{identity}\n", recipient


def _recipient(text: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError:
        raise DatabaseProblem(
            f"{text.strip()[:80]!r} is not a backup key's public half: it starts age1 (`lantern keys backup` prints it)"
        ) from None


def _identity(path: Path) -> x25519.Identity:
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatabaseProblem(f"the backup key {path} cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
    try:
        return x25519.Identity.from_str(keys[0])
    except (IndexError, pyrage.IdentityError):
        raise DatabaseProblem(f"{path} is not a backup key: `lantern keys backup` makes one") from None


def _private(path: Path) -> Path:
    """A new file only its owner can read, for the moment a plaintext copy must exist."""
    write_private(path, b"")
    return path


def back_up(database: Path, out: Path, recipient: str) -> Copied:
    """Copies the live database to `out`, a new file, checked, and encrypted to `recipient`."""
    key = _recipient(recipient)
    if out.exists():
        raise DatabaseProblem(f"{out} exists already: Lantern will not write over it. Choose a new file name.")
    # The clear copy stays beside the database it copies, where the same people may read it, and is
    # gone before this returns.
    plain = _private(database.with_name(f"{database.name}.backup-{os.getpid()}"))
    partial = out.with_name(out.name + ".partial")
    try:
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(plain)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one file, whole, with no log beside it
            finally:
                target.close()
        finally:
            source.close()
        copied = _checked(plain)
        pyrage.encrypt_file(str(plain), str(partial), [key])
        partial.rename(out)  # only a checked copy takes the name asked for
    finally:
        plain.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return Copied(copied.envelopes, copied.schools, out.stat().st_size)


def restore(backup: Path, database: Path, identity: Path | None, now: float | None = None) -> tuple[Copied, Path | None]:
    """Puts `backup` in place of `database` while no server runs on its folder, opened with the backup
    key at `identity` (a backup from before they were encrypted needs none). Returns what it holds and
    where the database it replaced went (None when there was none)."""
    if not backup.is_file():
        raise DatabaseProblem(f"no backup at {backup}")
    check_folder(database.parent)
    lock = hold_lock(database.parent)
    partial = database.with_name(database.name + ".restoring")
    partial.unlink(missing_ok=True)  # left by a restore that was stopped half way
    try:
        with open(backup, "rb") as f:
            encrypted = f.read(len(AGE_HEADER)) == AGE_HEADER
        if encrypted:
            if identity is None:
                raise DatabaseProblem(f"{backup} is encrypted: give its backup key with --key")
            key = _identity(identity)
            _private(partial)
            try:
                pyrage.decrypt_file(str(backup), str(partial), [key])
            except pyrage.DecryptError:
                raise DatabaseProblem(f"{backup} does not open with the backup key {identity}: is it the key it was made for?") from None
        else:
            shutil.copyfile(backup, _private(partial))
        try:
            check_schema(partial)  # Lantern's, and not from a newer version
            copied = _checked(partial)
        except DatabaseProblem as exc:
            raise DatabaseProblem(str(exc).replace(str(partial), str(backup))) from None
        aside = None
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
        for suffix in ("", "-wal", "-shm"):
            current = database.with_name(database.name + suffix)
            if current.exists():
                moved = database.with_name(f"{database.name}.before-restore-{stamp}{suffix}")
                current.rename(moved)
                aside = aside or moved
        partial.rename(database)
    finally:
        partial.unlink(missing_ok=True)
        lock.close()
    return copied, aside
