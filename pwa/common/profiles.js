// Who records on this device (docs/staff-app.md, "Profiles"). Each member of staff who uses it has a
// profile, and a profile is one enrolment: its own device key pair, enrolled with that person's own
// one-time code, so every note is signed by its real author's key and the server's status answers are
// that person's. Their drafts and their own copies of their notes are encrypted under a random
// AES-256-GCM profile key, which is kept only wrapped under a key derived from their PIN:
//
//   kwk        = PBKDF2-SHA256(PIN, salt = random(16), iterations) -> AES-256-GCM key
//   wrapped    = AES-256-GCM(kwk, iv = random(12), aad = "lantern-profile-key-v1" || profile id, key)
//
// A wrong PIN is a failed AES-GCM tag, nothing else to compare. Guesses are counted in IndexedDB
// before each attempt (so closing the page mid-attempt does not undo one), spaced by waits that grow,
// and after MAX_FAILURES the profile is locked out for good: its wrapped key, draft and own copies are
// erased, and its person enrols again with a new code. The device key signs without the PIN, so
// notes already sealed are still sent while everyone is locked out or away.

import { ascii, concat, uuidv7 } from "./bytes.js";
import { get, getAll, requestValue, transaction } from "./db.js";

// 600,000 is OWASP's figure for PBKDF2-SHA256; about 77 ms on this project's test machines, and
// under a second on an old tablet. Stored with each profile, so a later version can raise it.
export const PIN_ITERATIONS = 600000;
export const MIN_PIN_LENGTH = 6;
export const MAX_FAILURES = 10;
// The wait before the next try, after n wrong PINs in a row (index n - 1). Three typos cost nothing;
// the tenth guess comes more than five hours after the first.
const WAITS_MS = [0, 0, 0, 30e3, 60e3, 5 * 60e3, 15 * 60e3, 60 * 60e3, 4 * 60 * 60e3];
const WRAP_LABEL = "lantern-profile-key-v1";
const AES = { name: "AES-GCM", length: 256 };

export class PinError extends Error {
  // code: wrong_pin (left: tries before the profile is locked out; retryAt: ms, 0 for at once),
  // wait (retryAt), locked_out, no_pin, pin_short, pin_simple, pin_mismatch.
  constructor(code, details) {
    super(code);
    this.name = "PinError";
    this.code = code;
    Object.assign(this, details || {});
  }
}

export function waitAfter(failures) {
  if (failures <= 0) return 0;
  return WAITS_MS[Math.min(failures, WAITS_MS.length) - 1];
}

// PINs are compared as typed, apart from spaces at either end, which a phone keyboard adds unasked.
function pinBytes(pin) {
  return new TextEncoder().encode(String(pin).trim().normalize("NFC"));
}

// A PIN anyone would try first: one character repeated, or a run up or down (123456, 987654).
function isObvious(pin) {
  if (/^(.)\1*$/.test(pin)) return true;
  if (!/^\d+$/.test(pin)) return false;
  const steps = new Set();
  for (let i = 1; i < pin.length; i++) steps.add((Number(pin[i]) - Number(pin[i - 1]) + 10) % 10);
  return steps.size === 1 && (steps.has(1) || steps.has(9));
}

// Throws PinError when `pin` may not be chosen (pin_short, pin_simple, pin_mismatch).
export function checkNewPin(pin, again) {
  const typed = String(pin).trim();
  if (typed.length < MIN_PIN_LENGTH) throw new PinError("pin_short");
  if (isObvious(typed)) throw new PinError("pin_simple");
  if (typed !== String(again).trim()) throw new PinError("pin_mismatch");
}

async function keyWrappingKey(pin, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", pinBytes(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, AES, false, ["wrapKey", "unwrapKey"],
  );
}

function wrapParams(profileId, iv) {
  return { name: "AES-GCM", iv, additionalData: concat(ascii(WRAP_LABEL), ascii(profileId)) };
}

export function listProfiles(db) {
  return getAll(db, "profiles").then((all) => all.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1)));
}

export function getProfile(db, id) {
  return get(db, "profiles", id);
}

// A new profile for an enrolment just checked, stored with its keyring in one transaction. It has no
// PIN yet: setPin comes next. Resolves with the profile.
export async function addProfile(db, device, enrolment, keyring) {
  const profile = {
    id: uuidv7(), device, enrolment, createdAt: new Date().toISOString(),
    lock: null, failures: 0, retryAt: 0, lockedOut: false,
  };
  await transaction(db, ["profiles", "settings"], "readwrite", (s) => {
    s.profiles.add(profile);
    s.settings.put(keyring, "keyring:" + profile.id);
  });
  return profile;
}

