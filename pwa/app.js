// The staff app: set up this device with a one-time code, record a note, seal it at once, keep it in
// the outbox until the server has it, then show what became of it. Every step after set-up works
// with no network. Several people may record on one device, each as their own profile behind their
// own PIN (common/profiles.js, common/lock-screen.js): what is on screen is always the unlocked person's,
// and locking (the button, or IDLE_LOCK_MS without use) clears it from the page and from memory.

import { OfflineError, errorCode, plainFetch } from "./common/api.js";
import { createBodyMapEditor } from "./staff/bodymap-editor.js";
import { fromBase64, uuidv7 } from "./common/bytes.js";
import { loadClock } from "./common/clock.js";
import {
  buildCategories, clearErrors, describeRouting, fillStaffChoices, readConcern, routeOf, showContext, showErrors,
} from "./staff/concern-form.js";
import { openDb } from "./common/db.js";
import { createDevice } from "./common/device.js";
import { $ } from "./common/dom.js";
import { createDrafts, isBlank, readFields, writeFields } from "./staff/drafts.js";
import { EnrolError, codeFromHash, enrol } from "./common/enrol.js";
import { sealKeepingKey } from "./common/envelope.js";
import { createIdleLock } from "./common/idle.js";
import {
  KeyringError, keyringExpired, keyringExpiry, loadKeyring, refreshKeyring, routeRecipients, stanzasToHide,
} from "./common/keyring.js";
import { LeaveError, forgetProfile, revokeOnServer, waitingFor } from "./common/leave.js";
import { createLockScreen } from "./common/lock-screen.js";
import { enrolMessage, keyringExpiredWarning, keyringWarning, noRecipientsMessage } from "./common/messages.js";
import { actionContent } from "./team/actions.js";
import { addendumContent, checkAddendum, checkConcern, concernContent } from "./common/note.js";
import { readNote } from "./common/note-reader.js";
import { enqueue, waiting } from "./common/outbox.js";
import {
  COPY, fgmDuties, findOwnNote, isOwnNote, ownNotes, renderFgmDuties, renderOwnNotes, unreachedAlerts, when,
} from "./staff/own-notes.js";
import { listProfiles } from "./common/profiles.js";
import { replayAll } from "./common/replay.js";
import { registerWorker, requestBackgroundSync } from "./common/service-worker.js";
import { pollStatus, receiptCheck, sentCounts } from "./staff/status.js";
import { askToKeep, installed, sendsInBackground, storageKept, storageNotice } from "./common/storage.js";
import { numbered } from "./common/sequence.js";
import { sealLocal } from "./common/vault.js";
import { renderCalls, showUrgentCalls, staffCalls } from "./common/call-list.js";
import { openSchoolSetup } from "./team/school-setup.js";
import { enterTeam, syncTeam } from "./team/team.js";
import { enterRoster, leaveRoster, syncRoster } from "./common/roster.js";

const RETRY_MS = 30000;
const notes = (n) => (n === 1 ? "1 note" : `${n} notes`);

// Only on a change: the status is a live region, and a rewrite of the same words is announced again.
function say(text) {
  if ($("status").textContent !== text) $("status").textContent = text;
}

// Only on a change: an alert region re-announces whatever is written to it.
function warn(text) {
  if ($("keyring-warning").textContent !== text) $("keyring-warning").textContent = text;
}

// Redraws the list of this device's notes only when it changed, and puts the focus back where it
// was: a redraw every 30 s must not pull the focus from under someone using the list.
function showOwnNotes(app, items) {
  const signature = JSON.stringify(items);
  if (signature === app.notesShown) return;
  app.notesShown = signature;
  const active = document.activeElement;
  const focused = active && active.getAttribute ? active.getAttribute("data-add-to") : null;
  renderOwnNotes($("notes-list"), items);
  $("notes-empty").hidden = !items.some(isOwnNote);
  const duties = fgmDuties(items);
  renderFgmDuties($("fgm-duty-list"), duties);
  $("fgm-duty").hidden = duties.length === 0;
  // An urgent note whose alert reached no phone of the team: the author calls them, now.
  const unreached = unreachedAlerts(items);
  $("unreached").hidden = unreached.length === 0;
  if (unreached.length) {
    const fgm = unreached.some((i) => i.content && (i.content.categories || []).indexOf("fgm") !== -1);
    renderCalls($("unreached-calls"), staffCalls(app.keyring ? app.keyring.content.contacts : [], { fgm }));
    $("unreached-text").textContent = `Your urgent note saved ${when(unreached[0].savedAt)} has reached the server, but its alert `
      + "reached none of the safeguarding team's phones, and nobody has opened it. Call them now:";
  }
  if (focused) {
    const again = $("notes-list").querySelector(`[data-add-to="${focused}"]`);
    if (again) again.focus();
  }
}

