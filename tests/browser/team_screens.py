"""The safeguarding team's screens, and the staff form's urgent call list, for tests/browser/screens.py
(which adds TEAM_SCREENS to its SCREENS): each a function `(page, server_url)` that brings a fresh
page to the screen. A team member's page enrols with a one-time code for the demo team member, which
comes from the server's database (tests/conftest.py RUNNING)."""

from __future__ import annotations

import json

from playwright.sync_api import Page

from sync import envelope

# A made-up concern for the screens, as a staff device would write it.
SAMPLE = {
    "v": 2, "type": "concern", "child": {"name": "Jordan Example"}, "incident_at": "2026-03-02T08:40",
    "recorded_at": "2026-03-02T09:05:00.000Z", "place": "Breakfast club", "people_present": "Mrs Khan (teaching assistant)",
    "words": "Dad said if I tell anyone I'll be in big trouble. It hurts when I sit down.",
    "seen": "Jordan flinched when Mrs Khan touched his arm, and had a bruise on the back of his left leg.",
    "action_taken": "Told the DSL in person at 9:00.", "categories": ["physical_abuse"], "category_other": "",
    "urgent": True,
    "body_map": [
        {"side": "back", "x": 0.38, "y": 0.8, "type": "bruise", "size": "3_to_6cm", "colour": "purple",
         "description": "A long straight bruise", "region": "left lower leg"},
        {"side": "front", "x": 0.25, "y": 0.48, "type": "scratch", "size": "1_to_3cm", "colour": "red",
         "description": "", "region": "right forearm"},
    ],
}


def team_member(page: Page, url: str, role: str = "dsl") -> None:
    """A team member's device, enrolled with a code link, its recipient key in the keyring."""
    from tests.conftest import RUNNING

    page.goto(url + "/#enrol=" + RUNNING[url].code_for(role))
    page.wait_for_function("['set-pin', 'yes'].includes(document.body.dataset.ready)")
    if page.evaluate("document.body.dataset.ready") == "set-pin":
        from tests.browser.staff_app import set_pin

        set_pin(page)
    page.wait_for_function("document.body.dataset.recipientKey === 'in-keyring'")


def inbox(page: Page, url: str) -> str:
    """The notes for the DSL: an urgent one new from a member of staff, at the top. Returns its id."""
    from tests.browser.screens import show
    from tests.conftest import RUNNING

    team_member(page, url)
    with RUNNING[url].enrolled("staff") as staff:  # enrolled now: it seals to the browser's key too
        sealed = staff.seal(json.dumps(SAMPLE).encode(), urgent=True)
        staff.push([sealed])
    record_id = str(envelope.parse(sealed).record_id)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator(f"#inbox-list li[data-record='{record_id}']").wait_for()
    page.locator("#alerts-status:not(:empty)").wait_for()
    show(page, "#inbox")
    return record_id


def note_view(page: Page, url: str) -> None:
    """That note opened: every answer, the body map read-only, and the calls the DSL may make."""
    record_id = inbox(page, url)
    page.locator(f"#inbox-list li[data-record='{record_id}']").get_by_role("button", name="Open").click()
    page.wait_for_function(f"document.body.dataset.noteOpen === '{record_id}'")
    page.evaluate("window.scrollTo(0, 0)")


def note_map_and_calls(page: Page, url: str) -> None:
    """Further down that note: the body map, read-only, and the calls the DSL may make, as buttons."""
    from tests.browser.screens import show

    note_view(page, url)
    show(page, "#note-bodymap-heading")


def urgent_calls(page: Page, url: str) -> None:
    """A note marked urgent, about FGM, with no network: whom to call, in order, as buttons."""
    from tests.browser.screens import enrolled, show
    from tests.browser.staff_app import fill_minimal

    enrolled(page, url)
    page.context.set_offline(True)
    fill_minimal(page)
    page.check("#category-fgm")
    page.check("#urgent")
    page.locator("#urgent-calls a").first.wait_for()
    show(page, "#guidance-urgent")


