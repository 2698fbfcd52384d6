// The statutory clocks of a case (docs/staff-app.md, "The team's side"), from the records in it:
//
// - a phone referral starts 48 hours (calendar hours) for the written referral (Hull, section 8);
// - a written referral starts one working day for children's social care's acknowledgement, and three
//   working days after which the referrer chases (Hull, section 8);
// - an allegation against staff starts one working day to tell the LADO;
// - an FGM concern whose author had not yet reported it to the police starts the teacher's own duty to
//   report it, due at once (FGM Act 2003 s5B), until a report is recorded.
//
// Pure: the records and `now` in, the clocks out, so that tests can move time rather than wait.

import { addWorkingDays } from "./calendar.js";

const HOUR_MS = 60 * 60 * 1000;

// When a record says it happened: an action's `at`, else when it was recorded.
export function timeOf(note) {
  return new Date(note.at || note.recorded_at);
}

function firstAfter(items, kind, time) {
  return items.find((i) => i.note.kind === kind && timeOf(i.note).getTime() >= time.getTime()) || null;
}

// `concern`: the concern's note or null; `items`: [{recordId, note}] of its actions and additions, in
// time order. Each clock: {id, label, due (Date), done (the record that met it, or null), overdue}.
export function caseClocks(concern, items, now = Date.now()) {
  const clocks = [];
  const actions = items.filter((i) => i.note.type === "action");
  const add = (id, label, due, done) => clocks.push({ id, label, due, done, overdue: !done && now > due.getTime() });
  for (const phone of actions.filter((i) => i.note.kind === "phone_referral")) {
    const time = timeOf(phone.note);
    add(`written:${phone.recordId}`, "Written referral, within 48 hours of the phone referral",
      new Date(time.getTime() + 48 * HOUR_MS), firstAfter(actions, "written_referral", time));
  }
  for (const written of actions.filter((i) => i.note.kind === "written_referral")) {
    const time = timeOf(written.note);
    const ack = firstAfter(actions, "acknowledgement", time);
    add(`ack:${written.recordId}`, "Acknowledgement from children's social care, within 1 working day", addWorkingDays(time, 1), ack);
    add(`chase:${written.recordId}`, "Chase children's social care if not acknowledged, after 3 working days",
      addWorkingDays(time, 3), ack || firstAfter(actions, "chased", time));
  }
  if (concern && concern.about_staff) {
    const time = new Date(concern.recorded_at);
    add("lado", "Tell the LADO, within 1 working day of the allegation", addWorkingDays(time, 1),
      actions.find((i) => i.note.kind === "lado_informed") || null);
  }
  if (concern && concern.fgm_report && !concern.fgm_report.reported) {
    add("fgm", "FGM: the teacher's own report to the police, at once", new Date(concern.recorded_at),
      actions.find((i) => i.note.kind === "fgm_police_report") || null);
  }
  return clocks;
}

// The clock due soonest of those not met, or null.
export function nextClock(clocks) {
  return clocks.filter((c) => !c.done).sort((a, b) => a.due - b.due)[0] || null;
}
