"""The school's trust key in its holder's app (pwa/team/trust.js, docs/trust-key.md), in Chromium,
WebKit and Firefox against a real server: a new school set up from the app (its trust key made, its
backup and recovery sheet, its setup file taken by the admin); the key brought into the app after
enrolment, a keyring change read and signed there, a staff note then sealed to the key it signed in;
a device not yet approved sent no roster and its note marked, then approved by the next signing; the
key restored on a second device from the backup file dropped onto it (a wrong passphrase refused); a
code made in the app setting up a device it then approves unasked; a new backup for a successor; the
key removed from the first device; and `lantern trust`'s Python
signing with the app's own backup, taken by the app's devices as the app's own signatures are."""

from __future__ import annotations

import json
import time

from server import devices, keyrings, school_setup, schools
from sync import keyfiles, keyring, trust_backup
from sync.client import ApiError, Client
from sync.codes import fingerprint as fingerprint_of
from sync.signing import key_id, public_bytes
from tests.browser.engines import ChromiumPage
from tests.browser.staff_app import PIN
from tests.browser.team_screens import SAMPLE

PASSPHRASE = "a long walk to the river"
ROSTER_CSV = "UPN,Legal Surname,Legal Forename,Year,Reg Group\nA123456789012,Quillfeather,Zephyrine,Year 4,4B\n"
SUCCESSOR = "the successor's own words"


def set_pin(page) -> None:
    page.wait_ready("set-pin")
    page.fill("#new-pin", PIN)
    page.fill("#new-pin-again", PIN)
    page.click("#pin-save")
    page.wait_ready("yes")


def with_db(server, action):
    db = server.db()
    try:
        return action(db)
    finally:
        db.close()


def open_trust_screen(page) -> None:
    page.run("delete document.body.dataset.trustKey")
    page.click("#trust-open")
    page.wait_for("document.body.dataset.trustKey", 30)


def sign_and_wait(page, version: int) -> None:
    page.wait_for("!document.getElementById('trust-sign').hidden", 30)
    page.click("#trust-sign")
    page.wait_for(f"document.body.dataset.trustSigned === '{version}'", 30)


