// The school's list of children on this device (docs/protocol.md, "The roster"), for the concern
// form's child field, with no network, and for the DSL's note view.
//
// Each profile makes an HPKE P-256 key pair, its roster key, the first time its person unlocks; the
// private half is kept only sealed under their profile key (pwa/common/vault.js), so the list opens only
// behind their PIN, and the public half is registered with the server (PUT /api/v1/roster-key). The
// DSL or a deputy pastes (or drops) the MIS's CSV export (pwa/common/roster-import.js reads it; the app
// has no file picker) and publishes the list sealed with
// the envelope (pwa/common/envelope.js) to every device's roster key, one envelope per 16 keys; at each
// later sync their app seals it to the devices set up since (GET /api/v1/roster/missing). Every
// device keeps the envelope sealed to it as it came, in IndexedDB, and opens it after its person's
// unlock: the children are in memory only while someone is unlocked.

import { OfflineError, errorCode, signedFetch } from "./api.js";
import { fromBase64, toBase64, toHex, uuidv7 } from "./bytes.js";
import { fillChildChoices } from "./child-picker.js";
import { get, put } from "./db.js";
import { $, droppedText, el } from "./dom.js";
import { EnvelopeError, open, parse, seal } from "./envelope.js";
import { RosterImportError, childLabel, readRoster } from "./roster-import.js";
import { openPrivateKey, sealPrivateKey } from "./vault.js";
import { ROSTER_KEY, keyProven, proveKey } from "./key-proofs.js";
import { approvedDevices, loadKeyring } from "./keyring.js";

const ECDH = { name: "ECDH", namedCurve: "P-256" };
const KEY_KIND = "roster-key";
export const PUBLISHERS = ["dsl", "deputy_dsl"];
const GROUP = 16; // the most recipients one envelope has
const BATCH = 8; // envelopes per request: well inside the request's limit
const MAX_CONTENT = (1 << 19) - 4; // the server's roster envelope limit (sync/wire.py)
// A device that holds a roster asks for a newer one at its first sync after an unlock and then at
// most this often: the answer is the whole envelope, up to half a megabyte. One that holds none asks
// at every sync (a 404 is a few bytes), so a new tablet gets it at its first sync after the DSL's.
const REFETCH_MS = 10 * 60 * 1000;

export class RosterError extends Error {
  // code: malformed (not a roster), wrong_school, unknown_author, unapproved_author, too_large, an envelope check's
  // code (docs/envelope.md), or the server's error code for a refusal.
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = "RosterError";
    this.code = code;
  }
}

const keyName = (profileId) => "rosterKey:" + profileId;
const heldName = (profileId) => "roster:" + profileId;

async function sha256Hex(bytes) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

// --- The roster key

// Resolves with {privateKey (non-extractable), publicKeyRaw, keyId, registered}; makes the pair the
// first time. The private half is stored only sealed under the profile key (vault.js).
export async function loadOrCreateRosterKey(db, profileId, profileKey) {
  const held = await get(db, "settings", keyName(profileId));
  if (held) {
    const privateKey = await openPrivateKey(profileKey, KEY_KIND, profileId, held.wrapped);
    // "proven": registered with this device's proof that the key is its own; `true` was before proofs,
    // so such a key is registered again, with one.
    return { privateKey, publicKeyRaw: held.publicKeyRaw, keyId: held.keyId, registered: held.registered === "proven" };
  }
  // Extractable only for the moment it takes to seal it; the copy kept in memory is not.
  const pair = await crypto.subtle.generateKey(ECDH, true, ["deriveBits"]);
  const publicKeyRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const wrapped = await sealPrivateKey(profileKey, KEY_KIND, profileId, pair.privateKey);
  const made = { publicKeyRaw, keyId: await sha256Hex(publicKeyRaw), wrapped, registered: false };
  await put(db, "settings", made, keyName(profileId));
  const privateKey = await openPrivateKey(profileKey, KEY_KIND, profileId, wrapped);
  return { privateKey, publicKeyRaw, keyId: made.keyId, registered: false };
}

