"""What only the PostgreSQL backend has to show (the rest of the server suite runs on it too:
tests/conftest.py, BOTH_DATABASES): a schema that is SQLite's, one for one; databases it must not touch
refused with a sentence; a connection lost under it; and several `lantern serve` processes on one
database, as a trust hosting many schools runs them (docs/hosting.md)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import httpx
import psycopg
import pytest

from server.continuity import SEQ_PER_SECOND
from server.db import open_database
from server.postgres_schema import MIGRATIONS
from sync.client import ApiError
from tests.conftest import free_port, start_server, stop_server
from tests.test_cli import lantern


def sqlite_columns(path: Path) -> dict[str, list[str]]:
    con = sqlite3.connect(path)
    try:
        tables = [name for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\'")]
        return {table: [c[1] for c in con.execute(f"PRAGMA table_info({table})")] for table in tables}
    finally:
        con.close()


def postgres_columns(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as con:
        rows = con.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name <> 'lantern_migrations' AND column_name <> 'rowid'
               ORDER BY table_name, ordinal_position""").fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


def test_both_databases_end_with_the_same_tables_and_columns(postgres_cluster, tmp_path):
    open_database(tmp_path / "lantern.db").close()
    url = postgres_cluster.new_database()
    open_database(url).close()
    sqlite = sqlite_columns(tmp_path / "lantern.db")
    assert len(sqlite) >= 20
    assert postgres_columns(url) == sqlite
    with psycopg.connect(url) as con:
        applied = [name for (name,) in con.execute("SELECT name FROM lantern_migrations ORDER BY applied_at, name")]
    assert applied == [name for name, _ in MIGRATIONS]


def test_opening_again_applies_nothing_and_keeps_the_identity(postgres_cluster):
    url = postgres_cluster.new_database()
    first = open_database(url)
    with first.read() as s:
        (identity,) = s.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()
    first.close()
    again = open_database(url)
    with again.read() as s:
        assert s.execute("SELECT value FROM meta").fetchall() == [(identity,)]
    again.close()