# A made-up MIS export for the screens: one row has no name, and is left out.
SAMPLE_CSV = (
    "UPN,Legal Surname,Legal Forename,Preferred Forename,Date of Birth,Year,Reg Group\r\n"
    "A100000000001,Example,Jordan,,02/05/2017,Year 4,4B\r\n"
    "A100000000002,Sample,Riley,Ri,11/09/2016,Year 5,5A\r\n"
    "A100000000003,,,,01/01/2018,Year 3,3C\r\n"
    '"A100000000004","Specimen, Jr",Casey,,23/12/2015,Year 6,6B\r\n'
)


def roster_import(page: Page, url: str) -> None:
    """The DSL imports the school's list of children from the MIS's CSV: what was found, and what was
    left out and why, before anything is published."""
    from tests.browser.screens import show

    team_member(page, url)
    page.fill("#roster-csv", SAMPLE_CSV)
    page.get_by_role("button", name="Check the list").click()
    page.wait_for_function("document.body.dataset.rosterPreview === '3'")
    show(page, "#roster-csv")


def case_with_clocks(page: Page, url: str) -> None:
    """That note as a case after a phone referral and the written referral: the clocks, one met and
    two running, and the records under the note, each signed and checked."""
    from tests.browser.screens import show

    note_view(page, url)
    for button, fields in (("Phone referral made", {"#action-whom": "EHaSH front door", "#action-reference": "EH-4471"}),
                           ("Written referral sent", {"#action-whom": "EHaSH"})):
        before = page.locator("#case-timeline > li").count()
        page.locator("#case-actions").get_by_role("button", name=button, exact=True).click()
        for selector, value in fields.items():
            page.fill(selector, value)
        page.click("#action-save")
        page.wait_for_function(f"document.querySelectorAll('#case-timeline > li').length === {before + 1}")
    show(page, "#case-clocks-heading")


def action_form(page: Page, url: str) -> None:
    """Recording a decision: its guidance from the policy, its questions, and who did it."""
    from tests.browser.screens import show

    note_view(page, url)
    page.locator("#case-actions").get_by_role("button", name="Decision", exact=True).click()
    page.check("#action-decision-refer_social_care")
    page.fill("#action-reasons", "A disclosure of physical harm at home, with a bruise seen.")
    show(page, "#action-heading")


def chronology(page: Page, url: str) -> None:
    """Jordan's chronology: every record about the child, in time order, ready to print or save."""
    from tests.browser.screens import show

    note_view(page, url)
    page.click("#chronology-open")
    page.wait_for_function("document.body.dataset.chronology")
    show(page, "#chronology-heading")


def governors_summary(page: Page, url: str) -> None:
    """The summary for governors: concerns by category and term, small counts hidden, no names."""
    from tests.browser.screens import show

    inbox(page, url)
    page.click("#summary-open")
    page.wait_for_selector("#summary-table tbody tr")
    show(page, "#summary-heading")


def school_setup(page: Page, url: str) -> None:
    """A new school's trust key made in the app: the setup file for the admin, and the recovery sheet."""
    from tests.browser.screens import open_app, show

    open_app(page, url)
    page.click("#setup-open")
    page.wait_for_function("!document.getElementById('school-setup').hidden")
    page.fill("#setup-school", "Riverside Primary")
    page.fill("#setup-passphrase", "a long walk to the river")
    page.fill("#setup-passphrase-again", "a long walk to the river")
    page.click("#setup-make")
    page.wait_for_function("document.body.dataset.schoolSetup === 'made'", timeout=30_000)
    show(page, "#setup-done-heading")


def trust_key(page: Page, url: str) -> None:
    """The trust key screen of a DSL whose device does not hold it yet: bringing it from its backup."""
    from tests.browser.screens import show

    inbox(page, url)
    page.click("#trust-open")
    page.wait_for_function("document.body.dataset.trustKey === 'absent'")
    show(page, "#trust-heading")


TEAM_SCREENS = {
    "school-setup": school_setup,
    "trust-key": trust_key,
    "urgent-calls": urgent_calls,
    "inbox": inbox,
    "note-view": note_view,
    "note-map-and-calls": note_map_and_calls,
    "case-clocks": case_with_clocks,
    "action-form": action_form,
    "chronology": chronology,
    "governors-summary": governors_summary,
    "roster-import": roster_import,
}
