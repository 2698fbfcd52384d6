// The safeguarding team's inbox: the envelopes sealed to this person, pulled from the server page by
// page (docs/protocol.md, "Pulling") and kept on this device exactly as they came, sealed. Once its
// person is unlocked, each is checked and decrypted on this device (docs/envelope.md, "Opening", all
// ten checks) and what it says is kept beside it sealed again, under their profile key (common/vault.js),
// so that the triage list, its search and the clocks work from this device alone, offline, and never
// from an unchecked header. A person opening a case queues a receipt (POST /api/v1/receipts): the
// acknowledgement that stops an urgent alert's escalation and tells the author's device "opened".
//
// Its own IndexedDB database, "lantern-inbox", beside the app's "lantern": it changes on its own
// schedule, and a staff member's device never makes it. Every entry carries the device key id it was
// pulled for (`owner`), so that two team members enrolled on one browser never see each other's.

import { OfflineError, errorCode, signedFetch } from "../common/api.js";
import { fromBase64, toBase64, toHex } from "../common/bytes.js";
import { requestValue, transaction } from "../common/db.js";
import { EnvelopeError, openWithKey, parse, receiptProof } from "../common/envelope.js";
import { readNote } from "../common/note-reader.js";
import { openLocal, sealLocalMany } from "../common/vault.js";
import { openEnvelopes } from "./opener.js";

const NAME = "lantern-inbox";
// 2: the envelopes' bytes moved to a store of their own ("sealed", keyed like the entries), so that
// listing and regrouping thousands of entries never copies their envelopes (bench/triage.py).
// 3: a page's envelopes, and what a page's records said, each kept as one value ("pages", "contents"):
// 30,000 values of 4 KiB each, written one by one, were most of a first sync's time (bench/triage.py).
const VERSION = 3;
const PAGE = 500; // the most the server gives in one answer (docs/protocol.md, "Pulling")
const OPEN_AT_ONCE = 512; // envelopes read from storage and opened in one go (team/opener.js spreads them)
const RECEIPT_BATCH = 100; // the most record ids one receipt request may carry

// Why a note cannot be shown: `code` is sealed_elsewhere, not_found, unknown_author, wrong_school, an
// envelope error code (docs/envelope.md) or a note error code (malformed, unknown_type, incomplete).
// Each says something is wrong with the record itself, for good, but a `transient` one: the server
// failing to give an author's key, which the next sync tries again.
export class InboxError extends Error {
  constructor(code, detail, { transient = false } = {}) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = "InboxError";
    this.code = code;
    this.transient = transient;
  }
}

export function openInboxDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        // One entry per envelope pulled, keyed "<owner>/<record id>": what its header says, and what
        // became of it here (opened, its receipt, what it said sealed under the profile key).
        db.createObjectStore("envelopes", { keyPath: "id" }).createIndex("owner", "owner");
        db.createObjectStore("cursors", { keyPath: "owner" }); // the last seq pulled, per owner
        db.createObjectStore("authors", { keyPath: "keyId" }); // authors' device public keys (public)
      }
      if (event.oldVersion < 2) {
        // The envelope itself, exactly as pulled, by the entry's id.
        const sealed = db.createObjectStore("sealed");
        if (event.oldVersion >= 1) {
          const entries = request.transaction.objectStore("envelopes");
          entries.openCursor().onsuccess = (e) => {
            const cursor = e.target.result;
            if (!cursor) return;
            const entry = cursor.value;
            if (entry.envelope) {
              sealed.put(entry.envelope, entry.id);
              delete entry.envelope;
              cursor.update(entry);
            }
            cursor.continue();
          };
        }
      }
      if (event.oldVersion < 3) {
        // A page's envelopes as pulled, one value, by "<owner>/<page id>"; each entry names its page
        // and its place there (`page`, `slot`). Entries from before keep theirs in "sealed".
        db.createObjectStore("pages");
        // What a batch of records said (those opened together), sealed under the profile key as one
        // value, by "<owner>/<batch id>"; each entry names its batch (`batch`). Entries from before
        // keep theirs in their own `sealed` field.
        db.createObjectStore("contents");
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close(); // a newer app upgrades it; this page reloads to use it
      resolve(db);
    };
    request.onblocked = () => {};
    request.onerror = () => reject(request.error);
  });
}

