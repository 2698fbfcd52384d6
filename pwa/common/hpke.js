// RFC 9180 HPKE, Base mode, for exactly one suite: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM. WebCrypto only: P-256 because older tablet browsers have no X25519.
//
// Each of HPKE's labelled Extract-then-Expand pairs is one HKDF (RFC 5869: Expand(Extract(salt, ikm),
// info) is HKDF(salt, ikm, info)), so WebCrypto's HKDF does each in one call; only the two labelled
// Extracts whose output is used as a value (psk_id_hash, info_hash) are HMAC-SHA256 under an all-zero
// key (RFC 5869's absent salt), imported once. Opening a stanza thus costs 8 WebCrypto calls, not
// 18: a team device catching up opens tens of thousands (bench/triage.py).

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

function labeledIkm(suiteId, label, ikm) {
  return concat(HPKE_V1, suiteId, ascii(label), ikm);
}

function labeledInfo(suiteId, label, info, length) {
  return concat(u16(length), HPKE_V1, suiteId, ascii(label), info);
}

// Keys made once per page: the zero HMAC key of an absent salt, and the schedule's constant IKM.
let constants = null;
function constantKeys() {
  constants = constants || (async () => {
    const zeroSalt = await subtle.importKey("raw", new Uint8Array(NH), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    // Base mode: psk and psk_id are empty, so psk_id_hash, and the IKM of "secret", never change.
    const pskIdHash = new Uint8Array(await subtle.sign("HMAC", zeroSalt, labeledIkm(HPKE_SUITE_ID, "psk_id_hash", EMPTY)));
    const secretIkm = await subtle.importKey("raw", labeledIkm(HPKE_SUITE_ID, "secret", EMPTY), "HKDF", false, ["deriveBits", "deriveKey"]);
    return { zeroSalt, pskIdHash, secretIkm };
  })();
  return constants;
}

// For P-256 the DH shared secret is the x coordinate of the shared point: 256 bits of deriveBits.
async function dh(privateKey, publicKeyRaw) {
  const pk = await subtle.importKey("raw", publicKeyRaw, P256, true, []);
  return new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: pk }, privateKey, 256));
}

// LabeledExpand(LabeledExtract("", "eae_prk", dh), "shared_secret", kem_context, Nsecret).
async function extractAndExpand(dhSecret, kemContext) {
  const ikm = await subtle.importKey("raw", labeledIkm(KEM_SUITE_ID, "eae_prk", dhSecret), "HKDF", false, ["deriveBits"]);
  const info = labeledInfo(KEM_SUITE_ID, "shared_secret", kemContext, NH);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: EMPTY, info }, ikm, NH * 8));
}

async function generateEphemeral() {
  const pair = await subtle.generateKey(P256, false, ["deriveBits"]);
  const publicKeyRaw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKeyRaw };
}

async function keySchedule(sharedSecret, info) {
  const { zeroSalt, pskIdHash, secretIkm } = await constantKeys();
  const infoHash = new Uint8Array(await subtle.sign("HMAC", zeroSalt, labeledIkm(HPKE_SUITE_ID, "info_hash", info)));
  const context = concat(u8(MODE_BASE), pskIdHash, infoHash);
  // secret = LabeledExtract(shared_secret, "secret", psk); key and base_nonce expand it.
  const hkdf = (label, length) => ({ name: "HKDF", hash: "SHA-256", salt: sharedSecret, info: labeledInfo(HPKE_SUITE_ID, label, context, length) });
  const [key, baseNonce] = await Promise.all([
    subtle.deriveKey(hkdf("key", NK), secretIkm, { name: "AES-GCM", length: NK * 8 }, false, ["encrypt", "decrypt"]),
    subtle.deriveBits(hkdf("base_nonce", NN), secretIkm, NN * 8).then((bits) => new Uint8Array(bits)),
  ]);
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
