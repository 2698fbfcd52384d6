"""The trust key held in the DSL's app, seen from the server and the CLI (docs/trust-key.md): a school
set up from the app's setup file, the draft the app signs and where each key came from, publishing
what the app signed, and the app's backup file read by `lantern trust` in both directions.
tests/browser/test_trust_key.py drives the same in the app itself."""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec
import pytest

from server import devices, school_setup, schools
from server.errors import Refused
from sync import keyfiles, keyring, signing, trust_backup
from sync.client import ApiError, Client
from sync.signing import public_bytes
from tests.test_cli import PASSPHRASE, lantern
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL

SECRET = PASSPHRASE["LANTERN_PASSPHRASE"].encode()


def setup_file(trust, school_id: uuid.UUID, name: str = "Hill Top Primary", *, signer=None) -> bytes:
    """What the app writes for the admin: a first keyring with no team yet, signed for the school id it chose."""
    first = keyring.KeyringPayload(
        v=1, school_id=school_id, school_name=name, version=1, issued_at="", recipients=[], contacts=[]
    )
    signed = keyring.sign(keyring.valid_for(first), signer or trust)
    return msgspec.json.encode(
        {"lantern": "school-setup-v1", "school_id": school_id, "trust_public_key": public_bytes(trust.public_key()),
         "keyring": signed}
    )


def test_a_school_made_from_the_setup_file_serves_its_first_keyring(server, tmp_path: Path):
    trust, school_id = keyfiles.new_key(), uuid.uuid4()
    (tmp_path / "setup.json").write_bytes(setup_file(trust, school_id))
    out = lantern(*server.admin, "school", "create", "--setup", str(tmp_path / "setup.json"))
    assert out.stdout.strip() == str(school_id) and "Hill Top Primary is set up" in out.stderr

    staff = server.enrolled("staff", school_id)
    assert staff.accepted_payload().version == 1 and staff.accepted_payload().recipients == []
    # Once only: the same file again would be a second school with one trust key.
    again = lantern(*server.admin, "school", "create", "--setup", str(tmp_path / "setup.json"), ok=False)
    assert again.returncode != 0 and "used before" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.parametrize("damage", ["another key signed it", "another school's id", "not a setup file"])
def test_a_setup_file_that_does_not_check_makes_no_school(server, damage):
    trust, school_id = keyfiles.new_key(), uuid.uuid4()
    data = setup_file(trust, school_id, signer=keyfiles.new_key() if damage == "another key signed it" else None)
    if damage == "another school's id":
        data = data.replace(str(school_id).encode(), str(uuid.uuid4()).encode(), 1)
    if damage == "not a setup file":
        data = data.replace(b"school-setup-v1", b"school-setup-v9")
    db = server.db()
    try:
        with pytest.raises(Refused) as refused:
            school_setup.create(db, school_setup.read(data))
        assert refused.value.code == "invalid_request"
        assert len(schools.list_schools(db)) == 1  # the demo school alone
    finally:
        db.close()


@pytest.fixture
def app_school(server):
    """A school set up from the app's file, with a DSL whose device proposed its own key: (school id,
    trust key, the DSL's client, the recipient key it proposed)."""
    trust, school_id = keyfiles.new_key(), uuid.uuid4()
    db = server.db()
    try:
        school_setup.create(db, school_setup.read(setup_file(trust, school_id)))
        schools.add_contact(db, school_id, "front_door", "Front door", "01234 567890")
        dsl_code = devices.issue_code(db, schools.add_person(db, school_id, "Asha (DSL)", "dsl")).text()
    finally:
        db.close()
    dsl = Client(server.url)
    dsl.enrol(dsl_code, label="Asha's phone")
    proposed = keyfiles.new_key()
    dsl.register_recipient_key(public_bytes(proposed.public_key()))
    return school_id, trust, dsl, proposed


