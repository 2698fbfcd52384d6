// RFC 9180 HPKE, Base mode, for exactly one suite: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM. WebCrypto only: P-256 because older tablet browsers have no X25519.
//
// WebCrypto's HKDF does extract and expand in one call and cannot take HPKE's labelled two steps,
// so Extract and Expand (RFC 5869) are written here over HMAC-SHA256.

import { ascii, concat, u16, u32, u8 } from "./bytes.js";

const subtle = crypto.subtle;
const P256 = { name: "ECDH", namedCurve: "P-256" };

const KEM_SUITE_ID = concat(ascii("KEM"), u16(0x0010));
const HPKE_SUITE_ID = concat(ascii("HPKE"), u16(0x0010), u16(0x0001), u16(0x0002));
const HPKE_V1 = ascii("HPKE-v1");
const MODE_BASE = 0x00;
const NK = 32; // AES-256 key
const NN = 12; // GCM nonce
const NH = 32; // SHA-256 output
const EMPTY = new Uint8Array(0);

async function hmac(key, data) {
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}

async function extract(salt, ikm) {
  // WebCrypto refuses a zero-length HMAC key; RFC 5869 defines an absent salt as NH zero bytes,
  // which HMAC treats identically to an empty key (keys are zero-padded to the block size).
  return hmac(salt.length ? salt : new Uint8Array(NH), ikm);
}

async function expand(prk, info, length) {
  let t = EMPTY;
  let okm = EMPTY;
  for (let i = 1; okm.length < length; i++) {
    t = await hmac(prk, concat(t, info, u8(i)));
    okm = concat(okm, t);
  }
  return okm.slice(0, length);
}

function labeledExtract(suiteId, salt, label, ikm) {
  return extract(salt, concat(HPKE_V1, suiteId, ascii(label), ikm));
}

function labeledExpand(suiteId, prk, label, info, length) {
  return expand(prk, concat(u16(length), HPKE_V1, suiteId, ascii(label), info), length);
}

// For P-256 the DH shared secret is the x coordinate of the shared point: 256 bits of deriveBits.
async function dh(privateKey, publicKeyRaw) {
  const pk = await subtle.importKey("raw", publicKeyRaw, P256, true, []);
  return new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: pk }, privateKey, 256));
}

async function extractAndExpand(dhSecret, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, EMPTY, "eae_prk", dhSecret);
  return labeledExpand(KEM_SUITE_ID, eaePrk, "shared_secret", kemContext, NH);
}

async function generateEphemeral() {
  const pair = await subtle.generateKey(P256, false, ["deriveBits"]);
  const publicKeyRaw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKeyRaw };
}

async function keySchedule(sharedSecret, info) {
  // Base mode: psk and psk_id are empty.
  const pskIdHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, "psk_id_hash", EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, "info_hash", info);
  const context = concat(u8(MODE_BASE), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE_ID, sharedSecret, "secret", EMPTY);
  const keyBytes = await labeledExpand(HPKE_SUITE_ID, secret, "key", context, NK);
  const baseNonce = await labeledExpand(HPKE_SUITE_ID, secret, "base_nonce", context, NN);
  const key = await subtle.importKey("raw", keyBytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  return new Context(key, baseNonce);
}

// The encryption context with its sequence number. Lantern only ever uses seq 0 (single-shot),
// but the context lets the RFC's known-answer test check every encryption in its sequence.
class Context {
  constructor(key, baseNonce) {
    this.key = key;
    this.baseNonce = baseNonce;
    this.seq = 0;
  }

  nonce() {
    // Only the low 32 bits of the 96-bit counter are ever non-zero here; refusing to wrap keeps
    // a nonce from repeating under the key.
    if (this.seq > 0xffffffff) throw new RangeError("HPKE sequence number overflow");
    const nonce = this.baseNonce.slice();
    const seq = u32(this.seq);
    for (let i = 0; i < 4; i++) nonce[NN - 4 + i] ^= seq[i];
    return nonce;
  }

  async seal(aad, pt) {
    const params = { name: "AES-GCM", iv: this.nonce(), additionalData: aad };
    this.seq++; // before the await, so two concurrent seals can never share a nonce
    return new Uint8Array(await subtle.encrypt(params, this.key, pt));
  }

  // Rejects if the ciphertext does not authenticate; seq advances only on success (RFC 9180 5.2).
  async open(aad, ct) {
    const params = { name: "AES-GCM", iv: this.nonce(), additionalData: aad };
    const pt = new Uint8Array(await subtle.decrypt(params, this.key, ct));
    this.seq++;
    return pt;
  }
}

// `ephemeral` ({privateKey, publicKeyRaw}) exists only so known-answer tests can fix skE.
export async function setupBaseS(pkR, info, { ephemeral } = {}) {
  const e = ephemeral || (await generateEphemeral());
  const enc = e.publicKeyRaw;
  const sharedSecret = await extractAndExpand(await dh(e.privateKey, pkR), concat(enc, pkR));
  return { enc, context: await keySchedule(sharedSecret, info) };
}

// skR must be an ECDH P-256 private CryptoKey with "deriveBits"; pkR is its own 65-byte public
// key, which DHKEM's kem_context needs and a non-extractable skR cannot give.
export async function setupBaseR(skR, pkR, enc, info) {
  const sharedSecret = await extractAndExpand(await dh(skR, enc), concat(enc, pkR));
  return keySchedule(sharedSecret, info);
}

export async function sealBase(pkR, info, aad, pt, options = {}) {
  const { enc, context } = await setupBaseS(pkR, info, options);
  return { enc, ct: await context.seal(aad, pt) };
}

// Throws if enc is not a P-256 point or the ciphertext does not authenticate.
export async function openBase(skR, pkR, enc, info, aad, ct) {
  const context = await setupBaseR(skR, pkR, enc, info);
  return context.open(aad, ct);
}
