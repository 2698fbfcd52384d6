"""Every screen of the staff app, as a function that brings a fresh page to it.

Used by the accessibility scan (tests/browser/test_accessibility.py) and the screenshots
(tests/browser/screenshots.py). A new screen is one line in SCREENS: a name and a function
`(page, server_url)` that starts from a new, blank page in a new browser context and returns once the
screen is showing, settled, with what it is about scrolled to the top of the window (for the
screenshot; the scan covers the whole page either way).
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.browser.staff_app import add_demo_person, click_figure, fill_minimal, lock, set_pin, wait_count, wait_ready

# Phone and tablet, in CSS pixels: the smallest phone Lantern supports, and a school tablet.
VIEWPORTS = {
    "phone": {"width": 360, "height": 780},
    "tablet": {"width": 1024, "height": 768},
}


def show(page: Page, selector: str) -> None:
    """Scrolls what a screen is about to the top of the window."""
    page.locator(selector).first.evaluate("(e) => e.scrollIntoView({ block: 'start' })")


def open_app(page: Page, url: str) -> None:
    """The set-up screen of a device not enrolled yet, with the demo school on offer."""
    page.goto(url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    page.locator("#demo").wait_for()  # shown once the server says it has a demo school


def choose_pin(page: Page, url: str) -> None:
    """Just enrolled: the person chooses their PIN, here after a first try too easy to guess."""
    open_app(page, url)
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    wait_ready(page, "set-pin")
    page.fill("#new-pin", "123456")
    page.fill("#new-pin-again", "123456")
    page.get_by_role("button", name="Save my PIN").click()
    page.locator("#new-pin-error:not(:empty)").wait_for()
    page.evaluate("window.scrollTo(0, 0)")


def enrolled(page: Page, url: str) -> None:
    """The concern form, empty, on a device enrolled in the demo school, its person unlocked."""
    open_app(page, url)
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    set_pin(page)
    page.evaluate("window.scrollTo(0, 0)")


def lock_screen(page: Page, url: str) -> None:
    """A tablet two people record on, locked, with a note of one of them waiting for a network."""
    enrolled(page, url)
    lock(page)
    add_demo_person(page)
    page.context.set_offline(True)
    fill_minimal(page)
    page.click("#save")
    wait_count(page, "outbox-count", 1)
    lock(page)
    wait_count(page, "device-waiting", 1)
    page.evaluate("window.scrollTo(0, 0)")


def wrong_pin(page: Page, url: str) -> None:
    """A wrong PIN: what happened, and how many tries are left."""
    enrolled(page, url)
    lock(page)
    page.fill("#pin", "000111")
    page.get_by_role("button", name="Unlock").click()
    page.locator("#pin-error:not(:empty)").wait_for()
    page.evaluate("window.scrollTo(0, 0)")


def own_note(page: Page, url: str) -> None:
    """Re-reading a note one saved: from one's own copy, behind one's own unlock."""
    enrolled(page, url)
    fill_minimal(page)
    page.fill("#seen", "A bruise on the left forearm")
    click_figure(page, "front", 0.25, 0.48)
    page.check("#mark_type_bruise")
    page.click("#mark_done")
    page.click("#save")
    wait_count(page, "received-count", 1)
    page.get_by_text("Read what you wrote").first.click()
    page.locator(".own-note-body .note-answers").wait_for()
    show(page, "#notes-heading")


def enrolment_error(page: Page, url: str) -> None:
    open_app(page, url)
    page.get_by_label("Set-up code").fill("ABCD-EFGH")
    page.get_by_role("button", name="Set up this device").click()
    page.locator("#enrol-error").filter(has_text="code_malformed").wait_for()


def form_errors(page: Page, url: str) -> None:
    """The form saved empty: each question says what it lacks."""
    enrolled(page, url)
    page.click("#save")
    page.locator("#child-error:not(:empty)").wait_for()
    show(page, "#concern-heading")


def form_guidance(page: Page, url: str) -> None:
    """Every piece of guidance the form can show, and the questions about a member of staff."""
    enrolled(page, url)
    fill_minimal(page)
    for category in ("physical_abuse", "fgm", "sexting"):
        page.check(f"#category-{category}")
    page.check("#about_staff_yes")
    page.check("#urgent")
    page.locator("#guidance-urgent").wait_for()
    show(page, "#guidance-fgm")


def body_map(page: Page, url: str) -> None:
    """A mark on the body map, with its questions open."""
    enrolled(page, url)
    click_figure(page, "front", 0.5, 0.3)
    page.locator("#mark_done").wait_for()
    show(page, "#bodymap-fieldset")


def mark_details(page: Page, url: str) -> None:
    """A mark being described."""
    body_map(page, url)
    page.check("#mark_type_bruise")
    page.fill("#mark_colour", "Purple")
    show(page, "#mark-panel")


def saved_offline(page: Page, url: str) -> None:
    """A note saved with no network: waiting on this device."""
    enrolled(page, url)
    page.context.set_offline(True)
    fill_minimal(page)
    page.click("#save")
    wait_count(page, "outbox-count", 1)
    page.evaluate("window.scrollTo(0, 0)")


def sent(page: Page, url: str) -> None:
    """A note saved online: received by the server, and in the list of this device's notes."""
    enrolled(page, url)
    fill_minimal(page)
    page.click("#save")
    wait_count(page, "received-count", 1)
    show(page, "#notes")


def addendum(page: Page, url: str) -> None:
    """Adding to a note already sent."""
    sent(page, url)
    page.get_by_role("button", name="Add to this note").first.click()
    page.locator("#addendum").wait_for()
    show(page, "#addendum")


def leave(page: Page, url: str) -> None:
    """A person removing themselves from a device, asked to confirm."""
    sent(page, url)
    page.get_by_role("button", name="Remove me from this device").click()
    page.wait_for_function("document.activeElement.id === 'leave-question'")
    show(page, "#leave")


SCREENS: dict[str, Callable[[Page, str], None]] = {
    "enrolment": open_app,
    "enrolment-error": enrolment_error,
    "choose-pin": choose_pin,
    "lock-screen": lock_screen,
    "wrong-pin": wrong_pin,
    "concern-form": enrolled,
    "form-errors": form_errors,
    "form-guidance": form_guidance,
    "body-map": body_map,
    "mark-details": mark_details,
    "saved-offline": saved_offline,
    "sent": sent,
    "addendum": addendum,
    "own-note": own_note,
    "leave": leave,
}


# The safeguarding team's screens and the urgent call list (tests/browser/team_screens.py).
from tests.browser.team_screens import TEAM_SCREENS  # noqa: E402 - it extends SCREENS, defined above

SCREENS.update(TEAM_SCREENS)
