"""Screenshots of every screen of the staff app (tests/browser/screens.py) at phone and tablet sizes,
written to docs/screenshots/<screen>-<size>.png for the README. From the repository's root:

    .venv/bin/python -m tests.browser.screenshots [screen ...]

Without names, every screen; with names (keys of SCREENS), only those.

It starts its own demo server on 127.0.0.1 with a throwaway data directory, and drives Debian's
Chromium, as the browser tests do.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.screens import SCREENS, VIEWPORTS
from tests.conftest import start_server, stop_server

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def main(names: list[str]) -> int:
    unknown = set(names) - set(SCREENS)
    if unknown:
        print(f"no such screen: {', '.join(sorted(unknown))}; the screens are: {', '.join(SCREENS)}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data", env={"LANTERN_ENROL_PER_MINUTE": "1000"})
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for screen, drive in SCREENS.items():
                    if names and screen not in names:
                        continue
                    for size, viewport in VIEWPORTS.items():
                        # A school in England. (A date field still shows mm/dd/yyyy: it follows the
                        # browser's own language, and Debian's chromium has only en-US without chromium-l10n.)
                        context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/London")
                        page = context.new_page()
                        drive(page, server.url)
                        page.wait_for_timeout(300)  # let the last layout and focus ring settle
                        path = OUT / f"{screen}-{size}.png"
                        page.screenshot(path=str(path))
                        context.close()
                        print(path.relative_to(OUT.parents[1]))
                browser.close()
        finally:
            stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
