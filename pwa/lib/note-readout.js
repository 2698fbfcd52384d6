// A note's content (docs/protocol.md, "Note content"), drawn read-only: what its author re-reads in
// "Your notes on this device", from their own encrypted copy. Plain values in, DOM out, text only
// (textContent, never HTML), so whatever was typed is shown as typed; the body map through the one
// renderer, pwa/lib/bodymap.js.

import { renderBodyMap } from "./bodymap.js";
import { categoryLabel } from "./categories.js";

function el(name, attrs, text) {
  const node = document.createElement(name);
  for (const k in attrs || {}) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = text;
  return node;
}

// "20 Nov 2026, 10:15" for "2026-11-20T10:15" (local, as entered) or an ISO time; as it is otherwise.
export function readableTime(value) {
  const d = new Date(value);
  if (!value || isNaN(d.getTime())) return value || "";
  return d.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function concernRows(c) {
  const rows = [
    ["Child", c.child && c.child.name],
    ["When it happened", c.incident_at ? readableTime(c.incident_at) : "Not given"],
    ["Recorded", readableTime(c.recorded_at)],
    ["Where", c.place],
    ["Who else was there", c.people_present],
    ["What the child said", c.words],
    ["What was seen", c.seen],
    ["What was done so far", c.action_taken],
    ["What it is about", (c.categories || []).map(categoryLabel).join("; ")],
  ];
  if (c.category_other) rows.push(["Something else", c.category_other]);
  if (c.fgm_report) {
    rows.push(["Reported to the police (FGM)", c.fgm_report.reported
      ? "Yes" + (c.fgm_report.police_reference ? `, reference ${c.fgm_report.police_reference}` : "")
      : "Not yet"]);
  }
  if (c.about_staff) {
    rows.push(["About a member of staff", c.about_staff.headteacher ? `The headteacher, ${c.about_staff.name}` : c.about_staff.name]);
  }
  rows.push(["Urgent", c.urgent ? "Yes" : "No"]);
  return rows;
}

function addendumRows(a) {
  return [
    ["Adds to", a.refers_to],
    ["Recorded", readableTime(a.recorded_at)],
    ["What was added", a.text],
    ["Urgent", a.urgent ? "Yes" : "No"],
  ];
}

// Fills `container` with the note. `idPrefix` keeps the body map's ids apart from any other on the page.
export function renderNote(container, content, { idPrefix }) {
  while (container.firstChild) container.removeChild(container.firstChild);
  const rows = content.type === "addendum" ? addendumRows(content) : concernRows(content);
  if (content.author && content.author.name) rows.push(["Written by", content.author.name]);
  const list = el("dl", { class: "note-readout" });
  for (const [label, value] of rows) {
    if (value === undefined || value === null || value === "") continue;
    list.appendChild(el("dt", {}, label));
    list.appendChild(el("dd", {}, String(value)));
  }
  container.appendChild(list);
  if (content.type !== "addendum" && content.body_map && content.body_map.length) {
    const map = el("div", { class: "note-readout-map" });
    container.appendChild(el("p", { class: "note-readout-map-title" }, "Marks on the body map"));
    container.appendChild(map);
    renderBodyMap(map, content.body_map, { editable: false, idPrefix });
  }
}
