// One-time enrolment codes, as sync/codes.py (docs/protocol.md, "Enrolment"): read as a person types
// them, made by the trust key holder's app, and the two values a device makes from the secret. The
// token is what the server checks; the approval, over the device's key, is what only the code's
// issuer can check, so the secret itself never leaves the device that types it.

import { ascii, concat, readU32, toBase32, fromBase32, u32 } from "./bytes.js";

export const SECRET_LENGTH = 10;
const FINGERPRINT_LENGTH = 10;
const VERSION_LENGTH = 4;
const OLD_CODE_LENGTH = SECRET_LENGTH + FINGERPRINT_LENGTH; // codes from before the version: no version, no check
const CODE_LENGTH = OLD_CODE_LENGTH + VERSION_LENGTH + 1;
const TOKEN_LABEL = ascii("lantern-enrol-token-v1");
const APPROVAL_LABEL = ascii("lantern-enrol-approval-v1");

export class CodeError extends Error {
  constructor(message) {
    super(message);
    this.name = "CodeError";
    this.code = "code_malformed";
  }
}

// CRC-8, polynomial 0x07: the code's last byte, so that a mistyped character is caught on the device,
// before anything is sent.
function crc8(bytes) {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

// People type codes from paper and links get mangled, so case, spaces and dashes do not count.
// {secret, fingerprint, minKeyringVersion}, or a CodeError.
export function parseCode(text) {
  const compact = String(text).replace(/[\s-]/g, "").toUpperCase();
  let bytes = null;
  try {
    bytes = fromBase32(compact);
  } catch (e) {
    bytes = null;
  }
  if (!bytes || (bytes.length !== CODE_LENGTH && bytes.length !== OLD_CODE_LENGTH)) throw new CodeError("not a code");
  const code = { secret: bytes.slice(0, SECRET_LENGTH), fingerprint: bytes.slice(SECRET_LENGTH, OLD_CODE_LENGTH), minKeyringVersion: 0 };
  if (bytes.length === OLD_CODE_LENGTH) return code;
  if (crc8(bytes.slice(0, -1)) !== bytes[bytes.length - 1]) throw new CodeError("mistyped");
  code.minKeyringVersion = readU32(bytes, OLD_CODE_LENGTH);
  return code;
}

// "ABCD-EFGH-…": ten groups of four, as `lantern admin code issue` prints them.
export function formatCode({ secret, fingerprint, minKeyringVersion }) {
  const body = concat(secret, fingerprint, u32(minKeyringVersion));
  return toBase32(concat(body, Uint8Array.of(crc8(body)))).match(/.{1,4}/g).join("-");
}

export async function fingerprintOf(trustPublicKeyRaw) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", trustPublicKeyRaw)).slice(0, FINGERPRINT_LENGTH);
}

async function hmac(secret, message) {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

export async function codeToken(secret) {
  return (await hmac(secret, TOKEN_LABEL)).slice(0, SECRET_LENGTH);
}

export function codeApproval(secret, devicePublicKeyRaw) {
  return hmac(secret, concat(APPROVAL_LABEL, devicePublicKeyRaw));
}