function statusText(items, report) {
  const refused = items.filter((i) => i.refused);
  if (refused.length) {
    return `${notes(refused.length)} could not be delivered (${refused[0].refused}). They are kept on this device: tell your DSL.`;
  }
  if (items.length) {
    // Without Background Sync nothing sends with every Lantern page closed: say so, so nobody waits on it.
    const when = sendsInBackground() ? "as soon as there is a network" : "as soon as there is a network while Lantern is open";
    return `Saved on this device. ${notes(items.length)} will be sent ${when}.`;
  }
  if (report && report.sent) return "Sent: the server has your note. Only the people it was sealed to can read it.";
  return "Ready. Nothing is waiting to be sent.";
}

// The lock screen shows how many notes wait on the whole device, and nothing about them; everything
// else here is the unlocked person's own: their counts, their notes, their messages.
// Calls overlap (a save, a sync, the 30 s timer): each reads everything first and writes the screen
// in one go, and only if no later call has started reading, so the counts and the status always
// come from the same moment and never go back to an older one.
async function showCounts(app, report) {
  if (report !== undefined) app.lastReport = report;
  const turn = (app.countsTurn = (app.countsTurn || 0) + 1);
  const profile = app.profile;
  const all = await waiting(app.db);
  const counts = profile ? await sentCounts(app.db, profile.id) : null;
  const own = profile ? await ownNotes(app.db, profile.id, app.key) : null;
  if (turn !== app.countsTurn || app.profile !== profile) return; // a newer call, or locked meanwhile
  $("device-waiting").textContent = String(all.length);
  showStorage(app, all);
  if (!profile) return; // the set-up or lock screen says what to do
  const items = all.filter((i) => i.profileId === profile.id);
  $("outbox-count").textContent = String(items.length);
  $("received-count").textContent = String(counts.received);
  $("opened-count").textContent = String(counts.opened);
  const last = app.lastReport && app.lastReport.byProfile ? app.lastReport.byProfile[profile.id] : app.lastReport;
  say(statusText(items, last));
  showOwnNotes(app, own);
}

// Whether this browser keeps the device's notes, and a warning while one waits where it may not
// (common/storage.js). About the whole device, so shown on the lock screen too: it says only when the
// oldest note was saved, which is no one's business but that someone should open Lantern.
function showStorage(app, waitingItems) {
  if (!app.keeps || !app.profiles.length) return;
  const { state, warning } = storageNotice({
    keeps: app.keeps, home: installed(), oldestWaiting: waitingItems.length ? waitingItems[0].savedAt : null,
  });
  $("storage-state").hidden = false;
  if ($("storage-state").textContent !== state) $("storage-state").textContent = state;
  if ($("storage-warning").textContent !== warning) $("storage-warning").textContent = warning;
  document.body.dataset.storage = app.keeps;
}

// Asks the browser to keep Lantern's storage (once a person is enrolled: before that there is
// nothing to keep), and shows the answer.
// One question at a time: Firefox would otherwise ask the person once per call.
function keepStorage(app) {
  if (!app.profiles.length || app.keeps === "kept" || app.askingToKeep) return app.askingToKeep || Promise.resolve();
  app.askingToKeep = (async () => {
    app.keeps = await storageKept();
    showStorage(app, await waiting(app.db));
    if (app.keeps !== "may-clear") return;
    app.keeps = await askToKeep();
    showStorage(app, await waiting(app.db));
  })().finally(() => { app.askingToKeep = null; });
  return app.askingToKeep;
}

