// The Lantern envelope, version 1: docs/envelope.md is the contract, sync/envelope.py its twin.
// Open checks run in the spec's order and stop at the first failure, so both implementations
// report the same error code for the same bytes.

import {
  ascii, compare, concat, equal, readU32, toHex, u32, u8, uuidFromBytes, uuidToBytes,
} from "./bytes.js";
import { openBase, sealBase } from "./hpke.js";

const subtle = crypto.subtle;

const MAGIC = ascii("LNTN");
const VERSION = 1;
const FLAG_URGENT = 0x01;
const FIXED_LENGTH = 71; // magic .. recipient_count
const STANZA_LENGTH = 145; // key id 32 || enc 65 || wrapped key 48
const KEY_ID_LENGTH = 32;
const ENC_LENGTH = 65;
const MAX_RECIPIENTS = 16;
const TAG_LENGTH = 16;
const SIGNATURE_LENGTH = 64;
const MIN_BUCKET = 4096;
const MAX_BUCKET = 1 << 20;
export const MAX_CONTENT_LENGTH = MAX_BUCKET - 4;
const MAX_ENVELOPE_LENGTH =
  FIXED_LENGTH + STANZA_LENGTH * MAX_RECIPIENTS + 4 + MAX_BUCKET + TAG_LENGTH + SIGNATURE_LENGTH;

const WRAP_LABEL = ascii("lantern-envelope-v1/wrap");
const SIGNATURE_LABEL = ascii("lantern-envelope-v1/signature");
const RECEIPT_LABEL = ascii("lantern-envelope-v1/receipt");
const ZERO_NONCE = new Uint8Array(12);
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
// The P-256 group order n, big-endian.
const P256_N = Uint8Array.of(
  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
);

export class EnvelopeError extends Error {
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = "EnvelopeError";
    this.code = code;
  }
}

export async function keyId(publicKeyRaw) {
  return new Uint8Array(await subtle.digest("SHA-256", publicKeyRaw));
}

// A team device opens thousands of envelopes from a few dozen devices: each public key's id, and its
// imported verifying key, are worked out once, not once per envelope (bench/triage.py).
const KEYS_KEPT = 1024;
const byPublicKey = new Map();
function knownKey(publicKeyRaw) {
  const hex = toHex(publicKeyRaw);
  let known = byPublicKey.get(hex);
  if (!known) {
    if (byPublicKey.size >= KEYS_KEPT) byPublicKey.clear();
    known = { id: keyId(publicKeyRaw), verifier: null };
    byPublicKey.set(hex, known);
  }
  return known;
}

function verifierOf(publicKeyRaw) {
  const known = knownKey(publicKeyRaw);
  known.verifier = known.verifier || subtle.importKey("raw", publicKeyRaw, ECDSA, false, ["verify"]);
  return known.verifier;
}

// --- Padding: hide the note's length inside a power-of-two bucket of at least 4 KiB.

export function bucket(n) {
  if (4 + n > MAX_BUCKET) throw new RangeError("content too long to seal");
  let size = MIN_BUCKET;
  while (size < 4 + n) size *= 2;
  return size;
}

// `size` is the bucket's unless a caller pads to a size of its own (common/vault.js, for many records).
export function pad(content, size = bucket(content.length)) {
  const padded = new Uint8Array(size);
  padded.set(u32(content.length), 0);
  padded.set(content, 4);
  return padded;
}

export function unpad(padded) {
  const n = readU32(padded, 0);
  if (n > padded.length - 4) throw new EnvelopeError("bad_padding", "length prefix too large");
  for (let i = 4 + n; i < padded.length; i++) {
    if (padded[i] !== 0) throw new EnvelopeError("bad_padding", "non-zero padding byte");
  }
  return padded.slice(4, 4 + n);
}

function wrapInfo(schoolId, recordId, recipientKeyId) {
  return concat(WRAP_LABEL, u8(VERSION), schoolId, recordId, recipientKeyId);
}

function isUuidV7(bytes) {
  return bytes[6] >> 4 === 7 && bytes[8] >> 6 === 2;
}

// --- Sealing

// A random key id, a real ephemeral P-256 point and random bytes: to anyone without the keyring, the
// same as a stanza for a reader.
async function stanzaForNobody() {
  const id = crypto.getRandomValues(new Uint8Array(KEY_ID_LENGTH));
  const ephemeral = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const enc = new Uint8Array(await subtle.exportKey("raw", ephemeral.publicKey));
  return { id, bytes: concat(id, enc, crypto.getRandomValues(new Uint8Array(48))) };
}

// The envelope alone: what every sealer but a note's author needs (see sealKeepingKey).
export async function seal(fields) {
  return (await sealKeepingKey(fields)).envelope;
}

