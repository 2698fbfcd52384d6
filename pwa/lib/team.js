// The safeguarding team's side of the app, for a person whose role is on the team (the DSL, deputies,
// headteacher, chair of governors). On this device it: makes their own recipient key and proposes it
// to the school (pwa/lib/recipient-key.js); lists the notes sealed to them and opens one on demand,
// which acknowledges it (pwa/lib/inbox.js, pwa/lib/note-view.js); offers urgent alerts by Web Push
// (pwa/lib/push.js); and opens the note an alert is about, whether the service worker tells an open
// window ({type: "alert", record_id}) or opens the app at `/#alert=<record id>` (pwa/sw.js).
//
// app.js calls enterTeam when a person enters the app and syncTeam at each sync, each time with
// `ctx` = {db, device, enrolment, keyring, key (the profile key)} of the person using the app now; for anyone else, enterTeam
// hides all of this. pwa/index.html holds the markup (#inbox, #note-view).

import { OfflineError } from "./api.js";
import { renderCalls, teamCalls } from "./call-list.js";
import { $, el } from "./dom.js";
import { InboxError, findEntry, listInbox, markOpened, openEntry, openInboxDb, pullInbox, sealedHere, sendReceipts, writtenAt } from "./inbox.js";
import { clearNote, formatTime, renderNote } from "./note-view.js";
import { PushError, disableAlerts, enableAlerts, permission, pushSupported, renewAlerts } from "./push.js";
import { inKeyring, isTeam, loadOrCreateRecipientKey, registerRecipientKey, shortKeyId } from "./recipient-key.js";
import { installed } from "./storage.js";

const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// What this side keeps between calls: one per page.
const team = {
  ctx: null, key: null, idb: null, listening: false, alerts: false, shown: null, viewing: null, hiddenBefore: null,
  pendingAlert: null, // an alert that came while nobody on the team was in (the app locked): opened at the next entry
};

// Only on a change: these are live regions, which re-announce whatever is written to them.
function say(id, text) {
  if ($(id).textContent !== text) $(id).textContent = text;
}

// --- This device's recipient key

function showKey() {
  const { key, ctx } = team;
  const listed = key.inKeyring || inKeyring(ctx.keyring, key);
  let state;
  let text = `This device's key for notes: ${shortKeyId(key)}. `;
  if (listed) {
    state = "in-keyring";
    text += "It is in your school's list of the safeguarding team, so new notes to you are sealed to it and open here.";
  } else if (key.registered) {
    state = "proposed";
    text += "Your school's trust key holder has not added it to the school's list yet: until then, new notes to you are "
      + "sealed to your other keys only. They can check this key against what they sign.";
  } else {
    state = "unregistered";
    text += "It has not reached the server yet: it will as soon as there is a network.";
  }
  say("recipient-key", text);
  document.body.dataset.recipientKey = state;
}

async function proposeKey() {
  const { ctx, key } = team;
  if (key.registered) return;
  const result = await registerRecipientKey(ctx.db, ctx.device, key);
  if (result.refused) {
    say("inbox-status", `This device could not give the server its key for notes (${result.refused}). Tell your Lantern administrator.`);
  } else {
    key.inKeyring = result.inKeyring;
  }
}

// --- The list

function entryState(entry) {
  if (entry.broken) return `This note could not be read (${entry.broken}). Tell your Lantern administrator.`;
  if (!sealedHere(entry, team.key)) return "Sealed to another of your keys: open it on the device that holds that key.";
  if (entry.opened) {
    return entry.receiptSent
      ? "Opened on this device. Its author has been told the safeguarding team has it."
      : "Opened on this device. Its author will be told when there is a network.";
  }
  return "Not opened yet.";
}

