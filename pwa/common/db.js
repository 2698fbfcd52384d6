// The PWA's IndexedDB: one database, a store per kind of thing, upgrades as `oldVersion < N` blocks.
// Never await network or crypto inside a transaction (it would auto-commit): seal first, then write.

import { uuidv7 } from "./bytes.js";

const NAME = "lantern";
const VERSION = 2;

// Version 1 knew one person per device: its key, enrolment and keyring sat in `settings`. Version 2
// keeps one profile per person who records on this device (pwa/common/profiles.js); the one enrolment a
// version 1 device had becomes its first profile, with no PIN yet (its person sets one when they
// next open the app), and every note it queued or sent is marked as that profile's. Only requests on
// the upgrade's own transaction here: it must not wait on anything else.
function upgradeToProfiles(tx) {
  const settings = tx.objectStore("settings");
  const profiles = tx.objectStore("profiles");
  const keys = {};
  let left = 3;
  for (const name of ["device", "enrolment", "keyring"]) {
    settings.get(name).onsuccess = (event) => {
      keys[name] = event.target.result;
      if (--left === 0) moveIntoProfile(tx, settings, profiles, keys);
    };
  }
}

function moveIntoProfile(tx, settings, profiles, { device, enrolment, keyring }) {
  // An enrolment from before protocol v1 pinned no trust key and never counted (enrol.js).
  if (!device || !enrolment || !enrolment.trustPublicKeyRaw) return;
  const id = uuidv7();
  profiles.put({
    id, device, enrolment, createdAt: enrolment.enrolledAt || new Date().toISOString(),
    lock: null, failures: 0, retryAt: 0, lockedOut: false,
  });
  if (keyring) settings.put(keyring, "keyring:" + id);
  for (const name of ["device", "enrolment", "keyring"]) settings.delete(name);
  for (const store of ["outbox", "sent"]) {
    tx.objectStore(store).openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      cursor.update(Object.assign(cursor.value, { profileId: id }));
      cursor.continue();
    };
  }
}

function upgrade(db, tx, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("settings"); // the clock, each profile's keyring
    db.createObjectStore("outbox", { keyPath: "recordId" }); // sealed, not yet acknowledged
    db.createObjectStore("sent", { keyPath: "recordId" }); // acknowledged by the server
  }
  if (oldVersion < 2) {
    db.createObjectStore("profiles", { keyPath: "id" }); // who records here: device key, enrolment, wrapped key
    db.createObjectStore("drafts", { keyPath: "profileId" }); // one per profile, encrypted under its key
    const copies = db.createObjectStore("copies", { keyPath: "recordId" }); // the author's own copies, encrypted
    copies.createIndex("profileId", "profileId");
    tx.objectStore("outbox").createIndex("profileId", "profileId");
    tx.objectStore("sent").createIndex("profileId", "profileId");
    if (oldVersion >= 1) upgradeToProfiles(tx);
  }
}

// Resolves with the database, upgraded to this version. With `existing` (the service worker), it
// neither creates nor upgrades: it resolves with null unless the database is there at exactly this
// version. A worker may start before any page has made the database, or be a new version installing
// while an older page still has it open, and upgrading it then would cut that page off.
export function openDb({ existing = false } = {}) {
  return new Promise((resolve, reject) => {
    const request = existing ? indexedDB.open(NAME) : indexedDB.open(NAME, VERSION);
    let absent = false;
    request.onupgradeneeded = (event) => {
      if (existing) {
        absent = true;
        request.transaction.abort(); // aborting the creation leaves no database behind
        return;
      }
      upgrade(request.result, request.transaction, event.oldVersion);
    };
    request.onsuccess = () => {
      const db = request.result;
      if (existing && db.version !== VERSION) {
        db.close();
        resolve(null);
        return;
      }
      // A newer version of the app (in another tab) needs to upgrade the database: let it, rather
      // than leave it stuck. This tab's notes are already committed; its next write reopens nothing,
      // so it asks to be reloaded.
      db.onversionchange = () => {
        db.close();
        db.closedForUpgrade = true;
        if (typeof document !== "undefined") document.dispatchEvent(new CustomEvent("lantern-db-closed"));
      };
      resolve(db);
    };
    // Another tab still holds the old version open; its onversionchange closes it, then this proceeds.
    request.onblocked = () => {};
    request.onerror = () => (absent ? resolve(null) : reject(request.error));
  });
}

// Runs `body(stores)` in one transaction and resolves once it has committed, with body's result.
export function transaction(db, names, mode, body) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const stores = {};
    for (const name of [].concat(names)) stores[name] = tx.objectStore(name);
    let result;
    Promise.resolve(body(stores)).then((value) => { result = value; }, (e) => {
      try { tx.abort(); } catch (ignored) { /* already finished */ }
      reject(e);
    });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export function requestValue(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function get(db, store, key) {
  return transaction(db, store, "readonly", (s) => requestValue(s[store].get(key)));
}

export function put(db, store, value, key) {
  return transaction(db, store, "readwrite", (s) => { s[store].put(value, key); });
}

export function remove(db, store, key) {
  return transaction(db, store, "readwrite", (s) => { s[store].delete(key); });
}

export function getAll(db, store) {
  return transaction(db, store, "readonly", (s) => requestValue(s[store].getAll()));
}

// Every value in `store` whose `index` is `key` (for example one profile's notes).
export function getAllBy(db, store, index, key) {
  return transaction(db, store, "readonly", (s) => requestValue(s[store].index(index).getAll(key)));
}
