// Clock reminders (docs/alerts.md, "Clock reminders"): for each clock still running on a case this
// team member holds, the server is asked to push them at its due time, so that a deadline reaches
// their phone with Lantern closed. The server is given only an id and a time: the id is an HMAC, under
// a secret that never leaves this device, of which clock of which case it is, so the server cannot tell
// one case from another, and this device can find the same id again to move or cancel it.

import { signedFetch } from "../common/api.js";
import { ascii, toHex } from "../common/bytes.js";
import { get, put } from "../common/db.js";
import { openLocal, sealLocal } from "../common/vault.js";

const KIND = "reminders"; // the vault's kind: {secret (hex), held: {id: due_at}}, per profile

async function loadState(db, profileId, profileKey) {
  const sealed = await get(db, "settings", `reminders:${profileId}`);
  if (sealed) return openLocal(profileKey, KIND, profileId, sealed);
  return { secret: toHex(crypto.getRandomValues(new Uint8Array(32))), held: {} };
}

async function saveState(db, profileId, profileKey, state) {
  await put(db, "settings", await sealLocal(profileKey, KIND, profileId, state), `reminders:${profileId}`);
}

// Ids already worked out in this page, by secret and clock: every sync asks for every running clock's
// id, and a school's cases hold thousands (bench/triage.py).
const made = new Map();

async function reminderId(secret, caseId, clockId) {
  const name = `${secret}/${caseId}/${clockId}`;
  if (!made.has(name)) {
    if (!made.has(secret)) {
      made.set(secret, await crypto.subtle.importKey("raw", ascii(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
    }
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", made.get(secret), ascii(`${caseId}/${clockId}`)));
    made.set(name, toHex(mac.slice(0, 16)));
  }
  return made.get(name);
}

// Brings the server's reminders for this person in line with `cases` (team/cases.js): one for each
// clock not met and not yet due, none for the rest. Resolves with what it asked the server, or null
// when there was nothing to change; a refusal or no network leaves the held state for the next sync.
export async function syncReminders(db, device, profileId, profileKey, cases, now = Date.now()) {
  const state = await loadState(db, profileId, profileKey);
  const wanted = {};
  for (const kase of cases) {
    if (kase.state === "closed") continue;
    for (const clock of kase.clocks) {
      if (clock.done || clock.due.getTime() <= now) continue;
      wanted[await reminderId(state.secret, kase.id, clock.id)] = Math.floor(clock.due.getTime() / 1000);
    }
  }
  const set = Object.entries(wanted).filter(([id, due]) => state.held[id] !== due).map(([id, due]) => ({ id, due_at: due }));
  const cancel = Object.keys(state.held).filter((id) => !(id in wanted));
  if (!set.length && !cancel.length) return null;
  const request = { set: set.slice(0, 200), cancel: cancel.slice(0, 200) };
  const answer = await signedFetch(device, "POST", "/api/v1/reminders", request);
  if (answer.status !== 200) return null;
  for (const { id, due_at: due } of request.set) state.held[id] = due;
  for (const id of request.cancel) delete state.held[id];
  await saveState(db, profileId, profileKey, state);
  return request;
}
