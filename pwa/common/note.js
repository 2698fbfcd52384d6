// A note's content (docs/protocol.md, "Record content, version 3"), sealed whole inside an envelope,
// and the checks that make a bad record hard to save. Pure functions of plain values, no DOM, so the
// same rules can be tested on their own; pwa/staff/concern-form.js reads the form into `fields`.

import { cleanMarks } from "./bodymap.js";

export const CONTENT_VERSION = 3;
// A little slack for a clock that is a few minutes fast, before "in the future" is an error.
const FUTURE_SLACK_MS = 5 * 60 * 1000;

const encode = (value) => new TextEncoder().encode(JSON.stringify(value));

// Who wrote it, as their device was enrolled: {person_id, name} (docs/protocol.md, "Record content").
// On a shared tablet each person records as their own profile, so this is the unlocked person.
function authorOf(enrolment) {
  return { person_id: enrolment.person.id, name: enrolment.person.name };
}

// `fields` is what concern-form.js reads: every text already trimmed; see checkConcern for the rest.
// `subject` is {headteacher, personId, name} for an allegation about staff, or null. `enrolment` is
// the author's (pwa/common/enrol.js).
export function concernContent(fields, subject, enrolment, now = new Date()) {
  const content = {
    v: CONTENT_VERSION,
    type: "concern",
    author: authorOf(enrolment),
    // The roster's id too, when the child was picked from it (docs/protocol.md, "The roster").
    child: fields.childRosterId ? { name: fields.child, roster_id: fields.childRosterId } : { name: fields.child },
    incident_at: fields.incidentAt,
    recorded_at: now.toISOString(),
    place: fields.place,
    people_present: fields.peoplePresent,
    words: fields.words,
    seen: fields.seen,
    action_taken: fields.actionTaken,
    categories: fields.categories.slice(),
    category_other: fields.categories.indexOf("other") === -1 ? "" : fields.categoryOther,
    urgent: fields.urgent,
    body_map: cleanMarks(fields.marks),
  };
  // Present only when they apply, so a reader can tell "not asked" from "answered no".
  if (fields.categories.indexOf("fgm") !== -1) {
    content.fgm_report = {
      reported: fields.fgmReported === "yes",
      police_reference: fields.fgmReported === "yes" ? fields.fgmReference : "",
    };
  }
  if (subject) {
    content.about_staff = { headteacher: subject.headteacher, name: subject.name };
    if (subject.personId) content.about_staff.person_id = subject.personId;
  }
  return encode(content);
}

export function addendumContent(fields, enrolment, now = new Date()) {
  return encode({
    v: CONTENT_VERSION,
    type: "addendum",
    author: authorOf(enrolment),
    refers_to: fields.refersTo,
    recorded_at: now.toISOString(),
    text: fields.text,
    urgent: fields.urgent,
  });
}

// "YYYY-MM-DDTHH:MM" as a datetime-local input gives it, read as local time; NaN if it is not that.
function localTime(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return NaN;
  return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]).getTime();
}

// When the written account is due: 24 hours after the incident (the policy's deadline), or null when
// no time was given.
export function accountDue(incidentAt) {
  const t = localTime(incidentAt);
  return isNaN(t) ? null : new Date(t + 24 * 3600 * 1000);
}

// True when the incident was more than 24 hours before `now`.
export function isLate(incidentAt, now = new Date()) {
  const due = accountDue(incidentAt);
  return due !== null && now.getTime() > due.getTime();
}

// Every problem with a concern, in the order the form shows the fields, as {field, message}: `field`
// is the id of the element the message belongs to (and the first one gets the focus). Marks with a
// problem also carry `mark`, their index.
export function checkConcern(fields, now = new Date()) {
  const errors = [];
  const add = (field, message, extra) => errors.push(Object.assign({ field, message }, extra || {}));
  if (!fields.child) add("child", "Give the child's name.");
  if (fields.incidentAt) {
    const t = localTime(fields.incidentAt);
    if (isNaN(t)) add("incident_at", "Give the date and time it happened, or leave it empty.");
    else if (t - now.getTime() > FUTURE_SLACK_MS) add("incident_at", "The time it happened cannot be in the future.");
  }
  if (!fields.words && !fields.seen) {
    add("words", "Write what the child said or what you saw, or both.");
  }
  fields.marks.forEach((mark, index) => {
    if (!mark.type) add("bodymap", `Choose what kind of mark mark ${index + 1} is.`, { mark: index });
  });
  if (!fields.categories.length) add("categories", "Tick at least one thing this concern is about.");
  if (fields.categories.indexOf("other") !== -1 && !fields.categoryOther) {
    add("category_other", "Say what else this concern is about.");
  }
  if (fields.categories.indexOf("fgm") !== -1 && !fields.fgmReported) {
    add("fgm_reported", "Say whether you have reported it to the police.");
  }
  if (!fields.aboutStaff) add("about_staff", "Say whether this is about a member of staff.");
  if (fields.aboutStaff === "yes") {
    if (!fields.aboutHead) add("about_head", "Say whether it is about the headteacher.");
    if (fields.aboutHead === "no") {
      if (!fields.staffSubject) add("staff_subject", "Choose who it is about.");
      else if (fields.staffSubject === "other" && !fields.staffName) add("staff_name", "Give the name of the member of staff.");
    }
  }
  return errors;
}

export function checkAddendum(fields) {
  return fields.text ? [] : [{ field: "addendum_text", message: "Write what you are adding." }];
}
