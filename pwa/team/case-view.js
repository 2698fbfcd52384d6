// A case on the team's side: the concern in full (note-view.js), its clocks, then every addition and
// action below it in time order, each with who wrote it, on which device, when, and whether its
// signature checked; and the short forms that record the next action (team/actions.js). Text only.

import { ADVISERS, CONSENT, CONSENT_GROUNDS, DECISIONS, KINDS, kindOf, labelOf } from "./actions.js";
import { timeOf } from "./clocks.js";
import { inFours } from "../common/bytes.js";
import { $, el } from "../common/dom.js";
import { formatTime, renderNote } from "../common/note-view.js";
import { dueText, stateLabel } from "./triage.js";

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function answers(pairs) {
  const list = el("dl", { class: "note-answers" });
  for (const [question, answer] of pairs) {
    if (answer === "" || answer === null || answer === undefined) continue;
    list.appendChild(el("dt", {}, question));
    list.appendChild(el("dd", { class: "verbatim" }, answer));
  }
  return list;
}

const yesNo = (v) => (v === true ? "Yes" : v === false ? "No" : "");

// What an action says, question by question, in the words of its form.
function actionAnswers(note) {
  return answers([
    ["When", note.at ? formatTime(new Date(note.at)) : ""],
    ["Done by", note.acted_by],
    [note.kind === "advice_sought" ? "From whom" : note.kind === "information_shared" ? "With whom" : "To whom",
      note.kind === "advice_sought" ? labelOf(ADVISERS, note.whom) : note.whom],
    ["The person spoken to", note.whom_name],
    ["Was the child named?", yesNo(note.child_named)],
    ["The decision", note.decision ? labelOf(DECISIONS, note.decision) : ""],
    ["The reasons", note.reasons],
    ["Is information shared?", yesNo(note.information_shared)],
    ["Consent", note.consent ? labelOf(CONSENT, note.consent) : ""],
    ["Why consent was not sought", note.consent_ground ? labelOf(CONSENT_GROUNDS, note.consent_ground) : ""],
    ["Reference", note.reference],
    [note.kind === "family_told" ? "What the family was told" : "What was shared", note.what],
    ["Why", note.why],
    ["The agencies said to tell the family nothing", note.told_nothing ? "Yes" : ""],
    ["The child on the school's list", note.child ? `${note.child.name} (${note.child.roster_id})` : ""],
    ["Linked notes", note.links && note.links.length ? note.links.join(", ") : ""],
    [note.kind === "closed" || note.kind === "reopened" ? "Why" : "Notes", note.text],
  ]);
}

// The devices the trust key approved (a Set of key ids), or null when the keyring predates approvals.
let approved = null;
export function useApprovedDevices(devices) {
  approved = devices;
}

// Said loudly, never hidden: the server names a device's person, and only the trust key vouches for it.
function unapproved(record) {
  if (!approved || !record.signer || !record.signer.keyId || approved.has(record.signer.keyId) || record.pending) return [];
  return [el("p", { class: "guidance warning", "data-unapproved": record.signer.keyId },
    `Signed on a device the school's trust key has not approved (${inFours(record.signer.keyId.slice(0, 16))}): `
    + `the server says it is ${record.signer.name}'s, and nothing proves it. Check with them, and with your trust key holder, before acting on it.`)];
}

// Who, on which device, when, and the signature: the line under every record.
function provenance(record) {
  const note = record.note;
  const named = note.author && note.author.name ? note.author.name : "";
  const device = record.signer ? `a device enrolled to ${record.signer.name}` : "an unknown device";
  const when = formatTime(new Date(note.recorded_at));
  const mismatch = record.signer && note.author && note.author.person_id
    && note.author.person_id.toLowerCase() !== record.signer.personId;
  const line = el("p", { class: "note-meta" }, `Recorded by ${named || "its author"} on ${device}, ${when}. `);
  line.appendChild(el("span", { class: "signature-ok" }, record.pending ? "Waiting on this device to be sent." : "Signature checked."));
  const out = [line, ...unapproved(record)];
  if (mismatch) {
    out.push(el("p", { class: "guidance warning" }, `It names ${named} as its author, but was signed on a device enrolled to ${record.signer.name}. Check with them.`));
  }
  return out;
}

