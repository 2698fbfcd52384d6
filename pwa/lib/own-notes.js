// The list of notes this device has saved: when, its reference, and where it is, never what it says
// (the content is sealed; re-reading one's own notes needs an unlock that comes later). A saved note
// is never edited: each one offers "Add to this note", which writes an addendum that refers to it.

import { getAll } from "./db.js";

// Waiting and sent notes together, newest first: {recordId, savedAt, refersTo, recipients, where}.
export async function ownNotes(db) {
  const waiting = (await getAll(db, "outbox")).map((item) => ({
    recordId: item.recordId, savedAt: item.savedAt, refersTo: item.refersTo || null,
    recipients: item.recipients || null, where: item.refused ? "refused" : "waiting",
  }));
  const sent = (await getAll(db, "sent")).map((item) => ({
    recordId: item.recordId, savedAt: item.savedAt, refersTo: item.refersTo || null,
    recipients: item.recipients || null, where: item.opened ? "opened" : item.received ? "received" : "sent",
  }));
  return waiting.concat(sent).sort((a, b) => (a.savedAt < b.savedAt ? 1 : -1));
}

export async function findOwnNote(db, recordId) {
  for (const item of await ownNotes(db)) if (item.recordId === recordId) return item;
  return null;
}

const WHERE = {
  waiting: "Saved on this device, waiting to be sent",
  refused: "Kept on this device: the server refused it. Tell your DSL",
  sent: "Sent",
  received: "Received by the server",
  opened: "Opened by the safeguarding team",
};

export function when(iso) {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return d.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function el(name, attrs, text) {
  const node = document.createElement(name);
  for (const k in attrs || {}) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Fills `list` (an <ol>) with `items`; each note gets an "Add to this note" button carrying its id.
export function renderOwnNotes(list, items) {
  while (list.firstChild) list.removeChild(list.firstChild);
  for (const item of items) {
    const li = el("li", { class: "own-note", "data-record": item.recordId });
    const title = el("p", { class: "own-note-title" });
    title.appendChild(el("strong", {}, item.refersTo ? "Addition" : "Note"));
    title.appendChild(document.createTextNode(` saved ${when(item.savedAt)}: ${WHERE[item.where]}.`));
    li.appendChild(title);
    const ref = el("p", { class: "own-note-ref" }, "Reference ");
    ref.appendChild(el("code", {}, item.recordId));
    if (item.refersTo) {
      ref.appendChild(document.createTextNode(", adding to "));
      ref.appendChild(el("code", {}, item.refersTo));
    }
    li.appendChild(ref);
    if (!item.refersTo) {
      const add = el("button", { type: "button", class: "secondary", "data-add-to": item.recordId }, "Add to this note");
      add.appendChild(el("span", { class: "visually-hidden" }, `, saved ${when(item.savedAt)}`));
      li.appendChild(add);
    }
    list.appendChild(li);
  }
}