// The envelope and its content key, which the author keeps only to check a reader's receipt
// (receiptProof) and must never use to encrypt anything else. With `stanzasAtLeast`, stanzas for
// nobody are added up to that many (docs/envelope.md, "Padding the recipients").
export async function sealKeepingKey({
  content, schoolId, recordId, recipients, authorPrivateKey, authorPublicKeyRaw, urgent = false, stanzasAtLeast = 0,
}) {
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) {
    throw new RangeError(`need 1 to ${MAX_RECIPIENTS} recipients`);
  }
  const school = uuidToBytes(schoolId);
  const record = uuidToBytes(recordId);
  // A reader refuses anything else as malformed, so refuse to make it.
  if (!isUuidV7(record)) throw new RangeError("recordId must be a UUIDv7");
  const padded = pad(content);

  const sorted = [];
  for (const pk of recipients) sorted.push({ pk, id: await keyId(pk) });
  sorted.sort((a, b) => compare(a.id, b.id));
  for (let i = 1; i < sorted.length; i++) {
    if (equal(sorted[i - 1].id, sorted[i].id)) throw new RangeError("duplicate recipient");
  }

  // Fresh for every envelope: the content nonce is fixed at zero, which is safe only because
  // this key encrypts exactly one plaintext.
  const contentKey = crypto.getRandomValues(new Uint8Array(32));
  const stanzas = [];
  for (const { pk, id } of sorted) {
    const { enc, ct } = await sealBase(pk, wrapInfo(school, record, id), new Uint8Array(0), contentKey);
    stanzas.push({ id, bytes: concat(id, enc, ct) });
  }
  while (stanzas.length < Math.min(stanzasAtLeast, MAX_RECIPIENTS)) stanzas.push(await stanzaForNobody());
  stanzas.sort((a, b) => compare(a.id, b.id));

  const header = concat(
    MAGIC, u8(VERSION), u8(urgent ? FLAG_URGENT : 0), school, record,
    await keyId(authorPublicKeyRaw), u8(stanzas.length), ...stanzas.map((s) => s.bytes),
    u32(padded.length + TAG_LENGTH),
  );
  const key = await subtle.importKey("raw", contentKey, "AES-GCM", false, ["encrypt"]);
  const ciphertext = new Uint8Array(await subtle.encrypt(
    { name: "AES-GCM", iv: ZERO_NONCE, additionalData: header }, key, padded,
  ));
  const signature = new Uint8Array(await subtle.sign(
    ECDSA_SHA256, authorPrivateKey, concat(SIGNATURE_LABEL, header, ciphertext),
  ));
  return { envelope: concat(header, ciphertext, signature), contentKey };
}

// What a reader sends to say it opened the envelope (docs/envelope.md, "Receipts"): only someone who
// holds the content key (a recipient who unwrapped it, or the author) can make it, so a server that
// relays it cannot forge one. HKDF-SHA256 with an empty salt, as sync/envelope.py's receipt_proof.
export async function receiptProof(contentKey, recordId) {
  const key = await subtle.importKey("raw", contentKey, "HKDF", false, ["deriveBits"]);
  const info = concat(RECEIPT_LABEL, uuidToBytes(recordId));
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info }, key, 256));
}

// --- Opening: checks 1-4 (framing), 5-6 (author), 7-10 (recipient), in that order.

function malformed(message) {
  return new EnvelopeError("malformed", message);
}

// Checks 1 to 4. Returns the header fields and views of the three parts.
function split(envelope) {
  if (envelope.length < 4 || !equal(envelope.subarray(0, 4), MAGIC)) {
    throw new EnvelopeError("not_an_envelope");
  }
  if (envelope.length < 5 || envelope[4] !== VERSION) throw new EnvelopeError("unsupported_version");
  if (envelope.length > MAX_ENVELOPE_LENGTH) throw new EnvelopeError("too_large");

  if (envelope.length < FIXED_LENGTH) throw malformed("truncated header");
  const flags = envelope[5];
  if (flags & ~FLAG_URGENT) throw malformed("reserved flag bits set");
  const recordId = envelope.slice(22, 38);
  if (!isUuidV7(recordId)) throw malformed("record id is not a UUIDv7");
  const count = envelope[70];
  if (count < 1 || count > MAX_RECIPIENTS) throw malformed("bad recipient count");
  const headerLength = FIXED_LENGTH + STANZA_LENGTH * count + 4;
  if (envelope.length < headerLength) throw malformed("truncated header");

  const stanzas = [];
  for (let i = 0; i < count; i++) {
    const at = FIXED_LENGTH + STANZA_LENGTH * i;
    const stanza = {
      recipientKeyId: envelope.slice(at, at + KEY_ID_LENGTH),
      enc: envelope.slice(at + KEY_ID_LENGTH, at + KEY_ID_LENGTH + ENC_LENGTH),
      wrappedKey: envelope.slice(at + KEY_ID_LENGTH + ENC_LENGTH, at + STANZA_LENGTH),
    };
    if (i > 0 && compare(stanzas[i - 1].recipientKeyId, stanza.recipientKeyId) >= 0) {
      throw malformed("stanzas not strictly ascending");
    }
    if (stanza.enc[0] !== 0x04) throw malformed("enc is not an uncompressed point");
    stanzas.push(stanza);
  }

  const ciphertextLength = readU32(envelope, headerLength - 4);
  const size = ciphertextLength - TAG_LENGTH;
  if (size < MIN_BUCKET || size > MAX_BUCKET || (size & (size - 1)) !== 0) {
    throw malformed("ciphertext length is not a bucket");
  }
  if (envelope.length !== headerLength + ciphertextLength + SIGNATURE_LENGTH) {
    throw malformed("envelope length does not match its header");
  }

  const header = {
    version: VERSION,
    urgent: (flags & FLAG_URGENT) !== 0,
    schoolId: uuidFromBytes(envelope.subarray(6, 22)),
    recordId: uuidFromBytes(recordId),
    authorKeyId: envelope.slice(38, 70),
    recipientKeyIds: stanzas.map((s) => s.recipientKeyId),
    stanzas,
    ciphertextLength,
  };
  return {
    header,
    headerBytes: envelope.subarray(0, headerLength),
    ciphertext: envelope.subarray(headerLength, headerLength + ciphertextLength),
    signature: envelope.subarray(headerLength + ciphertextLength),
  };
}

