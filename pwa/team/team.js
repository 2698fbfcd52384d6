// The safeguarding team's side of the app, for a person whose role is on the team (the DSL, deputies,
// headteacher, chair of governors). On this device it: makes their own recipient key and proposes it
// to the school (team/recipient-key.js); pulls what is sealed to them and opens it here at each sync,
// keeping it sealed under their profile key (team/inbox.js); shows it as a triage list of cases
// (team/cases.js, team/triage.js), each case the concern with its additions, actions and statutory
// clocks (team/case-view.js, team/clocks.js), where the team records what they do (team/actions.js),
// sealed to the same people as the concern; offers urgent alerts by Web Push (team/push.js); and opens
// the case an alert is about, whether the service worker tells an open window ({type: "alert",
// record_id}) or opens the app at `/#alert=<record id>` (pwa/sw.js).
//
// app.js calls enterTeam when a person enters the app and syncTeam at each sync, each time with `ctx` =
// {db, device, enrolment, keyring, key (the profile key), record (seals and queues a record: app.js)}
// of the person using the app now; for anyone else, enterTeam hides all of this. pwa/index.html holds
// the markup (#inbox, #note-view).

import { actionContent } from "./actions.js";
import { OfflineError, errorCode, signedFetch } from "../common/api.js";
import { fromBase64, toBase64, toHex } from "../common/bytes.js";
import { loadCalendar, refreshCalendar } from "./calendar.js";
import { renderCalls, teamCalls } from "../common/call-list.js";
import { CATEGORIES } from "../common/categories.js";
import { chronology, chronologyJson, renderChronology } from "./chronology.js";
import {
  clearCase, closeActionForm, openActionForm, readActionForm, renderActionButtons, renderCase, showDependent,
  useApprovedDevices,
} from "./case-view.js";
import { buildCases, filterCases } from "./cases.js";
import { pickedChild } from "../common/child-picker.js";
import { $, el, saveFile } from "../common/dom.js";
import { keyId } from "../common/envelope.js";
import { envelopeOf, markOpened, openInboxDb, openPulled, openedRecords, pullInbox, sendReceipts } from "./inbox.js";
import { approvedDevices, routeRecipients } from "../common/keyring.js";
import { readNote } from "../common/note-reader.js";
import { syncReminders } from "./reminders.js";
import { clearNote, formatTime } from "../common/note-view.js";
import { PushError, disableAlerts, enableAlerts, permission, pushSupported, renewAlerts } from "./push.js";
import { inKeyring, isTeam, loadOrCreateRecipientKey, registerRecipientKey, shortKeyId } from "./recipient-key.js";
import { installed } from "../common/storage.js";
import { renderSummary, summarise } from "./summary.js";
import { findGaps } from "./gaps.js";
import { readFilter, renderTriage } from "./triage.js";
import { holdsTrustKey } from "./trust-key.js";

const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// What this side keeps between calls: one per page.
const LIST_AT_ONCE = 200; // rows drawn in the list at first, and added by each "Show more"

const team = {
  ctx: null, key: null, idb: null, listening: false, alerts: false, shown: null, viewing: null, hiddenBefore: null,
  pendingAlert: null, // an alert that came while nobody on the team was in (the app locked): opened at the next entry
  records: [], // what this device has opened for the person in, as team/cases.js takes them
  groupedAt: 0, // when `cases` was last made from them
  listed: LIST_AT_ONCE, // how many of the cases matching the filter the list draws
  syncWith: null, // the app's context for the sync waiting its turn (syncTeam)
  pending: [], // actions recorded here and not yet pulled back from the server
  cases: [],
  viewsOwed: [], // record ids opened here whose view the server has not been told yet
  resealed: new Set(), // record ids this page has re-sealed, until the re-seal comes back
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
  const result = await registerRecipientKey(ctx.db, ctx.device, ctx.enrolment.school.id, key);
  if (result.refused) {
    say("inbox-status", `This device could not give the server its key for notes (${result.refused}). Tell your Lantern administrator.`);
  } else {
    key.inKeyring = result.inKeyring;
  }
}

// --- The records and the triage list

const REGROUP_MS = 60 * 1000; // how stale the clocks on the list may be, with nothing new coming

