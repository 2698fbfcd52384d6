// Talking to the server (docs/protocol.md, "Authenticated requests"). Every request after
// enrolment is signed with the device key; every answer is {status, body}, and only a network
// failure throws (OfflineError), so callers decide what each status means for them.

import { ascii, toBase64, toHex } from "./bytes.js";
import { learnFrom, serverSeconds } from "./clock.js";

const REQUEST_LABEL = "lantern-request-v1";
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
const EMPTY = new Uint8Array(0);

// No answer at all: no network, the server down, or the connection cut. Always worth a retry.
export class OfflineError extends Error {
  constructor(cause) {
    super("no answer from the server: " + cause.message);
    this.name = "OfflineError";
  }
}

// The four Lantern-* headers for one request. `device` is {keyId (hex), privateKey (CryptoKey)};
// `bodyBytes` are exactly the bytes that will be sent; `date` is Unix seconds.
async function requestHeaders(device, method, pathAndQuery, bodyBytes, date) {
  const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const bodyHash = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bodyBytes)));
  const message = ascii([REQUEST_LABEL, method, pathAndQuery, String(date), nonce, bodyHash].join("\n"));
  const signature = new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, device.privateKey, message));
  return {
    "Lantern-Device": device.keyId,
    "Lantern-Date": String(date),
    "Lantern-Nonce": nonce,
    "Lantern-Signature": toBase64(signature),
  };
}

function encodeBody(bodyObject) {
  return bodyObject === null || bodyObject === undefined ? null : new TextEncoder().encode(JSON.stringify(bodyObject));
}

async function send(method, path, headers, bodyBytes) {
  const init = { method, headers, cache: "no-store" };
  if (bodyBytes) {
    headers["Content-Type"] = "application/json";
    init.body = bodyBytes;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new OfflineError(e); // fetch rejects only when there is no answer at all
  }
  await learnFrom(response);
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null; // an empty or non-JSON answer: the status still says what happened
  }
  return { status: response.status, body };
}

// For the two requests a device makes before it has a key the server knows: enrolment and,
// in the demo, asking for a code.
export function plainFetch(method, path, bodyObject) {
  return send(method, path, {}, encodeBody(bodyObject));
}

function isStale(answer) {
  return answer.status === 401 && answer.body !== null && answer.body.error === "stale_request";
}

export async function signedFetch(device, method, pathAndQuery, bodyObject) {
  const bodyBytes = encodeBody(bodyObject);
  const attempt = async () => {
    const headers = await requestHeaders(device, method, pathAndQuery, bodyBytes || EMPTY, serverSeconds());
    return send(method, pathAndQuery, headers, bodyBytes);
  };
  const answer = await attempt();
  // send() has already moved the clock to the refusal's `Date`; a fresh date and nonce go again once.
  return isStale(answer) ? attempt() : answer;
}

// The error code of a refusal, for display and for the outbox's marks.
export function errorCode(answer) {
  return answer.body && typeof answer.body.error === "string" ? answer.body.error : "http_" + answer.status;
}