// Checks 1 to 4 only: the header, unauthenticated. Never act on it without verify().
export function parse(envelope) {
  return split(envelope).header;
}

// 0 < x < n, so a signature with r or s out of range fails here whatever the browser's ECDSA does.
function inScalarRange(x) {
  return x.some((b) => b !== 0) && compare(x, P256_N) < 0;
}

async function checkAuthor(envelope, authorPublicKeyRaw) {
  const parts = split(envelope);
  // No key at all means the reader could not find the device: unknown_author, as the spec says.
  if (!authorPublicKeyRaw || !equal(parts.header.authorKeyId, await knownKey(authorPublicKeyRaw).id)) {
    throw new EnvelopeError("unknown_author");
  }
  const { signature } = parts;
  let valid = inScalarRange(signature.subarray(0, 32)) && inScalarRange(signature.subarray(32));
  if (valid) {
    // The key id matched, so an unimportable key is the author's and nothing can verify under it.
    try {
      const pk = await verifierOf(authorPublicKeyRaw);
      valid = await subtle.verify(
        ECDSA_SHA256, pk, signature, concat(SIGNATURE_LABEL, parts.headerBytes, parts.ciphertext),
      );
    } catch (e) {
      valid = false;
    }
  }
  if (!valid) throw new EnvelopeError("bad_signature");
  return parts;
}

// Checks 1 to 6, what the server runs: well-formed and signed by this author's device.
export async function verify(envelope, authorPublicKeyRaw) {
  return (await checkAuthor(envelope, authorPublicKeyRaw)).header;
}

// All ten checks. recipientPrivateKey is an ECDH P-256 CryptoKey with "deriveBits" (it may be
// non-extractable, hence its public half is passed alongside).
export async function open(envelope, { recipientPrivateKey, recipientPublicKeyRaw, authorPublicKeyRaw }) {
  const { header, headerBytes, ciphertext } = await checkAuthor(envelope, authorPublicKeyRaw);

  const ownId = await knownKey(recipientPublicKeyRaw).id;
  const stanza = header.stanzas.find((s) => equal(s.recipientKeyId, ownId));
  if (!stanza) throw new EnvelopeError("not_a_recipient");

  let contentKey;
  try {
    const info = wrapInfo(headerBytes.subarray(6, 22), headerBytes.subarray(22, 38), ownId);
    contentKey = await openBase(
      recipientPrivateKey, recipientPublicKeyRaw, stanza.enc, info, new Uint8Array(0), stanza.wrappedKey,
    );
  } catch (e) {
    throw new EnvelopeError("unwrap_failed");
  }
  return { header, content: await decryptContent(headerBytes, ciphertext, contentKey), contentKey };
}

async function decryptContent(headerBytes, ciphertext, contentKey) {
  if (contentKey.length !== 32) throw new EnvelopeError("unwrap_failed", "content key is not 32 bytes");
  let padded;
  try {
    const key = await subtle.importKey("raw", contentKey, "AES-GCM", false, ["decrypt"]);
    padded = new Uint8Array(await subtle.decrypt(
      { name: "AES-GCM", iv: ZERO_NONCE, additionalData: headerBytes }, key, ciphertext,
    ));
  } catch (e) {
    throw new EnvelopeError("decrypt_failed");
  }
  return unpad(padded);
}

// An envelope opened with its content key, given by a reader who unwrapped it (a re-seal:
// docs/envelope.md, "Opening with a content key"): every check but the unwrapping, so the author's
// signature still vouches for every byte, and a wrong key fails as decrypt_failed.
export async function openWithKey(envelope, contentKey, authorPublicKeyRaw) {
  const { header, headerBytes, ciphertext } = await checkAuthor(envelope, authorPublicKeyRaw);
  return { header, content: await decryptContent(headerBytes, ciphertext, contentKey) };
}
