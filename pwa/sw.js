// The service worker: keeps the app shell in a versioned cache so the app opens with no network.
// A classic script, not a module, so that it also runs in browsers without module workers.
// Bump VERSION whenever a file in SHELL changes: the new worker caches the new shell, and `activate`
// deletes the old caches. Notes live in IndexedDB, never in these caches, so an update cannot touch them.

const VERSION = "4";
const CACHE = "lantern-shell-v" + VERSION;
const SHELL = [
  "/",
  "/index.html",
  "/app.js",
  "/styles.css",
  "/manifest.webmanifest",
  "/lib/api.js",
  "/lib/bytes.js",
  "/lib/clock.js",
  "/lib/db.js",
  "/lib/device.js",
  "/lib/enrol.js",
  "/lib/envelope.js",
  "/lib/hpke.js",
  "/lib/keyring.js",
  "/lib/messages.js",
  "/lib/note.js",
  "/lib/outbox.js",
  "/lib/status.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
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
  const key = url.pathname === "/" ? "/index.html" : url.pathname;
  event.respondWith(caches.match(key, { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
});
