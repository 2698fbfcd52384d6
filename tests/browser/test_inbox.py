"""The safeguarding team's inbox and the tap-to-call lists, in real headless Chromium against the real
demo server: a note opened read-only with every field and the body map drawn by the one renderer;
tap-to-call for the team beside it, and for staff the moment a note is marked urgent, with no
network; a staff device never has an inbox; and the page's note reader agrees with sync/note.py."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from sync.ids import uuid7
from tests.browser.staff_app import fill_minimal, join_demo, lock, stored_bytes
from tests.browser.team_app import sync_now, tel_links, team_page, wait_in

MARKER = "violet-heron-5120"

CONCERN = {
    "v": 2, "type": "concern", "child": {"name": "Alex Example"}, "incident_at": "2026-03-02T08:40",
    "recorded_at": "2026-03-02T09:05:00.000Z", "place": "Breakfast club", "people_present": "Mrs Khan (TA)",
    "words": f"Dad hit me with the belt again {MARKER}", "seen": "Two marks on the back of the left leg",
    "action_taken": "Told the DSL in person", "categories": ["physical_abuse", "fgm", "other"],
    "category_other": "Missed medical appointments", "urgent": True,
    "fgm_report": {"reported": True, "police_reference": "HU-2026-0042"},
    "body_map": [
        {"side": "back", "x": 0.62, "y": 0.8, "type": "bruise", "size": "3_to_6cm", "colour": "purple",
         "description": "A long straight bruise", "region": "right lower leg"},
        {"side": "front", "x": 0.3, "y": 0.45, "type": "cut", "size": "under_1cm", "colour": "", "description": "",
         "region": "right forearm"},
    ],
}
DEMO_TEAM_CALLS = ["tel:999", "tel:101", "tel:01482448879", "tel:01482300304", "tel:01482790933"]


def test_the_dsl_opens_a_note_read_only_with_its_body_map_and_calls_to_hand(browser, server):
    context, page = team_page(browser, server, "dsl")
    with server.enrolled("staff") as staff:  # enrolled after: its keyring has the browser's key
        concern = staff.seal(json.dumps(CONCERN).encode(), urgent=True)
        staff.push([concern])
        record_id = str(uuid.UUID(bytes=concern[22:38]))
        addition = {"v": 2, "type": "addendum", "refers_to": record_id, "recorded_at": "2026-03-02T11:00:00Z",
                    "text": f"Police came at 10:40 {MARKER}", "urgent": False}
        staff.push([staff.seal(json.dumps(addition).encode())])
        sync_now(page)
        # One case: the addition is under its note, not a row of its own.
        page.wait_for_function("document.body.dataset.inbox === '1'")
        assert not page.is_visible("#inbox-empty")
        item = page.locator(f"#inbox-list li[data-record='{record_id}']")
        for shown in ("Urgent", "Alex Example", "Physical abuse", "New.", "1 addition."):
            assert shown in item.inner_text(), shown
        assert MARKER not in page.inner_text("#inbox")  # what was said and added stays in the case

        item.get_by_role("button", name="Open").click()
        page.wait_for_function(f"document.body.dataset.noteOpen === '{record_id}'")
        assert page.is_hidden("#concern") and page.is_hidden("#inbox") and page.is_visible("#note-view")
        assert page.inner_text("#note-heading") == "Concern about Alex Example"
        body = page.inner_text("#note-body")
        for answer in ("Breakfast club", "Mrs Khan (TA)", f"Dad hit me with the belt again {MARKER}",
                       "Two marks on the back of the left leg", "Told the DSL in person", "Physical abuse",
                       "Female genital mutilation (FGM)", "Something else: Missed medical appointments",
                       "HU-2026-0042", "Urgent", "2 Mar 2026"):
            assert answer in body, answer

        # The body map, drawn by pwa/common/bodymap.js read-only: pictures and a list, nothing to press.
        figures = page.locator("#note-bodymap .bodymap-figure")
        assert figures.count() == 2 and [figures.nth(i).get_attribute("role") for i in range(2)] == ["img", "img"]
        assert page.locator("#note-bodymap button").count() == 0
        assert page.locator("#note-bodymap .bodymap-mark").count() == 2
        marks = page.inner_text("#note-bodymap .bodymap-list")
        assert "Bruise, 3 to 6 cm, purple: back, the child's right lower leg." in marks
        assert "Cut, under 1 cm: front, the child's right forearm." in marks
        back = page.locator("#note-bodymap .bodymap-figure[data-side=back] .bodymap-mark")
        assert (back.evaluate("(m) => [m.style.left, m.style.top]")) == ["62%", "80%"]

        # Tap-to-call beside it, from the signed keyring: 999, 101, front door, out of hours, LADO.
        assert tel_links(page, "#note-calls") == DEMO_TEAM_CALLS
        assert "Call 999" in page.inner_text("#note-calls")

        # The addition below it, with who wrote it and its signature checked.
        added = page.locator("#case-timeline li[data-kind=addendum]")
        assert f"Police came at 10:40 {MARKER}" in added.inner_text() and "Signature checked." in added.inner_text()

        # Opening it acknowledged it: the author's device reads "opened".
        page.wait_for_function(f"document.querySelector(\"#inbox-list li[data-record='{record_id}']\").dataset.state === 'opened'")
        deadline = time.monotonic() + 10
        while not staff.status([uuid.UUID(record_id)])[uuid.UUID(record_id)].opened:
            assert time.monotonic() < deadline, "no receipt reached the server"
            time.sleep(0.1)

        # Back: the form and the list as they were, the focus on the note's button, the note gone.
        page.click("#note-close")
        assert page.is_visible("#concern") and page.is_hidden("#note-view")
        assert page.evaluate("document.activeElement.getAttribute('data-open')") == record_id
        assert page.inner_text("#note-body") == "" and page.inner_text("#case-timeline") == ""

    stored = stored_bytes(page, "lantern", "lantern-inbox")
    assert MARKER.encode() not in stored and b"Alex Example" not in stored and b"HU-2026" not in stored

    # Locking the app (for the next person, or after a while unused) takes the opened note away.
    lock(page)
    assert page.is_hidden("#note-view") and page.is_hidden("#inbox")
    assert MARKER not in page.inner_text("body") and page.inner_text("#note-body") == ""
    assert page.errors == []
    context.close()


def test_the_note_s_author_is_checked_against_the_device_that_signed_it(browser, server):
    """The server says whose the signing device is (GET /api/v1/devices/{key_id}); a note naming
    someone else as its author is shown with a warning, one naming its device's person plainly."""
    context, page = team_page(browser, server, "dsl")
    staff = server.client()
    person = staff.enrol(server.code_for("staff")).person
    with staff:
        notes = {}
        for case, author in [("own", {"person_id": str(person.id), "name": person.name}),
                             ("other", {"person_id": str(uuid.uuid4()), "name": "Mr Someone Else"})]:
            sealed = staff.seal(json.dumps({**CONCERN, "author": author}).encode())
            staff.push([sealed])
            notes[case] = str(uuid.UUID(bytes=sealed[22:38]))
    sync_now(page)
    page.wait_for_function("document.body.dataset.inbox === '2'")
    shown = {}
    for case, record_id in notes.items():
        page.locator(f"#inbox-list li[data-record='{record_id}']").get_by_role("button", name="Open").click()
        page.wait_for_function(f"document.body.dataset.noteOpen === '{record_id}'")
        shown[case] = page.inner_text("#note-body")
        page.click("#note-close")
    assert f"Written by {person.name}." in shown["own"] and "signed on a device" not in shown["own"]
    assert (f"The note names Mr Someone Else as its author, but it was signed on a device enrolled to "
            f"{person.name}.") in shown["other"]
    assert "Written by Mr Someone Else" not in shown["other"]
    context.close()


