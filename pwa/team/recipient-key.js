// A team member's own recipient key on this device (docs/protocol.md, "Recipient keys made on the
// device"): an ECDH P-256 key pair made here, for HPKE, whose private half is kept in IndexedDB sealed
// under the person's profile key (common/vault.js), so that only their own unlock makes it usable. Notes are sealed to its public half once the school's trust key has signed
// it into the keyring; until then this device proposes it to the server, which cannot put it in the
// keyring itself (except in the demo school, whose DEMO-ONLY trust key is on the server).

import { errorCode, signedFetch } from "../common/api.js";
import { inFours, toBase64, toHex } from "../common/bytes.js";
import { get, put } from "../common/db.js";
import { RECIPIENT_KEY, proveKey } from "../common/key-proofs.js";
import { openPrivateKey, sealPrivateKey } from "../common/vault.js";

// The roles a keyring may name as recipients (sync/keyring.py RecipientRole).
export const TEAM_ROLES = ["dsl", "deputy_dsl", "headteacher", "chair_of_governors"];

export function isTeam(enrolment) {
  return !!(enrolment && enrolment.person && TEAM_ROLES.indexOf(enrolment.person.role) !== -1);
}

// One key per enrolment: kept under the device key's id, so that two people who each enrolled on
// one shared browser never share a key.
function storageKey(device) {
  return "recipientKey:" + device.keyId;
}

const KIND = "recipient-key";

// Resolves with {privateKey, publicKeyRaw, keyId (hex), registered}, `privateKey` opened with
// `profileKey`; makes the pair the first time. What is stored holds the private key sealed only.
export async function loadOrCreateRecipientKey(db, device, profileKey) {
  const held = await get(db, "settings", storageKey(device));
  if (held) {
    const privateKey = await openPrivateKey(profileKey, KIND, device.keyId, held.sealedPrivateKey);
    // "proven": proposed with this device's proof that the key is its own (`true` was before proofs).
    return { privateKey, publicKeyRaw: held.publicKeyRaw, keyId: held.keyId, registered: held.registered === "proven" };
  }
  // Extractable for the one moment it takes to seal it; what is used from here on is opened again.
  const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const publicKeyRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const stored = {
    sealedPrivateKey: await sealPrivateKey(profileKey, KIND, device.keyId, pair.privateKey),
    publicKeyRaw,
    keyId: toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", publicKeyRaw))),
    registered: false,
  };
  await put(db, "settings", stored, storageKey(device));
  return loadOrCreateRecipientKey(db, device, profileKey);
}

// Whether the keyring (as keyring.js stores it) lists this key, so that notes are sealed to it.
export function inKeyring(keyring, key) {
  return !!(keyring && keyring.content && keyring.content.recipients.some((r) => r.key_id === key.keyId));
}

// Proposes the key to the server (POST /api/v1/recipient-keys) once; resolves with
// {registered: true, inKeyring} or {refused: "<error code>"}; throws OfflineError with no network.
export async function registerRecipientKey(db, device, schoolId, key) {
  const proof = await proveKey(device, RECIPIENT_KEY, schoolId, key.publicKeyRaw);
  const answer = await signedFetch(device, "POST", "/api/v1/recipient-keys", { public_key: toBase64(key.publicKeyRaw), proof: toBase64(proof) });
  if (answer.status !== 200) return { refused: errorCode(answer) };
  key.registered = true;
  const stored = await get(db, "settings", storageKey(device));
  await put(db, "settings", Object.assign(stored, { registered: "proven" }), storageKey(device));
  return { registered: true, inKeyring: !!(answer.body && answer.body.in_keyring) };
}

// "1a2b 3c4d 5e6f 7a8b": the key id as `lantern trust sign` prints it, for the trust key holder to
// compare before signing.
export function shortKeyId(key) {
  return inFours(key.keyId.slice(0, 16));
}
