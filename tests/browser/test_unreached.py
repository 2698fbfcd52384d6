"""An urgent note whose alert reached none of the team's phones (no team device subscribed): its
author is told, with the calls to make, in real headless Chromium against the real demo server; and
told no more once someone on the team has opened it."""

from __future__ import annotations

import uuid

from tests.browser.staff_app import fill_minimal, join_demo, wait_count
from tests.browser.team_app import sync_now, tel_links


def test_an_urgent_note_that_alerted_nobody_is_shown_to_its_author_with_the_calls(browser, server):
    context, page = join_demo(browser, server)
    fill_minimal(page, child="Kai Example")
    page.check("#urgent")
    page.click("#save")
    wait_count(page, "received-count", 1)
    sync_now(page)  # the next status poll learns what became of the alert
    page.wait_for_selector("#unreached:not([hidden])")
    assert "reached none of the safeguarding team's phones" in page.inner_text("#unreached-text")
    calls = tel_links(page, "#unreached-calls")
    assert calls[0] == "tel:999" and "tel:01632960001" in calls  # 999, then the demo DSL's phone
    [(record_id,)] = server.query("SELECT record_id FROM envelopes")

    with server.enrolled("dsl") as dsl:
        dsl.acknowledge(o for o in dsl.open_all(server.demo_key("dsl")) if o.header.record_id == uuid.UUID(record_id))
    sync_now(page)
    page.wait_for_selector("#unreached", state="hidden")
    wait_count(page, "opened-count", 1)
    context.close()


def test_a_note_no_team_device_can_open_says_so_to_its_author(browser, server):
    """In the demo, a note saved before the DSL has enrolled a device is sealed only to the demo keys
    on the server's disk: no team device can open it, and its author is told, not left at "Received"."""
    context, page = join_demo(browser, server)
    fill_minimal(page, words="Saved before any DSL device")
    page.click("#save")
    wait_count(page, "received-count", 1)
    sync_now(page)
    page.wait_for_function("document.getElementById('notes-list').textContent.includes('no device of the safeguarding team can open it yet')")

    # Once a team member's app has made its key and it is in the keyring, the next note can be opened.
    from tests.browser.team_app import team_page

    dsl_context, _ = team_page(browser, server, "dsl")
    page.reload()
    from tests.browser.staff_app import unlock

    unlock(page)
    fill_minimal(page, words="Saved after the DSL's device")
    page.click("#save")
    wait_count(page, "received-count", 2)
    sync_now(page)
    page.wait_for_function("document.querySelectorAll('#notes-list li').length === 2")
    items = page.eval_on_selector_all("#notes-list li .own-note-title", "(t) => t.map((x) => x.textContent)")
    assert sum("no device of the safeguarding team can open it yet" in t for t in items) == 1
    dsl_context.close()
    context.close()
