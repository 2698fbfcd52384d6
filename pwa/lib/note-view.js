// A received note, read-only, for the safeguarding team: every answer the author gave, in the form's
// order and words, and the body map drawn by the staff app's own renderer (pwa/lib/bodymap.js), so the
// team sees the marks exactly where the author put them. `note` is what note-reader.js returns.

import { renderBodyMap } from "./bodymap.js";
import { categoryLabel } from "./categories.js";

function el(name, attrs, text) {
  const node = document.createElement(name);
  for (const k in attrs || {}) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function formatTime(date) {
  if (!date || isNaN(date.getTime())) return "an unknown time";
  return date.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
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

function concern(container, note) {
  const list = el("dl", { class: "note-answers" });
  row(list, "Child's name", note.child.name);
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
  container.appendChild(el("h3", { id: "note-bodymap-heading" }, "Marks or injuries the author saw"));
  const map = el("div", { id: "note-bodymap", role: "group", "aria-labelledby": "note-bodymap-heading" });
  container.appendChild(map);
  renderBodyMap(map, note.body_map, { editable: false, idPrefix: "note-bodymap-" });
}

function addendum(container, note) {
  const list = el("dl", { class: "note-answers" });
  const ref = el("span");
  ref.appendChild(el("code", {}, note.refers_to));
  row(list, "Adds to the note", ref);
  row(list, "What the author adds", note.text, { verbatim: true });
  row(list, "Urgent", note.urgent ? "Yes: the author said the child may be in danger now" : "No");
  container.appendChild(list);
  const open = el("button", { type: "button", class: "secondary", "data-open": note.refers_to }, "Open the note it adds to");
  container.appendChild(open);
}

// Draws `note` into `container` (emptied first). Returns the heading text for the view.
export function renderNote(container, note, { recordId, urgent }) {
  while (container.firstChild) container.removeChild(container.firstChild);
  if (urgent || note.urgent) container.appendChild(el("p", { class: "badge urgent" }, "Urgent"));
  const meta = el("p", { class: "note-meta" }, `Saved by its author ${formatTime(new Date(note.recorded_at))}. Reference `);
  meta.appendChild(el("code", {}, recordId));
  container.appendChild(meta);
  if (note.author && note.author.name) container.appendChild(el("p", { class: "note-meta" }, `Written by ${note.author.name}.`));
  if (note.type === "addendum") {
    addendum(container, note);
    return "An addition to a note";
  }
  concern(container, note);
  return `Concern about ${note.child.name}`;
}

export function clearNote(container) {
  while (container.firstChild) container.removeChild(container.firstChild);
}
