"""Bench: the app itself, in real headless Chromium against a real server, and the admin CLI.

Targets (issue 11, item 4): the first load from an empty cache at most 150 KB on the wire (compressed
by Lantern itself); an offline cold start to an interactive screen within 300 ms; sealing a note with
a body map for 3 recipients within 20 ms; the admin CLI answering within 0.3 s. Not a unit test: run
it by hand and put the figures in docs/performance.md. tests/test_bench.py runs it once, short.

    .venv/bin/python bench/app.py [--starts 10] [--seals 50] [--cli 10]

It starts a real `lantern serve --demo` on a fresh data folder. It checks before it reports: every
file of the first load decompresses to the bytes on disk; the cold start reached the lock screen
with no network; each sealed note opens, with Python, to the content sealed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.triage import machine, percentiles  # noqa: E402
from sync import envelope  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.staff_app import join_demo  # noqa: E402
from tests.conftest import start_server, stop_server  # noqa: E402

PWA = ROOT / "pwa"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def shell_paths() -> list[str]:
    """What a device fetches on its first visit: the page, and the shell its service worker caches."""
    listed = re.search(r"const SHELL = \[(.*?)\];", (PWA / "sw.js").read_text(), re.S).group(1)
    return sorted({"/", "/sw.js", *re.findall(r'"(/[^"]*)"', listed)})


def first_load(url: str) -> tuple[int, int]:
    """Bytes on the wire (headers and bodies) and bytes of the files, for the whole first load."""
    wire = files = 0
    with httpx.Client(base_url=url, headers={"accept-encoding": "gzip, deflate, br"}) as http:
        for path in shell_paths():
            with http.stream("GET", path) as response:
                raw = b"".join(response.iter_raw())
            assert response.status_code == 200, path
            on_disk = (PWA / ("index.html" if path == "/" else path.lstrip("/"))).read_bytes()
            body = gzip.decompress(raw) if response.headers.get("content-encoding") == "gzip" else raw
            assert body == on_disk, f"{path}: what was served is not the file"
            head = sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + len("HTTP/1.1 200 OK\r\n\r\n")
            wire += len(raw) + head
            files += len(on_disk)
    return wire, files


def cold_starts(browser, server, starts: int) -> list[float]:
    """From navigation to the lock screen ready for a PIN, offline, the service worker serving."""
    context, page = join_demo(browser, server)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    # The moment the app says it is ready, from the navigation's start (performance.now()'s origin).
    context.add_init_script(script="""new MutationObserver(() => {
        if (document.body && document.body.dataset.ready === 'locked' && !window.readyAt) window.readyAt = performance.now();
    }).observe(document.documentElement, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });""")
    context.set_offline(True)
    times = []
    for _ in range(starts):
        page.reload()
        page.wait_for_function("window.readyAt !== undefined")
        assert page.evaluate("navigator.onLine") is False
        times.append(page.evaluate("window.readyAt"))
    context.close()
    return times


SEAL = """async ([n, recipients, school]) => {
  const { sealKeepingKey } = await import('/common/envelope.js');
  const { uuidv7, fromHex, toBase64 } = await import('/common/bytes.js');
  const device = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', device.publicKey));
  const marks = Array.from({ length: 12 }, (_, i) => ({ side: i % 2 ? 'back' : 'front', x: 0.3 + i / 50, y: 0.2 + i / 40,
    type: 'bruise', size: '1_to_3cm', colour: 'purple', description: 'mark ' + i, region: 'left forearm' }));
  const times = [], sealed = [];
  for (let i = 0; i < n; i++) {
    const content = new TextEncoder().encode(JSON.stringify({ v: 3, type: 'concern', child: { name: 'Sam Example' },
      recorded_at: new Date().toISOString(), words: 'Bench note ' + i, categories: ['physical_abuse'], body_map: marks }));
    const started = performance.now();
    const { envelope } = await sealKeepingKey({ content, schoolId: school, recordId: uuidv7(),
      recipients: recipients.map(fromHex), authorPrivateKey: device.privateKey, authorPublicKeyRaw: raw });
    times.push(performance.now() - started);
    sealed.push([toBase64(envelope), new TextDecoder().decode(content)]);
  }
  return { times, sealed, author: Array.from(raw) };
}"""


def seals(browser, server, n: int) -> list[float]:
    """Sealing a note with a 12-mark body map to 3 recipients in the page, each opened again in Python."""
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec

    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    result = page.evaluate(SEAL, [n, [envelope.public_bytes(k.public_key()).hex() for k in keys], str(server.demo_school_id())])
    author = envelope.public_key_from_bytes(bytes(result["author"]))
    for data, content in result["sealed"]:
        for key in keys:
            assert envelope.open(base64.b64decode(data), recipient=key, author=author).content == content.encode()
    context.close()
    return result["times"]


def cli_times(data_dir: Path, runs: int) -> list[float]:
    lantern = Path(sys.executable).with_name("lantern")
    times = []
    for _ in range(runs):
        started = time.monotonic()
        out = subprocess.run([str(lantern), "admin", "--data-dir", str(data_dir), "school", "list"],
                             capture_output=True, text=True, check=True).stdout
        times.append((time.monotonic() - started) * 1000)
        assert "Demo" in out, out
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=10, help="offline cold starts to time")
    parser.add_argument("--seals", type=int, default=50, help="notes to seal in the page")
    parser.add_argument("--cli", type=int, default=10, help="runs of `lantern admin school list`")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"machine: {machine(browser)}")
        print("load average (1, 5, 15 min) at the start: %.2f %.2f %.2f" % os.getloadavg())
        server = start_server(Path(tmp) / "data")
        try:
            wire, files = first_load(server.url)
            print(f"first load, empty cache: {len(shell_paths())} files, {files / 1000:.1f} KB of files, "
                  f"{wire / 1000:.1f} KB on the wire  (target 150 KB: {verdict(wire <= 150_000)})")
            start_ms = cold_starts(browser, server, args.starts)
            print(f"offline cold start to the lock screen: {percentiles(start_ms)}  (target 300 ms: {verdict(max(start_ms) <= 300)})")
            seal_ms = seals(browser, server, args.seals)
            print(f"sealing a note with a 12-mark body map to 3 recipients: {percentiles(seal_ms)}  "
                  f"(target 20 ms: {verdict(max(seal_ms) <= 20)})")
        finally:
            stop_server(server)
            browser.close()
        cli_ms = cli_times(Path(tmp) / "data", args.cli)
        print(f"`lantern admin school list`: {percentiles(cli_ms)}  (target 300 ms: {verdict(max(cli_ms) <= 300)})")
    print(json.dumps({"wire_bytes": wire, "file_bytes": files}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
