"""Schema migrations run at start, tested from every earlier version.

For each version the schema has had (each prefix of server.db.migrations), a database is built at that
version with sqlite_utils' `migrations.apply(db, stop_before=...)`, filled with rows written the way that
version's schema allowed (raw SQL with explicit columns, so the rows stay what they were when the code
moves on), then opened by server.db.open_database, which applies the rest. A new migration is tested
from every version before it without touching this file; once a later one exists, the test from it asks
for its SEED_ROWS entry.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from server.db import migrations, open_database
from sync import envelope, keyfiles, keyring
from sync.ids import uuid7
from sync.signing import key_id, public_bytes
from tests.conftest import start_server, stop_server

NAMES = [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))]
WHEN = "2025-01-15T09:30:00.000+00:00"


def seed_m001_foundation(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """What the foundation's `lantern serve --demo` left: a demo school whose team keys sat in
    DEMO-ONLY-keys, a device enrolled by the open demo enrolment, envelopes sealed to the team;
    and another school beside it."""
    demo_school, other_school = uuid.uuid4(), uuid.uuid4()
    db.execute("INSERT INTO schools (id, name, demo) VALUES (?, ?, 1)", [str(demo_school), "Demo School (DEMO ONLY)"])
    db.execute("INSERT INTO schools (id, name, demo) VALUES (?, ?, 0)", [str(other_school), "Old Real School"])
    keys_dir = data_dir / "DEMO-ONLY-keys"
    keys_dir.mkdir()
    (keys_dir / "README.txt").write_text("DEMO ONLY (foundation)\n")
    team = []
    for role in ("dsl", "deputy_dsl"):
        key = keyfiles.new_key()
        keyfiles.save(key, keys_dir / f"DEMO-ONLY-{role}.pem", passphrase=None)
        public = public_bytes(key.public_key())
        db.execute(
            "INSERT INTO recipients (key_id, school_id, role, name, public_key) VALUES (?, ?, ?, ?, ?)",
            [key_id(public).hex(), str(demo_school), role, f"Demo {role} (DEMO ONLY)", public],
        )
        team.append(key.public_key())
    device = keyfiles.new_key()
    device_id = key_id(device.public_key()).hex()
    db.execute(
        "INSERT INTO devices (key_id, school_id, public_key, enrolled_at) VALUES (?, ?, ?, ?)",
        [device_id, str(demo_school), public_bytes(device.public_key()), WHEN],
    )
    for i, urgent in enumerate((False, True)):
        data = envelope.seal(f"foundation note {i}".encode(), school_id=demo_school, record_id=uuid7(),
                             recipients=team, author=device, urgent=urgent)
        header = envelope.parse(data)
        seq = db.execute(
            """INSERT INTO envelopes (record_id, school_id, author_key_id, urgent, data, received_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [str(header.record_id), str(demo_school), device_id, int(urgent), data, WHEN],
        ).lastrowid
        for recipient in header.recipient_key_ids:
            db.execute("INSERT INTO envelope_recipients (key_id, seq) VALUES (?, ?)", [recipient.hex(), seq])
    ctx["other_school"] = other_school


