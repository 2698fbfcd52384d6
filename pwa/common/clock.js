// The server's clock, as this device best knows it. A school tablet's clock can be hours out, and
// signed requests more than 300 s from the server's time are refused, so every answer's `Date`
// header teaches the offset, and it is kept in IndexedDB so a restart does not forget it.

import { get, put } from "./db.js";

const KEY = "clockOffsetMs";
// `Date` has whole seconds, so small differences are noise: only a real drift is worth a write.
const TOLERANCE_MS = 2000;

let offsetMs = 0;
let db = null;

export async function loadClock(database) {
  db = database;
  offsetMs = (await get(db, "settings", KEY)) || 0;
}

export function serverSeconds() {
  return Math.floor((Date.now() + offsetMs) / 1000);
}

// Called with every answer. Returns true when the offset changed.
export async function learnFrom(response) {
  const header = response.headers.get("date");
  const serverMs = header ? Date.parse(header) : NaN;
  if (isNaN(serverMs)) return false;
  // The header truncates to the second: the server's time was somewhere in the next 1000 ms.
  const observed = serverMs + 500 - Date.now();
  if (Math.abs(observed - offsetMs) <= TOLERANCE_MS) return false;
  offsetMs = observed;
  if (db) await put(db, "settings", offsetMs, KEY);
  return true;
}
