// Whom to call, as large tap-to-call buttons, from the school's contact directory: the `contacts` of
// the signed keyring (docs/protocol.md, "The keyring"), which every device keeps in IndexedDB, so the
// list is there with no network at all. Two lists: the member of staff's, the moment a note is marked
// urgent, in the order to call; and the safeguarding team's, beside a note they have opened.

import { el } from "./dom.js";

// 999 and 101 are the same everywhere in the UK, so they are offered even when a school has not put
// them in its directory: a missing entry must never leave someone without the number for danger.
const EMERGENCY = { kind: "emergency", name: "Emergency services", phone: "999" };
const POLICE = { kind: "police", name: "Police (non-emergency)", phone: "101" };

function ofKind(contacts, kind) {
  return (contacts || []).filter((c) => c && c.kind === kind && typeof c.phone === "string");
}

function firstOf(contacts, kind, fallback) {
  const found = ofKind(contacts, kind);
  return found.length ? found[0] : fallback;
}

// What a member of staff calls after marking a note urgent, in order: [{contact, why}], where a
// null contact is a step with nobody to call from here (the school listed no phone for its DSL).
export function staffCalls(contacts, { fgm }) {
  const calls = [{ contact: firstOf(contacts, "emergency", EMERGENCY), why: "If the child is in immediate danger: call 999 first." }];
  if (fgm) {
    calls.push({
      contact: firstOf(contacts, "police", POLICE),
      why: "FGM: the law says you must report it to the police yourself, even if you tell the DSL. Call 101 now.",
    });
  }
  const dsls = ofKind(contacts, "dsl");
  const deputies = ofKind(contacts, "deputy_dsl");
  for (const c of dsls) calls.push({ contact: c, why: "Then tell the DSL now." });
  for (const c of deputies) {
    calls.push({ contact: c, why: dsls.length ? "If you cannot reach the DSL: a deputy DSL." : "Then tell a deputy DSL now." });
  }
  if (!dsls.length && !deputies.length) {
    calls.push({ contact: null, why: "Then tell the DSL now, in person: your school has not listed a phone number for them in Lantern." });
  }
  return calls;
}

const TEAM_KINDS = [
  { kind: "emergency", fallback: EMERGENCY, why: "A child in immediate danger." },
  { kind: "police", fallback: POLICE, why: "The police, when it is not an emergency (and for FGM)." },
  { kind: "front_door", why: "The local authority's children's services front door: a referral." },
  { kind: "out_of_hours", why: "The local authority's out-of-hours team." },
  { kind: "lado", why: "The LADO: an allegation about a member of staff or a volunteer." },
];

// What the safeguarding team may need beside a note: 999, police 101, the local authority's front
// door and out-of-hours team, and the LADO, each where the directory has it.
export function teamCalls(contacts) {
  const calls = [];
  for (const entry of TEAM_KINDS) {
    const found = ofKind(contacts, entry.kind);
    const list = found.length ? found : entry.fallback ? [entry.fallback] : [];
    for (const c of list) calls.push({ contact: c, why: entry.why });
  }
  return calls;
}

// "01482 448879" -> "tel:01482448879": a tel: URI has no spaces; a leading + stays.
export function telHref(phone) {
  return "tel:" + String(phone).replace(/[^0-9+]/g, "");
}

// Draws `calls` into `container` (emptied first) as a numbered list: what each step is for, then a
// button-sized tel: link whose name says whom it calls.
export function renderCalls(container, calls) {
  while (container.firstChild) container.removeChild(container.firstChild);
  const list = el("ol", { class: "call-list" });
  for (const call of calls) {
    const item = el("li", { class: "call-step" });
    item.appendChild(el("p", { class: "call-why" }, call.why));
    if (call.contact) {
      const link = el("a", { class: "call", href: telHref(call.contact.phone), "data-kind": call.contact.kind });
      link.appendChild(el("span", { class: "call-number" }, "Call " + call.contact.phone));
      link.appendChild(el("span", { class: "call-name" }, call.contact.name));
      item.appendChild(link);
    }
    list.appendChild(item);
  }
  container.appendChild(list);
}

// The staff form's hook: shows the urgent call list in `container` while the note is marked urgent,
// from the keyring this device holds (`keyring` as keyring.js stores it, or null). Redraws only when
// what it shows changes, so typing elsewhere in the form never moves the focus out of it.
export function showUrgentCalls(container, fields, keyring) {
  if (!container) return;
  const contacts = keyring && keyring.content ? keyring.content.contacts : [];
  const fgm = fields.categories.indexOf("fgm") !== -1;
  const shown = JSON.stringify([fields.urgent, fgm, contacts]);
  if (container.getAttribute("data-shown") === shown) return;
  container.setAttribute("data-shown", shown);
  if (!fields.urgent) {
    while (container.firstChild) container.removeChild(container.firstChild);
    return;
  }
  const calls = staffCalls(contacts, { fgm });
  renderCalls(container, calls);
  container.insertBefore(el("p", { class: "guidance-title" }, "Whom to call, in this order"), container.firstChild);
}