function itemOf(record, idPrefix) {
  const note = record.note;
  const item = el("li", { class: "case-item", "data-record": record.recordId, "data-kind": note.type === "action" ? note.kind : note.type });
  if (note.type === "action") {
    const kind = kindOf(note.kind);
    item.appendChild(el("h4", {}, `${kind ? kind.title : note.kind}, ${formatTime(timeOf(note))}`));
    for (const line of provenance(record)) item.appendChild(line);
    item.appendChild(actionAnswers(note));
  } else {
    item.appendChild(el("h4", {}, `${note.urgent ? "Urgent addition" : "Addition"}, ${formatTime(timeOf(note))}`));
    for (const line of provenance(record)) item.appendChild(line);
    const body = el("div");
    renderNote(body, note, { recordId: record.recordId, signer: record.signer, idPrefix, own: true });
    item.appendChild(body);
  }
  return item;
}

// Draws the whole case. Returns the heading's text.
export function renderCase(kase) {
  const concern = kase.concern;
  let heading;
  if (concern) {
    heading = renderNote($("note-body"), concern.note, { recordId: concern.recordId, urgent: concern.urgent, signer: concern.signer });
    for (const warning of unapproved(concern)) $("note-body").appendChild(warning);
    if (kase.child && concern.note.child && kase.child.roster_id && kase.child.roster_id !== concern.note.child.roster_id) {
      $("note-body").appendChild(el("p", { class: "note-meta" }, `Linked to ${kase.child.name} on your school's list (${kase.child.roster_id}).`));
    }
  } else {
    clear($("note-body"));
    $("note-body").appendChild(el("p", { class: "notice" }, "The note these records add to is not on this device."));
    heading = "Records of a case";
  }
  $("case-state").textContent = `State: ${stateLabel(kase.state)}.`;
  const clocks = $("case-clocks");
  clear(clocks);
  for (const clock of kase.clocks) {
    const text = clock.done ? `${clock.label}: met ${formatTime(timeOf(clock.done.note))}` : dueText(clock);
    clocks.appendChild(el("li", { class: clock.overdue ? "overdue" : clock.done ? "done" : "due", "data-clock": clock.id,
      "data-due": clock.due.toISOString() }, text + "."));
  }
  $("case-clocks-none").hidden = kase.clocks.length > 0;
  const timeline = $("case-timeline");
  clear(timeline);
  kase.items.forEach((record, i) => timeline.appendChild(itemOf(record, `case-item-${i}-`)));
  $("case-timeline-none").hidden = kase.items.length > 0;
  $("case-links").textContent = kase.links.length ? `Linked to ${kase.links.length === 1 ? "1 other note" : `${kase.links.length} other notes`}.` : "";
  return heading;
}

export function clearCase() {
  for (const id of ["case-clocks", "case-timeline", "action-fields", "case-trail"]) clear($(id));
  for (const id of ["case-state", "case-links", "action-guidance", "action-error", "case-trail-status"]) $(id).textContent = "";
  $("action-form").hidden = true;
}

// The buttons that start each kind of action.
export function renderActionButtons(closed) {
  const box = $("case-actions");
  clear(box);
  for (const kind of KINDS) {
    if ((kind.kind === "closed" && closed) || (kind.kind === "reopened" && !closed)) continue;
    box.appendChild(el("button", { type: "button", class: "secondary", "data-action": kind.kind }, kind.button));
  }
}

