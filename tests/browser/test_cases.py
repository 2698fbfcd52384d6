"""The safeguarding lead acts (pwa/team/cases.js, clocks.js, actions.js, case-view.js), in real headless
Chromium against the real demo server, with time moved rather than waited for: an urgent note becomes
a case in the triage list; the DSL records a phone referral, the written referral, the acknowledgement
missed and chased, its arrival, and closes the case; each clock's due time is checked across a weekend
and the Christmas bank holidays; what the browser wrote is read by sync/note.py; an allegation's action
is sealed to the headteacher alone; a record that fails its checks is shown, loudly."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from datetime import datetime, timezone

from sync import envelope, note
from sync.ids import uuid7
from tests.browser.staff_app import unlock, wait_ready
from tests.browser.team_app import sync_now, team_page

MARKER = "cobalt-wren-8842"


def concern(**extra) -> dict:
    return {
        "v": 2, "type": "concern", "child": {"name": "Alex Example"}, "recorded_at": "2026-12-23T09:30:00.000Z",
        "words": f"Dad hit me {MARKER}", "categories": ["physical_abuse"], "urgent": True,
        "author": {"person_id": str(uuid.uuid4()), "name": "Tom Teacher"}, **extra,
    }


def days_later(page, iso_local: str, case_id: str) -> None:
    """Moves the page's clock (Date.now) on to this time (UTC, which London keeps in winter): the app
    locks itself, as it does after 5 minutes unused; the DSL unlocks and opens the case again."""
    target = datetime.fromisoformat(iso_local).replace(tzinfo=timezone.utc).timestamp() * 1000
    page.evaluate("(t) => { const real = Date.now; const shift = t - real(); Date.now = () => real() + shift; }", target)
    wait_ready(page, "locked")
    unlock(page)
    open_case(page, case_id)


def open_case(page, case_id: str) -> None:
    page.locator(f"#inbox-list li[data-record='{case_id}']").get_by_role("button", name="Open").click()
    page.wait_for_function(f"document.body.dataset.noteOpen === '{case_id}'")


def record(page, button: str, fields: dict[str, str] | None = None, checks: tuple[str, ...] = ()) -> None:
    """Records one action on the open case through its form, and waits for it in the timeline."""
    before = page.locator("#case-timeline > li").count()
    page.locator("#case-actions").get_by_role("button", name=button, exact=True).click()
    for selector, value in (fields or {}).items():
        page.fill(selector, value)
    for selector in checks:
        page.check(selector)
    page.click("#action-save")
    page.wait_for_function(f"document.querySelectorAll('#case-timeline > li').length === {before + 1}")


def opened_when(read, done, timeout: float = 15):
    """What `read()` gives once `done` says it is all there: the app sends in the background."""
    deadline = time.monotonic() + timeout
    while not done(got := read()):
        assert time.monotonic() < deadline, got
        time.sleep(0.2)
    return got


def open_new_case(page, staff) -> str:
    """A concern from `staff`, synced to the DSL's page and opened there: its id."""
    sealed = staff.seal(json.dumps(concern(urgent=False)).encode())
    staff.push([sealed])
    case_id = str(uuid.UUID(bytes=sealed[22:38]))
    sync_now(page)
    page.wait_for_function("document.body.dataset.inbox === '1'")
    open_case(page, case_id)
    return case_id


def clock(page, name: str) -> dict:
    return page.evaluate("""(name) => { const c = document.querySelector(`#case-clocks [data-clock^="${name}"]`);
        return c && { text: c.textContent, due: c.dataset.due, state: c.className }; }""", name)