function entryOf(owner, seq, data) {
  const entry = { id: owner + "/", owner, seq, pulledAt: new Date().toISOString(), opened: false, receiptSent: false };
  try {
    const header = parse(data); // the framing checks only: nothing here is trusted before open()
    entry.recordId = header.recordId;
    entry.urgent = header.urgent;
    entry.authorKeyId = toHex(header.authorKeyId);
    entry.recipientKeyIds = header.recipientKeyIds.map(toHex);
  } catch (e) {
    if (!(e instanceof EnvelopeError)) throw e;
    // The server checked it before storing it, so this is a bug or tampering: kept, and shown as such.
    entry.recordId = "seq-" + seq;
    entry.broken = e.code;
    entry.urgent = false;
    entry.recipientKeyIds = [];
  }
  entry.id += entry.recordId;
  return entry;
}

// Pulls every page the server has after this owner's cursor, opens each (`openAll`) while the next
// is on its way, and keeps it: its entries, its envelopes, what they said and the cursor past it, in
// one transaction, never awaiting the network or the workers inside one, so a pull cut off anywhere
// resumes where it stopped. At most two pages are in memory: one opening, one arriving.
// `take(records)`, if given, is handed each page's new records (as openedRecords gives them) once kept.
// Resolves with {added, stopped}, and {refused: code} when the server refuses; stopped is true when an
// author's key was needed and there was no network, leaving their entries kept and not yet opened (for
// openPulled). Throws OfflineError with no network, once what came before is kept.
export async function pullInbox(idb, device, recipientKey, schoolId, profileKey, take = null) {
  const owner = device.keyId;
  const cursor = await transaction(idb, "cursors", "readonly", (s) => requestValue(s.cursors.get(owner)));
  let after = cursor ? cursor.after : 0;
  let checked = false;
  let again = false; // pulling from the start again, over what is here already
  let keeping = Promise.resolve();
  const result = { added: 0, stopped: false };
  try {
    for (;;) {
      let answer = await signedFetch(device, "GET", `/api/v1/envelopes?after=${after}&limit=${PAGE}`, null);
      if (!checked && answer.status === 200 && answer.body && forgotten(cursor, answer.body)) {
        // Another database, or one that holds less than this cursor passed (restored from a backup):
        // from the start again. What is already here stays as it is; only what is new is added.
        answer = await signedFetch(device, "GET", `/api/v1/envelopes?after=0&limit=${PAGE}`, null);
        again = true;
      }
      checked = true;
      const page = answer.body;
      if (answer.status !== 200 || !page || !Array.isArray(page.envelopes)) {
        await keeping;
        return { ...result, refused: errorCode(answer) };
      }
      await keeping;
      keeping = keepPage(idb, device, recipientKey, schoolId, profileKey, page, again).then((kept) => {
        result.added += kept.records.length + kept.later;
        result.stopped = result.stopped || kept.later > 0;
        if (take && kept.records.length) take(kept.records);
      });
      after = page.after;
      if (!page.more) break;
    }
  } catch (e) {
    await keeping;
    throw e;
  }
  await keeping;
  return result;
}

// The indexes of `entries` not held here yet, asked in `s`: every count at once (the requests are
// served in order, with no round trip between). One held (a page seen twice, as after a server that
// forgot: pullInbox) is kept as it is, with whether it was opened.
async function notHeld(s, entries) {
  const held = await Promise.all(entries.map((entry) => requestValue(s.envelopes.count(entry.id))));
  return entries.map((_, i) => i).filter((i) => !held[i]);
}

async function keepPage(idb, device, recipientKey, schoolId, profileKey, page, again) {
  const owner = device.keyId;
  const pulled = page.envelopes.map((e) => fromBase64(e.data));
  const all = page.envelopes.map((e, i) => entryOf(owner, e.seq, pulled[i]));
  // Pulled again from the start, its page holds what is here already: that is not opened again.
  const news = again ? await transaction(idb, "envelopes", "readonly", (s) => notHeld(s, all)) : all.map((_, i) => i);
  const entries = news.map((i) => all[i]), data = news.map((i) => pulled[i]);
  const opened = await openAll(idb, device, recipientKey, schoolId, entries, data);
  const key = owner + "/" + crypto.randomUUID(); // the page's, and its batch's (in another store)
  const batch = await sealBatch(profileKey, key, entries, opened);
  const fresh = await transaction(idb, ["envelopes", "pages", "contents", "cursors"], "readwrite", async (s) => {
    // Asked here in any case, in the transaction that keeps them, so that none is kept twice.
    const fresh = await notHeld(s, entries);
    fresh.forEach((i, slot) => s.envelopes.put(Object.assign(entries[i], { page: key, slot }, outcome(opened, i, batch))));
    if (fresh.length) s.pages.put(fresh.map((i) => data[i]), key);
    if (batch && fresh.length) s.contents.put(batch.sealed, key);
    s.cursors.put({ owner, after: page.after, database: typeof page.database === "string" ? page.database : null });
    return fresh;
  });
  const records = fresh.filter((i) => opened.values[i] || opened.failed[i]).map((i) => recordOf(entries[i], opened.values[i]));
  return { records, later: fresh.length - records.length };
}

