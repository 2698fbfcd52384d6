"""The app in real headless Chromium behind a hostile server (tests/hostile/proxy.py in front of the
real one): a forged "opened" is not believed by the author's device; a note the server drops from
the DSL's pulls is shown to the DSL as a gap, by device and time; an expired keyring is said to be out
of date while notes still go; and a new device refuses a keyring older than its code.

Each lie is a counted rule (`Lie`); each test shows what the app says with no lie told where that is
the point of comparison.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import msgspec

from sync import envelope, wire
from sync.client import Client
from tests.browser.staff_app import fill_minimal, join_demo, wait_count
from tests.browser.team_app import sync_now, team_page
from tests.hostile.proxy import Lie, json_body, set_json
from tests.test_fresh_keyrings import sign_next
from tests.test_hostile_client import note


@dataclass
class Through:
    """The server as the pages see it: every request goes through the proxy; codes come from the real one."""

    url: str
    server: object

    def code_for(self, role: str = "staff") -> str:
        return self.server.code_for(role)


def test_an_opened_the_server_claims_without_proof_is_not_believed(browser, server, hostile):
    forged = Lie(lambda ex: set_json(ex, wire.StatusResponse(statuses=[
        msgspec.structs.replace(s, opened=s.received, proofs=[os.urandom(32)] if s.received else [])
        for s in json_body(ex, wire.StatusResponse).statuses])))
    hostile.rule("POST", "/api/v1/status", forged)
    context, page = join_demo(browser, Through(hostile.url, server))
    fill_minimal(page, child="Kai Example")
    page.click("#save")
    wait_count(page, "received-count", 1)
    sync_now(page)
    page.wait_for_function("document.getElementById('notes-list').textContent.includes('Received by the server')")
    assert forged.told >= 1
    assert page.inner_text("#opened-count") == "0"
    assert "Opened by the safeguarding team" not in page.inner_text("#notes-list")

    # The team opens it for real: its receipt's proof is among the lies, and that one is believed.
    [(record_id,)] = server.query("SELECT record_id FROM envelopes")
    with server.enrolled("dsl") as dsl:
        dsl.acknowledge(o for o in dsl.open_all(server.demo_key("dsl")) if o.header.record_id == uuid.UUID(record_id))
    hostile.clear()
    hostile.rule("POST", "/api/v1/status", Lie(lambda ex: set_json(ex, wire.StatusResponse(statuses=[
        msgspec.structs.replace(s, proofs=[os.urandom(32), *s.proofs]) for s in json_body(ex, wire.StatusResponse).statuses]))))
    sync_now(page)
    wait_count(page, "opened-count", 1)
    assert "Opened by the safeguarding team" in page.inner_text("#notes-list")
    assert page.errors == []
    context.close()


def test_a_note_the_server_drops_is_shown_to_the_dsl_as_a_gap(browser, server, hostile):
    context, page = team_page(browser, Through(hostile.url, server), "dsl")
    with server.enrolled("staff") as staff:
        staff.keyring()  # the DSL's browser key is in it now
        sent = [staff.seal(note(n)) for n in (1, 2, 3)]
        staff.push(sent)
        with server.enrolled("dsl") as dsl:
            staff_name = dsl.lookup_device(envelope.key_id(staff.device.public_key())).name
    dropped = envelope.parse(sent[1]).record_id

    def drop(ex):
        page_ = json_body(ex, wire.PullResponse)
        kept = [e for e in page_.envelopes if envelope.parse(e.data).record_id != dropped]
        set_json(ex, msgspec.structs.replace(page_, envelopes=kept))

    lie = Lie(drop)
    hostile.rule("GET", "/api/v1/envelopes", lie)
    sync_now(page)
    page.wait_for_function("document.body.dataset.inbox === '2'")
    gaps = page.locator("#inbox-gaps li")
    gaps.first.wait_for()
    assert lie.told >= 1 and gaps.count() == 1
    text = gaps.first.inner_text()
    assert text.startswith(f"1 record from a device enrolled to {staff_name}, written between ")
    assert "has not reached this device" in text
    assert page.is_visible("#inbox-gaps")
    assert page.errors == []
    context.close()


def test_an_expired_keyring_is_said_and_notes_still_go_to_the_team_it_names(browser, server, hostile):
    context, page = join_demo(browser, Through(hostile.url, server))
    sync_now(page)
    assert page.inner_text("#keyring-warning") == ""
    stale = sign_next(server, timedelta(days=7), now=datetime.now(timezone.utc) - timedelta(days=40), publish=False)
    lie = Lie(lambda ex: set_json(ex, stale))
    hostile.rule("GET", "/api/v1/keyring", lie)
    sync_now(page)
    page.wait_for_function("document.getElementById('keyring-warning').textContent.includes('out of date')")
    assert lie.told >= 1
    fill_minimal(page, child="Kai Example")
    page.click("#save")
    wait_count(page, "received-count", 1)
    assert "out of date" in page.inner_text("#keyring-warning")
    assert page.errors == []
    context.close()


def test_a_new_device_refuses_a_keyring_older_than_its_code(browser, server, hostile):
    recorded = []
    hostile.rule("POST", "/api/v1/enrol", lambda ex: recorded.append(ex.body), times=1)
    Client(hostile.url).enrol(server.code_for("staff"))  # an honest answer under version 1, kept
    sign_next(server, timedelta(days=30))
    old_keyring = msgspec.json.decode(recorded[0], type=wire.Enrolment).keyring
    lie = Lie(lambda ex: set_json(ex, msgspec.structs.replace(json_body(ex, wire.Enrolment), keyring=old_keyring)))
    hostile.rule("POST", "/api/v1/enrol", lie, times=1)
    context = browser.new_context()
    page = context.new_page()
    page.goto(hostile.url + "/#enrol=" + server.code_for("staff"))
    page.wait_for_function("document.getElementById('enrol-error').textContent.includes('keyring_rollback')")
    assert lie.told == 1
    assert "older list of the safeguarding team" in page.inner_text("#enrol-error")
    context.close()
