// The school's keyring (docs/protocol.md, "The keyring"): whom this device seals notes to. It is
// signed by the school's trust key, pinned at enrolment, so a server that lies about the team (adds
// itself, drops the DSL, replays last year's team) is refused and the device keeps what it had.

import { signedFetch } from "./api.js";
import { ascii, concat, equal, fromBase64, toHex } from "./bytes.js";
import { get, requestValue, transaction } from "./db.js";

// Each profile (pwa/common/profiles.js) pinned its own trust key when it enrolled, so each keeps its
// own keyring, under this key in `settings`.
export function keyringKey(profileId) {
  return "keyring:" + profileId;
}
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

export async function checkContent(content, schoolId) {
  const invalid = (why) => new KeyringError("keyring_invalid", why);
  if (content === null || typeof content !== "object" || content.v !== 1) throw invalid("v is not 1");
  if (typeof content.school_id !== "string" || content.school_id.toLowerCase() !== schoolId.toLowerCase()) {
    throw invalid("another school's keyring");
  }
  if (typeof content.version !== "number" || content.version < 1 || Math.floor(content.version) !== content.version) {
    throw invalid("version is not a positive integer");
  }
  if (!Array.isArray(content.recipients) || !Array.isArray(content.contacts)) throw invalid("lists missing");
  if ("expires_at" in content && content.expires_at !== "" && !(typeof content.expires_at === "string"
      && /(Z|[+-]\d\d:\d\d)$/.test(content.expires_at) && !Number.isNaN(Date.parse(content.expires_at)))) {
    throw invalid("expires_at is not an ISO 8601 time with a zone");
  }
  if (content.devices !== undefined && content.devices !== null) {
    if (!Array.isArray(content.devices) || !content.devices.every((d) => d && /^[0-9a-f]{64}$/.test(d.key_id) && typeof d.name === "string")) {
      throw invalid("approved devices malformed");
    }
  }
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

// When a held keyring stops being current (docs/protocol.md, "Fresh keyrings"): a Date, or null for a
// keyring that never does. After it the device still seals to it, and says so.
export function keyringExpiry(keyring) {
  const at = keyring && keyring.content && keyring.content.expires_at;
  return at ? new Date(Date.parse(at)) : null;
}

// The key ids (hex) of the devices the keyring's trust key approved (docs/protocol.md, "Approved
// devices"), or null for a keyring from before approvals, whose readers take every device.
export function approvedDevices(keyring) {
  const devices = keyring && keyring.content && keyring.content.devices;
  return Array.isArray(devices) ? new Set(devices.map((d) => d.key_id)) : null;
}

export function keyringExpired(keyring, now = Date.now()) {
  const at = keyringExpiry(keyring);
  return at !== null && at.getTime() <= now;
}

export function loadKeyring(db, profileId) {
  return get(db, "settings", keyringKey(profileId));
}

// Checks and stores a keyring for an enrolled profile ({id, enrolment}); throws KeyringError,
// storing nothing, when it must be refused. Resolves with the keyring now held.
export async function acceptKeyring(db, profile, signedKeyring) {
  const { enrolment } = profile;
  const next = await checkKeyring(enrolment.trustPublicKeyRaw, enrolment.school.id, signedKeyring);
  const key = keyringKey(profile.id);
  // The version check reads and writes in one transaction, so two refreshes cannot interleave.
  return transaction(db, "settings", "readwrite", async (s) => {
    const current = await requestValue(s.settings.get(key));
    refuseRollback(current, next);
    if (current && current.version === next.version) return current;
    s.settings.put(next, key);
    return next;
  });
}

// Asks the server for the school's current keyring, as the profile ({id, device, enrolment}).
// Resolves with the keyring now held, or null when the server did not give one (the outbox reports
// refusals of the device itself); throws KeyringError when the keyring it gave is refused, and
// OfflineError when there is no network.
export async function refreshKeyring(db, profile) {
  const answer = await signedFetch(profile.device, "GET", "/api/v1/keyring", null);
  if (answer.status !== 200) return null;
  return acceptKeyring(db, profile, answer.body);
}

// Who may read a note, decided here from the keyring's roles (docs/protocol.md, "The keyring"), as
// the keyring's recipient entries. `route` is one of:
//   {kind: "concern"}: every DSL and deputy DSL;
//   {kind: "allegation", aboutHead, subjectPersonId}: about a member of staff, to the headteacher, or
//     to the chair of governors when it is about the headteacher (said, or because the person named
//     is the headteacher); never to the person it is about, whatever their role;
//   {kind: "people", personIds}: the same people as an earlier note (an addendum), by their current keys.
// An empty answer means nobody can receive it: the caller says so and seals nothing.
// sync/keyring.py's note_recipients is the same rule in Python; tests/vectors/routing.json holds both to it.
export function routeRecipients(content, route) {
  const all = content.recipients;
  const same = (a, b) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
  if (route.kind === "concern") return all.filter((r) => CONCERN_ROLES.indexOf(r.role) !== -1);
  if (route.kind === "people") {
    return all.filter((r) => route.personIds.some((id) => same(id, r.person_id)));
  }
  if (route.kind === "allegation") {
    const subjectId = route.subjectPersonId || null;
    const subjectIsHead = all.some((r) => same(r.person_id, subjectId) && r.role === "headteacher");
    const role = route.aboutHead || subjectIsHead ? "chair_of_governors" : "headteacher";
    return all.filter((r) => r.role === role && !same(r.person_id, subjectId));
  }
  throw new RangeError("unknown route: " + route.kind);
}

// The public keys (65-byte SEC1) a note must be sealed to; a concern when no route is given.
// How many stanzas every envelope this device seals carries (docs/envelope.md, "Padding the
// recipients"): as many as a concern has under `content`, so that an allegation to the headteacher
// alone, an addition or an action is the same size on the wire as a concern to the whole team.
export function stanzasToHide(content) {
  return routeRecipients(content, { kind: "concern" }).length;
}

export function recipientsFor(keyring, route = { kind: "concern" }) {
  return routeRecipients(keyring.content, route).map((r) => fromBase64(r.public_key));
}
