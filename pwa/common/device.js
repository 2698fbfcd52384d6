// A device identity: an ECDSA P-256 key pair made here, whose private half cannot be exported. It
// signs every request and every envelope; the server knows it by its key id once enrolled. Each
// profile (pwa/common/profiles.js) has its own: one browser holds as many as people record on it.

import { toHex } from "./bytes.js";
import { get, put } from "./db.js";

async function keyIdOf(publicKeyRaw) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", publicKeyRaw)));
}

// Makes a new key pair, kept in memory until an enrolment stores it in its profile. Resolves with
// {privateKey, publicKeyRaw, keyId}.
export async function createDevice() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const publicKeyRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const device = {
    privateKey: pair.privateKey, // a non-extractable CryptoKey: IndexedDB keeps it, nobody can read it
    publicKeyRaw,
    keyId: await keyIdOf(publicKeyRaw),
  };
  return device;
}

// Makes and stores a new key pair in `settings`, replacing any other (the one-device layout of
// version 1, still used by the test harness).
export async function newDevice(db) {
  const device = await createDevice();
  await put(db, "settings", device, "device");
  return device;
}

export async function loadOrCreateDevice(db) {
  const existing = await get(db, "settings", "device");
  if (!existing) return newDevice(db);
  // Devices made before signed requests stored no key id; it is derived, so derive it here.
  if (!existing.keyId) existing.keyId = await keyIdOf(existing.publicKeyRaw);
  return existing;
}
