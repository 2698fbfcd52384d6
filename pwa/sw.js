// The service worker: keeps the app shell in a versioned cache so the app opens with no network, and
// shows urgent alerts that arrive by Web Push. A classic script, not a module, so that it also runs
// in browsers without module workers; where they exist, pwa/sw-module.js is the worker registered,
// and it imports this file whole (so this must stay valid as a module too: no importScripts) and
// adds sending the outbox on Background Sync.
//
// Updates (docs/architecture.md, "The app shell and updates"). VERSION is a digest of the shell's
// files (all but this file and sw-module.js), so that any change to one changes this file's bytes;
// sw-module.js names it too. SHELL must list exactly the files in pwa/. tests/test_docs.py checks all
// three, and says the new VERSION when a shell file has changed. The browser fetches
// sw.js on each navigation; when its bytes differ, the new worker caches the whole new shell under its
// own name, takes over at once (skipWaiting, clients.claim) and deletes the older caches. Why taking
// over at once cannot lose, block or break a note:
// - Notes (drafts, the outbox, what was sent) live in IndexedDB, never in these caches, so deleting a
//   cache cannot touch one, and a new worker finds the outbox as the old page left it.
// - Nothing reloads a page when the worker changes: a form being typed stays as it is. The running
//   page keeps the code it started with; the next time the app opens, it gets the new shell.
// - A page has all its code once it runs: app.js loads every module by static import before it
//   starts, and saving (WebCrypto, then IndexedDB) and sending (/api/, never answered from here) do
//   not go through this worker's cache. So a save in progress never meets a file of another version.
//   Keep it so: a module loaded later with import() could come from a newer shell than its page.
// - Each worker answers only from its own cache, which `install` fills whole (addAll stores all or
//   nothing, and `cache: "no-cache"` asks the server whether each file the browser holds is current,
//   taking a 304 for one that is: server/static.py), so a page gets one version's files, never a mix,
//   and a first visit does not download the whole shell twice. An install that fails (no network, a deploy half done) changes nothing: the old
//   worker and its cache stay in charge, and the browser tries again on a later navigation.
// The one window left: a new worker that activates in the few milliseconds while a page is still
// fetching its modules would answer the rest from the new shell. If the versions do not fit, that
// page fails to start until it is reloaded; the notes in IndexedDB are untouched either way.