// Everything opened for this person (team.records: read from this device when they come in, then
// kept here as each sync adds to it and as records are opened and acknowledged), with the actions
// they recorded here that the server has not given back yet, grouped into cases as of now.
function refreshCases() {
  team.groupedAt = Date.now();
  const held = new Set(team.records.map((r) => r.recordId));
  team.pending = team.pending.filter((p) => !held.has(p.recordId));
  team.cases = buildCases(team.records.concat(team.pending), Date.now());
}

function caseOf(recordId) {
  const has = (list) => list.some((r) => r.recordId === recordId);
  return team.cases.find((k) => k.id === recordId || has(k.items) || has(k.failed)) || null;
}

// Redraws only on a change, and puts the focus back on the button it was on: a redraw at every sync
// must not pull the focus from under someone using the list.
function showInbox() {
  const matching = filterCases(team.cases, readFilter());
  const shown = matching.slice(0, team.listed);
  const gaps = findGaps(team.records);
  const signature = JSON.stringify([team.cases.length, matching.length, gaps, shown.map((k) => [
    k.id, k.state, k.urgent, k.overdue, k.next && k.next.id, k.next && k.next.overdue, k.items.length, k.failed.length,
    k.child && k.child.name, k.author, k.concern && k.concern.opened, k.concern && k.concern.receiptSent,
  ])]);
  document.body.dataset.inbox = String(team.cases.length);
  if (signature === team.shown) return;
  team.shown = signature;
  const active = document.activeElement;
  const focused = active && active.getAttribute ? active.getAttribute("data-open") : null;
  renderTriage(shown, team.cases, gaps, matching.length);
  document.body.dataset.inboxShown = String(matching.length);
  if (focused) {
    const again = $("inbox-list").querySelector(`[data-open="${focused}"]`);
    if (again) again.focus();
  }
}

// --- The trust key holder's screen: fetched when first opened, not kept for every device offline
// (pwa/sw.js, ONLINE_ONLY), since signing needs the server in any case.

const HOLDERS = ["dsl", "headteacher"]; // who may hold the trust key: the DSL, or the headteacher
let trustScreen = null;

// At each sync of the holder's device, what needs no second look is signed (team/approvals.js): the
// devices its own codes set up, and a keyring about to expire. Beside the sync, never in its turn:
// the module comes from the network when first needed, and a fetch that waits must not hold up notes.
let holderSigning = null;
function signForHolder() {
  const ctx = team.ctx;
  if (holderSigning || !ctx || !HOLDERS.includes(ctx.enrolment.person.role)) return;
  holderSigning = (async () => {
    if (!(await holdsTrustKey(ctx.db, ctx.profile.id))) return;
    let approvals;
    try {
      approvals = await import("./approvals.js");
    } catch (e) {
      return; // not fetched (offline): at a later sync
    }
    const signed = await approvals.signUnattended(ctx);
    if (!signed || team.ctx !== ctx) return;
    if (signed.waiting) {
      const n = signed.waiting.length;
      say("inbox-status", `${n === 1 ? "A change" : `${n} changes`} to the team's list ${n === 1 ? "waits" : "wait"} for your signature: open "The school's trust key".`);
      document.body.dataset.trustWaiting = String(n);
      return;
    }
    useApprovedDevices(approvedDevices(signed.keyring));
    const devices = signed.changes.filter((c) => c.what === "device").length;
    say("inbox-status", devices
      ? `Signed version ${signed.keyring.version} of the team's list: ${devices === 1 ? "a device" : `${devices} devices`} set up with your codes approved.`
      : `Signed version ${signed.keyring.version} of the team's list: renewed for 30 days.`);
    document.body.dataset.trustSigned = String(signed.keyring.version);
  })().catch((e) => {
    // Offline, or a draft that does not check: nothing is signed, and the trust key screen says why.
    if (!["OfflineError", "DraftError", "KeyringError"].includes(e && e.name)) report(e);
  }).finally(() => {
    holderSigning = null;
  });
}