// Send what waits, learn what became of what was sent, and fetch the team's keyring: in that
// order, because the notes matter most and each later step needs the network the first one found.
// Every profile's waiting notes go, whoever is unlocked or nobody (each is signed by its own device
// key, which needs no PIN); the status and keyring are the unlocked person's.
async function sync(app) {
  const { db } = app;
  const profile = app.profile;
  let report = null;
  try {
    report = await replayAll(db);
    if (!report.offline && profile) {
      // A note the server lost (restored from a backup) goes back in the outbox: sent again at once.
      if (await pollStatus(db, profile)) report = await replayAll(db);
      const held = await refreshKeyring(db, profile);
      if (held && app.profile === profile) useKeyring(app, held);
      warn(expiryWarning(app.keyring));
    }
  } catch (e) {
    if (e instanceof KeyringError) warn(keyringWarning(e.code));
    else if (!(e instanceof OfflineError)) throw e;
  }
  // Still waiting: let the worker send it when the network is back, even with this tab closed.
  if (report && (report.offline || report.transient)) requestBackgroundSync();
  if (profile && app.profile === profile) {
    await syncTeam(teamContext(app)); // the team's inbox; nothing for staff
  }
  if (profile && app.profile === profile) await syncRoster(); // the school's list of children
  await showCounts(app, report);
}

// What the team's side (team/team.js) works with: the person unlocked now, and how it records an
// action: sealed and queued as any note is (to `people`, keyring entries), then sent at once.
function teamContext(app) {
  const who = { profile: app.profile, key: app.key };
  return {
    db: app.db, device: app.device, enrolment: app.enrolment, keyring: app.keyring, key: app.key, profile: app.profile,
    refresh: () => sync(app).catch(() => {}),
    record: async (content, people, refersTo) => {
      const recordId = await sealAndQueue(app, who, content, people, false, refersTo);
      sync(app).catch(() => {});
      return recordId;
    },
  };
}

function deviceLabel() {
  // What an administrator sees in the device list, to tell this device from the person's others.
  return ("Lantern app on " + (navigator.platform || "a web browser")).slice(0, 100);
}

function setBusy(busy) {
  $("enrol-submit").disabled = busy;
  $("demo-join").disabled = busy;
}

function refuseEnrolment(code) {
  $("enrol-error").textContent = enrolMessage(code);
  say("This device is not set up yet.");
}

// Each attempt enrols a key pair of its own, made for it: a key the server may have seen in an
// attempt whose answer was lost is never offered again, and each person's notes carry their own key.
async function enrolDevice(app, code) {
  return enrol(app.db, await createDevice(), code, deviceLabel());
}

// Resolves with the new profile once enrolled; otherwise shows why not and resolves null.
async function tryEnrol(app, code) {
  $("enrol-error").textContent = "";
  say("Setting up this device…");
  setBusy(true);
  try {
    const profile = await enrolDevice(app, code);
    app.profiles = await listProfiles(app.db);
    return profile;
  } catch (e) {
    if (!(e instanceof EnrolError)) throw e;
    refuseEnrolment(e.code);
    return null;
  } finally {
    setBusy(false);
  }
}

// DEMO ONLY: the server issues a code for a new demo staff member, used through the real enrolment.
async function joinDemo(app) {
  let answer;
  try {
    answer = await plainFetch("POST", "/api/v1/demo/code", null);
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    refuseEnrolment("offline");
    return null;
  }
  if (answer.status === 200 && answer.body && typeof answer.body.code === "string") {
    return tryEnrol(app, answer.body.code);
  }
  // This server has no demo school: stop offering one (focus goes to the code field).
  if (answer.status === 404) $("demo").hidden = true;
  refuseEnrolment(errorCode(answer));
  return null;
}

