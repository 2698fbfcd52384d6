// Whether this browser will keep what Lantern stores on this device (the outbox, drafts, keys: all in
// IndexedDB), and what a person is told about it. A browser may clear a site's storage: Safari, and so
// every browser on an iPad or iPhone, deletes script-written storage after 7 days of use without a
// visit to the site, unless the site was added to the Home Screen; any browser may evict a site that
// is not "persisted" when the disk runs low. For Lantern that would be an unsent note gone, so the
// app asks for persistent storage and says plainly, while a note waits, when it did not get it.
// docs/staff-app.md, "What each browser keeps", has the detail per browser.

// Safari's limit (WebKit's tracking prevention: 7 days of browser use without a visit to the site).
export const CLEARED_AFTER_DAYS = 7;

function storageManager() {
  const storage = typeof navigator !== "undefined" ? navigator.storage : undefined;
  return storage && typeof storage.persist === "function" ? storage : null;
}

// What the browser has promised so far: "kept" (persisted), "may-clear", or "unknown" (no
// StorageManager: WebKitGTK, older Safari). Answers at once, never asks the person.
export async function storageKept() {
  const storage = storageManager();
  if (!storage) return "unknown";
  try {
    return (await storage.persisted()) ? "kept" : "may-clear";
  } catch (e) {
    return "may-clear";
  }
}

// Asks for persistent storage. Chromium and Safari decide by themselves, at once; Firefox asks the
// person, and the answer waits for them, so callers show storageKept() first and this when it comes.
export async function askToKeep() {
  const storage = storageManager();
  if (!storage) return "unknown";
  try {
    return (await storage.persist()) ? "kept" : "may-clear";
  } catch (e) {
    return "may-clear"; // refused outright (a private window): as good as not granted
  }
}

// Opened from the Home Screen (or as an installed app), where Safari keeps storage and allows push.
export function installed() {
  const standalone = typeof matchMedia === "function" && matchMedia("(display-mode: standalone)").matches;
  return standalone || (typeof navigator !== "undefined" && navigator.standalone === true);
}

// Whether the service worker can send the outbox with no Lantern page open (Background Sync: Chromium).
export function sendsInBackground() {
  return typeof window !== "undefined" && "serviceWorker" in navigator && "SyncManager" in window;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function since(iso) {
  return new Date(iso).toLocaleString("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

// What the device says about its storage: `state` always, `warning` only while a note waits on a
// device whose storage the browser has not promised to keep. `oldestWaiting` is the ISO time the
// oldest waiting note was saved, or null.
export function storageNotice({ keeps, home, oldestWaiting, now = Date.now() }) {
  let state;
  if (keeps === "kept") state = "This browser keeps Lantern's notes on this device until they are sent.";
  else if (home) state = "This browser has not promised to keep Lantern's storage. Open Lantern every few days while a note waits to be sent.";
  else {
    state = "This browser may delete what Lantern keeps on this device if Lantern is not opened for a while "
      + `(Safari, on every iPad and iPhone: after ${CLEARED_AFTER_DAYS} days). Add Lantern to your home screen and open it from there: `
      + "then your notes are kept (on an iPad or iPhone: Share, then Add to Home Screen).";
  }
  if (keeps === "kept" || !oldestWaiting) return { state, warning: "" };
  const days = Math.floor((now - Date.parse(oldestWaiting)) / DAY_MS);
  const waited = days >= 1 ? `for ${days === 1 ? "1 day" : `${days} days`} (since ${since(oldestWaiting)})` : `since ${since(oldestWaiting)}`;
  const warning = `A note has waited on this device ${waited}, and this browser may delete it if Lantern is not opened for `
    + `${CLEARED_AFTER_DAYS} days. Open Lantern where there is a network so that it is sent, and tell your DSL in person.`;
  return { state, warning };
}
