// "Your notes on this device": the notes the unlocked person saved here, where each one is, and what
// it says, read from their own copy (encrypted under their profile key: pwa/common/vault.js), which only
// their unlock opens. Nobody else's notes are listed, or could be read if they were. A saved note is
// never edited: each one offers "Add to this note", which writes an addendum that refers to it.

import { getAllBy } from "../common/db.js";
import { el } from "../common/dom.js";
import { readContent } from "../common/note-reader.js";
import { formatTime, renderNote } from "../common/note-view.js";
import { openLocal } from "../common/vault.js";

export const COPY = "copy"; // the vault's kind for an own copy; its id is the record id

// What the own copy of one note holds, besides the content: whom it was sealed to (person ids, so an
// addendum goes to the same people) and, for an addendum, the record it adds to.
async function openCopies(db, profileId, key) {
  const opened = {};
  for (const copy of await getAllBy(db, "copies", "profileId", profileId)) {
    try {
      opened[copy.recordId] = await openLocal(key, COPY, copy.recordId, copy);
    } catch (e) {
      opened[copy.recordId] = null; // not this key's: listed, not read
    }
  }
  return opened;
}

// This profile's waiting and sent notes together, newest first:
// {recordId, savedAt, where, refersTo, recipients, content (null when there is no copy)}.
export async function ownNotes(db, profileId, key) {
  const copies = await openCopies(db, profileId, key);
  const describe = (item, where) => {
    const copy = copies[item.recordId] || null;
    return {
      recordId: item.recordId, savedAt: item.savedAt, where,
      // Notes saved before profiles kept these beside the envelope, in the clear.
      refersTo: copy ? copy.refersTo || null : item.refersTo || null,
      recipients: copy ? copy.recipients || null : item.recipients || null,
      content: copy ? copy.content : null,
      alert: item.alert || null,
    };
  };
  const waiting = (await getAllBy(db, "outbox", "profileId", profileId))
    .map((item) => describe(item, item.refused ? "refused" : "waiting"));
  const sent = (await getAllBy(db, "sent", "profileId", profileId))
    .map((item) => describe(item, item.opened ? "opened" : !item.received ? "sent" : item.readable === false ? "unreadable" : "received"));
  return waiting.concat(sent).sort((a, b) => (a.savedAt < b.savedAt ? 1 : -1));
}

export async function findOwnNote(db, profileId, key, recordId) {
  for (const item of await ownNotes(db, profileId, key)) if (item.recordId === recordId) return item;
  return null;
}

const WHERE = {
  waiting: "Saved on this device, waiting to be sent",
  refused: "Kept on this device: the server refused it. Tell your DSL",
  sent: "Sent",
  // The team has not proved it opened it (pwa/staff/status.js): the server's word is not enough.
  received: "Received by the server, not yet confirmed by the team",
  // Sealed only to keys no team device holds (the demo school's, before its DSL enrolled): see protocol.md, "Receipts and status".
  unreadable: "Received by the server, but no device of the safeguarding team can open it yet. Tell your DSL in person",
  opened: "Opened by the safeguarding team",
};

export const when = (iso) => formatTime(new Date(iso));

// A team member's own actions and re-seals belong to a case, not to their list of notes.
const isAction = (item) => Boolean(item.content && (item.content.type === "action" || item.content.type === "reseal"));

// Whether an item is one of the notes the list shows.
export const isOwnNote = (item) => !isAction(item);

// The author's FGM concerns not yet reported to the police when saved, and not reported since: their
// own legal duty, which stays in front of them until they record it (an fgm_police_report action).
export function fgmDuties(items) {
  const reported = new Set(items.filter((i) => isAction(i) && i.content.kind === "fgm_police_report").map((i) => i.refersTo));
  return items.filter((i) => i.content && i.content.type === "concern" && i.content.fgm_report
    && !i.content.fgm_report.reported && !reported.has(i.recordId));
}

