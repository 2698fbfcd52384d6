"""Browsers other than Chromium, as schools have them, driven the only ways these machines allow:

- WebKit, the engine of every browser on an iPad or iPhone: Debian's WebKitGTK (its MiniBrowser)
  through WebKitWebDriver and Selenium, on a virtual screen (Xvfb) that the fixture starts.
  Playwright's WebKit is a downloaded build, never used here.
- Firefox ESR: Debian's `firefox-esr`, headless, through Marionette, its own remote protocol, with
  Mozilla's `marionette-driver`. geckodriver is not packaged in Debian (and nothing may be downloaded
  from outside the registries), and Playwright drives only its own patched Firefox.

Each window is a new browser with storage of its own, as a new device would be. Neither driver can
emulate being offline: a test takes the network away by stopping the server, as
test_background_sync.py does in Chromium, which is also closer to a school trip with no signal.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
XVFB = "/usr/bin/Xvfb"
FIREFOX = "/usr/bin/firefox-esr"
ENGINES = ("webkit", "firefox")

# A script's value, or its error, from a Promise: both drivers call back the last argument.
ASYNC = """const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (%s)).then((v) => done({ v }), (e) => done({ e: String((e && e.stack) || e) }));"""


class Page:
    """One window of WebKit or Firefox, with the verbs the tests need, named as in staff_app.py."""

    def __init__(self, engine: str, driver):
        self.engine = engine
        self.driver = driver

    # What differs between the two drivers.

    def _run(self, script: str, *args):
        if self.engine == "firefox":
            return self.driver.execute_script(script, script_args=list(args), sandbox=None)
        return self.driver.execute_script(script, *args)

    def _run_async(self, script: str, *args):
        if self.engine == "firefox":
            return self.driver.execute_async_script(script, script_args=list(args), sandbox=None)
        return self.driver.execute_async_script(script, *args)

    def _find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By as SeleniumBy

        if self.engine == "firefox":
            from marionette_driver.by import By

            return self.driver.find_elements(By.CSS_SELECTOR, css)
        return self.driver.find_elements(SeleniumBy.CSS_SELECTOR, css)

    def goto(self, url: str) -> None:
        (self.driver.navigate if self.engine == "firefox" else self.driver.get)(url)

    def reload(self) -> None:
        # Marionette's refresh reloads bypassing the service worker (as Shift+reload does), which is
        # not what a person gets; opening the same address again goes through it, as opening the app does.
        if self.engine == "firefox":
            self.driver.navigate(self.driver.get_url())
        else:
            self.driver.refresh()

    # The same for both.

    def find(self, css: str):
        found = self._find_all(css)
        assert found, f"nothing matches {css!r}; the page says:\n{self.text()}"
        return found[0]

    def evaluate(self, expression: str, *args):
        """The value of a JavaScript expression (a Promise is awaited)."""
        result = self._run_async(ASYNC % expression, *args)
        if "e" in result:
            raise AssertionError(f"{expression} failed in {self.engine}: {result['e']}")
        return result.get("v")

    def run(self, statement: str, *args):
        return self._run(statement, *args)

    def wait_for(self, expression: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not self._run(f"try {{ return !!({expression}); }} catch (e) {{ return false; }}"):
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout}s for {expression}; the page says:\n{self.text()}")
            time.sleep(0.05)

    def wait_ready(self, state: str, timeout: float = 15) -> None:
        self.wait_for(f"document.body.dataset.ready === '{state}'", timeout)

    def text(self, selector: str = "body") -> str:
        # element.text fails on <body> in WebKitGTK ("Cannot check the displayedness"): read innerText.
        return self._run("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", selector)

    def fill(self, selector: str, value: str) -> None:
        element = self.find(selector)
        element.clear()
        element.send_keys(value)

    def check(self, selector: str) -> None:
        element = self.find(selector)
        if not element.is_selected():
            element.click()

    def click(self, selector: str) -> None:
        self.find(selector).click()

    def press_enter(self, selector: str) -> None:
        """Enter, typed on the element, as a keyboard user would."""
        self.find(selector).send_keys("\ue007")

    def click_button(self, name: str) -> None:
        """The visible button whose words start with `name`, as a person finds it."""
        for button in self._find_all("button"):
            words = self._run("return arguments[0].textContent.replace(/\\s+/g, ' ').trim()", button)
            if words.startswith(name) and button.is_displayed():
                button.click()
                return
        raise AssertionError(f"no button {name!r}; the page says:\n{self.text()}")

    def tap(self, selector: str, x: float, y: float) -> None:
        """A tap at fractions (x, y) of the element's box (WebKit only: Selenium's actions; its offsets
        count from the element's centre)."""
        from selenium.webdriver.common.action_chains import ActionChains

        assert self.engine == "webkit"
        element = self.find(selector)
        self._run("arguments[0].scrollIntoView({block: 'center'})", element)
        size = element.size
        ActionChains(self.driver).move_to_element_with_offset(
            element, int(size["width"] * (x - 0.5)), int(size["height"] * (y - 0.5))
        ).click().perform()


