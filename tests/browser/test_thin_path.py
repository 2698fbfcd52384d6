"""The thin path, real at every step: a device enrolled in the demo school through a one-time code,
a note recorded with the network off, kept sealed in IndexedDB across a reload, sent when the network
returns, opened by the DSL in Python, and the author's device told it was received, then opened."""

from __future__ import annotations

import json

from sync import envelope
from tests.browser.staff_app import set_pin, unlock

MARKER = "purple-giraffe-4411"  # a string that appears nowhere but in this note


def test_offline_note_reaches_the_dsl_sealed(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    set_pin(page)
    assert "DEMO ONLY" in page.inner_text("#school")

    context.set_offline(True)
    page.fill("#child", "Sam Example")
    page.fill("#incident_at", "2026-11-20T10:15")
    page.fill("#words", f"He said \"don't tell mum\" {MARKER}")
    page.fill("#seen", "A bruise on the left forearm")
    page.check("#category-physical_abuse")
    page.check("#about_staff_no")
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
    page.wait_for_function("document.getElementById('device-waiting').textContent === '1'")
    unlock(page)  # the lock screen says only how many wait; the rest is behind the PIN
    assert page.inner_text("#outbox-count") == "1"
    dsl = server.demo_key("dsl")

    record_id = str(envelope.parse(bytes(stored[0])).record_id)
    is_status = lambda r: r.url.endswith("/api/v1/status") and r.request.method == "POST"  # noqa: E731
    with page.expect_response(is_status, timeout=15000) as status_answer:
        context.set_offline(False)  # the page's `online` listener replays the outbox, then asks
    # Urgent, and sealed only to the demo school's keys on the server's disk, no team device
    # subscribed: the alert reached nobody, and no team device can open it (test_unreached.py).
    assert status_answer.value.json() == {"statuses": [
        {"record_id": record_id, "received": True, "opened": False, "alert": "unreached", "readable": False,
         "proofs": []},
    ]}
    page.wait_for_function("document.getElementById('outbox-count').textContent === '0'")
    page.wait_for_function("document.getElementById('received-count').textContent === '1'")
    assert page.inner_text("#opened-count") == "0"
    assert "Sent" in page.inner_text("#status")

    with server.enrolled("dsl") as c:
        opened = list(c.open_all(dsl))
        assert len(opened) == 1
        c.acknowledge(opened)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # any sync will do: this one is at once
    page.wait_for_function("document.getElementById('opened-count').textContent === '1'")
    context.close()

    assert opened[0].header.urgent
    note = json.loads(opened[0].content)
    assert note["type"] == "concern" and note["v"] == 3
    assert note["child"] == {"name": "Sam Example"}
    assert note["words"] == f"He said \"don't tell mum\" {MARKER}"
    assert note["seen"] == "A bruise on the left forearm"
    assert note["incident_at"] == "2026-11-20T10:15"
    assert note["urgent"] is True

    for path in server.data_dir.glob("lantern.db*"):
        data = path.read_bytes()
        assert MARKER.encode() not in data and b"Sam Example" not in data and b"forearm" not in data
