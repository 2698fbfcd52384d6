"""Enrolment in the real page against the real server: by link, refused when the code names another
trust key, and a keyring refused after enrolment (docs/protocol.md, "Enrolment" and "The keyring").
Each enrolment is a profile of its own on the device (docs/staff-app.md), whose person then chooses a PIN."""

from __future__ import annotations

import base64

import httpx

from sync import codes
from tests.browser.staff_app import set_pin, unlock, wait_ready

SETTINGS_KEYS = """() => new Promise((resolve, reject) => {
    const r = indexedDB.open('lantern');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
        const q = r.result.transaction('settings').objectStore('settings').getAllKeys();
        q.onsuccess = () => { r.result.close(); resolve(q.result); };
    };
})"""

# The enrolments on this device: one profile each, [{person, school}].
PROFILES = """() => new Promise((resolve, reject) => {
    const r = indexedDB.open('lantern');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
        const q = r.result.transaction('profiles').objectStore('profiles').getAll();
        q.onsuccess = () => {
            r.result.close();
            resolve(q.result.map((p) => ({ id: p.id, person: p.enrolment.person.name, school: p.enrolment.school.name })));
        };
    };
})"""

# The keyring the (only) profile holds.
HELD_KEYRING = """() => new Promise((resolve, reject) => {
    const r = indexedDB.open('lantern');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
        const store = r.result.transaction('settings').objectStore('settings');
        const keys = store.getAllKeys();
        keys.onsuccess = () => {
            const [key] = keys.result.filter((k) => String(k).startsWith('keyring:'));
            const q = store.get(key);
            q.onsuccess = () => {
                r.result.close();
                resolve({ version: q.result.version, payload: Array.from(q.result.payload) });
            };
        };
    };
})"""


def keyrings_held(page) -> list[str]:
    return [k for k in page.evaluate(SETTINGS_KEYS) if str(k).startswith("keyring")]


def demo_code(server) -> dict:
    answer = httpx.post(server.url + "/api/v1/demo/code")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_enrol_by_link(browser, server):
    issued = demo_code(server)
    assert issued["link"] == f"{server.url}/#enrol={issued['code']}"
    context = browser.new_context()
    page = context.new_page()
    page.goto(issued["link"])
    set_pin(page)
    assert "DEMO ONLY" in page.inner_text("#school")
    assert page.evaluate("location.hash") == ""  # the code does not linger in the address bar
    assert page.url == server.url + "/"
    assert page.is_visible("#concern") and not page.is_visible("#enrol")
    [profile] = page.evaluate(PROFILES)
    assert profile["school"] == page.inner_text("#school") and profile["person"] == page.inner_text("#session-name")
    assert keyrings_held(page) == [f"keyring:{profile['id']}"]

    page.reload()  # enrolled for good: no set-up screen again, but the lock screen
    wait_ready(page, "locked")
    assert not page.is_visible("#enrol") and not page.is_visible("#concern")
    unlock(page)
    assert page.is_visible("#concern")
    context.close()


def test_code_naming_another_trust_key_is_refused(browser, server):
    code = demo_code(server)["code"]
    real = codes.parse_code(code)
    # Another trust key's fingerprint in a well-formed code (its check recomputed): the secret is still good.
    other = bytes([real.fingerprint[0] ^ 0x01]) + real.fingerprint[1:]
    altered = codes.Code(real.secret, other, real.min_keyring_version).text()

    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    page.get_by_label("Set-up code").fill(altered.lower())
    page.get_by_role("button", name="Set up this device").click()
    alert = page.locator("#enrol-error")
    alert.filter(has_text="trust_key_mismatch").wait_for()
    assert alert.get_attribute("role") == "alert"
    assert "not the school your code came from" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == "code"
    assert page.evaluate("document.body.dataset.ready") == "not-enrolled"
    assert not page.is_visible("#concern")
    assert page.evaluate(PROFILES) == [] and keyrings_held(page) == []

    # The server spent the code on that attempt: the true code now says so, and still stores nothing.
    page.get_by_label("Set-up code").fill(code)
    page.get_by_role("button", name="Set up this device").click()
    alert.filter(has_text="enrolment_code_used").wait_for()
    assert page.evaluate(PROFILES) == [] and keyrings_held(page) == []

    # Every attempt uses a key pair of its own: a new code enrols this device.
    page.get_by_label("Set-up code").fill(demo_code(server)["code"])
    page.get_by_role("button", name="Set up this device").click()
    wait_ready(page, "set-pin")
    assert page.evaluate("document.activeElement.id") == "pin-setup-heading"
    set_pin(page)
    assert page.evaluate("document.activeElement.id") == "concern-heading"
    context.close()