// What an entry keeps of its opening: why it failed, or the batch holding what it said; nothing when
// it is left for later.
function outcome(opened, i, batch) {
  if (opened.failed[i]) return { failed: opened.failed[i] };
  if (opened.values[i]) return { batch: batch.key };
  return {};
}

// What a batch of entries said (`opened.values`, one per entry, null where none), sealed under the
// profile key as one value: {key, sealed}, or null when none opened.
async function sealBatch(profileKey, key, entries, opened) {
  const said = {};
  entries.forEach((entry, i) => { if (opened.values[i]) said[entry.id] = opened.values[i]; });
  if (!Object.keys(said).length) return null;
  return { key, sealed: await sealLocalMany(profileKey, OPENED, key, said) };
}

// Whether the server has forgotten what this cursor passed (docs/protocol.md, "When the server forgets").
function forgotten(cursor, page) {
  if (!cursor || !cursor.after || !cursor.database) return false;
  return page.database !== cursor.database || (Number.isInteger(page.high_water) && cursor.after > page.high_water);
}

// This owner's entries, newest first.
export async function listInbox(idb, owner) {
  const entries = await transaction(idb, "envelopes", "readonly", (s) => requestValue(s.envelopes.index("owner").getAll(owner)));
  return entries.sort((a, b) => b.seq - a.seq);
}

export function findEntry(idb, owner, recordId) {
  return transaction(idb, "envelopes", "readonly", (s) => requestValue(s.envelopes.get(owner + "/" + recordId)));
}

// Whether this device's key can open the entry at all: a note sealed before this device's key joined
// the keyring is sealed to the person's other keys only ("sealed to another of your keys").
export function sealedHere(entry, recipientKey) {
  return entry.recipientKeyIds.indexOf(recipientKey.keyId) !== -1;
}

// The author's device: its public key and the person it was enrolled to ({keyId, publicKeyRaw,
// personId, name}), asked of the server once (GET /api/v1/devices/{key_id}), then kept here, since
// none of it is secret and a note should open again with no network. Null when the server has no
// such device.
// Many envelopes of one author are opened side by side: the server is asked once.
const asking = new Map();

function authorDevice(idb, device, keyId) {
  if (!asking.has(keyId)) asking.set(keyId, fetchAuthor(idb, device, keyId).finally(() => asking.delete(keyId)));
  return asking.get(keyId);
}

async function fetchAuthor(idb, device, keyId) {
  const held = await transaction(idb, "authors", "readonly", (s) => requestValue(s.authors.get(keyId)));
  if (held) return held;
  const answer = await signedFetch(device, "GET", "/api/v1/devices/" + keyId, null);
  if (answer.status === 404) return null;
  if (answer.status !== 200 || !answer.body || answer.body.key_id !== keyId) {
    throw new InboxError(errorCode(answer), "the author's device key could not be fetched", { transient: true });
  }
  const publicKeyRaw = fromBase64(answer.body.public_key);
  // Only a key whose id is the one asked for is kept; open() checks it again against the envelope.
  const actual = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", publicKeyRaw)));
  if (actual !== keyId) throw new InboxError("unknown_author", "the server gave another key");
  const found = { keyId, publicKeyRaw, personId: String(answer.body.person_id).toLowerCase(), name: String(answer.body.name) };
  await transaction(idb, "authors", "readwrite", (s) => { s.authors.put(found); });
  return found;
}

