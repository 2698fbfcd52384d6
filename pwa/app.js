// The staff app: set up this device with a one-time code, record a note, seal it at once, keep it in
// the outbox until the server has it, then show what became of it. Every step after set-up works
// with no network.

import { OfflineError, errorCode, plainFetch } from "./lib/api.js";
import { createBodyMapEditor } from "./lib/bodymap-editor.js";
import { fromBase64, uuidv7 } from "./lib/bytes.js";
import { loadClock } from "./lib/clock.js";
import {
  buildCategories, clearErrors, describeRouting, fillStaffChoices, readConcern, routeOf, showContext, showErrors,
} from "./lib/concern-form.js";
import { openDb } from "./lib/db.js";
import { loadOrCreateDevice, newDevice } from "./lib/device.js";
import { EnrolError, codeFromHash, enrol, loadEnrolment } from "./lib/enrol.js";
import { seal } from "./lib/envelope.js";
import { KeyringError, loadKeyring, refreshKeyring, routeRecipients } from "./lib/keyring.js";
import { enrolMessage, keyringWarning, noRecipientsMessage } from "./lib/messages.js";
import { addendumContent, checkAddendum, checkConcern, concernContent } from "./lib/note.js";
import { enqueue, replay, waiting } from "./lib/outbox.js";
import { findOwnNote, ownNotes, renderOwnNotes } from "./lib/own-notes.js";
import { pollStatus, sentCounts } from "./lib/status.js";

const RETRY_MS = 30000;
const $ = (id) => document.getElementById(id);
const notes = (n) => (n === 1 ? "1 note" : `${n} notes`);

function say(text) {
  $("status").textContent = text;
}

// Only on a change: an alert region re-announces whatever is written to it.
function warn(text) {
  if ($("keyring-warning").textContent !== text) $("keyring-warning").textContent = text;
}

// Redraws the list of this device's notes only when it changed, and puts the focus back where it
// was: a redraw every 30 s must not pull the focus from under someone using the list.
async function showOwnNotes(app) {
  const items = await ownNotes(app.db);
  const signature = JSON.stringify(items);
  if (signature === app.notesShown) return;
  app.notesShown = signature;
  const active = document.activeElement;
  const focused = active && active.getAttribute ? active.getAttribute("data-add-to") : null;
  renderOwnNotes($("notes-list"), items);
  $("notes-empty").hidden = items.length > 0;
  if (focused) {
    const again = $("notes-list").querySelector(`[data-add-to="${focused}"]`);
    if (again) again.focus();
  }
}

async function showCounts(app, lastReport) {
  const items = await waiting(app.db);
  const counts = await sentCounts(app.db);
  $("outbox-count").textContent = String(items.length);
  $("received-count").textContent = String(counts.received);
  $("opened-count").textContent = String(counts.opened);
  if (!app.enrolment) return; // the set-up screen says what to do
  await showOwnNotes(app);
  const refused = items.filter((i) => i.refused);
  if (refused.length) {
    say(`${notes(refused.length)} could not be delivered (${refused[0].refused}). They are kept on this device: tell your DSL.`);
  } else if (items.length) {
    say(`Saved on this device. ${notes(items.length)} will be sent as soon as there is a network.`);
  } else if (lastReport && lastReport.sent) {
    say("Sent: the server has your note. Only the people it was sealed to can read it.");
  } else {
    say("Ready. Nothing is waiting to be sent.");
  }
}