async function openTrustScreen() {
  if (!trustScreen) {
    try {
      trustScreen = await import("./trust.js");
    } catch (e) {
      say("inbox-status", "The school's trust key screen needs a network connection: connect this device and try again.");
      return;
    }
    trustScreen.listenTrust(report);
  }
  showView("trust");
  $("trust-heading").focus();
  await trustScreen.openTrust(team.ctx);
}

// --- The case view

// The views that take the whole screen: a case, a child's chronology, the governors' summary, the
// trust key.
const VIEWS = ["note-view", "chronology", "summary", "trust"];

// What was showing (perhaps a half-written note) is hidden, untouched, and shown again as it was when
// the view closes.
function showView(id = "note-view") {
  if (!team.hiddenBefore) {
    team.hiddenBefore = [];
    for (const section of $("note-view").parentNode.children) {
      if (VIEWS.includes(section.id)) continue;
      team.hiddenBefore.push([section, section.hidden]);
      section.hidden = true;
    }
  }
  for (const view of VIEWS) $(view).hidden = view !== id;
}

function closeView({ moveFocus = true } = {}) {
  const caseId = team.viewing;
  team.viewing = null;
  clearNote($("note-body")); // the only plaintext there was: gone with the view
  clearCase();
  say("note-error", "");
  $("case-work").hidden = true;
  clearChronology();
  if (trustScreen) trustScreen.closeTrust();
  for (const view of VIEWS) $(view).hidden = true;
  for (const [section, hidden] of team.hiddenBefore || []) section.hidden = hidden;
  team.hiddenBefore = null;
  delete document.body.dataset.noteOpen;
  if (!moveFocus) return;
  const back = caseId && $("inbox-list").querySelector(`[data-open="${caseId}"]`);
  (back || $("inbox-heading")).focus();
}

// For the app's lock (inactivity, or the next person on a shared device): the opened case leaves the
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

function drawCase(kase) {
  $("note-heading").textContent = renderCase(kase);
  $("chronology-open").hidden = !kase.child;
  renderActionButtons(kase.state === "closed");
  // Acting needs the concern: its people are whom an action is sealed to.
  $("case-work").hidden = !kase.concern;
  document.body.dataset.noteOpen = kase.id;
  document.body.dataset.caseState = kase.state;
}

// Opens the case a record belongs to: pulls and opens first if it is not on this device yet, shows it,
// and acknowledges every record in it with a receipt (sent now, or at the next sync with no network).
async function openNote(recordId) {
  const { ctx } = team;
  team.viewing = recordId;
  showView();
  $("note-heading").textContent = "Opening the note…";
  clearNote($("note-body"));
  clearCase();
  say("note-error", "");
  renderCalls($("note-calls"), teamCalls(ctx.keyring && ctx.keyring.content ? ctx.keyring.content.contacts : []));
  $("note-heading").focus();
  let kase = caseOf(recordId);
  if (!kase) {
    try {
      await inTurn(syncRecords);
    } catch (e) {
      if (!(e instanceof OfflineError)) throw e;
    }
    kase = caseOf(recordId);
  }
  if (team.viewing !== recordId) return; // another case was asked for meanwhile
  const unreadable = !kase ? "not_found" : !kase.concern && !kase.items.length ? kase.failed[0].failed : null;
  if (unreadable) {
    $("note-heading").textContent = "This note cannot be shown here";
    say("note-error", whyNot(unreadable, ctx.enrolment.school.demo));
    document.body.dataset.noteOpen = "refused:" + unreadable;
    return;
  }
  team.viewing = kase.id;
  // And any opened before receipts carried proofs whose receipt is still owed: it is made now.
  const unopened = [kase.concern, ...kase.items].filter((r) => r && !r.pending && (!r.opened || !r.receiptSent));
  for (const record of unopened) await markOpened(team.idb, record);
  if (unopened.length) refreshCases();
  if (team.viewing !== kase.id) return;
  drawCase(team.cases.find((k) => k.id === kase.id) || kase);
  showInbox();
  acknowledge();
  // Every opening joins each record's view trail (sent now, or at the next sync with no network).
  team.viewsOwed.push(...[kase.concern, ...kase.items].filter((r) => r && !r.pending).map((r) => r.recordId));
  sendViews().catch(report);
}

