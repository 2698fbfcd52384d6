// What the safeguarding team records about a concern (docs/protocol.md, "Actions"): each action a
// record of its own, sealed to the same people as the concern and signed by the acting person's
// device, never changed afterwards (a correction is another action). The kinds, their questions and
// the guidance beside them come from the domain pack's sources: the Hull policy's sections 7 and 8
// and Appendices 2 and 3, and the Kent referral process. sync/note.py reads every kind written here.

import { CONTENT_VERSION } from "../common/note.js";

export const ADVISERS = [
  { code: "area_safeguarding_advisor", label: "The Area Safeguarding Advisor" },
  { code: "front_door", label: "Children's social care front door (EHaSH, Central Duty Team)" },
  { code: "lado", label: "The LADO" },
  { code: "other", label: "Someone else" },
];
export const DECISIONS = [
  { code: "refer_social_care", label: "Refer to children's social care" },
  { code: "early_help", label: "Early Help (needs the parents' consent)" },
  { code: "police", label: "Refer to the police" },
  { code: "lado", label: "Refer to the LADO (an allegation against staff)" },
  { code: "monitor", label: "Monitor" },
  { code: "no_further_action", label: "No further action" },
];
export const CONSENT = [
  { code: "sought", label: "Sought, no answer yet" },
  { code: "given", label: "Given" },
  { code: "refused", label: "Refused" },
  { code: "not_sought", label: "Not sought" },
];
// Hull, section 8 ("Consent"): when consent need not be sought before a referral.
export const CONSENT_GROUNDS = [
  { code: "risk_to_child_or_family", label: "Talking to the parents or carers could put the child or other family members at risk" },
  { code: "immediate_danger", label: "The child is in immediate danger (for example, needs medical attention)" },
  { code: "risk_to_staff", label: "Talking to the parents or carers could put you or another member of staff at risk" },
];

const at = { name: "at", label: "When", type: "datetime", optional: true, hint: "Leave empty for now." };

