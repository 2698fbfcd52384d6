"""The PostgreSQL database, for a host that serves many schools (docs/hosting.md): the same interface as
server/db.py's SQLite one, so the domain code does not know which it has.

Writes are serialised, as SQLite's are, by one transaction-scoped advisory lock, taken by every
`lantern serve` process sharing the database. That keeps what Lantern's sync rests on: an envelope's
`seq` comes from a sequence when it is inserted, and the lock is held until commit, so no envelope with
a lower `seq` can become visible after one with a higher one; a device pulling "after N" never skips
one. The alert scheduler's claims (a delivery leased by moving its next_attempt_at) are write
transactions too, so two processes never claim the same delivery.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors

from server import clock, continuity
from server.db import DatabaseProblem, Db, storage_full
from server.errors import Refused
from server.postgres_schema import MIGRATIONS

log = logging.getLogger("lantern")

# The advisory lock every write holds (any constant; this one spells "lantern" in ASCII).
WRITE_LOCK = 0x6C616E7465726E
SEQUENCE = "envelopes_seq_seq"  # the identity sequence of envelopes.seq
READ_ONLY = ("the database is read-only (a standby, or set read-only): nothing can be stored until Lantern "
             "is pointed at the primary; keep this on the device and send it again later")


@functools.lru_cache(maxsize=512)
def dialect(statement: str) -> str:
    """A statement written for SQLite's `?` placeholders, with psycopg's `%s` (and a literal `%` doubled).
    Lantern's statements hold no `?` or `%` inside a quoted string; a quote is copied as it is."""
    out, quoted = [], False
    for char in statement:
        if char == "'":
            quoted = not quoted
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


class Session:
    """What `read()` and `write()` yield: the two calls of sqlite3's connection the domain code uses."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self._connection = connection

    def execute(self, statement: str, params: list | tuple = ()) -> psycopg.Cursor:
        return self._connection.execute(dialect(statement), list(params))

    def executemany(self, statement: str, rows) -> psycopg.Cursor:
        cursor = self._connection.cursor()
        cursor.executemany(dialect(statement), list(rows))
        return cursor


def describe(url: str) -> str:
    """The database named without its password, for sentences and logs."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('dbname', '?')} on {info.get('host', 'localhost')}:{info.get('port', 5432)}"


def connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="lantern")
    except psycopg.Error as exc:
        raise DatabaseProblem(
            f"Lantern cannot reach its PostgreSQL database {describe(url)}: {str(exc).strip().splitlines()[-1]}. "
            "Check that PostgreSQL runs, and the address, user and password in --database (or LANTERN_DATABASE)."
        ) from None


class PostgresDb(Db):
    """One connection per process behind a lock, like server/db.py's; reads run as single statements
    in autocommit (as SQLite's reads do outside a transaction), writes in one transaction each."""

    # full_since stays None: PostgreSQL keeps no reserve, and a full disk refuses each write (storage_full).

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._connection = connect(url)
        self._floor_due = False  # a connection made again raises the seq floor before its first write

    def _session(self) -> Session:
        if self._connection.closed or self._connection.broken:
            # PostgreSQL restarted, failed over to a standby, or the connection was cut: try again.
            self._connection.close()
            try:
                self._connection = connect(self.url)
            except DatabaseProblem:
                raise Refused("database_unavailable", "the database does not answer") from None
            # A standby promoted after an asynchronous failover may lack the primary's last commits, and
            # hand their `seq` numbers out again: so the floor is raised as at a start, before any write.
            self._floor_due = True
        return Session(self._connection)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._lock:
            with _faults():
                yield self._session()

    @contextmanager
    def write(self, *, urgent: bool = False) -> Iterator[Session]:
        with self._lock:
            with _faults():
                session = self._session()
                if self._floor_due:
                    self._floor_due = False
                    try:
                        continuity.raise_seq_floor(self, clock.now())  # a write of its own, first
                    except BaseException:
                        self._floor_due = True  # not raised: still due before the next write
                        raise
                with self._connection.transaction():
                    session.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK])
                    yield session

    def check_file(self) -> None:
        """PostgreSQL owns its files; what it can refuse is every write, as a standby does (a failover
        that left Lantern on the old address) or a database set read-only."""
        with self.read() as s:
            (read_only,) = s.execute(
                "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'").fetchone()
        if read_only:
            raise Refused("database_unavailable", READ_ONLY)

    def migrate(self) -> None:
        with self._lock, self._connection.transaction():
            self._connection.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS lantern_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            applied = {name for (name,) in self._connection.execute("SELECT name FROM lantern_migrations")}
            for name, statements in MIGRATIONS:
                if name in applied:
                    continue
                for statement in statements:
                    self._connection.execute(statement)
                self._connection.execute("INSERT INTO lantern_migrations (name) VALUES (%s)", [name])
                log.info("database migration %s applied", name)

    def held_seq(self, s: Session) -> int | None:
        """The highest envelope `seq` handed out, or None before the first."""
        last, called = s.execute(f"SELECT last_value, is_called FROM {SEQUENCE}").fetchone()
        return last if called else None

    def hold_seq(self, s: Session, value: int) -> None:
        """The next envelope's `seq` is value + 1."""
        s.execute(f"SELECT setval('{SEQUENCE}', ?)", [value])

    def close(self) -> None:
        self._connection.close()


@contextmanager
def _faults() -> Iterator[None]:
    """PostgreSQL's faults as Lantern's refusals: nothing was written, and the client is told why."""
    try:
        yield
    except errors.DiskFull:
        log.warning("PostgreSQL says its disk is full: writes are refused until it has room")
        raise storage_full() from None
    except errors.ReadOnlySqlTransaction:
        log.warning("PostgreSQL refuses writes here (a standby, or a database set read-only)")
        raise Refused("database_unavailable", READ_ONLY) from None
    except psycopg.OperationalError:
        log.warning("the PostgreSQL connection failed; the next request connects again")
        raise Refused("database_unavailable", "the database does not answer") from None


def check(url: str) -> None:
    """Before anything is written: PostgreSQL answers, and the database is empty or Lantern's, with a
    schema this code knows."""
    with connect(url) as connection:
        tables = {name for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
        applied = [name for (name,) in connection.execute("SELECT name FROM lantern_migrations")] \
            if "lantern_migrations" in tables else []
    where = describe(url)
    if tables and not applied:
        raise DatabaseProblem(
            f"The PostgreSQL database {where} has tables, but is not Lantern's. Lantern will not touch it: "
            "give Lantern a database of its own (createdb lantern)."
        )
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise DatabaseProblem(
            f"The PostgreSQL database {where} was last used by a newer Lantern (its schema has {', '.join(unknown)}, "
            "which this version does not know). Run that version or a later one; this one could damage it."
        )


def open_postgres(url: str) -> PostgresDb:
    db = PostgresDb(url)
    db.migrate()
    return db
