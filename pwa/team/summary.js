// The summary for governors: how many concerns were recorded, by category and by school term, with no
// names and nothing a governor could use to tell who a child is; a count under 5 is shown as "fewer
// than 5". Made on the DSL's device from the cases it holds (team/cases.js); the server never sees it.

import { CATEGORIES, categoryLabel } from "../common/categories.js";
import { $, el } from "../common/dom.js";

export const SMALL = 5;

// English school terms, by month (the holidays between them vary by school and by Easter): autumn
// September to December, spring January to March, summer April to August.
export function termOf(date) {
  const month = date.getMonth();
  const year = date.getFullYear();
  if (month >= 8) return { key: `${year}-1`, label: `Autumn ${year}` };
  if (month <= 2) return { key: `${year - 1}-2`, label: `Spring ${year}` };
  return { key: `${year - 1}-3`, label: `Summer ${year}` };
}

export function shown(count) {
  return count > 0 && count < SMALL ? "fewer than 5" : String(count);
}

// {terms: [{key, label}], rows: [{code, label, counts: {termKey: n}, total}], totals: {termKey: n}}.
// A concern about two categories counts in both rows, and once in the totals.
export function summarise(cases) {
  const terms = new Map();
  const counts = new Map();
  const totals = {};
  for (const kase of cases) {
    if (!kase.concern || !kase.recordedAt) continue;
    const term = termOf(kase.recordedAt);
    terms.set(term.key, term);
    totals[term.key] = (totals[term.key] || 0) + 1;
    for (const code of kase.categories) {
      if (!counts.has(code)) counts.set(code, {});
      const row = counts.get(code);
      row[term.key] = (row[term.key] || 0) + 1;
    }
  }
  const order = CATEGORIES.map((c) => c.code);
  const rows = [...counts.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 999) - (order.indexOf(b) + 1 || 999))
    .map(([code, byTerm]) => ({ code, label: categoryLabel(code), counts: byTerm, total: Object.values(byTerm).reduce((x, y) => x + y, 0) }));
  return { terms: [...terms.values()].sort((a, b) => (a.key < b.key ? -1 : 1)), rows, totals };
}

export function renderSummary(summary) {
  const table = $("summary-table");
  while (table.firstChild) table.removeChild(table.firstChild);
  const head = el("tr");
  head.appendChild(el("th", { scope: "col" }, "What the concerns were about"));
  for (const term of summary.terms) head.appendChild(el("th", { scope: "col" }, term.label));
  head.appendChild(el("th", { scope: "col" }, "All terms"));
  table.appendChild(el("thead")).appendChild(head);
  const body = table.appendChild(el("tbody"));
  const line = (label, byTerm, total) => {
    const tr = el("tr");
    tr.appendChild(el("th", { scope: "row" }, label));
    for (const term of summary.terms) tr.appendChild(el("td", {}, shown(byTerm[term.key] || 0)));
    tr.appendChild(el("td", {}, shown(total)));
    body.appendChild(tr);
  };
  for (const row of summary.rows) line(row.label, row.counts, row.total);
  line("All concerns", summary.totals, Object.values(summary.totals).reduce((x, y) => x + y, 0));
  $("summary-empty").hidden = summary.rows.length > 0;
}