// What an opened envelope (`result`, as team/opener.js gives it, from `author`'s device) says, once
// the checks a reader adds have passed. Resolves with {note, header, signer: {personId, name, keyId} of the
// device that signed it, contentKey, number, numberedBy}; throws InboxError, or OfflineError when a
// re-sealed note's author is needed and there is no network.
async function readOpened(idb, device, recipientKey, schoolId, author, result) {
  if (result.error) throw new InboxError(result.error);
  // The server checks this before storing; a reader checks it too, rather than trust the server.
  if (result.header.schoolId.toLowerCase() !== schoolId.toLowerCase()) throw new InboxError("wrong_school");
  const note = readOrRefuse(result.content);
  const signer = { personId: author.personId, name: author.name, keyId: author.keyId };
  // Its place in the signing device's sequence to this key (docs/protocol.md, "Gaps"); for a re-seal,
  // the re-seal's own, since it is the envelope this device was handed.
  const numbering = { number: note.sequence[recipientKey.keyId] || null, numberedBy: signer };
  if (note.type === "reseal") return Object.assign(await openReseal(idb, device, schoolId, note, signer, result.header), numbering);
  return { note, header: result.header, signer, contentKey: result.contentKey, ...numbering };
}

function readOrRefuse(content) {
  try {
    return readNote(content);
  } catch (e) {
    if (e.name === "NoteError") throw new InboxError(e.code, e.message);
    throw e;
  }
}

// A re-seal (docs/protocol.md, "Re-sealing"): the original envelope, opened with the content key it
// carries and checked against its own author's signature, is the record; the re-seal says only who
// handed it on. Its record id and readers are the original's, so it joins the original's case, and a
// second copy of it is one record, not two.
async function openReseal(idb, device, schoolId, reseal, resealedBy, outerHeader) {
  const inner = fromBase64(reseal.envelope);
  let header;
  try {
    header = parse(inner);
  } catch (e) {
    if (e instanceof EnvelopeError) throw new InboxError(e.code);
    throw e;
  }
  if (header.recordId.toLowerCase() !== reseal.refers_to) throw new InboxError("malformed", "the re-seal names another record");
  if (header.schoolId.toLowerCase() !== schoolId.toLowerCase()) throw new InboxError("wrong_school");
  const author = await authorDevice(idb, device, toHex(header.authorKeyId));
  if (!author) throw new InboxError("unknown_author");
  let opened;
  try {
    opened = await openWithKey(inner, fromBase64(reseal.content_key), author.publicKeyRaw);
  } catch (e) {
    if (e instanceof EnvelopeError) throw new InboxError(e.code);
    throw e;
  }
  const note = readOrRefuse(opened.content);
  if (note.type === "reseal") throw new InboxError("malformed", "a re-seal of a re-seal");
  return {
    note, header: opened.header, signer: { personId: author.personId, name: author.name, keyId: author.keyId }, resealedBy,
    contentKey: fromBase64(reseal.content_key), recordId: header.recordId.toLowerCase(),
    // Whom it reaches now: the original's readers and the keys the re-seal was sealed to.
    recipientKeyIds: header.recipientKeyIds.map(toHex).concat(outerHeader.recipientKeyIds.map(toHex)),
    resealOf: true,
  };
}

// Forgets everything pulled for one device (its person is leaving this device: common/leave.js).
export function forgetOwner(idb, owner) {
  return transaction(idb, ["envelopes", "sealed", "pages", "contents", "cursors"], "readwrite", async (s) => {
    for (const key of await requestValue(s.envelopes.index("owner").getAllKeys(owner))) {
      s.envelopes.delete(key);
      s.sealed.delete(key);
    }
    const own = IDBKeyRange.bound(owner + "/", owner + "/\uffff"); // a key id is hex: no "/" in it
    s.pages.delete(own);
    s.contents.delete(own);
    s.cursors.delete(owner);
  });
}

// Marks a record opened on this device, with its receipt still to send: `record` as openedRecords
// gives it, which is marked too (the page's records are the list's source: team/team.js). The
// receipt's proof is made now, from the content key, which the entry does not keep; it is for the
// record itself, which for a re-seal is the original note, not the envelope that carried it.
export async function markOpened(idb, record) {
  if (!record.contentKey) return; // opened by an app from before content keys were kept: nothing to prove with
  const receipt = { record_id: record.recordId, proof: toBase64(await receiptProof(fromBase64(record.contentKey), record.recordId)) };
  const held = await transaction(idb, "envelopes", "readwrite", async (s) => {
    const entry = await requestValue(s.envelopes.get(record.entryId));
    if (entry && (!entry.opened || !entry.receipt)) s.envelopes.put(Object.assign(entry, { opened: true, receiptSent: false, receipt }));
    return entry;
  });
  if (held) Object.assign(record, { opened: true, receiptSent: held.receiptSent, receipt: held.receipt });
}

