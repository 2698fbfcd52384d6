// A chronology per child: every concern, addition and action about one child, from every member of
// staff, in time order on one page, for a referral, a case conference or a transfer. Made on the
// team member's device from what it has opened (team/cases.js); the server never sees it. Printable
// (styles.css, @media print) and exportable as JSON (docs/protocol.md, "The chronology export").

import { kindOf } from "./actions.js";
import { casesOfChild } from "./cases.js";
import { categoryLabel } from "../common/categories.js";
import { timeOf } from "./clocks.js";
import { $, el } from "../common/dom.js";
import { formatTime } from "../common/note-view.js";

export const FORMAT = "lantern-chronology";
export const FORMAT_VERSION = 1;

function titleOf(note) {
  if (note.type === "concern") return `Concern: ${note.categories.map(categoryLabel).join(", ")}`;
  if (note.type === "addendum") return "Addition to a concern";
  const kind = kindOf(note.kind);
  return kind ? kind.title : note.kind;
}

// What one record says, in a line or two of words, for the page (the JSON holds it whole).
function summaryOf(note) {
  if (note.type === "concern") return [note.words && `Said: "${note.words}"`, note.seen && `Seen: ${note.seen}`].filter(Boolean).join(" ");
  if (note.type === "addendum") return note.text;
  return [note.whom, note.whom_name, note.decision, note.reasons, note.consent, note.reference && `Reference ${note.reference}`,
    note.what, note.why, note.told_nothing ? "The agencies said to tell the family nothing" : "", note.text]
    .filter(Boolean).join(". ");
}

// The child's records, oldest first: [{recordId, caseId, at, record}].
export function chronology(cases, child) {
  const rows = [];
  for (const kase of casesOfChild(cases, child)) {
    for (const record of [kase.concern, ...kase.items].filter(Boolean)) {
      rows.push({ recordId: record.recordId, caseId: kase.id, at: timeOf(record.note), record });
    }
  }
  return rows.sort((a, b) => a.at - b.at || (a.recordId < b.recordId ? -1 : 1));
}

export function renderChronology(child, rows) {
  $("chronology-heading").textContent = `Chronology: ${child.name}`;
  $("chronology-meta").textContent = (child.roster_id ? `On your school's list as ${child.roster_id}. ` : "Not linked to your school's list. ")
    + `${rows.length === 1 ? "1 record" : `${rows.length} records`}, made on this device ${formatTime(new Date(Date.now()))}.`;
  const list = $("chronology-list");
  while (list.firstChild) list.removeChild(list.firstChild);
  for (const { recordId, caseId, at, record } of rows) {
    const note = record.note;
    const item = el("li", { class: "chronology-item", "data-record": recordId, "data-case": caseId });
    item.appendChild(el("h3", {}, `${formatTime(at)}: ${titleOf(note)}`));
    const by = note.author && note.author.name ? note.author.name : record.signer ? record.signer.name : "its author";
    item.appendChild(el("p", { class: "note-meta" }, `Recorded by ${by}${note.acted_by ? `, done by ${note.acted_by}` : ""}. Reference ${recordId}.`));
    const words = summaryOf(note);
    if (words) item.appendChild(el("p", { class: "verbatim" }, words));
    list.appendChild(item);
  }
}

// The export: every record whole, as its readers read it, with who signed it.
export function chronologyJson(child, rows, { school, madeBy }) {
  return {
    format: FORMAT,
    version: FORMAT_VERSION,
    made_at: new Date(Date.now()).toISOString(),
    made_by: { person_id: madeBy.id, name: madeBy.name },
    school: { id: school.id, name: school.name },
    child: { name: child.name, roster_id: child.roster_id || null },
    records: rows.map(({ recordId, caseId, at, record }) => ({
      record_id: recordId,
      case_id: caseId,
      at: at.toISOString(),
      signed_by: record.signer ? { person_id: record.signer.personId, name: record.signer.name } : null,
      content: record.note,
    })),
  };
}
