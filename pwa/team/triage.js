// The team's triage list: one row per case (team/cases.js), urgent and overdue first, each saying whom
// it is about, what, who recorded it and when, its state, the next clock due, and how many additions
// and actions lie under it. Text only, as everywhere (dom.js).

import { STATES } from "./cases.js";
import { categoryLabel } from "../common/categories.js";
import { $, el } from "../common/dom.js";
import { formatTime } from "../common/note-view.js";
import { writtenAt } from "./inbox.js";

export function stateLabel(code) {
  const found = STATES.find((s) => s.code === code);
  return found ? found.label : code;
}

// "Due 3 Dec 2026, 15:00" or "Overdue since ...", for a clock.
export function dueText(clock) {
  return `${clock.label}: ${clock.overdue ? "overdue since" : "due"} ${formatTime(clock.due)}`;
}

const FAILED = {
  sealed_elsewhere: "Sealed to another of your keys: open it on the device that holds that key.",
};

function failedText(record) {
  return FAILED[record.failed]
    || `A record failed its checks (${record.failed}), so it is not shown: it may have been altered. Tell your Lantern administrator.`;
}

function row(kase) {
  const item = el("li", {
    class: "inbox-item" + (kase.urgent ? " urgent" : "") + (kase.overdue ? " overdue" : "") + (kase.failed.length ? " failed" : ""),
    "data-record": kase.id, "data-state": kase.state,
  });
  const title = el("p", { class: "inbox-title" });
  if (kase.urgent) title.appendChild(el("span", { class: "badge urgent" }, "Urgent"));
  if (kase.overdue) title.appendChild(el("span", { class: "badge overdue" }, "Overdue"));
  const who = kase.child ? kase.child.name : kase.concern ? "A child" : "A record";
  title.appendChild(el("strong", {}, who));
  if (kase.categories.length) title.appendChild(document.createTextNode(`: ${kase.categories.map(categoryLabel).join(", ")}`));
  item.appendChild(title);
  for (const record of kase.failed) item.appendChild(el("p", { class: "error" }, failedText(record)));
  if (kase.concern || kase.items.length) {
    const by = kase.author ? `Recorded by ${kase.author}, ` : "Recorded ";
    item.appendChild(el("p", { class: "inbox-meta" }, `${by}${formatTime(kase.recordedAt)}.`));
    if (!kase.concern) item.appendChild(el("p", { class: "inbox-state" }, "The note these add to is not on this device."));
    let state = stateLabel(kase.state) + ".";
    if (kase.concern && kase.concern.opened) {
      state += kase.concern.receiptSent
        ? " Its author has been told the safeguarding team has it."
        : " Its author will be told the safeguarding team has it when there is a network.";
    }
    item.appendChild(el("p", { class: "inbox-state" }, state));
    if (kase.next) item.appendChild(el("p", { class: "inbox-clock" + (kase.next.overdue ? " overdue" : "") }, dueText(kase.next) + "."));
    const additions = kase.items.filter((i) => i.note.type === "addendum").length;
    const actions = kase.items.filter((i) => i.note.type === "action").length;
    if (additions || actions) {
      const parts = [];
      if (additions) parts.push(additions === 1 ? "1 addition" : `${additions} additions`);
      if (actions) parts.push(actions === 1 ? "1 action" : `${actions} actions`);
      item.appendChild(el("p", { class: "inbox-meta" }, parts.join(", ") + "."));
    }
    const open = el("button", { type: "button", "data-open": kase.id }, "Open");
    open.appendChild(el("span", { class: "visually-hidden" }, ` the ${kase.urgent ? "urgent " : ""}case of ${who}`));
    item.appendChild(open);
  }
  return item;
}

// "1 record from a device enrolled to A. Teacher, written between ... and ..., has not reached this
// device": one line per gap (team/gaps.js), at the top of the list, never hidden by a filter.
function gapText(gap) {
  const count = gap.last - gap.first + 1;
  const what = count === 1 ? "1 record" : `${count} records`;
  const who = gap.signer && gap.signer.name ? `a device enrolled to ${gap.signer.name}` : "one device";
  const before = formatTime(writtenAt(gap.before));
  const when = gap.after ? `between ${formatTime(writtenAt(gap.after))} and ${before}` : `before ${before}`;
  return `${what} from ${who}, written ${when}, ${count === 1 ? "has" : "have"} not reached this device. `
    + "The server may have lost or held it back: ask them what they sent then, and tell your Lantern administrator.";
}

function renderGaps(gaps) {
  const box = $("inbox-gaps");
  while (box.firstChild) box.removeChild(box.firstChild);
  for (const gap of gaps) box.appendChild(el("li", { "data-device": gap.authorKeyId }, gapText(gap)));
  box.hidden = gaps.length === 0;
}

// Draws `cases` into #inbox-list, the records missing from what this device holds, and the overdue
// clocks across them, at the top; `matching` cases in all match the filter, of which `cases` are the
// first (the rest a button away: thousands of rows at once would be slow to draw and no use to read).
export function renderTriage(cases, shownOf, gaps, matching = cases.length) {
  renderGaps(gaps);
  const list = $("inbox-list");
  // Built apart and put in at once, and the old rows dropped in one go: thousands of cases, one layout.
  const rows = document.createDocumentFragment();
  for (const kase of cases) rows.appendChild(row(kase));
  list.textContent = "";
  list.appendChild(rows);
  const overdue = shownOf.filter((k) => k.overdue && k.state !== "closed").length;
  $("inbox-overdue").textContent = overdue ? `${overdue === 1 ? "1 case has" : `${overdue} cases have`} a clock overdue: they are at the top.` : "";
  const more = matching - cases.length;
  $("inbox-more").hidden = more <= 0;
  $("inbox-more").textContent = `Show more (${more === 1 ? "1 more case matches" : `${more} more cases match`})`;
  $("inbox-empty").hidden = cases.length > 0;
  $("inbox-empty").textContent = shownOf.length ? "No case matches." : "None yet.";
}

// The filter form's values, as team/cases.js filterCases takes them.
export function readFilter() {
  const value = (id) => $(id).value;
  return {
    state: value("filter-state"), category: value("filter-category"), child: value("filter-child"),
    author: value("filter-author"), from: value("filter-from"), to: value("filter-to"), text: value("filter-text"),
  };
}
