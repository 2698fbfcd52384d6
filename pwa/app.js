// The staff app: set up this device, record a note, seal it at once, keep it in the outbox until the
// server has it. Every step that needs no network works with none.

import { uuidv7 } from "./lib/bytes.js";
import { openDb } from "./lib/db.js";
import { enrolInDemoSchool, loadEnrolment, loadOrCreateDevice } from "./lib/device.js";
import { seal } from "./lib/envelope.js";
import { concernContent } from "./lib/note.js";
import { enqueue, replay, waiting } from "./lib/outbox.js";

const RETRY_MS = 30000;
const $ = (id) => document.getElementById(id);
const notes = (n) => (n === 1 ? "1 note" : `${n} notes`);

function say(text) {
  $("status").textContent = text;
}

async function showOutbox(db, lastReport) {
  const items = await waiting(db);
  $("outbox-count").textContent = String(items.length);
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

async function sync(db) {
  const report = await replay(db);
  await showOutbox(db, report);
}

async function setUp(db) {
  const device = await loadOrCreateDevice(db);
  let enrolment = await loadEnrolment(db);
  if (!enrolment) {
    try {
      enrolment = await enrolInDemoSchool(db, device);
    } catch (e) {
      say("This device is not set up yet. Connect to the school's network once to set it up.");
      return null;
    }
  }
  $("school").textContent = enrolment.school.name;
  return { device, enrolment };
}

async function save(db, ctx, form) {
  if (!form.elements.child.value.trim()) {
    $("form-error").textContent = "Please give the child's name.";
    form.elements.child.focus();
    return;
  }
  $("form-error").textContent = "";
  const content = concernContent(form);
  const recordId = uuidv7();
  // Sealed before it is stored anywhere: the plaintext never reaches IndexedDB.
  const envelope = await seal({
    content,
    schoolId: ctx.enrolment.school.id,
    recordId,
    recipients: ctx.enrolment.recipients.map((r) => r.publicKeyRaw),
    authorPrivateKey: ctx.device.privateKey,
    authorPublicKeyRaw: ctx.device.publicKeyRaw,
    urgent: form.elements.urgent.checked,
  });
  await enqueue(db, recordId, envelope);
  form.reset();
  await showOutbox(db);
  sync(db);
}

async function main() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  }
  const db = await openDb();
  await showOutbox(db);
  const ctx = await setUp(db);
  const form = $("concern");
  if (ctx) {
    $("save").disabled = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      save(db, ctx, form).catch((e) => { $("form-error").textContent = "Could not save: " + e.message; });
    });
  }
  window.addEventListener("online", () => sync(db));
  setInterval(() => sync(db), RETRY_MS);
  await sync(db);
  document.body.dataset.ready = ctx ? "yes" : "not-enrolled";
}

main();