def seed_m002_people_enrolment_keyring(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """A school with a trust key, its people, an enrolled and a revoked device, codes, a signed keyring,
    contacts, a nonce, an envelope sealed to its DSL and that DSL's receipt for it."""
    school = ctx["other_school"]
    trust = keyfiles.new_key()
    db.execute("UPDATE schools SET trust_public_key = ? WHERE id = ?", [public_bytes(trust.public_key()), str(school)])
    dsl_key = keyfiles.new_key()
    dsl_public = public_bytes(dsl_key.public_key())
    dsl, staff = uuid7(), uuid7()
    for person, name, role, recipient_key in ((dsl, "Old DSL", "dsl", dsl_public), (staff, "Old Staff", "staff", None)):
        db.execute(
            """INSERT INTO people (id, school_id, name, role, recipient_public_key, created_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [str(person), str(school), name, role, recipient_key, WHEN],
        )
    db.execute(
        "INSERT INTO recipients (key_id, school_id, role, name, public_key, person_id) VALUES (?, ?, ?, ?, ?, ?)",
        [key_id(dsl_public).hex(), str(school), "dsl", "Old DSL", dsl_public, str(dsl)],
    )
    device, revoked = keyfiles.new_key(), keyfiles.new_key()
    device_id = key_id(device.public_key()).hex()
    for key, person, label, revoked_at in ((device, staff, "staff tablet", None), (revoked, staff, "lost phone", WHEN)):
        db.execute(
            """INSERT INTO devices (key_id, school_id, public_key, enrolled_at, person_id, label, revoked_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [key_id(key.public_key()).hex(), str(school), public_bytes(key.public_key()), WHEN, str(staff), label,
             revoked_at],
        )
    db.execute(
        """INSERT INTO enrolment_codes (secret_hash, school_id, person_id, created_at, expires_at, used_at, device_key_id)
           VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, NULL, NULL)""",
        ["a" * 64, str(school), str(staff), WHEN, WHEN, WHEN, device_id, "b" * 64, str(school), str(dsl), WHEN, WHEN],
    )
    db.execute(
        "INSERT INTO contacts (school_id, kind, name, phone) VALUES (?, 'emergency', 'Emergency services', '999')",
        [str(school)],
    )
    payload = keyring.KeyringPayload(
        v=1, school_id=school, school_name="Old Real School", version=1, issued_at=WHEN,
        recipients=[keyring.KeyringRecipient(key_id=key_id(dsl_public).hex(), person_id=dsl, role="dsl",
                                             name="Old DSL", public_key=dsl_public)],
        contacts=[keyring.Contact(kind="emergency", name="Emergency services", phone="999")],
    )
    signed = keyring.sign(payload, trust)
    db.execute(
        "INSERT INTO keyrings (school_id, version, payload, signature, published_at) VALUES (?, 1, ?, ?, ?)",
        [str(school), signed.payload, signed.signature, WHEN],
    )
    db.execute("INSERT INTO nonces (device_key_id, nonce, expires_at) VALUES (?, ?, ?)", [device_id, "c" * 32, 1736933400])
    data = envelope.seal(b"note from the signed-keyring era", school_id=school, record_id=uuid7(),
                         recipients=[dsl_key.public_key()], author=device)
    seq = db.execute(
        """INSERT INTO envelopes (record_id, school_id, author_key_id, urgent, data, received_at)
           VALUES (?, ?, ?, 0, ?, ?)""",
        [str(envelope.parse(data).record_id), str(school), device_id, data, WHEN],
    ).lastrowid
    db.execute("INSERT INTO envelope_recipients (key_id, seq) VALUES (?, ?)", [key_id(dsl_public).hex(), seq])
    db.execute("INSERT INTO receipts (seq, person_id, opened_at) VALUES (?, ?, ?)", [seq, str(dsl), WHEN])
    ctx.update(dsl=dsl, dsl_key=dsl_key, staff_device=device)


def seed_m003_alerts(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """The DSL's phone subscribed to push, the school's own escalation policy, and an urgent note whose
    alert was pushed, retried once and acknowledged, with its whole audit trail."""
    school, dsl, device = ctx["other_school"], ctx["dsl"], ctx["staff_device"]
    phone = keyfiles.new_key()
    phone_id = key_id(phone.public_key()).hex()
    ctx["dsl_phone"] = phone_id
    db.execute(
        """INSERT INTO devices (key_id, school_id, public_key, enrolled_at, person_id, label, revoked_at)
           VALUES (?, ?, ?, ?, ?, 'DSL phone', NULL)""",
        [phone_id, str(school), public_bytes(phone.public_key()), WHEN, str(dsl)],
    )
    db.execute(
        """INSERT INTO push_subscriptions (device_key_id, school_id, endpoint, p256dh, auth, created_at)
           VALUES (?, ?, 'https://push.example.invalid/send/seed', ?, ?, ?)""",
        [phone_id, str(school), public_bytes(keyfiles.new_key().public_key()), bytes(range(16)), WHEN],
    )
    policy = ('{"steps":[{"after_seconds":0,"roles":["dsl"]},{"after_seconds":60,"roles":["dsl","headteacher"]}],'
              '"repeat_every":600,"stop_after":3600}')
    db.execute("INSERT INTO escalation_policies (school_id, policy, updated_at) VALUES (?, ?, ?)", [str(school), policy, WHEN])
    data = envelope.seal(b"urgent note from the alerts era", school_id=school, record_id=uuid7(),
                         recipients=[ctx["dsl_key"].public_key()], author=device, urgent=True)
    record_id = str(envelope.parse(data).record_id)
    author = key_id(device.public_key()).hex()
    seq = db.execute(
        """INSERT INTO envelopes (record_id, school_id, author_key_id, urgent, data, received_at)
           VALUES (?, ?, ?, 1, ?, ?)""",
        [record_id, str(school), author, data, WHEN],
    ).lastrowid
    db.execute("INSERT INTO envelope_recipients (key_id, seq) VALUES (?, ?)", [key_id(ctx["dsl_key"].public_key()).hex(), seq])
    db.execute("INSERT INTO receipts (seq, person_id, opened_at) VALUES (?, ?, ?)", [seq, str(dsl), WHEN])
    at = 1736933400.0
    alert = str(uuid7())
    db.execute(
        """INSERT INTO alerts (id, school_id, seq, record_id, author_key_id, policy, widen, created_at, step,
               next_due, acknowledged_at, acknowledged_by) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0, NULL, ?, ?)""",
        [alert, str(school), seq, record_id, author, policy, at, at + 30, phone_id],
    )
    db.execute(
        """INSERT INTO alert_deliveries (alert_id, step, device_key_id, state, attempts, next_attempt_at,
               last_status, updated_at) VALUES (?, 0, ?, 'delivered', 2, NULL, 201, ?)""",
        [alert, phone_id, at + 2],
    )
    trail = [
        (at, "created", 0, None, None, "1 device: dsl"), (at, "queued", 0, phone_id, None, ""),
        (at + 0.004, "durable", 0, None, None, ""),
        (at + 0.005, "posted", 0, phone_id, None, "attempt 1"),
        (at + 0.01, "retry_scheduled", 0, phone_id, 503, "HTTP 503; attempt 2 in 2 s"),
        (at + 2, "posted", 0, phone_id, None, "attempt 2"), (at + 2.01, "delivered", 0, phone_id, 201, ""),
        (at + 30, "acknowledged", 0, phone_id, None, "0 pending deliveries cancelled"),
    ]
    for when, kind, step, who, status, detail in trail:
        db.execute(
            """INSERT INTO alert_events (alert_id, at, kind, step, device_key_id, status, detail)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [alert, when, kind, step, who, status, detail],
        )


def seed_m004_recipient_keys(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """The DSL's phone made its own recipient key and proposed it; a draft would now include it."""
    school, dsl, phone_id = ctx["other_school"], ctx["dsl"], ctx["dsl_phone"]
    public = public_bytes(keyfiles.new_key().public_key())
    db.execute(
        """INSERT INTO recipient_keys (key_id, school_id, person_id, device_key_id, public_key, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [key_id(public).hex(), str(school), str(dsl), phone_id, public, WHEN],
    )


def seed_m005_roster(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """The DSL's phone made a roster key and published the school's roster, sealed to it."""
    school, phone_id = ctx["other_school"], ctx["dsl_phone"]
    roster_key = keyfiles.new_key()
    public = public_bytes(roster_key.public_key())
    roster_key_id = key_id(public).hex()
    db.execute(
        "INSERT INTO roster_keys (key_id, school_id, device_key_id, public_key, created_at) VALUES (?, ?, ?, ?, ?)",
        [roster_key_id, str(school), phone_id, public, WHEN],
    )
    db.execute("INSERT INTO rosters (school_id, version, author_key_id, published_at) VALUES (?, 1, ?, ?)",
               [str(school), phone_id, WHEN])
    db.execute(
        """INSERT INTO roster_envelopes (roster_key_id, school_id, version, author_key_id, data, stored_at)
           VALUES (?, ?, 1, ?, ?, ?)""",
        [roster_key_id, str(school), phone_id, b"LNTN sealed roster, as stored", WHEN],
    )


def seed_m006_reminders(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """The DSL's device asked for a clock reminder, one already pushed and one still to come."""
    for rid, sent in (("0" * 32, 1736933400.0), ("f" * 32, None)):
        db.execute("INSERT INTO reminders (id, school_id, person_id, due_at, sent_at) VALUES (?, ?, ?, ?, ?)",
                   [rid, str(ctx["other_school"]), str(ctx["dsl"]), 1736933400.0, sent])


def seed_m007_views(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """The DSL's phone opened the urgent note: one line of its view trail."""
    (seq,) = db.execute("SELECT seq FROM envelopes WHERE school_id = ? AND urgent = 1", [str(ctx["other_school"])]).fetchone()
    db.execute("INSERT INTO views (seq, school_id, person_id, device_key_id, viewed_at) VALUES (?, ?, ?, ?, ?)",
               [seq, str(ctx["other_school"]), str(ctx["dsl"]), ctx["dsl_phone"], 1736933430.0])


def seed_m008_receipt_proofs(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """A note opened by the DSL after receipts carried proofs: its receipt with the proof."""
    school, device = ctx["other_school"], ctx["staff_device"]
    data = envelope.seal(b"a note from the receipts era", school_id=school, record_id=uuid7(),
                         recipients=[ctx["dsl_key"].public_key()], author=device)
    seq = db.execute(
        """INSERT INTO envelopes (record_id, school_id, author_key_id, urgent, data, received_at)
           VALUES (?, ?, ?, 0, ?, ?)""",
        [str(envelope.parse(data).record_id), str(school), key_id(device.public_key()).hex(), data, WHEN],
    ).lastrowid
    db.execute("INSERT INTO envelope_recipients (key_id, seq) VALUES (?, ?)", [key_id(ctx["dsl_key"].public_key()).hex(), seq])
    db.execute("INSERT INTO receipts (seq, person_id, opened_at, proof) VALUES (?, ?, ?, ?)",
               [seq, str(ctx["dsl"]), WHEN, bytes(range(32))])


def seed_m009_database_identity(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """The identity the migration made is this version's one row; it must survive every later one."""
    (ctx["database_id"],) = db.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()


def seed_m010_key_proofs(db: sqlite_utils.Database, data_dir: Path, ctx: dict) -> None:
    """The DSL's phone registered its recipient key again, with its proof, as devices do from this version."""
    db.execute("UPDATE recipient_keys SET proof = ? WHERE device_key_id = ?", [bytes(range(64)), ctx["dsl_phone"]])


# Rows as each version's schema allowed them, written just after that migration ran.
SEED_ROWS = {f.__name__.removeprefix("seed_"): f for f in (
    seed_m001_foundation, seed_m002_people_enrolment_keyring, seed_m003_alerts, seed_m004_recipient_keys,
    seed_m005_roster, seed_m006_reminders, seed_m007_views, seed_m008_receipt_proofs, seed_m009_database_identity,
    seed_m010_key_proofs,
)}


def build_at(version: int, data_dir: Path) -> None:
    """A data directory whose database has the first `version` migrations, and rows from each."""
    data_dir.mkdir(mode=0o700)
    db = sqlite_utils.Database(sqlite3.connect(str(data_dir / "lantern.db")))
    db.execute("PRAGMA journal_mode=WAL")  # as every server version has opened it
    db.execute("PRAGMA foreign_keys=ON")
    ctx: dict = {}
    try:
        for i, name in enumerate(NAMES[:version]):
            if i + 1 < len(NAMES):
                migrations.apply(db, stop_before=NAMES[i + 1])
            else:
                migrations.apply(db)
            assert [m.name for m in migrations.applied(db)] == NAMES[: i + 1]
            if name in SEED_ROWS:
                SEED_ROWS[name](db, data_dir, ctx)
            else:  # the newest migration may wait for its rows until a later one is tested from it
                assert i == len(NAMES) - 1, f"add rows for {name} to SEED_ROWS: the upgrade from it is tested"
            db.conn.commit()
    finally:
        db.close()


def rows(path: Path) -> dict[str, list[dict]]:
    """Every row of every table (but the migrations' own bookkeeping), by table."""
    con = sqlite3.connect(str(path))
    con.row_factory = sqlite3.Row
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [dict(r) for r in con.execute(f'SELECT * FROM "{t}"')] for t in tables
                if t not in ("_sqlite_migrations",)}
    finally:
        con.close()


def schema(path: Path) -> list[tuple]:
    con = sqlite3.connect(str(path))
    try:
        return con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        con.close()


def check_file(path: Path) -> None:
    con = sqlite3.connect(str(path))
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def files(data_dir: Path) -> dict[str, bytes]:
    """The data directory's files but the database's own, by path."""
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in data_dir.rglob("*")
            if p.is_file() and not p.name.startswith("lantern.db")}


def as_tuples(table_rows: list[dict], columns: list[str]) -> list[tuple]:
    return [tuple(r[c] for c in columns) for r in table_rows]


def test_there_are_migrations_and_each_has_seed_rows_but_perhaps_the_newest():
    assert NAMES[:2] == ["m001_foundation", "m002_people_enrolment_keyring"]
    assert set(NAMES[:-1]) <= set(SEED_ROWS) <= set(NAMES)


@pytest.mark.parametrize("version", range(1, len(NAMES) + 1), ids=lambda v: f"from-{NAMES[v - 1]}")
def test_upgrade_from_an_earlier_version(version, tmp_path):
    data_dir = tmp_path / "data"
    database = data_dir / "lantern.db"
    build_at(version, data_dir)
    before = rows(database)
    assert before["envelopes"], "the seed rows wrote no envelope"

    db = open_database(database)  # applies the rest, as the server does at start
    try:
        assert [m.name for m in migrations.applied(db.sqlite)] == NAMES
        assert migrations.pending(db.sqlite) == []
    finally:
        db.close()

    # The schema is exactly the one a new database gets, and every earlier row is there unchanged.
    fresh = tmp_path / "fresh.db"
    open_database(fresh).close()
    assert schema(database) == schema(fresh)
    after = rows(database)
    for table, old in before.items():
        assert table in after, f"table {table} is gone"
        if table == "sqlite_sequence":  # AUTOINCREMENT's high-water marks may rise, never fall
            marks = {r["name"]: r["seq"] for r in after[table]}
            assert all(marks[r["name"]] >= r["seq"] for r in old)
            continue
        if old:  # each old row is still there with the same values (a migration may add rows)
            columns = list(old[0])
            missing = Counter(as_tuples(old, columns)) - Counter(as_tuples(after[table], columns))
            assert not missing, f"rows of {table} changed or went: {list(missing)}"
    check_file(database)

    # A real server starts on the upgraded directory, and the demo flow works end to end.
    kept_files = files(data_dir)
    server = start_server(data_dir)
    try:
        assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
        staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
        note = f"after the upgrade from {NAMES[version - 1]}".encode()
        stored = staff.push([staff.seal(note)]).results[0]
        assert stored.status == "stored"
        assert stored.seq > max(r["seq"] for r in before["envelopes"])  # seq never reused
        assert [o.content for o in dsl.open_all(server.demo_key("dsl"))] == [note]
        staff.close()
        dsl.close()
    finally:
        stop_server(server)

    # What the server kept of the old data: every school and every envelope, byte for byte; and one
    # demo school, with a trust key (a demo school from before signed keyrings is retired, not reused).
    final = rows(database)
    columns = ["seq", "record_id", "data"]
    assert set(as_tuples(before["envelopes"], columns)) <= set(as_tuples(final["envelopes"], columns))
    assert {s["id"] for s in before["schools"]} <= {s["id"] for s in final["schools"]}
    demo = [s for s in final["schools"] if s["demo"]]
    assert len(demo) == 1 and demo[0]["trust_public_key"]
    check_file(database)
    # No file of the data directory is lost (old demo keys may be renamed aside: old notes need them).
    assert set(kept_files.values()) <= set(files(data_dir).values())
