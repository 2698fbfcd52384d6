"""Who is recording, on a shared tablet (docs/staff-app.md), in real headless Chromium against the real
server: two people enrolled on one browser, each behind their own PIN, who never see each other's
draft or notes, and whose notes each carry their own author; a wrong PIN refused, then throttled,
then locked out for good; the lock after inactivity; drafts that are ciphertext at rest and come back
after a closed tab, behind the unlock."""

from __future__ import annotations

import json
import sqlite3

from sync import envelope, note
from tests.browser.staff_app import (
    DUMP_DB, PIN, add_demo_person, advance_clock, click_figure, stored_bytes, fill_minimal, join_demo, lock,
    screen_text, storage_text, unlock, wait_count, wait_draft_kept, wait_ready,
)

A_MARKER = "saffron-lynx-8302"  # appears nowhere but in what the first person types
B_MARKER = "cobalt-wren-1947"  # and the second


def open_as_dsl(server) -> list[tuple[envelope.Opened, note.Note]]:
    with server.enrolled("dsl") as dsl:
        opened = list(dsl.open_all(server.demo_key("dsl")))
    return [(o, note.read(o.content)) for o in opened]


def enrolled_person(server, author_key_id: bytes) -> str:
    """The person the server enrolled the device with this key id for."""
    with sqlite3.connect(server.database) as db:
        (person_id,) = db.execute("SELECT person_id FROM devices WHERE key_id = ?", [author_key_id.hex()]).fetchone()
    return person_id


def own_notes_listed(page) -> int:
    return page.locator("#notes-list > li").count()


def test_two_people_on_one_tablet_never_see_each_others_drafts_or_notes(browser, server):
    context, page = join_demo(browser, server)
    a_name = page.inner_text("#session-name")

    # A begins a note, with a mark on the body map, and locks the tablet for the next person.
    page.fill("#child", "Alex Example")
    page.fill("#words", f"The first account {A_MARKER}")
    page.check("#category-neglect")
    click_figure(page, "front", 0.5, 0.3)
    page.check("#mark_type_bruise")
    page.fill("#mark_description", f"Round {A_MARKER}")
    page.click("#mark_done")
    wait_draft_kept(page)
    lock(page)
    assert A_MARKER not in screen_text(page) and "Alex Example" not in screen_text(page)
    assert page.locator(".bodymap-mark[data-mark]").count() == 0

    # B adds themselves with their own code and PIN: an empty form, no notes, nothing of A's.
    b_name = add_demo_person(page, pin="735190")
    assert b_name != a_name
    assert page.input_value("#child") == "" and page.input_value("#words") == ""
    assert page.locator(".bodymap-mark[data-mark]").count() == 0 and own_notes_listed(page) == 0
    assert A_MARKER not in screen_text(page)
    fill_minimal(page, child="Blake Example", words=f"The second account {B_MARKER}")
    page.click("#save")
    wait_count(page, "received-count", 1)
    assert own_notes_listed(page) == 1
    lock(page)
    assert B_MARKER not in screen_text(page)
    assert sorted(page.locator("#people-list label").all_inner_texts()) == sorted([a_name, b_name])

    # A unlocks and finds their draft as they left it, body map and all, and none of B's notes.
    unlock(page, person=a_name)
    assert page.input_value("#child") == "Alex Example"
    assert page.input_value("#words") == f"The first account {A_MARKER}"
    assert page.is_checked("#category-neglect")
    assert page.locator(".bodymap-list li").count() == 1 and A_MARKER in page.inner_text(".bodymap-list")
    assert own_notes_listed(page) == 0 and page.inner_text("#received-count") == "0"
    assert B_MARKER not in screen_text(page) and "Blake" not in screen_text(page)
    page.check("#about_staff_no")
    page.click("#save")
    wait_count(page, "received-count", 1)
    # Their own copy, re-read behind their own unlock.
    page.get_by_text("Read what you wrote").click()
    assert A_MARKER in page.inner_text("#notes-list .own-note-body .note-answers")
    assert B_MARKER not in page.inner_text("#notes-list")

    lock(page)
    unlock(page, person=b_name, pin="735190")
    assert own_notes_listed(page) == 1 and "Alex" not in page.inner_text("#notes-list")
    page.get_by_text("Read what you wrote").click()
    assert B_MARKER in page.inner_text("#notes-list .own-note-body .note-answers") and A_MARKER not in screen_text(page)
    assert not page.errors
    context.close()

    # The DSL opens both: each carries its own author, signed by that person's own device key.
    notes = {n.child.name: (o, n) for o, n in open_as_dsl(server)}
    assert set(notes) == {"Alex Example", "Blake Example"}
    (a_env, a_note), (b_env, b_note) = notes["Alex Example"], notes["Blake Example"]
    assert a_note.author.name == a_name and b_note.author.name == b_name
    assert a_env.header.author_key_id != b_env.header.author_key_id
    assert str(a_note.author.person_id) == enrolled_person(server, a_env.header.author_key_id)
    assert str(b_note.author.person_id) == enrolled_person(server, b_env.header.author_key_id)
    assert a_note.author.person_id != b_note.author.person_id
    assert [(m.type, m.description) for m in a_note.body_map] == [("bruise", f"Round {A_MARKER}")]