def test_from_an_urgent_note_to_a_closed_case_with_every_clock(browser, server):
    context, page = team_page(browser, server, "dsl", timezone_id="Europe/London")
    with server.enrolled("staff") as staff:
        sealed = staff.seal(json.dumps(concern()).encode(), urgent=True)
        staff.push([sealed])
        case_id = str(uuid.UUID(bytes=sealed[22:38]))
        sync_now(page)
        page.wait_for_function("document.body.dataset.inbox === '1'")
        row = page.locator(f"#inbox-list li[data-record='{case_id}']")
        text = row.inner_text()
        for shown in ("Urgent", "Alex Example", "Physical abuse", "Recorded by Tom Teacher", "New."):
            assert shown in text, shown
        assert MARKER not in text  # what was said stays in the case

        row.get_by_role("button", name="Open").click()
        page.wait_for_function(f"document.body.dataset.noteOpen === '{case_id}'")
        assert page.inner_text("#case-state") == "State: Opened."
        assert page.is_visible("#case-clocks-none")

        # Wednesday 23 December, 10:00: the phone referral. The written one is due 48 hours on.
        record(page, "Phone referral made", {"#action-whom": "EHaSH front door", "#action-reference": "EH-4471",
                                             "#action-at": "2026-12-23T10:00"})
        written = clock(page, "written:")
        assert written["due"] == "2026-12-25T10:00:00.000Z" and "due 25 Dec 2026, 10:00" in written["text"]
        assert page.inner_text("#case-state") == "State: In progress."

        # Thursday 24 December, 15:00: the written referral. Friday 25 and Monday 28 are bank holidays,
        # with the weekend between: one working day is Tuesday 29, three are Thursday 31.
        record(page, "Written referral sent", {"#action-whom": "EHaSH", "#action-at": "2026-12-24T15:00"})
        assert "met" in clock(page, "written:")["text"]
        assert clock(page, "ack:")["due"] == "2026-12-29T15:00:00.000Z"
        assert clock(page, "chase:")["due"] == "2026-12-31T15:00:00.000Z"
        assert page.inner_text("#case-state") == "State: Waiting on someone outside the school."

        # Wednesday 30 December: no acknowledgement. It stands out, on the case and at the top of the list.
        days_later(page, "2026-12-30T09:00", case_id)
        assert clock(page, "ack:")["state"] == "overdue"
        assert "overdue since 29 Dec 2026, 15:00" in clock(page, "ack:")["text"]
        assert clock(page, "chase:")["state"] == "due"

        # Thursday 31 December, 16:00: the chase is overdue too; the DSL chases.
        days_later(page, "2026-12-31T16:00", case_id)
        assert clock(page, "chase:")["state"] == "overdue"
        record(page, "Chased", {"#action-whom_name": "Duty social worker", "#action-at": "2026-12-31T16:05"})
        assert "met" in clock(page, "chase:")["text"] and clock(page, "ack:")["state"] == "overdue"

        page.click("#note-close")
        overdue = page.locator(f"#inbox-list li[data-record='{case_id}']")
        assert "Overdue" in overdue.inner_text() and "overdue since" in overdue.inner_text()
        assert "1 case has a clock overdue" in page.inner_text("#inbox-overdue")
        open_case(page, case_id)

        # Monday 4 January: the acknowledgement comes; the DSL records it, then closes the case.
        days_later(page, "2027-01-04T11:00", case_id)
        record(page, "Acknowledgement received", {"#action-reference": "CSC-2027-001"})
        assert "met" in clock(page, "ack:")["text"]
        record(page, "Close the case", {"#action-text": f"Social care took it on {MARKER}"})
        assert page.inner_text("#case-state") == "State: Closed."
        assert page.locator("#case-actions").get_by_role("button", name="Reopen the case").count() == 1
        kinds = page.eval_on_selector_all("#case-timeline > li", "(items) => items.map((i) => i.dataset.kind)")
        assert kinds == ["phone_referral", "written_referral", "chased", "acknowledgement", "closed"]
        assert all("Signature checked." in t or "Waiting on this device" in t
                   for t in page.eval_on_selector_all("#case-timeline > li", "(i) => i.map((x) => x.textContent)"))

        # What the browser wrote, sealed to the DSL's keys too, read and checked by sync/note.py.
        with server.enrolled("dsl") as dsl:
            read = opened_when(lambda: [note.read(o.content) for o in dsl.open_all(server.demo_key("dsl"))],
                               lambda got: sum(isinstance(r, note.Action) for r in got) == len(kinds))
        actions = sorted((r for r in read if isinstance(r, note.Action)), key=lambda a: a.at or a.recorded_at)
        assert [a.kind for a in actions] == kinds
        assert all(str(a.refers_to) == case_id and a.v == 3 and a.author.name == "Demo DSL (DEMO ONLY)" for a in actions)
        phone = actions[0]
        assert (phone.whom, phone.reference) == ("EHaSH front door", "EH-4471")
        assert phone.at == "2026-12-23T10:00:00.000Z"
    assert page.errors == []
    context.close()