// The set-up screen: for the first person on this device, or for one more ("Add another person").
function showEnrolment(app, { moveFocus = false } = {}) {
  const another = app.profiles.length > 0;
  $("school").textContent = another ? "Adding a person to this device." : "This device is not set up yet.";
  $("enrol-heading").textContent = another ? "Add a person to this device" : "Set up this device";
  $("enrol-back").hidden = !another;
  $("concern").hidden = true;
  $("lock").hidden = true;
  $("enrol").hidden = false;
  if (moveFocus) $("enrol-heading").focus();
  say("Enter the set-up code from your Lantern administrator.");
  // Offer the demo school only where the server has one (and never offline: joining needs the server).
  plainFetch("GET", "/api/v1/demo", null)
    .then((answer) => { $("demo").hidden = answer.status !== 200; })
    .catch(() => {});
}

// The keyring decides whom the form can name and who will read the note: the form follows it.
// Said, never silent, while the keyring held is past its expiry: notes still go to the team it names.
function expiryWarning(keyring) {
  return keyringExpired(keyring) ? keyringExpiredWarning(keyringExpiry(keyring)) : "";
}

function useKeyring(app, keyring) {
  warn(expiryWarning(keyring));
  if (app.keyring && app.keyring.version === keyring.version) return;
  app.keyring = keyring;
  fillStaffChoices($("concern"), keyring.content);
  formChanged(app);
}

function formChanged(app) {
  const form = $("concern");
  const fields = readConcern(form, app.bodymap);
  showContext(form, fields);
  describeRouting(form, fields, app.keyring ? app.keyring.content : null);
  showUrgentCalls($("urgent-calls"), fields, app.keyring); // whom to call, offline, once marked urgent
  app.drafts.changed();
}

// --- Drafts (staff/drafts.js): the concern form, its body map, and an addition being written.

function captureDraft(app) {
  const fields = readFields($("concern"), $("mark-panel"));
  const marks = app.bodymap.marks();
  const addendum = app.addingTo
    ? { refersTo: app.addingTo, text: $("addendum_text").value, urgent: $("addendum_urgent").checked }
    : null;
  if (isBlank(fields) && !marks.length && !addendum) return null;
  return { concern: { fields, marks }, addendum };
}

// Not a live region: it changes as the person types, and they need not hear it each time.
function showDraftState(app, state) {
  document.body.dataset.draft = state;
  const text = state === "kept" && app.profile ? "Your draft is kept on this device, encrypted, as you type." : "";
  if ($("draft-status").textContent !== text) $("draft-status").textContent = text;
}

function restoreDraft(app, draft) {
  if (!draft) return false;
  const form = $("concern");
  writeFields(form, draft.concern.fields);
  app.bodymap.load(draft.concern.marks || []);
  formChanged(app);
  if (draft.addendum) {
    openAddendum(app, draft.addendum.refersTo, { moveFocus: false });
    $("addendum_text").value = draft.addendum.text;
    $("addendum_urgent").checked = draft.addendum.urgent === true;
  }
  return true;
}

// --- Who is recording: unlocking, locking, adding a person.

async function enterApp(app, profile, key, { moveFocus }) {
  app.profile = profile;
  app.key = key;
  app.device = profile.device;
  app.enrolment = profile.enrolment;
  app.notesShown = null;
  $("school").textContent = profile.enrolment.school.name;
  $("session-name").textContent = profile.enrolment.person.name;
  $("session").hidden = false;
  app.lockScreen.hide();
  $("enrol").hidden = true;
  $("counts").hidden = false;
  $("concern").hidden = false;
  $("notes").hidden = false;
  $("leave").hidden = false;
  $("save").disabled = false;
  keepStorage(app).catch(() => {}); // a person just enrolled, or unlocked: their notes are here now
  const keyring = await loadKeyring(app.db, profile.id);
  if (keyring) useKeyring(app, keyring);
  app.drafts.start(profile.id, key);
  const restored = restoreDraft(app, await app.drafts.load());
  app.idle.start();
  if (moveFocus) $(app.addingTo ? "addendum-heading" : "concern-heading").focus(); // the screen the person was on is gone
  if (restored) $("draft-status").textContent = "Your draft is back, as you left it. It is kept on this device, encrypted, as you type.";
  document.dispatchEvent(new CustomEvent("lantern-unlocked", { detail: { profileId: profile.id } }));
  // The school's list of children, for the child field: opened from this device, with no network.
  await enterRoster({ db: app.db, profile, key }).catch((e) => {
    $("form-error").textContent = "Your school's list of children could not be opened: " + e.message;
  });
  await enterTeam(teamContext(app));
  await sync(app);
  document.body.dataset.ready = "yes";
}

