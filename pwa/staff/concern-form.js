// The concern form's behaviour, apart from saving: reading it into plain fields for note.js, showing
// the guidance and follow-up questions that the answers call for, saying who will be able to read the
// note, and showing what is missing. pwa/index.html holds the markup; ids here are its ids.

import { CATEGORIES } from "../common/categories.js";
import { el } from "../common/dom.js";
import { accountDue, isLate } from "../common/note.js";
import { routeRecipients } from "../common/keyring.js";
import { pickedChild } from "../common/child-picker.js";

function byId(form, id) {
  return form.querySelector("#" + id);
}

// One checkbox per category, from the one list in categories.js.
export function buildCategories(container) {
  for (const c of CATEGORIES) {
    const row = el("div", { class: "check" });
    row.appendChild(el("input", { type: "checkbox", name: "category", id: "category-" + c.code, value: c.code }));
    row.appendChild(el("label", { for: "category-" + c.code }, c.label));
    container.appendChild(row);
  }
}

export function readConcern(form, editor) {
  const text = (id) => (byId(form, id).value || "").trim();
  const radio = (name) => {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : "";
  };
  const categories = [];
  for (const box of form.querySelectorAll("input[name=category]:checked")) categories.push(box.value);
  const picked = pickedChild(text("child"));
  return {
    child: picked ? picked.name : text("child"),
    childRosterId: picked ? picked.id : null,
    incidentAt: text("incident_at"),
    place: text("place"),
    peoplePresent: text("people_present"),
    words: text("words"),
    seen: text("seen"),
    actionTaken: text("action_taken"),
    categories,
    categoryOther: text("category_other"),
    fgmReported: radio("fgm_reported"),
    fgmReference: text("fgm_reference"),
    aboutStaff: radio("about_staff"),
    aboutHead: radio("about_head"),
    staffSubject: byId(form, "staff_subject").value,
    staffName: text("staff_name"),
    urgent: byId(form, "urgent").checked,
    marks: editor.marks(),
  };
}

function recipientById(content, personId) {
  for (const r of content.recipients) if (r.person_id === personId) return r;
  return null;
}

function headteacher(content) {
  for (const r of content.recipients) if (r.role === "headteacher") return r;
  return null;
}

// The routing choice the answers make (see keyring.js routeRecipients), and for an allegation the
// person it is about as the note records them: {route, subject}. Null while the staff questions are
// not fully answered.
export function routeOf(fields, content) {
  if (fields.aboutStaff !== "yes") return { route: { kind: "concern" }, subject: null };
  if (fields.aboutHead === "yes") {
    const head = headteacher(content);
    return {
      route: { kind: "allegation", aboutHead: true, subjectPersonId: head ? head.person_id : null },
      subject: { headteacher: true, personId: head ? head.person_id : null, name: head ? head.name : "the headteacher" },
    };
  }
  if (fields.aboutHead !== "no" || !fields.staffSubject) return null;
  if (fields.staffSubject === "other") {
    if (!fields.staffName) return null;
    return {
      route: { kind: "allegation", aboutHead: false, subjectPersonId: null },
      subject: { headteacher: false, personId: null, name: fields.staffName },
    };
  }
  const person = recipientById(content, fields.staffSubject);
  if (!person) return null; // the keyring changed under the form: the list is refilled, ask again
  return {
    route: { kind: "allegation", aboutHead: false, subjectPersonId: person.person_id },
    subject: { headteacher: person.role === "headteacher", personId: person.person_id, name: person.name },
  };
}

// The keyring has one entry per key, and a person has a key on each of their devices: people are
// named once.
function onePerPerson(recipients) {
  const seen = {};
  return recipients.filter((r) => (seen[r.person_id] ? false : (seen[r.person_id] = true)));
}

const ROLE_NAMES = {
  dsl: "DSL", deputy_dsl: "deputy DSL", headteacher: "headteacher", chair_of_governors: "chair of governors",
};

// The people an allegation may name from the keyring (the headteacher has a question of their own).
export function fillStaffChoices(form, content) {
  const select = byId(form, "staff_subject");
  const chosen = select.value;
  while (select.firstChild) select.removeChild(select.firstChild);
  select.appendChild(el("option", { value: "" }, "Choose…"));
  for (const r of onePerPerson(content.recipients)) {
    if (r.role === "headteacher") continue;
    select.appendChild(el("option", { value: r.person_id }, `${r.name} (${ROLE_NAMES[r.role] || r.role})`));
  }
  select.appendChild(el("option", { value: "other" }, "Someone not in this list"));
  select.value = chosen;
  if (select.value !== chosen) select.value = "";
}