function input(question) {
  const id = `action-${question.name}`;
  const wrap = el("div", { class: "action-question", "data-question": question.name });
  if (question.when) wrap.hidden = true;
  const optional = question.optional ? " (optional)" : "";
  if (question.type === "choice" || question.type === "yesno") {
    const options = question.type === "yesno" ? [{ code: "yes", label: "Yes" }, { code: "no", label: "No" }] : question.options;
    const set = el("fieldset", { class: "group" });
    set.appendChild(el("legend", {}, question.label + optional));
    for (const option of options) {
      const choice = el("div", { class: "check" });
      choice.appendChild(el("input", { type: "radio", name: id, id: `${id}-${option.code}`, value: option.code }));
      choice.appendChild(el("label", { for: `${id}-${option.code}` }, option.label));
      set.appendChild(choice);
    }
    wrap.appendChild(set);
    return wrap;
  }
  if (question.type === "check") {
    const choice = el("div", { class: "check" });
    choice.appendChild(el("input", { type: "checkbox", id }));
    choice.appendChild(el("label", { for: id }, question.label));
    wrap.appendChild(choice);
    return wrap;
  }
  wrap.appendChild(el("label", { for: id }, question.label + optional));
  if (question.hint) wrap.appendChild(el("p", { class: "hint", id: `${id}-hint` }, question.hint));
  const attrs = { id, name: id };
  if (question.hint) attrs["aria-describedby"] = `${id}-hint`;
  if (question.type === "textarea") wrap.appendChild(el("textarea", { ...attrs, rows: "3" }));
  else wrap.appendChild(el("input", { ...attrs, type: question.type === "datetime" ? "datetime-local" : "text" }));
  return wrap;
}

// Opens the form for `code`: its guidance, its questions, and "someone else did this".
export function openActionForm(code) {
  const kind = kindOf(code);
  $("action-heading").textContent = kind.title;
  $("action-guidance").textContent = kind.guidance;
  $("action-guidance").hidden = !kind.guidance;
  $("action-error").textContent = "";
  const fields = $("action-fields");
  clear(fields);
  for (const question of kind.fields) fields.appendChild(input(question));
  fields.appendChild(input({ name: "someone_else", label: "Someone else did this, not me", type: "check" }));
  const other = input({ name: "acted_by", label: "Who did it", type: "text" });
  other.hidden = true;
  fields.appendChild(other);
  const form = $("action-form");
  form.dataset.kind = code;
  form.hidden = false;
  showDependent();
  $("action-heading").focus();
}

// Questions asked only for some answers (why consent was not sought; who else did it).
export function showDependent() {
  const form = $("action-form");
  const kind = kindOf(form.dataset.kind);
  if (!kind) return;
  for (const question of kind.fields.filter((q) => q.when)) {
    const [name, value] = question.when;
    const chosen = form.querySelector(`input[name="action-${name}"]:checked`);
    form.querySelector(`[data-question="${question.name}"]`).hidden = !chosen || chosen.value !== value;
  }
  const someoneElse = $("action-someone_else");
  form.querySelector('[data-question="acted_by"]').hidden = !(someoneElse && someoneElse.checked);
}

// The answers in the open form, by field name, as team/actions.js actionContent takes them.
export function readActionForm() {
  const form = $("action-form");
  const kind = kindOf(form.dataset.kind);
  const values = {};
  for (const question of kind.fields) {
    const box = form.querySelector(`[data-question="${question.name}"]`);
    if (box.hidden) continue;
    if (question.type === "choice" || question.type === "yesno") {
      const chosen = form.querySelector(`input[name="action-${question.name}"]:checked`);
      if (chosen) values[question.name] = question.type === "yesno" ? chosen.value === "yes" : chosen.value;
    } else if (question.type === "check") {
      values[question.name] = $(`action-${question.name}`).checked;
    } else {
      values[question.name] = $(`action-${question.name}`).value.trim();
    }
  }
  if ($("action-someone_else").checked) values.acted_by = $("action-acted_by").value.trim();
  return { kind: kind.kind, values };
}

export function closeActionForm() {
  clear($("action-fields"));
  $("action-form").hidden = true;
  delete $("action-form").dataset.kind;
}