// Where a profile stands before anyone types: "no_pin" (set one), "locked_out", "wait" (until
// retryAt) or "ready".
export function unlockState(profile, now = Date.now()) {
  if (profile.lockedOut || profile.failures >= MAX_FAILURES) return { state: "locked_out" };
  if (!profile.lock) return { state: "no_pin" };
  if (now < profile.retryAt) return { state: "wait", retryAt: profile.retryAt };
  return { state: "ready" };
}

// Sets the PIN of a profile that has none, and resolves with its new profile key (a non-extractable
// CryptoKey). A PIN is set once: changing it later would mean unwrapping with the old one first.
export async function setPin(db, profileId, pin, again) {
  checkNewPin(pin, again);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const kwk = await keyWrappingKey(pin, salt, PIN_ITERATIONS);
  // Extractable only for the moment it takes to wrap it; the copy kept in memory is not.
  const key = await crypto.subtle.generateKey(AES, true, ["encrypt", "decrypt"]);
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey("raw", key, kwk, wrapParams(profileId, iv)));
  const usable = await crypto.subtle.unwrapKey(
    "raw", wrapped, kwk, wrapParams(profileId, iv), AES, false, ["encrypt", "decrypt"],
  );
  await transaction(db, "profiles", "readwrite", async (s) => {
    const profile = await requestValue(s.profiles.get(profileId));
    if (!profile || profile.lock || profile.lockedOut) throw new PinError("no_pin");
    s.profiles.put(Object.assign(profile, { lock: { salt, iv, wrapped, iterations: PIN_ITERATIONS }, failures: 0, retryAt: 0 }));
  });
  return usable;
}

// Whether a name in the `settings` store is one person's: every setting kept for one person is named
// with their profile id or their device key id (keyring.js, recipient-key.js, roster.js).
export function isPersonalSetting(name, profile) {
  return String(name).indexOf(profile.id) !== -1 || String(name).indexOf(profile.device.keyId) !== -1;
}

// Erases all that the profile key protected, and the wrapped key itself. The profile stays, with its
// device key, so that what it sealed still goes out.
function lockOut(db, profileId) {
  return transaction(db, ["profiles", "drafts", "copies", "settings"], "readwrite", async (s) => {
    const profile = await requestValue(s.profiles.get(profileId));
    if (profile) s.profiles.put(Object.assign(profile, { lock: null, lockedOut: true, failures: MAX_FAILURES }));
    s.drafts.delete(profileId);
    const keys = await requestValue(s.copies.index("profileId").getAllKeys(profileId));
    for (const key of keys) s.copies.delete(key);
    // Their keys sealed under the profile key (the team's recipient key, the roster key) and the roster.
    if (profile) for (const name of await requestValue(s.settings.getAllKeys())) if (isPersonalSetting(name, profile)) s.settings.delete(name);
  });
}

// Counts the attempt first, then tries the PIN. Resolves with the profile key; throws PinError.
export async function unlock(db, profileId, pin, now = Date.now()) {
  const { profile, state } = await transaction(db, "profiles", "readwrite", async (s) => {
    const p = await requestValue(s.profiles.get(profileId));
    if (!p) throw new PinError("no_pin");
    const before = unlockState(p, now);
    if (before.state === "wait") throw new PinError("wait", { retryAt: before.retryAt });
    if (before.state === "ready") {
      p.failures += 1;
      p.retryAt = now + waitAfter(p.failures);
      s.profiles.put(p);
    }
    return { profile: p, state: before.state };
  });
  if (state === "no_pin") throw new PinError("no_pin");
  if (state === "locked_out") {
    await lockOut(db, profileId); // also finishes a lock-out that an attempt cut short began
    throw new PinError("locked_out");
  }
  const { salt, iv, wrapped, iterations } = profile.lock;
  let key;
  try {
    const kwk = await keyWrappingKey(pin, salt, iterations);
    key = await crypto.subtle.unwrapKey("raw", wrapped, kwk, wrapParams(profileId, iv), AES, false, ["encrypt", "decrypt"]);
  } catch (e) {
    if (profile.failures >= MAX_FAILURES) {
      await lockOut(db, profileId);
      throw new PinError("locked_out");
    }
    const retryAt = waitAfter(profile.failures) ? profile.retryAt : 0;
    throw new PinError("wrong_pin", { left: MAX_FAILURES - profile.failures, retryAt });
  }
  await transaction(db, "profiles", "readwrite", async (s) => {
    const p = await requestValue(s.profiles.get(profileId));
    if (p) s.profiles.put(Object.assign(p, { failures: 0, retryAt: 0 }));
  });
  return key;
}
