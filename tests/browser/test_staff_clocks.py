"""The staff member's own clocks, in real headless Chromium against the real demo server: the written
account due within 24 hours of what happened, said while they write; and the FGM report to the
police, their personal duty, kept in front of them after the note is saved, across a lock, until they
record it, which reaches the safeguarding team as a signed action on their note."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sync import note
from tests.browser.staff_app import fill_minimal, join_demo, lock, unlock, wait_count

LONDON = ZoneInfo("Europe/London")


def test_the_written_account_says_when_it_is_due(browser, server):
    context, page = join_demo(browser, server, timezone_id="Europe/London")
    happened = (datetime.now(LONDON) - timedelta(hours=2)).replace(second=0, microsecond=0)
    page.fill("#incident_at", happened.strftime("%Y-%m-%dT%H:%M"))
    due = happened + timedelta(hours=24)
    text = page.inner_text("#incident_at-due")
    assert text.startswith("Finish and save this account by ") and f"{due.day} {due:%b}, {due:%H:%M}" in text
    assert page.is_hidden("#incident_at-late")
    page.fill("#incident_at", (happened - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    assert page.inner_text("#incident_at-due") == "" and page.is_visible("#incident_at-late")
    context.close()


def test_the_fgm_report_stays_in_front_of_its_author_until_they_record_it(browser, server):
    context, page = join_demo(browser, server)
    fill_minimal(page, child="Ayan Example")
    page.check("#category-fgm")
    page.check("#fgm_reported_no")
    page.click("#save")
    wait_count(page, "received-count", 1)
    page.wait_for_selector("#fgm-duty:not([hidden])")
    assert "About Ayan Example" in page.inner_text("#fgm-duty-list")
    assert "call 101" in page.inner_text("#fgm-duty")

    # Still there after a lock and an unlock: it does not vanish with the form.
    lock(page)
    assert page.is_hidden("#fgm-duty")
    unlock(page)
    page.wait_for_selector("#fgm-duty:not([hidden])")

    button = page.get_by_role("button", name="I have reported it to the police")
    button.click()
    assert "crime reference" in page.inner_text("#fgm-duty-list .error")
    page.fill("#fgm-duty-list input", "HU-2026-0099")
    button.click()
    page.wait_for_selector("#fgm-duty", state="hidden")
    assert "HU-2026" not in page.inner_text("#notes-list")  # the report is not listed as a note of its own

    with server.enrolled("dsl") as dsl:
        deadline = time.monotonic() + 15
        while len(read := {str(o.header.record_id): note.read(o.content) for o in dsl.open_all(server.demo_key("dsl"))}) < 2:
            assert time.monotonic() < deadline, read
            time.sleep(0.2)
    [concern_id] = [rid for rid, n in read.items() if isinstance(n, note.Concern)]
    [report] = [n for n in read.values() if isinstance(n, note.Action)]
    assert (report.kind, report.reference, str(report.refers_to)) == ("fgm_police_report", "HU-2026-0099", concern_id)
    assert report.author.name == read[concern_id].author.name
    page.reload()
    unlock(page)
    assert page.is_hidden("#fgm-duty")
    assert page.errors == []
    context.close()
