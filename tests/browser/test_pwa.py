"""The staff app as an installed app, in real headless Chromium against the real server: Chromium finds
it installable; a new version of the shell replaces the old cache without touching a note queued in
the outbox, which is then delivered; and a Web Push reaches the service worker and shows only the
generic alert, which opens the app at the note (docs/architecture.md, "The app shell and updates")."""

from __future__ import annotations

import json
import re
import shutil
import struct
import uuid
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.staff_app import DUMP_DB, fill_minimal, join_demo, unlock, wait_count
from tests.conftest import start_server, stop_server

PWA = Path(__file__).resolve().parents[2] / "pwa"
MARKER = "amber-heron-7305"  # appears nowhere but in the note written here
ALERT_TITLE = "Urgent safeguarding concern - open Lantern"


def shell_paths(sw_source: str) -> set[str]:
    return set(re.findall(r'^\s*"(/[^"]*)",$', sw_source, re.M))


def version_of(sw_source: str) -> str:
    return re.search(r'^const VERSION = "([^"]+)";$', sw_source, re.M).group(1)


CACHED_PATHS = """async (name) => {
    const cache = await caches.open(name);
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
}"""
CACHED_TEXT = """async ([name, path]) => {
    const hit = await caches.match(path, { cacheName: name });
    return hit ? hit.text() : null;
}"""


# page.wait_for_function does not wait for a promise: this polls an async predicate in the page.
UNTIL = """async ([predicate, arg, timeout]) => {
    const test = eval(predicate);
    for (const end = Date.now() + timeout; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        if (await test(arg)) return true;
    }
    return false;
}"""


def until(page, predicate: str, arg=None, timeout: int = 15000) -> None:
    assert page.evaluate(UNTIL, [predicate, arg, timeout]), f"timed out: {predicate} {arg}"