def trust_key_path(server, open_window) -> None:
    first = open_window()
    first.goto(server.url + "/")
    first.wait_ready("not-enrolled")
    first.click("#setup-open")
    first.wait_for("!document.getElementById('school-setup').hidden")  # fetched when first opened
    first.fill("#setup-school", "Riverside Primary")
    first.fill("#setup-passphrase", "too short")
    first.fill("#setup-passphrase-again", "too short")
    first.click("#setup-make")
    assert "at least 12 characters" in first.text("#setup-error")
    first.fill("#setup-passphrase", PASSPHRASE)
    first.fill("#setup-passphrase-again", PASSPHRASE)
    first.click("#setup-make")
    first.wait_for("document.body.dataset.schoolSetup === 'made'", 30)
    setup_text = first.text("#setup-file-text")
    backup_text = first.text("#sheet-text")
    sheet = first.text("#recovery-sheet")
    assert PASSPHRASE not in sheet and "Riverside Primary" in sheet
    fingerprint = first.text("#sheet-fingerprint")

    # The admin creates the school from the setup file; Python reads the app's backup as the app wrote it.
    setup = school_setup.read(setup_text.encode())
    school_id, name = with_db(server, lambda db: school_setup.create(db, setup))
    assert name == "Riverside Primary"
    trust = trust_backup.read(backup_text.encode(), PASSPHRASE.encode())
    assert fingerprint.replace(" ", "") == fingerprint_of(public_bytes(trust.public_key())).hex()

    def dsl_code(db):
        schools.add_contact(db, school_id, "front_door", "Children's services front door", "01234 567890")
        person = schools.add_person(db, school_id, "Rosa (DSL)", "dsl")
        return person, devices.issue_code(db, person).text()

    rosa, code = with_db(server, dsl_code)
    first.goto(server.url + "/?link#enrol=" + code)  # a new page load, as a link opened from a message is
    set_pin(first)
    first.wait_for("document.body.dataset.team === 'yes'", 30)
    open_trust_screen(first)
    assert first.evaluate("document.body.dataset.trustKey") == "absent"
    # The backup this device made at setup is offered; its passphrase takes it in.
    first.fill("#trust-passphrase", PASSPHRASE)
    first.click("#trust-restore-submit")
    first.wait_for("document.body.dataset.trustKey === 'held'", 30)
    first.wait_for("document.getElementById('trust-changes').children.length > 0", 30)
    changes = first.text("#trust-changes")
    assert "New reader: Rosa (DSL) (DSL)" in changes and "New number to call: Children's services front door" in changes
    key_start = first.evaluate("document.getElementById('recipient-key').textContent")
    sign_and_wait(first, 2)

    # A member of staff enrolled now seals to the key Rosa's browser made, which the app signed in.
    def staff_code(db):
        return devices.issue_code(db, schools.add_person(db, school_id, "Tom", "staff")).text()

    tom = Client(server.url)
    tom.enrol(with_db(server, staff_code))
    payload = tom.accepted_payload()
    assert payload.version == 2 and [r.name for r in payload.recipients] == ["Rosa (DSL)"]
    assert payload.recipients[0].key_id[:4] in key_start
    assert keyring.expired(payload) is False and payload.expires_at
    assert [d.name for d in payload.devices] == ["Rosa (DSL)"]  # Tom's device, enrolled after, is not approved

    # Until the trust key approves Tom's device, its note is flagged to Rosa, and it is sent no roster.
    tom_roster = keyfiles.new_key()
    tom.register_roster_key(public_bytes(tom_roster.public_key()))
    tom.push([tom.seal(json.dumps(SAMPLE).encode())])
    first.click("#trust-close")
    first.run(f"document.getElementById('roster-csv').value = {json.dumps(ROSTER_CSV)}")  # pasted, as a whole
    first.click("#roster-read")
    first.wait_for("document.body.dataset.rosterPreview === '1'")
    first.click("#roster-publish")
    first.wait_for("document.body.dataset.rosterPublished === '1'", 30)
    assert "1 device was not sent it: the school's trust key has not approved them" in first.text("#roster-state")
    try:
        tom.open_roster(tom_roster)
        raise AssertionError("an unapproved device was sent the roster")
    except ApiError as refused:
        assert refused.code == "no_roster"
    first.run("window.dispatchEvent(new Event('online'))")
    first.wait_for("document.body.dataset.inbox === '1'", 30)
    first.click("#inbox-list li button")
    first.wait_for("document.body.dataset.noteOpen")
    assert "has not approved" in first.text("#note-body")
    first.click("#note-close")

    # A second device of Rosa's takes the key from the recovery sheet's text.
    second = open_window()
    second.goto(server.url + "/#enrol=" + with_db(server, lambda db: devices.issue_code(db, rosa).text()))
    set_pin(second)
    second.wait_for("document.body.dataset.team === 'yes'", 30)
    open_trust_screen(second)
    assert second.evaluate("document.body.dataset.trustKey") == "absent"
    # The backup file dragged onto the box, as from a USB stick.
    second.run(
        "const transfer = new DataTransfer();"
        f"transfer.items.add(new File([{json.dumps(backup_text)}], 'lantern-trust-key-riverside-primary.json', {{ type: 'application/json' }}));"
        "document.getElementById('trust-backup-text').dispatchEvent("
        "new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));"
    )
    second.wait_for("document.getElementById('trust-backup-text').value.includes('lantern-trust-key-backup-v1')")
    second.fill("#trust-passphrase", "not the passphrase")
    second.click("#trust-restore-submit")
    second.wait_for("document.getElementById('trust-error').textContent.includes('does not open')", 30)
    second.fill("#trust-passphrase", PASSPHRASE)
    second.click("#trust-restore-submit")
    second.wait_for("document.body.dataset.trustKey === 'held'", 30)
    second.wait_for("document.getElementById('trust-changes').textContent.includes('New reader')", 30)
    assert "New device" in second.text("#trust-changes") and "Tom (staff)" in second.text("#trust-changes")
    assert "set up with a code this app did not give: check with Tom" in second.text("#trust-changes")  # the admin's code
    sign_and_wait(second, 3)
    # Approved now: Rosa's first device sends Tom the roster at its next sync, and his note stands.
    first.run("window.dispatchEvent(new Event('online'))")
    deadline = time.monotonic() + 30
    while True:
        try:
            assert b"Zephyrine" in tom.open_roster(tom_roster).content
            break
        except ApiError:
            assert time.monotonic() < deadline, "the roster never reached Tom's approved device"
            time.sleep(0.2)
    first.click("#inbox-list li button")
    first.wait_for("document.body.dataset.noteOpen")
    assert "has not approved" not in first.text("#note-body")
    first.click("#note-close")

    # A code made in the holder's app sets up Tom's new tablet, and the app approves the tablet at its
    # next sync without asking: only it, which knows the code's secret, can check the tablet's approval.
    second.wait_for("!document.getElementById('code-form').hidden", 30)
    second.run("const s = document.getElementById('code-person');"
               "s.value = [...s.options].find((o) => o.textContent === 'Tom (staff)').value;")
    second.click("#code-make")
    second.wait_for("!!document.body.dataset.codeIssued", 30)
    issued = second.evaluate("document.body.dataset.codeIssued")
    assert issued in second.text("#code-made") and second.text("#code-for") == "Tom (staff)"
    tablet = Client(server.url)
    tom_id = tablet.enrol(issued, label="Tom's tablet").person.id
    assert tablet.school_id == school_id and with_db(server, lambda db: schools.get_person(db, tom_id)["name"]) == "Tom"
    assert tablet.accepted_payload().version == 3
    second.click("#trust-close")
    assert second.evaluate("document.getElementById('code-text').textContent") == ""  # not left on the screen
    # Beside it, a device the server enrolled for itself in Tom's name: that is not signed unasked.
    impostor = Client(server.url)
    impostor.enrol(with_db(server, lambda db: devices.issue_code(db, tom_id).text()))
    second.run("window.dispatchEvent(new Event('online'))")
    second.wait_for("document.body.dataset.trustWaiting === '2'", 30)
    assert "2 changes to the team's list wait for your signature" in second.text("#inbox-status")
    assert tablet.keyring().version == 3
    impostor_id = key_id(public_bytes(impostor.device.public_key())).hex()
    with_db(server, lambda db: devices.revoke(db, impostor_id))  # the holder asked, and Tom had no such device
    second.run("window.dispatchEvent(new Event('online'))")
    second.wait_for("document.body.dataset.trustSigned === '4'", 30)
    assert "a device set up with your codes approved" in second.text("#inbox-status")
    tablet_id = key_id(public_bytes(tablet.device.public_key())).hex()
    assert tablet_id in [d.key_id for d in tablet.keyring().devices]
    assert impostor_id not in [d.key_id for d in tablet.keyring().devices]
    open_trust_screen(second)

    # A new backup for a successor, under their passphrase; then the first device lets the key go.
    second.fill("#trust-new-passphrase", SUCCESSOR)
    second.fill("#trust-new-passphrase-again", SUCCESSOR)
    second.click("#trust-backup-make")
    second.wait_for("!document.getElementById('recovery-sheet').hidden", 30)
    handed = second.text("#sheet-text")
    assert public_bytes(trust_backup.read(handed.encode(), SUCCESSOR.encode()).public_key()) == public_bytes(trust.public_key())
    open_trust_screen(first)
    first.click("#trust-forget")
    first.click("#trust-forget")
    first.wait_for("document.body.dataset.trustKey === 'absent'", 30)

    # `lantern trust`'s signing, with the app's own backup: the app's devices take it as their own.
    def python_signs(db):
        draft = keyrings.draft(db, school_id)
        return keyrings.publish(db, school_id, keyring.sign(keyring.valid_for(draft), trust)).version

    assert with_db(server, python_signs) == 5
    second.click("#trust-close")
    open_trust_screen(second)
    second.wait_for("document.getElementById('trust-current').textContent.includes('version 5')", 30)


def test_the_trust_key_in_the_app_in_chromium(server, browser):
    contexts = []

    def open_window():
        contexts.append(browser.new_context())
        return ChromiumPage(contexts[-1].new_page())

    try:
        trust_key_path(server, open_window)
    finally:
        for context in contexts:
            context.close()


def test_the_trust_key_in_the_app_in_webkit_and_firefox(server, engine):
    trust_key_path(server, engine)