@pytest.fixture(scope="session")
def xvfb_display():
    """A virtual screen for the session: Xvfb picks a free display and tells it on a pipe."""
    assert Path(XVFB).exists(), f"{XVFB} is missing: apt-get install -y xvfb"
    read, write = os.pipe()
    process = subprocess.Popen(
        [XVFB, "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    yield display
    process.terminate()
    process.wait(timeout=10)


def open_webkit(display: str, log: Path):
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    assert Path(WEBKIT_DRIVER).exists(), f"{WEBKIT_DRIVER} is missing: apt-get install -y webkit2gtk-driver"
    options = Options()
    options.binary_location = MINIBROWSER
    options.add_argument("--automation")
    service = Service(executable_path=WEBKIT_DRIVER, log_output=str(log), env={**os.environ, "DISPLAY": display})
    driver = webdriver.WebKitGTK(options=options, service=service)
    driver.set_script_timeout(30)
    return driver, driver.quit


def open_firefox(profile: Path):
    from marionette_driver.marionette import Marionette

    assert Path(FIREFOX).exists(), f"{FIREFOX} is missing: apt-get install -y firefox-esr"
    profile.mkdir(parents=True)
    driver = Marionette(
        host="127.0.0.1", port=free_port(), bin=FIREFOX, headless=True, profile=str(profile), startup_timeout=90,
        gecko_log=str(profile.parent / f"{profile.name}.log"),
    )
    driver.start_session()
    driver.timeout.script = 30

    def close():
        driver.delete_session()
        driver.cleanup()

    return driver, close


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    """Opens windows of one engine (each test runs once per engine), each a device of its own, and
    closes them after the test."""
    closers = []

    def open_window() -> Page:
        n = len(closers)
        if request.param == "webkit":
            driver, close = open_webkit(request.getfixturevalue("xvfb_display"), tmp_path / f"webkit-{n}.log")
        else:
            driver, close = open_firefox(tmp_path / f"firefox-{n}")
        closers.append(close)
        return Page(request.param, driver)

    open_window.name = request.param
    yield open_window
    for close in closers:
        close()


class ChromiumPage:
    """A Playwright page with Page's verbs, so that one path can run in all three engines."""

    engine = "chromium"

    def __init__(self, page):
        self.page = page

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def evaluate(self, expression: str):
        return self.page.evaluate(f"async () => ({expression})")

    def run(self, statement: str):
        return self.page.evaluate(f"() => {{ {statement} }}")

    def wait_for(self, expression: str, timeout: float = 15) -> None:
        self.page.wait_for_function(f"() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }}", timeout=timeout * 1000)

    def wait_ready(self, state: str, timeout: float = 15) -> None:
        self.wait_for(f"document.body.dataset.ready === '{state}'", timeout)

    def text(self, selector: str = "body") -> str:
        return self.page.eval_on_selector(selector, "(e) => e.innerText") if self.page.query_selector(selector) else ""

    def fill(self, selector: str, value: str) -> None:
        self.page.fill(selector, value)

    def click(self, selector: str) -> None:
        self.page.click(selector)

    def click_button(self, name: str) -> None:
        self.page.get_by_role("button", name=name).first.click()