// Clears everything of the person who was unlocked from the page and from the app's memory, after
// keeping their draft (captured before anything is cleared), and shows the lock screen.
async function lock(app, message) {
  if (!app.profile) return;
  const saved = app.drafts.stop();
  app.idle.stop();
  app.profile = null;
  app.key = null;
  app.device = null;
  app.enrolment = null;
  app.keyring = null;
  app.notesShown = null;
  app.lastReport = null;
  app.addingTo = null;
  // The team's side hides its inbox and forgets its key and any note it had open, as it does for
  // anyone who is not on the team. Everything up to the first `await` below happens at once, so even
  // a page being hidden (pagehide) is cleared before it can be frozen.
  const teamLeft = enterTeam({ db: app.db, device: null, enrolment: null, keyring: null, key: null });
  leaveRoster(); // the list of children leaves the page and memory with them
  const form = $("concern");
  form.reset();
  clearErrors(form);
  app.bodymap.clear();
  $("addendum").reset();
  clearErrors($("addendum"));
  $("addendum-ref").textContent = "";
  for (const id of ["routing", "context-status", "form-error", "addendum-error", "keyring-warning", "notes-list", "bodymap-status", "session-name", "draft-status"]) {
    const node = $(id);
    if (node) while (node.firstChild) node.removeChild(node.firstChild);
  }
  for (const id of ["outbox-count", "received-count", "opened-count"]) $(id).textContent = "0";
  for (const id of ["concern", "addendum", "notes", "session", "counts", "leave", "leave-confirm", "fgm-duty", "unreached"]) $(id).hidden = true;
  $("fgm-duty-list").textContent = "";
  $("leave-start").hidden = false;
  $("leave-error").textContent = "";
  $("save").disabled = true;
  $("school").textContent = "Locked.";
  document.dispatchEvent(new CustomEvent("lantern-locked"));
  await teamLeft;
  for (const id of ["concern", "addendum", "notes", "fgm-duty", "unreached"]) $(id).hidden = true; // whatever the team's view put back
  await showLock(app, { message, focus: true });
  await saved;
}

async function showLock(app, { message = "", focus = false } = {}) {
  app.profiles = await listProfiles(app.db);
  $("enrol").hidden = true;
  $("school").textContent = "Locked.";
  await showCounts(app);
  if (!app.lockScreen.show(app.profiles, { message, focus })) return;
  say("Locked. Choose who you are, then type your PIN.");
  document.body.dataset.ready = "locked";
}

// A person just enrolled chooses their PIN before anything else.
function choosePin(app, profile) {
  $("enrol").hidden = true;
  $("school").textContent = profile.enrolment.school.name;
  app.lockScreen.showPinSetup(profile);
  say("Now choose a PIN.");
  document.body.dataset.ready = "set-pin";
}

// Seals `content` at once to `people` (keyring recipient entries) and queues the envelope, with the
// author's own copy beside it (under their profile key: the content, and the people's ids, so that an
// addendum can go to the same people), and what recognises a reader's receipt for it (the content key
// itself is forgotten here). Plaintext never reaches IndexedDB. `who` is the person
// unlocked when Save was pressed ({profile, key}): a lock meanwhile does not stop their save.
// Resolves with the new record's id.
async function sealAndQueue(app, who, content, people, urgent, refersTo) {
  const { profile, key } = who;
  const recordId = uuidv7();
  content = await numbered(app.db, profile.id, content, people);
  const recipients = people.map((r) => r.person_id);
  const copy = await sealLocal(key, COPY, recordId, {
    content: JSON.parse(new TextDecoder().decode(content)), recipients, refersTo: refersTo || null,
  });
  const { envelope, contentKey } = await sealKeepingKey({
    content,
    schoolId: profile.enrolment.school.id,
    recordId,
    recipients: people.map((r) => fromBase64(r.public_key)),
    authorPrivateKey: profile.device.privateKey,
    authorPublicKeyRaw: profile.device.publicKeyRaw,
    urgent,
    stanzasAtLeast: stanzasToHide((await loadKeyring(app.db, profile.id)).content),
  });
  const check = await receiptCheck(contentKey, recordId);
  await enqueue(app.db, { recordId, envelope, profileId: profile.id, copy, receiptCheck: check });
  requestBackgroundSync();
  return recordId;
}

