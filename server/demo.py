"""The demo school: a safeguarding team whose private keys sit on the server's disk.

DEMO ONLY. A real school's recipient keys are made on the team's own devices and their private
halves never reach the server; these exist so that a new user can watch a note travel end to end.
Every place they appear says so: the school's name, each team member's name, the key files' names
and the README beside them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.store import Store
from sync.envelope import public_bytes
from sync.ids import uuid7

DEMO_SCHOOL_NAME = "Demo Primary School (DEMO ONLY - not for real concerns)"
DEMO_TEAM = (
    ("dsl", "Demo DSL (DEMO ONLY)"),
    ("deputy_dsl", "Demo Deputy DSL (DEMO ONLY)"),
)
KEYS_DIR = "DEMO-ONLY-keys"
WARNING = """DEMO ONLY. These are the private keys of the demo school's safeguarding team.
They exist so that you can watch a note travel from a staff device to the DSL and be opened.
Anyone who can read this folder can read every note sent to the demo school.
Never record a real concern in the demo school.
"""


def demo_key_path(data_dir: Path, role: str) -> Path:
    return data_dir / KEYS_DIR / f"DEMO-ONLY-{role}.pem"


def ensure_demo_school(store: Store, data_dir: Path) -> uuid.UUID:
    """Creates the demo school on first start; later starts find it and change nothing."""
    existing = store.demo_school()
    if existing:
        return uuid.UUID(existing["id"])
    school_id = uuid7()
    keys_dir = data_dir / KEYS_DIR
    keys_dir.mkdir(mode=0o700, exist_ok=True)
    (keys_dir / "README.txt").write_text(WARNING)
    store.add_school(school_id, DEMO_SCHOOL_NAME, demo=True)
    for role, name in DEMO_TEAM:
        key = ec.generate_private_key(ec.SECP256R1())
        path = demo_key_path(data_dir, role)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        path.chmod(0o600)
        store.add_recipient(school_id, role, name, public_bytes(key.public_key()))
    return school_id


def load_demo_key(data_dir: Path, role: str = "dsl") -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(demo_key_path(data_dir, role).read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key
