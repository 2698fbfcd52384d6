"""Faults that lose nothing and say what happened (issue 10, item 2): a real `lantern serve` on a real
SQLite file, given bodies it must refuse, data folders and databases it must not start on, and a
database file removed or replaced under it while it runs. Never a traceback, never an acknowledgement
for what is not on disk."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import time

import httpx
import pytest

from sync.client import ApiError
from tests.conftest import free_port, start_server, stop_server
from tests.test_cli import LANTERN


def serve(data_dir) -> subprocess.CompletedProcess:
    """`lantern serve` on a folder it must refuse: it exits at once, with a sentence."""
    return subprocess.run([LANTERN, "serve", "--port", str(free_port()), "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=30)


def refused_with_a_sentence(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_json_is_refused_415_before_it_is_read(server, content_type):
    body = b'{"code": "AAAA", "device_public_key": "AAAA", "proof": "AAAA", "label": "x"}'
    headers = {"content-type": content_type} if content_type else {}
    for path in ("/api/v1/enrol", "/api/v1/envelopes"):
        answer = httpx.post(server.url + path, content=body, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (415, "unsupported_media_type"), path
    # The same body said to be JSON is read (and refused for what it says).
    answer = httpx.post(server.url + "/api/v1/enrol", content=body, headers={"content-type": "application/json; charset=utf-8"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_a_body_nested_too_deeply_is_a_400_not_a_crash(server):
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in ("/api/v1/enrol", "/api/v1/envelopes"):
        answer = httpx.post(server.url + path, content=deep, headers={"content-type": "application/json"})
        assert answer.status_code in (400, 401), (path, answer.text)
        assert answer.json()["error"] in ("invalid_request", "unauthenticated")
    answer = httpx.post(server.url + "/api/v1/enrol", content=deep, headers={"content-type": "application/json"})
    assert answer.json() == {"error": "invalid_request", "detail": "the body is nested too deeply"}
    assert "RecursionError" not in server.log.read_text() and "Traceback" not in server.log.read_text()
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_a_data_folder_lantern_cannot_write_in_stops_it_with_a_sentence(tmp_path):
    # Where its folder would be is a file: the folder cannot be made (as root, permissions would not
    # stop it, so this is the way a test can be refused by the file system on any machine).
    (tmp_path / "taken").write_text("not a folder")
    refused_with_a_sentence(serve(tmp_path / "taken" / "data"), "Lantern cannot write in its data folder", "--data-dir")


def test_a_file_that_is_not_a_database_stops_it_and_is_left_as_it_was(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "lantern.db").write_bytes(b"a spreadsheet, perhaps" * 100)
    refused_with_a_sentence(serve(data), "is not a SQLite database")
    assert (data / "lantern.db").read_bytes() == b"a spreadsheet, perhaps" * 100


def test_a_database_that_is_not_lanterns_stops_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "lantern.db") as other:
        other.execute("CREATE TABLE invoices (id INTEGER)")
    refused_with_a_sentence(serve(data), "not Lantern's")
    refused_with_a_sentence(
        subprocess.run([LANTERN, "admin", "--data-dir", str(data), "school", "list"], capture_output=True, text=True),
        "not Lantern's")


def test_a_database_from_a_newer_lantern_stops_it_and_the_admin_cli(tmp_path):
    data = tmp_path / "data"
    stop_server(start_server(data))  # a real Lantern database
    with sqlite3.connect(data / "lantern.db") as db:
        db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('lantern', 'm099_from_the_future', 'x')")
    refused_with_a_sentence(serve(data), "newer Lantern", "m099_from_the_future")
    refused_with_a_sentence(
        subprocess.run([LANTERN, "admin", "--data-dir", str(data), "school", "list"], capture_output=True, text=True),
        "newer Lantern")


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_database_file_gone_under_the_running_server_refuses_writes_and_fails_health(server, how):
    staff = server.enrolled("staff")
    assert staff.push([staff.seal(b"before")]).results[0].status == "stored"
    database = server.data_dir / "lantern.db"
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    if how == "replaced":  # a restore copied in under it: another file at the same path
        sqlite3.connect(database).close()
    health = httpx.get(server.url + "/healthz")
    assert (health.status_code, health.json()["error"]) == (503, "database_unavailable")
    assert "removed or replaced" in health.json()["detail"]
    with pytest.raises(ApiError) as raised:
        staff.push([staff.seal(b"after: must not be acknowledged")])
    assert (raised.value.status, raised.value.code) == (503, "database_unavailable")
    assert "Traceback" not in server.log.read_text()


@pytest.mark.parametrize("extra", [
    [f"X-Header-{i}: v" for i in range(150)],  # too many
    ["X-Big: " + "a" * 40_000],  # too big
])
def test_a_request_head_past_the_bounds_is_refused_431(server, extra):
    port = int(server.url.rsplit(":", 1)[1])
    head = "\r\n".join(["GET /healthz HTTP/1.1", "Host: x", *extra, "Connection: close"]) + "\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head.encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
    assert b'"error":"headers_too_large"' in answer
    assert httpx.get(server.url + "/healthz").status_code == 200  # the usual head still passes


def test_a_full_disk_refuses_what_can_wait_and_stores_an_urgent_note_and_its_receipt(tmp_path):
    """A database quota stands for the disk: SQLite meets it exactly as a full disk (SQLITE_FULL)."""
    data = tmp_path / "data"
    server = start_server(data, env={"LANTERN_MAX_DATABASE_MB": "2"})
    back = None
    try:
        staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
        stored = []
        with pytest.raises(ApiError) as raised:
            for _ in range(200):
                batch = [staff.seal(b"a note that can wait " * 150) for _ in range(10)]
                stored += [r.record_id for r in staff.push(batch).results if r.status == "stored"]
        assert (raised.value.status, raised.value.code) == (507, "storage_full") and len(stored) > 20
        health = httpx.get(server.url + "/healthz")
        assert (health.status_code, health.json()["error"]) == (507, "storage_full")
        assert len(list(dsl.pull_all())) == len(stored)  # reads go on
        with pytest.raises(ApiError) as again:
            staff.push([staff.seal(b"still waiting")])
        assert again.value.code == "storage_full"

        urgent = staff.seal(b"urgent, even now", urgent=True)
        assert staff.push([urgent]).results[0].status == "stored"
        (opened,) = [o for o in dsl.open_all(server.demo_key("dsl")) if o.content == b"urgent, even now"]
        dsl.acknowledge([opened])
        assert staff.status([opened.header.record_id])[opened.header.record_id].opened
        assert server.query("SELECT COUNT(*) FROM alerts WHERE acknowledged_at IS NOT NULL") == [(1,)]
        assert "storage full at" in server.log.read_text() and "Traceback" not in server.log.read_text()

        port = int(server.url.rsplit(":", 1)[1])
        stop_server(server)
        back = start_server(data, env={"LANTERN_MAX_DATABASE_MB": "2"}, port=port)
        held = {o.header.record_id for o in dsl.open_all(back.demo_key("dsl"))}  # the same port: the same client
        assert held == set(stored) | {opened.header.record_id}  # every acknowledged note, once
    finally:
        stop_server(back or server)


def test_a_client_that_sends_its_request_slowly_is_cut_off_and_others_are_served(tmp_path):
    """A head dripped a byte at a time (slowloris) gets 408 request_timeout at its deadline; a body
    slower than the minimum rate has its connection closed; a whole request is answered as ever."""
    env = {"LANTERN_REQUEST_HEAD_SECONDS": "1", "LANTERN_REQUEST_BODY_BYTES_PER_SECOND": "1000"}
    server = start_server(tmp_path / "data", env=env)
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    try:
        slow = socket.create_connection((host, port))
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        slow.settimeout(10)
        answer = b""
        while chunk := slow.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408") and b'"request_timeout"' in answer
        assert 0.9 <= time.monotonic() - started < 5
        slow.close()

        dripping = socket.create_connection((host, port))
        dripping.sendall(b"POST /api/v1/status HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                         b"content-length: 2000\r\n\r\n{")
        started = time.monotonic()
        dripping.settimeout(10)
        assert dripping.recv(4096) == b""  # closed, once 1 s + 2000 bytes at 1000 a second have passed
        assert 2.5 <= time.monotonic() - started < 8
        dripping.close()

        # A connection left idle after an answer is closed at the deadline, with nothing written to it.
        with httpx.Client() as client:
            assert client.get(server.url + "/healthz").status_code == 200
            time.sleep(1.5)
            assert client.get(server.url + "/healthz").status_code == 200  # on a new connection
        idle = socket.create_connection((host, port))
        idle.settimeout(10)
        assert idle.recv(4096) == b""
        idle.close()
    finally:
        stop_server(server)
