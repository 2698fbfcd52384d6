"""A chronology per child and the governors' summary (pwa/team/chronology.js, summary.js), made on the
DSL's device in real headless Chromium against the real demo server: the chronology holds exactly the
records of that child, from every author, and no other child's, on the page, printed to PDF by
Chromium and in its JSON; the summary counts concerns by category and term, with small counts
suppressed and no names."""

from __future__ import annotations

import io
import json
import unicodedata
import uuid

from pypdf import PdfReader

from tests.browser.team_app import sync_now, team_page

NOTES = [
    # (child, words, categories, recorded_at)
    ("Alex Example", "alex-first-7301", ["physical_abuse"], "2026-10-05T09:00:00.000Z"),
    ("Alex Example", "alex-second-7302", ["neglect", "physical_abuse"], "2026-11-12T14:30:00.000Z"),
    ("Bea Other", "bea-only-7303", ["neglect"], "2026-11-20T10:00:00.000Z"),
]


def concern(child: str, words: str, categories: list[str], recorded_at: str, author: str) -> bytes:
    return json.dumps({
        "v": 2, "type": "concern", "child": {"name": child}, "recorded_at": recorded_at, "words": words,
        "categories": categories, "urgent": False, "author": {"person_id": str(uuid.uuid4()), "name": author},
    }).encode()


def open_case(page, case_id: str) -> None:
    page.locator(f"#inbox-list li[data-record='{case_id}']").get_by_role("button", name="Open").click()
    page.wait_for_function(f"document.body.dataset.noteOpen === '{case_id}'")


def test_a_child_s_chronology_holds_their_records_and_no_one_else_s(browser, server):
    context, page = team_page(browser, server, "dsl", accept_downloads=True)
    ids = []
    with server.enrolled("staff") as first, server.enrolled("staff") as second:
        for i, (child, words, categories, at) in enumerate(NOTES):
            author = (first, "Tom Teacher") if i != 1 else (second, "Sue Supervisor")
            sealed = author[0].seal(concern(child, words, categories, at, author[1]))
            author[0].push([sealed])
            ids.append(str(uuid.UUID(bytes=sealed[22:38])))
        addition = {"v": 2, "type": "addendum", "refers_to": ids[0], "recorded_at": "2026-10-05T11:00:00Z",
                    "text": "alex-addition-7304"}
        first.push([first.seal(json.dumps(addition).encode())])
    sync_now(page)
    page.wait_for_function("document.body.dataset.inbox === '3'")

    # One action on Alex's second note, recorded here.
    open_case(page, ids[1])
    page.locator("#case-actions").get_by_role("button", name="Outcome", exact=True).click()
    page.fill("#action-text", "alex-outcome-7305")
    page.click("#action-save")
    page.wait_for_function("document.querySelectorAll('#case-timeline > li').length === 1")

    page.click("#chronology-open")
    page.wait_for_function("document.body.dataset.chronology === '4'")
    assert page.inner_text("#chronology-heading") == "Chronology: Alex Example"
    shown = page.inner_text("#chronology-list")
    order = [shown.index(m) for m in ("alex-first-7301", "alex-addition-7304", "alex-second-7302", "alex-outcome-7305")]
    assert order == sorted(order), "not in time order"
    assert "bea-only-7303" not in shown and "Bea Other" not in shown
    assert "Recorded by Tom Teacher" in shown and "Recorded by Sue Supervisor" in shown

    # Printed by Chromium: the print stylesheet leaves the chronology and nothing else.
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    # NFKC: the PDF's fonts join letters into ligatures ("fi"), which extract as one character.
    printed = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pdf.pages))
    page.emulate_media(media="screen")
    for marker in ("alex-first-7301", "alex-addition-7304", "alex-second-7302", "alex-outcome-7305", "Chronology: Alex Example"):
        assert marker in printed, marker
    assert "bea-only-7303" not in printed and "Bea Other" not in printed
    assert "Save as JSON" not in printed and "Record what you did" not in printed

    # The JSON, as the browser saves it: the same records, whole, in the documented shape.
    with page.expect_download() as download:
        page.click("#chronology-json")
    data = json.loads(open(download.value.path()).read())
    assert (data["format"], data["version"], data["child"]) == ("lantern-chronology", 1, {"name": "Alex Example", "roster_id": None})
    assert [r["content"]["type"] for r in data["records"]] == ["concern", "addendum", "concern", "action"]
    assert {r["case_id"] for r in data["records"]} == {ids[0], ids[1]}
    assert data["records"][3]["content"]["text"] == "alex-outcome-7305"
    assert all(r["signed_by"]["name"] for r in data["records"])
    assert "bea-only-7303" not in json.dumps(data)

    # Closing it takes the plaintext off the page.
    page.click("#chronology-close")
    assert page.inner_text("#chronology-list") == "" and page.is_visible("#note-view")
    context.close()


def test_the_governors_summary_counts_without_names_and_hides_small_counts(browser, server):
    context, page = team_page(browser, server, "dsl")
    with server.enrolled("staff") as staff:
        batch = []
        # Autumn 2026: 6 neglect (2 also physical abuse), 1 radicalisation; spring 2027: 2 neglect.
        for i in range(6):
            batch.append(staff.seal(concern(f"Child {i}", "x", ["neglect"] + (["physical_abuse"] if i < 2 else []),
                                            f"2026-10-{10 + i}T09:00:00.000Z", "Tom")))
        batch.append(staff.seal(concern("Child R", "x", ["radicalisation"], "2026-11-02T09:00:00.000Z", "Tom")))
        for i in range(2):
            batch.append(staff.seal(concern(f"Child S{i}", "x", ["neglect"], f"2027-02-0{i + 1}T09:00:00.000Z", "Tom")))
        staff.push(batch)
    sync_now(page)
    page.wait_for_function("document.body.dataset.inbox === '9'")
    page.click("#summary-open")
    page.wait_for_selector("#summary-table tbody tr")
    rows = page.eval_on_selector_all("#summary-table tr", "(rows) => rows.map((r) => [...r.children].map((c) => c.textContent))")
    assert rows[0] == ["What the concerns were about", "Autumn 2026", "Spring 2027", "All terms"]
    table = {r[0]: r[1:] for r in rows[1:]}
    assert table["Physical abuse"] == ["fewer than 5", "0", "fewer than 5"]
    assert table["Neglect"] == ["6", "fewer than 5", "8"]
    assert table["Radicalisation (Prevent)"] == ["fewer than 5", "0", "fewer than 5"]
    assert table["All concerns"] == ["7", "fewer than 5", "9"]
    summary = page.inner_text("#summary")
    assert "Child" not in summary and "Tom" not in summary
    page.click("#summary-close")
    assert page.is_visible("#inbox") and page.is_hidden("#summary")
    context.close()