def test_the_draft_names_the_device_each_key_came_from_and_what_the_app_signs_is_published(server, app_school):
    school_id, trust, dsl, proposed = app_school
    draft = dsl.keyring_draft()
    payload = msgspec.json.decode(draft.payload, type=keyring.KeyringPayload)
    assert payload.version == 2 and [r.name for r in payload.recipients] == ["Asha (DSL)"]
    assert [c.phone for c in payload.contacts] == ["01234 567890"]
    [source] = draft.sources
    assert source.key_id == payload.recipients[0].key_id
    assert source.device_key_id == signing.key_id(public_bytes(dsl.device.public_key())).hex() and source.device_label == "Asha's phone" and source.proposed_at

    assert dsl.publish_keyring(keyring.sign(keyring.valid_for(payload), trust)).version == 2
    assert dsl.keyring().recipients[0].public_key == public_bytes(proposed.public_key())
    # The signature is what counts: another key's, or the same version with other bytes, is refused.
    for bad in (keyring.sign(keyring.valid_for(payload), keyfiles.new_key()),
                keyring.sign(keyring.valid_for(msgspec.structs.replace(payload, school_name="Elsewhere")), trust)):
        with pytest.raises(ApiError) as refused:
            dsl.publish_keyring(bad)
        assert refused.value.status == 400 and refused.value.code == "invalid_request"
    assert dsl.keyring().version == 2


def test_staff_devices_may_not_read_the_draft_or_publish(server, app_school):
    school_id, trust, dsl, _ = app_school
    staff = server.enrolled("staff", school_id)
    payload = msgspec.json.decode(dsl.keyring_draft().payload, type=keyring.KeyringPayload)
    for call in (staff.keyring_draft, lambda: staff.publish_keyring(keyring.sign(keyring.valid_for(payload), trust))):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status == 403 and refused.value.code == "not_team"


def test_the_backup_file_opens_with_its_passphrase_only(tmp_path: Path):
    key = keyfiles.new_key()
    data = trust_backup.write(key, SECRET)
    assert public_bytes(trust_backup.read(data, SECRET).public_key()) == public_bytes(key.public_key())
    with pytest.raises(trust_backup.BackupError, match="wrong passphrase"):
        trust_backup.read(data, b"not the passphrase at all")
    # The public half named in the file is bound to what is sealed: another key's name is refused.
    other = public_bytes(keyfiles.new_key().public_key())
    held = msgspec.json.decode(data, type=trust_backup.Backup)
    swapped = msgspec.json.encode(msgspec.structs.replace(held, public_key=other))
    with pytest.raises(trust_backup.BackupError):
        trust_backup.read(swapped, SECRET)
    weakened = msgspec.json.encode(msgspec.structs.replace(held, iterations=1000))
    with pytest.raises(trust_backup.BackupError, match="not a Lantern trust key backup"):
        trust_backup.read(weakened, SECRET)


def test_lantern_trust_signs_with_the_apps_backup_and_writes_one_from_a_key_file(tmp_path: Path):
    lantern("trust", "init", "--out", str(tmp_path / "trust.pem"))
    lantern("trust", "backup", "--key", str(tmp_path / "trust.pem"), "--out", str(tmp_path / "trust-backup.json"))
    from_pem = keyfiles.load(tmp_path / "trust.pem", SECRET)
    from_backup = trust_backup.read((tmp_path / "trust-backup.json").read_bytes(), SECRET)
    assert public_bytes(from_backup.public_key()) == public_bytes(from_pem.public_key())
    assert oct((tmp_path / "trust-backup.json").stat().st_mode & 0o777) == "0o600"

    school_id = uuid.uuid4()
    draft = keyring.KeyringPayload(v=1, school_id=school_id, school_name="Hill Top", version=3, issued_at="",
                                   recipients=[], contacts=[])
    (tmp_path / "draft.json").write_bytes(msgspec.json.encode(draft))
    lantern("trust", "sign", "--key", str(tmp_path / "trust-backup.json"), str(tmp_path / "draft.json"),
            "--out", str(tmp_path / "signed.json"))
    signed = msgspec.json.decode((tmp_path / "signed.json").read_bytes(), type=keyring.SignedKeyring)
    assert keyring.verify(signed, public_bytes(from_pem.public_key()), school_id).version == 3


def test_the_python_client_says_whether_the_keyring_approves_a_notes_device(server, app_school):
    """As the browser does (tests/browser/test_trust_key.py): the note from a device the trust key has
    not approved opens, marked; once a signed keyring approves the device, it is not."""
    school_id, trust, dsl, proposed = app_school
    payload = msgspec.json.decode(dsl.keyring_draft().payload, type=keyring.KeyringPayload)
    dsl.publish_keyring(keyring.sign(keyring.valid_for(payload), trust))  # approves the DSL's device and key
    tom = server.enrolled("staff", school_id)
    tom.push([tom.seal(b"Tom's note")])
    dsl.keyring()
    [read] = dsl.read_all(proposed)
    assert read.opened.content == b"Tom's note" and read.device_approved is False

    payload = msgspec.json.decode(dsl.keyring_draft().payload, type=keyring.KeyringPayload)
    assert "Test staff" in [d.name for d in payload.devices]
    dsl.publish_keyring(keyring.sign(keyring.valid_for(payload), trust))
    dsl.keyring()
    [read] = dsl.read_all(proposed)
    assert read.device_approved is True


