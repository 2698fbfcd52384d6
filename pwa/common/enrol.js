// Enrolment with a one-time code (docs/protocol.md, "Enrolment"). The code carries, besides its
// secret (pwa/common/codes.js: the device sends the server a token made from it), a fingerprint of the school's trust key that never leaves this device:
// it is how the device knows the server it reached is the school the code came from, before it
// trusts that server's keyring; and the keyring version current when it was issued, so that a server
// cannot hand a new device an older keyring than that.

import { OfflineError, errorCode, plainFetch } from "./api.js";
import { ascii, concat, equal, fromBase64, toBase32, toBase64 } from "./bytes.js";
import { CodeError, codeApproval, codeToken, fingerprintOf, parseCode } from "./codes.js";
import { get } from "./db.js";
import { KeyringError, checkKeyring } from "./keyring.js";
import { addProfile } from "./profiles.js";

const ENROLMENT_KEY = "enrolment";
const PROOF_LABEL = ascii("lantern-enrol-v1");

// `keyKnown` is true when the server holds this device's key although this device is not enrolled:
// it stored the key and the device then refused its answer, or it had the key from an attempt whose
// answer never arrived (`conflict`). Such a key is not used again.
export class EnrolError extends Error {
  constructor(code, message, keyKnown) {
    super(message ? `${code}: ${message}` : code);
    this.name = "EnrolError";
    this.code = code;
    this.keyKnown = keyKnown === true;
  }
}

// The code in a link `<origin>/#enrol=<code>`, or null.
export function codeFromHash(hash) {
  const match = /^#enrol=(.+)$/.exec(hash || "");
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch (e) {
    return match[1];
  }
}

// The one enrolment of a version 1 device, or null. Version 2 keeps enrolments in profiles
// (pwa/common/profiles.js) and moves this one into the first profile when it upgrades the database.
// Enrolments from before protocol v1 (the demo's open enrolment) pinned no trust key: they do not count.
export async function loadEnrolment(db) {
  const enrolment = await get(db, "settings", ENROLMENT_KEY);
  return enrolment && enrolment.trustPublicKeyRaw ? enrolment : null;
}

// Checks the server's answer against the code and the device; resolves with what is to be stored.
async function checkAnswer(body, device, { fingerprint, minKeyringVersion }) {
  if (!body || !body.school || typeof body.school.id !== "string" || !body.person
      || typeof body.trust_public_key !== "string") {
    throw new EnrolError("bad_answer", "fields missing");
  }
  if (body.device_key_id !== device.keyId) throw new EnrolError("bad_answer", "another device's key id");
  let trustPublicKeyRaw;
  try {
    trustPublicKeyRaw = fromBase64(body.trust_public_key);
  } catch (e) {
    throw new EnrolError("bad_answer", "trust key is not base64");
  }
  if (!equal(await fingerprintOf(trustPublicKeyRaw), fingerprint)) throw new EnrolError("trust_key_mismatch");
  let keyring;
  try {
    keyring = await checkKeyring(trustPublicKeyRaw, body.school.id, body.keyring);
    if (keyring.version < minKeyringVersion) {
      throw new KeyringError("keyring_rollback", `version ${keyring.version}, older than the code's ${minKeyringVersion}`);
    }
  } catch (e) {
    if (e instanceof KeyringError) throw new EnrolError(e.code, e.message);
    throw e;
  }
  const enrolment = {
    school: { id: body.school.id, name: body.school.name, demo: body.school.demo === true },
    person: { id: body.person.id, name: body.person.name, role: body.person.role },
    deviceKeyId: device.keyId,
    trustPublicKeyRaw,
    enrolledAt: new Date().toISOString(),
  };
  return { enrolment, keyring };
}

// Enrols `device` (a key pair not enrolled yet, pwa/common/device.js createDevice) with `code`, for the
// person the code was issued to. Stores a new profile holding the device key, the enrolment and the
// keyring, only once all are checked, and resolves with the profile (pwa/common/profiles.js), which has
// no PIN yet; otherwise stores nothing and throws an EnrolError whose `code` is the server's error
// code or one of code_malformed, offline, bad_answer, trust_key_mismatch, keyring_bad_signature,
// keyring_invalid.
export async function enrol(db, device, code, label) {
  let parsed;
  try {
    parsed = parseCode(code);
  } catch (e) {
    if (e instanceof CodeError) throw new EnrolError(e.code, e.message);
    throw e;
  }
  const token = await codeToken(parsed.secret);
  const proof = new Uint8Array(await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" }, device.privateKey, concat(PROOF_LABEL, token, device.publicKeyRaw),
  ));
  let answer;
  try {
    answer = await plainFetch("POST", "/api/v1/enrol", {
      code: toBase32(token),
      device_public_key: toBase64(device.publicKeyRaw),
      label,
      proof: toBase64(proof),
      approval: toBase64(await codeApproval(parsed.secret, device.publicKeyRaw)),
    });
  } catch (e) {
    if (e instanceof OfflineError) throw new EnrolError("offline");
    throw e;
  }
  if (answer.status !== 200) {
    const refusal = errorCode(answer);
    throw new EnrolError(refusal, "", refusal === "conflict");
  }
  let checked;
  try {
    checked = await checkAnswer(answer.body, device, parsed);
  } catch (e) {
    if (e instanceof EnrolError) e.keyKnown = true;
    throw e;
  }
  return addProfile(db, device, checked.enrolment, checked.keyring);
}
