// Test-only glue, served at /__test__/: exposes the PWA's crypto modules and a few helpers to
// Playwright, which passes only JSON across, so bytes travel as hex or base64 strings.

import * as api from "/common/api.js";
import * as bytes from "/common/bytes.js";
import * as clock from "/common/clock.js";
import * as codes from "/common/codes.js";
import * as db from "/common/db.js";
import * as deviceModule from "/common/device.js";
import * as enrol from "/common/enrol.js";
import * as envelope from "/common/envelope.js";
import * as hpke from "/common/hpke.js";
import * as keyring from "/common/keyring.js";
import * as profiles from "/common/profiles.js";
import * as roster from "/common/roster.js";
import * as vault from "/common/vault.js";
import * as issuedCodes from "/team/issued-codes.js";
import * as keyringChanges from "/team/keyring-changes.js";

const { fromHex, toHex } = bytes;

function b64url(raw) {
  return bytes.toBase64(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// A P-256 private scalar, with its public point, as a non-extractable CryptoKey.
function importPrivate(dHex, publicHex, algorithm, usages) {
  const pub = fromHex(publicHex);
  const jwk = {
    kty: "EC", crv: "P-256",
    d: b64url(fromHex(dHex)), x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33, 65)),
  };
  return crypto.subtle.importKey("jwk", jwk, { name: algorithm, namedCurve: "P-256" }, false, usages);
}

const importRecipient = (dHex, publicHex) => importPrivate(dHex, publicHex, "ECDH", ["deriveBits"]);

// Every encryption of an RFC 9180 vector, with the ephemeral key injected; returns hex to compare.
async function hpkeKnownAnswer(v) {
  const info = fromHex(v.info);
  const pkR = fromHex(v.pkRm);
  const ephemeral = {
    privateKey: await importPrivate(v.skEm, v.pkEm, "ECDH", ["deriveBits"]),
    publicKeyRaw: fromHex(v.pkEm),
  };
  const skR = await importRecipient(v.skRm, v.pkRm);
  const first = v.encryptions[0];
  const single = await hpke.sealBase(pkR, info, fromHex(first.aad), fromHex(first.pt), { ephemeral });

  const { enc, context } = await hpke.setupBaseS(pkR, info, { ephemeral });
  const receiver = await hpke.setupBaseR(skR, pkR, fromHex(v.enc), info);
  const cts = [];
  const pts = [];
  for (const e of v.encryptions) {
    cts.push(toHex(await context.seal(fromHex(e.aad), fromHex(e.pt))));
    pts.push(toHex(await receiver.open(fromHex(e.aad), fromHex(e.ct))));
  }
  const openedFirst = await hpke.openBase(
    skR, pkR, fromHex(v.enc), info, fromHex(first.aad), fromHex(first.ct),
  );
  return {
    singleEnc: toHex(single.enc), singleCt: toHex(single.ct), enc: toHex(enc), cts, pts,
    openBase: toHex(openedFirst),
  };
}

// Open an envelope; the result is {content: hex, header} or {error: code}.
async function openEnvelope(envelopeB64, recipientDHex, recipientPublicHex, authorPublicHex) {
  try {
    const opened = await envelope.open(bytes.fromBase64(envelopeB64), {
      recipientPrivateKey: await importRecipient(recipientDHex, recipientPublicHex),
      recipientPublicKeyRaw: fromHex(recipientPublicHex),
      authorPublicKeyRaw: fromHex(authorPublicHex),
    });
    const h = opened.header;
    return {
      content: toHex(opened.content),
      header: {
        urgent: h.urgent, schoolId: h.schoolId, recordId: h.recordId, authorKeyId: toHex(h.authorKeyId),
        recipientKeyIds: h.recipientKeyIds.map(toHex),
      },
    };
  } catch (e) {
    if (e instanceof envelope.EnvelopeError) return { error: e.code };
    throw e;
  }
}

// A fresh device, as the PWA makes one: a non-extractable ECDSA key whose public half is exported.
let device = null;
async function newDevice() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const publicKeyRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  device = { privateKey: pair.privateKey, publicKeyRaw };
  return toHex(device.publicKeyRaw);
}

// The private half must stay in the browser: exporting it has to fail.
async function deviceKeyExportable() {
  return crypto.subtle.exportKey("pkcs8", device.privateKey).then(() => true, () => false);
}

async function sealWithDevice({ contentHex, schoolId, recordId, recipientsHex, urgent }) {
  const sealed = await envelope.seal({
    content: fromHex(contentHex), schoolId, recordId: recordId || bytes.uuidv7(),
    recipients: recipientsHex.map(fromHex), authorPrivateKey: device.privateKey,
    authorPublicKeyRaw: device.publicKeyRaw, urgent,
  });
  return bytes.toBase64(sealed);
}

// --- The protocol modules need IndexedDB and fetch: a fresh database each time, and canned answers.

// The PWA's own database, emptied: the harness page's origin is not the app's, so nothing real is lost.
let openDatabase = null;
async function freshDb() {
  if (openDatabase) openDatabase.close();
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase("lantern");
    request.onsuccess = resolve;
    request.onerror = () => reject(request.error);
  });
  openDatabase = await db.openDb();
  await clock.loadClock(openDatabase); // a fresh clock too: offset 0
  return openDatabase;
}

// A fresh database with a fresh device in it, as the app makes them.
let app = null;
async function freshApp() {
  const database = await freshDb();
  app = { db: database, device: await deviceModule.loadOrCreateDevice(database) };
  return { publicKey: toHex(app.device.publicKeyRaw), keyId: app.device.keyId };
}

async function settings() {
  const out = {};
  for (const key of ["enrolment", "keyring", "clockOffsetMs"]) out[key] = await db.get(app.db, "settings", key);
  return out;
}

// Replaces fetch with answers given as {status, body, headers} (or {offline: true}), in order, and
// records each request as {url, method, headers, body (text)}.
const realFetch = window.fetch;
let requests = [];
function stubFetch(answers) {
  requests = [];
  const queue = answers.slice();
  window.fetch = async (url, init) => {
    requests.push({
      url: String(url), method: init.method, headers: Object.assign({}, init.headers),
      body: init.body ? new TextDecoder().decode(init.body) : null,
    });
    const answer = queue.shift();
    if (!answer || answer.offline) throw new TypeError("Failed to fetch");
    const body = answer.body === undefined ? null : JSON.stringify(answer.body);
    return new Response(body, { status: answer.status, headers: answer.headers || {} });
  };
}
function takeRequests() {
  window.fetch = realFetch;
  return requests;
}

// Runs an async step and reports {value} or {error: code or name}, so tests compare plain JSON.
async function outcome(step) {
  try {
    return { value: await step() };
  } catch (e) {
    return { error: e.code || e.name };
  }
}

window.lantern = {
  bytes, hpke, envelope, importRecipient, hpkeKnownAnswer, openEnvelope,
  newDevice, deviceKeyExportable, sealWithDevice,
  api, clock, codes, db, enrol, keyring, freshDb, freshApp, app: () => app, settings, stubFetch, takeRequests,
  outcome, profiles, roster, vault, deviceModule, keyringChanges, issuedCodes,
};
window.harnessReady = true;