// Sends the receipts owed for `records` (as openedRecords gives them), in batches; a record counts as
// acknowledged only once the server has answered 200, and is then marked, here and in its entry.
// Resolves with how many were sent; throws OfflineError with no network, so they go at the next sync.
export async function sendReceipts(idb, device, records) {
  const owed = records.filter((r) => r.entryId && r.opened && !r.receiptSent && !r.failed && r.receipt);
  let sent = 0;
  for (let i = 0; i < owed.length; i += RECEIPT_BATCH) {
    const batch = owed.slice(i, i + RECEIPT_BATCH);
    const answer = await signedFetch(device, "POST", "/api/v1/receipts", { receipts: batch.map((r) => r.receipt) });
    if (answer.status !== 200) return sent; // kept owed: a refusal is reported by the next try's caller
    await transaction(idb, "envelopes", "readwrite", async (s) => {
      for (const record of batch) {
        const held = await requestValue(s.envelopes.get(record.entryId));
        if (held) s.envelopes.put(Object.assign(held, { receiptSent: true }));
      }
    });
    for (const record of batch) record.receiptSent = true;
    sent += batch.length;
  }
  return sent;
}

// When the author's device wrote it: a UUIDv7's first 48 bits are Unix milliseconds (its clock).
export function writtenAt(recordId) {
  const hex = String(recordId).replace(/-/g, "").slice(0, 12);
  return /^[0-9a-f]{12}$/i.test(hex) ? new Date(parseInt(hex, 16)) : null;
}

// The vault's kinds for what opened envelopes said, kept on this device under the profile key: a
// batch of them as one value (by its key), or, from an app before version 3 of this database, each
// on its own (by its entry's id).
const OPENED = "inbox-records";
const OPENED_ONE = "inbox-record";

// Opens every entry pulled for this device and not opened yet (one left for want of an author's key,
// or by an app cut short before version 3 of this database). Resolves with {records, stopped}.
export async function openPulled(idb, device, recipientKey, schoolId, profileKey) {
  const waiting = (await listInbox(idb, device.keyId)).filter((e) => !e.sealed && !e.batch && !e.failed && !e.broken);
  const results = { records: [], stopped: false };
  for (let i = 0; i < waiting.length; i += OPEN_AT_ONCE) {
    const entries = waiting.slice(i, i + OPEN_AT_ONCE);
    const data = await transaction(idb, ["pages", "sealed"], "readonly", (s) => envelopesOf(s, entries));
    const opened = await openAll(idb, device, recipientKey, schoolId, entries, data);
    const batch = await sealBatch(profileKey, device.keyId + "/" + crypto.randomUUID(), entries, opened);
    await transaction(idb, ["envelopes", "contents"], "readwrite", (s) => {
      if (batch) s.contents.put(batch.sealed, batch.key);
      entries.forEach((entry, k) => { if (opened.values[k] || opened.failed[k]) s.envelopes.put(Object.assign(entry, outcome(opened, k, batch))); });
    });
    entries.forEach((entry, k) => { if (opened.values[k] || opened.failed[k]) results.records.push(recordOf(entry, opened.values[k])); });
    results.stopped = results.stopped || opened.stopped;
    if (opened.stopped) break;
  }
  return results;
}

// The envelopes of `entries`, in order, read in one transaction (`s`: its "pages" and "sealed").
async function envelopesOf(s, entries) {
  const pages = new Map();
  for (const entry of entries) {
    if (entry.page && !pages.has(entry.page)) pages.set(entry.page, requestValue(s.pages.get(entry.page)));
  }
  return Promise.all(entries.map(async (entry) => (entry.page ? (await pages.get(entry.page))[entry.slot] : requestValue(s.sealed.get(entry.id)))));
}

