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
        dsl.receipts([uuid.UUID(record_id)])
    sync_now(page)
    page.wait_for_selector("#unreached", state="hidden")
    wait_count(page, "opened-count", 1)
    context.close()