// Registers the public half (PUT /api/v1/roster-key) until the server has it. Throws OfflineError
// with no network, RosterError when refused.
export async function registerRosterKey(db, profile, key) {
  if (key.registered) return;
  const proof = await proveKey(profile.device, ROSTER_KEY, profile.enrolment.school.id, key.publicKeyRaw);
  const answer = await signedFetch(profile.device, "PUT", "/api/v1/roster-key", { public_key: toBase64(key.publicKeyRaw), proof: toBase64(proof) });
  if (answer.status !== 200) throw new RosterError(errorCode(answer), "the server did not take this device's roster key");
  key.registered = true;
  const held = await get(db, "settings", keyName(profile.id));
  if (held && held.keyId === key.keyId) await put(db, "settings", Object.assign(held, { registered: "proven" }), keyName(profile.id));
}

// --- The roster's content: {v: 1, type: "roster", version, issued_at, children: [{id, name, preferred,
// dob, year, group}]}

const isString = (v) => typeof v === "string";

export function readRosterContent(bytes) {
  let raw;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new RosterError("malformed", "not UTF-8 JSON");
  }
  const ok = raw && raw.type === "roster" && raw.v === 1 && Number.isSafeInteger(raw.version) && raw.version >= 1
    && Array.isArray(raw.children);
  if (!ok) throw new RosterError("malformed", "not a roster");
  const children = raw.children.map((c) => {
    if (!c || !isString(c.id) || !c.id || Array.from(c.id).length > 64 || !isString(c.name) || !c.name.trim()) {
      throw new RosterError("malformed", "a child without an id or a name");
    }
    const text = (k) => (isString(c[k]) ? c[k] : "");
    return { id: c.id, name: c.name, preferred: text("preferred"), dob: text("dob"), year: text("year"), group: text("group") };
  });
  return { v: 1, type: "roster", version: raw.version, issued_at: isString(raw.issued_at) ? raw.issued_at : "", children };
}

// --- Fetching and opening

// Fetches the envelope sealed to this device's roster key and keeps it, sealed, when it is newer than
// the one held. Resolves true when it kept a new one.
export async function fetchRoster(db, device, profileId) {
  const answer = await signedFetch(device, "GET", "/api/v1/roster", null);
  if (answer.status === 404) return false;
  if (answer.status !== 200 || !answer.body) throw new RosterError(errorCode(answer), "the roster could not be fetched");
  const held = await get(db, "settings", heldName(profileId));
  if (held && held.version >= answer.body.version) return false;
  const envelope = fromBase64(answer.body.envelope);
  const authorPublicKeyRaw = fromBase64(answer.body.author_public_key);
  // The server names the author's key; only a key whose id the envelope names is kept (open() checks
  // the signature with it).
  const authorKeyId = toHex(parse(envelope).authorKeyId);
  if (authorKeyId !== await sha256Hex(authorPublicKeyRaw)) throw new RosterError("unknown_author");
  // Under a keyring that names the devices it approves, only a roster from an approved device of the
  // DSL or a deputy is taken: a device the server enrolled for itself cannot hand out a false list.
  const keyring = await loadKeyring(db, profileId);
  if (approvedDevices(keyring) && !keyring.content.devices.some((d) => d.key_id === authorKeyId && PUBLISHERS.includes(d.role))) {
    throw new RosterError("unapproved_author");
  }
  await put(db, "settings", { version: answer.body.version, envelope, authorPublicKeyRaw }, heldName(profileId));
  return true;
}

