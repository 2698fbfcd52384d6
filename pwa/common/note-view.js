// A note, read-only: every answer the author gave, in the form's order and words, and the body map drawn
// by the staff app's own renderer (pwa/common/bodymap.js), so that whoever reads it sees the marks exactly
// where the author put them. One renderer for both readers: the safeguarding team opening a note they
// received (team/team.js), and its author re-reading their own copy (staff/own-notes.js). `note` is what
// note-reader.js returns. Text only (textContent, never HTML), so whatever was typed shows as typed.

import { renderBodyMap } from "./bodymap.js";
import { categoryLabel } from "./categories.js";
import { el } from "./dom.js";
import { rosterChild } from "./roster.js";

// One formatter for every time shown: making one per call (toLocaleString) cost a tenth of a
// second for a list of a thousand cases (bench/triage.py).
const TIME = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });

export function formatTime(date) {
  if (!date || isNaN(date.getTime())) return "an unknown time";
  return TIME.format(date);
}

// "2026-11-20T10:15" as the author typed it (their local time): shown as a date, not converted.
function incidentTime(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  return m ? formatTime(new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5])) : value;
}

// One question and its answer. An empty optional answer says so, rather than vanish: the team should
// see that the question was left blank.
function row(list, question, answer, options) {
  list.appendChild(el("dt", {}, question));
  const dd = el("dd", options && options.verbatim ? { class: "verbatim" } : {});
  if (answer instanceof Node) dd.appendChild(answer);
  else dd.textContent = answer === "" ? "Not given" : answer;
  list.appendChild(dd);
}

function categories(note) {
  const ul = el("ul", { class: "note-categories" });
  for (const code of note.categories) {
    const label = code === "other" && note.category_other ? `${categoryLabel(code)}: ${note.category_other}` : categoryLabel(code);
    ul.appendChild(el("li", { "data-category": code }, label));
  }
  return ul;
}

function fgmAnswer(report) {
  if (report.reported) {
    return "Yes, the author has reported it to the police" + (report.police_reference ? `. Reference: ${report.police_reference}` : " (no reference given)");
  }
  return "Not yet, when the note was saved. The author was told to call 101 themselves.";
}

function aboutStaffAnswer(about) {
  if (about.headteacher) return `Yes: about the headteacher${about.name ? ` (${about.name})` : ""}.`;
  return `Yes: about ${about.name || "a member of staff named in the school's list"}.`;
}

function concern(container, note, idPrefix) {
  const list = el("dl", { class: "note-answers" });
  row(list, "Child's name", note.child.name);
  // Picked from the school's list: what this device's copy of the list says about them.
  const listed = rosterChild(note.child.roster_id);
  if (listed) {
    const about = [listed.year ? (/^\d+$/.test(listed.year) ? `Year ${listed.year}` : listed.year) : "", listed.group]
      .filter(Boolean).join(", ");
    row(list, "Year and class, from your school's list", about);
    if (listed.dob) row(list, "Date of birth, from your school's list", listed.dob);
  } else if (note.child.roster_id) {
    row(list, "On your school's list", `Chosen from the list (id ${note.child.roster_id}), which this device does not hold now.`);
  }
  row(list, "When it happened", note.incident_at ? incidentTime(note.incident_at) : "");
  row(list, "Where it happened", note.place);
  row(list, "Who else was there", note.people_present);
  row(list, "What the child said, in their own words", note.words, { verbatim: true });
  row(list, "What the author saw", note.seen, { verbatim: true });
  row(list, "What the author has done so far", note.action_taken, { verbatim: true });
  row(list, "What it is about", categories(note));
  if (note.fgm_report) row(list, "FGM: reported to the police?", fgmAnswer(note.fgm_report));
  if (note.about_staff) row(list, "About a member of staff?", aboutStaffAnswer(note.about_staff));
  row(list, "Urgent", note.urgent ? "Yes: the author said the child may be in danger now" : "No");
  container.appendChild(list);
  container.appendChild(el("h3", { id: `${idPrefix}bodymap-heading` }, "Marks or injuries the author saw"));
  const map = el("div", { id: `${idPrefix}bodymap`, role: "group", "aria-labelledby": `${idPrefix}bodymap-heading` });
  container.appendChild(map);
  renderBodyMap(map, note.body_map, { editable: false, idPrefix: `${idPrefix}bodymap-` });
}

function addendum(container, note, linked) {
  const list = el("dl", { class: "note-answers" });
  const ref = el("span");
  ref.appendChild(el("code", {}, note.refers_to));
  row(list, "Adds to the note", ref);
  row(list, "What the author adds", note.text, { verbatim: true });
  row(list, "Urgent", note.urgent ? "Yes: the author said the child may be in danger now" : "No");
  container.appendChild(list);
  if (linked) container.appendChild(el("button", { type: "button", class: "secondary", "data-open": note.refers_to }, "Open the note it adds to"));
}

// Who wrote it: the author the note names, checked against the person the signing device was enrolled
// to (docs/protocol.md, "Pulling"). They differ only if an app is broken or someone used
// another person's device: the team should know before relying on who said what.
function authorship(container, author, signer) {
  const named = author && author.person_id ? author.person_id.toLowerCase() : null;
  if (signer && named && named !== signer.personId) {
    container.appendChild(el("p", { class: "guidance warning" },
      `The note names ${author.name || "another person"} as its author, but it was signed on a device enrolled to ${signer.name}. Check with them who wrote it.`));
  } else if (author && author.name) {
    container.appendChild(el("p", { class: "note-meta" }, `Written by ${author.name}.`));
  } else if (signer) {
    container.appendChild(el("p", { class: "note-meta" }, `Written on a device enrolled to ${signer.name}.`));
  }
}

// Draws `note` into `container` (emptied first). Returns the heading text for the view.
// The team's view (`own` false): the urgent badge, when and which record, who wrote it checked against
// the signing device (`signer`), and an addition's link to its note. The author's own copy (`own`
// true) is drawn inside their list of notes, which says all that already. `idPrefix` keeps the body
// map's ids apart from any other on the page.
export function renderNote(container, note, { recordId, urgent = false, signer = null, idPrefix = "note-", own = false }) {
  while (container.firstChild) container.removeChild(container.firstChild);
  if (!own) {
    if (urgent || note.urgent) container.appendChild(el("p", { class: "badge urgent" }, "Urgent"));
    const meta = el("p", { class: "note-meta" }, `Saved by its author ${formatTime(new Date(note.recorded_at))}. Reference `);
    meta.appendChild(el("code", {}, recordId));
    container.appendChild(meta);
    authorship(container, note.author, signer);
  }
  if (note.type === "addendum") {
    addendum(container, note, !own);
    return "An addition to a note";
  }
  concern(container, note, idPrefix);
  return `Concern about ${note.child.name}`;
}

export function clearNote(container) {
  while (container.firstChild) container.removeChild(container.firstChild);
}
