"""Storage that is not thrown away (pwa/common/storage.js), in real headless Chromium against the real
demo server: the app asks for persistent storage and says what the browser answered; where it was
not granted, a note waiting on the device is warned about, on the person's screen and on the lock
screen, until it is sent. The server is stopped to take the network away (as in
test_background_sync.py); the browser's answer is set through the DevTools protocol, both ways."""

from __future__ import annotations

from tests.browser.staff_app import advance_clock, fill_minimal, lock, set_pin, wait_count
from tests.browser.team_app import sync_now
from tests.conftest import start_server, stop_server


def persistent_storage(context, page, origin: str, setting: str) -> None:
    """What this browser context answers to navigator.storage.persist() for `origin`."""
    cdp = context.new_cdp_session(page)
    browser_context = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    cdp.send("Browser.setPermission", {
        "origin": origin, "permission": {"name": "persistent-storage"}, "setting": setting,
        "browserContextId": browser_context,
    })


def open_demo(browser, server, setting: str):
    """A new device whose browser answers `setting` to persistent storage, joined to the demo school."""
    context = browser.new_context()
    page = context.new_page()
    persistent_storage(context, page, server.url, setting)
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    set_pin(page)
    return context, page


def test_storage_the_browser_keeps_is_said_and_a_waiting_note_is_not_warned_about(browser, server):
    context, page = open_demo(browser, server, "granted")
    try:
        page.wait_for_function("document.body.dataset.storage === 'kept'")
        assert page.evaluate("navigator.storage.persisted()") is True
        assert "keeps Lantern's notes on this device" in page.inner_text("#storage-state")
        stop_server(server)
        fill_minimal(page)
        page.click("#save")
        wait_count(page, "outbox-count", 1)
        # Chromium sends on Background Sync with the page closed: the status need not ask to keep it open.
        assert page.inner_text("#status").endswith("will be sent as soon as there is a network.")
        assert page.inner_text("#storage-warning") == ""
    finally:
        context.close()


def test_a_note_waiting_where_storage_may_be_cleared_is_warned_about_until_it_is_sent(browser, server):
    context, page = open_demo(browser, server, "denied")
    port = int(server.url.rsplit(":", 1)[1])
    try:
        page.wait_for_function("document.body.dataset.storage === 'may-clear'")
        state = page.inner_text("#storage-state")
        assert "may delete what Lantern keeps on this device" in state and "home screen" in state
        assert page.inner_text("#storage-warning") == ""  # nothing waits: nothing to warn about

        stop_server(server)
        fill_minimal(page)
        page.click("#save")
        wait_count(page, "outbox-count", 1)
        page.wait_for_function("document.getElementById('storage-warning').textContent !== ''")
        warning = page.inner_text("#storage-warning")
        assert warning.startswith("A note has waited on this device since") and "7 days" in warning
        assert page.get_attribute("#storage-warning", "role") == "alert"

        # Three days later, on the lock screen, where the next person sees it too.
        lock(page)
        advance_clock(page, 3 * 24 * 3600 * 1000)
        sync_now(page)
        page.wait_for_function("document.getElementById('storage-warning').textContent.includes('for 3 days')")
        assert page.is_visible("#storage-warning")

        back = start_server(server.data_dir, port=port)
        try:
            sync_now(page)
            wait_count(page, "device-waiting", 0)
            page.wait_for_function("document.getElementById('storage-warning').textContent === ''")
        finally:
            stop_server(back)
    finally:
        context.close()
