"""Bench: the app itself, in real headless Chromium against a real server, and the admin CLI.

Targets (issue 11, item 4): the first load from an empty cache at most 150 KB on the wire (compressed
by Lantern itself); an offline cold start to an interactive screen within 300 ms; sealing a note with
a body map for 3 recipients within 20 ms; the admin CLI answering within 0.3 s. Not a unit test: run
it by hand and put the figures in docs/performance.md. tests/test_bench.py runs it once, short.

    .venv/bin/python bench/app.py [--starts 10] [--seals 50] [--cli 10]

It starts a real `lantern serve --demo` on a fresh data folder. It checks before it reports: every
file of the first load decompresses to the file as served; the cold start reached the lock screen
with no network; each sealed note opens, with Python, to the content sealed.
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import brotli
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.report import load_average, machine, percentiles, verdict  # noqa: E402
from server import static  # noqa: E402
from sync import envelope  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.staff_app import join_demo  # noqa: E402
from tests.conftest import start_server, stop_server  # noqa: E402
from tests.hostile.proxy import HostileProxy  # noqa: E402

PWA = ROOT / "pwa"


def shell_paths() -> list[str]:
    """What the service worker caches: the app, offline."""
    listed = re.search(r"const SHELL = \[(.*?)\];", (PWA / "sw.js").read_text(), re.S).group(1)
    return sorted(re.findall(r'"(/[^"]*)"', listed))


def served_as_on_disk(url: str) -> int:
    """Every shell file, as a browser asks for it, decompresses to the file as served (a script with its
    comment lines emptied, server/static.py as_served): their total."""
    total = 0
    with httpx.Client(base_url=url, headers={"accept-encoding": "br, gzip"}) as http:
        for path in shell_paths():
            with http.stream("GET", path) as response:
                raw = b"".join(response.iter_raw())
            coding = response.headers.get("content-encoding", "identity")
            body = {"br": brotli.decompress, "gzip": gzip.decompress}.get(coding, lambda b: b)(raw)
            file = PWA / ("index.html" if path == "/" else path.lstrip("/"))
            on_disk = static.as_served(file, file.read_bytes())
            assert response.status_code == 200 and body == on_disk, f"{path}: what was served is not the file"
            total += len(on_disk)
    return total


def first_load(browser, url: str) -> tuple[int, int]:
    """A first visit in Chromium, from an empty cache until the service worker holds the whole shell:
    (requests, bytes on the wire), counted by the tests' proxy (telling no lie) in front of the server."""
    seen: list[int] = []
    with HostileProxy(url) as proxy:
        proxy.rule("*", "/", lambda ex: seen.append(
            len(ex.body) + sum(len(k) + len(v) + 4 for k, v in ex.headers.items()) + len("HTTP/1.1 200 OK\r\n\r\n")))
        context = browser.new_context()
        page = context.new_page()
        page.goto(proxy.url + "/")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30000)
        cached = page.evaluate("""async () => { const name = (await caches.keys()).find((n) => n.startsWith('lantern-shell-'));
            return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname); }""")
        assert sorted(cached) == shell_paths(), "the worker did not cache the whole shell"
        context.close()
    return len(seen), sum(seen)


def cold_starts(browser, server, starts: int) -> list[float]:
    """From navigation to the lock screen ready for a PIN, offline, the service worker serving."""
    context, page = join_demo(browser, server)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    # The moment the app says it is ready, from the navigation's start (performance.now()'s origin).
    context.add_init_script(script="""new MutationObserver(() => {
        if (document.body && document.body.dataset.ready === 'locked' && !window.readyAt) window.readyAt = performance.now();
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });""")
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
        print(f"{load_average()} at the start")
        server = start_server(Path(tmp) / "data")
        try:
            files = served_as_on_disk(server.url)
            requests, wire = first_load(browser, server.url)
            print(f"first load, empty cache, until the app works offline: {requests} requests, "
                  f"{wire / 1000:.1f} kB on the wire for {len(shell_paths())} files of {files / 1000:.1f} kB  "
                  f"(target 150 kB: {verdict(wire <= 150_000)})")
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