def serve_refused(tmp_path: Path, url: str) -> str:
    result = lantern("serve", "--data-dir", str(tmp_path / "data"), "--port", str(free_port()), "--database", url, ok=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_database_that_is_not_lanterns_is_refused_untouched(postgres_cluster, tmp_path):
    url = postgres_cluster.new_database()
    with psycopg.connect(url) as con:
        con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    assert "is not Lantern's" in serve_refused(tmp_path, url)
    assert set(postgres_columns(url)) == {"invoices"}


def test_a_newer_schema_is_refused(postgres_cluster, tmp_path):
    url = postgres_cluster.new_database()
    open_database(url).close()
    with psycopg.connect(url) as con:
        con.execute("INSERT INTO lantern_migrations (name) VALUES ('m999_from_the_future')")
    assert "newer Lantern" in serve_refused(tmp_path, url)


def test_a_size_limit_is_refused_with_a_sentence(postgres_cluster, tmp_path):
    result = lantern("serve", "--data-dir", str(tmp_path / "data"), "--port", str(free_port()),
                     "--database", postgres_cluster.new_database(), ok=False, env={"LANTERN_MAX_DATABASE_MB": "100"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "limits the embedded SQLite database only" in result.stderr


def test_an_unreachable_database_is_a_sentence_without_its_password(tmp_path):
    said = serve_refused(tmp_path, f"postgresql://lantern:hunter2-secret@127.0.0.1:{free_port()}/lantern")
    assert "cannot reach its PostgreSQL database lantern on 127.0.0.1" in said
    assert "hunter2" not in said


def test_the_admin_cli_works_on_it_and_its_backup_points_elsewhere(server_on_postgres):
    server = server_on_postgres
    listed = lantern(*server.admin, "school", "list").stdout
    assert str(server.demo_school_id()) in listed
    # --database after the sub-command, where people put it, as --data-dir may be.
    again = lantern("admin", "school", "list", "--database", server.database_url).stdout
    assert again == listed
    refused = lantern(*server.admin, "backup", "--out", str(server.data_dir / "b.db"), ok=False)
    assert refused.returncode == 2 and "PostgreSQL's own base backups" in refused.stderr
    assert not (server.data_dir / "b.db").exists()


def test_a_lost_connection_is_a_503_and_the_next_request_connects_again(server_on_postgres):
    """As after a failover to a standby, which may lack the primary's last commits: the process connects
    again, and numbers what comes next past anything it could have handed out (server/continuity.py)."""
    server = server_on_postgres
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    (before,) = staff.push([staff.seal(b"before")]).results
    with psycopg.connect(server.database_url, autocommit=True) as con:
        cut = con.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE application_name = 'lantern' AND datname = current_database()").fetchone()[0]
    assert cut >= 1
    answers = [httpx.get(server.url + "/healthz").status_code for _ in range(2)]
    assert answers in ([503, 200], [200, 200])  # the cut is seen on first use, or the client reconnected first
    (after,) = staff.push([staff.seal(b"after")]).results
    assert after.status == "stored"
    assert after.seq >= before.seq + SEQ_PER_SECOND
    assert len(list(dsl.open_all(server.demo_key("dsl")))) == 2


def through(client, server) -> None:
    """The client's next requests go to this process, as a proxy in front of several may send them."""
    client._http.base_url = server.url


def test_a_read_only_database_is_a_503_that_says_so_and_nothing_is_acknowledged(server_on_postgres):
    """As when a failover leaves Lantern on a standby's address: health and writes say so; once the
    database takes writes again, so does Lantern, numbering past what it handed out."""
    server = server_on_postgres
    staff = server.enrolled("staff")
    (before,) = staff.push([staff.seal(b"before")]).results
    dbname = server.database_url.rsplit("/", 1)[1]

    def set_read_only(on: bool) -> None:
        with psycopg.connect(server.database_url, autocommit=True) as con:
            con.execute("SET default_transaction_read_only = off")  # this session writes, whatever the default
            con.execute(f"ALTER DATABASE {dbname} SET default_transaction_read_only = {'on' if on else 'off'}")
            con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'lantern' AND datname = current_database()")

    set_read_only(True)
    health = [httpx.get(server.url + "/healthz") for _ in range(2)][-1]  # the first may meet the cut
    assert (health.status_code, health.json()["error"]) == (503, "database_unavailable")
    assert "read-only" in health.json()["detail"]
    with pytest.raises(ApiError) as refused:
        staff.push([staff.seal(b"while read-only")])
    assert (refused.value.status, refused.value.code) == (503, "database_unavailable")
    assert "read-only" in refused.value.detail
    assert server.query("SELECT COUNT(*) FROM envelopes") == [(1,)]

    set_read_only(False)
    assert [httpx.get(server.url + "/healthz").status_code for _ in range(2)][-1] == 200
    (after,) = staff.push([staff.seal(b"after")]).results
    assert after.status == "stored" and after.seq >= before.seq + SEQ_PER_SECOND
    assert "Traceback" not in server.log.read_text()


def test_two_processes_on_one_database_hand_out_every_envelope_once(server_on_postgres, tmp_path):
    """Authors pushing through two processes at once, a DSL pulling through either as they go: each
    envelope reaches the DSL exactly once, none skipped by a cursor that passed it (server/postgres.py)."""
    first = server_on_postgres
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    # What a second process must share with the first (docs/hosting.md): the push key, and for the
    # demo school its demo keys.
    shutil.copy(first.data_dir / "vapid-private.pem", second_dir / "vapid-private.pem")
    shutil.copytree(first.data_dir / "DEMO-ONLY-keys", second_dir / "DEMO-ONLY-keys")
    second = start_server(second_dir, database=first.database_url)
    try:
        assert httpx.get(second.url + "/api/v1/push/key").json() == httpx.get(first.url + "/api/v1/push/key").json()
        authors = [first.enrolled("staff") for _ in range(4)]
        for i, author in enumerate(authors):
            through(author, (first, second)[i % 2])
        dsl = first.enrolled("dsl")
        sent: list[bytes] = []
        lock = threading.Lock()

        def send(author) -> None:
            for n in range(15):
                sealed = [author.seal(f"note {n}".encode()) for _ in range(3)]
                author.push(sealed)
                with lock:
                    sent.extend(sealed)

        threads = [threading.Thread(target=send, args=(a,)) for a in authors]
        for t in threads:
            t.start()
        pulled: list[bytes] = []
        turn = 0
        while any(t.is_alive() for t in threads):
            through(dsl, (first, second)[turn % 2])
            pulled += [p.data for p in dsl.pull_new()]
            turn += 1
        for t in threads:
            t.join()
        pulled += [p.data for p in dsl.pull_new()]
        assert turn > 3  # it pulled while pushes went on
        assert len(sent) == 4 * 15 * 3
        assert sorted(pulled) == sorted(sent)
        assert len(set(pulled)) == len(pulled)
    finally:
        stop_server(second)
