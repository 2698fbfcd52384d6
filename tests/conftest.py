"""A real Lantern server for the tests: the `lantern` CLI in a subprocess, on 127.0.0.1, with a real
SQLite file in a temporary data directory, or a real PostgreSQL database (tests/postgres.py); and
enrolled Python clients to talk to it.

The server suite runs on both databases: a module that sets `pytestmark = BOTH_DATABASES` has each of
its tests that use the `server` fixture run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from server import devices, schools
from server.db import SqliteDb
from server.postgres import PostgresDb
from server.demo import DEMO_TEAM, demo_person, load_demo_key
from sync.client import Client
from tests import postgres, processes


DEMO_ROLES = {role for role, _ in DEMO_TEAM}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    data_dir: Path
    process: subprocess.Popen
    log: Path
    database_url: str | None = None  # PostgreSQL's, when the server runs on it

    @property
    def database(self) -> Path:
        return self.data_dir / "lantern.db"

    @property
    def admin(self) -> tuple[str, ...]:
        """`lantern admin` pointed at this server's database."""
        return ("admin", "--data-dir", str(self.data_dir), *(("--database", self.database_url) if self.database_url else ()))

    def query(self, sql: str, *args) -> list[tuple]:
        """Rows read from the server's database (its file read-only), as a test looks at what it stored."""
        if self.database_url:
            return postgres.query(self.database_url, sql, *args)
        con = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def columns(self, table: str) -> list[str]:
        """A table's columns, in order."""
        if self.database_url:
            return [name for (name,) in self.query(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? "
                "AND column_name <> 'rowid' "
                "ORDER BY ordinal_position", table)]
        return [column[1] for column in self.query(f"PRAGMA table_info({table})")]

    def stored(self) -> bytes:
        """Everything the database holds, as bytes a test can search for what must never be there: the
        SQLite file with its WAL and shared memory, or every value of every PostgreSQL table."""
        if self.database_url:
            return postgres.everything(self.database_url)
        return b"".join(path.read_bytes() for path in self.data_dir.glob("lantern.db*"))

    def db(self):
        """A second connection to the server's database, as the admin CLI would have."""
        return PostgresDb(self.database_url) if self.database_url else SqliteDb(self.database)

    def demo_school_id(self) -> uuid.UUID:
        db = self.db()
        try:
            return uuid.UUID(schools.demo_school(db)["id"])
        finally:
            db.close()

    def code_for(self, role: str = "staff", school_id: uuid.UUID | None = None) -> str:
        """A fresh one-time code: for the demo team member with `role`, or a new person."""
        db = self.db()
        try:
            school_id = school_id or self.demo_school_id()
            if role in DEMO_ROLES and school_id == self.demo_school_id():
                person_id = uuid.UUID(demo_person(db, school_id, role)["id"])
            else:
                person_id = schools.add_person(db, school_id, f"Test {role}", role)
            return devices.issue_code(db, person_id).text()
        finally:
            db.close()

    def client(self) -> Client:
        return Client(self.url)

    def enrolled(self, role: str = "staff", school_id: uuid.UUID | None = None) -> Client:
        client = self.client()
        client.enrol(self.code_for(role, school_id))
        return client

    def demo_key(self, role: str = "dsl"):
        return load_demo_key(self.data_dir, role)


# Every server start_server started and stop_server has not stopped, by URL: a screen of
# tests/browser/screens.py is given only the URL, and the team's screens need the server itself (a
# one-time code for the demo DSL comes from its database).
RUNNING: dict[str, RunningServer] = {}
DATABASES: dict[Path, str] = {}  # the PostgreSQL database of each data folder that has one


def start_server(
    data_dir: Path, *extra: str, env: dict[str, str] | None = None, port: int | None = None,
    database: str | None = None,
) -> RunningServer:
    """Starts `lantern serve --demo`, on `database` (a PostgreSQL URL) if given; `port` again restarts
    a server where its clients left it."""
    port = port or free_port()
    database = DATABASES.setdefault(data_dir, database) if database else DATABASES.get(data_dir)
    if database:  # a data folder started on PostgreSQL restarts on it, as its server would
        extra = ("--database", database, *extra)
    log = data_dir.parent / f"server-{port}.log"
    lantern = shutil.which("lantern", path=os.path.dirname(sys.executable)) or "lantern"
    process = subprocess.Popen(
        [lantern, "serve", "--demo", "--port", str(port), "--data-dir", str(data_dir), *extra],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        # http push endpoints: the tests' push service (tests/pushservice.py) is plain http on 127.0.0.1.
        env={**os.environ, "LANTERN_PUSH_ALLOW_HTTP": "1", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    processes.wait_healthy(url, process, log)
    RUNNING[url] = RunningServer(url, data_dir, process, log, database)
    return RUNNING[url]


def stop_server(server: RunningServer) -> None:
    RUNNING.pop(server.url, None)
    processes.stop(server.process)


def backup_key(folder: Path) -> tuple[Path, str]:
    """A backup key for `lantern admin backup`, as `lantern keys backup` makes one: (its file, its
    public half)."""
    from server.backup import new_backup_key

    identity, recipient = new_backup_key()
    key = folder / "backup-key.txt"
    key.write_text(identity)
    return key, recipient


@pytest.fixture
def hostile(server):
    """A hostile server: tests/hostile/proxy.py in front of the real one, honest until told to lie."""
    from tests.hostile.proxy import HostileProxy

    with HostileProxy(server.url) as proxy:
        yield proxy


BOTH_DATABASES = pytest.mark.both_databases


def pytest_generate_tests(metafunc) -> None:
    if "server" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("server", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def postgres_cluster():
    cluster = postgres.Cluster(free_port())
    yield cluster
    cluster.stop()


@pytest.fixture
def server_on_postgres(postgres_cluster, tmp_path: Path):
    running = start_server(tmp_path / "data", database=postgres_cluster.new_database())
    yield running
    stop_server(running)


@pytest.fixture
def server(request, tmp_path: Path):
    on_postgres = getattr(request, "param", "sqlite") == "postgresql"
    database = request.getfixturevalue("postgres_cluster").new_database() if on_postgres else None
    running = start_server(tmp_path / "data", database=database)
    yield running
    stop_server(running)
