// Opens envelopes for the team's inbox in workers, one per core up to MAX_WORKERS
// (team/opener-worker.js): WebCrypto runs a page's operations one after another, so a device
// catching up on thousands uses one core for them unless it has workers (bench/triage.py measured
// 30,000 signature checks in 2.4 s on a page, 1.2 s in two workers on two cores).
//
// The workers start when this module loads, with the page's other modules, so that their code comes
// from the same version of the app as the page's (pwa/sw.js, "Updates"). Where a browser has no module
// workers (Safari before 15) or a worker fails, envelopes are opened on the page itself, the same way.

import { EnvelopeError, open } from "../common/envelope.js";

const MAX_WORKERS = 4;
const BATCH = 64; // envelopes in one message to a worker

function moduleWorkers() {
  // A browser without module workers ignores `type` and runs the file as a classic script, which
  // fails on its first import; the one that reads `type` has them.
  let reads = false;
  try {
    new Worker("data:text/javascript,", { get type() { reads = true; return "module"; } }).terminate();
  } catch (e) {
    return false;
  }
  return reads;
}

const workers = [];
if (typeof Worker === "function" && moduleWorkers()) {
  const count = Math.max(1, Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1));
  for (let i = 0; i < count; i++) {
    const worker = new Worker(new URL("./opener-worker.js", import.meta.url), { type: "module" });
    const slot = { worker, waiting: new Map(), broken: false };
    worker.onmessage = (event) => {
      const answer = slot.waiting.get(event.data.id);
      slot.waiting.delete(event.data.id);
      if (answer) answer.resolve(event.data.results);
    };
    worker.onerror = () => {
      // A worker that could not start or broke: what it held is opened on the page, and it gets no more.
      slot.broken = true;
      for (const answer of slot.waiting.values()) answer.reject(new Error("the opening worker failed"));
      slot.waiting.clear();
    };
    workers.push(slot);
  }
}

let sent = 0;

async function openHere(envelopes, recipient, authors) {
  return Promise.all(envelopes.map(async (envelope, i) => {
    try {
      return await open(envelope, {
        recipientPrivateKey: recipient.privateKey, recipientPublicKeyRaw: recipient.publicKeyRaw, authorPublicKeyRaw: authors[i],
      });
    } catch (e) {
      if (e instanceof EnvelopeError) return { error: e.code };
      throw e;
    }
  }));
}

async function openBatch(envelopes, recipient, authors) {
  const ready = workers.filter((w) => !w.broken);
  if (!ready.length) return openHere(envelopes, recipient, authors);
  const slot = ready[sent % ready.length];
  const id = ++sent;
  try {
    const results = await new Promise((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.worker.postMessage({ id, envelopes, recipient, authors });
    });
    // Anything but a check's verdict (the worker itself failing) is tried again here, where it throws.
    if (results.every((r) => r.error !== "worker_failed")) return results;
  } catch (e) {
    // the worker failed: below
  }
  return openHere(envelopes, recipient, authors);
}

// Opens each envelope (bytes) with `recipient` ({privateKey, publicKeyRaw}) against its author's
// public key (`authors`, one per envelope, null when unknown). Resolves, in order, with what
// envelope.js's open() gives ({header, content, contentKey}) or {error: its error code}.
export async function openEnvelopes(envelopes, recipient, authors) {
  const batches = [];
  for (let i = 0; i < envelopes.length; i += BATCH) {
    batches.push(openBatch(envelopes.slice(i, i + BATCH), recipient, authors.slice(i, i + BATCH)));
  }
  return (await Promise.all(batches)).flat();
}
