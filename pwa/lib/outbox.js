// The outbox: sealed envelopes waiting for the server. An envelope leaves it only when the server has
// answered that it is stored (which means durable), so a sync that breaks off loses nothing and a
// retry of an envelope the server already has is a harmless no-op.

import { OfflineError, errorCode, signedFetch } from "./api.js";
import { toBase64 } from "./bytes.js";
import { getAll, requestValue, transaction } from "./db.js";

// `meta` is what this device keeps beside the sealed note, and never its content: `recipients`, the
// person ids it was sealed to (an addendum goes to the same people), and for an addendum `refersTo`,
// the record it adds to. The envelope's header names the same recipients' keys in the clear anyway.
export function enqueue(db, recordId, envelope, meta = {}) {
  return transaction(db, "outbox", "readwrite", (s) => {
    s.outbox.add({
      recordId, envelope, savedAt: new Date().toISOString(),
      recipients: meta.recipients || null, refersTo: meta.refersTo || null,
    });
  });
}

export async function waiting(db) {
  const items = await getAll(db, "outbox");
  return items.sort((a, b) => (a.savedAt < b.savedAt ? -1 : 1));
}

function acknowledge(db, item, seq) {
  return transaction(db, ["outbox", "sent"], "readwrite", (s) => {
    s.outbox.delete(item.recordId);
    // received: the server has it; opened: not yet (status.js learns that later).
    s.sent.put({
      recordId: item.recordId, savedAt: item.savedAt, seq, receivedAt: new Date().toISOString(),
      received: true, opened: false, recipients: item.recipients || null, refersTo: item.refersTo || null,
    });
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
// `device` is {keyId, privateKey}: every push is a signed request.
export function replay(db, device) {
  if (!running) running = sendAll(db, device).finally(() => { running = null; });
  return running;
}

// Worth trying again later, as opposed to a refusal of this envelope or this device.
function isTransient(answer) {
  return answer.status === 429 || answer.status >= 500 || (answer.status === 401 && errorCode(answer) === "stale_request");
}

async function sendAll(db, device) {
  const report = { sent: 0, refused: 0, offline: false };
  for (const item of await waiting(db)) {
    if (item.refused) continue;
    let answer;
    try {
      answer = await signedFetch(device, "POST", "/api/v1/envelopes", { envelopes: [toBase64(item.envelope)] });
    } catch (e) {
      if (!(e instanceof OfflineError)) throw e;
      report.offline = true; // no network: try again on the next trigger
      break;
    }
    if (answer.status === 200) {
      // 200 means durable on the server, even if the body was lost on the way back.
      const result = answer.body && answer.body.results ? answer.body.results[0] : null;
      await acknowledge(db, item, result ? result.seq : null);
      report.sent += 1;
    } else if (isTransient(answer)) {
      break; // the server is busy, failing, or our clock is still out: keep everything, try later
    } else {
      await markRefused(db, item, errorCode(answer));
      report.refused += 1;
    }
  }
  return report;
}
