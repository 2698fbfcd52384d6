"""The staff app behind Caddy over HTTPS, as a school deploys it (docs/admin.md, "Behind Caddy"): at a
name that is not 127.0.0.1, where browsers allow service workers, WebCrypto and push only in a secure
context. Chromium trusts the site's certificate from the tests' own CA (tests/caddy.py) as it would a
certificate from a CA it knows."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.staff_app import fill_minimal, join_demo, wait_ready
from tests.browser.test_pwa import push_into_worker, wait_notifications
from tests.caddy import NAME, start_caddy
from tests.local_ca import spki_hash


@pytest.fixture
def proxy(server, tmp_path):
    running = start_caddy(tmp_path / "caddy", server.url)
    yield running
    running.stop()


@pytest.fixture
def trusting_browser(playwright, proxy):
    """A Chromium that resolves the site's name to 127.0.0.1 and trusts its certificate's key."""
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={spki_hash(proxy.certificate)}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    yield browser
    browser.close()


def test_the_staff_app_works_through_the_proxy_over_https(server, proxy, trusting_browser):
    site = SimpleNamespace(url=proxy.named_url)
    context, page = join_demo(trusting_browser, site)
    assert page.evaluate("[location.origin, window.isSecureContext, typeof crypto.subtle.generateKey]") == \
        [proxy.named_url, True, "function"]

    fill_minimal(page, words="Said through the proxy")
    page.click("#save")
    for _ in range(150):  # sent by the page as soon as it is sealed
        if server.query("SELECT COUNT(*) FROM envelopes") == [(1,)]:
            break
        page.wait_for_timeout(100)
    assert server.query("SELECT COUNT(*) FROM envelopes") == [(1,)]
    page.wait_for_function("document.getElementById('outbox-count').textContent === '0'", timeout=15000)

    # The service worker was served through the proxy too, controls the page, and starts it offline.
    page.reload()
    assert page.evaluate("navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)")
    context.set_offline(True)
    page.reload()
    wait_ready(page, "locked")
    context.set_offline(False)

    # A push reaches the worker at this origin and shows the fixed alert.
    context.grant_permissions(["notifications"], origin=proxy.named_url)
    push = push_into_worker(context, page, proxy.named_url)
    record_id = str(uuid.uuid4())
    push(json.dumps({"type": "urgent", "alert_id": str(uuid.uuid4()), "record_id": record_id}))
    (shown,) = wait_notifications(page, 1)
    assert shown["tag"] == record_id
    assert page.errors == []
    context.close()
