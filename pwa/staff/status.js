// What became of the notes this device sent (docs/protocol.md, "Receipts and status"): the
// server tells the author only whether each note is stored and whether the team has opened it,
// which is what a member of staff needs to stop worrying, and nothing about who or what was decided.

import { signedFetch } from "../common/api.js";
import { getAllBy, requestValue, transaction } from "../common/db.js";

const BATCH = 100; // the most record ids one status request may carry

function record(db, statuses) {
  return transaction(db, "sent", "readwrite", async (s) => {
    for (const status of statuses) {
      const item = await requestValue(s.sent.get(status.record_id));
      if (item) {
        s.sent.put(Object.assign(item, {
          received: status.received === true, opened: status.opened === true,
          // An urgent note's alert: "delivered", "sending" or "unreached" (docs/protocol.md, "Receipts and status").
          alert: ["delivered", "sending", "unreached"].indexOf(status.alert) !== -1 ? status.alert : null,
          readable: typeof status.readable === "boolean" ? status.readable : null,
        }));
      }
    }
  });
}

// Asks about every note `profile` ({id, device}) sent that the team has not opened yet (an opened
// note stays opened), as that profile: the server answers each device about its own notes only.
// Throws OfflineError when there is no network; a refusal leaves what is stored as it was.
export async function pollStatus(db, profile) {
  const device = profile.device;
  const unopened = (await getAllBy(db, "sent", "profileId", profile.id)).filter((item) => !item.opened);
  for (let i = 0; i < unopened.length; i += BATCH) {
    const recordIds = unopened.slice(i, i + BATCH).map((item) => item.recordId);
    const answer = await signedFetch(device, "POST", "/api/v1/status", { record_ids: recordIds });
    if (answer.status !== 200 || !answer.body || !Array.isArray(answer.body.statuses)) return;
    await record(db, answer.body.statuses);
  }
}

// One profile's counts: they are that person's to see, once unlocked.
export async function sentCounts(db, profileId) {
  const sent = await getAllBy(db, "sent", "profileId", profileId);
  return {
    received: sent.filter((item) => item.received).length,
    opened: sent.filter((item) => item.opened).length,
  };
}
