// The outbox: sealed envelopes waiting for the server. An envelope leaves it only when the server has
// answered that it is stored (which means durable), so a sync that breaks off loses nothing and a
// retry of an envelope the server already has is a harmless no-op.

import { toBase64 } from "./bytes.js";
import { getAll, requestValue, transaction } from "./db.js";

export function enqueue(db, recordId, envelope) {
  return transaction(db, "outbox", "readwrite", (s) => {
    s.outbox.add({ recordId, envelope, savedAt: new Date().toISOString() });
  });
}

export async function waiting(db) {
  const items = await getAll(db, "outbox");
  return items.sort((a, b) => (a.savedAt < b.savedAt ? -1 : 1));
}

function acknowledge(db, item, result) {
  return transaction(db, ["outbox", "sent"], "readwrite", (s) => {
    s.outbox.delete(item.recordId);
    s.sent.put({ recordId: item.recordId, savedAt: item.savedAt, seq: result.seq, receivedAt: new Date().toISOString() });
  });
}

function markRefused(db, item, error) {
  // Kept, never dropped: a refused note is still the only copy of what someone saw.
  return transaction(db, "outbox", "readwrite", async (s) => {
    const current = await requestValue(s.outbox.get(item.recordId));
    if (current) s.outbox.put(Object.assign(current, { refused: error }));
  });
}

let running = null;

// One replay at a time; a call while one runs waits for it rather than sending twice in parallel.
export function replay(db) {
  if (!running) running = sendAll(db).finally(() => { running = null; });
  return running;
}

async function sendAll(db) {
  const report = { sent: 0, refused: 0, offline: false };
  for (const item of await waiting(db)) {
    if (item.refused) continue;
    let response;
    try {
      response = await fetch("/api/v1/envelopes", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ envelopes: [toBase64(item.envelope)] }),
      });
    } catch (e) {
      report.offline = true; // no network: try again on the next trigger
      break;
    }
    if (response.ok) {
      const body = await response.json();
      await acknowledge(db, item, body.results[0]);
      report.sent += 1;
    } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      const body = await response.json().catch(() => ({ error: "http_" + response.status }));
      await markRefused(db, item, body.error);
      report.refused += 1;
    } else {
      break; // the server is busy or failing: keep everything and try later
    }
  }
  return report;
}
