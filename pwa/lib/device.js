// This device's identity: an ECDSA P-256 key pair made here, whose private half cannot be exported,
// and its enrolment in a school (the school and the keyring of its safeguarding team).

import { toBase64, fromBase64 } from "./bytes.js";
import { get, put } from "./db.js";

export async function loadOrCreateDevice(db) {
  const existing = await get(db, "settings", "device");
  if (existing) return existing;
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const device = {
    privateKey: pair.privateKey, // a non-extractable CryptoKey: IndexedDB keeps it, nobody can read it
    publicKeyRaw: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
  };
  await put(db, "settings", device, "device");
  return device;
}

export function loadEnrolment(db) {
  return get(db, "settings", "enrolment");
}

// DEMO ONLY: the demo school lets any device in. Real schools enrol with a one-time code.
export async function enrolInDemoSchool(db, device) {
  const response = await fetch("/api/v1/demo/enrol", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ device_public_key: toBase64(device.publicKeyRaw) }),
  });
  if (!response.ok) throw new Error(`enrolment refused (${response.status})`);
  const body = await response.json();
  const enrolment = {
    school: body.school,
    deviceKeyId: body.device_key_id,
    recipients: body.keyring.recipients.map((r) => ({
      keyId: r.key_id, role: r.role, name: r.name, publicKeyRaw: fromBase64(r.public_key),
    })),
  };
  await put(db, "settings", enrolment, "enrolment");
  return enrolment;
}
