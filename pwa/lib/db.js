// The PWA's IndexedDB: one database, a store per kind of thing, upgrades as `oldVersion < N` blocks.
// Never await network or crypto inside a transaction (it would auto-commit): seal first, then write.

const NAME = "lantern";
const VERSION = 1;

export function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("settings"); // the device key, the enrolment, the keyring, the clock
        db.createObjectStore("outbox", { keyPath: "recordId" }); // sealed, not yet acknowledged
        db.createObjectStore("sent", { keyPath: "recordId" }); // acknowledged by the server
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // A newer version of the app (in another tab) needs to upgrade the database: let it, rather
      // than leave it stuck. This tab's notes are already committed; its next write reopens nothing,
      // so it asks to be reloaded.
      db.onversionchange = () => {
        db.close();
        if (typeof document !== "undefined") document.dispatchEvent(new CustomEvent("lantern-db-closed"));
      };
      resolve(db);
    };
    // Another tab still holds the old version open; its onversionchange closes it, then this proceeds.
    request.onblocked = () => {};
    request.onerror = () => reject(request.error);
  });
}

// Runs `body(stores)` in one transaction and resolves once it has committed, with body's result.
export function transaction(db, names, mode, body) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const stores = {};
    for (const name of [].concat(names)) stores[name] = tx.objectStore(name);
    let result;
    Promise.resolve(body(stores)).then((value) => { result = value; }, reject);
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

export function getAll(db, store) {
  return transaction(db, store, "readonly", (s) => requestValue(s[store].getAll()));
}