function acknowledge() {
  sendReceipts(team.idb, team.ctx.device, team.records)
    .then((sent) => {
      if (!sent) return;
      refreshCases();
      showInbox();
    })
    .catch((e) => { if (!(e instanceof OfflineError)) report(e); }); // offline: sent at the next sync
}

// --- A child's chronology, and the governors' summary

function clearChronology() {
  const list = $("chronology-list");
  while (list.firstChild) list.removeChild(list.firstChild); // plaintext: gone with the view
  $("chronology-meta").textContent = "";
  team.chronology = null;
}

function openChronology() {
  const kase = team.cases.find((k) => k.id === team.viewing);
  if (!kase || !kase.child) return;
  const rows = chronology(team.cases, kase.child);
  team.chronology = { child: kase.child, rows };
  renderChronology(kase.child, rows);
  showView("chronology");
  document.body.dataset.chronology = String(rows.length);
  $("chronology-heading").focus();
}

function closeChronology() {
  clearChronology();
  delete document.body.dataset.chronology;
  showView("note-view");
  $("chronology-open").focus();
}

// The JSON export, as a file the browser saves: made here, from what is on the screen.
function saveChronology() {
  const { child, rows } = team.chronology;
  const { school, person } = team.ctx.enrolment;
  const data = chronologyJson(child, rows, { school, madeBy: person });
  const day = new Date(Date.now()).toISOString().slice(0, 10);
  saveFile(`chronology-${(child.roster_id || child.name).replace(/[^A-Za-z0-9]+/g, "-")}-${day}.json`, JSON.stringify(data, null, 2));
}

function openSummary() {
  renderSummary(summarise(team.cases));
  showView("summary");
  $("summary-heading").focus();
}

// --- Re-sealing (docs/protocol.md, "Re-sealing")

// Every record this device opened that is not yet sealed to every current key of its own readers (a
// device one of them enrolled since, whose key the trust key holder has signed in) is handed on to
// those keys, and to this device's own, as a re-seal: the original envelope and its content key. Never
// to anyone the record did not already reach.
async function resealToNewKeys() {
  const content = team.ctx.keyring && team.ctx.keyring.content;
  if (!content) return 0;
  const persons = await personByKey(content);
  const reached = new Map(); // record id -> every key id it has reached, as sealed and re-sealed
  for (const r of team.records.filter((x) => x.note && x.recipientKeyIds)) {
    const keys = reached.get(r.recordId) || new Set();
    r.recipientKeyIds.forEach((k) => keys.add(k));
    reached.set(r.recordId, keys);
  }
  let sent = 0;
  for (const record of team.records) {
    if (!record.note || record.failed || record.pending || record.reseal || !record.contentKey || team.resealed.has(record.recordId)) continue;
    const keys = reached.get(record.recordId);
    const people = peopleSealedTo(record.recipientKeyIds, persons);
    const missing = content.recipients.filter((r) => people.has(r.person_id) && !keys.has(keyIds.get(r.public_key)));
    if (!missing.length) continue;
    const own = content.recipients.filter((r) => keyIds.get(r.public_key) === team.key.keyId);
    const envelope = await envelopeOf(team.idb, record.envelopeEntry);
    const reseal = new TextEncoder().encode(JSON.stringify({
      v: 3, type: "reseal", refers_to: record.recordId, recorded_at: new Date(Date.now()).toISOString(),
      author: { person_id: team.ctx.enrolment.person.id, name: team.ctx.enrolment.person.name },
      envelope: toBase64(envelope), content_key: record.contentKey,
    }));
    team.resealed.add(record.recordId);
    await team.ctx.record(reseal, missing.concat(own), record.recordId);
    sent += 1;
  }
  return sent;
}

// --- The view trail (docs/protocol.md, "The view trail")

async function sendViews() {
  while (team.viewsOwed.length) {
    const batch = team.viewsOwed.slice(0, 100);
    let answer;
    try {
      answer = await signedFetch(team.ctx.device, "POST", "/api/v1/views", { record_ids: batch });
    } catch (e) {
      if (e instanceof OfflineError) return; // kept owed: sent at the next sync
      throw e;
    }
    team.viewsOwed.splice(0, batch.length); // sent, or refused for good (not a reader): not again
    if (answer.status !== 200) return;
  }
}

