// The next keyring, as the trust key holder's app reads and signs it (docs/trust-key.md, "Signing in
// the app"): the server's draft checked against the keyring held, a key no approved device proved
// left out, the changes listed, and the devices this app's own codes set up marked as such. When those
// devices (and the reader keys they made) are all a draft adds, or the keyring held is about to
// expire, the app signs it at its sync without asking again: the holder chose whom each code was for
// when they gave it, and renewing changes nothing (The Update Framework's timestamp role, renewed
// while it is used).

import { errorCode, signedFetch } from "../common/api.js";
import { acceptKeyring, checkKeyring, keyringExpiry, loadKeyring, refreshKeyring, KeyringError } from "../common/keyring.js";
import { holdsCodes, loadIssued, vouchedDevices } from "./issued-codes.js";
import { checkDraft, keyringChanges, leaveOutUnproven } from "./keyring-changes.js";
import { dated, loadTrustKey, signKeyring } from "./trust-key.js";

const RENEW_BEFORE_MS = 7 * 86400000;

export class DraftError extends Error {
  constructor(code, detail = "") {
    super(detail ? `${code}: ${detail}` : code);
    this.name = "DraftError";
    this.code = code;
  }
}

// {held (the keyring this device holds, newest first fetched), content (what to sign), changes}.
// Throws DraftError when the server gives no draft, KeyringError when its draft does not check.
export async function readDraft(ctx) {
  const { db, device, profile, key, enrolment } = ctx;
  await refreshKeyring(db, profile).catch((e) => { if (!(e instanceof KeyringError)) throw e; });
  const held = await loadKeyring(db, profile.id);
  const answer = await signedFetch(device, "GET", "/api/v1/keyring/draft", null);
  if (answer.status !== 200) throw new DraftError(errorCode(answer));
  const checked = await checkDraft(answer.body, held, enrolment.school.id);
  const sources = answer.body.sources || [];
  const proven = await leaveOutUnproven(held.content, checked, sources, enrolment.school.id);
  const vouched = await vouchedDevices(await loadIssued(db, profile.id, key), proven.content, answer.body.devices || []);
  const changes = keyringChanges(held.content, proven.content, sources, vouched).concat(proven.leftOut);
  return { held, content: proven.content, changes };
}

// Signs `content` with the trust key, checks it as every device will, publishes it, and takes it
// here. Resolves with the keyring taken; throws DraftError when the server refuses it.
export async function signAndPublish(ctx, signingKey, content) {
  const { db, device, profile, enrolment } = ctx;
  const signed = await signKeyring(signingKey, dated(content));
  await checkKeyring(enrolment.trustPublicKeyRaw, enrolment.school.id, signed);
  const answer = await signedFetch(device, "POST", "/api/v1/keyring", signed);
  if (answer.status !== 200) throw new DraftError(errorCode(answer), answer.body && answer.body.detail ? answer.body.detail : "");
  return acceptKeyring(db, profile, signed);
}

function expiresSoon(held, now = Date.now()) {
  const expiry = keyringExpiry(held);
  return !!expiry && expiry.getTime() - now < RENEW_BEFORE_MS;
}

// At a sync of the holder's device: signs the draft if nothing in it needs the holder's eye.
// Resolves with {keyring, changes} when it signed one, {waiting: changes} when some of its changes
// wait for the holder to read them, otherwise null.
export async function signUnattended(ctx) {
  if (!(await holdsCodes(ctx.db, ctx.profile.id)) && !expiresSoon(await loadKeyring(ctx.db, ctx.profile.id))) return null;
  const holder = await loadTrustKey(ctx.db, ctx.profile.id, ctx.key);
  if (!holder) return null;
  const { held, content, changes } = await readDraft(ctx);
  const signing = changes.filter((c) => c.change !== "left-out");
  if (signing.some((c) => !c.vouched)) return { waiting: signing };
  if (!signing.length && !expiresSoon(held)) return null;
  return { keyring: await signAndPublish(ctx, holder.signingKey, content), changes: signing };
}
