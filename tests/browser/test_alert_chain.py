"""The urgent alert's whole chain, in real headless Chromium against a real server and the local push
service (tests/pushservice.py): a member of staff saves an urgent note in one browser; the server
pushes it; the push service checks the VAPID JWT and decrypts the payload; the payload is delivered
into the DSL's service worker in another browser (CDP), which shows the alert; the DSL opens it, the
page opens the note with the recipient key it made itself and acknowledges it; the staff page shows
it opened by the safeguarding team. And the DSL's subscription itself: asked for from a button,
registered again at each opening and when the browser changes it, and dropped."""

from __future__ import annotations

import base64

import sqlite3

import httpx
import pytest

from tests.browser.staff_app import fill_minimal, join_demo, stored_bytes, wait_count
from tests.browser.team_app import sync_now, team_page, wait_in
from tests.browser.test_pwa import push_into_worker, wait_notifications
from tests.pushservice import PushService

MARKER = "scarlet-otter-2291"  # appears nowhere but in the notes written here
ALERT_TITLE = "Urgent safeguarding concern - open Lantern"
CLICK = """async (tag) => {
    const [notification] = await self.registration.getNotifications({ tag });
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
}"""


@pytest.fixture
def service():
    with PushService() as running:
        yield running



def is_receipt(response) -> bool:
    return response.url.endswith("/api/v1/receipts") and response.request.method == "POST"


def urgent_note(page, words: str) -> None:
    fill_minimal(page, words=words)
    page.check("#urgent")
    page.click("#save")


def test_an_urgent_note_reaches_the_dsl_s_browser_and_comes_back_opened(browser, server, service):
    service.server_key = httpx.get(server.url + "/api/v1/push/key").json()["public_key"]
    # Sent before the DSL's browser had a key: sealed to the demo DSL's key on the server's disk only.
    with server.enrolled("staff") as early:
        early.push([early.seal(b"an earlier note", urgent=False)])

    # The DSL's browser (context B): enrolled, its own key made and (demo) signed into the keyring.
    sub = service.new_subscription()
    dsl_context, dsl = team_page(browser, server, "dsl", push_subscription=sub.json())
    dsl.get_by_role("button", name="Get urgent alerts on this device").click()
    dsl.wait_for_function("document.body.dataset.alerts === 'on'")
    assert "This device gets urgent alerts." in dsl.inner_text("#alerts-status")
    ((dsl_device, endpoint),) = server.query("SELECT device_key_id, endpoint FROM push_subscriptions")
    assert endpoint == sub.endpoint
    deliver = push_into_worker(dsl_context, dsl, server.url)

    # A member of staff (context A), enrolled after: the keyring it holds has the DSL browser's key.
    staff_context, staff = join_demo(browser, server)
    urgent_note(staff, f"She said she cannot go home tonight {MARKER}")
    wait_count(staff, "received-count", 1)
    assert staff.inner_text("#opened-count") == "0"

    # The server pushed to the push service, which checked the VAPID JWT and decrypted the payload.
    (got,) = service.wait_for(lambda r: len(r) >= 1)
    assert got.subscription_id == sub.id and (got.urgency, got.ttl) == ("high", "3600")
    record_id = got.json()["record_id"]
    assert set(got.json()) == {"type", "alert_id", "record_id"} and MARKER.encode() not in got.payload

    # Delivered into the DSL's service worker, exactly as decrypted: the generic alert is shown.
    deliver(got.payload.decode())
    (shown,) = wait_notifications(dsl, 1)
    assert (shown["title"], shown["tag"]) == (ALERT_TITLE, record_id)
    assert MARKER not in shown["title"] + shown["body"]

    # The DSL taps it. The worker tells the open window, which opens the note with its browser key
    # and sends the receipt: the acknowledgement.
    (worker,) = dsl_context.service_workers
    with dsl.expect_response(is_receipt) as receipt:
        worker.evaluate(CLICK, record_id)
        dsl.wait_for_function(f"document.body.dataset.noteOpen === '{record_id}'")
    assert receipt.value.status == 200
    ((sent,),) = receipt.value.request.post_data_json.values()  # {"receipts": [one]}
    assert sent["record_id"] == record_id and len(base64.b64decode(sent["proof"])) == 32
    assert dsl.inner_text("#note-heading") == "Concern about Sam Example"
    assert MARKER in dsl.inner_text("#note-body")
    assert dsl.evaluate("document.activeElement.id") == "note-heading"
    assert server.query("SELECT acknowledged_by, next_due FROM alerts") == [(dsl_device, None)]

    # The author's device learns it at its next sync: opened by the safeguarding team.
    sync_now(staff)
    wait_count(staff, "opened-count", 1)
    staff.wait_for_function("document.getElementById('notes-list').textContent.includes('Opened by the safeguarding team')")

    # The earlier note is listed, sealed to the DSL's other key, and not treated as an error.
    dsl.click("#note-close")
    item = dsl.locator("#inbox-list li", has_text="Sealed to another of your keys")
    assert item.count() == 1 and item.get_by_role("button").count() == 0
    opened = dsl.locator(f"#inbox-list li[data-record='{record_id}']")
    assert "Its author has been told the safeguarding team has it" in opened.inner_text()

    # A second urgent note, opened the other way: with no Lantern window open, the worker opens the
    # app at /#alert=<record id>, which pulls the note (not on this device yet) and opens it.
    urgent_note(staff, f"A second urgent note {MARKER}")
    wait_count(staff, "received-count", 2)
    second = service.wait_for(lambda r: len(r) >= 2)[1].json()["record_id"]
    fresh = dsl_context.new_page()
    fresh.on("pageerror", lambda e: dsl.errors.append(e))
    with fresh.expect_response(is_receipt):
        fresh.goto(f"{server.url}/#alert={second}")
        wait_in(fresh)
        fresh.wait_for_function(f"document.body.dataset.noteOpen === '{second}'")
    assert fresh.evaluate("location.hash") == ""
    assert MARKER in fresh.inner_text("#note-body")
    sync_now(staff)
    wait_count(staff, "opened-count", 2)

    # What the DSL's browser stored: envelopes and keys, never a word of a note.
    for page in (dsl, fresh):
        stored = stored_bytes(page, "lantern", "lantern-inbox")
        assert MARKER.encode() not in stored and b"Sam Example" not in stored
    assert b"LNTN" in stored_bytes(dsl, "lantern-inbox")
    assert dsl.errors == [] and staff.errors == []
    staff_context.close()
    dsl_context.close()