// Each kind: its name in the case, the button that starts it, the guidance from the sources, and its
// questions. A question is {name, label, type: text | textarea | choice | yesno | check | datetime,
// options, optional, hint, when: [field, value] (asked only then)}.
export const KINDS = [
  {
    kind: "advice_sought", title: "Advice sought", button: "Advice sought",
    guidance: "Keep the child's and family's names confidential at this stage unless they have agreed to it being shared "
      + "(Hull, Appendix 3). At the end of the call, both of you should be clear about the next step.",
    fields: [
      { name: "whom", label: "From whom", type: "choice", options: ADVISERS },
      { name: "whom_name", label: "The person you spoke to", type: "text", optional: true },
      { name: "child_named", label: "Was the child named?", type: "yesno" },
      { name: "text", label: "What they advised", type: "textarea", optional: true },
      at,
    ],
  },
  {
    kind: "decision", title: "Decision", button: "Decision",
    guidance: "Record your decision and the reasons for it, whether or not you share information (Hull, Appendix 2, rule 7). "
      + "Early Help needs the parents' consent; an allegation against staff goes to the LADO.",
    fields: [
      { name: "decision", label: "The decision", type: "choice", options: DECISIONS },
      { name: "reasons", label: "Your reasons", type: "textarea" },
      { name: "information_shared", label: "Is information shared with another agency?", type: "yesno" },
      at,
    ],
  },
  {
    kind: "consent", title: "Consent", button: "Consent",
    guidance: "Parents or carers are normally told and asked to consent before a referral. You need not ask where it could put "
      + "the child or others at risk, the child is in immediate danger, or it could put staff at risk: record why (Hull, section 8).",
    fields: [
      { name: "consent", label: "Consent", type: "choice", options: CONSENT },
      { name: "consent_ground", label: "Why it was not sought", type: "choice", options: CONSENT_GROUNDS, when: ["consent", "not_sought"] },
      { name: "text", label: "Notes", type: "textarea", optional: true },
      at,
    ],
  },
  {
    kind: "phone_referral", title: "Phone referral", button: "Phone referral made",
    guidance: "Follow a phone referral within 48 hours with the written referral (the Contact and Referral Form). Lantern "
      + "starts that clock now.",
    fields: [
      { name: "whom", label: "To whom", type: "text", hint: "For example: EHaSH front door, Central Duty Team, police." },
      { name: "whom_name", label: "The person you spoke to", type: "text", optional: true },
      { name: "reference", label: "Their reference", type: "text", optional: true },
      at,
    ],
  },
  {
    kind: "written_referral", title: "Written referral sent", button: "Written referral sent",
    guidance: "Children's social care should acknowledge a written referral within one working day. If nothing comes within "
      + "3 working days, contact them again (Hull, section 8). Lantern counts working days without weekends and bank holidays.",
    fields: [
      { name: "whom", label: "Sent to", type: "text", optional: true },
      { name: "reference", label: "Reference", type: "text", optional: true },
      at,
    ],
  },
  {
    kind: "acknowledgement", title: "Acknowledgement received", button: "Acknowledgement received",
    guidance: "A referral is the start, not the end: follow up that the service was taken up (Hull, Appendix 3).",
    fields: [{ name: "reference", label: "Their reference", type: "text", optional: true }, at],
  },
  {
    kind: "chased", title: "Chased", button: "Chased",
    guidance: "No acknowledgement within 3 working days: contact children's social care again.",
    fields: [{ name: "whom_name", label: "The person you spoke to", type: "text", optional: true }, { name: "text", label: "What they said", type: "textarea", optional: true }, at],
  },
  {
    kind: "fgm_police_report", title: "FGM reported to the police", button: "FGM reported to the police",
    guidance: "A teacher who learns that FGM appears to have been carried out on a girl under 18 must report it to the police "
      + "personally (Female Genital Mutilation Act 2003, s5B), on 101. Record who reported it, when, and the crime reference.",
    fields: [{ name: "reference", label: "The police's crime reference", type: "text" }, at],
  },
  {
    kind: "lado_informed", title: "LADO told", button: "LADO told",
    guidance: "An allegation against a member of staff or a volunteer is referred to the LADO within one working day.",
    fields: [
      { name: "whom_name", label: "The person you spoke to", type: "text", optional: true },
      { name: "reference", label: "Their reference", type: "text", optional: true },
      at,
    ],
  },
  {
    kind: "information_shared", title: "Information shared", button: "Information shared",
    guidance: "Share only what is necessary, proportionate, relevant, accurate, timely and secure, with those who need it; with "
      + "consent where appropriate; and record what, with whom and why (the seven golden rules, Hull, Appendix 2).",
    fields: [
      { name: "what", label: "What was shared", type: "textarea" },
      { name: "whom", label: "With whom", type: "text" },
      { name: "why", label: "Why, and on what basis", type: "textarea" },
      at,
    ],
  },
  {
    kind: "family_told", title: "What the family was told", button: "Family told",
    guidance: "Tell the family as the agencies advise. Sometimes the school is told to say nothing and refer at once (Kent).",
    fields: [
      { name: "told_nothing", label: "The agencies said to tell the family nothing", type: "check" },
      { name: "what", label: "What the family was told", type: "textarea", optional: true },
      at,
    ],
  },
  { kind: "outcome", title: "Outcome", button: "Outcome", guidance: "", fields: [{ name: "text", label: "The outcome", type: "textarea" }, at] },
  { kind: "closed", title: "Closed", button: "Close the case", guidance: "", fields: [{ name: "text", label: "Why the case is closed", type: "textarea" }] },
  { kind: "reopened", title: "Reopened", button: "Reopen the case", guidance: "", fields: [{ name: "text", label: "Why it is reopened", type: "textarea" }] },
];

export const LINK_KINDS = [
  { kind: "link_child", title: "Linked to a child on the school's list" },
  { kind: "link_notes", title: "Linked to other notes" },
];

export function kindOf(code) {
  return KINDS.find((k) => k.kind === code) || LINK_KINDS.find((k) => k.kind === code) || null;
}

export function labelOf(list, code) {
  const found = list.find((o) => o.code === code);
  return found ? found.label : code;
}

// "YYYY-MM-DDTHH:MM" (a datetime-local field, local time) as ISO 8601 UTC; "" stays "".
export function isoFromLocal(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value || "");
  return m ? new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]).toISOString() : "";
}

// The record for one action, as bytes to seal: `values` holds the kind's answers (strings, booleans,
// and for links `child` or `links`); `enrolment` is the recording person's.
export function actionContent({ kind, refersTo, values, enrolment, now = new Date(Date.now()) }) {
  const content = {
    v: CONTENT_VERSION,
    type: "action",
    kind,
    refers_to: refersTo,
    author: { person_id: enrolment.person.id, name: enrolment.person.name },
    recorded_at: now.toISOString(),
  };
  for (const [name, value] of Object.entries(values)) {
    if (value === "" || value === null || value === undefined) continue;
    content[name] = name === "at" ? isoFromLocal(value) || value : value;
  }
  return new TextEncoder().encode(JSON.stringify(content));
}
