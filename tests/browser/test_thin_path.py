"""The thin path, real at every step: a note recorded in the PWA with the network off, kept sealed
in IndexedDB across a reload, sent when the network returns, and opened by the DSL in Python."""

from __future__ import annotations

import json

from sync import envelope

MARKER = "purple-giraffe-4411"  # a string that appears nowhere but in this note


def test_offline_note_reaches_the_dsl_sealed(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'yes'")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    assert "DEMO ONLY" in page.inner_text("#school")

    context.set_offline(True)
    page.fill("#child", "Sam Example")
    page.fill("#incident_at", "2026-11-26T10:15")
    page.fill("#words", f"He said \"don't tell mum\" {MARKER}")
    page.fill("#seen", "A bruise on the left forearm")
    page.check("#urgent")
    page.click("#save")
    page.wait_for_function("document.getElementById('outbox-count').textContent === '1'")
    assert "Saved on this device" in page.inner_text("#status")

    # What IndexedDB holds is the envelope, never the note.
    stored = page.evaluate(
        """() => new Promise((resolve) => {
            const r = indexedDB.open('lantern');
            r.onsuccess = () => {
              const q = r.result.transaction('outbox').objectStore('outbox').getAll();
              q.onsuccess = () => resolve(q.result.map((i) => Array.from(i.envelope)));
            };
        })"""
    )
    assert len(stored) == 1 and MARKER.encode() not in bytes(stored[0])
    assert bytes(stored[0][:4]) == b"LNTN"

    page.reload()  # still offline: the shell comes from the service worker's cache
    page.wait_for_function("document.body.dataset.ready === 'yes'")
    assert page.inner_text("#outbox-count") == "1"
    dsl = server.demo_key("dsl")

    context.set_offline(False)  # the page's `online` listener replays the outbox
    page.wait_for_function("document.getElementById('outbox-count').textContent === '0'", timeout=15000)
    assert "Sent" in page.inner_text("#status")
    context.close()

    school_id = envelope.parse(bytes(stored[0])).school_id
    with server.client() as c:
        opened = list(c.open_all(school_id, dsl))
    assert len(opened) == 1
    assert opened[0].header.urgent
    note = json.loads(opened[0].content)
    assert note["type"] == "concern" and note["v"] == 1
    assert note["child"] == {"name": "Sam Example"}
    assert note["words"] == f"He said \"don't tell mum\" {MARKER}"
    assert note["seen"] == "A bruise on the left forearm"
    assert note["incident_at"] == "2026-11-26T10:15"
    assert note["urgent"] is True

    for path in server.data_dir.glob("lantern.db*"):
        data = path.read_bytes()
        assert MARKER.encode() not in data and b"Sam Example" not in data and b"forearm" not in data