const VERSION = "2e74bae3a1f2";
const CACHE = "lantern-shell-v" + VERSION;
// "/" is index.html, cached under the URL the page is opened at, so that a first visit fetches it
// once. The home screen's own icons (icon-512, maskable-*, apple-touch-icon) are not here: the
// browser fetches them itself when the app is added to a home screen, with the network that needs.
// Not here, fetched from the network when first opened: the trust key holder's screen and what it
// signs with (team/trust.js, approvals.js, issued-codes.js, keyring-changes.js), which one or two
// people of a school use, online, and which every other device need not carry.
const SHELL = [
  "/",
  "/app.js",
  "/styles.css",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
  "/icons/icon.svg",
  "/sw-module.js",
  "/common/api.js",
  "/common/bodymap.js",
  "/common/bytes.js",
  "/common/call-list.js",
  "/common/categories.js",
  "/common/child-picker.js",
  "/common/clock.js",
  "/common/db.js",
  "/common/device.js",
  "/common/dom.js",
  "/common/codes.js",
  "/common/enrol.js",
  "/common/envelope.js",
  "/common/hpke.js",
  "/common/idle.js",
  "/common/key-proofs.js",
  "/common/keyring.js",
  "/common/leave.js",
  "/common/lock-screen.js",
  "/common/messages.js",
  "/common/note-reader.js",
  "/common/note-view.js",
  "/common/note.js",
  "/common/outbox.js",
  "/common/profiles.js",
  "/common/replay.js",
  "/common/roster-import.js",
  "/common/roster.js",
  "/common/sequence.js",
  "/common/service-worker.js",
  "/common/storage.js",
  "/common/vault.js",
  "/staff/bodymap-editor.js",
  "/staff/concern-form.js",
  "/staff/drafts.js",
  "/staff/own-notes.js",
  "/staff/status.js",
  "/team/actions.js",
  "/team/calendar.js",
  "/team/case-view.js",
  "/team/cases.js",
  "/team/chronology.js",
  "/team/clocks.js",
  "/team/gaps.js",
  "/team/inbox.js",
  "/team/opener-worker.js",
  "/team/opener.js",
  "/team/push.js",
  "/team/recipient-key.js",
  "/team/recovery-sheet.js",
  "/team/reminders.js",
  "/team/school-setup.js",
  "/team/summary.js",
  "/team/team.js",
  "/team/triage.js",
  "/team/trust-key.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: "no-cache" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("lantern-shell-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // The API is never cached: answers about notes must be live or fail visibly.
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  const key = url.pathname === "/index.html" ? "/" : url.pathname;
  event.respondWith(caches.match(key, { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
});

// Urgent alerts (docs/alerts.md). What a notification shows reaches a lock screen, and the push
// payload passes through a push service: so the text is always the same generic words, whatever the
// payload holds, and only a well-formed record id is taken from it, to open that note. A payload
// that is missing, unreadable or not "urgent" still shows the alert: the server sends pushes only for
// urgent notes, and a missed alert costs more than a needless one.
const ALERT_TITLE = "Urgent safeguarding concern - open Lantern";
const ALERT_BODY = "A concern needs the safeguarding team now. Open Lantern on this device to read it.";
const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A clock reminder (docs/alerts.md, "Clock reminders"): the payload is an id only this device can
// place, and the words are fixed, like an alert's; it opens the list, where the clock stands out.
const REMINDER_TITLE = "A safeguarding deadline is due - open Lantern";
const REMINDER_BODY = "A clock on a case you hold has come due. Open Lantern on this device to see which.";

function payloadOf(data) {
  try {
    return data ? data.json() : null;
  } catch (e) {
    return null; // not JSON: still an alert, for no record in particular
  }
}

function alertRecordId(payload) {
  const id = payload && payload.type === "urgent" ? payload.record_id : null;
  return typeof id === "string" && RECORD_ID.test(id) ? id.toLowerCase() : null;
}

// Where the app opens for an alert; the page reads `#alert=<record id>`.
function alertUrl(recordId) {
  return new URL(recordId ? "/#alert=" + recordId : "/", self.location.origin).href;
}

self.addEventListener("push", (event) => {
  const payload = payloadOf(event.data);
  if (payload && payload.type === "reminder") {
    event.waitUntil(self.registration.showNotification(REMINDER_TITLE, {
      body: REMINDER_BODY, icon: "/icons/icon-192.png", lang: "en-GB", tag: "lantern-reminder", renotify: true,
      data: { record_id: null },
    }));
    return;
  }
  const recordId = alertRecordId(payload);
  event.waitUntil(self.registration.showNotification(ALERT_TITLE, {
    body: ALERT_BODY,
    icon: "/icons/icon-192.png",
    lang: "en-GB",
    // One notification per note: a repeat of the same alert (escalation) replaces it, and alerts again.
    tag: recordId || "lantern-alert",
    renotify: true,
    requireInteraction: true, // stays until someone acts on it
    data: { record_id: recordId },
  }));
});

// An open Lantern window is focused and told which note, by a message {type: "alert", record_id,
// url}, rather than navigated: it may be in the middle of a note, and a navigation could reload it.
// With no window open, the app opens at `/#alert=<record id>`.
async function openAlert(recordId) {
  const url = alertUrl(recordId);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const client = windows.find((c) => c.focused) || windows.find((c) => c.visibilityState === "visible") || windows[0];
  if (!client) return self.clients.openWindow(url);
  client.postMessage({ type: "alert", record_id: recordId, url });
  try {
    await client.focus();
  } catch (e) {
    // Focusing needs the click's permission; the message has arrived all the same.
  }
  return client;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const recordId = typeof data.record_id === "string" && RECORD_ID.test(data.record_id) ? data.record_id : null;
  event.waitUntil(openAlert(recordId));
});

// The browser replaced or dropped this app's push subscription (it expired, or the push service
// rotated it). The server only knows the old endpoint, and registering needs the device's signature,
// whose key only a page uses: so this subscribes again with the same server key where the browser did
// not already, and asks every open Lantern window to register the new subscription. With no window
// open, the app registers it the next time it opens (pwa/team/push.js renewAlerts).
async function resubscribe(event) {
  const old = event.oldSubscription;
  if (!event.newSubscription && old && old.options && old.options.applicationServerKey) {
    try {
      await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: old.options.applicationServerKey });
    } catch (e) {
      // Permission withdrawn, or no push service: the page says so when it next opens.
    }
  }
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) client.postMessage({ type: "push-subscription-changed" });
}

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(resubscribe(event));
});
