// The outbox: sealed envelopes waiting for the server. An envelope leaves it only when the server has
// answered that it is stored (which means durable), so a sync that breaks off loses nothing and a
// retry of an envelope the server already has is a harmless no-op. Each waiting note belongs to the
// profile that sealed it (pwa/common/profiles.js) and is sent in a request signed by that profile's
// device key, which needs no PIN: notes go out while their author is locked out or gone home.

import { OfflineError, errorCode, signedFetch } from "./api.js";
import { toBase64 } from "./bytes.js";
import { getAll, requestValue, transaction } from "./db.js";

// Queues a note just sealed, in one transaction with the author's own copy of it (`copy`, sealed
// under their profile key by pwa/common/vault.js) and the deletion of their draft: afterwards the note is
// queued, kept for its author and no longer a draft, or, if anything failed, none of these.
// Beside the envelope the outbox keeps only what replay needs, and when it was saved (the record
// id, a UUIDv7, says that anyway); whom it was sealed to and what it adds to are in the copy.
// `receiptCheck` recognises a reader's receipt (pwa/staff/status.js) and proves nothing by itself.
export function enqueue(db, { recordId, envelope, profileId, copy, receiptCheck }) {
  return transaction(db, ["outbox", "copies", "drafts"], "readwrite", (s) => {
    s.outbox.add({ recordId, envelope, profileId, receiptCheck, savedAt: new Date().toISOString() });
    s.copies.put({ recordId, profileId, iv: copy.iv, data: copy.data });
    s.drafts.delete(profileId);
  });
}

// How long a device keeps each envelope it sent, to send it again should the server lose it (restored
// from a backup older than the note: docs/protocol.md, "When the server forgets"). A school restores
// from last night's backup; 35 days covers a backup found wanting only weeks later.
export const KEEP_SENT_DAYS = 35;

// Puts a sent note back in the outbox, to go again: the server says it does not hold it.
export function sendAgain(s, sentItem) {
  s.outbox.put({
    recordId: sentItem.recordId, envelope: sentItem.envelope, profileId: sentItem.profileId,
    receiptCheck: sentItem.receiptCheck || null, savedAt: sentItem.savedAt, sentAgain: true,
  });
}

// What waits, oldest first: every profile's, or only `profileId`'s.
export async function waiting(db, profileId) {
  const items = (await getAll(db, "outbox")).filter((i) => profileId === undefined || i.profileId === profileId);
  return items.sort((a, b) => (a.savedAt < b.savedAt ? -1 : 1));
}

function acknowledge(db, item, seq) {
  return transaction(db, ["outbox", "sent"], "readwrite", async (s) => {
    // The page and the service worker may both have sent it: the first to hear back moves it, once,
    // so a later status ("opened") is never overwritten by a second acknowledgement.
    if (!(await requestValue(s.outbox.get(item.recordId)))) return;
    s.outbox.delete(item.recordId);
    // Sent again after the server forgot it (staff/status.js): what its author already saw proven stays.
    const before = await requestValue(s.sent.get(item.recordId));
    // received: the server has it; opened: not yet (status.js learns that later). The envelope is
    // kept for KEEP_SENT_DAYS, to send again if the server loses it. A note from before profiles
    // kept whom it was sealed to here, in the clear; it still does.
    s.sent.put({
      recordId: item.recordId, profileId: item.profileId, savedAt: item.savedAt, seq,
      receivedAt: new Date().toISOString(), received: true, opened: Boolean(before && before.opened),
      recipients: item.recipients || null, refersTo: item.refersTo || null, receiptCheck: item.receiptCheck || null,
      envelope: item.envelope,
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

const running = {};

// Sends what `profile` ({id, device}) has waiting. One replay per profile at a time in this page or
// worker; a call while one runs waits for it rather than sending twice in parallel.
export function replay(db, profile) {
  if (!running[profile.id]) {
    running[profile.id] = sendAll(db, profile).finally(() => { delete running[profile.id]; });
  }
  return running[profile.id];
}

// Worth trying again later, as opposed to a refusal of this envelope or this device.
function isTransient(answer) {
  return answer.status === 429 || answer.status >= 500 || (answer.status === 401 && errorCode(answer) === "stale_request");
}

async function sendAll(db, profile) {
  const report = { sent: 0, refused: 0, offline: false, transient: false };
  for (const item of await waiting(db, profile.id)) {
    if (item.refused) continue;
    let answer;
    try {
      answer = await signedFetch(profile.device, "POST", "/api/v1/envelopes", { envelopes: [toBase64(item.envelope)] });
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
      report.transient = true;
      break; // the server is busy, failing, or our clock is still out: keep everything, try later
    } else {
      await markRefused(db, item, errorCode(answer));
      report.refused += 1;
    }
  }
  return report;
}
