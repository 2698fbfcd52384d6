// Sends every profile's waiting notes, each signed by its own profile's device key. The one replay
// that both the page (when it opens, on `online`, after a save, every 30 s) and the service worker
// (on Background Sync, and when it starts: pwa/sw-module.js) run, so neither needs anyone unlocked.

import { replay } from "./outbox.js";
import { listProfiles } from "./profiles.js";

// Resolves with {sent, refused, offline, transient, byProfile: {id: report}}. `offline` and
// `transient` say that something is still waiting for a better moment.
export async function replayAll(db) {
  const total = { sent: 0, refused: 0, offline: false, transient: false, byProfile: {} };
  for (const profile of await listProfiles(db)) {
    const report = await replay(db, profile);
    total.byProfile[profile.id] = report;
    total.sent += report.sent;
    total.refused += report.refused;
    total.transient = total.transient || report.transient;
    if (report.offline) {
      total.offline = true;
      break; // no network for one is no network for all
    }
  }
  return total;
}