// No draft write may land after the note is queued (the same transaction deletes the whole draft);
// then whatever is still on screen (a concern begun before an addition) is kept again.
async function whileHoldingDrafts(app, step) {
  await app.drafts.hold();
  try {
    await step({ profile: app.profile, key: app.key });
  } finally {
    app.drafts.release();
    app.drafts.changed();
  }
}

function save(app, form) {
  return whileHoldingDrafts(app, (who) => saveConcern(app, who, form));
}

async function saveConcern(app, who, form) {
  $("form-error").textContent = "";
  const fields = readConcern(form, app.bodymap);
  const errors = checkConcern(fields);
  if (errors.length) {
    showErrors(form, errors, app.bodymap); // nothing typed is lost
    return;
  }
  clearErrors(form);
  const keyring = await loadKeyring(app.db, who.profile.id);
  const routed = routeOf(fields, keyring.content);
  if (!routed) {
    // The person chosen left the keyring since the list was filled: ask again.
    fillStaffChoices(form, keyring.content);
    showErrors(form, [{ field: "staff_subject", message: "Choose who it is about again: the list has changed." }], app.bodymap);
    return;
  }
  const people = routeRecipients(keyring.content, routed.route);
  if (!people.length) {
    $("form-error").textContent = noRecipientsMessage(routed.route, keyring.content);
    return;
  }
  await sealAndQueue(app, who, concernContent(fields, routed.subject, who.profile.enrolment), people, fields.urgent, null);
  form.reset();
  app.bodymap.clear();
  formChanged(app);
  await showCounts(app);
  sync(app);
}

// --- Additions: a saved note never changes; its author adds to it.

function openAddendum(app, recordId, { moveFocus = true } = {}) {
  app.addingTo = recordId;
  $("addendum-ref").textContent = recordId;
  $("concern").hidden = true; // still in the page, as it was: nothing typed there is lost
  $("notes").hidden = true;
  $("addendum").hidden = false;
  if (moveFocus) $("addendum-heading").focus();
  app.drafts.changed();
}

function closeAddendum(app) {
  const form = $("addendum");
  form.reset();
  clearErrors(form);
  $("addendum-error").textContent = "";
  form.hidden = true;
  $("concern").hidden = false;
  $("notes").hidden = false;
  const back = $("notes-list").querySelector(`[data-add-to="${app.addingTo}"]`);
  (back || $("notes-heading")).focus();
  app.addingTo = null;
  app.drafts.changed();
}

function saveAddendum(app, form) {
  return whileHoldingDrafts(app, (who) => saveAddition(app, who, form));
}

async function saveAddition(app, who, form) {
  $("addendum-error").textContent = "";
  const fields = { refersTo: app.addingTo, text: $("addendum_text").value.trim(), urgent: $("addendum_urgent").checked };
  const errors = checkAddendum(fields);
  if (errors.length) {
    showErrors(form, errors, null);
    return;
  }
  clearErrors(form);
  const original = await findOwnNote(app.db, who.profile.id, who.key, fields.refersTo);
  // Notes saved before this device kept their recipients were all concerns: the only route there was.
  const route = original && original.recipients ? { kind: "people", personIds: original.recipients } : { kind: "concern" };
  const keyring = await loadKeyring(app.db, who.profile.id);
  const people = routeRecipients(keyring.content, route);
  if (!people.length) {
    $("addendum-error").textContent = noRecipientsMessage(route, keyring.content);
    return;
  }
  await sealAndQueue(app, who, addendumContent(fields, who.profile.enrolment), people, fields.urgent, fields.refersTo);
  closeAddendum(app);
  await showCounts(app);
  sync(app);
}

