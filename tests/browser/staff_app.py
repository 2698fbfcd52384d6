"""Helpers for driving the staff app (pwa/) in a real page against the real demo server."""

from __future__ import annotations

import json

# Every store of an IndexedDB database (the app's own by default), as JSON: byte arrays become lists
# of numbers, so a test can search the whole database for a string that must not be there.
DUMP_DB = """(name) => new Promise((resolve, reject) => {
    const r = indexedDB.open(name || 'lantern');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
        const db = r.result;
        const names = Array.from(db.objectStoreNames);
        if (!names.length) { db.close(); resolve({}); return; }
        const tx = db.transaction(names);
        const out = {};
        const plain = (v) => {
            if (v instanceof Uint8Array) return { bytes: Array.from(v) };
            if (v instanceof ArrayBuffer) return { bytes: Array.from(new Uint8Array(v)) };
            if (v instanceof CryptoKey) return { cryptoKey: v.type, extractable: v.extractable };
            if (Array.isArray(v)) return v.map(plain);
            if (v && typeof v === 'object') {
                const o = {};
                for (const k of Object.keys(v)) o[k] = plain(v[k]);
                return o;
            }
            return v;
        };
        for (const store of names) {
            const q = tx.objectStore(store).getAll();
            q.onsuccess = () => { out[store] = plain(q.result); };
        }
        tx.oncomplete = () => { db.close(); resolve(out); };
    };
})"""


def stored_bytes(page, *databases: str) -> bytes:
    """Everything in these IndexedDB databases (the app's own by default) as bytes: their JSON, and
    each byte array raw."""
    out = b""
    for name in databases or ("lantern",):
        dump = page.evaluate(DUMP_DB, name)
        raw = []

        def walk(v):
            if isinstance(v, dict):
                if set(v) == {"bytes"}:
                    raw.append(bytes(v["bytes"]))
                else:
                    for x in v.values():
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)

        walk(dump)
        out += json.dumps(dump).encode() + b"".join(raw)
    return out


def outbox_envelopes(page) -> list[bytes]:
    dump = page.evaluate(DUMP_DB)
    return [bytes(item["envelope"]["bytes"]) for item in dump["outbox"]]


PIN = "482916"  # what the tests' demo staff choose; any PIN the app accepts would do


def wait_ready(page, state: str, timeout: int = 15000) -> None:
    """Waits for the app's `document.body.dataset.ready`: not-enrolled, set-pin, locked or yes (unlocked)."""
    page.wait_for_function(f"document.body.dataset.ready === '{state}'", timeout=timeout)


def set_pin(page, pin: str = PIN) -> None:
    """On the screen that follows an enrolment: chooses the PIN, which unlocks the app."""
    wait_ready(page, "set-pin")
    page.fill("#new-pin", pin)
    page.fill("#new-pin-again", pin)
    page.get_by_role("button", name="Save my PIN").click()
    wait_ready(page, "yes")


def unlock(page, pin: str = PIN, person: str | None = None) -> None:
    """On the lock screen: chooses `person` (a label, when several people record here) and unlocks."""
    wait_ready(page, "locked")
    if person is not None:
        page.get_by_label(person, exact=True).check()
    page.fill("#pin", pin)
    page.get_by_role("button", name="Unlock").click()
    wait_ready(page, "yes")


def lock(page) -> None:
    page.get_by_role("button", name="Lock Lantern for the next person").click()
    wait_ready(page, "locked")


def add_demo_person(page, pin: str = PIN) -> str:
    """From the lock screen, enrols one more demo staff member on this device; returns their name."""
    wait_ready(page, "locked")
    page.get_by_role("button", name="Add another person to this device").click()
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    set_pin(page, pin)
    return page.inner_text("#session-name")


def join_demo(browser, server, pin: str = PIN, **context_options):
    """A new browser context with the app enrolled in the demo school and unlocked: (context, page)."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(e))
    page.errors = errors
    page.goto(server.url + "/")
    wait_ready(page, "not-enrolled")
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    set_pin(page, pin)
    return context, page


def wait_count(page, element_id: str, value: int, timeout: int = 15000) -> None:
    page.wait_for_function(
        f"document.getElementById('{element_id}').textContent === '{value}'", timeout=timeout
    )


def fill_minimal(page, child: str = "Sam Example", words: str = "Something the child said") -> None:
    """The least a note needs: the child, what was said, a category, the staff question answered."""
    page.fill("#child", child)
    page.fill("#words", words)
    page.check("#category-neglect")
    page.check("#about_staff_no")


def click_figure(page, side: str, x: float, y: float) -> None:
    """A click on the body map's `side` at fractions (x, y) of its drawing."""
    figure = page.locator(f".bodymap-figure[data-side={side}]")
    figure.scroll_into_view_if_needed()
    box = figure.bounding_box()
    figure.click(position={"x": box["width"] * x, "y": box["height"] * y})


def mark_position(page, number: int) -> tuple[float, float]:
    """Where mark `number` is drawn, as fractions of its side's drawing."""
    return tuple(page.evaluate(
        """(n) => { const m = document.querySelector(`.bodymap-mark[data-mark="${n}"]`);
                    return [parseFloat(m.style.left) / 100, parseFloat(m.style.top) / 100]; }""",
        number,
    ))


def wait_draft_kept(page, timeout: int = 10000) -> None:
    """Waits until what was typed last is kept, encrypted, in the draft store (pwa/staff/drafts.js)."""
    page.wait_for_function("document.body.dataset.draft === 'kept'", timeout=timeout)


def advance_clock(page, ms: int) -> None:
    """Moves this page's `Date.now()` on by `ms`: waits and inactivity pass without sleeping."""
    page.evaluate("(ms) => { const real = Date.now; Date.now = () => real() + ms; }", ms)


def storage_text(page) -> str:
    """Everything in localStorage and sessionStorage, as text."""
    return page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")


def screen_text(page) -> str:
    """What the page shows and holds in its fields: its text, and every field's value."""
    return page.evaluate("""() => document.body.innerText + '\\n' +
        [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\\n')""")