// Opens the envelope held for this profile with its roster key: the roster, or null when none is held.
export async function openHeldRoster(db, profile, key) {
  const held = await get(db, "settings", heldName(profile.id));
  if (!held) return null;
  let opened;
  try {
    opened = await open(held.envelope, {
      recipientPrivateKey: key.privateKey, recipientPublicKeyRaw: key.publicKeyRaw, authorPublicKeyRaw: held.authorPublicKeyRaw,
    });
  } catch (e) {
    if (e instanceof EnvelopeError) throw new RosterError(e.code);
    throw e;
  }
  if (opened.header.schoolId.toLowerCase() !== profile.enrolment.school.id.toLowerCase()) throw new RosterError("wrong_school");
  return readRosterContent(opened.content);
}

// --- Publishing (the DSL and deputies)

async function sealTo(profile, roster, publicKeys) {
  const content = new TextEncoder().encode(JSON.stringify(roster));
  if (content.length > MAX_CONTENT) throw new RosterError("too_large", "the list is too long to seal");
  const envelopes = [];
  for (let i = 0; i < publicKeys.length; i += GROUP) {
    envelopes.push(await seal({
      content, schoolId: profile.enrolment.school.id, recordId: uuidv7(), recipients: publicKeys.slice(i, i + GROUP),
      authorPrivateKey: profile.device.privateKey, authorPublicKeyRaw: profile.device.publicKeyRaw,
    }));
  }
  return envelopes;
}

// Posts envelopes of one version, a few per request; resolves with the server's last answer.
async function post(device, version, envelopes) {
  let body = null;
  for (let i = 0; i < envelopes.length; i += BATCH) {
    const answer = await signedFetch(device, "POST", "/api/v1/roster", {
      version, envelopes: envelopes.slice(i, i + BATCH).map(toBase64),
    });
    if (answer.status !== 200) throw new RosterError(errorCode(answer), "the server refused the list");
    body = answer.body;
  }
  return body;
}

async function missing(device) {
  const answer = await signedFetch(device, "GET", "/api/v1/roster/missing", null);
  if (answer.status !== 200 || !answer.body) throw new RosterError(errorCode(answer), "could not ask which devices lack the list");
  return answer.body;
}

// Seals `roster` to the school's devices that lack its version. Resolves with how many devices hold it
// (null when there was nobody to seal to), or "newer" when the school has a newer version than this.
export async function topUp(db, profile, roster) {
  const lacking = await missing(profile.device);
  if (lacking.version > roster.version) return "newer";
  const keys = await approvedOnly(db, profile, lacking.keys);
  if (!keys.length) return null;
  const envelopes = await sealTo(profile, roster, keys.map((k) => fromBase64(k.public_key)));
  const answer = await post(profile.device, roster.version, envelopes);
  return answer ? answer.stored : null;
}

// The roster keys of devices the trust key approved, each proven its device's own (docs/protocol.md,
// "Approved devices"): a device the server enrolled for itself, or a key it says is another's, gets
// nothing. Under a keyring from before approvals, every key the server lists, as before.
async function approvedOnly(db, profile, keys) {
  const approved = approvedDevices(await loadKeyring(db, profile.id));
  if (!approved) return keys;
  const schoolId = profile.enrolment.school.id;
  const proven = await Promise.all(keys.map((k) => keyProven(approved, k.device_public_key, ROSTER_KEY, schoolId, fromBase64(k.public_key), k.proof || "")));
  session.unapproved = keys.length - proven.filter(Boolean).length;
  return keys.filter((k, i) => proven[i]);
}

// Publishes a new version of the list: sealed first to this device's own roster key (which is how the
// DSL's app keeps it), then to every other device. Resolves with {roster, devices}.
export async function publishRoster(db, profile, key, children) {
  await registerRosterKey(db, profile, key);
  const held = await get(db, "settings", heldName(profile.id));
  const school = await missing(profile.device);
  const version = Math.max(school.version, held ? held.version : 0) + 1;
  const roster = { v: 1, type: "roster", version, issued_at: new Date().toISOString(), children };
  const own = await sealTo(profile, roster, [key.publicKeyRaw]);
  const first = await post(profile.device, version, own);
  await put(db, "settings", { version, envelope: own[0], authorPublicKeyRaw: profile.device.publicKeyRaw }, heldName(profile.id));
  const devices = await topUp(db, profile, roster);
  return { roster, devices: typeof devices === "number" ? devices : first.stored };
}