// Send what waits, learn what became of what was sent, and fetch the team's keyring: in that
// order, because the notes matter most and each later step needs the network the first one found.
async function sync(app) {
  if (!app.enrolment) return;
  const { db, device, enrolment } = app;
  let report = null;
  try {
    report = await replay(db, device);
    if (!report.offline) {
      await pollStatus(db, device);
      const held = await refreshKeyring(db, device, enrolment);
      if (held) useKeyring(app, held);
      warn("");
    }
  } catch (e) {
    if (e instanceof KeyringError) warn(keyringWarning(e.code));
    else if (!(e instanceof OfflineError)) throw e;
  }
  await showCounts(app, report);
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

// A key the server knows although this device is not enrolled with it is replaced by a new one; when
// the refusal was only that (`conflict`: an earlier answer was lost), the code is tried again with it.
async function enrolDevice(app, code) {
  try {
    return await enrol(app.db, app.device, code, deviceLabel());
  } catch (e) {
    if (!(e instanceof EnrolError) || !e.keyKnown) throw e;
    app.device = await newDevice(app.db);
    if (e.code !== "conflict") throw e;
    return enrol(app.db, app.device, code, deviceLabel());
  }
}

// Resolves true once enrolled; otherwise shows why not and resolves false.
async function tryEnrol(app, code) {
  $("enrol-error").textContent = "";
  say("Setting up this device…");
  setBusy(true);
  try {
    app.enrolment = await enrolDevice(app, code);
    return true;
  } catch (e) {
    if (!(e instanceof EnrolError)) throw e;
    refuseEnrolment(e.code);
    return false;
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
    return false;
  }
  if (answer.status === 200 && answer.body && typeof answer.body.code === "string") {
    return tryEnrol(app, answer.body.code);
  }
  // This server has no demo school: stop offering one (focus goes to the code field).
  if (answer.status === 404) $("demo").hidden = true;
  refuseEnrolment(errorCode(answer));
  return false;
}

function showEnrolment() {
  $("school").textContent = "This device is not set up yet.";
  $("concern").hidden = true;
  $("enrol").hidden = false;
  say("Enter the set-up code from your Lantern administrator.");
  // Offer the demo school only where the server has one (and never offline: joining needs the server).
  plainFetch("GET", "/api/v1/demo", null)
    .then((answer) => { $("demo").hidden = answer.status !== 200; })
    .catch(() => {});
}

// The keyring decides whom the form can name and who will read the note: the form follows it.
function useKeyring(app, keyring) {
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
}

async function enterApp(app, { moveFocus }) {
  $("school").textContent = app.enrolment.school.name;
  $("enrol").hidden = true;
  $("concern").hidden = false;
  $("notes").hidden = false;
  $("save").disabled = false;
  const keyring = await loadKeyring(app.db);
  if (keyring) useKeyring(app, keyring);
  if (moveFocus) $("concern-heading").focus(); // the screen the person was on is gone
  await sync(app);
  document.body.dataset.ready = "yes";
}

// Seals `content` at once to `people` (keyring recipient entries) and queues the envelope, with the
// people's ids beside it so that an addendum can go to the same people. Plaintext never reaches
// IndexedDB. Resolves with the new record's id.
async function sealAndQueue(app, content, people, urgent, refersTo) {
  const recordId = uuidv7();
  const envelope = await seal({
    content,
    schoolId: app.enrolment.school.id,
    recordId,
    recipients: people.map((r) => fromBase64(r.public_key)),
    authorPrivateKey: app.device.privateKey,
    authorPublicKeyRaw: app.device.publicKeyRaw,
    urgent,
  });
  await enqueue(app.db, recordId, envelope, { recipients: people.map((r) => r.person_id), refersTo });
  return recordId;
}

async function save(app, form) {
  $("form-error").textContent = "";
  const fields = readConcern(form, app.bodymap);
  const errors = checkConcern(fields);
  if (errors.length) {
    showErrors(form, errors, app.bodymap); // nothing typed is lost
    return;
  }
  clearErrors(form);
  const keyring = await loadKeyring(app.db);
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
  await sealAndQueue(app, concernContent(fields, routed.subject), people, fields.urgent, null);
  form.reset();
  app.bodymap.clear();
  formChanged(app);
  await showCounts(app);
  sync(app);
}

// --- Additions: a saved note never changes; its author adds to it.

function openAddendum(app, recordId) {
  app.addingTo = recordId;
  $("addendum-ref").textContent = recordId;
  $("concern").hidden = true; // still in the page, as it was: nothing typed there is lost
  $("notes").hidden = true;
  $("addendum").hidden = false;
  $("addendum-heading").focus();
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
}

async function saveAddendum(app, form) {
  $("addendum-error").textContent = "";
  const fields = { refersTo: app.addingTo, text: $("addendum_text").value.trim(), urgent: $("addendum_urgent").checked };
  const errors = checkAddendum(fields);
  if (errors.length) {
    showErrors(form, errors, null);
    return;
  }
  clearErrors(form);
  const original = await findOwnNote(app.db, fields.refersTo);
  // Notes saved before this device kept their recipients were all concerns: the only route there was.
  const route = original && original.recipients ? { kind: "people", personIds: original.recipients } : { kind: "concern" };
  const keyring = await loadKeyring(app.db);
  const people = routeRecipients(keyring.content, route);
  if (!people.length) {
    $("addendum-error").textContent = noRecipientsMessage(route, keyring.content);
    return;
  }
  await sealAndQueue(app, addendumContent(fields), people, fields.urgent, fields.refersTo);
  closeAddendum(app);
  await showCounts(app);
  sync(app);
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
  $("addendum-cancel").addEventListener("click", () => closeAddendum(app));
  $("notes-list").addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-to]");
    if (add) openAddendum(app, add.getAttribute("data-add-to"));
  });
  const enrolled = (ok) => (ok ? enterApp(app, { moveFocus: true }) : $("code").focus());
  $("enrol-form").addEventListener("submit", (event) => {
    event.preventDefault();
    tryEnrol(app, $("code").value).then(enrolled);
  });
  $("demo-join").addEventListener("click", () => joinDemo(app).then(enrolled));
  window.addEventListener("online", () => sync(app));
  document.addEventListener("lantern-db-closed", () => {
    say("Lantern was updated in another tab. Reload this page to carry on: your saved notes are safe.");
  });
  setInterval(() => sync(app), RETRY_MS);
}

// A link `/#enrol=<code>` enrols on opening. The hash is cleared afterwards either way, so the code
// does not linger in the address bar or the history; if it failed, the code waits in the field.
async function enrolFromLink(app) {
  const code = codeFromHash(location.hash);
  if (code === null) return;
  if (!app.enrolment && !(await tryEnrol(app, code))) $("code").value = code;
  history.replaceState(null, "", location.pathname + location.search);
}

async function main() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  }
  const db = await openDb();
  await loadClock(db);
  const app = { db, device: await loadOrCreateDevice(db), enrolment: await loadEnrolment(db), keyring: null };
  buildCategories($("categories-list"));
  app.bodymap = createBodyMapEditor($("bodymap-editor"), { errorId: "bodymap-error", onChange: () => formChanged(app) });
  listen(app);
  await showCounts(app);
  if (!app.enrolment) showEnrolment();
  await enrolFromLink(app);
  if (app.enrolment) {
    await enterApp(app, { moveFocus: false });
  } else {
    document.body.dataset.ready = "not-enrolled";
  }
}

main();
