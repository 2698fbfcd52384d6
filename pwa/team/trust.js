// The trust key holder's screen (docs/trust-key.md): bring the school's trust key to this device from
// its backup, read each change the server proposes to the team's keyring and sign it here, give a
// person a code that sets up their device, make a new backup (for a new stick, or for a successor),
// and remove the key from this device.

import { OfflineError } from "../common/api.js";
import { equal } from "../common/bytes.js";
import { get, remove } from "../common/db.js";
import { $, droppedText, el } from "../common/dom.js";
import { KeyringError, keyringExpired, keyringExpiry } from "../common/keyring.js";
import { DraftError, readDraft, signAndPublish } from "./approvals.js";
import { IssueError, issueCode, listPeople } from "./issued-codes.js";
import { roleName } from "./keyring-changes.js";
import { hideRecoverySheet, showRecoverySheet } from "./recovery-sheet.js";
import { PENDING_KEY, passphraseProblem } from "./school-setup.js";
import {
  TrustKeyError, backupPublicKey, fingerprint, forgetTrustKey, holdTrustKey, loadTrustKey, readBackup, writeBackup,
} from "./trust-key.js";

const MESSAGES = {
  backup_invalid: "That is not a Lantern trust key backup: paste the whole text, from { to }, or choose the file again.",
  wrong_passphrase: "That passphrase does not open this backup (or the backup was changed). Check it, letter by letter.",
  key_mismatch: "This backup is damaged: the key inside is not the one it names. Use another copy.",
  another_school: "This backup holds another trust key than your school's (its fingerprint differs). Use your school's.",
};

const trust = { ctx: null, held: null, draft: null, forgetting: false, people: [] };

function say(id, text) {
  $(id).textContent = text;
}

function day(date) {
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
}

export async function openTrust(ctx) {
  trust.ctx = ctx;
  trust.forgetting = false;
  $("trust-forget").textContent = "Remove the trust key from this device";
  say("trust-error", "");
  hideRecoverySheet();
  say("trust-fingerprint", await fingerprint(ctx.enrolment.trustPublicKeyRaw));
  trust.held = await loadTrustKey(ctx.db, ctx.profile.id, ctx.key);
  $("trust-restore").hidden = !!trust.held;
  $("trust-held").hidden = !trust.held;
  if (!trust.held) {
    say("trust-state", "This device does not hold the school's trust key.");
    const pending = await get(ctx.db, "settings", PENDING_KEY);
    // The backup made on this device when the school was set up, if it is this school's key.
    if (pending && equal(backupPublicKey(pending.backupText).publicKeyRaw, ctx.enrolment.trustPublicKeyRaw)) {
      $("trust-backup-text").value = pending.backupText;
      say("trust-state", "This device made the school's trust key before you were enrolled: type its passphrase to take it.");
    }
    document.body.dataset.trustKey = "absent";
    return;
  }
  say("trust-state", "This device holds the school's trust key, sealed under your PIN.");
  document.body.dataset.trustKey = "held";
  await loadDraft().catch(offline);
  await loadPeople().catch(offline);
}

function offline(e) {
  if (!(e instanceof OfflineError)) throw e;
  say("trust-error", "No network: the changes waiting for your signature come from the server. Try again when this device is online.");
}

export function closeTrust() {
  trust.held = null; // the key's bytes leave the page with the screen
  trust.draft = null;
  $("trust-backup-text").value = "";
  $("trust-passphrase").value = "";
  $("code-made").hidden = true; // a code is not left on the screen for whoever picks the device up
  say("code-text", "");
  hideRecoverySheet();
}

async function loadDraft() {
  trust.draft = null;
  $("trust-sign").hidden = true;
  $("trust-changes").textContent = "";
  let draft;
  try {
    draft = await readDraft(trust.ctx);
  } catch (e) {
    if (e instanceof DraftError) say("trust-error", `The server did not give the next version (${e.code}). Try again later.`);
    else if (e instanceof KeyringError) say("trust-error", `The server's draft does not check (${e.message}). Do not sign it: tell your Lantern administrator.`);
    else throw e;
    return;
  }
  const { held, content, changes } = draft;
  const expiry = keyringExpiry(held);
  say("trust-current", `Devices hold version ${held.version} of the team's list` + (expiry
    ? (keyringExpired(held) ? `, out of date since ${day(expiry)}: sign the next version now.` : `, current until ${day(expiry)}.`)
    : "."));
  for (const c of changes) {
    $("trust-changes").appendChild(el("li", { class: `change-${c.change}`, "data-what": c.what, "data-vouched": String(!!c.vouched) }, c.text));
  }
  if (!changes.length) $("trust-changes").appendChild(el("li", {}, "No changes: signing renews the list for 30 days."));
  trust.draft = content;
  const signable = changes.some((c) => c.change !== "left-out");
  $("trust-sign").textContent = signable ? `Sign version ${content.version} and publish it` : `Renew: sign version ${content.version}`;
  $("trust-sign").hidden = false;
}

