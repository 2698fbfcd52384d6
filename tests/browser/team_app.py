"""Helpers for driving the safeguarding team's side of the app (pwa/team/team.js) in a real page."""

from __future__ import annotations

import json

# pushManager.subscribe() never settles in a headless browser (no push service: see testing.md), so a
# page that must subscribe gets a stand-in for the browser's side only: it answers with a
# subscription whose endpoint and keys the test made on its local push service
# (tests/pushservice.py), and remembers it as the browser would. Everything after it is the app's
# own code: the permission, the signed registration, re-registering on opening, unsubscribing.
FAKE_PUSH = """(() => {
    const made = %s;
    const load = () => JSON.parse(localStorage.getItem("lantern-test-push") || "null");
    const subscription = (held) => ({
        endpoint: held.json.endpoint, expirationTime: null,
        options: { userVisibleOnly: true, applicationServerKey: new Uint8Array(held.key).buffer },
        toJSON: () => held.json,
        unsubscribe: async () => { localStorage.removeItem("lantern-test-push"); return true; },
    });
    PushManager.prototype.subscribe = async function (options) {
        if (!options || options.userVisibleOnly !== true) throw new DOMException("userVisibleOnly", "NotAllowedError");
        const held = { json: made, key: Array.from(new Uint8Array(options.applicationServerKey)) };
        localStorage.setItem("lantern-test-push", JSON.stringify(held));
        return subscription(held);
    };
    PushManager.prototype.getSubscription = async function () {
        const held = load();
        return held ? subscription(held) : null;
    };
})();"""


def team_page(browser, server, role: str = "dsl", *, push_subscription: dict | None = None, **context_options):
    """A new context with the app enrolled as the demo team member `role` through a one-time code link,
    its recipient key made in the browser and already in the keyring: (context, page)."""
    context = browser.new_context(**context_options)
    context.grant_permissions(["notifications"], origin=server.url)
    if push_subscription is not None:
        context.add_init_script(script=FAKE_PUSH % json.dumps(push_subscription))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(e))
    page.errors = errors
    page.goto(server.url + "/#enrol=" + server.code_for(role))
    page.wait_for_function("['set-pin', 'yes'].includes(document.body.dataset.ready)")
    if page.evaluate("document.body.dataset.ready") == "set-pin":  # an app that asks each person for a PIN
        from tests.browser.staff_app import set_pin

        set_pin(page)
    page.wait_for_function("document.body.dataset.recipientKey === 'in-keyring'")
    return context, page


def wait_in(page) -> None:
    """After a (re)load: waits for the app, and unlocks it where the app keeps each person behind a PIN."""
    page.wait_for_function("['locked', 'yes'].includes(document.body.dataset.ready)")
    if page.evaluate("document.body.dataset.ready") == "locked":
        from tests.browser.staff_app import unlock

        unlock(page)


def sync_now(page) -> None:
    """Any sync will do, and the `online` event starts one at once."""
    page.evaluate("window.dispatchEvent(new Event('online'))")


def tel_links(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} a.call", "(links) => links.map((a) => a.getAttribute('href'))")