def test_a_wrong_pin_is_refused_then_throttled_then_locks_the_profile_out(browser, server):
    context, page = join_demo(browser, server)
    context.set_offline(True)
    fill_minimal(page, words=f"Saved before the guessing {A_MARKER}")
    page.click("#save")  # sealed, and queued: no network
    wait_count(page, "outbox-count", 1)
    page.fill("#words", f"A draft {B_MARKER}")
    wait_draft_kept(page)
    lock(page)

    def attempt(pin: str) -> str:
        page.fill("#pin", pin)
        page.get_by_role("button", name="Unlock").click()
        page.wait_for_function("document.getElementById('pin').value === '' || document.body.dataset.ready === 'yes'")
        return page.inner_text("#pin-error")

    # Three typos cost nothing but a warning.
    for left in (9, 8, 7):
        message = attempt("111222")
        assert "That PIN is not right" in message and f"{left} more wrong tries" in message
        assert "try again at" not in message
    # The fourth makes the next try wait, even with the right PIN.
    assert "try again at" in attempt("111222")
    assert "try again at" in attempt(PIN)
    assert page.evaluate("document.body.dataset.ready") == "locked"
    advance_clock(page, 31_000)
    page.fill("#pin", PIN)
    page.get_by_role("button", name="Unlock").click()
    wait_ready(page, "yes")
    assert page.input_value("#words") == f"A draft {B_MARKER}"  # a right PIN starts the count again
    lock(page)

    # Ten wrong in a row, each after its wait: locked out for good. The waits grow to hours.
    for n in range(1, 11):
        advance_clock(page, 5 * 3600 * 1000)
        message = attempt("111222")
        if n < 10:
            assert f"{10 - n} more wrong" in message
    assert page.is_visible("#locked-out") and not page.is_visible("#pin")
    assert "locked out" in page.inner_text("#locked-out") and "new set-up code" in page.inner_text("#locked-out")
    assert "(locked out)" in page.inner_text("#people-list")
    dump = page.evaluate(DUMP_DB)
    [profile] = dump["profiles"]
    assert profile["lockedOut"] is True and profile["lock"] is None  # the wrapped key is gone
    assert dump["drafts"] == [] and dump["copies"] == []  # and all it protected
    names = page.evaluate("""() => new Promise((ok) => { const r = indexedDB.open('lantern'); r.onsuccess = () => {
        const q = r.result.transaction('settings').objectStore('settings').getAllKeys();
        q.onsuccess = () => { r.result.close(); ok(q.result.map(String)); }; }; })""")
    assert [n for n in names if profile["id"] in n] == []  # its keyring, its keys sealed under the lost key
    assert len(dump["outbox"]) == 1  # but the note already sealed still goes out

    page.reload()
    wait_ready(page, "locked")
    assert page.is_visible("#locked-out") and not page.is_visible("#pin")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_count(page, "device-waiting", 0)
    [(_, sent)] = open_as_dsl(server)
    assert sent.words == f"Saved before the guessing {A_MARKER}"
    context.close()


def test_the_app_locks_itself_after_five_idle_minutes_and_keeps_the_draft(browser, server):
    context, page = join_demo(browser, server)
    page.fill("#child", "Sam Example")
    page.fill("#words", f"Typed just before walking away {A_MARKER}")  # not yet kept: the lock keeps it
    advance_clock(page, 4 * 60 * 1000)
    page.wait_for_timeout(1500)
    assert page.evaluate("document.body.dataset.ready") == "yes"  # four minutes: still open
    page.fill("#place", "The library")  # any use starts the five minutes again
    advance_clock(page, 4 * 60 * 1000)
    page.wait_for_timeout(1500)
    assert page.evaluate("document.body.dataset.ready") == "yes"
    advance_clock(page, 60 * 1000 + 1000)
    wait_ready(page, "locked", timeout=5000)
    assert "locked itself after 5 minutes" in page.inner_text("#lock-message")
    text = screen_text(page)
    assert A_MARKER not in text and "Sam Example" not in text and "The library" not in text
    assert page.is_hidden("#concern") and page.is_hidden("#notes") and page.is_hidden("#session")
    assert page.evaluate("document.activeElement.id") == "pin"

    unlock(page)
    assert page.input_value("#words") == f"Typed just before walking away {A_MARKER}"
    assert page.input_value("#place") == "The library"
    assert "Your draft is back" in page.inner_text("#draft-status")
    context.close()


