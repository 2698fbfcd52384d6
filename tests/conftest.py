"""A real Lantern server for the tests: the `lantern` CLI in a subprocess, on 127.0.0.1, with a real
SQLite file in a temporary data directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.demo import load_demo_key
from sync.client import Client


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

    def client(self) -> Client:
        return Client(self.url)

    def demo_key(self, role: str = "dsl"):
        return load_demo_key(self.data_dir, role)


def start_server(data_dir: Path, *extra: str) -> RunningServer:
    port = free_port()
    log = data_dir.parent / f"server-{port}.log"
    lantern = shutil.which("lantern", path=os.path.dirname(sys.executable)) or "lantern"
    process = subprocess.Popen(
        [lantern, "serve", "--demo", "--port", str(port), "--data-dir", str(data_dir), *extra],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return RunningServer(url, data_dir, process, log)
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text()}")


def stop_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def server(tmp_path: Path):
    running = start_server(tmp_path / "data")
    yield running
    stop_server(running)
