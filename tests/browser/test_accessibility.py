"""WCAG 2.2 AA, as far as a machine can tell: axe-core (vendored, tests/browser/vendor/) scans every
screen of the staff app (tests/browser/screens.py) at phone and tablet sizes, and finds nothing; and
no screen is wider than the window.

axe finds perhaps half of what a person with a screen reader would; the keyboard-only and focus tests
beside it (test_bodymap.py, test_concern_form.py) and a person's review are the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.screens import SCREENS, VIEWPORTS
from tests.conftest import start_server, stop_server

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

RUN_AXE = """async (tags) => {
    const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return { version: axe.version, violations: result.violations.map((v) => ({
        rule: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), why: n.failureSummary })),
    })) };
}"""


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """One demo server for every scan: each screen enrols a new device, more than the default rate."""
    running = start_server(tmp_path_factory.mktemp("a11y") / "data", env={"LANTERN_ENROL_PER_MINUTE": "1000"})
    yield running
    stop_server(running)


def scan(page) -> dict:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, WCAG_AA)


def report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['rule']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']}: {n['why']}" for n in v["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("screen", SCREENS)
def test_no_axe_violations(browser, app_server, screen, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    try:
        SCREENS[screen](page, app_server.url)
        result = scan(page)
        # Reflow (WCAG 1.4.10): nothing is wider than the window, so nobody scrolls sideways to read.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    finally:
        context.close()
    assert result["version"] == "4.14.1"
    assert result["violations"] == [], f"{screen} at {viewport} size:\n" + report(result["violations"])
    assert overflow <= 0
    assert errors == []


def test_axe_finds_what_it_should(browser, app_server):
    """The scan is not vacuous: a page with a nameless button and faint text fails it."""
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(app_server.url + "/healthz")
    page.set_content('<html lang="en"><title>t</title><main><button></button>'
                     '<p style="color:#bbb;background:#fff">faint</p></main></html>')
    rules = {v["rule"] for v in scan(page)["violations"]}
    context.close()
    assert {"button-name", "color-contrast"} <= rules