def test_the_team_s_recipient_key_is_made_here_and_kept_under_the_profile_key(browser, server):
    """Made in this browser; stored sealed under the person's profile key (tests/browser/
    test_profiles_js.py tests the sealing itself), never as a usable key: another person on the
    device, or anyone with the browser's files, has nothing to decrypt with."""
    context, page = team_page(browser, server, "deputy_dsl")
    (held,) = [v for k, v in zip(*page.evaluate("""async () => {
        const db = await new Promise((ok) => { const r = indexedDB.open('lantern'); r.onsuccess = () => ok(r.result); });
        const all = (how) => new Promise((ok) => { const q = db.transaction('settings').objectStore('settings')[how](); q.onsuccess = () => ok(q.result); });
        const [keys, values] = [await all('getAllKeys'), await all('getAll')];
        db.close();
        return [keys.map(String), values.map((v) => JSON.parse(JSON.stringify(v, (k, x) =>
            x instanceof CryptoKey ? 'CryptoKey' : x instanceof Uint8Array ? { length: x.length } : x)))];
    }""")) if k.startswith("recipientKey:")]
    assert set(held) == {"sealedPrivateKey", "publicKeyRaw", "keyId", "registered"}
    assert "CryptoKey" not in json.dumps(held)
    assert held["publicKeyRaw"] == {"length": 65} and held["sealedPrivateKey"]["iv"] == {"length": 12}
    with server.enrolled("staff") as staff:
        assert held["keyId"] in {r.key_id for r in staff.accepted_payload().recipients if r.role == "deputy_dsl"}
    assert held["keyId"][:4] in page.inner_text("#recipient-key")
    context.close()


