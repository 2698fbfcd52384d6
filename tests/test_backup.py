"""Backups that restore, and TLS (docs/admin.md, "Backing up and restoring", "Serving HTTPS"): `lantern
admin backup` copies the live database while notes arrive, checked whole; `lantern admin restore` puts
one back only with the server stopped, keeping what it replaces; the restored server serves what the
backup held; one server per data folder; `lantern serve` serves HTTPS from a certificate and key."""

from __future__ import annotations

import sqlite3
import ssl
import subprocess
import threading
import time

import httpx

from tests.conftest import free_port, start_server, stop_server
from tests.local_ca import LocalCA
from tests.test_cli import LANTERN, lantern


def test_a_backup_taken_while_notes_arrive_restores_to_a_server_that_serves_it(tmp_path):
    server = start_server(tmp_path / "data")
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    staff.push([staff.seal(b"first")])
    pushing, pushed = threading.Event(), []

    def push() -> None:
        while not pushing.is_set():
            note = staff.seal(b"during the backup")
            staff.push([note])
            pushed.append(note)

    # The backup key is made away from the server, which is given only its public half.
    made = lantern("keys", "backup", "--out", str(tmp_path / "backup-key.txt")).stdout
    recipient = made.split()[-1]
    assert recipient.startswith("age1") and (tmp_path / "backup-key.txt").stat().st_mode & 0o777 == 0o600
    backup = tmp_path / "monday.db.age"
    pusher = threading.Thread(target=push)
    pusher.start()
    try:
        time.sleep(0.2)
        out = lantern("admin", "backup", "--data-dir", str(server.data_dir), "--out", str(backup),
                      env={"LANTERN_BACKUP_RECIPIENT": recipient}).stdout
    finally:
        pushing.set()
        pusher.join()
    assert "checked whole" in out and "encrypted" in out and "vapid-private.pem" in out
    assert sorted(p.name for p in server.data_dir.iterdir() if "backup" in p.name) == []  # no clear copy left

    # Encrypted at rest: nothing of the database readable in the file, which Debian's age opens with the key.
    sealed = backup.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1\n")
    for clear in (b"SQLite format 3", b"Demo DSL", str(server.demo_school_id()).encode()):
        assert clear not in sealed and clear in server.stored()
    subprocess.run(["age", "--decrypt", "--identity", str(tmp_path / "backup-key.txt"), "--output",
                    str(tmp_path / "opened.db"), str(backup)], check=True)
    opened = sqlite3.connect(tmp_path / "opened.db")
    (held,) = opened.execute("SELECT COUNT(*) FROM envelopes").fetchone()
    assert opened.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert opened.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    opened.close()
    assert 1 <= held <= 1 + len(pushed) and f"{held} envelope(s)" in out

    # Never unencrypted, never over another file; never under a running server.
    plain = lantern("admin", "backup", "--data-dir", str(server.data_dir), "--out", str(tmp_path / "plain.db"), ok=False)
    assert plain.returncode == 2 and "--recipient" in plain.stderr and not (tmp_path / "plain.db").exists()
    again = lantern("admin", "backup", "--data-dir", str(server.data_dir), "--out", str(backup), "--recipient", recipient, ok=False)
    assert again.returncode == 2 and "will not write over it" in again.stderr
    refused = lantern("admin", "restore", "--data-dir", str(server.data_dir), str(backup), "--key", str(tmp_path / "backup-key.txt"), ok=False)
    assert refused.returncode == 2 and "stop it before restoring" in refused.stderr
    assert server.query("SELECT COUNT(*) FROM envelopes") == [(1 + len(pushed),)]

    port = int(server.url.rsplit(":", 1)[1])
    stop_server(server)
    before = server.database.read_bytes()
    lantern("keys", "backup", "--out", str(tmp_path / "another-key.txt"))
    for key, said in ((None, "is encrypted: give its backup key with --key"), (tmp_path / "another-key.txt", "does not open with")):
        result = lantern("admin", "restore", "--data-dir", str(server.data_dir), str(backup),
                         *(("--key", str(key)) if key else ()), ok=False)
        assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr
    assert server.database.read_bytes() == before
    restored = lantern("admin", "restore", "--data-dir", str(server.data_dir), str(backup), "--key", str(tmp_path / "backup-key.txt")).stdout
    assert f"{held} envelope(s)" in restored and "is kept as" in restored
    (aside,) = server.data_dir.glob("lantern.db.before-restore-*[0-9]")
    kept = sqlite3.connect(aside)
    assert kept.execute("SELECT COUNT(*) FROM envelopes").fetchone() == (1 + len(pushed),)  # nothing deleted
    kept.close()
    server = start_server(server.data_dir, port=port)
    try:
        assert server.query("SELECT COUNT(*) FROM envelopes") == [(held,)]
        assert len(list(dsl.pull_all())) == held
        assert len(staff.resend_missing()) == 1 + len(pushed) - held  # what came after the backup goes again
        assert server.query("SELECT COUNT(*) FROM envelopes") == [(1 + len(pushed),)]
    finally:
        stop_server(server)


def test_what_is_not_a_lantern_backup_is_refused_and_the_database_left(tmp_path):
    server = start_server(tmp_path / "data")
    stop_server(server)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    before = server.database.read_bytes()
    for path, said in ((other, "not Lantern's"), (tmp_path / "missing.db", "no backup at")):
        result = lantern("admin", "restore", "--data-dir", str(server.data_dir), str(path), ok=False)
        assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr
    assert server.database.read_bytes() == before


def test_one_server_per_data_folder(tmp_path):
    server = start_server(tmp_path / "data")
    try:
        second = lantern("serve", "--data-dir", str(server.data_dir), "--port", str(free_port()), ok=False)
        assert second.returncode == 2 and "one server per data folder" in second.stderr
    finally:
        stop_server(server)


def test_lantern_serves_https_from_a_certificate_and_key(tmp_path):
    ca = LocalCA(tmp_path)
    cert_file, key_file, _ = ca.issue("127.0.0.1")
    port = free_port()
    data = tmp_path / "data"
    process = subprocess.Popen(
        [LANTERN, "serve", "--demo", "--port", str(port), "--data-dir", str(data),
         "--tls-cert", str(cert_file), "--tls-key", str(key_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    trusted = ssl.create_default_context(cafile=str(ca.file))
    try:
        url = f"https://127.0.0.1:{port}"
        for _ in range(200):
            try:
                answer = httpx.get(url + "/healthz", verify=trusted, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer.status_code == 200
        assert httpx.get(url + "/", verify=trusted).status_code == 200
        assert (data / "served-at.txt").read_text().strip() == url
    finally:
        process.terminate()
        process.wait(timeout=10)

    wrong = lantern("serve", "--data-dir", str(tmp_path / "d2"), "--tls-cert", str(cert_file),
                    "--tls-key", str(cert_file), ok=False)
    assert wrong.returncode == 2 and "cannot be used" in wrong.stderr and "Traceback" not in wrong.stderr
    half = lantern("serve", "--data-dir", str(tmp_path / "d2"), "--tls-cert", str(cert_file), ok=False)
    assert half.returncode == 2 and "both --tls-cert and --tls-key" in half.stderr