def test_an_action_on_an_allegation_is_sealed_to_the_headteacher_alone(browser, server):
    context, page = team_page(browser, server, "headteacher")
    with server.enrolled("staff") as staff:
        payload = staff.accepted_payload()
        heads = [r for r in payload.recipients if r.role == "headteacher"]
        content = concern(urgent=False, about_staff={"headteacher": False, "name": "Mr Smith"})
        sealed = envelope.seal(json.dumps(content).encode(), school_id=staff.school_id, record_id=uuid7(),
                               recipients=[envelope.public_key_from_bytes(r.public_key) for r in heads], author=staff.device)
        staff.push([sealed])
    case_id = str(uuid.UUID(bytes=sealed[22:38]))
    sync_now(page)
    page.wait_for_function("document.body.dataset.inbox === '1'")
    page.locator(f"#inbox-list li[data-record='{case_id}']").get_by_role("button", name="Open").click()
    page.wait_for_function(f"document.body.dataset.noteOpen === '{case_id}'")
    assert "Tell the LADO" in clock(page, "lado")["text"]
    record(page, "LADO told", {"#action-reference": "LADO-77"})
    assert "met" in clock(page, "lado")["text"]
    opened_when(lambda: server.query("SELECT COUNT(*) FROM envelopes")[0][0], lambda n: n == 2)

    recipients = {}
    for role in ("headteacher", "dsl", "deputy_dsl", "chair_of_governors"):
        with server.enrolled(role) as reader:
            for pulled in reader.pull_all():
                header = envelope.parse(pulled.data)
                recipients[str(header.record_id)] = set(header.recipient_key_ids)
                recipients.setdefault("pulled by " + role, set()).add(str(header.record_id))
    head_keys = {envelope.key_id(r.public_key) for r in heads}
    [action_id] = recipients["pulled by headteacher"] - {case_id}
    team_keys = {envelope.key_id(r.public_key) for r in payload.recipients}
    readers = recipients[action_id] & team_keys  # the rest are stanzas for nobody, so that its size says nothing
    assert readers <= head_keys and readers
    for role in ("dsl", "deputy_dsl", "chair_of_governors"):
        assert action_id not in recipients.get("pulled by " + role, set()), role
    context.close()