function renderEntry(entry) {
  const item = el("li", { class: "inbox-item" + (entry.urgent ? " urgent" : ""), "data-record": entry.recordId });
  const title = el("p", { class: "inbox-title" });
  if (entry.urgent) title.appendChild(el("span", { class: "badge urgent" }, "Urgent"));
  const written = `written ${formatTime(writtenAt(entry.recordId))}`;
  const fresh = !entry.opened && !entry.broken && sealedHere(entry, team.key);
  title.appendChild(el("strong", {}, fresh ? "New note" : "Note"));
  title.appendChild(document.createTextNode(`, ${written}`));
  item.appendChild(title);
  item.appendChild(el("p", { class: "inbox-state" }, entryState(entry)));
  const ref = el("p", { class: "own-note-ref" }, "Reference ");
  ref.appendChild(el("code", {}, entry.recordId));
  item.appendChild(ref);
  if (!entry.broken && sealedHere(entry, team.key)) {
    const open = el("button", { type: "button", "data-open": entry.recordId }, "Open");
    open.appendChild(el("span", { class: "visually-hidden" }, ` the ${entry.urgent ? "urgent " : ""}note ${written}`));
    item.appendChild(open);
  }
  return item;
}

// Redraws only on a change, and puts the focus back on the button it was on: a redraw at every sync
// must not pull the focus from under someone using the list.
async function showInbox() {
  const entries = await listInbox(team.idb, team.ctx.device.keyId);
  const signature = JSON.stringify(entries.map((e) => [e.id, e.opened, e.receiptSent]));
  if (signature === team.shown) return;
  team.shown = signature;
  const active = document.activeElement;
  const focused = active && active.getAttribute ? active.getAttribute("data-open") : null;
  const list = $("inbox-list");
  while (list.firstChild) list.removeChild(list.firstChild);
  for (const entry of entries) list.appendChild(renderEntry(entry));
  $("inbox-empty").hidden = entries.length > 0;
  document.body.dataset.inbox = String(entries.length);
  if (focused) {
    const again = list.querySelector(`[data-open="${focused}"]`);
    if (again) again.focus();
  }
}

// --- The note view

// The note takes the whole screen; what was showing (perhaps a half-written note) is hidden, untouched,
// and shown again as it was when the view closes.
function showView() {
  if (team.hiddenBefore) return;
  team.hiddenBefore = [];
  for (const section of $("note-view").parentNode.children) {
    if (section.id === "note-view") continue;
    team.hiddenBefore.push([section, section.hidden]);
    section.hidden = true;
  }
  $("note-view").hidden = false;
}

function closeView({ moveFocus = true } = {}) {
  const recordId = team.viewing;
  team.viewing = null;
  clearNote($("note-body")); // the only plaintext there was: gone with the view
  say("note-error", "");
  $("note-view").hidden = true;
  for (const [section, hidden] of team.hiddenBefore || []) section.hidden = hidden;
  team.hiddenBefore = null;
  delete document.body.dataset.noteOpen;
  if (!moveFocus) return;
  const back = recordId && $("inbox-list").querySelector(`[data-open="${recordId}"]`);
  (back || $("inbox-heading")).focus();
}

// For the app's lock (inactivity, or the next person on a shared device): the opened note leaves the
// page, and what was showing before it comes back, for the lock to cover.
export function closeTeamNote() {
  if (team.hiddenBefore) closeView({ moveFocus: false });
}

const WHY_NOT = {
  sealed_elsewhere: "This note is sealed to another of your keys, not to this device's: it was sent before this "
    + "device's key joined your school's list. Open it on the device that holds that key.",
  not_found: "This note is not on this device, and the server has not given it to this device. If there is no network, "
    + "try again when there is one; otherwise it is not addressed to you.",
  unknown_author: "The device that wrote this note is not known to the server, so its signature cannot be checked and "
    + "the note is not shown. Tell your Lantern administrator.",
  offline: "This device needs the network once to check who wrote this note. Try again when there is a network.",
};

function whyNot(code, demo) {
  let text = WHY_NOT[code]
    || `This note failed its checks (${code}), so it is not shown: it may have been altered. Tell your Lantern administrator.`;
  if (code === "sealed_elsewhere" && demo) text += " (In the demo school, that key is in the server's DEMO-ONLY-keys folder.)";
  return text;
}

