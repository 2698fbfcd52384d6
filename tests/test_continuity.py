"""When the server forgets (docs/protocol.md, "When the server forgets"): restored from last night's
backup, a real server gives its next envelopes numbers past any it handed out before, a device whose
cursor passed what the server now holds pulls again from the start, and the authors' devices send
again what the server no longer has, so that every note any device still holds ends up stored and
pulled, once each. A device that meets another database pulls again from the start."""

from __future__ import annotations

import sqlite3
import uuid

from server.backup import back_up, restore
from sync import envelope
from tests.conftest import backup_key, start_server, stop_server


def records(pulled) -> list[uuid.UUID]:
    return [envelope.parse(p.data).record_id for p in pulled]


def restart(server, *, before=None):
    """Stops the server, changes its files with `before(data_dir)`, and starts it on the same port."""
    stop_server(server)
    if before:
        before(server.data_dir)
    return start_server(server.data_dir, port=int(server.url.rsplit(":", 1)[1]))


def test_a_server_restored_from_a_backup_ends_with_every_note_once_and_no_number_twice(tmp_path):
    server = start_server(tmp_path / "data")
    staff, other, dsl = server.enrolled("staff"), server.enrolled("staff"), server.enrolled("dsl")
    notes = [staff.seal(f"note {i}".encode()) for i in range(5)]
    staff.push(notes[:3])
    backup = tmp_path / "backup.db.age"
    key, recipient = backup_key(tmp_path)
    back_up(server.database, backup, recipient)  # last night's backup: the first three notes
    staff.push(notes[3:])
    seen = dsl.pull_new()
    assert records(seen) == [envelope.parse(n).record_id for n in notes]
    numbers = {p.seq: envelope.parse(p.data).record_id for p in seen}

    server = restart(server, before=lambda data_dir: restore(backup, data_dir / "lantern.db", key))
    try:
        # The DSL's cursor is past everything the server now holds for them: from the start again.
        again = dsl.pull_new()
        assert records(again) == records(seen)[:3] and [p.seq for p in again] == [p.seq for p in seen][:3]

        # A note written after the restore is numbered past every number handed out before it.
        sixth = other.seal(b"note 6")
        other.push([sixth])
        (new,) = dsl.pull_new()
        assert new.seq > max(numbers) and new.data == sixth

        # The author's device asks, learns which two the server lost, and sends them again.
        lost = staff.resend_missing()
        assert lost == records(seen)[3:]
        back = dsl.pull_new()
        assert records(back) == lost and all(p.seq > new.seq for p in back)
        for p in again + [new] + back:  # no number ever named two envelopes
            assert numbers.get(p.seq, envelope.parse(p.data).record_id) == envelope.parse(p.data).record_id
        assert staff.resend_missing() == [] and other.resend_missing() == []
        everything = {envelope.parse(p.data).record_id for p in dsl.pull_all()}
        assert everything == {envelope.parse(n).record_id for n in notes + [sixth]}
    finally:
        stop_server(server)


def test_a_device_that_meets_another_database_pulls_again_from_the_start(tmp_path):
    server = start_server(tmp_path / "data")
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    staff.push([staff.seal(b"one"), staff.seal(b"two")])
    assert len(dsl.pull_new()) == 2
    staff.push([staff.seal(b"three")])
    (before,) = server.query("SELECT value FROM meta WHERE key = 'database_id'")

    def another(data_dir):
        con = sqlite3.connect(data_dir / "lantern.db")
        with con:
            con.execute("UPDATE meta SET value = ? WHERE key = 'database_id'", [str(uuid.uuid4())])
        con.close()

    server = restart(server, before=another)
    try:
        assert server.query("SELECT value FROM meta WHERE key = 'database_id'") != [before]
        # Its cursor means nothing here: everything this database holds for the DSL, from the start.
        assert [p.data for p in dsl.pull_new()] == [p.data for p in dsl.pull_all()] and dsl.cursor.database != before[0]
        assert dsl.pull_new() == []  # and then only what is new
    finally:
        stop_server(server)


def test_a_wal_whose_tail_is_damaged_loses_commits_that_authors_send_again(tmp_path):
    """The server killed, and the last frames of its write-ahead log damaged (a disk that lied about a
    flush): SQLite drops the commits after the damage, silently. What comes next is numbered past
    them, and the authors' devices send again what went."""
    server = start_server(tmp_path / "data")
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    staff.push([staff.seal(b"kept")])
    wal = server.data_dir / "lantern.db-wal"
    kept_size = wal.stat().st_size
    late = [staff.seal(b"late 1"), staff.seal(b"late 2")]
    staff.push(late)
    seen = dsl.pull_new()
    assert len(seen) == 3 and wal.stat().st_size > kept_size
    server.process.kill()
    server.process.wait()

    def damage(data_dir):
        # The frames of the last commits, zeroed: their checksums no longer match.
        with open(data_dir / "lantern.db-wal", "r+b") as f:
            f.seek(kept_size)
            f.write(bytes(wal.stat().st_size - kept_size))

    server = restart(server, before=damage)
    try:
        assert server.query("SELECT COUNT(*) FROM envelopes") == [(1,)]
        assert staff.resend_missing() == [envelope.parse(n).record_id for n in late]
        back = dsl.pull_new()
        assert sorted(p.data for p in back) == sorted(late) and min(p.seq for p in back) > max(p.seq for p in seen)
    finally:
        stop_server(server)