def test_a_record_whose_signature_fails_is_shown_loudly(browser, server):
    context, page = team_page(browser, server, "dsl")
    with server.enrolled("staff") as staff, server.enrolled("deputy_dsl") as deputy:
        good = staff.seal(json.dumps(concern(urgent=False)).encode())
        staff.push([good])
        case_id = str(uuid.UUID(bytes=good[22:38]))
        action = {"v": 3, "type": "action", "kind": "decision", "refers_to": case_id, "recorded_at": "2026-12-23T11:00:00Z",
                  "decision": "monitor", "reasons": f"Low level {MARKER}", "information_shared": False,
                  "author": {"person_id": str(uuid.uuid4()), "name": "Demo deputy"}}
        sealed = deputy.seal(json.dumps(action).encode())
        deputy.push([sealed])
    # The stored bytes altered afterwards, as a hostile server or a damaged disk would: the last
    # byte of the signature.
    action_id = str(uuid.UUID(bytes=sealed[22:38]))
    con = sqlite3.connect(server.database)
    with con:
        con.execute("UPDATE envelopes SET data = ? WHERE record_id = ?", (sealed[:-1] + bytes([sealed[-1] ^ 1]), action_id))
    con.close()

    sync_now(page)
    # What failed cannot say which case it belongs to (that is inside what failed): it is a row of its
    # own, at the top of the list, and says so.
    page.wait_for_function("document.body.dataset.inbox === '2'")
    first = page.locator("#inbox-list > li").first
    assert first.get_attribute("data-record") == action_id and "failed" in first.get_attribute("class")
    assert "failed its checks (bad_signature)" in first.inner_text()
    assert "Low level" not in page.inner_text("#inbox")
    row = page.locator(f"#inbox-list li[data-record='{case_id}']")
    row.get_by_role("button", name="Open").click()
    page.wait_for_function(f"document.body.dataset.noteOpen === '{case_id}'")
    assert MARKER not in page.inner_text("#case-timeline")
    assert page.inner_text("#case-state") == "State: Opened."  # a record that failed decides nothing
    context.close()


def test_each_running_clock_is_a_reminder_the_server_cannot_place(browser, server):
    """The app asks the server to push at each running clock's due time, under ids the server cannot
    tie to a case or a clock; a met clock's reminder is cancelled; and the push, when it comes, shows
    fixed words (the content-free payload is tested against the server in tests/test_reminders.py)."""
    from tests.browser.test_pwa import NOTIFICATIONS, push_into_worker, wait_notifications

    context, page = team_page(browser, server, "dsl")
    context.grant_permissions(["notifications"], origin=server.url)
    with server.enrolled("staff") as staff:
        case_id = open_new_case(page, staff)
    soon = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M")  # the page's zone is UTC here
    record(page, "Phone referral made", {"#action-whom": "EHaSH front door", "#action-at": soon})
    due = clock(page, "written:")["due"]

    def held():
        return server.query("SELECT id, due_at, sent_at FROM reminders")

    deadline = time.monotonic() + 10
    while len(held()) != 1:
        assert time.monotonic() < deadline, held()
        time.sleep(0.1)
    [(rid, due_at, sent_at)] = held()
    assert due_at == datetime.fromisoformat(due.replace("Z", "+00:00")).timestamp() and sent_at is None
    assert len(rid) == 32 and int(rid, 16) >= 0 and case_id.replace("-", "") not in rid

    # The written referral meets that clock and starts two: one reminder goes, two come.
    record(page, "Written referral sent", {"#action-whom": "EHaSH"})
    expected = sorted(float(int(datetime.fromisoformat(clock(page, n)["due"].replace("Z", "+00:00")).timestamp()))
                      for n in ("ack:", "chase:"))  # whole seconds, as the server keeps them
    while sorted(d for _, d, _ in held()) != expected:
        assert time.monotonic() < deadline + 10, held()
        time.sleep(0.1)
    assert rid not in [r for r, _, _ in held()]

    # A reminder arrives: the worker shows fixed words, whatever the payload holds.
    push = push_into_worker(context, page, server.url)
    push(json.dumps({"type": "reminder", "reminder_id": held()[0][0], "child": "Alex Example"}))
    [shown] = wait_notifications(page, 1)
    assert shown["title"] == "A safeguarding deadline is due - open Lantern"
    assert "Alex" not in shown["title"] + shown["body"] and shown["tag"] == "lantern-reminder"
    assert page.evaluate(NOTIFICATIONS)[0]["data"] == {"record_id": None}
    context.close()


