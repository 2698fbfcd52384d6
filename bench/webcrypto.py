"""Bench: what WebCrypto in real headless Chromium costs, one operation at a time, on this machine.

    .venv/bin/python bench/webcrypto.py [--count 15000] [--workers 2]

The floor under a team device's catch-up (bench/triage.py): opening an envelope (docs/envelope.md,
"Opening") takes 11 WebCrypto calls: a signature check over the whole envelope; an ECDH derivation
with the stanza's ephemeral key (imported); HPKE's key schedule, which is one HKDF from the shared
secret (imported), an HMAC, then a key and a nonce from a key held for the page; and two AES-256-GCM
decryptions (the stanza's wrapped key, then the content under a key imported for it). Each is timed
alone, `count` of them spread over `workers` workers as team/opener.js spreads envelopes (64 in
flight in each), and each answer is checked (the signature valid, the shared secret the one the other
side derives, the bytes the ones sealed) before its time is reported. No Lantern server: the page and
its worker are served by Playwright itself, on a loopback origin so that WebCrypto is available.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.report import load_average, machine  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ORIGIN = "http://127.0.0.1:9"  # never reached: Playwright answers every request below

# Each operation as an envelope's opening does it, on inputs of an envelope's sizes (4 KiB content).
WORKER = """
const s = crypto.subtle;
// The lengths and the first 64 bytes: comparing 4 KiB in script would cost more than decrypting it,
// and AES-GCM's tag has already checked every byte against the key.
function same(a, b) {
  const x = new Uint8Array(a), y = new Uint8Array(b);
  return x.length === y.length && x.subarray(0, 64).every((v, i) => v === y[i]);
}
async function setup() {
  const signer = await s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const envelope = crypto.getRandomValues(new Uint8Array(4400));
  const signature = await s.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.privateKey, envelope);
  const P256 = { name: 'ECDH', namedCurve: 'P-256' };
  const recipient = await s.generateKey(P256, false, ['deriveBits']);
  const ephemeral = await s.generateKey(P256, false, ['deriveBits']);
  const ephemeralRaw = await s.exportKey('raw', ephemeral.publicKey);
  const secret = await s.deriveBits({ name: 'ECDH', public: recipient.publicKey }, ephemeral.privateKey, 256);
  const ikm = crypto.getRandomValues(new Uint8Array(80));
  const expanded = await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new Uint8Array(40) },
    await s.importKey('raw', ikm, 'HKDF', false, ['deriveBits']), 256);
  const heldIkm = s.importKey('raw', ikm.slice(0, 32), 'HKDF', false, ['deriveBits', 'deriveKey']);
  const scheduled = await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: ikm, info: new Uint8Array(40) }, await heldIkm, 96);
  const hmacKey = await s.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await s.sign('HMAC', hmacKey, ikm);
  const rawKey = crypto.getRandomValues(new Uint8Array(32)), iv = new Uint8Array(12);
  const aesKey = await s.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const plain = crypto.getRandomValues(new Uint8Array(4096));
  const sealed = await s.encrypt({ name: 'AES-GCM', iv }, aesKey, plain);
  const wrapped = await s.encrypt({ name: 'AES-GCM', iv }, aesKey, rawKey);
  return {
    'ECDSA P-256 verify, 4.4 kB': async () => s.verify({ name: 'ECDSA', hash: 'SHA-256' }, signer.publicKey, signature, envelope),
    'ECDH P-256: import the ephemeral key, derive': async () => same(await s.deriveBits(
      { name: 'ECDH', public: await s.importKey('raw', ephemeralRaw, P256, true, []) }, recipient.privateKey, 256), secret),
    'HKDF-SHA256: import, derive 32 bytes': async () => same(await s.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new Uint8Array(40) },
      await s.importKey('raw', ikm, 'HKDF', false, ['deriveBits']), 256), expanded),
    'HKDF-SHA256 from a held key: an AES key, 12 bytes': async () => {
      const held = await heldIkm, hkdf = { name: 'HKDF', hash: 'SHA-256', salt: ikm, info: new Uint8Array(40) };
      const [key, nonce] = await Promise.all([s.deriveKey(hkdf, held, { name: 'AES-GCM', length: 256 }, false, ['decrypt']), s.deriveBits(hkdf, held, 96)]);
      return key.type === 'secret' && nonce.byteLength === 12 && same(nonce, scheduled);
    },
    'HMAC-SHA256, 80 bytes': async () => same(await s.sign('HMAC', hmacKey, ikm), mac),
    'AES-256-GCM decrypt, 32 bytes (a stanza)': async () => same(await s.decrypt({ name: 'AES-GCM', iv }, aesKey, wrapped), rawKey),
    'AES-256-GCM: import, decrypt 4 KiB': async () => same(await s.decrypt({ name: 'AES-GCM', iv },
      await s.importKey('raw', rawKey, 'AES-GCM', false, ['decrypt']), sealed), plain),
  };
}
const ready = setup();
self.onmessage = async (event) => {
  const ops = await ready;
  if (!event.data) return postMessage(Object.keys(ops));
  const { name, count } = event.data;
  let wrong = 0;
  const t = performance.now();
  for (let i = 0; i < count; i += 64) {
    const answers = await Promise.all(Array.from({ length: Math.min(64, count - i) }, () => ops[name]()));
    wrong += answers.filter((ok) => ok !== true).length;
  }
  postMessage({ ms: performance.now() - t, wrong });
};
"""

TIME = """async ([name, count, workers]) => {
    const started = Array.from({ length: workers }, () => new Worker('/worker.js'));
    const ask = (w, message) => new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); w.postMessage(message); });
    await Promise.all(started.map((w) => ask(w, null))); // each worker's keys made before the clock starts
    const t = performance.now();
    const answers = await Promise.all(started.map((w, i) => ask(w, { name, count: Math.floor(count / workers) + (i < count % workers ? 1 : 0) })));
    const ms = performance.now() - t;
    started.forEach((w) => w.terminate());
    return { ms, wrong: answers.reduce((n, a) => n + a.wrong, 0) };
}"""


def serve(route) -> None:
    if route.request.url.endswith("/worker.js"):
        route.fulfill(body=WORKER, content_type="text/javascript")
    else:
        route.fulfill(body="<!doctype html><title>WebCrypto bench</title>", content_type="text/html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=15_000, help="operations of each kind")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    print(f"{load_average()} at the start")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route(ORIGIN + "/**", serve)
            page.goto(ORIGIN + "/")
            names = page.evaluate("() => new Promise((r) => { const w = new Worker('/worker.js'); w.onmessage = (e) => { w.terminate(); r(e.data); }; w.postMessage(null); })")
            print(f"\n{args.count} of each in {args.workers} worker{'s' if args.workers > 1 else ''}, 64 in flight in each:")
            total = 0.0
            for name in names:
                timed = page.evaluate(TIME, [name, args.count, args.workers])
                assert timed["wrong"] == 0, f"{name}: {timed['wrong']} wrong answers"
                each = timed["ms"] * 1000 / args.count
                total += each
                print(f"  {name:50s} {timed['ms']:8.0f} ms  {each:6.1f} us each")
            print(f"  {'one of each, the sum':50s} {'':8s}     {total:6.1f} us: {30_000 * total / 1e6:.2f} s for 30,000 envelopes")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