def test_marking_a_note_urgent_shows_whom_to_call_with_no_network(browser, server):
    context, page = join_demo(browser, server)
    context.set_offline(True)
    page.reload()  # the shell from the service worker, the keyring from IndexedDB: nothing from the network
    wait_in(page)
    assert page.is_hidden("#urgent-calls a")
    fill_minimal(page)
    page.check("#urgent")
    calls = page.locator("#urgent-calls")
    calls.locator("a").first.wait_for()
    # 999 first for immediate danger, then the DSL's phone.
    assert tel_links(page, "#urgent-calls") == ["tel:999", "tel:01632960001"]
    steps = calls.locator("li").all_inner_texts()
    assert "immediate danger" in steps[0] and "Call 999" in steps[0]
    assert "Then tell the DSL now." in steps[1] and "Demo DSL (DEMO ONLY)" in steps[1]
    assert "Whom to call, in this order" in calls.inner_text()

    # FGM: the teacher's own duty to call the police comes before the DSL.
    page.check("#category-fgm")
    assert tel_links(page, "#urgent-calls") == ["tel:999", "tel:101", "tel:01632960001"]
    assert "you must report it to the police yourself" in calls.locator("li").nth(1).inner_text()
    # Typing elsewhere in the form does not redraw the list under someone's finger or keyboard.
    page.locator("#urgent-calls a").nth(1).focus()
    page.evaluate("document.getElementById('concern').dispatchEvent(new Event('input'))")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "tel:101"

    page.uncheck("#urgent")
    assert page.locator("#urgent-calls a").count() == 0
    assert page.errors == []
    context.close()


def test_a_staff_device_never_has_an_inbox(browser, server):
    context, page = join_demo(browser, server)
    assert page.is_hidden("#inbox") and page.is_hidden("#note-view")
    asked = []
    page.on("request", lambda r: asked.append((r.method, r.url.split("?")[0].replace(server.url, ""))))
    page.goto(f"{server.url}/#alert={uuid7()}")
    wait_in(page)
    sync_now(page)
    page.wait_for_timeout(500)
    assert page.is_hidden("#inbox") and page.is_hidden("#note-view")
    assert page.evaluate("location.hash") == ""
    assert ("GET", "/api/v1/envelopes") not in asked and ("POST", "/api/v1/recipient-keys") not in asked
    assert not any(path.startswith("/api/v1/devices/") for _, path in asked)
    assert page.evaluate("indexedDB.databases().then((d) => d.map((x) => x.name))") == ["lantern"]
    settings = page.evaluate("""() => new Promise((ok) => { const r = indexedDB.open('lantern');
        r.onsuccess = () => { const q = r.result.transaction('settings').objectStore('settings').getAllKeys();
                              q.onsuccess = () => ok(q.result.map(String)); }; })""")
    assert not any(k.startswith("recipientKey:") for k in settings)
    assert page.errors == []
    context.close()