async function showTrail() {
  const caseId = team.viewing;
  const list = $("case-trail");
  while (list.firstChild) list.removeChild(list.firstChild);
  say("case-trail-status", "Asking the server…");
  let answer;
  try {
    answer = await signedFetch(team.ctx.device, "GET", `/api/v1/views?record_id=${caseId}`, null);
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    say("case-trail-status", "The trail is kept by the server: try again when there is a network.");
    return;
  }
  if (team.viewing !== caseId) return;
  if (answer.status !== 200 || !answer.body || !Array.isArray(answer.body.views)) {
    say("case-trail-status", `The server did not give the trail (${errorCode(answer)}).`);
    return;
  }
  const views = answer.body.views;
  say("case-trail-status", views.length === 1 ? "Opened once:" : `Opened ${views.length} times:`);
  for (const v of views) {
    list.appendChild(el("li", {}, `${v.name}, on the device ${String(v.device_key_id).slice(0, 12)}…, ${formatTime(new Date(v.viewed_at))}`));
  }
}

// --- Recording an action

// The people the case's concern was sealed to, by the keys its envelope names, at their current
// keys: an action never reaches anyone the concern did not (an allegation stays with its reader).
async function samePeople(kase) {
  const content = team.ctx.keyring && team.ctx.keyring.content;
  if (!content) return [];
  const personIds = [...peopleSealedTo(kase.concern.recipientKeyIds || [], await personByKey(content))];
  return routeRecipients(content, { kind: "people", personIds });
}

// Each keyring entry's key id, by its public key: worked out once.
const keyIds = new Map();

async function keyIdOf(entry) {
  if (!keyIds.has(entry.public_key)) keyIds.set(entry.public_key, toHex(await keyId(fromBase64(entry.public_key))));
  return keyIds.get(entry.public_key);
}

// The keyring's key ids, each to the person it belongs to.
async function personByKey(content) {
  const ids = await Promise.all(content.recipients.map(keyIdOf));
  return new Map(content.recipients.map((r, i) => [ids[i], r.person_id]));
}

// The people of the keyring a record's envelope was sealed to, by its key ids.
function peopleSealedTo(keyIdsHex, persons) {
  return new Set(keyIdsHex.filter((k) => persons.has(k)).map((k) => persons.get(k)));
}

function stillNeeded(error) {
  const parts = String(error.message).replace(/^incomplete: /, "").split("; ").map((p) => p.replace(/^an? [a-z_]+ action needs /, ""));
  return `Still needed: ${parts.join(", ")}.`;
}

// Seals and queues one action on the open case; false (and why, on the form) when it cannot go.
async function recordAction(kind, values) {
  const kase = team.cases.find((k) => k.id === team.viewing);
  if (!kase || !kase.concern) return false;
  const content = actionContent({ kind, refersTo: kase.id, values, enrolment: team.ctx.enrolment });
  let note;
  try {
    note = readNote(content); // the readers' own rules: what would be refused is never sealed
  } catch (e) {
    if (e.name !== "NoteError") throw e;
    say("action-error", stillNeeded(e));
    return false;
  }
  const people = await samePeople(kase);
  if (!people.length) {
    say("action-error", "Nobody who can read this case is in your school's list now, so this cannot be sealed to them. Tell your trust key holder.");
    return false;
  }
  const recordId = await team.ctx.record(content, people, kase.id);
  const me = { personId: team.ctx.enrolment.person.id.toLowerCase(), name: team.ctx.enrolment.person.name };
  const pending = { recordId, entryId: null, note, signer: me, urgent: false, opened: true, failed: null, pending: true };
  team.pending.push(pending);
  // The case at once, from its own records; the whole list (every case regrouped) just after.
  const [updated] = buildCases([kase.concern, ...kase.items, pending], Date.now());
  drawCase(updated);
  setTimeout(() => {
    team.cases = buildCases(team.records.concat(team.pending), Date.now());
    showInbox();
  }, 0);
  return true;
}

