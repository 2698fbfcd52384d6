// Byte helpers shared by the crypto modules. Plain ES2017 on purpose: the PWA must run in old-ish
// tablet browsers, so no BigInt, no Uint8Array.toHex/fromBase64, no optional chaining.

export function concat(...parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

// Not constant-time: use only on public data (key ids, magic), never to compare secrets or tags.
export function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Lexicographic byte order, as the envelope sorts its stanzas by key id.
export function compare(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function ascii(text) {
  return new TextEncoder().encode(text);
}

export function toHex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}

// "1a2b 3c4d 5e6f": hex as people compare it aloud, in groups of four.
export function inFours(hex) {
  return hex.replace(/(.{4})(?!$)/g, "$1 ");
}

export function fromHex(hex) {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError("invalid hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

// Standard base64 with padding: what msgspec writes for bytes in JSON.
export function toBase64(bytes) {
  // String.fromCharCode.apply has an argument-count limit, so go in chunks (envelopes reach 1 MB).
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_LETTERS = /^[A-Za-z0-9+/]*={0,2}$/;

export function fromBase64(text) {
  // The browser's own decoder where it has one (Chromium 140, Safari 18.2, Firefox 133): a tenth of the
  // time of the loop below for an envelope (bench/triage.py). Told to be strict about padding, it still
  // skips whitespace, which the wire format has none of: a plain scan of the letters keeps it out.
  if (typeof Uint8Array.fromBase64 === "function") {
    if (text.length % 4 !== 0 || !BASE64_LETTERS.test(text)) throw new TypeError("invalid base64");
    try {
      return Uint8Array.fromBase64(text, { lastChunkHandling: "strict" });
    } catch (e) {
      throw new TypeError("invalid base64");
    }
  }
  // atob is lenient (whitespace, missing padding); the wire format is not, so check first.
  if (!BASE64.test(text)) throw new TypeError("invalid base64");
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// RFC 4648 base32, upper case, no padding: the alphabet of enrolment codes, chosen because it has
// no 0/O or 1/I pairs to misread from paper. Strict here; enrol.js forgives case, spaces and dashes.
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function toBase32(bytes) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = ((value << 8) | bytes[i]) & 0xfff; // at most 12 bits are ever pending
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function fromBase32(text) {
  // Only whole bytes with zero spare bits are accepted, so every byte string has one encoding.
  if (!/^[A-Z2-7]*$/.test(text) || [1, 3, 6].indexOf(text.length % 8) !== -1) {
    throw new TypeError("invalid base32");
  }
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    value = ((value << 5) | BASE32.indexOf(text[i])) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) throw new TypeError("invalid base32");
  return out;
}

export function u8(n) {
  return Uint8Array.of(n);
}

export function u16(n) {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

export function u32(n) {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

export function readU32(bytes, offset) {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuidToBytes(uuid) {
  if (!UUID.test(uuid)) throw new TypeError("invalid UUID: " + uuid);
  return fromHex(uuid.replace(/-/g, ""));
}

export function uuidFromBytes(bytes) {
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// RFC 9562 UUIDv7: 48-bit Unix time in ms, version 7, variant 10, 74 random bits.
export function uuidv7() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  // Division instead of shifts: the timestamp needs 48 bits and JS shifts work on 32.
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  return uuidFromBytes(bytes);
}
