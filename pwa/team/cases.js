// The team's records grouped into cases, for the triage list and the case view: a concern, and every
// addition and action that refers to it, in time order. Pure functions of the records the device has
// opened (team/inbox.js) and `now`; nothing here touches the network, the server or storage, so the
// list can be filtered and searched on the device alone.
//
// A record is {recordId, note (what note-reader.js read, or null), failed (a check's code, or null),
// urgent (from the envelope's header, only once its signature was checked), signer, opened, pending}.

import { caseClocks, nextClock, timeOf } from "./clocks.js";

export const STATES = [
  { code: "new", label: "New" },
  { code: "opened", label: "Opened" },
  { code: "in_progress", label: "In progress" },
  { code: "waiting", label: "Waiting on someone outside the school" },
  { code: "closed", label: "Closed" },
];

// After these, the next step is someone else's: the case waits on them until the team records more.
const WAITING_ON_OTHERS = ["advice_sought", "lado_informed", "written_referral", "chased"];

function stateOf(concernRecord, actions, clocks) {
  const lastOpenClose = actions.filter((i) => i.note.kind === "closed" || i.note.kind === "reopened").pop();
  if (lastOpenClose && lastOpenClose.note.kind === "closed") return "closed";
  const steps = actions.filter((i) => !i.note.kind.startsWith("link_") && i.note.kind !== "reopened");
  const unacknowledged = clocks.some((c) => c.id.startsWith("ack:") && !c.done);
  if (unacknowledged || (steps.length && WAITING_ON_OTHERS.includes(steps[steps.length - 1].note.kind))) return "waiting";
  if (steps.length) return "in_progress";
  return concernRecord && concernRecord.opened ? "opened" : "new";
}

function words(value, out) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => words(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => words(v, out));
  return out;
}

// Groups `records` into cases. Records that failed their checks stay in the list as cases of their
// own (shown loudly), and records whose concern this device does not hold make a case without one.
export function buildCases(records, now = Date.now()) {
  const byId = new Map();
  const caseFor = (id) => {
    if (!byId.has(id)) byId.set(id, { id, concern: null, items: [], failed: [] });
    return byId.get(id);
  };
  // A record may come twice (as sealed, and re-sealed to this device: pwa/team/inbox.js): once is
  // enough, and a copy this device could not open says nothing once another copy has opened.
  const readable = new Set(records.filter((r) => r.note && !r.failed).map((r) => r.recordId));
  const taken = new Set();
  for (const record of records) {
    if (record.failed || !record.note) {
      if (!readable.has(record.recordId)) caseFor(record.recordId).failed.push(record);
      continue;
    }
    if (taken.has(record.recordId)) continue;
    taken.add(record.recordId);
    if (record.note.type === "concern") caseFor(record.recordId).concern = record;
    else caseFor(record.note.refers_to).items.push(record);
  }
  const cases = [];
  for (const kase of byId.values()) {
    kase.items.sort((a, b) => timeOf(a.note) - timeOf(b.note) || (a.recordId < b.recordId ? -1 : 1));
    const concern = kase.concern ? kase.concern.note : null;
    const actions = kase.items.filter((i) => i.note.type === "action");
    const linkedChild = actions.filter((i) => i.note.kind === "link_child" && i.note.child).pop();
    kase.child = linkedChild ? linkedChild.note.child : concern ? concern.child : null;
    kase.categories = concern ? concern.categories : [];
    // Urgent from a checked envelope, or an addition that says so: never from an unchecked header.
    kase.urgent = Boolean((kase.concern && kase.concern.urgent) || kase.items.some((i) => i.urgent));
    kase.author = concern && concern.author ? concern.author.name : kase.concern && kase.concern.signer ? kase.concern.signer.name : "";
    kase.recordedAt = concern ? new Date(concern.recorded_at) : kase.items.length ? timeOf(kase.items[0].note) : null;
    kase.clocks = caseClocks(concern, kase.items, now);
    kase.next = nextClock(kase.clocks);
    kase.overdue = kase.clocks.some((c) => c.overdue);
    kase.state = kase.failed.length && !kase.concern ? "new" : stateOf(kase.concern, actions, kase.clocks);
    kase.links = [...new Set(actions.filter((i) => i.note.kind === "link_notes").flatMap((i) => i.note.links))];
    kase.text = words([concern, kase.items.map((i) => i.note)], []).join("\n").toLowerCase();
    cases.push(kase);
  }
  return sortCases(cases);
}

// Urgent and open first, then overdue, then the newest.
export function sortCases(cases) {
  const rank = (k) => (k.failed.length ? 0 : k.urgent && k.state !== "closed" ? 1 : k.overdue ? 2 : 3);
  return cases.sort((a, b) => rank(a) - rank(b) || (b.recordedAt || 0) - (a.recordedAt || 0));
}

// `filter`: {state, category, child, author, from, to ("YYYY-MM-DD", inclusive), text}; each optional.
export function filterCases(cases, filter) {
  const has = (v) => typeof v === "string" && v.trim() !== "";
  const text = has(filter.text) ? filter.text.trim().toLowerCase() : null;
  const child = has(filter.child) ? filter.child.trim().toLowerCase() : null;
  const author = has(filter.author) ? filter.author.trim().toLowerCase() : null;
  const from = has(filter.from) ? new Date(filter.from + "T00:00:00") : null;
  const to = has(filter.to) ? new Date(filter.to + "T23:59:59.999") : null;
  return cases.filter((k) => (!has(filter.state) || k.state === filter.state)
    && (!has(filter.category) || k.categories.includes(filter.category))
    && (!child || (k.child && k.child.name.toLowerCase().includes(child)) || (k.child && k.child.roster_id === filter.child.trim()))
    && (!author || k.author.toLowerCase().includes(author))
    && (!from || (k.recordedAt && k.recordedAt >= from))
    && (!to || (k.recordedAt && k.recordedAt <= to))
    && (!text || k.text.includes(text)));
}

// Every case about one child (by roster id, or by the name as typed when the child is not on the
// list), for the chronology.
export function casesOfChild(cases, child) {
  return cases.filter((k) => k.child && (child.roster_id ? k.child.roster_id === child.roster_id : !k.child.roster_id && k.child.name === child.name));
}
