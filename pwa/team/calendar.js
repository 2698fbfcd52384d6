// Working days in England and Wales: Monday to Friday, except bank holidays, for the statutory
// clocks (team/clocks.js). The bank holidays come from the server (GET /api/v1/calendar, made by the
// `holidays` package: docs/protocol.md, "The calendar") and are kept on this device, so the clocks
// keep counting with no network. They are public dates, the same for every school.
//
// Days are the device's local dates (a school's devices are on UK time). "n working days after" a
// moment is the same time of day on the n-th working day after its date: a written referral sent on
// Thursday at 15:00 before a bank holiday Friday is acknowledged "within one working day" by Monday
// at 15:00.

import { plainFetch } from "../common/api.js";
import { get, put } from "../common/db.js";

const KEY = "calendar";

// The bank holidays known to this device, as "YYYY-MM-DD"; empty until the first fetch, when only
// weekends are skipped.
let known = new Set();

function dateKey(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function useCalendar(calendar) {
  known = new Set((calendar.bank_holidays || []).map((h) => h.date));
}

function isWorkingDay(date, holidays = known) {
  const day = date.getDay();
  return day !== 0 && day !== 6 && !holidays.has(dateKey(date));
}

// The same time of day on the n-th working day after `start`'s date.
export function addWorkingDays(start, n, holidays = known) {
  const at = new Date(start.getTime());
  let left = n;
  while (left > 0) {
    at.setDate(at.getDate() + 1);
    if (isWorkingDay(at, holidays)) left -= 1;
  }
  return at;
}

export async function loadCalendar(db) {
  const held = await get(db, "settings", KEY);
  if (held) useCalendar(held);
}

// Fetches the dates again (at each sync of a team member; they change once a year at most); keeps
// what it had when the network or the answer fails.
export async function refreshCalendar(db) {
  let answer;
  try {
    answer = await plainFetch("GET", "/api/v1/calendar", null);
  } catch (e) {
    return false;
  }
  const body = answer.body;
  if (answer.status !== 200 || !body || !Array.isArray(body.bank_holidays)) return false;
  const dates = body.bank_holidays.filter((h) => h && /^\d{4}-\d{2}-\d{2}$/.test(h.date));
  const calendar = { region: body.region, first: body.first, last: body.last, bank_holidays: dates.map((h) => ({ date: h.date, name: String(h.name) })) };
  await put(db, "settings", calendar, KEY);
  useCalendar(calendar);
  return true;
}
