// The child field's choices: the children of the school's roster (pwa/common/roster.js), offered in
// a datalist while someone is unlocked, and the roster child a typed text names. The staff's concern
// form and the team's "link to a child" use the same list.

import { el } from "./dom.js";

function byId(form, id) {
  return form.querySelector("#" + id);
}

// What the roster offers, while someone is unlocked: the label shown (and typed) and the name, each
// in a form to compare, to the child. Empty when there is no roster, or the app is locked.
const picker = { byLabel: new Map(), byName: new Map() };
const folded = (text) => text.replace(/\s+/g, " ").trim().toLowerCase();

// Offers these children ({child, label} each) in the child field's list, or none ([]).
export function fillChildChoices(form, choices) {
  const list = byId(form, "child-choices");
  while (list.firstChild) list.removeChild(list.firstChild);
  picker.byLabel = new Map();
  picker.byName = new Map();
  for (const { child, label } of choices) {
    list.appendChild(el("option", { value: label }));
    picker.byLabel.set(folded(label), child);
    const name = folded(child.name);
    picker.byName.set(name, picker.byName.has(name) ? null : child); // two children of one name: neither
  }
  byId(form, "child-hint").hidden = choices.length === 0;
}

// The roster's child the typed text names: their label as the list shows it, or a name only one
// child on the roster has. Null for anyone else (then the name is the text, as typed).
export function pickedChild(text) {
  const key = folded(text);
  return picker.byLabel.get(key) || picker.byName.get(key) || null;
}

