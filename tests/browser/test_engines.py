"""The main paths in real WebKit, the engine of every iPad and iPhone browser, and in Firefox ESR
(tests/browser/engines.py), against the real demo server: a teacher records a concern with a body
map with no network, reloads with no network, and sees it sent when the network is back; a second
person on the same tablet; the DSL opening the note on their own device, and acting on it (a phone
referral recorded, its clock started). Only the main paths run in each engine: the rest of the suite
covers the same code in Chromium."""

from __future__ import annotations

import json
import time
import uuid

from tests.browser.staff_app import PIN
from tests.browser.engines import Page
from tests.conftest import start_server, stop_server

MARKER = "slate-kestrel-3417"  # appears nowhere but in the notes written here


def set_pin(page: Page, pin: str = PIN) -> None:
    page.wait_ready("set-pin")
    page.fill("#new-pin", pin)
    page.fill("#new-pin-again", pin)
    page.click_button("Save my PIN")
    page.wait_ready("yes")


def unlock(page: Page, pin: str = PIN, person: str | None = None) -> None:
    page.wait_ready("locked")
    if person is not None:
        page.run("[...document.querySelectorAll('label')].find((l) => l.textContent.trim() === arguments[0]).click()", person)
    page.fill("#pin", pin)
    page.click_button("Unlock")
    page.wait_ready("yes")


def join_demo(page: Page, url: str) -> None:
    page.goto(url + "/")
    page.wait_ready("not-enrolled")
    page.click_button("Join the demo school (DEMO ONLY)")
    set_pin(page)


def wait_count(page: Page, element_id: str, value: int, timeout: float = 15) -> None:
    page.wait_for(f"document.getElementById('{element_id}').textContent === '{value}'", timeout)


def fill_minimal(page: Page, child: str, words: str) -> None:
    page.fill("#child", child)
    page.fill("#words", words)
    page.check("#category-neglect")
    page.check("#about_staff_no")


def opened_by_dsl(server) -> list[dict]:
    with server.enrolled("dsl") as dsl:
        return [json.loads(note.content) for note in dsl.open_all(server.demo_key("dsl"))]


def add_mark(page: Page) -> None:
    """A bruise on the front of the body map: tapped in WebKit (a tablet), placed with the keyboard
    alone in Firefox (the body map's other way in)."""
    if page.engine == "webkit":
        page.tap(".bodymap-figure[data-side=front]", 0.5, 0.4)
    else:
        page.press_enter('[data-add="front"]')
        page.wait_for("document.querySelector('[data-pending=yes]')")
        page.press_enter('[data-pending="yes"]')
    page.wait_for("document.getElementById('mark_type_bruise')")
    page.check("#mark_type_bruise")
    page.fill("#mark_colour", "purple")
    page.click("#mark_done")
    page.wait_for("document.querySelectorAll('.bodymap-list li').length === 1")


def test_a_teacher_records_with_no_network_and_it_is_sent_when_the_network_is_back(server, engine):
    page = engine()
    join_demo(page, server.url)
    page.wait_for("navigator.serviceWorker.controller !== null")

    port = int(server.url.rsplit(":", 1)[1])
    stop_server(server)  # no network: nothing answers
    back = None  # the server started again; stopped whatever happens
    try:
        fill_minimal(page, "Sam Example", f"He said he was hit {MARKER}")
        add_mark(page)
        page.click("#save")
        wait_count(page, "outbox-count", 1)
        # No Background Sync here: the app says it sends only while it is open.
        assert page.text("#status") == "Saved on this device. 1 note will be sent as soon as there is a network while Lantern is open."
        # Nothing has promised to keep the note (WebKitGTK has no StorageManager; Firefox asks the person,
        # and nobody has answered): the person is told.
        assert page.evaluate("document.body.dataset.storage") == ("unknown" if page.engine == "webkit" else "may-clear")
        assert "Add Lantern to your home screen" in page.text("#storage-state")
        page.wait_for("document.getElementById('storage-warning').textContent.startsWith('A note has waited')")

        # Reloaded with no network: the shell comes from the service worker's cache, the note from
        # IndexedDB, still sealed and still waiting.
        page.reload()
        unlock(page)
        wait_count(page, "outbox-count", 1)
        assert page.text("#device-waiting") == "1"

        back = start_server(server.data_dir, port=port)
        page.reload()  # the app opened again, with a network: it sends what waits
        unlock(page)
        wait_count(page, "received-count", 1)
        wait_count(page, "outbox-count", 0)
        assert "Received by the server" in page.text("#notes-list")
        assert page.text("#storage-warning") == ""
        [note] = opened_by_dsl(back)
        assert MARKER in note["words"] and note["categories"] == ["neglect"]
        [mark] = note["body_map"]
        assert (mark["side"], mark["type"], mark["colour"]) == ("front", "bruise", "purple")
        if page.engine == "webkit":  # where it was tapped
            assert abs(mark["x"] - 0.5) < 0.05 and abs(mark["y"] - 0.4) < 0.05
    finally:
        if back:
            stop_server(back)