// Opens a note: pulls first if it is not on this device yet, checks and decrypts it, shows it, and
// acknowledges it with a receipt (sent now, or at the next sync with no network).
async function openNote(recordId) {
  const { ctx } = team;
  team.viewing = recordId;
  showView();
  $("note-heading").textContent = "Opening the note…";
  clearNote($("note-body"));
  say("note-error", "");
  renderCalls($("note-calls"), teamCalls(ctx.keyring && ctx.keyring.content ? ctx.keyring.content.contacts : []));
  $("note-heading").focus();
  let entry = await findEntry(team.idb, ctx.device.keyId, recordId);
  if (!entry) {
    try {
      await pullInbox(team.idb, ctx.device);
    } catch (e) {
      if (!(e instanceof OfflineError)) throw e;
    }
    entry = await findEntry(team.idb, ctx.device.keyId, recordId);
  }
  if (team.viewing !== recordId) return; // another note was asked for meanwhile
  try {
    if (!entry) throw new InboxError("not_found");
    const { note, header, signer } = await openEntry(team.idb, ctx.device, team.key, ctx.enrolment.school.id, entry);
    if (team.viewing !== recordId) return;
    $("note-heading").textContent = renderNote($("note-body"), note, { recordId, urgent: header.urgent, signer });
    document.body.dataset.noteOpen = recordId;
    await markOpened(team.idb, entry);
  } catch (e) {
    if (team.viewing !== recordId) return;
    const code = e instanceof InboxError ? e.code : e instanceof OfflineError ? "offline" : null;
    if (!code) throw e;
    $("note-heading").textContent = "This note cannot be shown here";
    say("note-error", whyNot(code, ctx.enrolment.school.demo));
    document.body.dataset.noteOpen = "refused:" + code;
  }
  await showInbox();
  acknowledge();
}

function acknowledge() {
  sendReceipts(team.idb, team.ctx.device)
    .then((sent) => (sent ? showInbox() : null))
    .catch((e) => { if (!(e instanceof OfflineError)) report(e); }); // offline: sent at the next sync
}

// --- Alerts

function alertFromHash() {
  const match = /^#alert=(.*)$/.exec(location.hash || "");
  if (!match) return null;
  history.replaceState(null, "", location.pathname + location.search); // not left in the history
  return RECORD_ID.test(match[1]) ? match[1].toLowerCase() : "";
}

// An alert from the worker or the address: opened now if a team member is in, else kept until one is
// (an alert tapped while the app is locked opens once its person unlocks).
function takeAlert(recordId) {
  if (team.key) onAlert(recordId);
  else team.pendingAlert = recordId;
}

// An alert for a note (or "" for none in particular: then the list, freshly pulled).
function onAlert(recordId) {
  if (recordId) {
    openNote(recordId).catch(report);
    return;
  }
  if (team.hiddenBefore) closeView({ moveFocus: false });
  $("inbox-heading").focus();
  syncInbox().catch(report);
}

const ALERTS_SAY = {
  on: "This device gets urgent alerts.",
  off: "This device does not get urgent alerts.",
  unsupported: "This browser cannot receive urgent alerts: keep Lantern open on it, or use another device for alerts. Urgent notes still alert the rest of the team.",
  // Safari on an iPad or iPhone offers Web Push only to a site added to the Home Screen (iOS 16.4 and later).
  "unsupported-here": "This browser cannot receive urgent alerts as Lantern is opened now. On an iPad or iPhone, add Lantern to "
    + "the Home Screen (Share, then Add to Home Screen), open it from there and turn alerts on. Until then, keep Lantern open "
    + "here, or use another device for alerts: urgent notes still alert the rest of the team.",
  denied: "Notifications are blocked for Lantern in this browser's settings. Allow them there, then try again.",
  dismissed: "No alerts: this browser was not given permission. Try again when you are ready.",
  timeout: "This browser did not manage to subscribe to alerts. Try again, or use another browser or device for alerts.",
  failed: "This browser could not subscribe to alerts (a private window cannot). Try again, or use another browser or device.",
  offline: "There is no network: try again when there is one.",
};

function showAlerts(code) {
  const supported = pushSupported();
  const blocked = permission() === "denied";
  $("alerts-on").hidden = !supported || team.alerts || blocked;
  $("alerts-off").hidden = !supported || !team.alerts;
  const unsupported = installed() ? "unsupported" : "unsupported-here";
  const shown = code || (!supported ? unsupported : blocked ? "denied" : team.alerts ? "on" : "off");
  say("alerts-status", ALERTS_SAY[shown] || `The server refused (${shown}). Tell your Lantern administrator.`);
  document.body.dataset.alerts = team.alerts ? "on" : shown;
}

