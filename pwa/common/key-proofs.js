// A device's word that a key it registers is its own (sync/key_proofs.py; docs/protocol.md,
// "Approved devices"): its signature over the key, which a reader checks against a device the
// school's trust key approved, rather than believe the server's word on whose key it is.
//
//   proof = ECDSA-P256-SHA256(device_sk, label || school_id (16 bytes) || public_key (65 bytes))

import { ascii, concat, fromBase64, toHex, uuidToBytes } from "./bytes.js";

export const ROSTER_KEY = "lantern-roster-key-v1";
export const RECIPIENT_KEY = "lantern-recipient-key-v1";
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };

function message(label, schoolId, publicKeyRaw) {
  return concat(ascii(label), uuidToBytes(schoolId), publicKeyRaw);
}

export async function proveKey(device, label, schoolId, publicKeyRaw) {
  return new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, device.privateKey, message(label, schoolId, publicKeyRaw)));
}

// Whether `proof` (base64) is the signature of the device whose public key is `devicePublicKey`
// (base64), and that device is one of `approved` (a Set of device key ids): false for anything else.
export async function keyProven(approved, devicePublicKey, label, schoolId, publicKeyRaw, proof) {
  try {
    const deviceRaw = fromBase64(devicePublicKey);
    const keyId = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", deviceRaw)));
    if (!approved.has(keyId)) return false;
    const verifier = await crypto.subtle.importKey("raw", deviceRaw, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    return await crypto.subtle.verify(ECDSA_SHA256, verifier, fromBase64(proof), message(label, schoolId, publicKeyRaw));
  } catch (e) {
    return false; // a key or proof that cannot even be read proves nothing
  }
}
