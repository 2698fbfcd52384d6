"""A real Lantern server for the tests: the `lantern` CLI in a subprocess, on 127.0.0.1, with a real
SQLite file in a temporary data directory; and enrolled Python clients to talk to it."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server import devices, schools
from server.db import Db
from server.demo import DEMO_TEAM, demo_person, load_demo_key
from sync.client import Client


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

    @property
    def database(self) -> Path:
        return self.data_dir / "lantern.db"

    def query(self, sql: str, *args) -> list[tuple]:
        """Rows read from the server's file, read-only, as a test looks at what the server stored."""
        con = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def db(self) -> Db:
        """A second connection to the server's file, as the admin CLI would have."""
        return Db(self.database)

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


def start_server(
    data_dir: Path, *extra: str, env: dict[str, str] | None = None, port: int | None = None
) -> RunningServer:
    """Starts `lantern serve --demo`; `port` again restarts a server where its clients left it."""
    port = port or free_port()
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
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                RUNNING[url] = RunningServer(url, data_dir, process, log)
                return RUNNING[url]
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text()}")


def stop_server(server: RunningServer) -> None:
    RUNNING.pop(server.url, None)
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def hostile(server):
    """A hostile server: tests/hostile/proxy.py in front of the real one, honest until told to lie."""
    from tests.hostile.proxy import HostileProxy

    with HostileProxy(server.url) as proxy:
        yield proxy


@pytest.fixture
def server(tmp_path: Path):
    running = start_server(tmp_path / "data")
    yield running
    stop_server(running)
