// The school's trust key, made and held in the trust key holder's own app (docs/trust-key.md). It
// signs keyrings exactly as `lantern trust sign` does (docs/protocol.md, "The keyring"), so either
// can sign for a school and every device checks both the same way.
//
// On the device it is kept sealed under its holder's profile key (common/vault.js) and opened, after
// their unlock, as a non-extractable signing key. Its backup file is the format sync/trust_backup.py
// reads and writes: PBKDF2-HMAC-SHA256, the one password KDF WebCrypto offers in every engine, at
// 600,000 iterations (OWASP, 2023), then AES-256-GCM over the key's PKCS#8, with the public half bound
// in as additional data.

import { ascii, concat, equal, fromBase64, inFours, toBase64, toHex } from "../common/bytes.js";
import { get, put, remove } from "../common/db.js";
import { openLocal, sealLocal } from "../common/vault.js";

const FORMAT = "lantern-trust-key-backup-v1";
export const ITERATIONS = 600000;
const MAX_ITERATIONS = 10000000;
const KEYRING_LABEL = ascii("lantern-keyring-v1");
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
const VALID_DAYS = 30; // sync/keyring.py VALIDITY
const KIND = "trust-key";
export const MIN_PASSPHRASE = 12;

export class TrustKeyError extends Error {
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = "TrustKeyError";
    this.code = code;
  }
}

// "1a2b 3c4d 5e6f 7a8b 9c0d": the first 80 bits of SHA-256 of the public half, as `lantern trust init`
// prints them and as every enrolment code carries them.
export async function fingerprint(publicKeyRaw) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", publicKeyRaw));
  return inFours(toHex(digest.slice(0, 10)));
}

// A new trust key: {pkcs8, publicKeyRaw}. Its private half exists as bytes only here, on its way into
// the backup file and under the profile key.
export async function makeTrustKey() {
  const pair = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  return {
    pkcs8: new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    publicKeyRaw: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
  };
}

async function passphraseKey(passphrase, salt, iterations) {
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(passphrase), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"],
  );
}

function backupAad(publicKeyRaw) {
  return concat(ascii(FORMAT), new Uint8Array([0]), publicKeyRaw);
}

// The backup file's text (JSON, as sync/trust_backup.py writes it).
export async function writeBackup({ pkcs8, publicKeyRaw }, passphrase) {
  if (passphrase.length < MIN_PASSPHRASE) throw new TrustKeyError("passphrase_short");
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await passphraseKey(passphrase, salt, ITERATIONS);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: backupAad(publicKeyRaw) }, key, pkcs8));
  return JSON.stringify({
    lantern: FORMAT, public_key: toBase64(publicKeyRaw), kdf: "PBKDF2-HMAC-SHA256", iterations: ITERATIONS,
    salt: toBase64(salt), iv: toBase64(iv), sealed: toBase64(sealed), made_at: new Date().toISOString(),
  }, null, 2) + "\n";
}

function field(parsed, name, length) {
  try {
    const bytes = fromBase64(parsed[name]);
    if (length === undefined || bytes.length === length) return bytes;
  } catch (e) { /* refused below */ }
  throw new TrustKeyError("backup_invalid", name);
}

// The public half a backup names, without its passphrase (to tell whose key it is); throws
// TrustKeyError("backup_invalid").
export function backupPublicKey(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TrustKeyError("backup_invalid", "not JSON");
  }
  if (!parsed || parsed.lantern !== FORMAT || parsed.kdf !== "PBKDF2-HMAC-SHA256") throw new TrustKeyError("backup_invalid", "not a trust key backup");
  return { parsed, publicKeyRaw: field(parsed, "public_key", 65) };
}