async function sign() {
  if (!trust.held || !trust.draft) return;
  let accepted;
  try {
    accepted = await signAndPublish(trust.ctx, trust.held.signingKey, trust.draft);
  } catch (e) {
    if (!(e instanceof DraftError)) throw e;
    say("trust-error", `The server did not publish it (${e.message}).`);
    return;
  }
  say("trust-state", `Version ${accepted.version} is signed and published: devices take it at their next sync.`);
  document.body.dataset.trustSigned = String(accepted.version);
  if (trust.ctx.refresh) trust.ctx.refresh();
  await loadDraft().catch(offline);
}

// --- Codes that set up a person's device, made here

async function loadPeople() {
  trust.people = await listPeople(trust.ctx.device).catch((e) => {
    if (e instanceof IssueError) return [];
    throw e;
  });
  const select = $("code-person");
  select.textContent = "";
  trust.people.forEach((p, i) => select.appendChild(el("option", { value: String(i) }, `${p.name} (${roleName(p.role)})`)));
  $("code-form").hidden = !trust.people.length;
}

async function makeCode(event) {
  event.preventDefault();
  const person = trust.people[Number($("code-person").value)];
  if (!person) return;
  say("trust-error", "");
  $("code-made").hidden = true;
  let code;
  try {
    code = await issueCode(trust.ctx, person);
  } catch (e) {
    if (!(e instanceof IssueError)) throw e;
    say("trust-error", `The server did not take the code (${e.code}). Try again later.`);
    return;
  }
  say("code-for", `${person.name} (${roleName(person.role)})`);
  say("code-until", new Date(code.expiresAt).toLocaleString("en-GB", { dateStyle: "long", timeStyle: "short" }));
  say("code-text", code.text);
  $("code-link").href = code.link;
  say("code-link", code.link);
  $("code-made").hidden = false;
  document.body.dataset.codeIssued = code.text;
}

async function restore(event) {
  event.preventDefault();
  const { db, profile, key } = trust.ctx;
  say("trust-error", "");
  $("trust-restore-submit").disabled = true;
  try {
    const pair = await readBackup($("trust-backup-text").value, $("trust-passphrase").value);
    await holdTrustKey(db, profile, key, pair);
    await remove(db, "settings", PENDING_KEY);
  } catch (e) {
    if (!(e instanceof TrustKeyError)) throw e;
    say("trust-error", MESSAGES[e.code] || e.message);
    return;
  } finally {
    $("trust-restore-submit").disabled = false;
  }
  $("trust-passphrase").value = "";
  $("trust-backup-text").value = "";
  await openTrust(trust.ctx);
}

async function newBackup(event) {
  event.preventDefault();
  const passphrase = $("trust-new-passphrase").value;
  const problem = passphraseProblem(passphrase, $("trust-new-passphrase-again").value);
  say("trust-error", problem);
  if (problem || !trust.held) return;
  const text = await writeBackup(trust.held, passphrase);
  $("trust-new-passphrase").value = "";
  $("trust-new-passphrase-again").value = "";
  await showRecoverySheet("trust-sheet-place", text, trust.ctx.enrolment.school.name);
}

// Two presses, the second after being told what it means: a device that holds the only copy would
// leave the school unable to change its team.
async function forget() {
  if (!trust.forgetting) {
    trust.forgetting = true;
    $("trust-forget").textContent = "Press again to remove it: only once another device or a backup you have tested holds it";
    return;
  }
  await forgetTrustKey(trust.ctx.db, trust.ctx.profile.id);
  closeTrust();
  await openTrust(trust.ctx);
  say("trust-state", "The trust key is no longer on this device.");
}

export function listenTrust(report) {
  $("trust-sign").addEventListener("click", () => sign().catch(offline).catch(report));
  $("code-form").addEventListener("submit", (event) => makeCode(event).catch(offline).catch(report));
  $("trust-restore").addEventListener("submit", (event) => restore(event).catch(report));
  $("trust-backup-form").addEventListener("submit", (event) => newBackup(event).catch(report));
  $("trust-forget").addEventListener("click", () => forget().catch(report));
  $("trust-backup-text").addEventListener("dragover", (event) => event.preventDefault());
  $("trust-backup-text").addEventListener("drop", async (event) => {
    const text = await droppedText(event);
    if (text !== null) $("trust-backup-text").value = text;
  });
}
