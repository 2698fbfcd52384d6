// The service worker, where the browser runs module workers (Chromium 91+, Safari 15+, Firefox 147+):
// everything the classic pwa/sw.js does (the shell cache, urgent alerts), which it imports, and one
// thing a classic worker could not do without a second copy of the outbox code: send the notes
// waiting in the outbox itself, on Background Sync (Chromium) and whenever the worker starts, with
// the same modules the page uses. pwa/common/service-worker.js registers this, and sw.js alone where
// module workers are missing; there, and in browsers without Background Sync (Safari, Firefox), the
// page's own replay (on opening, `online`, after a save, every 30 s) is what sends.
//
// Requests are signed by each profile's device key, a non-extractable CryptoKey read from
// IndexedDB: the worker needs nobody's PIN, and never sees a note, a draft or a profile key.
//
// Updates: Chromium does not reliably install a new module worker when only a module it imports has
// changed (the new version fails to start, and the old one stays in charge for good), so this file
// itself must change with every version of the app. It names the shell's version below, which must
// equal VERSION in sw.js (tests/test_docs.py checks, and gives the value), in a block comment: the
// server empties whole-line // comments before it sends a script (server/static.py), which would
// leave this file the same from one version to the next.
/* Shell version: 2e74bae3a1f2 */

import "./sw.js";
import { loadClock } from "./common/clock.js";
import { openDb } from "./common/db.js";
import { replayAll } from "./common/replay.js";
import { SYNC_TAG } from "./common/service-worker.js";

let database = null;

// The database as the pages left it, or null: the worker never creates or upgrades it (db.js).
async function openDatabase() {
  if (!database || database.closedForUpgrade) database = await openDb({ existing: true });
  return database;
}

async function sendWaiting() {
  const db = await openDatabase();
  if (!db) return null;
  await loadClock(db);
  return replayAll(db);
}

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(sendWaiting().then((report) => {
    // Failing the event asks the browser to fire it again later, with its own back-off.
    if (report && (report.offline || report.transient)) throw new Error("notes are still waiting to be sent");
  }));
});

// A worker starts for a navigation, a push or a sync: each is a moment the network may be back.
sendWaiting().catch(() => {});
