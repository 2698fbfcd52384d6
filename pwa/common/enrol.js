// Enrolment with a one-time code (docs/protocol.md, "Enrolment"). The code carries, besides the
// secret the server checks, a fingerprint of the school's trust key that never leaves this device:
// it is how the device knows the server it reached is the school the code came from, before it
// trusts that server's keyring; and the keyring version current when it was issued, so that a server
// cannot hand a new device an older keyring than that.

import { OfflineError, errorCode, plainFetch } from "./api.js";
import { ascii, concat, equal, fromBase32, fromBase64, toBase32, toBase64 } from "./bytes.js";
import { get } from "./db.js";
import { KeyringError, checkKeyring } from "./keyring.js";
import { addProfile } from "./profiles.js";

const ENROLMENT_KEY = "enrolment";
const PROOF_LABEL = ascii("lantern-enrol-v1");
const SECRET_LENGTH = 10;
const FINGERPRINT_LENGTH = 10;
const VERSION_LENGTH = 4;
const OLD_CODE_LENGTH = SECRET_LENGTH + FINGERPRINT_LENGTH; // codes from before the version: no version, no check
const CODE_LENGTH = OLD_CODE_LENGTH + VERSION_LENGTH + 1;

// CRC-8, polynomial 0x07, as sync/codes.py: the code's last byte, so that a mistyped character is
// caught here, before anything is sent.
function crc8(bytes) {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

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

// People type codes from paper and links get mangled, so case, spaces and dashes do not count.
export function parseCode(text) {
  const compact = String(text).replace(/[\s-]/g, "").toUpperCase();
  let bytes = null;
  try {
    bytes = fromBase32(compact);
  } catch (e) {
    bytes = null;
  }
  if (!bytes || (bytes.length !== CODE_LENGTH && bytes.length !== OLD_CODE_LENGTH)) throw new EnrolError("code_malformed");
  const code = { secret: bytes.slice(0, SECRET_LENGTH), fingerprint: bytes.slice(SECRET_LENGTH, OLD_CODE_LENGTH), minKeyringVersion: 0 };
  if (bytes.length === OLD_CODE_LENGTH) return code;
  if (crc8(bytes.slice(0, -1)) !== bytes[bytes.length - 1]) throw new EnrolError("code_malformed", "mistyped");
  const v = bytes.slice(OLD_CODE_LENGTH, OLD_CODE_LENGTH + VERSION_LENGTH);
  code.minKeyringVersion = ((v[0] << 24) >>> 0) + (v[1] << 16) + (v[2] << 8) + v[3];
  return code;
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

async function fingerprintOf(publicKeyRaw) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", publicKeyRaw)).slice(0, FINGERPRINT_LENGTH);
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
  const parsed = parseCode(code);
  const { secret } = parsed;
  const proof = new Uint8Array(await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" }, device.privateKey, concat(PROOF_LABEL, secret, device.publicKeyRaw),
  ));
  let answer;
  try {
    answer = await plainFetch("POST", "/api/v1/enrol", {
      code: toBase32(secret),
      device_public_key: toBase64(device.publicKeyRaw),
      label,
      proof: toBase64(proof),
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