def test_a_key_proof_that_is_not_the_devices_own_is_refused(server, app_school):
    school_id, trust, dsl, proposed = app_school
    other = keyfiles.new_key()
    key = public_bytes(keyfiles.new_key().public_key())
    from sync import key_proofs, wire

    bad = key_proofs.prove(other, key_proofs.ROSTER_KEY, school_id, key)
    with pytest.raises(ApiError) as refused:
        dsl._send("PUT", "/api/v1/roster-key", wire.RosterKeyState, wire.RosterKeyRequest(public_key=key, proof=bad), signed=True)
    assert refused.value.status == 400 and refused.value.code == "invalid_proof"
    wrong_label = key_proofs.prove(dsl.device, key_proofs.ROSTER_KEY, school_id, key)
    with pytest.raises(ApiError) as refused:
        dsl._send("POST", "/api/v1/recipient-keys", wire.RecipientKeyState,
                  wire.RecipientKeyRequest(public_key=key, proof=wrong_label), signed=True)
    assert refused.value.code == "invalid_proof"


def test_the_python_client_seals_the_roster_only_to_approved_devices_proven_keys(server, app_school):
    """As the DSL's app does: a roster key of a device the keyring does not approve, or one without its
    device's proof, is not sealed to; once a signed keyring approves the device, its proven key is."""
    school_id, trust, dsl, proposed = app_school
    payload = msgspec.json.decode(dsl.keyring_draft().payload, type=keyring.KeyringPayload)
    dsl.publish_keyring(keyring.sign(keyring.valid_for(payload), trust))
    dsl.keyring()
    tom = server.enrolled("staff", school_id)
    proven = public_bytes(keyfiles.new_key().public_key())
    tom.register_roster_key(proven)
    from sync import wire

    unproven_device = server.enrolled("staff", school_id)
    unproven = public_bytes(keyfiles.new_key().public_key())
    unproven_device._send("PUT", "/api/v1/roster-key", wire.RosterKeyState, wire.RosterKeyRequest(public_key=unproven), signed=True)
    assert {k.public_key for k in dsl.roster_missing().keys} == {proven, unproven}
    assert dsl.roster_keys_to_seal() == []  # neither device is approved yet

    payload = msgspec.json.decode(dsl.keyring_draft().payload, type=keyring.KeyringPayload)
    dsl.publish_keyring(keyring.sign(keyring.valid_for(payload), trust))  # approves both devices
    dsl.keyring()
    assert dsl.roster_keys_to_seal() == [proven]  # the one without its device's proof still gets nothing


def test_a_roster_is_taken_only_from_an_approved_device_of_the_dsl_or_a_deputy(server, app_school):
    """A device the server enrolled for itself as a DSL cannot hand staff a false list of children: a
    reader under a keyring that names its approved devices refuses a roster from any other author."""
    school_id, trust, dsl, _ = app_school
    tom = server.enrolled("staff", school_id)
    tom_roster = keyfiles.new_key()
    tom.register_roster_key(public_bytes(tom_roster.public_key()))
    payload = msgspec.json.decode(dsl.keyring_draft().payload, type=keyring.KeyringPayload)
    dsl.publish_keyring(keyring.sign(keyring.valid_for(payload), trust))  # approves Asha's phone and Tom's device
    dsl.keyring()
    tom.keyring()
    dsl.publish_roster(1, dsl.seal_roster(b'{"the": "true list"}', [public_bytes(tom_roster.public_key())]))
    assert tom.open_roster(tom_roster).content == b'{"the": "true list"}'

    impostor = server.enrolled("dsl", school_id)  # the server's own device, in a DSL's name, never approved
    impostor.keyring()
    impostor.publish_roster(2, impostor.seal_roster(b'{"a": "false list"}', [public_bytes(tom_roster.public_key())]))
    with pytest.raises(ValueError, match="unapproved_author"):
        tom.open_roster(tom_roster)