// Opens `entries` (their envelopes in `data`, in the same order) in team/opener.js's workers and
// reads what each says. Resolves with {values, failed, stopped}: for each entry, what it said (the
// value kept under the profile key) or null, and why it failed or null; neither for an entry left
// for later, when its author's key was needed and there was no network (then `stopped` is true).
export async function openAll(idb, device, recipientKey, schoolId, entries, data) {
  const values = entries.map(() => null);
  const failed = entries.map((entry) => entry.broken || null);
  let stopped = false;
  const later = (e) => {
    if (!(e instanceof OfflineError || (e instanceof InboxError && e.transient))) return false;
    stopped = true;
    return true;
  };
  const openable = [];
  entries.forEach((entry, i) => {
    if (failed[i]) return;
    if (!sealedHere(entry, recipientKey)) failed[i] = "sealed_elsewhere";
    else openable.push(i);
  });
  const authors = new Map();
  for (const keyId of new Set(openable.map((i) => entries[i].authorKeyId))) {
    try {
      authors.set(keyId, await authorDevice(idb, device, keyId));
    } catch (e) {
      if (!later(e)) throw e;
    }
  }
  const ready = openable.filter((i) => authors.has(entries[i].authorKeyId));
  const authorOf = (i) => authors.get(entries[i].authorKeyId);
  const results = await openEnvelopes(
    ready.map((i) => data[i]), { privateKey: recipientKey.privateKey, publicKeyRaw: recipientKey.publicKeyRaw },
    ready.map((i) => (authorOf(i) ? authorOf(i).publicKeyRaw : null)),
  );
  await Promise.all(ready.map(async (i, k) => {
    try {
      const found = await readOpened(idb, device, recipientKey, schoolId, authorOf(i), results[k]);
      // Kept with it: the content key, so that this device can re-seal it to a reader's new key
      // (team.js), and for a re-seal the original's id and readers.
      values[i] = {
        note: found.note, signer: found.signer, urgent: found.header.urgent, contentKey: toBase64(found.contentKey),
        recordId: found.recordId || null, recipientKeyIds: found.recipientKeyIds || null, reseal: Boolean(found.resealOf),
        number: found.number, numberedBy: found.numberedBy,
      };
    } catch (e) {
      if (later(e)) return;
      if (!(e instanceof InboxError)) throw e;
      failed[i] = e.code;
    }
  }));
  return { values, failed, stopped };
}

function recordOf(entry, opened) {
  const base = { recordId: entry.recordId, entryId: entry.id, opened: entry.opened, receiptSent: entry.receiptSent, receipt: entry.receipt || null };
  if (entry.broken || entry.failed) return { ...base, note: null, failed: entry.broken || entry.failed, urgent: false };
  return {
    ...base, recordId: opened.recordId || entry.recordId, note: opened.note, signer: opened.signer,
    // Urgent if the signed header or the content says so (docs/protocol.md, "Reading a record").
    urgent: opened.urgent === true || Boolean(opened.note && opened.note.urgent === true), failed: null, recipientKeyIds: opened.recipientKeyIds || entry.recipientKeyIds,
    contentKey: opened.contentKey || null, reseal: opened.reseal === true, envelopeEntry: entry.id,
    authorKeyId: entry.authorKeyId, number: Number.isInteger(opened.number) ? opened.number : null,
    numberedBy: opened.numberedBy || opened.signer,
  };
}

// The envelope of an entry, exactly as pulled (for a re-seal of it).
export function envelopeOf(idb, entryId) {
  return transaction(idb, ["envelopes", "pages", "sealed"], "readonly", async (s) => {
    const entry = await requestValue(s.envelopes.get(entryId));
    return entry ? (await envelopesOf(s, [entry]))[0] : undefined;
  });
}

// Every record this device holds for `owner`, as team/cases.js takes them: opened ones with what they
// said, failed ones with their code; entries not opened yet are left out until they are. Read once,
// when its person comes in; the page keeps them from then on (team/team.js).
export async function openedRecords(idb, owner, profileKey) {
  const entries = (await listInbox(idb, owner)).filter((e) => e.broken || e.failed || e.sealed || e.batch);
  const keys = [...new Set(entries.filter((e) => e.batch).map((e) => e.batch))];
  const sealed = await transaction(idb, "contents", "readonly", (s) => Promise.all(keys.map((key) => requestValue(s.contents.get(key)))));
  const batches = new Map(await Promise.all(keys.map(async (key, i) => [key, await openLocal(profileKey, OPENED, key, sealed[i])])));
  return Promise.all(entries.map(async (entry) => {
    if (entry.broken || entry.failed) return recordOf(entry, null);
    if (entry.batch) return recordOf(entry, batches.get(entry.batch)[entry.id]);
    return recordOf(entry, await openLocal(profileKey, OPENED_ONE, entry.id, entry.sealed));
  }));
}