// --- This page's session: the unlocked person's roster, in memory only while they are unlocked.

const session = {
  turn: 0, db: null, profile: null, key: null, roster: null, byId: new Map(), pending: null, listening: false, fetchedAt: 0,
  unapproved: 0, // roster keys left out at the last sealing: devices the trust key has not approved
};

function say(id, text) {
  if ($(id).textContent !== text) $(id).textContent = text;
}

const isPublisher = (profile) => !!(profile && PUBLISHERS.indexOf(profile.enrolment.person.role) !== -1);
const childrenCount = (n) => (n === 1 ? "1 child" : `${n} children`);

// The child with this roster id, while someone is unlocked and their list has them; else null.
export function rosterChild(id) {
  return (id && session.byId.get(id)) || null;
}

function use(roster) {
  session.roster = roster;
  session.byId = new Map(roster ? roster.children.map((c) => [c.id, c]) : []);
  const choices = roster ? roster.children.map((child) => ({ child, label: childLabel(child) })) : [];
  fillChildChoices($("concern"), choices);
  document.body.dataset.roster = roster ? String(roster.version) : "none";
  if (isPublisher(session.profile)) {
    say("roster-state", roster
      ? `This device has version ${roster.version} of your school's list: ${childrenCount(roster.children.length)}.`
      : "Your school has no list of children on this device yet.");
  }
}

function clearPreview() {
  session.pending = null;
  $("roster-preview").hidden = true;
  say("roster-summary", "");
  say("roster-sample", "");
  const skipped = $("roster-skipped");
  while (skipped.firstChild) skipped.removeChild(skipped.firstChild);
  delete document.body.dataset.rosterPreview;
}

function showPreview(result) {
  session.pending = result.children;
  const { children, skipped } = result;
  let text = `${childrenCount(children.length)} in ${result.rows === 1 ? "1 row" : `${result.rows} rows`}.`;
  if (skipped.length) text += ` ${skipped.length === 1 ? "1 row was" : `${skipped.length} rows were`} left out:`;
  say("roster-summary", text);
  const list = $("roster-skipped");
  while (list.firstChild) list.removeChild(list.firstChild);
  for (const s of skipped) list.appendChild(el("li", {}, `Row ${s.row}: ${s.reason}.`));
  // A few as staff will see them, to check that the columns were read as meant.
  const first = children.slice(0, 3).map(childLabel).join("; ");
  say("roster-sample", first ? `The first on the list, as staff will see them: ${first}${children.length > 3 ? "; …" : "."}` : "");
  $("roster-publish").hidden = children.length === 0;
  $("roster-preview").hidden = false;
  document.body.dataset.rosterPreview = String(children.length);
  $("roster-preview-heading").focus();
}

// Reads what was pasted (or a file dropped) into the box; nothing leaves the device until Publish.
function checkList() {
  clearPreview();
  say("roster-error", "");
  try {
    showPreview(readRoster($("roster-csv").value));
  } catch (e) {
    if (!(e instanceof RosterImportError)) throw e;
    say("roster-error", e.message);
    $("roster-csv").focus();
  }
}

// A CSV file dragged onto the box is read into it, as if pasted.
async function dropFile(event) {
  const text = await droppedText(event);
  if (text === null) return;
  $("roster-csv").value = text;
  checkList();
}