def test_the_alert_subscription_is_asked_for_renewed_and_dropped(browser, server, service):
    sub = service.new_subscription()
    context, page = team_page(browser, server, "deputy_dsl", push_subscription=sub.json())
    # Never asked on load: a button, and nothing registered until it is pressed.
    assert page.get_by_role("button", name="Get urgent alerts on this device").is_visible()
    assert server.query("SELECT COUNT(*) FROM push_subscriptions") == [(0,)]
    page.get_by_role("button", name="Get urgent alerts on this device").click()
    page.wait_for_function("document.body.dataset.alerts === 'on'")
    assert server.query("SELECT endpoint FROM push_subscriptions") == [(sub.endpoint,)]

    # The server dropped it (say a push service answered 410 for an older one): opening the app again
    # registers the browser's subscription again.
    con = sqlite3.connect(str(server.database))
    con.execute("DELETE FROM push_subscriptions")
    con.commit()
    con.close()
    page.reload()
    wait_in(page)
    page.wait_for_function("document.body.dataset.alerts === 'on'")
    assert server.query("SELECT endpoint FROM push_subscriptions") == [(sub.endpoint,)]

    # The browser changed the subscription: the worker asks the open window to register it.
    (worker,) = context.service_workers
    with page.expect_request(lambda r: r.url.endswith("/api/v1/push/subscriptions") and r.method == "POST"):
        worker.evaluate("() => self.dispatchEvent(new Event('pushsubscriptionchange'))")

    # Stopping: the browser forgets it and so does the server.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/push/subscriptions") and r.request.method == "DELETE"):
        page.get_by_role("button", name="Stop urgent alerts on this device").click()
    page.wait_for_function("document.body.dataset.alerts === 'off'")
    assert server.query("SELECT COUNT(*) FROM push_subscriptions") == [(0,)]
    assert page.get_by_role("button", name="Get urgent alerts on this device").is_visible()
    assert page.errors == []
    context.close()


def test_a_browser_that_cannot_subscribe_says_so(browser, server):
    """Without the stand-in, this headless browser refuses pushManager.subscribe() (an incognito
    context) or never answers: either way the button ends with a plain sentence, not a spinner."""
    context, page = team_page(browser, server, "dsl")
    page.get_by_role("button", name="Get urgent alerts on this device").click()
    page.wait_for_function("['failed', 'timeout'].includes(document.body.dataset.alerts)", timeout=30000)
    assert "could not subscribe" in page.inner_text("#alerts-status") or "did not manage" in page.inner_text("#alerts-status")
    assert page.get_by_role("button", name="Get urgent alerts on this device").is_enabled()
    assert server.query("SELECT COUNT(*) FROM push_subscriptions") == [(0,)]
    assert page.errors == []
    context.close()