// Says, before anything is sealed, exactly who will be able to read this note.
export function describeRouting(form, fields, content) {
  const out = byId(form, "routing");
  const routed = content ? routeOf(fields, content) : null;
  let text;
  if (!content) {
    text = "";
  } else if (!routed) {
    text = "Answer the questions about the member of staff to see who will be able to read this note.";
  } else {
    const people = routeRecipients(content, routed.route);
    text = people.length
      ? "Only these people will be able to read this note: " + onePerPerson(people).map((r) => `${r.name} (${ROLE_NAMES[r.role] || r.role})`).join(", ") + "."
      : "Nobody your school has set up in Lantern can receive this note. Tell the right person yourself, now.";
  }
  if (out.textContent !== text) out.textContent = text; // a live region: speak only on a change
}

// The follow-ups and guidance each answer calls for. Guidance that appears is also announced, because
// a person ticking a box with a screen reader would not otherwise know it is there.
const GUIDANCE = [
  { id: "guidance-fgm", when: (f) => f.categories.indexOf("fgm") !== -1 },
  { id: "guidance-sexting", when: (f) => f.categories.indexOf("sexting") !== -1 },
  {
    id: "guidance-injury",
    when: (f) => f.marks.length > 0 || f.categories.indexOf("physical_abuse") !== -1 || f.categories.indexOf("serious_violence") !== -1,
  },
  { id: "guidance-staff", when: (f) => f.aboutStaff === "yes" },
  { id: "guidance-urgent", when: (f) => f.urgent },
];

export function showContext(form, fields, now = new Date()) {
  const show = (id, visible) => { byId(form, id).hidden = !visible; };
  show("category_other-wrap", fields.categories.indexOf("other") !== -1);
  show("fgm_reference-wrap", fields.fgmReported === "yes");
  show("fgm-not-yet", fields.fgmReported === "no");
  show("staff-questions", fields.aboutStaff === "yes");
  show("staff_subject-wrap", fields.aboutStaff === "yes" && fields.aboutHead === "no");
  show("staff_name-wrap", fields.aboutStaff === "yes" && fields.aboutHead === "no" && fields.staffSubject === "other");
  show("incident_at-late", isLate(fields.incidentAt, now));
  // The author's own clock: the written account within 24 hours of what happened.
  const due = accountDue(fields.incidentAt);
  const dueText = due && !isLate(fields.incidentAt, now)
    ? `Finish and save this account by ${due.toLocaleString("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })}: within 24 hours of what happened.`
    : "";
  if (byId(form, "incident_at-due").textContent !== dueText) byId(form, "incident_at-due").textContent = dueText;
  const appeared = [];
  for (const g of GUIDANCE) {
    const panel = byId(form, g.id);
    const visible = g.when(fields);
    if (visible && panel.hidden) appeared.push(panel.querySelector(".guidance-title").textContent);
    panel.hidden = !visible;
  }
  if (appeared.length) byId(form, "context-status").textContent = "Guidance added: " + appeared.join(". ") + ".";
}

// --- Errors

const FOCUS_FIRST_INPUT = { categories: true, fgm_reported: true, about_staff: true, about_head: true };

export function clearErrors(form) {
  for (const p of form.querySelectorAll("p.error[id$='-error']")) p.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of form.querySelectorAll(".has-error")) node.classList.remove("has-error");
}

// Shows each error beside its question (each question's aria-describedby names its error) and takes
// the person to the first one. `editor` opens a body-map mark that needs an answer.
export function showErrors(form, errors, editor) {
  clearErrors(form);
  for (const e of errors) {
    const message = byId(form, e.field + "-error");
    if (message.textContent) continue; // one message per question: the first says what to do
    message.appendChild(el("span", { class: "visually-hidden" }, "Error: "));
    message.appendChild(document.createTextNode(e.message));
    const target = byId(form, e.field === "bodymap" ? "bodymap-fieldset" : e.field);
    if (target.tagName === "FIELDSET") target.classList.add("has-error");
    else target.setAttribute("aria-invalid", "true");
  }
  if (!errors.length) return;
  const first = errors[0];
  if (first.field === "bodymap") {
    editor.showMark(first.mark);
  } else if (FOCUS_FIRST_INPUT[first.field]) {
    byId(form, first.field).querySelector("input").focus();
  } else {
    byId(form, first.field).focus();
  }
}