async function publishPending() {
  const { profile, key, pending, turn } = session;
  if (!pending || !pending.length) return;
  $("roster-publish").disabled = true;
  say("roster-error", "");
  try {
    const { roster, devices } = await publishRoster(session.db, profile, key, pending);
    if (turn !== session.turn) return;
    use(roster);
    clearPreview();
    $("roster-csv").value = "";
    say("roster-state", `Published version ${roster.version} of your school's list (${childrenCount(roster.children.length)}) `
      + `to ${devices === 1 ? "1 device" : `${devices} devices`}. Devices set up later get it when this app next syncs.`
      + (session.unapproved ? ` ${session.unapproved === 1 ? "1 device was" : `${session.unapproved} devices were`} not sent it: `
        + "the school's trust key has not approved them. Its holder approves new devices under \"The school's trust key\"." : ""));
    document.body.dataset.rosterPublished = String(roster.version);
    $("roster-heading").focus();
  } catch (e) {
    if (e instanceof OfflineError) say("roster-error", "There is no network, so the list is not published. Try again when there is one.");
    else if (e instanceof RosterError) say("roster-error", `The list could not be published (${e.code}). Tell your Lantern administrator.`);
    else throw e;
  } finally {
    $("roster-publish").disabled = false;
  }
}

function report(e) {
  say("roster-error", "Something went wrong with your school's list: " + (e && e.message ? e.message : e));
}

function listen() {
  if (session.listening) return;
  session.listening = true;
  $("roster-read").addEventListener("click", checkList);
  $("roster-csv").addEventListener("dragover", (event) => event.preventDefault());
  $("roster-csv").addEventListener("drop", (event) => dropFile(event).catch(report));
  $("roster-publish").addEventListener("click", () => publishPending().catch(report));
  $("roster-cancel").addEventListener("click", () => {
    clearPreview();
    $("roster-csv").value = "";
    $("roster-csv").focus();
  });
}

// When a person unlocks: their roster key (made the first time), and the list held for them, opened
// with no network. `profileKey` is their profile key.
export async function enterRoster({ db, profile, key: profileKey }) {
  const turn = ++session.turn;
  listen();
  session.db = db;
  session.profile = profile;
  session.key = null;
  session.fetchedAt = 0;
  $("roster").hidden = !isPublisher(profile);
  use(null);
  const key = await loadOrCreateRosterKey(db, profile.id, profileKey);
  if (turn !== session.turn) return;
  session.key = key;
  let roster = null;
  try {
    roster = await openHeldRoster(db, profile, key);
  } catch (e) {
    if (!(e instanceof RosterError)) throw e;
    if (isPublisher(profile)) say("roster-error", `The list on this device could not be opened (${e.code}). Import it again.`);
  }
  if (turn === session.turn) use(roster);
}

// At each sync while someone is unlocked: the key to the server if it is not there yet, a newer list,
// and for the DSL and deputies, the list sealed to devices set up since. Quiet with no network.
export async function syncRoster() {
  const { db, profile, key, turn } = session;
  if (!profile || !key) return;
  try {
    await registerRosterKey(db, profile, key);
    if (!session.roster || Date.now() - session.fetchedAt > REFETCH_MS) {
      const fresh = await fetchRoster(db, profile.device, profile.id);
      if (turn !== session.turn) return;
      session.fetchedAt = Date.now();
      if (fresh) {
        const roster = await openHeldRoster(db, profile, key);
        if (turn === session.turn) use(roster);
      }
    }
    if (isPublisher(profile) && session.roster && turn === session.turn) {
      if ((await topUp(db, profile, session.roster)) === "newer" && (await fetchRoster(db, profile.device, profile.id))) {
        const roster = await openHeldRoster(db, profile, key);
        if (turn === session.turn) use(roster);
      }
    }
  } catch (e) {
    if (e instanceof OfflineError) return;
    if (e instanceof RosterError) {
      if (isPublisher(profile) && turn === session.turn) say("roster-error", `Your school's list could not be brought up to date (${e.code}).`);
      return;
    }
    throw e;
  }
}

// On lock: the list leaves the page and memory; what stays is ciphertext in IndexedDB.
export function leaveRoster() {
  session.turn += 1;
  session.profile = null;
  session.key = null;
  session.db = null;
  clearPreview();
  use(null);
  $("roster").hidden = true;
  $("roster-csv").value = "";
  say("roster-state", "");
  say("roster-error", "");
  delete document.body.dataset.rosterPublished;
}
