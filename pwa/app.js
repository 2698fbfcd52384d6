// The staff app: set up this device with a one-time code, record a note, seal it at once, keep it in
// the outbox until the server has it, then show what became of it. Every step after set-up works
// with no network.

import { OfflineError, errorCode, plainFetch } from "./lib/api.js";
import { uuidv7 } from "./lib/bytes.js";
import { loadClock } from "./lib/clock.js";
import { openDb } from "./lib/db.js";
import { loadOrCreateDevice, newDevice } from "./lib/device.js";
import { EnrolError, codeFromHash, enrol, loadEnrolment } from "./lib/enrol.js";
import { seal } from "./lib/envelope.js";
import { KeyringError, loadKeyring, recipientsFor, refreshKeyring } from "./lib/keyring.js";
import { enrolMessage, keyringWarning } from "./lib/messages.js";
import { concernContent } from "./lib/note.js";
import { enqueue, replay, waiting } from "./lib/outbox.js";
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

async function showCounts(app, lastReport) {
  const items = await waiting(app.db);
  const counts = await sentCounts(app.db);
  $("outbox-count").textContent = String(items.length);
  $("received-count").textContent = String(counts.received);
  $("opened-count").textContent = String(counts.opened);
  if (!app.enrolment) return; // the set-up screen says what to do
  const refused = items.filter((i) => i.refused);
  if (refused.length) {
    say(`${notes(refused.length)} could not be delivered (${refused[0].refused}). They are kept on this device: tell your DSL.`);
  } else if (items.length) {
    say(`Saved on this device. ${notes(items.length)} will be sent as soon as there is a network.`);
  } else if (lastReport && lastReport.sent) {
    say("Sent: the server has your note. Only the safeguarding team can read it.");
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
      await refreshKeyring(db, device, enrolment);
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

async function enterApp(app, { moveFocus }) {
  $("school").textContent = app.enrolment.school.name;
  $("enrol").hidden = true;
  $("concern").hidden = false;
  $("save").disabled = false;
  if (moveFocus) $("concern-heading").focus(); // the screen the person was on is gone
  await sync(app);
  document.body.dataset.ready = "yes";
}

async function save(app, form) {
  if (!form.elements.child.value.trim()) {
    $("form-error").textContent = "Please give the child's name.";
    form.elements.child.focus();
    return;
  }
  const recipients = recipientsFor(await loadKeyring(app.db));
  if (!recipients.length) {
    // The form is left as it is: nothing typed is lost.
    $("form-error").textContent = "This device knows no DSL to send notes to, so it cannot seal this note. "
      + "Tell your Lantern administrator.";
    return;
  }
  $("form-error").textContent = "";
  const content = concernContent(form);
  const recordId = uuidv7();
  // Sealed before it is stored anywhere: the plaintext never reaches IndexedDB.
  const envelope = await seal({
    content,
    schoolId: app.enrolment.school.id,
    recordId,
    recipients,
    authorPrivateKey: app.device.privateKey,
    authorPublicKeyRaw: app.device.publicKeyRaw,
    urgent: form.elements.urgent.checked,
  });
  await enqueue(app.db, recordId, envelope);
  form.reset();
  await showCounts(app);
  sync(app);
}

function listen(app) {
  $("concern").addEventListener("submit", (event) => {
    event.preventDefault();
    save(app, event.target).catch((e) => { $("form-error").textContent = "Could not save: " + e.message; });
  });
  const enrolled = (ok) => (ok ? enterApp(app, { moveFocus: true }) : $("code").focus());
  $("enrol-form").addEventListener("submit", (event) => {
    event.preventDefault();
    tryEnrol(app, $("code").value).then(enrolled);
  });
  $("demo-join").addEventListener("click", () => joinDemo(app).then(enrolled));
  window.addEventListener("online", () => sync(app));
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
  const app = { db, device: await loadOrCreateDevice(db), enrolment: await loadEnrolment(db) };
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