def test_enrolment_whose_answer_was_lost(browser, server):
    """The server enrolled the key but the answer never arrived: the next code still works."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    lost = []

    def lose_first_answer(route):
        if lost:
            route.continue_()
            return
        route.fetch()  # the server enrols the key and answers ...
        lost.append(True)
        route.abort()  # ... into the void

    page.route("**/api/v1/enrol", lose_first_answer)
    page.goto(demo_code(server)["link"])
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    assert lost and "(offline)" in page.inner_text("#enrol-error")

    answers = []
    page.on("response", lambda r: answers.append((r.url.replace(server.url, ""), r.status)))
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    set_pin(page)
    # The key the server saw is never offered again: a new one enrolled, at the first try.
    assert [a for a in answers if a[0] == "/api/v1/enrol"] == [("/api/v1/enrol", 200)]
    assert len(page.evaluate(PROFILES)) == 1
    context.close()


def test_refused_keyring_keeps_the_one_held_and_warns(browser, server):
    # No service worker here: page.route cannot see requests that pass through one.
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.goto(demo_code(server)["link"])
    set_pin(page)
    held = page.evaluate(HELD_KEYRING)

    def tampered(route):
        response = route.fetch()
        body = response.json()
        body["payload"] = base64.b64encode(base64.b64decode(body["payload"]) + b" ").decode()
        route.fulfill(response=response, json=body)

    page.route("**/api/v1/keyring", tampered)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # a sync, which refreshes the keyring
    warning = page.locator("#keyring-warning")
    warning.filter(has_text="keyring_bad_signature").wait_for()
    assert warning.get_attribute("role") == "alert"
    assert "still sealed to the team this device already knows" in warning.inner_text()
    assert page.evaluate(HELD_KEYRING) == held

    page.unroute("**/api/v1/keyring")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('keyring-warning').textContent === ''")
    assert page.evaluate(HELD_KEYRING) == held
    context.close()


def test_no_demo_school_hides_the_demo_button(browser, server):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    # As a server started without --demo answers (the fixture's server always has a demo school).
    page.route("**/api/v1/demo/code", lambda route: route.fulfill(
        status=404, json={"error": "no_demo_school", "detail": "this server was not started with --demo"},
    ))
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    page.get_by_role("button", name="Join the demo school (DEMO ONLY)").click()
    page.locator("#enrol-error").filter(has_text="no_demo_school").wait_for()
    assert not page.is_visible("#demo-join")
    assert page.evaluate("document.activeElement.id") == "code"
    assert page.evaluate(PROFILES) == []
    context.close()


def test_a_wrong_device_clock_delays_nothing(browser, server):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.goto(demo_code(server)["link"])
    set_pin(page)

    # From the next load on, the tablet's clock is three hours slow; the offset it knows is ~0.
    context.add_init_script("(() => { const real = Date.now; Date.now = () => real() - 3 * 3600 * 1000; })()")
    answers = []
    page.on("response", lambda r: answers.append((r.request.method, r.url.replace(server.url, ""), r.status)))
    page.reload()
    unlock(page)
    # The first signed request was refused as stale and went again at once, on the server's time.
    # (Later requests of the same sync, the school's roster of children, may follow it.)
    signed = [a for a in answers if a[1].startswith("/api/v1/") and a[1] != "/api/v1/demo"]
    assert signed[:2] == [("GET", "/api/v1/keyring", 401), ("GET", "/api/v1/keyring", 200)]

    page.fill("#child", "Sam Example")
    page.fill("#words", "Something the child said")
    page.check("#category-neglect")
    page.check("#about_staff_no")
    page.click("#save")
    page.wait_for_function("document.getElementById('received-count').textContent === '1'")
    assert ("POST", "/api/v1/envelopes", 200) in answers
    assert not [a for a in answers if a[2] == 401 and a[1] != "/api/v1/keyring"]
    context.close()


def test_a_mistyped_code_is_caught_on_the_device_before_anything_is_sent(browser, server):
    code = demo_code(server)["code"].replace("-", "")
    typo = code[:7] + ("A" if code[7] != "A" else "B") + code[8:]
    context = browser.new_context()
    page = context.new_page()
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/api/v1/enrol" in r.url else None)
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    page.get_by_label("Set-up code").fill(typo)
    page.get_by_role("button", name="Set up this device").click()
    page.locator("#enrol-error").filter(has_text="code_malformed").wait_for()
    assert "typing mistake" in page.inner_text("#enrol-error") and sent == []
    page.get_by_label("Set-up code").fill(code)  # the code as it was given still works
    page.get_by_role("button", name="Set up this device").click()
    page.wait_for_function("document.body.dataset.ready === 'set-pin'")
    context.close()


def test_the_demo_offer_appearing_late_moves_no_button(browser, server):
    """The demo offer shows once the server has answered, after the screen is up (on a first visit, while
    the service worker installs, that can be seconds): a button someone is already reaching for must not
    move under their finger (WebKit's clicks, like a person's, once landed on what slid into its place)."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    held = []
    page.route("**/api/v1/demo", lambda route: held.append(route))  # answered below, once the buttons have been measured
    page.goto(server.url + "/")
    page.wait_for_function("document.body.dataset.ready === 'not-enrolled'")
    while not held:
        page.wait_for_timeout(20)
    where = "(buttons) => buttons.filter((b) => b.offsetParent).map((b) => [b.id, b.getBoundingClientRect().top])"
    before = page.eval_on_selector_all("#enrol button", where)
    assert [b for b, _ in before] == ["enrol-submit", "setup-open"]
    held[0].continue_()
    page.wait_for_selector("#demo-join", state="visible")
    after = page.eval_on_selector_all("#enrol button", where)
    assert after[:len(before)] == before and after[-1][0] == "demo-join"
    context.close()
