"""Helpers for driving the staff app (pwa/) in a real page against the real demo server."""

from __future__ import annotations

import json

# Every store of the app's IndexedDB, as JSON: byte arrays become lists of numbers, so a test can
# search the whole database for a string that must not be there.
DUMP_DB = """() => new Promise((resolve, reject) => {
    const r = indexedDB.open('lantern');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
        const db = r.result;
        const names = Array.from(db.objectStoreNames);
        const tx = db.transaction(names);
        const out = {};
        let left = names.length;
        const plain = (v) => {
            if (v instanceof Uint8Array) return { bytes: Array.from(v) };
            if (v instanceof ArrayBuffer) return { bytes: Array.from(new Uint8Array(v)) };
            if (v instanceof CryptoKey) return { cryptoKey: v.type };
            if (Array.isArray(v)) return v.map(plain);
            if (v && typeof v === 'object') {
                const o = {};
                for (const k of Object.keys(v)) o[k] = plain(v[k]);
                return o;
            }
            return v;
        };
        for (const name of names) {
            const q = tx.objectStore(name).getAll();
            q.onsuccess = () => {
                out[name] = plain(q.result);
                if (--left === 0) { db.close(); resolve(out); }
            };
        }
    };
})"""


def database_bytes(page) -> bytes:
    """All the app's IndexedDB as bytes: its JSON, plus every byte array decoded as raw bytes."""
    dump = page.evaluate(DUMP_DB)
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
    return json.dumps(dump).encode() + b"".join(raw)


def outbox_envelopes(page) -> list[bytes]:
    dump = page.evaluate(DUMP_DB)
    return [bytes(item["envelope"]["bytes"]) for item in dump["outbox"]]


def join_demo(browser, server, **context_options):
    """A new browser context with the app enrolled in the demo school: (context, page)."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(e))
    page.errors = errors
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    page.wait_for_function("document.body.dataset.ready === 'yes'")
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