// Urgent notes whose alert reached none of the team's phones, and that nobody has opened yet.
export function unreachedAlerts(items) {
  return items.filter((i) => i.alert === "unreached" && i.where !== "opened");
}

export function renderFgmDuties(list, duties) {
  while (list.firstChild) list.removeChild(list.firstChild);
  for (const duty of duties) {
    const li = el("li", { class: "fgm-duty-item", "data-record": duty.recordId });
    li.appendChild(el("p", {}, `About ${duty.content.child.name}, in your note saved ${when(duty.savedAt)}.`));
    const id = `fgm-ref-${duty.recordId}`;
    li.appendChild(el("label", { for: id }, "The crime reference the police gave you"));
    li.appendChild(el("input", { id, type: "text", autocomplete: "off", "data-fgm-ref": duty.recordId }));
    li.appendChild(el("p", { class: "error", id: `${id}-error`, role: "alert" }));
    li.appendChild(el("button", { type: "button", "data-fgm-report": duty.recordId }, "I have reported it to the police"));
    list.appendChild(li);
  }
}

// The author's copy, drawn by the team's renderer. A copy that no longer reads (an older app's, say)
// says so rather than break the list.
function drawCopy(body, item) {
  try {
    renderNote(body, readContent(item.content), { recordId: item.recordId, idPrefix: `own-${item.recordId}-`, own: true });
  } catch (e) {
    if (e.name !== "NoteError") throw e;
    body.appendChild(el("p", {}, `This copy cannot be shown here (${e.message}). The note itself was sent as it was saved.`));
  }
}

function titleOf(item) {
  if (item.refersTo) return "Addition";
  const child = item.content && item.content.child ? item.content.child.name : "";
  return child ? `Note about ${child}` : "Note";
}

// Fills `list` (an <ol>) with `items`; each note gets "Read what you wrote" (its own copy, drawn when
// opened) and, unless it is itself an addition, an "Add to this note" button carrying its id. Notes
// whose copy was open stay open across a redraw.
export function renderOwnNotes(list, all) {
  // Actions (an FGM report recorded, a team member's steps) belong to their note or case, not to this list.
  const items = all.filter(isOwnNote);
  const open = {};
  for (const d of list.querySelectorAll("details[open][data-copy]")) open[d.getAttribute("data-copy")] = true;
  while (list.firstChild) list.removeChild(list.firstChild);
  for (const item of items) {
    const li = el("li", { class: "own-note", "data-record": item.recordId });
    const title = el("p", { class: "own-note-title" });
    title.appendChild(el("strong", {}, titleOf(item)));
    title.appendChild(document.createTextNode(` saved ${when(item.savedAt)}: ${WHERE[item.where]}.`));
    li.appendChild(title);
    const ref = el("p", { class: "own-note-ref" }, "Reference ");
    ref.appendChild(el("code", {}, item.recordId));
    if (item.refersTo) {
      ref.appendChild(document.createTextNode(", adding to "));
      ref.appendChild(el("code", {}, item.refersTo));
    }
    li.appendChild(ref);
    if (item.content) {
      const details = el("details", { class: "own-note-copy", "data-copy": item.recordId });
      const summary = el("summary", {}, "Read what you wrote");
      summary.appendChild(el("span", { class: "visually-hidden" }, `, saved ${when(item.savedAt)}`));
      details.appendChild(summary);
      const body = el("div", { class: "own-note-body" });
      details.appendChild(body);
      // Drawn when first opened: a long list stays light, and closed copies are not in the page.
      const draw = () => { if (!body.firstChild) drawCopy(body, item); };
      details.addEventListener("toggle", () => { if (details.open) draw(); });
      if (open[item.recordId]) {
        details.open = true;
        draw();
      }
      li.appendChild(details);
    }
    if (!item.refersTo) {
      const add = el("button", { type: "button", class: "secondary", "data-add-to": item.recordId }, "Add to this note");
      add.appendChild(el("span", { class: "visually-hidden" }, `, saved ${when(item.savedAt)}`));
      li.appendChild(add);
    }
    list.appendChild(li);
  }
}
