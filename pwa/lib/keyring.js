// The school's keyring (docs/protocol.md, "The keyring"): whom this device seals notes to. It is
// signed by the school's trust key, pinned at enrolment, so a server that lies about the team (adds
// itself, drops the DSL, replays last year's team) is refused and the device keeps what it had.

import { signedFetch } from "./api.js";
import { ascii, concat, equal, fromBase64, toHex } from "./bytes.js";
import { get, requestValue, transaction } from "./db.js";

export const KEYRING_KEY = "keyring";
const LABEL = ascii("lantern-keyring-v1");
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
const RECIPIENT_ROLES = ["dsl", "deputy_dsl", "headteacher", "chair_of_governors"];
const CONCERN_ROLES = ["dsl", "deputy_dsl"];

export class KeyringError extends Error {
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = "KeyringError";
    this.code = code;
  }
}

function decodeBase64(field) {
  try {
    return typeof field === "string" ? fromBase64(field) : null;
  } catch (e) {
    return null;
  }
}

async function signatureVerifies(trustPublicKeyRaw, payload, signature) {
  if (!payload || !signature || signature.length !== 64) return false;
  try {
    const key = await crypto.subtle.importKey("raw", trustPublicKeyRaw, ECDSA, false, ["verify"]);
    return await crypto.subtle.verify(ECDSA_SHA256, key, signature, concat(LABEL, payload));
  } catch (e) {
    return false; // a key or signature WebCrypto cannot even read verifies nothing
  }
}

async function sha256Hex(bytes) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

async function isP256Point(raw) {
  try {
    await crypto.subtle.importKey("raw", raw, { name: "ECDH", namedCurve: "P-256" }, false, []);
    return true;
  } catch (e) {
    return false;
  }
}

async function checkContent(content, schoolId) {
  const invalid = (why) => new KeyringError("keyring_invalid", why);
  if (content === null || typeof content !== "object" || content.v !== 1) throw invalid("v is not 1");
  if (typeof content.school_id !== "string" || content.school_id.toLowerCase() !== schoolId.toLowerCase()) {
    throw invalid("another school's keyring");
  }
  if (typeof content.version !== "number" || content.version < 1 || Math.floor(content.version) !== content.version) {
    throw invalid("version is not a positive integer");
  }
  if (!Array.isArray(content.recipients) || !Array.isArray(content.contacts)) throw invalid("lists missing");
  for (const r of content.recipients) {
    // A role this version does not know could be anyone: refused, as sync/keyring.py refuses it.
    if (!r || RECIPIENT_ROLES.indexOf(r.role) === -1) throw invalid("unknown recipient role");
    const publicKey = decodeBase64(r.public_key);
    if (!publicKey || r.key_id !== (await sha256Hex(publicKey))) throw invalid("a key id does not match its key");
    if (!(await isP256Point(publicKey))) throw invalid("a recipient key is not a P-256 point");
  }
}

// Everything that needs no database: the signature over the bytes as they came, then their content.
// Returns the keyring as it is stored: {version, payload, signature, content}.
export async function checkKeyring(trustPublicKeyRaw, schoolId, signedKeyring) {
  const payload = decodeBase64(signedKeyring && signedKeyring.payload);
  const signature = decodeBase64(signedKeyring && signedKeyring.signature);
  // Before any parsing: unsigned bytes are not even looked at.
  if (!(await signatureVerifies(trustPublicKeyRaw, payload, signature))) {
    throw new KeyringError("keyring_bad_signature");
  }
  let content;
  try {
    content = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (e) {
    throw new KeyringError("keyring_invalid", "not UTF-8 JSON");
  }
  await checkContent(content, schoolId);
  return { version: content.version, payload, signature, content };
}

// A keyring may replace the one held only if it is newer, or the very same bytes again.
function refuseRollback(current, next) {
  if (!current) return;
  if (next.version < current.version || (next.version === current.version && !equal(next.payload, current.payload))) {
    throw new KeyringError("keyring_rollback", `version ${next.version} after ${current.version}`);
  }
}

export function loadKeyring(db) {
  return get(db, "settings", KEYRING_KEY);
}

// Checks and stores a keyring for an enrolled device; throws KeyringError, storing nothing, when it
// must be refused. Resolves with the keyring now held.
export async function acceptKeyring(db, enrolment, signedKeyring) {
  const next = await checkKeyring(enrolment.trustPublicKeyRaw, enrolment.school.id, signedKeyring);
  // The version check reads and writes in one transaction, so two refreshes cannot interleave.
  return transaction(db, "settings", "readwrite", async (s) => {
    const current = await requestValue(s.settings.get(KEYRING_KEY));
    refuseRollback(current, next);
    if (current && current.version === next.version) return current;
    s.settings.put(next, KEYRING_KEY);
    return next;
  });
}

// Asks the server for the school's current keyring. Resolves with the keyring now held, or null
// when the server did not give one (the outbox reports refusals of the device itself); throws
// KeyringError when the keyring it gave is refused, and OfflineError when there is no network.
export async function refreshKeyring(db, device, enrolment) {
  const answer = await signedFetch(device, "GET", "/api/v1/keyring", null);
  if (answer.status !== 200) return null;
  return acceptKeyring(db, enrolment, answer.body);
}

// The public keys (65-byte SEC1) a note must be sealed to. Only concerns exist so far: they go to
// every DSL and deputy DSL. Allegations against staff will be routed by role and subject.
export function recipientsFor(keyring, { allegation = false } = {}) {
  if (allegation) throw new RangeError("allegations are not routed yet");
  return keyring.content.recipients
    .filter((r) => CONCERN_ROLES.indexOf(r.role) !== -1)
    .map((r) => fromBase64(r.public_key));
}
