"""The concern form in real headless Chromium against the real demo server: a full note with a body map
recorded offline, kept sealed across a reload, delivered and opened by the DSL in Python with every
field and mark intact; allegations sealed to the headteacher or the chair only; validation; the FGM
guidance and its answers; additions to a saved note."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from sync import envelope, note
from sync.envelope import EnvelopeError
from tests.browser.staff_app import (
    click_figure, stored_bytes, fill_minimal, join_demo, mark_position, outbox_envelopes, unlock, wait_count,
)

MARKER = "teal-otter-5521"  # appears nowhere but in the notes these tests write


def open_as(server, role: str) -> list[tuple[envelope.Opened, note.Note]]:
    """Every note sealed to the demo team member `role`, opened with their key and read."""
    with server.enrolled(role) as member:
        opened = list(member.open_all(server.demo_key(role)))
    return [(o, note.read(o.content)) for o in opened]


def pulled_by(server, role: str) -> list[bytes]:
    with server.enrolled(role) as member:
        return [p.data for p in member.pull_all()]


def key_ids(server, *roles: str) -> set[bytes]:
    with server.enrolled("staff") as staff:
        payload = staff.accepted_payload()
    return {bytes.fromhex(r.key_id) for r in payload.recipients if r.role in roles}


def sealed_to(server, opened) -> set[bytes]:
    """The keyring's keys among an envelope's stanzas; and every envelope has as many stanzas as a
    concern to the DSL and deputies, so that its size does not tell an allegation apart."""
    keyring = server.query("SELECT key_id, role FROM recipients")  # the published keyring's, as the server holds it
    ids = opened.header.recipient_key_ids
    assert len(ids) == len([k for k, role in keyring if role in ("dsl", "deputy_dsl")])
    return set(ids) & {bytes.fromhex(k) for k, _ in keyring}


def person_id(server, role: str) -> uuid.UUID:
    with server.enrolled("staff") as staff:
        return next(r.person_id for r in staff.accepted_payload().recipients if r.role == role)


def test_a_full_note_with_a_body_map_recorded_offline_reaches_the_dsl_intact(browser, server):
    context, page = join_demo(browser, server, viewport={"width": 360, "height": 800})  # a small phone
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)

    page.fill("#child", "Robin Example")
    page.fill("#incident_at", "2026-11-20T10:15")
    page.fill("#place", "The playground, by the climbing frame")
    page.fill("#people_present", "Ms Jones (lunchtime supervisor), two children from 4B")
    page.fill("#words", f"She said \"it was my uncle, don't tell mum\" {MARKER}")
    page.fill("#seen", "Bruising on her chest and a cut on her arm")
    page.fill("#action_taken", "Told the DSL in person at 10:30")
    for code in ("physical_abuse", "neglect", "other"):
        page.check(f"#category-{code}")
    page.fill("#category_other", "Often hungry at lunch")
    page.check("#about_staff_no")
    page.check("#urgent")
    assert page.is_visible("#guidance-urgent") and page.is_visible("#guidance-injury")

    # Mark 1, by click on the front's chest: a bruise, changed later.
    click_figure(page, "front", 0.5, 0.28)
    page.check("#mark_type_bruise")
    page.check("#mark_size_1_to_3cm")
    page.fill("#mark_colour", "purple")
    page.fill("#mark_description", "Oval")
    page.click("#mark_done")
    # Mark 2, by click on the front's viewer-left forearm (the child's right), then dragged across.
    click_figure(page, "front", 0.25, 0.48)
    assert "right forearm" in page.inner_text("#mark-legend")
    page.check("#mark_type_cut")
    page.check("#mark_size_under_1cm")
    page.fill("#mark_colour", "red")
    page.click("#mark_done")
    # Mark 3, by keyboard on the back.
    page.get_by_role("button", name="Add a mark to the back").click()
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.check("#mark_type_burn")
    page.fill("#mark_description", f"Round, about the size of a fingertip {MARKER}")
    page.click("#mark_done")
    # Mark 4, on the lower back: then deleted.
    click_figure(page, "back", 0.5, 0.42)
    page.check("#mark_type_scratch")
    page.click("#mark_delete")
    assert page.locator(".bodymap-list li").count() == 3

    # Mark 2 is dragged to the other forearm (the child's left).
    mark = page.locator('.bodymap-mark[data-mark="2"]')
    mark.scroll_into_view_if_needed()
    start = mark.bounding_box()
    figure = page.locator(".bodymap-figure[data-side=front]").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    target = (figure["x"] + figure["width"] * 0.75, figure["y"] + figure["height"] * 0.5)
    page.mouse.move(*target, steps=8)
    page.mouse.up()
    assert mark_position(page, 2) == pytest.approx((0.75, 0.5), abs=0.01)
    assert "left forearm" in page.get_by_role("button", name="Mark 2: Cut").get_attribute("aria-label")

    # Mark 1 is edited: now a swelling, with more said about it.
    page.get_by_role("button", name="Change mark 1").click()
    assert page.evaluate("document.activeElement.id") == "mark_type_bruise"
    page.check("#mark_type_swelling")
    page.fill("#mark_colour", "purple and yellow")
    page.fill("#mark_description", "Oval, yellowing at the edges")
    page.click("#mark_done")
    assert page.evaluate("document.activeElement.dataset.mark") == "1"

    assert "Demo DSL" in page.inner_text("#routing") and "Headteacher" not in page.inner_text("#routing")
    page.click("#save")
    wait_count(page, "outbox-count", 1)
    assert "Saved on this device" in page.inner_text("#status")
    # The form is empty again, body map and all.
    assert page.input_value("#child") == "" and page.locator(".bodymap-list li").count() == 0
    assert "waiting to be sent" in page.inner_text("#notes-list")

    # Nothing the note says is anywhere in IndexedDB: only the sealed envelope.
    stored = stored_bytes(page)
    for secret in (MARKER, "Robin Example", "climbing frame", "Ms Jones", "yellowing", "hungry"):
        assert secret.encode() not in stored
    [sealed] = outbox_envelopes(page)
    assert sealed[:4] == b"LNTN"
    record_id = envelope.parse(sealed).record_id
    assert str(record_id) in page.inner_text("#notes-list")  # the list shows ids and times, not content

    page.reload()  # still offline: the app comes from the service worker, the note from IndexedDB
    unlock(page)
    assert page.inner_text("#outbox-count") == "1"
    assert str(record_id) in page.inner_text("#notes-list")

    context.set_offline(False)
    wait_count(page, "outbox-count", 0)
    wait_count(page, "received-count", 1)
    assert not page.errors
    author = page.inner_text("#session-name")
    context.close()

    [(opened, n)] = open_as(server, "dsl")
    assert opened.header.record_id == record_id and opened.header.urgent
    assert sealed_to(server, opened) == key_ids(server, "dsl", "deputy_dsl")
    assert isinstance(n, note.Concern) and n.v == 3
    assert n.author is not None and n.author.name == author and n.author.person_id is not None
    assert n.child.name == "Robin Example"
    assert n.incident_at == "2026-11-20T10:15"
    assert n.recorded_at.endswith("Z") and n.recorded_at[:4] >= "2025"
    assert n.place == "The playground, by the climbing frame"
    assert n.people_present == "Ms Jones (lunchtime supervisor), two children from 4B"
    assert n.words == f"She said \"it was my uncle, don't tell mum\" {MARKER}"
    assert n.seen == "Bruising on her chest and a cut on her arm"
    assert n.action_taken == "Told the DSL in person at 10:30"
    assert n.categories == ["physical_abuse", "neglect", "other"] and n.category_other == "Often hungry at lunch"
    assert n.urgent is True and n.fgm_report is None and n.about_staff is None
    assert [(m.side, m.type, m.size, m.colour, m.description, m.region) for m in n.body_map] == [
        ("front", "swelling", "1_to_3cm", "purple and yellow", "Oval, yellowing at the edges", "chest"),
        ("front", "cut", "under_1cm", "red", "", "left forearm"),
        ("back", "burn", "", "", f"Round, about the size of a fingertip {MARKER}", "upper back"),
    ]
    assert (n.body_map[0].x, n.body_map[0].y) == pytest.approx((0.5, 0.28), abs=0.01)
    assert (n.body_map[1].x, n.body_map[1].y) == pytest.approx((0.75, 0.5), abs=0.01)
    assert (n.body_map[2].x, n.body_map[2].y) == pytest.approx((0.5, 0.32), abs=1e-6)
    with server.enrolled("staff") as staff:
        assert note.expected_recipients(staff.accepted_payload(), n)  # the routing rule agrees
    for path in server.data_dir.glob("lantern.db*"):
        assert MARKER.encode() not in path.read_bytes()


def test_an_allegation_about_the_headteacher_is_sealed_to_the_chair_only(browser, server):
    context, page = join_demo(browser, server)
    fill_minimal(page, words=f"The head grabbed my arm {MARKER}")
    page.check("#about_staff_yes")
    assert page.is_visible("#guidance-staff")
    page.check("#about_head_yes")
    assert not page.is_visible("#staff_subject")
    routing = page.inner_text("#routing")
    assert "Demo Chair of Governors" in routing and "DSL" not in routing and "Headteacher" not in routing
    page.click("#save")
    wait_count(page, "received-count", 1)
    context.close()

    assert pulled_by(server, "dsl") == [] and pulled_by(server, "headteacher") == []
    [(opened, n)] = open_as(server, "chair_of_governors")
    assert sealed_to(server, opened) == key_ids(server, "chair_of_governors")
    assert n.about_staff == note.AboutStaff(
        headteacher=True, name="Demo Headteacher (DEMO ONLY)", person_id=person_id(server, "headteacher"))
    assert n.words == f"The head grabbed my arm {MARKER}"

    # The DSL's key cannot open it, even given the bytes.
    [data] = pulled_by(server, "chair_of_governors")
    with server.enrolled("chair_of_governors") as chair:  # only the team may look up device keys
        author = envelope.public_key_from_bytes(chair.device_key(opened.header.author_key_id))
    with pytest.raises(EnvelopeError) as refused:
        envelope.open(data, recipient=server.demo_key("dsl"), author=author)
    assert refused.value.code == "not_a_recipient"


def test_an_allegation_about_staff_goes_to_the_headteacher_only_never_to_its_subject(browser, server):
    context, page = join_demo(browser, server)
    # Named from the keyring: the deputy DSL, who would otherwise read every concern.
    fill_minimal(page)
    page.check("#about_staff_yes")
    page.check("#about_head_no")
    options = page.locator("#staff_subject option").all_inner_texts()
    assert "Demo Deputy DSL (DEMO ONLY) (deputy DSL)" in options and not any("Headteacher" in o for o in options)
    page.select_option("#staff_subject", label="Demo Deputy DSL (DEMO ONLY) (deputy DSL)")
    routing = page.inner_text("#routing")
    assert "Demo Headteacher" in routing and "Deputy" not in routing
    page.click("#save")
    wait_count(page, "received-count", 1)
    # Not in the keyring: named in free text.
    fill_minimal(page, words="Second allegation")
    page.check("#about_staff_yes")
    page.check("#about_head_no")
    page.select_option("#staff_subject", "other")
    page.fill("#staff_name", "Mr Example, the caretaker")
    page.click("#save")
    wait_count(page, "received-count", 2)
    context.close()

    assert pulled_by(server, "dsl") == [] and pulled_by(server, "deputy_dsl") == []
    assert pulled_by(server, "chair_of_governors") == []
    notes = open_as(server, "headteacher")
    assert len(notes) == 2
    for opened, _ in notes:
        assert sealed_to(server, opened) == key_ids(server, "headteacher")
    assert [n.about_staff for _, n in notes] == [
        note.AboutStaff(headteacher=False, name="Demo Deputy DSL (DEMO ONLY)", person_id=person_id(server, "deputy_dsl")),
        note.AboutStaff(headteacher=False, name="Mr Example, the caretaker"),
    ]


def test_validation_shows_each_error_beside_its_question_and_focuses_the_first(browser, server):
    context, page = join_demo(browser, server, service_workers="block")
    page.click("#save")
    assert page.evaluate("document.activeElement.id") == "child"
    assert page.get_attribute("#child", "aria-invalid") == "true"
    assert "child-error" in page.get_attribute("#child", "aria-describedby")
    assert page.text_content("#child-error") == "Error: Give the child's name."
    assert "what the child said or what you saw" in page.inner_text("#words-error")
    assert "Tick at least one" in page.inner_text("#categories-error")
    assert "categories-error" in page.get_attribute("#categories", "aria-describedby")
    assert "member of staff" in page.inner_text("#about_staff-error")

    page.fill("#child", "Sam Example")
    page.fill("#incident_at", "2099-01-01T09:00")
    page.click("#save")
    assert page.evaluate("document.activeElement.id") == "incident_at"
    assert "cannot be in the future" in page.inner_text("#incident_at-error")
    assert page.inner_text("#child-error") == "" and page.get_attribute("#child", "aria-invalid") is None

    page.fill("#incident_at", "2020-01-06T09:00")  # long ago: not an error, but a reminder
    page.click("#save")
    assert page.inner_text("#incident_at-error") == "" and page.is_visible("#incident_at-late")
    assert "more than 24 hours ago" in page.inner_text("#incident_at-late")
    page.fill("#incident_at", "")
    assert not page.is_visible("#incident_at-late")
    page.fill("#seen", "A bruise")
    page.check("#category-other")
    page.check("#about_staff_yes")
    page.check("#about_head_no")
    click_figure(page, "front", 0.5, 0.3)  # a mark whose kind is never said
    page.click("#mark_done")
    page.click("#save")
    # The mark comes first in the form: it is opened at the question it lacks.
    assert page.evaluate("document.activeElement.id") == "mark_type_bruise"
    assert "mark 1" in page.inner_text("#bodymap-error")
    assert "bodymap-error" in page.get_attribute("#mark_type", "aria-describedby")
    assert "Say what else" in page.inner_text("#category_other-error")
    assert "Choose who it is about" in page.inner_text("#staff_subject-error")

    page.check("#mark_type_bruise")
    page.fill("#category_other", "Something else")
    page.select_option("#staff_subject", "other")
    page.click("#save")
    assert page.evaluate("document.activeElement.id") == "staff_name"
    page.fill("#staff_name", "A volunteer")
    page.click("#save")
    wait_count(page, "received-count", 1)
    assert page.inner_text("#form-error") == ""
    assert page.locator("p.error[id$='-error']:not(:empty)").count() == 0
    context.close()


def test_fgm_guidance_appears_and_its_answers_are_recorded(browser, server):
    context, page = join_demo(browser, server)
    fill_minimal(page)
    assert not page.is_visible("#guidance-fgm")
    page.check("#category-fgm")
    assert page.is_visible("#guidance-fgm")
    assert "must report it to the police yourself" in page.inner_text("#guidance-fgm")
    assert "101" in page.inner_text("#guidance-fgm")
    assert "FGM" in page.inner_text("#context-status")  # announced, not only shown
    page.click("#save")
    assert page.evaluate("document.activeElement.id") == "fgm_reported_yes"
    assert "reported it to the police" in page.inner_text("#fgm_reported-error")

    page.check("#fgm_reported_no")
    assert page.is_visible("#fgm-not-yet") and not page.is_visible("#fgm_reference")
    page.check("#fgm_reported_yes")
    page.fill("#fgm_reference", "HUM-2026-11-0042")
    page.check("#category-sexting")
    assert "never view, share or delete" in page.inner_text("#guidance-sexting").lower()
    page.click("#save")
    wait_count(page, "received-count", 1)
    assert not page.is_visible("#guidance-fgm")  # the form is new again
    context.close()

    [(_, n)] = open_as(server, "dsl")
    assert n.categories == ["neglect", "fgm", "sexting"]
    assert n.fgm_report == note.FgmReport(reported=True, police_reference="HUM-2026-11-0042")


def test_an_addition_refers_to_its_note_and_goes_to_the_same_people(browser, server):
    context, page = join_demo(browser, server)
    fill_minimal(page)
    page.check("#about_staff_yes")
    page.check("#about_head_no")
    page.select_option("#staff_subject", "other")
    page.fill("#staff_name", "A supply teacher")
    page.click("#save")
    wait_count(page, "received-count", 1)
    first = page.locator("#notes-list [data-record]").first.get_attribute("data-record")

    page.get_by_role("button", name="Add to this note").click()
    assert page.evaluate("document.activeElement.id") == "addendum-heading"
    assert first in page.inner_text("#addendum-ref")
    assert not page.is_visible("#concern")
    page.click("#addendum-save")
    assert page.evaluate("document.activeElement.id") == "addendum_text"
    page.fill("#addendum_text", f"The police reference is HUM-77 {MARKER}")
    page.click("#addendum-save")
    wait_count(page, "received-count", 2)
    assert page.is_visible("#concern") and not page.is_visible("#addendum")
    assert page.evaluate("document.activeElement.dataset.addTo") == first
    listing = page.inner_text("#notes-list")
    assert "Addition" in listing and MARKER not in listing  # the author's copy shows only when asked for
    assert page.get_by_role("button", name="Add to this note").count() == 1  # additions are not added to
    assert MARKER.encode() not in stored_bytes(page)
    context.close()

    notes = open_as(server, "headteacher")
    assert [type(n) for _, n in notes] == [note.Concern, note.Addendum]
    (_, original), (added, addition) = notes
    assert str(notes[0][0].header.record_id) == first
    assert addition.refers_to == uuid.UUID(first) and addition.text == f"The police reference is HUM-77 {MARKER}"
    assert sealed_to(server, added) == key_ids(server, "headteacher")
    assert pulled_by(server, "dsl") == []


def test_routing_in_javascript_gives_the_vectors_answers(page):
    """tests/vectors/routing.json through pwa/common/keyring.js, as tests/test_routing.py does in Python."""
    vectors = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "routing.json").read_text())
    answers = page.evaluate(
        """async (v) => {
            const k = await import('/common/keyring.js');
            return v.cases.map((c) => k.routeRecipients({ recipients: v.keyrings[c.keyring] }, c.route).map((r) => r.name));
        }""",
        vectors,
    )
    assert answers == [c["expect"] for c in vectors["cases"]]