// The author records their own report of FGM to the police: an action on their note, sealed to the
// same people, which ends the duty shown on their screen.
function reportFgm(app, recordId) {
  return whileHoldingDrafts(app, async (who) => {
    const error = $(`fgm-ref-${recordId}-error`);
    const reference = $(`fgm-ref-${recordId}`).value.trim();
    if (!reference) {
      error.textContent = "Type the crime reference the police gave you, then press the button again.";
      $(`fgm-ref-${recordId}`).focus();
      return;
    }
    const original = await findOwnNote(app.db, who.profile.id, who.key, recordId);
    const content = actionContent({ kind: "fgm_police_report", refersTo: recordId, values: { reference }, enrolment: who.profile.enrolment });
    readNote(content); // the readers' rules, as for any record
    const keyring = await loadKeyring(app.db, who.profile.id);
    const route = { kind: "people", personIds: (original && original.recipients) || [] };
    const people = routeRecipients(keyring.content, route);
    if (!people.length) {
      error.textContent = noRecipientsMessage(route, keyring.content);
      return;
    }
    await sealAndQueue(app, who, content, people, false, recordId);
    await showCounts(app);
    $("concern-heading").focus();
    sync(app);
  });
}

function listen(app) {
  $("concern").addEventListener("submit", (event) => {
    event.preventDefault();
    save(app, event.target).catch((e) => { $("form-error").textContent = "Could not save: " + e.message; });
  });
  $("concern").addEventListener("input", () => formChanged(app));
  $("concern").addEventListener("change", () => formChanged(app));
  $("addendum").addEventListener("submit", (event) => {
    event.preventDefault();
    saveAddendum(app, event.target).catch((e) => { $("addendum-error").textContent = "Could not save: " + e.message; });
  });
  $("addendum").addEventListener("input", () => app.drafts.changed());
  $("addendum").addEventListener("change", () => app.drafts.changed());
  $("addendum-cancel").addEventListener("click", () => closeAddendum(app));
  $("fgm-duty-list").addEventListener("click", (event) => {
    const button = event.target.closest("[data-fgm-report]");
    if (button) reportFgm(app, button.getAttribute("data-fgm-report")).catch((e) => { $("form-error").textContent = "Could not save: " + e.message; });
  });
  $("notes-list").addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-to]");
    if (add) openAddendum(app, add.getAttribute("data-add-to"));
  });
  const enrolled = (profile) => (profile ? choosePin(app, profile) : $("code").focus());
  $("enrol-form").addEventListener("submit", (event) => {
    event.preventDefault();
    tryEnrol(app, $("code").value).then(enrolled);
  });
  $("demo-join").addEventListener("click", () => joinDemo(app).then(enrolled));
  // Part of the shell, unlike the trust key screen (pwa/sw.js): it is opened on a first visit, while
  // the service worker is still installing, when a module fetched on demand can wait behind it.
  $("setup-open").addEventListener("click", () => openSchoolSetup(app.db));
  $("enrol-back").addEventListener("click", () => {
    $("enrol-error").textContent = "";
    $("code").value = "";
    showLock(app, { focus: true });
  });
  $("lock-now").addEventListener("click", () => lock(app, ""));
  $("leave-start").addEventListener("click", () => askToLeave(app));
  $("leave-no").addEventListener("click", keepMe);
  $("leave-yes").addEventListener("click", () => leave(app));
  // Leaving the page (another site, the tab closed or put in the back/forward cache) locks it: a
  // page restored from that cache must not come back unlocked for whoever presses Back.
  window.addEventListener("pagehide", () => lock(app, ""));
  // A phone may discard a tab in the background without warning: keep the draft on the way out.
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") app.drafts.flush(); });
  window.addEventListener("online", () => sync(app));
  document.addEventListener("lantern-db-closed", () => {
    say("Lantern was updated in another tab. Reload this page to carry on: your saved notes are safe.");
  });
  setInterval(() => sync(app), RETRY_MS);
}

// --- Leaving this device (common/leave.js): asked, confirmed, then the server first, then this device.

