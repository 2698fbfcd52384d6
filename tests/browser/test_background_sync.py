"""The outbox replayed without the page (docs/staff-app.md, "Sending"): the service worker sends what
waits on a Background Sync event, with every Lantern page closed and nobody unlocked; and a note still
queued when the browser quits is delivered after it starts again. Real headless Chromium, the real
server; the sync event is fired with the DevTools protocol (there is no other way to fire one here)."""

from __future__ import annotations

import time

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.staff_app import fill_minimal, join_demo, set_pin, unlock, wait_count, wait_ready
from tests.browser.test_pwa import worker_registrations
from tests.conftest import start_server, stop_server

MARKER = "umber-stoat-6620"  # appears nowhere but in the notes written here


def pulled_by_dsl(server) -> list:
    with server.enrolled("dsl") as dsl:
        return [note for note in dsl.open_all(server.demo_key("dsl"))]


def wait_delivered(server, count: int, timeout: float = 20) -> list:
    deadline = time.monotonic() + timeout
    while True:
        opened = pulled_by_dsl(server)
        if len(opened) >= count or time.monotonic() > deadline:
            return opened
        time.sleep(0.25)


def test_the_worker_sends_a_queued_note_on_background_sync_with_every_page_closed(browser, server):
    context, page = join_demo(browser, server)
    context.grant_permissions(["background-sync"], origin=server.url)  # as a browser grants an installed app
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)").endswith("/sw-module.js")
    # The server goes: nothing can be sent, by the page or by its worker (Chromium's emulated offline
    # does not hold back a worker's requests, and the browser may fire a registered sync at any time).
    port = int(server.url.rsplit(":", 1)[1])
    stop_server(server)
    fill_minimal(page, words=f"Queued, then the tab was closed {MARKER}")
    page.click("#save")
    wait_count(page, "outbox-count", 1)
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())") == ["lantern-outbox"]

    # Every Lantern page closed; a blank one, of no origin, carries the DevTools session.
    blank = context.new_page()
    page.close()
    cdp, registrations = worker_registrations(context, blank)
    [registration_id] = [r for r, reg in registrations.items() if reg["scopeURL"] == server.url + "/"]
    server = start_server(server.data_dir, port=port)
    try:
        assert pulled_by_dsl(server) == []
        # The server back, and the worker stopped, as the browser stops idle workers.
        cdp.send("ServiceWorker.stopAllWorkers")
        cdp.send("ServiceWorker.dispatchSyncEvent", {
            "origin": server.url, "registrationId": registration_id, "tag": "lantern-outbox", "lastChance": False,
        })
        [opened] = wait_delivered(server, 1)
        assert MARKER in opened.content.decode()

        # The worker moved it from the outbox to what was sent, as the page would have.
        page = context.new_page()
        page.goto(server.url + "/")
        wait_ready(page, "locked")
        assert page.inner_text("#device-waiting") == "0"
        unlock(page)
        wait_count(page, "received-count", 1)
        assert page.inner_text("#outbox-count") == "0"
        assert "Received by the server" in page.inner_text("#notes-list")
    finally:
        context.close()
        stop_server(server)


def test_a_note_queued_when_the_browser_quits_is_delivered_after_it_restarts(browser, server, tmp_path):
    profile_dir = str(tmp_path / "chromium-profile")
    launch = lambda: browser.browser_type.launch_persistent_context(  # noqa: E731
        profile_dir, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
    )
    context = launch()
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        wait_ready(page, "not-enrolled")
        page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
        set_pin(page)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        # The server goes: nothing can be sent, by the page or by its service worker (this browser
        # profile grants Background Sync, which the browser fires whenever it believes itself online,
        # and Chromium's emulated offline does not hold back a worker's requests).
        stop_server(server)
        fill_minimal(page, words=f"Written just before the browser quit {MARKER}")
        page.click("#save")
        wait_count(page, "outbox-count", 1)
    finally:
        context.close()  # the whole browser goes, with the note still queued

    server = start_server(server.data_dir, port=int(server.url.rsplit(":", 1)[1]))
    context = None
    try:
        assert pulled_by_dsl(server) == []
        context = launch()
        page = context.new_page()
        page.goto(server.url + "/")
        # Nobody unlocks: the note goes out all the same, signed by its author's device key.
        wait_ready(page, "locked")
        wait_count(page, "device-waiting", 0)
        [opened] = wait_delivered(server, 1)
        assert MARKER in opened.content.decode()
        unlock(page)
        wait_count(page, "received-count", 1)
    finally:
        if context:
            context.close()
        stop_server(server)