def test_opening_a_case_joins_its_view_trail_which_its_readers_can_read(browser, server):
    context, page = team_page(browser, server, "dsl")
    with server.enrolled("staff") as staff, server.enrolled("deputy_dsl") as deputy:
        case_id = open_new_case(page, staff)
        trail = opened_when(lambda: deputy.view_trail(uuid.UUID(case_id)).views, lambda v: len(v) == 1)
        assert trail[0].name == "Demo DSL (DEMO ONLY)"
        deputy.views([uuid.UUID(case_id)])
    page.click("#case-trail-open")
    page.wait_for_function("document.querySelectorAll('#case-trail li').length === 2")
    shown = page.inner_text("#case-trail")
    assert "Demo DSL (DEMO ONLY), on the device" in shown and "Demo Deputy DSL (DEMO ONLY)" in shown
    assert page.inner_text("#case-trail-status") == "Opened 2 times:"
    page.click("#note-close")
    assert page.inner_text("#case-trail") == ""
    context.close()


def test_a_note_reaches_a_device_its_reader_enrolled_after_it_was_sealed(browser, server):
    """The DSL's first device re-seals what it holds to the key of the DSL's new device (the original
    envelope and its content key: docs/protocol.md, "Re-sealing"); the new device opens it, checked
    against its author's signature, and the case is whole there."""
    first, first_page = team_page(browser, server, "dsl")
    with server.enrolled("staff") as staff:
        sealed = staff.seal(json.dumps(concern(urgent=False, author={"person_id": str(uuid.uuid4()), "name": "Tom Teacher"})).encode())
        staff.push([sealed])
    case_id = str(uuid.UUID(bytes=sealed[22:38]))
    sync_now(first_page)
    first_page.wait_for_function("document.body.dataset.inbox === '1'")

    second, page = team_page(browser, server, "dsl")  # a new phone: its key joins the keyring now
    sync_now(page)
    page.wait_for_function("document.querySelector('#inbox-list li.failed') !== null")
    assert "Sealed to another of your keys" in page.inner_text("#inbox-list")

    sync_now(first_page)  # the first device learns the new key, and hands the note on
    opened_when(lambda: server.query("SELECT COUNT(*) FROM envelopes")[0][0], lambda n: n == 2)
    for _ in range(50):
        sync_now(page)
        if page.evaluate("document.querySelector('#inbox-list li.failed') === null && document.body.dataset.inbox === '1'"):
            break
        page.wait_for_timeout(200)
    row = page.locator(f"#inbox-list li[data-record='{case_id}']")
    assert "Alex Example" in row.inner_text() and "Recorded by Tom Teacher" in row.inner_text()
    open_case(page, case_id)
    assert MARKER in page.inner_text("#note-body")

    # The first device pulls the re-seal back (sealed to it too) and does not hand the note on again.
    sync_now(first_page)
    first_page.wait_for_timeout(1000)
    assert server.query("SELECT COUNT(*) FROM envelopes")[0][0] == 2
    assert first_page.evaluate("document.body.dataset.inbox") == "1"
    first.close()
    second.close()


def test_a_long_list_draws_its_first_rows_and_the_rest_on_asking(browser, server):
    """Thousands of cases are not drawn at once: the first 200, urgent ones first, then 200 more at each
    "Show more", and a new filter starts again from its first rows."""
    context, page = team_page(browser, server, "dsl")
    with server.enrolled("staff") as staff:
        notes = [staff.seal(json.dumps(concern(urgent=i == 204, words=f"Note {i} {MARKER}")).encode(), urgent=i == 204)
                 for i in range(205)]
        for i in range(0, len(notes), 100):
            staff.push(notes[i:i + 100])
    sync_now(page)
    page.wait_for_function("document.body.dataset.inbox === '205'")
    rows = page.locator("#inbox-list > li")
    assert rows.count() == 200
    assert rows.first.get_attribute("data-record") == str(uuid.UUID(bytes=notes[204][22:38]))
    more = page.locator("#inbox-more")
    assert more.inner_text() == "Show more (5 more cases match)"
    more.click()
    assert rows.count() == 205 and more.is_hidden()
    page.fill("#filter-text", MARKER)
    assert rows.count() == 200 and more.inner_text() == "Show more (5 more cases match)"
    page.fill("#filter-text", "Note 203")
    assert rows.count() == 1 and more.is_hidden()
    context.close()
