"""Fresh keyrings (docs/protocol.md, "Fresh keyrings" and "Enrolment"): a code names the keyring version
it was issued under, so a new device refuses an older one from a server that replays it; a keyring
carries its expiry, after which a device still seals to it and says so; the server refuses to publish
an expired one; the demo renews its own before it expires.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from server import keyrings
from server.errors import Refused
from sync import codes, keyfiles, keyring, wire
from sync.client import Client
from sync.signing import public_bytes
from tests.hostile.proxy import Exchange, Lie, json_body, set_json
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL

ENROL = "/api/v1/enrol"
KEYRING = "/api/v1/keyring"


def sign_next(server, period: timedelta, *, now: datetime | None = None, publish: bool = True) -> keyring.SignedKeyring:
    """The demo trust key holder signs the next version, current for `period` from `now`."""
    db = server.db()
    try:
        payload = keyring.valid_for(keyrings.draft(db, server.demo_school_id()), period, now=now)
        signed = keyring.sign(payload, server.demo_key("trust"))
        if publish:
            keyrings.publish(db, server.demo_school_id(), signed)
        return signed
    finally:
        db.close()


def test_a_code_carries_its_keyring_version_and_catches_a_typo():
    code = codes.new_code(os.urandom(65), 12)
    assert codes.parse_code(code.text()) == code and len(code.text().replace("-", "")) == 40
    text = code.text().replace("-", "")
    wrong = text[:5] + ("B" if text[5] != "B" else "C") + text[6:]
    with pytest.raises(ValueError, match="mistyped"):
        codes.parse_code(wrong)
    old = codes.Code(code.secret, code.fingerprint)  # a 32-character code from before: any version
    assert codes.parse_code(old.text().replace("-", "")[:32]).min_keyring_version == 0


def test_a_new_device_refuses_a_keyring_older_than_its_code(server, hostile):
    recorded: list[bytes] = []
    hostile.rule("POST", ENROL, lambda ex: recorded.append(ex.body), times=1)
    first = Client(hostile.url)
    first.enrol(server.code_for("staff"))  # the honest answer, with keyring version 1, kept by the proxy
    sign_next(server, keyring.VALIDITY)
    code = server.code_for("staff")
    assert codes.parse_code(code).min_keyring_version == 2

    def replay_version_1(ex: Exchange) -> None:
        set_json(ex, msgspec.structs.replace(
            json_body(ex, wire.Enrolment), keyring=msgspec.json.decode(recorded[0], type=wire.Enrolment).keyring))

    lie = Lie(replay_version_1)
    hostile.rule("POST", ENROL, lie, times=1)
    device = Client(hostile.url)
    with pytest.raises(keyring.KeyringError) as raised:
        device.enrol(code)
    assert lie.told == 1 and raised.value.code == "keyring_rollback" and device.accepted_keyring is None
    honest = Client(hostile.url)
    honest.enrol(server.code_for("staff"))
    assert honest.accepted_payload().version == 2


def test_an_expired_keyring_is_still_sealed_to_and_said_to_be_expired(server, hostile):
    staff = Client(hostile.url)
    staff.enrol(server.code_for("staff"))
    assert not staff.keyring_expired()
    # Signed by the real trust key long ago, for a week: a server holding back every newer one.
    stale = sign_next(server, timedelta(days=7), now=datetime.now(timezone.utc) - timedelta(days=40), publish=False)
    lie = Lie(lambda ex: set_json(ex, stale))
    hostile.rule("GET", KEYRING, lie)
    payload = staff.keyring()
    assert lie.told == 1 and payload.version == 2
    assert staff.keyring_expired()
    staff.push([staff.seal(b"still sealed to the team it names")])
    dsl = server.enrolled("dsl")
    assert [o.content for o in dsl.open_all(server.demo_key("dsl"))] == [b"still sealed to the team it names"]


def test_the_server_refuses_to_publish_an_expired_keyring(server):
    with pytest.raises(Refused) as raised:
        sign_next(server, timedelta(days=1), now=datetime.now(timezone.utc) - timedelta(days=2))
    assert raised.value.detail.startswith("keyring_expired")
    sign_next(server, timedelta(days=1))  # the same, current: published


def test_an_unreadable_expiry_is_refused():
    key, school = keyfiles.new_key(), uuid.uuid4()
    payload = keyring.KeyringPayload(v=1, school_id=school, school_name="S", version=1, issued_at="now",
                                     recipients=[], contacts=[], expires_at="next tuesday")
    signed = keyring.sign(payload, key)
    with pytest.raises(keyring.KeyringError) as raised:
        keyring.verify(signed, public_bytes(key.public_key()), school)
    assert raised.value.code == "keyring_invalid"


def test_the_demo_renews_its_keyring_a_week_before_it_expires(server):
    sign_next(server, timedelta(days=3))
    staff = server.enrolled("staff")
    held = staff.keyring()  # asking is what renews it, before the answer
    assert held.version == 3
    assert keyring.expires(held) - datetime.now(timezone.utc) > timedelta(days=29)
    assert staff.keyring().version == 3  # not again while it is fresh
