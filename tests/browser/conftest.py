"""Fixtures for tests that run the PWA's JavaScript in real headless Chromium.

Debian's Chromium only (never `playwright install`, which downloads a browser and fails here). If it
is missing, the tests error rather than skip: the browser side is not optional.
"""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError, sync_playwright

from tests.browser.engines import engine, xvfb_display  # noqa: F401 (fixtures for test_engines.py)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

HERE = Path(__file__).resolve().parent
# URL prefix -> directory, longest prefix first. The harness lives with the tests so that no
# test file lands in pwa/.
MOUNTS = [
    ("/__test__/", HERE),
    ("/__vectors__/", HERE.parent / "vectors"),
    ("/", HERE.parent.parent / "pwa"),
]


class StaticHandler(SimpleHTTPRequestHandler):
    # Module scripts are refused unless served with a JavaScript MIME type.
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def translate_path(self, path):
        for prefix, root in MOUNTS:
            if path.startswith(prefix):
                self.directory = str(root)
                return super().translate_path("/" + path[len(prefix):])
        return super().translate_path(path)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def playwright():
    """Playwright, once for the session: its sync API runs one instance a thread."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    """One Chromium for the whole session, independent of any server."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def static_origin():
    """http://127.0.0.1:PORT serving pwa/ at /, tests/vectors/ at /__vectors__/, the harness at /__test__/."""
    handler = functools.partial(StaticHandler, directory=str(MOUNTS[-1][1]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def page(browser, static_origin):
    """The harness page, shared by the session (its functions are stateless but for one device key).

    `window.lantern` holds the PWA's bytes/hpke/envelope modules and the harness helpers.
    """
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(static_origin + "/__test__/harness.html")
    try:
        page.wait_for_function("window.harnessReady === true", timeout=10_000)
    except Exception as e:
        raise AssertionError(f"harness did not load: {errors}") from e
    yield page
    # Twice, after every test had passed, Chromium was already gone when the session ended
    # (TargetClosedError here): then there is nothing left to close, and no test's result depends on it.
    try:
        context.close()
    except PlaywrightError:
        pass