# The page's reader (pwa/common/note-reader.js) on the same record vectors as sync/note.py (tests/test_note.py).
RECORDS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "records.json").read_text())["cases"]
READER_CASES = {case["name"]: case for case in RECORDS}


@pytest.mark.parametrize("case", READER_CASES)
def test_the_page_reads_records_as_the_vectors_say(page, case):
    vector = READER_CASES[case]
    content = bytes.fromhex(vector["content_hex"]) if "content_hex" in vector else json.dumps(vector["content"]).encode()
    answer = page.evaluate("""async (hex) => {
        const { readNote } = await import('/common/note-reader.js');
        const bytes = new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
        try { readNote(bytes); return 'ok'; } catch (e) { if (e.name === 'NoteError') return e.code; throw e; }
    }""", content.hex())
    assert answer == vector["expect"], case


def test_an_inbox_from_before_the_split_keeps_every_envelope(page):
    """Version 1 of the inbox database kept each envelope inside its entry; version 2 moved it to a
    store of its own, and version 3 adds a page's envelopes and a batch's contents as one value each
    (pwa/team/inbox.js). An upgraded database holds the same bytes under the same ids."""
    result = page.evaluate("""async () => {
        await new Promise((ok) => { const r = indexedDB.deleteDatabase('lantern-inbox'); r.onsuccess = ok; r.onerror = ok; });
        await new Promise((ok, fail) => {
            const r = indexedDB.open('lantern-inbox', 1);
            r.onupgradeneeded = () => {
                const db = r.result;
                const entries = db.createObjectStore('envelopes', { keyPath: 'id' });
                entries.createIndex('owner', 'owner');
                db.createObjectStore('cursors', { keyPath: 'owner' });
                db.createObjectStore('authors', { keyPath: 'keyId' });
                entries.put({ id: 'k/r1', owner: 'k', seq: 1, recordId: 'r1', envelope: new Uint8Array([76, 78, 84, 78, 1]), opened: true });
                entries.put({ id: 'k/r2', owner: 'k', seq: 2, recordId: 'r2', envelope: new Uint8Array([76, 78, 84, 78, 2]), opened: false });
            };
            r.onsuccess = () => { r.result.close(); ok(); };
            r.onerror = () => fail(r.error);
        });
        const { envelopeOf, openInboxDb } = await import('/team/inbox.js');
        const db = await openInboxDb();
        const read = (store, op) => new Promise((ok) => { const q = db.transaction(store).objectStore(store)[op](); q.onsuccess = () => ok(q.result); });
        const entries = await read('envelopes', 'getAll');
        const bytes = await read('sealed', 'getAll');
        const keys = await read('sealed', 'getAllKeys');
        const again = Array.from(await envelopeOf(db, 'k/r2'));
        const stores = Array.from(db.objectStoreNames).sort();
        db.close();
        // The harness page is shared: leave no inbox behind for the tests after this one.
        await new Promise((ok) => { const r = indexedDB.deleteDatabase('lantern-inbox'); r.onsuccess = ok; r.onerror = ok; });
        return { version: db.version, stores, again, entries: entries.map((e) => [e.id, 'envelope' in e, e.opened]),
                 sealed: keys.map((k, i) => [k, Array.from(bytes[i])]) };
    }""")
    assert result["version"] == 3
    assert result["stores"] == ["authors", "contents", "cursors", "envelopes", "pages", "sealed"]
    assert result["entries"] == [["k/r1", False, True], ["k/r2", False, False]]
    assert result["sealed"] == [["k/r1", [76, 78, 84, 78, 1]], ["k/r2", [76, 78, 84, 78, 2]]]
    assert result["again"] == [76, 78, 84, 78, 2]


