// Reading the school's list of children from a CSV export of its MIS (SIMS, Arbor, Bromcom,
// ScholarPack), on the DSL's device: nothing of the file leaves it unsealed (docs/protocol.md, "The
// roster"). Pure functions of text, no DOM, so they can be tested on their own.
//
// The CSV is RFC 4180 as spreadsheets write it: fields separated by commas, a field in double quotes
// may hold commas, line breaks and doubled quotes (""), lines end in CRLF or LF, and the file may
// start with a UTF-8 byte order mark. Cells copied from a spreadsheet and pasted come separated by
// tabs, and some spreadsheets save with semicolons: the header row says which. Headers are
// recognised whatever their case and spacing.

export class RosterImportError extends Error {
  // code: empty (no header row), no_name_column, no_children.
  constructor(code, message) {
    super(message);
    this.name = "RosterImportError";
    this.code = code;
  }
}

// The separator the header row uses: a tab, a semicolon or (by default) a comma, whichever it has most.
export function separatorOf(text) {
  const header = text.split(/\r?\n|\r/, 1)[0].replace(/"[^"]*"/g, "");
  const count = (c) => header.split(c).length - 1;
  const [tabs, semicolons, commas] = [count("\t"), count(";"), count(",")];
  if (tabs > commas && tabs >= semicolons) return "\t";
  if (semicolons > commas) return ";";
  return ",";
}

// Every row of the file as an array of fields, blank lines left out.
export function parseCsv(text, separator = ",") {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => { row.push(field); field = ""; };
  const endRow = () => {
    endField();
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false;
      } else {
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === separator) endField();
    else if (c === "\r" && text[i + 1] === "\n") { endRow(); i += 1; }
    else if (c === "\n" || c === "\r") endRow();
    else field += c;
    i += 1;
  }
  if (field !== "" || row.length) endRow();
  return rows;
}

// What each column may be called in the exports schools have, after lower-casing and squeezing out
// everything but letters and digits ("Legal Forename" -> "legalforename", "NC Year" -> "ncyear").
const HEADERS = {
  forename: ["forename", "legalforename", "firstname", "givenname", "firstnames"],
  preferred: ["preferredforename", "preferredname", "knownas", "preferredfirstname", "chosenname"],
  surname: ["surname", "legalsurname", "lastname", "familyname", "preferredsurname"],
  name: ["name", "fullname", "pupilname", "studentname", "childname", "pupil", "student"],
  dob: ["dateofbirth", "dob", "birthdate"],
  year: ["year", "yeargroup", "ncyear", "nationalcurriculumyear", "curriculumyear", "yr"],
  group: ["reggroup", "registrationgroup", "regform", "form", "formgroup", "class", "tutorgroup", "registrationclass"],
  id: ["upn", "misid", "admissionnumber", "admissionno", "adno", "pupilid", "studentid", "id", "uniquepupilnumber"],
};
const ID_ORDER = ["upn", "uniquepupilnumber", "misid", "admissionnumber", "admissionno", "adno", "pupilid", "studentid", "id"];

const squeeze = (header) => header.toLowerCase().replace(/[^a-z0-9]/g, "");

// Which column holds what: {forename: 2, surname: 0, ...}; the first matching column wins, and for
// the id a UPN is preferred to an MIS id, and that to an admission number.
export function mapColumns(headerRow) {
  const names = headerRow.map(squeeze);
  const columns = {};
  for (const key of Object.keys(HEADERS)) {
    if (key === "id") continue;
    const at = names.findIndex((n) => HEADERS[key].indexOf(n) !== -1);
    if (at !== -1) columns[key] = at;
  }
  for (const wanted of ID_ORDER) {
    const at = names.indexOf(wanted);
    if (at !== -1) { columns.id = at; break; }
  }
  return columns;
}

const MAX_ID = 64;
const MAX_TEXT = 200;

// "2017-03-04" from the dates exports write: ISO, or day first (UK) with / - or . between.
function isoDate(text) {
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(text);
  if (m) return `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}`;
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
  if (m) return `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}`;
  return text;
}

// "Year 4", "Y4", "4" -> "4"; "Reception" and "N1" as they are.
function yearOf(text) {
  const m = /^(?:year|yr|y)\s*(\d{1,2})$/i.exec(text);
  return m ? m[1] : text;
}

// The children in a CSV file's text: {children, skipped: [{row, reason}], rows, columns}. A row's
// number is its line in a spreadsheet (the header is row 1). Throws RosterImportError when the file
// has no header row or no column a name can come from. `newId` gives an id to a child the file has
// none for (a random UUID by default).
export function readRoster(text, newId = () => crypto.randomUUID()) {
  const rows = parseCsv(text, separatorOf(text.replace(/^\ufeff/, "")));
  if (!rows.length) throw new RosterImportError("empty", "The file is empty: export the list of pupils from your MIS as CSV.");
  const columns = mapColumns(rows[0]);
  const hasName = columns.name !== undefined || (columns.forename !== undefined || columns.preferred !== undefined) && columns.surname !== undefined;
  if (!hasName) {
    throw new RosterImportError("no_name_column",
      "No column of names was found. The first row must name the columns: Forename and Surname (or Legal Forename, "
      + "First Name, Legal Surname, Last Name), or a single Name column.");
  }
  // A line break inside a quoted name is a space; every cell is trimmed and kept to a sane length.
  const cell = (row, key) => (columns[key] === undefined ? "" : (row[columns[key]] || "").replace(/\s+/g, " ").trim().slice(0, MAX_TEXT));
  const children = [];
  const skipped = [];
  const seen = new Set();
  rows.slice(1).forEach((row, index) => {
    const number = index + 2;
    const legal = cell(row, "forename");
    const preferred = cell(row, "preferred");
    const surname = cell(row, "surname");
    const forename = legal || preferred;
    const name = forename && surname ? `${forename} ${surname}` : cell(row, "name");
    if (!name) {
      skipped.push({ row: number, reason: "no name" });
      return;
    }
    let id = cell(row, "id");
    if (id.length > MAX_ID) id = "";
    if (id && seen.has(id)) {
      skipped.push({ row: number, reason: "the same id as an earlier row" });
      return;
    }
    id = id || newId();
    seen.add(id);
    children.push({
      id,
      name,
      preferred: preferred && preferred !== forename ? preferred : "",
      dob: isoDate(cell(row, "dob")),
      year: yearOf(cell(row, "year")),
      group: cell(row, "group"),
    });
  });
  return { children, skipped, rows: rows.length - 1, columns };
}

// How a child is offered in the form's list: "Zephyrine Quillfeather (Year 4, 4B)".
export function childLabel(child) {
  const about = [];
  if (child.year) about.push(/^\d+$/.test(child.year) ? `Year ${child.year}` : child.year);
  if (child.group && child.group !== child.year) about.push(child.group);
  const known = child.preferred ? ` "${child.preferred}"` : "";
  return `${child.name}${known}${about.length ? ` (${about.join(", ")})` : ""}`;
}