// {pkcs8, publicKeyRaw} from a backup file's text; throws TrustKeyError: backup_invalid,
// wrong_passphrase (or a changed file: AES-GCM cannot tell them apart), key_mismatch.
export async function readBackup(text, passphrase) {
  const { parsed, publicKeyRaw } = backupPublicKey(text);
  const { iterations } = parsed;
  if (!Number.isInteger(iterations) || iterations < ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new TrustKeyError("backup_invalid", "iterations");
  }
  const key = await passphraseKey(passphrase, field(parsed, "salt", 16), iterations);
  let pkcs8;
  try {
    pkcs8 = new Uint8Array(await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: field(parsed, "iv", 12), additionalData: backupAad(publicKeyRaw) }, key, field(parsed, "sealed"),
    ));
  } catch (e) {
    if (e instanceof TrustKeyError) throw e;
    throw new TrustKeyError("wrong_passphrase");
  }
  await provePair(pkcs8, publicKeyRaw);
  return { pkcs8, publicKeyRaw };
}

// The private half signs what the public half verifies, or the pair is refused.
async function provePair(pkcs8, publicKeyRaw) {
  try {
    const signer = await crypto.subtle.importKey("pkcs8", pkcs8, ECDSA, false, ["sign"]);
    const verifier = await crypto.subtle.importKey("raw", publicKeyRaw, ECDSA, false, ["verify"]);
    const probe = crypto.getRandomValues(new Uint8Array(32));
    if (await crypto.subtle.verify(ECDSA_SHA256, verifier, await crypto.subtle.sign(ECDSA_SHA256, signer, probe), probe)) return;
  } catch (e) { /* refused below */ }
  throw new TrustKeyError("key_mismatch");
}

// --- Held on this device, under the profile key

function storageKey(profileId) {
  return "trustKey:" + profileId;
}

// Keeps the key for the profile ({id, enrolment}), sealed under `profileKey`. Only the school's own
// trust key is taken: the one the profile pinned at enrolment.
export async function holdTrustKey(db, profile, profileKey, { pkcs8, publicKeyRaw }) {
  if (!equal(publicKeyRaw, profile.enrolment.trustPublicKeyRaw)) throw new TrustKeyError("another_school");
  await provePair(pkcs8, publicKeyRaw);
  const sealed = await sealLocal(profileKey, KIND, profile.id, toBase64(pkcs8));
  await put(db, "settings", { sealed, publicKeyRaw }, storageKey(profile.id));
}

// {signingKey (non-extractable), pkcs8, publicKeyRaw} for the profile, or null when it holds no trust key.
export async function loadTrustKey(db, profileId, profileKey) {
  const held = await get(db, "settings", storageKey(profileId));
  if (!held) return null;
  const pkcs8 = fromBase64(await openLocal(profileKey, KIND, profileId, held.sealed));
  return { signingKey: await signingKey(pkcs8), pkcs8, publicKeyRaw: held.publicKeyRaw };
}

// The key for signing only: non-extractable, so nothing running later in the page can export it.
export function signingKey(pkcs8) {
  return crypto.subtle.importKey("pkcs8", pkcs8, ECDSA, false, ["sign"]);
}

// Whether the profile holds a trust key: a look that needs no unlock.
export async function holdsTrustKey(db, profileId) {
  return !!(await get(db, "settings", storageKey(profileId)));
}

export function forgetTrustKey(db, profileId) {
  return remove(db, "settings", storageKey(profileId));
}

// --- Signing

function utc(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// The payload as its signer issues it: dated now, current for 30 days (sync/keyring.py valid_for).
export function dated(content, now = new Date()) {
  const expires = new Date(now.getTime() + VALID_DAYS * 86400000);
  return Object.assign({}, content, { issued_at: utc(now), expires_at: utc(expires) });
}

// A SignedKeyring as the server and every device take it: the signature over the payload's bytes.
export async function signKeyring(signingKey, content) {
  const payload = new TextEncoder().encode(JSON.stringify(content));
  const signature = new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, signingKey, concat(KEYRING_LABEL, payload)));
  return { payload: toBase64(payload), signature: toBase64(signature) };
}