async function changeAlerts(on) {
  const button = $(on ? "alerts-on" : "alerts-off");
  button.disabled = true;
  let code = null;
  try {
    if (on) await enableAlerts(team.ctx.device);
    else await disableAlerts(team.ctx.device);
    team.alerts = on;
  } catch (e) {
    if (e instanceof PushError) code = e.code;
    else if (e instanceof OfflineError) code = "offline";
    else throw e;
  } finally {
    button.disabled = false;
  }
  showAlerts(code);
  (team.alerts ? $("alerts-off") : $("alerts-on")).focus();
}

// Each opening, and whenever the service worker says the browser changed the subscription.
function renewSubscription() {
  renewAlerts(team.ctx.device)
    .then((on) => { team.alerts = on; showAlerts(null); })
    .catch((e) => { if (!(e instanceof PushError) && !(e instanceof OfflineError)) report(e); });
}

// --- Wiring

function report(e) {
  say("inbox-status", "Something went wrong with the notes for you: " + (e && e.message ? e.message : e));
}

function listen() {
  if (team.listening) return;
  team.listening = true;
  $("inbox-list").addEventListener("click", (event) => {
    const open = event.target.closest("[data-open]");
    if (open) openNote(open.getAttribute("data-open")).catch(report);
  });
  $("note-body").addEventListener("click", (event) => {
    const open = event.target.closest("[data-open]");
    if (open) openNote(open.getAttribute("data-open")).catch(report);
  });
  $("note-close").addEventListener("click", () => closeView());
  $("alerts-on").addEventListener("click", () => changeAlerts(true).catch(report));
  $("alerts-off").addEventListener("click", () => changeAlerts(false).catch(report));
  window.addEventListener("hashchange", () => {
    const recordId = alertFromHash();
    if (recordId !== null) takeAlert(recordId);
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.type === "alert") takeAlert(typeof data.record_id === "string" && RECORD_ID.test(data.record_id) ? data.record_id.toLowerCase() : "");
      if (data.type === "push-subscription-changed" && team.key) renewSubscription();
    });
  }
}

async function syncInbox() {
  await pullInbox(team.idb, team.ctx.device);
  await sendReceipts(team.idb, team.ctx.device);
  await showInbox();
}

// On entering the app (and when another person's profile takes over). Resolves once the list shows;
// an alert in the address opens its note after that, without holding up the app.
export async function enterTeam(ctx) {
  listen();
  closeTeamNote(); // a note opened by whoever used the app before is not left for the next person
  const member = isTeam(ctx.enrolment);
  $("inbox").hidden = !member;
  if (!member) {
    team.key = null;
    team.ctx = null;
    // Nobody on the team is in (the app is locked, or a member of staff is): an alert in the address
    // is taken out of it and kept for whoever on the team enters next.
    const recordId = alertFromHash();
    if (recordId !== null) team.pendingAlert = recordId;
    return;
  }
  team.ctx = ctx;
  team.shown = null;
  team.idb = team.idb || (await openInboxDb());
  team.key = await loadOrCreateRecipientKey(ctx.db, ctx.device, ctx.key);
  try {
    await proposeKey(); // before the first sync, so that it already fetches the keyring with this key
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
  }
  showKey();
  await showInbox();
  showAlerts(null);
  renewSubscription();
  document.body.dataset.team = "yes";
  const fromAddress = alertFromHash();
  const recordId = fromAddress !== null ? fromAddress : team.pendingAlert;
  team.pendingAlert = null;
  if (recordId !== null) onAlert(recordId);
}

// At each sync of the app: the key if it has not reached the server, the new notes, the receipts owed.
export async function syncTeam(ctx) {
  if (!team.key || !ctx.device || ctx.device.keyId !== team.ctx.device.keyId) return;
  team.ctx = ctx;
  try {
    await proposeKey();
    await syncInbox();
  } catch (e) {
    if (!(e instanceof OfflineError)) report(e);
  }
  showKey();
}
