"""Deployment as docs/admin.md sets it up ("Behind Caddy", "Running it as a service"): Caddy terminating
TLS in front of `lantern serve`, from docs/deploy/Caddyfile as it is (tests/caddy.py), and the systemd
unit docs/deploy/lantern.service. A note goes through end to end over HTTPS; idle and slow clients are
held by Caddy, not by Lantern, and a note goes on through them."""

from __future__ import annotations

import shlex
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from sync.client import Client
from tests.caddy import start_caddy
from tests.conftest import free_port
from tests.processes import stop, wait_healthy
from tests.test_cli import LANTERN

UNIT = Path(__file__).resolve().parent.parent / "docs" / "deploy" / "lantern.service"


@pytest.fixture
def proxy(server, tmp_path, monkeypatch):
    running = start_caddy(tmp_path / "caddy", server.url)
    # sync/client.py's httpx trusts what SSL_CERT_FILE names, as a device trusts the school's certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(running.ca.file))
    yield running
    running.stop()


def established(port: int) -> int:
    """How many TCP connections to this local port are open now (Linux's /proc/net/tcp, state 01)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def test_a_note_goes_through_the_proxy_over_https_end_to_end(server, proxy):
    staff, dsl = Client(proxy.url), Client(proxy.url)
    staff.enrol(server.code_for("staff"))
    dsl.enrol(server.code_for("dsl"))
    staff.push([staff.seal(b"through the proxy", urgent=True)])
    (opened,) = dsl.open_all(server.demo_key("dsl"))
    assert opened.content == b"through the proxy"

    answer = httpx.get(proxy.url + "/", verify=proxy.trusted())
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
    assert "server" not in answer.headers
    # Plain HTTP is sent to HTTPS, never served.
    plain = httpx.get(f"http://127.0.0.1:{proxy.http_port}/api/v1/keyring")
    assert plain.status_code == 308 and plain.headers["location"].startswith("https://")
    # A body over Lantern's own limit is refused by Caddy before Lantern reads it.
    too_big = httpx.post(proxy.url + "/api/v1/envelopes", content=b"x" * (17 * 1024 * 1024),
                         headers={"content-type": "application/json"}, verify=proxy.trusted())
    assert too_big.status_code == 413


def test_idle_and_slow_clients_wait_in_caddy_and_a_note_goes_on(server, proxy):
    lantern_port = int(server.url.rsplit(":", 1)[1])
    staff = Client(proxy.url)
    staff.enrol(server.code_for("staff"))
    context = proxy.trusted()
    held: list[ssl.SSLSocket] = []
    try:
        for _ in range(200):  # idle: connected, TLS done, nothing asked
            held.append(context.wrap_socket(socket.create_connection(("127.0.0.1", proxy.port)), server_hostname="127.0.0.1"))
        stop = threading.Event()

        def drip(conn: ssl.SSLSocket) -> None:
            conn.sendall(b"POST /api/v1/envelopes HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                         b"content-length: 100000\r\n\r\n{")
            while not stop.wait(0.5):
                try:
                    conn.sendall(b" ")
                except OSError:
                    return

        slow = [context.wrap_socket(socket.create_connection(("127.0.0.1", proxy.port)), server_hostname="127.0.0.1")
                for _ in range(20)]
        held += slow
        drippers = [threading.Thread(target=drip, args=(c,), daemon=True) for c in slow]
        for t in drippers:
            t.start()
        time.sleep(1.5)  # the slow bodies are under way

        # Lantern holds none of them: Caddy keeps each body until it is whole.
        assert established(lantern_port) <= 4
        started = time.monotonic()
        (result,) = staff.push([staff.seal(b"while 220 clients hold the proxy")]).results
        took = time.monotonic() - started
        assert result.status == "stored"
        assert took < 5, f"a note took {took:.1f} s behind idle and slow clients"
        assert established(lantern_port) <= 4
        stop.set()
    finally:
        for conn in held:
            conn.close()


def test_the_systemd_unit_starts_the_server_it_names(tmp_path):
    """The unit's own ExecStart, with the paths of this machine, serves; and systemd finds nothing
    wrong in the unit (systemd-analyze verify, from Debian's systemd package)."""
    unit = UNIT.read_text()
    (exec_start,) = [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart=")]
    command = shlex.split(exec_start)
    assert command[:2] == ["/opt/lantern/bin/lantern", "serve"]
    port = free_port()
    here = [LANTERN, *command[1:]]
    here[here.index("--data-dir") + 1] = str(tmp_path / "lantern")
    here[here.index("--port") + 1] = str(port)
    process = subprocess.Popen(here, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
    finally:
        stop(process)

    local = tmp_path / "lantern.service"
    local.write_text(unit.replace("/opt/lantern/bin/lantern", LANTERN))
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: tests/run installs Debian's systemd package"
    verified = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True)
    problems = [line for line in verified.stderr.splitlines() if "lantern.service" in line]
    assert verified.returncode == 0 and not problems, verified.stderr