def test_drafts_are_ciphertext_at_rest_and_come_back_after_a_closed_tab(browser, server):
    context, page = join_demo(browser, server)
    page.fill("#child", f"Child {A_MARKER}")
    page.fill("#words", f"Words {A_MARKER}")
    page.fill("#seen", f"Seen {A_MARKER}")
    page.check("#category-physical_abuse")
    page.check("#about_staff_no")
    page.check("#urgent")
    click_figure(page, "back", 0.5, 0.35)
    page.check("#mark_type_burn")
    page.fill("#mark_colour", f"Colour {A_MARKER}")
    page.click("#mark_done")
    wait_draft_kept(page)

    # In IndexedDB (every store), localStorage and sessionStorage: only ciphertext.
    stored = stored_bytes(page)
    assert A_MARKER.encode() not in stored
    assert A_MARKER not in storage_text(page)
    [draft] = page.evaluate(DUMP_DB)["drafts"]
    assert set(draft) == {"profileId", "iv", "data"} and len(draft["data"]["bytes"]) >= 4096  # padded

    page.close()  # the tab is closed: the key is gone with it
    page = context.new_page()
    page.goto(server.url + "/")
    wait_ready(page, "locked")
    assert A_MARKER not in screen_text(page)
    unlock(page)
    assert page.input_value("#child") == f"Child {A_MARKER}"
    assert page.input_value("#seen") == f"Seen {A_MARKER}"
    assert page.is_checked("#category-physical_abuse") and page.is_checked("#about_staff_no") and page.is_checked("#urgent")
    assert page.is_visible("#guidance-urgent")  # the form's guidance follows what came back
    assert f"Colour {A_MARKER}".lower() in page.inner_text(".bodymap-list").lower()

    # Saved, the draft is gone in the same step; the author's own copy is ciphertext too.
    page.click("#save")
    wait_count(page, "received-count", 1)
    dump = page.evaluate(DUMP_DB)
    assert dump["drafts"] == [] and len(dump["copies"]) == 1
    assert A_MARKER.encode() not in stored_bytes(page)
    page.reload()
    unlock(page)
    assert page.input_value("#child") == ""  # nothing comes back once it is saved
    context.close()

    [(_, sent)] = open_as_dsl(server)
    assert sent.child.name == f"Child {A_MARKER}" and sent.body_map[0].colour == f"Colour {A_MARKER}"
    assert json.loads(json.dumps(sent.urgent)) is True


def test_a_person_removes_themselves_once_their_notes_are_sent_and_nothing_of_theirs_stays(browser, server):
    context, page = join_demo(browser, server)
    a_name = page.inner_text("#session-name")
    lock(page)
    b_name = add_demo_person(page, pin="735190")
    (b_profile,) = [p for p in page.evaluate(DUMP_DB)["profiles"] if p["enrolment"]["person"]["name"] == b_name]
    b_device = b_profile["enrolment"]["deviceKeyId"]

    # Not while a note of theirs waits: it would be lost with the key that signs it.
    context.set_offline(True)
    fill_minimal(page, words=f"Written before leaving {B_MARKER}")
    page.click("#save")
    wait_count(page, "outbox-count", 1)
    page.get_by_role("button", name="Remove me from this device").click()
    page.wait_for_function("document.getElementById('leave-error').textContent.includes('1 note of yours is still waiting to be sent')")
    assert page.is_hidden("#leave-confirm")

    # Nor with no network: the server must stop accepting the device first.
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_count(page, "outbox-count", 0)
    context.set_offline(True)
    page.get_by_role("button", name="Remove me from this device").click()
    page.wait_for_function("document.activeElement.id === 'leave-question'")
    assert f"Remove {b_name} from this device?" in page.inner_text("#leave-confirm")
    page.get_by_role("button", name="Yes, remove me").click()
    page.wait_for_function("document.getElementById('leave-error').textContent.includes('There is no network')")
    assert server.query("SELECT revoked_at FROM devices WHERE key_id = ?", b_device) == [(None,)]
    assert len(page.evaluate(DUMP_DB)["profiles"]) == 2

    context.set_offline(False)
    page.get_by_role("button", name="Remove me from this device").click()
    page.get_by_role("button", name="Yes, remove me").click()
    wait_ready(page, "locked")
    page.wait_for_function(f"document.getElementById('lock-message').textContent.includes('{b_name} was removed')")
    assert b_name not in page.inner_text("#people-list") and a_name in page.inner_text("#people-list")
    (revoked,) = server.query("SELECT revoked_at FROM devices WHERE key_id = ?", b_device)
    assert revoked[0] is not None
    dump = page.evaluate(DUMP_DB)
    assert [p["enrolment"]["person"]["name"] for p in dump["profiles"]] == [a_name]
    assert b_profile["id"] not in json.dumps(dump) and b_device not in json.dumps(dump)
    assert B_MARKER.encode() not in stored_bytes(page)
    # What they sent stays with the team.
    assert [B_MARKER in o.content.decode() for o, _ in open_as_dsl(server)] == [True]

    # The last person leaving leaves a device to set up again.
    unlock(page, person=a_name)
    page.get_by_role("button", name="Remove me from this device").click()
    page.get_by_role("button", name="Yes, remove me").click()
    wait_ready(page, "not-enrolled")
    assert f"{a_name} was removed from this device." in page.inner_text("#status")
    assert page.evaluate(DUMP_DB)["profiles"] == []
    assert page.evaluate("indexedDB.databases().then((d) => d.map((x) => x.name))") == ["lantern"]  # no inbox made
    assert page.errors == []
    context.close()
