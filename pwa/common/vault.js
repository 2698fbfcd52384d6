// What one person keeps on this device for themselves (a draft, their own copy of a note they saved),
// encrypted under their profile key (pwa/common/profiles.js), so it is ciphertext in IndexedDB and
// readable only after their own unlock:
//
//   sealed = { iv: random(12), data: AES-256-GCM(profile key, iv, aad, pad(UTF-8 JSON of the value)) }
//   aad    = "lantern-local-v1" || 0x00 || kind || 0x00 || id
//
// The additional data names what the value is and whose or which it is, so that a ciphertext moved
// to another record (another person's draft, another note's copy) fails to open instead of showing
// the wrong thing. Padding is the envelope's (docs/envelope.md), so a draft's size says little about
// how much has been typed.

import { ascii, concat, fromBase64, toBase64 } from "./bytes.js";
import { pad, unpad } from "./envelope.js";

const LABEL = "lantern-local-v1";

function aad(kind, id) {
  return concat(ascii(LABEL), new Uint8Array([0]), ascii(kind), new Uint8Array([0]), ascii(id));
}

export function sealLocal(key, kind, id, value) {
  return sealPadded(key, kind, id, pad(new TextEncoder().encode(JSON.stringify(value))));
}

// A value that holds many records (team/inbox.js keeps what a page of them said as one) can pass the
// envelope's largest bucket, 1 MiB: it is padded to a multiple of 4 KiB instead, the same layout,
// which gives the whole one's size to within 4 KiB and nothing of any one record's. openLocal opens it.
const MANY_STEP = 4096;

export function sealLocalMany(key, kind, id, value) {
  const content = new TextEncoder().encode(JSON.stringify(value));
  return sealPadded(key, kind, id, pad(content, Math.ceil((4 + content.length) / MANY_STEP) * MANY_STEP));
}

async function sealPadded(key, kind, id, plain) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(kind, id) }, key, plain));
  return { iv, data };
}

// Resolves with the value; rejects when the key, the kind or the id is not the one it was sealed with.
export async function openLocal(key, kind, id, sealed) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv, additionalData: aad(kind, id) }, key, sealed.data);
  return JSON.parse(new TextDecoder().decode(unpad(new Uint8Array(plain))));
}

// A private key kept under the profile key, so that it is usable only after its owner's unlock. It is
// made extractable only to be sealed here, once, and comes back non-extractable: exportKey refuses it.
// `kind` and `id` bind it as for any value above (say "recipient-key" and the device key id).
export async function sealPrivateKey(key, kind, id, privateKey) {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey));
  return sealLocal(key, kind, id, toBase64(pkcs8));
}

// Resolves with an ECDH P-256 private key for deriveBits (HPKE's DH); rejects as openLocal does.
export async function openPrivateKey(key, kind, id, sealed) {
  const pkcs8 = fromBase64(await openLocal(key, kind, id, sealed));
  return crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
}