async function askToLeave(app) {
  const waiting = await waitingFor(app.db, app.profile.id);
  if (waiting) {
    $("leave-error").textContent = `${notes(waiting)} of yours ${waiting === 1 ? "is" : "are"} still waiting to be sent. `
      + "Connect to a network so that they go first, then remove yourself.";
    return;
  }
  $("leave-error").textContent = "";
  $("leave-name").textContent = app.profile.enrolment.person.name;
  $("leave-start").hidden = true;
  $("leave-confirm").hidden = false;
  $("leave-question").focus();
}

function keepMe() {
  $("leave-confirm").hidden = true;
  $("leave-start").hidden = false;
  $("leave-start").focus();
}

const LEAVE_REFUSED = {
  offline: "There is no network. Removing you needs one, so that the server stops accepting this device in your name. Try again when you are connected.",
  notes_waiting: "Some of your notes are still waiting to be sent. Connect to a network so that they go first, then remove yourself.",
};

async function leave(app) {
  const profile = app.profile;
  if (!profile) return;
  $("leave-yes").disabled = true;
  try {
    await revokeOnServer(app.db, profile);
  } catch (e) {
    const code = e instanceof OfflineError ? "offline" : e instanceof LeaveError ? e.code : null;
    if (!code) throw e;
    $("leave-error").textContent = LEAVE_REFUSED[code] || `The server refused (${code}). Nothing was removed: ask your Lantern administrator.`;
    keepMe();
    return;
  } finally {
    $("leave-yes").disabled = false;
  }
  const message = `${profile.enrolment.person.name} was removed from this device.`;
  await lock(app, "");
  await forgetProfile(app.db, profile);
  app.profiles = await listProfiles(app.db);
  if (app.profiles.length) {
    await showLock(app, { message, focus: true });
  } else {
    showEnrolment(app, { moveFocus: true });
    say(message);
    document.body.dataset.ready = "not-enrolled";
  }
}

// A link `/#enrol=<code>` enrols on opening: the first person on this device, or one more. The hash
// is cleared afterwards either way, so the code does not linger in the address bar or the history;
// if it failed, the set-up screen stays, with the code waiting in the field. Resolves with the new
// profile, "failed", or null when there was no link.
async function enrolFromLink(app) {
  const code = codeFromHash(location.hash);
  if (code === null) return null;
  history.replaceState(null, "", location.pathname + location.search);
  showEnrolment(app);
  const profile = await tryEnrol(app, code);
  if (profile) return profile;
  $("code").value = code;
  return "failed";
}

async function main() {
  registerWorker();
  const db = await openDb();
  await loadClock(db);
  // `profile`, `key`, `device`, `enrolment` and `keyring` are the unlocked person's, or null.
  const app = { db, profiles: await listProfiles(db), profile: null, key: null, device: null, enrolment: null, keyring: null, keeps: null };
  buildCategories($("categories-list"));
  app.bodymap = createBodyMapEditor($("bodymap-editor"), { errorId: "bodymap-error", onChange: () => formChanged(app) });
  app.drafts = createDrafts(db, () => captureDraft(app), {
    onError: (e) => { $("form-error").textContent = "Your draft could not be kept on this device: " + e.message; },
    onState: (state) => showDraftState(app, state),
  });
  app.idle = createIdleLock({ onIdle: () => lock(app, "Lantern locked itself after 5 minutes without use. Your draft is kept.") });
  app.lockScreen = createLockScreen(db, {
    onUnlocked: (profile, key) => enterApp(app, profile, key, { moveFocus: true }),
    onAddPerson: () => showEnrolment(app, { moveFocus: true }),
    // Enrolled, but the PIN was never chosen (the tab closed first, or the profile predates PINs).
    onNeedsPin: (profile) => choosePin(app, profile),
  });
  listen(app);
  const linked = await enrolFromLink(app);
  if (linked === "failed") {
    document.body.dataset.ready = app.profiles.length ? "adding" : "not-enrolled";
  } else if (linked) {
    choosePin(app, linked);
  } else if (!app.profiles.length) {
    showEnrolment(app);
    document.body.dataset.ready = "not-enrolled";
  } else {
    await showLock(app);
  }
  keepStorage(app).catch(() => {});
  sync(app); // notes waiting from anyone go now, locked or not
}

main();