def wait_for_caches(page, names: list[str]) -> None:
    until(page, "async (names) => JSON.stringify(await caches.keys()) === JSON.stringify(names)", names, 20000)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def test_the_manifest_and_icons_make_the_app_installable(browser, server, tmp_path):
    manifest = json.loads((PWA / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["short_name"] == "Lantern" and manifest["name"]
    assert manifest["theme_color"] and manifest["background_color"]
    icons = manifest["icons"]
    for icon in icons:
        path = PWA / icon["src"].lstrip("/")
        if icon["type"] == "image/png":
            width, height = png_size(path)
            assert icon["sizes"] == f"{width}x{height}", icon
        else:
            assert icon["type"] == "image/svg+xml" and path.read_text().startswith("<svg"), icon
    maskable = {icon["sizes"] for icon in icons if icon.get("purpose") == "maskable"}
    assert {"192x192", "512x512"} <= maskable
    assert any(i["type"] == "image/svg+xml" for i in icons)
    assert png_size(PWA / "icons" / "apple-touch-icon.png") == (180, 180)

    # Chromium's own verdict. It reports nothing but "in-incognito" in an ordinary test context, so
    # this asks a persistent profile, as a real browser has.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
    )
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getAppManifest")["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        head = page.evaluate("""() => ({
            theme: document.querySelector('meta[name=theme-color]').content,
            icons: [...document.querySelectorAll('link[rel~=icon], link[rel=apple-touch-icon]')].map((l) => l.getAttribute('href')),
        })""")
        assert head["theme"] == manifest["theme_color"]
        for href in head["icons"]:
            assert (PWA / href.lstrip("/")).is_file(), href
    finally:
        context.close()


def test_an_update_replaces_the_shell_and_keeps_the_queued_note(browser, tmp_path):
    # A deployment of its own, so that the test can put a new version of the app in its place.
    pwa = tmp_path / "pwa"
    shutil.copytree(PWA, pwa)
    sw = (pwa / "sw.js").read_text()
    old_cache = f"lantern-shell-v{version_of(sw)}"
    server = start_server(tmp_path / "data", env={"LANTERN_PWA_DIR": str(pwa)})
    context = None
    try:
        context, page = join_demo(browser, server)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        wait_for_caches(page, [old_cache])
        assert set(page.evaluate(CACHED_PATHS, old_cache)) == shell_paths(sw)

        context.set_offline(True)
        fill_minimal(page, words=f"She said it again today {MARKER}")
        page.click("#save")
        wait_count(page, "outbox-count", 1)

        # The new version: another VERSION, and a changed page, so the test can tell which it gets.
        new_version = version_of(sw) + "-next"
        (pwa / "sw.js").write_text(sw.replace(f'const VERSION = "{version_of(sw)}";', f'const VERSION = "{new_version}";'))
        module_worker = (pwa / "sw-module.js").read_text()  # names the version too (tests/test_docs.py)
        (pwa / "sw-module.js").write_text(module_worker.replace(f"/* Shell version: {version_of(sw)} */", f"/* Shell version: {new_version} */"))
        index = (pwa / "index.html").read_text()
        (pwa / "index.html").write_text(index.replace("<title>", '<meta name="lantern-deploy" content="next">\n  <title>', 1))
        new_cache = f"lantern-shell-v{new_version}"

        # The network is back for the shell but not yet for the API, so the note is still queued
        # while the new worker installs, takes over and deletes the old cache.
        # context.route, not page.route: the service worker sends waiting notes itself, whenever it starts.
        context.route("**/api/**", lambda route: route.abort("internetdisconnected"))
        context.set_offline(False)
        page.reload()
        unlock(page)
        wait_for_caches(page, [new_cache])
        assert len(page.evaluate(DUMP_DB)["outbox"]) == 1
        assert set(page.evaluate(CACHED_PATHS, new_cache)) == shell_paths(sw)
        assert 'content="next"' in page.evaluate(CACHED_TEXT, [new_cache, "/"])

        page.reload()  # the next opening runs the new shell, from the new cache
        unlock(page)
        assert page.evaluate("document.querySelector('meta[name=lantern-deploy]') !== null")
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        assert page.inner_text("#outbox-count") == "1"
        assert "Saved on this device" in page.inner_text("#status")

        context.unroute("**/api/**")
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_count(page, "outbox-count", 0)
        wait_count(page, "received-count", 1)
        with server.enrolled("dsl") as dsl:
            opened = list(dsl.open_all(server.demo_key("dsl")))
        assert len(opened) == 1 and MARKER in json.loads(opened[0].content)["words"]
    finally:
        if context:
            context.close()
        stop_server(server)


# --- Web Push -------------------------------------------------------------------------------------

NOTIFICATIONS = """async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({
        title: n.title, body: n.body, tag: n.tag, data: n.data, requireInteraction: n.requireInteraction,
    }));
}"""
CLOSE_NOTIFICATIONS = """async () => {
    const registration = await navigator.serviceWorker.ready;
    (await registration.getNotifications()).forEach((n) => n.close());
}"""


# Chromium drops from getNotifications() a notification it reads from its database while showing it
# is still on the way (it keeps the database in step with what is on screen), so a test that polls
# during a push can lose the alert. The worker counts its settled showNotification calls, and a push
# waits for that count before anything reads the notifications.
COUNT_SHOWN = """() => {
    if (self.shownCount === undefined) {
        self.shownCount = 0;
        const show = self.registration.showNotification.bind(self.registration);
        self.registration.showNotification = (...args) => show(...args).finally(() => { self.shownCount += 1; });
    }
    return self.shownCount;
}"""


def worker_registrations(context, page) -> tuple:
    """A DevTools session on `page` that sees the context's service worker registrations."""
    cdp = context.new_cdp_session(page)
    registrations = {}
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda ev: registrations.update({r["registrationId"]: r for r in ev["registrations"] if not r["isDeleted"]}),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(100):  # the events arrive while Playwright waits
        if registrations:
            break
        page.wait_for_timeout(50)
    return cdp, registrations


def push_into_worker(context, page, origin: str):
    """A function that delivers a push message into the page's service worker (CDP; no push service)
    and returns once the worker has shown what it shows for it."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp, registrations = worker_registrations(context, page)
    (registration_id,) = registrations
    (worker,) = context.service_workers or [context.wait_for_event("serviceworker")]

    def push(data: str) -> None:
        before = worker.evaluate(COUNT_SHOWN)
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": origin, "registrationId": registration_id, "data": data})
        for _ in range(300):
            if worker.evaluate(COUNT_SHOWN) > before:
                return
            page.wait_for_timeout(50)
        raise AssertionError(f"the worker showed nothing for the push {data!r}")

    return push


def wait_notifications(page, count: int) -> list[dict]:
    until(page, f"async (count) => (await ({NOTIFICATIONS})()).length === count", count)
    return page.evaluate(NOTIFICATIONS)


def open_for_alerts(browser, server):
    """A browser context with the app open, notifications allowed, and a way to push into its worker."""
    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=server.url)
    page = context.new_page()
    page.goto(server.url + "/")
    return context, page, push_into_worker(context, page, server.url)


def test_a_push_shows_the_generic_alert_and_nothing_from_the_payload(browser, server):
    context, page, push = open_for_alerts(browser, server)
    record_id = str(uuid.uuid4())

    # Whatever a payload carries besides the record id is not shown, even if a bug put a name in it.
    push(json.dumps({"type": "urgent", "record_id": record_id.upper(), "school_id": str(uuid.uuid4()),
                     "child": "Sam Example", "category": "fgm", "note": MARKER}))
    (shown,) = wait_notifications(page, 1)
    assert shown == {
        "title": ALERT_TITLE,
        "body": "A concern needs the safeguarding team now. Open Lantern on this device to read it.",
        "tag": record_id,
        "data": {"record_id": record_id},
        "requireInteraction": True,
    }
    for secret in ("Sam", "Example", "fgm", "FGM", MARKER):
        assert secret not in shown["title"] + shown["body"]
    context.close()


# The newest generic alert shown after a given moment (Notification.timestamp, in ms), if any.
GENERIC_SHOWN_AFTER = """async (after) => {
    const registration = await navigator.serviceWorker.ready;
    const [n] = await registration.getNotifications({ tag: "lantern-alert" });
    return n && n.timestamp > after
        ? { title: n.title, data: n.data, requireInteraction: n.requireInteraction, timestamp: n.timestamp }
        : null;
}"""


def test_a_push_the_app_cannot_read_still_shows_the_generic_alert(browser, server):
    """No payload, another type, JSON that is not an object, a record id that is not one: the same
    generic alert, for no record in particular. Each one replaces the one before (same tag). The test
    never closes one to wait for the next: Chromium names a tagged notification by its tag, and a late
    close can remove the next alert shown under it."""
    context, page, push = open_for_alerts(browser, server)
    after = 0
    for data in ["", json.dumps({"type": "receipt", "record_id": str(uuid.uuid4())}), "not json", "[1, 2]",
                 json.dumps({"type": "urgent", "record_id": "../../#enrol=ABCD"})]:
        push(data)
        until(page, f"async (after) => (await ({GENERIC_SHOWN_AFTER})(after)) !== null", after)
        shown = page.evaluate(GENERIC_SHOWN_AFTER, after)
        assert (shown["title"], shown["data"], shown["requireInteraction"]) == (ALERT_TITLE, {"record_id": None}, True), data
        assert len(page.evaluate(NOTIFICATIONS)) == 1
        after = shown["timestamp"]
    context.close()


def test_clicking_the_alert_opens_the_app_at_the_note(browser, server):
    """A real click on a notification cannot be made headless: the test dispatches one in the worker.
    Such an event may not focus or open windows, so opening a window is stood in for there."""
    context, page, push = open_for_alerts(browser, server)
    page.evaluate("""() => { window.alerts = [];
        navigator.serviceWorker.addEventListener('message', (e) => window.alerts.push(e.data)); }""")
    record_id = str(uuid.uuid4())
    push(json.dumps({"type": "urgent", "record_id": record_id}))
    wait_notifications(page, 1)
    (worker,) = context.service_workers or [context.wait_for_event("serviceworker")]

    click = """async (tag) => {
        const [notification] = await self.registration.getNotifications({ tag });
        self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
    }"""
    # A Lantern window is open: it is told which note, not navigated (it may hold a half-typed note).
    page.evaluate("window.notNavigated = true")
    worker.evaluate(click, record_id)
    page.wait_for_function("window.alerts.length === 1")
    assert page.evaluate("window.alerts") == [
        {"type": "alert", "record_id": record_id, "url": f"{server.url}/#alert={record_id}"}
    ]
    assert page.evaluate("window.notNavigated") is True
    wait_notifications(page, 0)  # the click closed it

    # No window open: the app opens at the note. Another note, so that no tag is reused after a close.
    record_id = str(uuid.uuid4())
    push(json.dumps({"type": "urgent", "record_id": record_id}))
    wait_notifications(page, 1)
    opened = worker.evaluate(f"""async () => {{
        self.clients.matchAll = async () => [];
        let opened = null;
        self.clients.openWindow = async (url) => {{ opened = url; return null; }};
        await ({click})({json.dumps(record_id)});
        for (let i = 0; i < 50 && opened === null; i++) await new Promise((r) => setTimeout(r, 20));
        return opened;
    }}""")
    assert opened == f"{server.url}/#alert={record_id}"
    context.close()