async function submitAction(event) {
  event.preventDefault();
  const { kind, values } = readActionForm();
  if (await recordAction(kind, values)) {
    closeActionForm();
    const added = $("case-timeline").lastElementChild;
    $("case-timeline-heading").focus();
    if (added) added.scrollIntoView({ block: "nearest" });
  }
}

async function linkChild() {
  const child = pickedChild($("link-child").value);
  if (!child) {
    say("link-error", "Choose a child from your school's list: start typing their name, then pick them.");
    return;
  }
  say("link-error", "");
  if (await recordAction("link_child", { child: { name: child.name, roster_id: child.id } })) $("link-child").value = "";
}

async function linkNotes() {
  const other = $("link-note").value;
  if (!other) return;
  if (await recordAction("link_notes", { links: [other] })) $("link-note").value = "";
}

// The other cases a case can be linked to: those about the same child first.
function fillLinkChoices(kase) {
  const select = $("link-note");
  while (select.firstChild) select.removeChild(select.firstChild);
  select.appendChild(el("option", { value: "" }, "Choose a note"));
  for (const other of team.cases.filter((k) => k.id !== kase.id && k.concern && !kase.links.includes(k.id))) {
    const name = other.child ? other.child.name : "a child";
    select.appendChild(el("option", { value: other.id }, `${name}, recorded ${other.recordedAt ? other.recordedAt.toLocaleDateString("en-GB") : ""}`));
  }
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
  for (const c of CATEGORIES) $("filter-category").appendChild(el("option", { value: c.code }, c.label));
  $("inbox-list").addEventListener("click", (event) => {
    const open = event.target.closest("[data-open]");
    if (open) openNote(open.getAttribute("data-open")).catch(report);
  });
  $("note-body").addEventListener("click", (event) => {
    const open = event.target.closest("[data-open]");
    if (open) openNote(open.getAttribute("data-open")).catch(report);
  });
  $("note-close").addEventListener("click", () => closeView());
  const refilter = () => {
    team.listed = LIST_AT_ONCE; // a new filter starts again from its first rows
    showInbox();
  };
  $("inbox-filter").addEventListener("input", refilter);
  $("inbox-filter").addEventListener("change", refilter);
  $("inbox-more").addEventListener("click", () => {
    team.listed += LIST_AT_ONCE;
    showInbox();
  });
  $("inbox-filter").addEventListener("submit", (event) => event.preventDefault());
  $("case-actions").addEventListener("click", (event) => {
    const start = event.target.closest("[data-action]");
    if (!start) return;
    const kase = team.cases.find((k) => k.id === team.viewing);
    if (kase) fillLinkChoices(kase);
    openActionForm(start.getAttribute("data-action"));
  });
  $("action-form").addEventListener("change", showDependent);
  $("action-form").addEventListener("submit", (event) => submitAction(event).catch(report));
  $("action-cancel").addEventListener("click", () => { closeActionForm(); $("case-actions-heading").focus(); });
  $("link-child-save").addEventListener("click", () => linkChild().catch(report));
  $("chronology-open").addEventListener("click", openChronology);
  $("case-trail-open").addEventListener("click", () => showTrail().catch(report));
  $("chronology-close").addEventListener("click", closeChronology);
  $("chronology-print").addEventListener("click", () => window.print());
  $("chronology-json").addEventListener("click", saveChronology);
  $("summary-open").addEventListener("click", openSummary);
  $("summary-print").addEventListener("click", () => window.print());
  $("summary-close").addEventListener("click", () => closeView());
  $("trust-open").addEventListener("click", () => openTrustScreen().catch(report));
  $("trust-close").addEventListener("click", () => closeView());
  $("link-note-save").addEventListener("click", () => linkNotes().catch(report));
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

// Pulls what is new, opens it here, and regroups the cases. Each page is opened while the next one
// is on its way (the network and the server on one side, the checks on the other).
async function syncRecords() {
  const { idb, key } = team;
  const { device, enrolment, key: profileKey } = team.ctx;
  const fresh = [];
  let stopped = false;
  try {
    stopped = (await pullInbox(idb, device, key, enrolment.school.id, profileKey, (records) => fresh.push(...records))).stopped;
  } finally {
    team.records = team.records.concat(fresh); // decrypted once, here, and kept
  }
  // What an earlier page left for want of an author's key, once the network is back.
  if (stopped) team.records = team.records.concat((await openPulled(idb, device, key, enrolment.school.id, profileKey)).records);
  // Regrouping every case is the costly part of a sync with thousands: done when something came, and
  // otherwise once a minute, for the clocks that fell due meanwhile.
  if (fresh.length || stopped || Date.now() - team.groupedAt >= REGROUP_MS) refreshCases();
}

async function syncInbox() {
  await syncRecords();
  if (await sendReceipts(team.idb, team.ctx.device, team.records)) refreshCases();
  const { db, device, key } = team.ctx;
  await resealToNewKeys();
  await syncReminders(db, device, device.keyId, key, team.cases);
  await sendViews();
  showInbox();
  const open = team.viewing && team.cases.find((k) => k.id === team.viewing);
  if (open && $("action-form").hidden) drawCase(open); // what others recorded meanwhile appears
}

// On entering the app (and when another person's profile takes over). Resolves once the list shows;
// an alert in the address opens its note after that, without holding up the app.
export async function enterTeam(ctx) {
  listen();
  closeTeamNote(); // a note opened by whoever used the app before is not left for the next person
  const member = isTeam(ctx.enrolment);
  $("inbox").hidden = !member;
  $("trust-open").hidden = !(ctx.enrolment && HOLDERS.includes(ctx.enrolment.person.role));
  if (!member) {
    team.key = null;
    team.ctx = null;
    team.records = [];
    team.pending = [];
    team.viewsOwed = [];
    team.resealed = new Set();
    team.cases = [];
    // Nobody on the team is in (the app is locked, or a member of staff is): an alert in the address
    // is taken out of it and kept for whoever on the team enters next.
    const recordId = alertFromHash();
    if (recordId !== null) team.pendingAlert = recordId;
    return;
  }
  team.ctx = ctx;
  team.shown = null;
  useApprovedDevices(approvedDevices(ctx.keyring));
  team.idb = team.idb || (await openInboxDb());
  team.key = await loadOrCreateRecipientKey(ctx.db, ctx.device, ctx.key);
  try {
    await proposeKey(); // before the first sync, so that it already fetches the keyring with this key
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
  }
  showKey();
  await loadCalendar(ctx.db);
  await inTurn(async () => {
    const held = await openedRecords(team.idb, ctx.device.keyId, ctx.key);
    const fresh = await openPulled(team.idb, ctx.device, team.key, ctx.enrolment.school.id, ctx.key).then((opened) => opened.records, (e) => {
      if (!(e instanceof OfflineError)) throw e;
      return [];
    });
    team.records = held.concat(fresh);
    refreshCases();
  });
  showInbox();
  showAlerts(null);
  renewSubscription();
  document.body.dataset.team = "yes";
  const fromAddress = alertFromHash();
  const recordId = fromAddress !== null ? fromAddress : team.pendingAlert;
  team.pendingAlert = null;
  if (recordId !== null) onAlert(recordId);
}

// The inbox is pulled and opened by one task at a time (entering the app, each sync): two side by
// side would open the same envelopes twice. A sync asked for while one waits its turn is that one.
let inboxTurn = Promise.resolve();
function inTurn(task) {
  const run = inboxTurn.then(task);
  inboxTurn = run.catch(() => {});
  return run;
}

let syncWaiting = null;
// At each sync of the app (the timer, the network back, an action saved): once per turn.
export function syncTeam(ctx) {
  team.syncWith = ctx;
  syncWaiting = syncWaiting || inTurn(() => {
    syncWaiting = null;
    return syncTeamNow(team.syncWith);
  });
  return syncWaiting;
}

// The key if it has not reached the server, the new notes, the receipts owed.
async function syncTeamNow(ctx) {
  if (!team.key || !ctx.device || ctx.device.keyId !== team.ctx.device.keyId) return;
  team.ctx = ctx;
  useApprovedDevices(approvedDevices(ctx.keyring));
  try {
    await proposeKey();
    await refreshCalendar(ctx.db);
    await syncInbox();
    signForHolder();
  } catch (e) {
    if (!(e instanceof OfflineError)) report(e);
  }
  showKey();
}
