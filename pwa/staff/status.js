// What became of the notes this device sent (docs/protocol.md, "Receipts and status"): the
// server tells the author only whether each note is stored and whether the team has opened it,
// which is what a member of staff needs to stop worrying, and nothing about who or what was decided.
// "Opened" is believed only on proof: a reader's receipt made with the note's own content key, which
// the server never has; the server's word alone leaves a note "received by the server".

import { signedFetch } from "../common/api.js";
import { fromBase64, toBase64 } from "../common/bytes.js";
import { getAllBy, requestValue, transaction } from "../common/db.js";
import { receiptProof } from "../common/envelope.js";
import { KEEP_SENT_DAYS, sendAgain } from "../common/outbox.js";

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// What the author keeps, in place of the content key, to recognise a reader's receipt: the hash of
// the proof (docs/envelope.md, "Receipts"), base64. It proves nothing to whoever reads it.
export async function receiptCheck(contentKey, recordId) {
  return toBase64(await sha256(await receiptProof(contentKey, recordId)));
}

async function proven(item, proofs) {
  if (!item.receiptCheck || !Array.isArray(proofs)) return false;
  for (const proof of proofs) {
    try {
      if (toBase64(await sha256(fromBase64(proof))) === item.receiptCheck) return true;
    } catch {
      // not base64: proves nothing
    }
  }
  return false;
}

const BATCH = 100; // the most record ids one status request may carry

// `items` are the sent entries asked about, by record id. The proofs are checked first: the crypto
// must not run inside the IndexedDB transaction, which would commit while it waited. A note the server
// says it does not hold, though it acknowledged it, goes back in the outbox while its envelope is
// kept (the server was restored from a backup, or lost its last commits). Resolves with how many.
async function record(db, items, statuses) {
  const opened = new Map();
  for (const status of statuses) {
    const item = items.get(status.record_id);
    // A proof once seen stays seen, whatever a server restored from a backup says later.
    if (item) opened.set(status.record_id, item.opened || (await proven(item, status.proofs)));
  }
  return transaction(db, ["sent", "outbox"], "readwrite", async (s) => {
    let again = 0;
    for (const status of statuses) {
      if (!opened.has(status.record_id)) continue;
      const item = await requestValue(s.sent.get(status.record_id));
      if (item && status.received !== true && item.envelope && !(await requestValue(s.outbox.count(item.recordId)))) {
        sendAgain(s, item);
        again += 1;
      }
      if (item) {
        s.sent.put(Object.assign(item, {
          received: status.received === true, opened: opened.get(status.record_id),
          // An urgent note's alert: "delivered", "sending" or "unreached" (docs/protocol.md, "Receipts and status").
          alert: ["delivered", "sending", "unreached"].indexOf(status.alert) !== -1 ? status.alert : null,
          readable: typeof status.readable === "boolean" ? status.readable : null,
        }));
      }
    }
    return again;
  });
}

// A sent note's envelope is dropped once KEEP_SENT_DAYS have passed since the server acknowledged it.
function keptTooLong(item, now) {
  return item.envelope && Date.parse(item.receivedAt) < now - KEEP_SENT_DAYS * 24 * 3600 * 1000;
}

// Asks about every note `profile` ({id, device}) sent that the team has not opened yet, or whose
// envelope it still keeps, as that profile: the server answers each device about its own notes only.
// Resolves with how many went back in the outbox to be sent again. Throws OfflineError when there is
// no network; a refusal leaves what is stored as it was.
export async function pollStatus(db, profile, now = Date.now()) {
  const device = profile.device;
  const sent = await getAllBy(db, "sent", "profileId", profile.id);
  const old = sent.filter((item) => keptTooLong(item, now));
  if (old.length) {
    await transaction(db, "sent", "readwrite", (s) => {
      for (const item of old) {
        delete item.envelope;
        s.sent.put(item);
      }
    });
  }
  const asked = sent.filter((item) => !item.opened || item.envelope);
  let again = 0;
  for (let i = 0; i < asked.length; i += BATCH) {
    const batch = new Map(asked.slice(i, i + BATCH).map((item) => [item.recordId, item]));
    const answer = await signedFetch(device, "POST", "/api/v1/status", { record_ids: [...batch.keys()] });
    if (answer.status !== 200 || !answer.body || !Array.isArray(answer.body.statuses)) return again;
    again += await record(db, batch, answer.body.statuses);
  }
  return again;
}

// One profile's counts: they are that person's to see, once unlocked.
export async function sentCounts(db, profileId) {
  const sent = await getAllBy(db, "sent", "profileId", profileId);
  return {
    received: sent.filter((item) => item.received).length,
    opened: sent.filter((item) => item.opened).length,
  };
}
