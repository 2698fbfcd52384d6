"""The body map (pwa/common/bodymap.js and bodymap-editor.js) in real headless Chromium: a mark made,
described, moved and deleted with the keyboard alone; the read-only renderer the DSL's side uses; and
no camera or photo anywhere in the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.staff_app import join_demo, mark_position

PWA = Path(__file__).resolve().parents[2] / "pwa"


def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        return { id: e.id, mark: e.dataset.mark || null, pending: e.dataset.pending || null,
                 add: e.dataset.add || null, label: e.getAttribute('aria-label') || e.textContent }; }""")


def test_a_mark_made_described_moved_and_deleted_by_keyboard_alone(browser, server):
    context, page = join_demo(browser, server, service_workers="block")
    page.focus("#action_taken")  # the question before the body map; from here on, only keys
    page.keyboard.press("Tab")
    assert focused(page)["add"] == "front"
    page.keyboard.press("Enter")
    now = focused(page)
    assert now["pending"] == "yes" and "the child's chest" in now["label"] and "Enter to place" in now["label"]
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown"):
        page.keyboard.press(key)
    assert focused(page)["pending"] == "yes"  # the marker keeps the focus as it moves
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "mark_type_bruise"  # placed: now say what it is
    assert "Mark 1 added" in page.text_content("#bodymap-status")
    assert mark_position(page, 1) == pytest.approx((0.54, 0.40), abs=1e-6)

    page.keyboard.press("Space")  # Bruise
    page.keyboard.press("ArrowDown")  # the radio group moves on to Cut, and ticks it
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first size: under 1 cm
    page.keyboard.press("Tab")
    page.keyboard.type("red")
    page.keyboard.press("Tab")
    page.keyboard.type("A thin straight line")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "mark_done"
    page.keyboard.press("Enter")
    now = focused(page)
    assert now["mark"] == "1" and now["label"].startswith("Mark 1: Cut, under 1 cm, red, front, the child's")
    assert page.inner_text(".bodymap-list li").startswith("Cut, under 1 cm, red: front, the child's")

    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+ArrowUp")
    assert focused(page)["mark"] == "1"
    assert mark_position(page, 1) == pytest.approx((0.52, 0.35), abs=1e-6)

    # Escape leaves a mark being placed without placing it.
    page.focus('[data-add="back"]')
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    assert focused(page)["add"] == "back" and page.locator(".bodymap-list li").count() == 1

    # Enter on a mark opens it; its panel deletes it; the focus lands on that side's "Add a mark".
    page.focus('.bodymap-mark[data-mark="1"]')
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "mark_type_cut"
    page.focus("#mark_delete")
    page.keyboard.press("Enter")
    assert focused(page)["add"] == "front"
    assert page.locator(".bodymap-list li").count() == 0 and "Mark 1 deleted" in page.text_content("#bodymap-status")
    assert page.locator("input[type=file], video, canvas").count() == 0
    assert not page.errors
    context.close()


MARKS = [
    {"side": "front", "x": 0.25, "y": 0.48, "type": "bruise", "size": "3_to_6cm", "colour": "purple",
     "description": "Finger-shaped", "region": "right forearm"},
    {"side": "back", "x": 0.5, "y": 0.3, "type": "graze", "size": "", "colour": "", "description": ""},
]


def test_the_read_only_renderer_draws_marks_and_says_them_in_words(page):
    """What the DSL's side will call with a received note's body_map: no buttons, every mark in words."""
    drawn = page.evaluate(
        """async (marks) => {
            const b = await import('/common/bodymap.js');
            const box = document.createElement('div');
            document.body.appendChild(box);
            b.renderBodyMap(box, marks, { editable: false });
            const out = {
                buttons: box.querySelectorAll('button').length,
                titles: Array.from(box.querySelectorAll('.bodymap-title')).map((t) => t.textContent),
                items: Array.from(box.querySelectorAll('.bodymap-list li')).map((li) => li.textContent),
                dots: Array.from(box.querySelectorAll('.bodymap-mark')).map((m) => [
                    m.closest('.bodymap-figure').dataset.side, m.style.left, m.style.top, m.textContent,
                    m.getAttribute('aria-hidden')]),
                empty: (() => { const e = document.createElement('div'); b.renderBodyMap(e, []); return e.textContent; })(),
                regions: [b.regionAt('front', 0.25, 0.48), b.regionAt('back', 0.25, 0.48), b.regionAt('front', 0.5, 0.1),
                          b.regionAt('back', 0.5, 0.52), b.regionAt('front', 0.02, 0.02)],
            };
            box.remove();
            return out;
        }""",
        MARKS,
    )
    assert drawn["buttons"] == 0
    assert drawn["titles"] == ["Front: 1 mark", "Back: 1 mark"]
    assert drawn["items"] == [
        "Bruise, 3 to 6 cm, purple: front, the child's right forearm. Finger-shaped",
        "graze: back, the child's upper back.",  # a type from a later version is shown as it is
    ]
    assert drawn["dots"] == [["front", "25%", "48%", "1", "true"], ["back", "50%", "30%", "2", "true"]]
    assert "No marks were recorded." in drawn["empty"]
    # Left and right are the child's: the front view's left half is the child's right.
    assert drawn["regions"] == ["right forearm", "left forearm", "face", "bottom", ""]


def test_no_camera_no_file_input_no_photo_anywhere_in_the_app():
    source = "\n".join(p.read_text() for p in PWA.rglob("*") if p.suffix in (".js", ".html"))
    for forbidden in ("getUserMedia", 'type="file"', "type: \"file\"", "capture=", "<video", "<canvas", "ImageCapture"):
        assert forbidden not in source
    assert "do not take photographs" in (PWA / "index.html").read_text()
