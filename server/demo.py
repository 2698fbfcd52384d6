"""The demo school: a trust key and a safeguarding team whose private keys sit on the server's disk.

DEMO ONLY. A real school's trust key is kept offline by its DSL and its team's recipient keys are made
on their own devices; their private halves never reach the server. These exist so that a new user can
watch a note travel end to end. Every place they appear says so: the school's name, each person's
name, the key files' names and the README beside them.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import msgspec

from server import keyrings, recipient_keys, schools
from server.db import Db
from sync import keyfiles, keyring
from sync.signing import public_bytes

DEMO_SCHOOL_NAME = "Demo Primary School (DEMO ONLY - not for real concerns)"
DEMO_TEAM = (
    ("dsl", "Demo DSL (DEMO ONLY)"),
    ("deputy_dsl", "Demo Deputy DSL (DEMO ONLY)"),
    # They receive allegations against staff (docs/protocol.md, "The keyring"): the headteacher's
    # about other staff, the chair's about the headteacher.
    ("headteacher", "Demo Headteacher (DEMO ONLY)"),
    ("chair_of_governors", "Demo Chair of Governors (DEMO ONLY)"),
)
# Real numbers from the Hull policy in the domain pack, as examples of what a school enters.
DEMO_CONTACTS = (
    ("emergency", "Emergency services", "999"),
    ("police", "Police (non-emergency)", "101"),
    ("front_door", "Example front door: Hull Early Help and Safeguarding Hub (DEMO ONLY)", "01482 448879"),
    ("out_of_hours", "Example out-of-hours: Hull Emergency Duty Team (DEMO ONLY)", "01482 300304"),
    ("lado", "Example LADO (DEMO ONLY)", "01482 790933"),
    # What staff call after 999 (and, for FGM, 101) when a note is urgent: the DSL's own phone. A
    # number Ofcom keeps for drama (01632 960000 to 960999), so the demo never rings anyone.
    ("dsl", "Demo DSL (DEMO ONLY)", "01632 960001"),
)
# DEMO ONLY: how many keys made on devices the demo keeps per person. Anyone with a demo code for the
# demo DSL enrols as them, and each such browser proposes a key; an envelope holds at most 16.
DEMO_KEYS_PER_PERSON = 3
KEYS_DIR = "DEMO-ONLY-keys"
WARNING = """DEMO ONLY. These are the private keys of the demo school's trust key and safeguarding team.
They exist so that you can watch a note travel from a staff device to the DSL and be opened.
Anyone who can read this folder can read every note sent to the demo school, and sign its keyring.
Never record a real concern in the demo school.
"""


def demo_key_path(data_dir: Path, role: str) -> Path:
    return data_dir / KEYS_DIR / f"DEMO-ONLY-{role}.pem"


def ensure_demo_school(db: Db, data_dir: Path) -> uuid.UUID:
    """Creates the demo school on first start; later starts find it and change nothing."""
    existing = schools.demo_school(db)
    if existing and existing["trust_public_key"]:
        school_id = uuid.UUID(existing["id"])
        _complete_team(db, data_dir, school_id)
        return school_id
    keys_dir = data_dir / KEYS_DIR
    if existing:
        # A demo school from before signed keyrings: retire it (and its keys) rather than patch it.
        with db.write() as s:
            s.execute("UPDATE schools SET demo = 0, name = ? WHERE id = ?", [existing["name"] + " (retired demo)", existing["id"]])
        if keys_dir.exists():
            keys_dir.rename(data_dir / f"{KEYS_DIR}.retired-{int(time.time())}")
    keys_dir.mkdir(mode=0o700)
    (keys_dir / "README.txt").write_text(WARNING)

    trust = keyfiles.new_key()
    keyfiles.save(trust, demo_key_path(data_dir, "trust"), passphrase=None)
    school_id = schools.create_school(db, DEMO_SCHOOL_NAME, public_bytes(trust.public_key()), demo=True)
    for role, name in DEMO_TEAM:
        _add_member(db, data_dir, school_id, role, name)
    for kind, name, phone in DEMO_CONTACTS:
        schools.add_contact(db, school_id, kind, name, phone)
    _publish_next(db, school_id, trust)
    return school_id


def _publish_next(db: Db, school_id: uuid.UUID, trust) -> None:
    """Signs the next keyring version with the demo trust key, current for the usual period."""
    keyrings.publish(db, school_id, keyring.sign(keyring.valid_for(keyrings.draft(db, school_id)), trust))


def _add_member(db: Db, data_dir: Path, school_id: uuid.UUID, role: str, name: str) -> None:
    recipient = keyfiles.new_key()
    keyfiles.save(recipient, demo_key_path(data_dir, role), passphrase=None)
    schools.add_person(db, school_id, name, role, public_bytes(recipient.public_key()))


def _complete_team(db: Db, data_dir: Path, school_id: uuid.UUID) -> None:
    """A demo school made before the headteacher and chair joined the demo team gets them, and one
    made before a demo contact was added gets that contact, in a new keyring version signed with the
    demo trust key, so allegations and the urgent call list can be tried there too."""
    roles = {p["role"] for p in schools.list_people(db, school_id) if p["recipient_public_key"]}
    missing = [(role, name) for role, name in DEMO_TEAM if role not in roles]
    have = {(c["kind"], c["name"]) for c in schools.list_contacts(db, school_id)}
    contacts = [c for c in DEMO_CONTACTS if (c[0], c[1]) not in have]
    trust_path = demo_key_path(data_dir, "trust")
    if not (missing or contacts) or not trust_path.exists():
        return
    trust = keyfiles.load(trust_path)
    if any(demo_key_path(data_dir, role).exists() for role, _ in missing):
        return  # a key file without its person: not a directory this code made; leave it as it is
    for role, name in missing:
        _add_member(db, data_dir, school_id, role, name)
    for kind, name, phone in contacts:
        schools.add_contact(db, school_id, kind, name, phone)
    _publish_next(db, school_id, trust)


RENEW_BEFORE = timedelta(days=7)

# Two devices proposing keys at once would both draft the same next version; one at a time.
_signing = threading.Lock()


def sign_proposed_keys(db: Db, data_dir: Path, school_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """DEMO ONLY: signs the next keyring version with the demo trust key as soon as a demo team
    member's device proposes its own recipient key, so that the staff devices seal to that browser's
    key at their next sync, with nobody running `lantern trust sign`. A real school's trust key is
    offline with its DSL and the server can never do this (docs/threat-model.md)."""
    trust_path = demo_key_path(data_dir, "trust")
    if not trust_path.exists():
        return
    with _signing:
        recipient_keys.retire_oldest(db, person_id, DEMO_KEYS_PER_PERSON)
        trust = keyfiles.load(trust_path)
        _publish_next(db, school_id, trust)


def renew_if_due(db: Db, data_dir: Path, school_id: uuid.UUID) -> None:
    """DEMO ONLY: signs the next version when the current one expires within RENEW_BEFORE, as a trust
    key holder's app would while it is used (docs/protocol.md, "Fresh keyrings"), so a demo server
    left running never shows its devices an expired keyring."""
    held = keyrings.current(db, school_id)
    trust_path = demo_key_path(data_dir, "trust")
    if held is None or not trust_path.exists():
        return
    when = keyring.expires(msgspec.json.decode(held.payload, type=keyring.KeyringPayload))
    if when is None or when - datetime.now(timezone.utc) > RENEW_BEFORE:
        return
    with _signing:
        if keyrings.current(db, school_id) == held:  # not renewed meanwhile
            _publish_next(db, school_id, keyfiles.load(trust_path))


def load_demo_key(data_dir: Path, role: str = "dsl"):
    return keyfiles.load(demo_key_path(data_dir, role))


def demo_person(db: Db, school_id: uuid.UUID, role: str) -> dict:
    return next(p for p in schools.list_people(db, school_id) if p["role"] == role)