def test_two_people_share_a_tablet_each_behind_their_own_pin(server, engine):
    page = engine()
    join_demo(page, server.url)
    first = page.text("#session-name")
    fill_minimal(page, "Ola Example", f"First person's note {MARKER}")
    page.click("#save")
    wait_count(page, "received-count", 1)

    page.click_button("Lock")
    page.wait_ready("locked")
    page.click_button("Add another person to this device")
    page.click_button("Join the demo school (DEMO ONLY)")
    set_pin(page, "739105")
    second = page.text("#session-name")
    assert second != first
    assert page.text("#received-count") == "0"  # the second person sees nothing of the first's
    assert MARKER not in page.text("body")
    fill_minimal(page, "Pat Example", f"Second person's note {MARKER}")
    page.click("#save")
    wait_count(page, "received-count", 1)

    page.click_button("Lock")
    unlock(page, PIN, person=first)
    assert page.text("#session-name") == first
    assert "First person's note" not in page.text("body")  # their notes, listed, but not opened
    words = sorted(note["words"] for note in opened_by_dsl(server))
    assert words == [f"First person's note {MARKER}", f"Second person's note {MARKER}"]


def test_the_dsl_opens_a_note(server, engine):
    dsl = engine()
    dsl.goto(server.url + "/#enrol=" + server.code_for("dsl"))
    set_pin(dsl)
    dsl.wait_for("document.body.dataset.recipientKey === 'in-keyring'")
    alerts = dsl.text("#alerts-status")
    if dsl.evaluate("'PushManager' in window"):  # Firefox: alerts can be turned on
        assert alerts == "This device does not get urgent alerts." and dsl.evaluate("!document.getElementById('alerts-on').hidden")
    else:  # WebKit not on the Home Screen: the app says what the DSL gets instead, and offers no button
        assert "cannot receive urgent alerts" in alerts and "add Lantern to the Home Screen" in alerts
        assert dsl.evaluate("document.getElementById('alerts-on').hidden")

    staff = engine()  # enrolled after the DSL: its keyring seals to the key the DSL's browser made
    join_demo(staff, server.url)
    fill_minimal(staff, "Alex Example", f"Said at breakfast club {MARKER}")
    staff.click("#save")
    wait_count(staff, "received-count", 1)

    dsl.run("window.dispatchEvent(new Event('online'))")  # a sync, at once
    dsl.wait_for("document.body.dataset.inbox === '1'")
    dsl.click("#inbox-list li button")
    dsl.wait_for("document.body.dataset.noteOpen")
    assert dsl.text("#note-heading") == "Concern about Alex Example"
    assert f"Said at breakfast club {MARKER}" in dsl.text("#note-body")
    # Opening it acknowledged it: the author's WebKit says so at its next sync.
    staff.run("window.dispatchEvent(new Event('online'))")
    wait_count(staff, "opened-count", 1, timeout=20)


def test_the_dsl_records_a_phone_referral_and_its_clock_runs(server, engine):
    """The team's side on a tablet or a phone: a case opened, an action recorded through its form,
    the clock it starts, and the record sealed and sent for the rest of the team (read by sync/note.py)."""
    from sync import note as sync_note

    dsl = engine()
    dsl.goto(server.url + "/#enrol=" + server.code_for("dsl"))
    set_pin(dsl)
    dsl.wait_for("document.body.dataset.recipientKey === 'in-keyring'")
    with server.enrolled("staff") as staff:
        content = {"v": 3, "type": "concern", "child": {"name": "Rio Example"}, "recorded_at": "2026-12-01T09:00:00.000Z",
                   "words": f"Said at lunch {MARKER}", "categories": ["neglect"], "urgent": False}
        sealed = staff.seal(json.dumps(content).encode())
        staff.push([sealed])
    case_id = str(uuid.UUID(bytes=sealed[22:38]))
    dsl.run("window.dispatchEvent(new Event('online'))")
    dsl.wait_for("document.body.dataset.inbox === '1'")
    assert "Rio Example" in dsl.text("#inbox-list") and MARKER not in dsl.text("#inbox-list")
    dsl.click(f"#inbox-list li[data-record='{case_id}'] button")
    dsl.wait_for(f"document.body.dataset.noteOpen === '{case_id}'")
    dsl.click("#case-actions [data-action='phone_referral']")
    dsl.fill("#action-whom", "EHaSH front door")
    dsl.fill("#action-reference", "EH-9090")
    dsl.click("#action-save")
    dsl.wait_for("document.querySelectorAll('#case-timeline > li').length === 1")
    clock = dsl.text("#case-clocks")
    assert "Written referral, within 48 hours of the phone referral: due" in clock
    assert dsl.text("#case-state") == "State: In progress."

    deadline = time.monotonic() + 15
    with server.enrolled("deputy_dsl") as deputy:
        while not (actions := [n for n in (sync_note.read(o.content) for o in deputy.open_all(server.demo_key("deputy_dsl")))
                               if isinstance(n, sync_note.Action)]):
            assert time.monotonic() < deadline, "the action never reached the server"
            time.sleep(0.2)
    [action] = actions
    assert (action.kind, action.whom, action.reference, str(action.refers_to)) == ("phone_referral", "EHaSH front door", "EH-9090", case_id)