def test_records_kept_one_by_one_and_by_the_batch_both_read_and_leaving_forgets_both(page):
    """A version 2 app kept what each record said on its own entry; version 3 keeps a batch's as one
    value padded to 4 KiB multiples. openedRecords reads both under the profile key, envelopeOf finds
    an envelope in its page, and forgetOwner takes one person's pages and contents and no one else's."""
    result = page.evaluate("""async () => {
        await new Promise((ok) => { const r = indexedDB.deleteDatabase('lantern-inbox'); r.onsuccess = ok; r.onerror = ok; });
        const { envelopeOf, forgetOwner, openInboxDb, openedRecords } = await import('/team/inbox.js');
        const { sealLocal, sealLocalMany } = await import('/common/vault.js');
        const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
        const said = (words) => ({ note: { type: 'concern', words }, signer: { name: 'A' }, urgent: false });
        const db = await openInboxDb();
        const put = (stores, fill) => new Promise((ok, fail) => {
            const tx = db.transaction(stores, 'readwrite'); fill(tx); tx.oncomplete = ok; tx.onerror = () => fail(tx.error);
        });
        const big = 'x'.repeat(5000); // a batch past one 4 KiB step
        const batch = await sealLocalMany(key, 'inbox-records', 'k/b1', { 'k/r2': said('second'), 'k/r3': said(big) });
        const one = await sealLocal(key, 'inbox-record', 'k/r1', said('first'));
        await put(['envelopes', 'sealed', 'pages', 'contents'], (tx) => {
            const e = tx.objectStore('envelopes');
            e.put({ id: 'k/r1', owner: 'k', seq: 1, recordId: 'r1', recipientKeyIds: [], opened: true, sealed: one });
            tx.objectStore('sealed').put(new Uint8Array([1]), 'k/r1');
            e.put({ id: 'k/r2', owner: 'k', seq: 2, recordId: 'r2', recipientKeyIds: [], page: 'k/b1', slot: 0, batch: 'k/b1' });
            e.put({ id: 'k/r3', owner: 'k', seq: 3, recordId: 'r3', recipientKeyIds: [], page: 'k/b1', slot: 1, batch: 'k/b1' });
            e.put({ id: 'm/r9', owner: 'm', seq: 1, recordId: 'r9', recipientKeyIds: [], page: 'm/b9', slot: 0 });
            tx.objectStore('pages').put([new Uint8Array([2]), new Uint8Array([3])], 'k/b1');
            tx.objectStore('pages').put([new Uint8Array([9])], 'm/b9');
            tx.objectStore('contents').put(batch, 'k/b1');
        });
        const records = (await openedRecords(db, 'k', key)).map((r) => [r.recordId, r.note.words.slice(0, 6)]);
        const envelopes = [Array.from(await envelopeOf(db, 'k/r1')), Array.from(await envelopeOf(db, 'k/r3'))];
        await forgetOwner(db, 'k');
        const left = {};
        for (const store of ['envelopes', 'sealed', 'pages', 'contents']) {
            left[store] = await new Promise((ok) => { const q = db.transaction(store).objectStore(store).getAllKeys(); q.onsuccess = () => ok(q.result); });
        }
        db.close();
        await new Promise((ok) => { const r = indexedDB.deleteDatabase('lantern-inbox'); r.onsuccess = ok; r.onerror = ok; });
        return { records, envelopes, left, batchBytes: batch.data.length };
    }""")
    assert sorted(result["records"]) == [["r1", "first"], ["r2", "second"], ["r3", "xxxxxx"]]
    assert result["envelopes"] == [[1], [3]]
    assert result["batchBytes"] % 4096 == 16 and result["batchBytes"] > 8192  # whole steps, plus the GCM tag
    assert result["left"] == {"envelopes": ["m/r9"], "sealed": [], "pages": ["m/b9"], "contents": []}
