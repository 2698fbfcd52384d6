// Urgent alerts on this device, by Web Push (docs/protocol.md, "Push subscriptions and urgent alerts"):
// a team member asks for them with a button (browsers allow the permission prompt only from a tap,
// and asking unprompted on load teaches people to say no), the browser subscribes with the server's
// VAPID key, and the device registers the subscription in a signed request. It registers again each
// time the app opens and whenever the service worker says the browser changed it, which heals a
// subscription the server dropped.

import { errorCode, plainFetch, signedFetch } from "../common/api.js";

// pushManager.subscribe() can wait for ever (no push service reachable; a headless browser): after
// this long, the person is told it did not work rather than left watching a button.
const TIMEOUT_MS = 15000;

export class PushError extends Error {
  // code: unsupported, denied, dismissed, timeout, failed, no_key, or the server's error code.
  constructor(code) {
    super(code);
    this.name = "PushError";
    this.code = code;
  }
}

export function pushSupported() {
  return typeof window !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

// "granted", "denied" or "default" (not asked yet); "unsupported" without the Push API.
export function permission() {
  return pushSupported() ? Notification.permission : "unsupported";
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new PushError("timeout")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

// Older Safari takes a callback and returns nothing; the others return a promise.
function requestPermission() {
  return new Promise((resolve) => {
    const answer = Notification.requestPermission(resolve);
    if (answer && typeof answer.then === "function") answer.then(resolve, () => resolve("default"));
  });
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// The server's VAPID public key, the applicationServerKey (65 bytes).
async function serverKey() {
  const answer = await plainFetch("GET", "/api/v1/push/key", null);
  if (answer.status !== 200 || !answer.body || typeof answer.body.public_key !== "string") throw new PushError("no_key");
  return fromBase64Url(answer.body.public_key);
}

function sameBytes(a, b) {
  if (!a || !b) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

async function registration() {
  return withTimeout(navigator.serviceWorker.ready, TIMEOUT_MS);
}

// Tells the server where to push for this device (the subscription's toJSON(): endpoint and keys).
export async function registerSubscription(device, subscription) {
  const answer = await signedFetch(device, "POST", "/api/v1/push/subscriptions", subscription.toJSON());
  if (answer.status !== 200) throw new PushError(errorCode(answer));
}

async function subscribeWith(reg, key) {
  try {
    return await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), TIMEOUT_MS);
  } catch (e) {
    if (e instanceof PushError) throw e;
    throw new PushError("failed"); // the browser refused (no push service, a private window...)
  }
}

// From the button: asks permission, subscribes and registers. Throws PushError; OfflineError with no
// network (then nothing is registered, and the person is asked to try again).
export async function enableAlerts(device) {
  if (!pushSupported()) throw new PushError("unsupported");
  const answer = await requestPermission();
  if (answer !== "granted") throw new PushError(answer === "denied" ? "denied" : "dismissed");
  const reg = await registration();
  const subscription = await subscribeWith(reg, await serverKey());
  await registerSubscription(device, subscription);
}

// The browser's subscription for this app, or null (none, no Push API, or no answer in time).
export async function currentSubscription() {
  if (!pushSupported()) return null;
  try {
    const reg = await registration();
    return await withTimeout(reg.pushManager.getSubscription(), TIMEOUT_MS);
  } catch (e) {
    return null;
  }
}

// On each opening, and when the service worker reports a change: registers the browser's current
// subscription again; one made for another server key (the server's VAPID key was replaced) is
// replaced first, which needs no prompt once permission is granted. Resolves true when this device
// is registered for alerts, false when it has no subscription; throws PushError or OfflineError.
export async function renewAlerts(device) {
  if (permission() !== "granted") return false;
  let subscription = await currentSubscription();
  if (!subscription) return false;
  const key = await serverKey();
  const options = subscription.options || {};
  if (options.applicationServerKey && !sameBytes(options.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = await subscribeWith(await registration(), key);
  }
  await registerSubscription(device, subscription);
  return true;
}

// From the button: the browser forgets the subscription and the server stops pushing here. With no
// network the server keeps it until it next pushes: the push service then answers 410 and the server
// drops it (docs/alerts.md), so nothing more is needed.
export async function disableAlerts(device) {
  const subscription = await currentSubscription();
  if (subscription) await subscription.unsubscribe();
  const answer = await signedFetch(device, "DELETE", "/api/v1/push/subscriptions", null);
  if (answer.status !== 200) throw new PushError(errorCode(answer));
}
