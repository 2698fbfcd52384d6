// Enrolment codes issued from the trust key holder's app (docs/protocol.md, "Codes from the trust key
// holder's app"). The code is made here, so only this device and the person it is given to know its
// secret; the server is given the token made from it, which is all it checks. The device the code sets
// up sends an approval made from the secret and its own public key, which the server cannot make. This
// device checks it, and so tells the device its code reached from one the server enrolled for itself.
//
// The secrets are kept, sealed under the holder's profile key, until 35 days after the code expires:
// long enough for the new device's reader key, proposed at its first sync, to reach a draft.

import { errorCode, signedFetch } from "../common/api.js";
import { equal, fromBase64, toBase64, toHex } from "../common/bytes.js";
import { SECRET_LENGTH, codeApproval, codeToken, fingerprintOf, formatCode } from "../common/codes.js";
import { get, put } from "../common/db.js";
import { loadKeyring } from "../common/keyring.js";
import { openLocal, sealLocal } from "../common/vault.js";

const KIND = "issued-codes";
const HOURS = 24;
const KEEP_MS = 35 * 86400000;

export class IssueError extends Error {
  constructor(code) {
    super(code);
    this.name = "IssueError";
    this.code = code;
  }
}

function storageKey(profileId) {
  return "issuedCodes:" + profileId;
}

// Whether this device has codes of its own still to check: a cheap look, without the profile key.
export async function holdsCodes(db, profileId) {
  return !!(await get(db, "settings", storageKey(profileId)));
}

// [{secret (base64), personId, name, role, issuedAt, expiresAt}], those still kept.
export async function loadIssued(db, profileId, profileKey) {
  const held = await get(db, "settings", storageKey(profileId));
  if (!held) return [];
  const now = Date.now();
  return (await openLocal(profileKey, KIND, profileId, held.sealed)).filter((c) => Date.parse(c.expiresAt) + KEEP_MS > now);
}

async function saveIssued(db, profileId, profileKey, codes) {
  await put(db, "settings", { sealed: await sealLocal(profileKey, KIND, profileId, codes) }, storageKey(profileId));
}

// The school's people, as the server lists them, for the holder to choose whom a code is for.
export async function listPeople(device) {
  const answer = await signedFetch(device, "GET", "/api/v1/people", null);
  if (answer.status !== 200) throw new IssueError(errorCode(answer));
  return answer.body.people;
}

// A new code for `person` ({id, name, role}): {text, link, expiresAt}. It names the keyring this
// device holds, so the device it sets up takes nothing older.
export async function issueCode(ctx, person) {
  const { db, device, profile, key, enrolment } = ctx;
  const secret = crypto.getRandomValues(new Uint8Array(SECRET_LENGTH));
  const answer = await signedFetch(device, "POST", "/api/v1/codes", {
    person_id: person.id, token: toBase64(await codeToken(secret)), hours: HOURS,
  });
  if (answer.status !== 200) throw new IssueError(errorCode(answer));
  const held = await loadKeyring(db, profile.id);
  const codes = await loadIssued(db, profile.id, key);
  codes.push({
    secret: toBase64(secret), personId: person.id, name: person.name, role: person.role,
    issuedAt: new Date().toISOString(), expiresAt: answer.body.expires_at,
  });
  await saveIssued(db, profile.id, key, codes);
  const text = formatCode({
    secret, fingerprint: await fingerprintOf(enrolment.trustPublicKeyRaw), minKeyringVersion: held ? held.version : 0,
  });
  return { text, link: `${location.origin}/#enrol=${text}`, expiresAt: answer.body.expires_at };
}

// Map of device key id → the code of this device's that set it up, for each device of a draft
// (`content.devices`, checked; `sources`, the server's GET /api/v1/keyring/draft `devices`) whose
// public key is its key id's, and whose approval one of `codes` made, issued to the same person.
export async function vouchedDevices(codes, content, sources = []) {
  const vouched = new Map();
  const devices = new Map((content.devices || []).map((d) => [d.key_id, d]));
  for (const source of sources) {
    const device = devices.get(source.key_id);
    if (!device || !source.approval) continue;
    let publicKeyRaw;
    let approval;
    try {
      publicKeyRaw = fromBase64(source.public_key);
      approval = fromBase64(source.approval);
    } catch (e) {
      continue;
    }
    if (toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", publicKeyRaw))) !== device.key_id) continue;
    for (const code of codes) {
      if (String(code.personId).toLowerCase() !== String(device.person_id).toLowerCase()) continue;
      if (equal(await codeApproval(fromBase64(code.secret), publicKeyRaw), approval)) {
        vouched.set(device.key_id, code);
        break;
      }
    }
  }
  return vouched;
}
