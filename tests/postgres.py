"""A real PostgreSQL server for the tests, started from Debian's `postgresql` package (tests/run installs
it): its own cluster in a temporary folder, on 127.0.0.1 and a free port, and a fresh database for
each test that asks for one.

PostgreSQL refuses to run as root, and the tests may run as root (CI does): the cluster then belongs
to `nobody`. For the tests, durability settings are off (fsync, synchronous_commit, full_page_writes):
they check what the server stores and refuses, not that PostgreSQL survives a power cut. A bench asks
for PostgreSQL's defaults (`durable=True`), as docs/hosting.md sets a real one up."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from server.postgres import dialect
from tests import processes

USER = "lantern"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


class Cluster:
    def __init__(self, port: int, *, durable: bool = False) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed: tests/run installs Debian's postgresql package")
        self.folder = Path(tempfile.mkdtemp(prefix="lantern-pg-"))
        self.port = port
        as_owner: list[str] = []
        if os.geteuid() == 0:
            os.chown(self.folder, 65534, 65534)  # nobody
            as_owner = ["runuser", "-u", "nobody", "--"]
        data = self.folder / "data"
        subprocess.run(
            [*as_owner, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )
        self.log = self.folder / "postgres.log"
        fast = [] if durable else ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.process = subprocess.Popen(
            [*as_owner, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(self.folder), *fast, "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"),
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.1)

    def size(self, url: str) -> int:
        """What a database holds on disk (its tables and indexes; the WAL is the cluster's)."""
        with psycopg.connect(url) as connection:
            return connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]

    def url(self, dbname: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        name = f"t{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        processes.stop(self.process, seconds=20)
        shutil.rmtree(self.folder, ignore_errors=True)


def everything(url: str) -> bytes:
    """Every value in every table of the database, as bytes."""
    held = []
    with psycopg.connect(url, autocommit=True) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                held += [value if isinstance(value, bytes) else str(value).encode() for value in row]
    return b"\n".join(held)


def query(url: str, statement: str, *args) -> list[tuple]:
    """Rows read from a server's PostgreSQL database, as a test looks at what the server stored."""
    with psycopg.connect(url, autocommit=True) as connection:
        return [tuple(row) for row in connection.execute(dialect(statement), list(args)).fetchall()]
