// Registering the service worker, and asking it to send the outbox by Background Sync.

export const SYNC_TAG = "lantern-outbox";

// The module worker (pwa/sw-module.js) where the browser has module workers, else the classic one
// (pwa/sw.js). A browser that cannot run a module worker refuses at once (older Chromium) or fails
// on its first `import` (older Safari and Firefox); either way the classic worker is registered
// instead, and the registration it had meanwhile is untouched. `updateViaCache: "none"` makes every
// update check fetch the worker and the modules it imports from the server, never the HTTP cache.
export function registerWorker() {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return Promise.resolve(null);
  const container = navigator.serviceWorker;
  return container.register("/sw-module.js", { type: "module", updateViaCache: "none" })
    .catch(() => container.register("/sw.js", { updateViaCache: "none" }))
    .catch(() => null);
}

// Asks the browser to fire `sync` in the worker as soon as it has a network, even if every Lantern
// tab is closed by then (Chromium only; elsewhere this does nothing and the page's triggers remain).
export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    if (registration && registration.active && registration.sync) await registration.sync.register(SYNC_TAG);
  } catch (e) {
    // Not allowed here (a setting, a private window): the page's own replay still runs.
  }
}
