// Reading a record's content once an envelope has opened (docs/protocol.md, "Record content, version 3"):
// the JavaScript twin of sync/note.py `read`, refusing the same contents with the same codes
// (tests/browser/test_inbox.py holds the two to the same answers). note.js writes notes; this reads
// them, for the safeguarding team's note view.
//
// Readers ignore fields they do not know and accept values they do not know (a category, a mark
// type) as they are; a field that is present must have its type. What a field may leave out gets the
// protocol's default here, so the view never meets `undefined`.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class NoteError extends Error {
  // code: malformed (not a note's JSON), unknown_type, or incomplete (a required answer is missing).
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = "NoteError";
    this.code = code;
  }
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function malformed(detail) {
  return new NoteError("malformed", detail);
}

// A field that may be absent (then `fallback`) and otherwise must pass `ok`.
function field(source, name, ok, fallback) {
  if (!(name in source)) {
    if (fallback === undefined) throw malformed(`${name} is missing`);
    return fallback;
  }
  const value = source[name];
  if (!ok(value)) throw malformed(`${name} has the wrong type`);
  return value;
}

const isString = (v) => typeof v === "string";
// {recipient key id (64 lower-case hex): its place in the device's sequence to that key, from 1}.
const isSequence = (v) => isObject(v)
  && Object.keys(v).every((k) => /^[0-9a-f]{64}$/.test(k) && Number.isInteger(v[k]) && v[k] >= 1);
const isBool = (v) => typeof v === "boolean";
const isFraction = (v) => typeof v === "number" && isFinite(v) && v >= 0 && v <= 1;

function readMark(m) {
  if (!isObject(m)) throw malformed("a mark is not an object");
  return {
    side: field(m, "side", (v) => v === "front" || v === "back"),
    x: field(m, "x", isFraction),
    y: field(m, "y", isFraction),
    type: field(m, "type", isString),
    size: field(m, "size", isString, ""),
    colour: field(m, "colour", isString, ""),
    description: field(m, "description", isString, ""),
    region: field(m, "region", isString, ""),
  };
}

function readFgm(v) {
  if (v === null) return null;
  if (!isObject(v)) throw malformed("fgm_report is not an object");
  return { reported: field(v, "reported", isBool), police_reference: field(v, "police_reference", isString, "") };
}

function readAboutStaff(v) {
  if (v === null) return null;
  if (!isObject(v)) throw malformed("about_staff is not an object");
  return {
    headteacher: field(v, "headteacher", isBool),
    name: field(v, "name", isString, ""),
    person_id: field(v, "person_id", (x) => x === null || (isString(x) && UUID.test(x)), null),
  };
}

// Who wrote it, when the author's app says (sync/note.py Author): {person_id, name}, or null.
function readAuthor(v) {
  if (v === null) return null;
  if (!isObject(v)) throw malformed("author is not an object");
  return {
    person_id: field(v, "person_id", (x) => x === null || (isString(x) && UUID.test(x)), null),
    name: field(v, "name", isString, ""),
  };
}

function readConcern(raw, common) {
  const child = field(raw, "child", isObject);
  return Object.assign(common, {
    child: {
      name: field(child, "name", isString),
      // The roster's id for the child, when picked from it (docs/protocol.md, "The roster").
      roster_id: field(child, "roster_id", (v) => v === null || (isString(v) && Array.from(v).length <= 64), null),
    },
    incident_at: field(raw, "incident_at", isString, ""),
    place: field(raw, "place", isString, ""),
    people_present: field(raw, "people_present", isString, ""),
    words: field(raw, "words", isString, ""),
    seen: field(raw, "seen", isString, ""),
    action_taken: field(raw, "action_taken", isString, ""),
    categories: field(raw, "categories", (v) => Array.isArray(v) && v.every(isString), []).slice(),
    category_other: field(raw, "category_other", isString, ""),
    urgent: field(raw, "urgent", isBool, false),
    body_map: field(raw, "body_map", Array.isArray, []).map(readMark),
    fgm_report: "fgm_report" in raw ? readFgm(raw.fgm_report) : null,
    about_staff: "about_staff" in raw ? readAboutStaff(raw.about_staff) : null,
  });
}

function readAddendum(raw, common) {
  return Object.assign(common, {
    refers_to: field(raw, "refers_to", (v) => isString(v) && UUID.test(v)).toLowerCase(),
    text: field(raw, "text", isString),
    urgent: field(raw, "urgent", isBool, false),
  });
}

// An action (version 3): every field the kinds use, with the protocol's defaults (sync/note.py Action).
function readAction(raw, common) {
  const optionalBool = (v) => v === null || isBool(v);
  const child = "child" in raw && raw.child !== null ? field(raw, "child", isObject) : null;
  return Object.assign(common, {
    refers_to: field(raw, "refers_to", (v) => isString(v) && UUID.test(v)).toLowerCase(),
    kind: field(raw, "kind", isString),
    at: field(raw, "at", isString, ""),
    acted_by: field(raw, "acted_by", isString, ""),
    whom: field(raw, "whom", isString, ""),
    whom_name: field(raw, "whom_name", isString, ""),
    child_named: field(raw, "child_named", optionalBool, null),
    decision: field(raw, "decision", isString, ""),
    reasons: field(raw, "reasons", isString, ""),
    information_shared: field(raw, "information_shared", optionalBool, null),
    consent: field(raw, "consent", isString, ""),
    consent_ground: field(raw, "consent_ground", isString, ""),
    reference: field(raw, "reference", isString, ""),
    what: field(raw, "what", isString, ""),
    why: field(raw, "why", isString, ""),
    told_nothing: field(raw, "told_nothing", isBool, false),
    text: field(raw, "text", isString, ""),
    child: child ? {
      name: field(child, "name", isString),
      roster_id: field(child, "roster_id", (v) => v === null || (isString(v) && Array.from(v).length <= 64), null),
    } : null,
    links: field(raw, "links", (v) => Array.isArray(v) && v.every((x) => isString(x) && UUID.test(x)), []).map((x) => x.toLowerCase()),
  });
}

// A re-seal (sync/note.py Reseal): the original envelope and its content key, base64. What it holds
// is opened and read by the inbox (pwa/team/inbox.js), as the original author's record.
const isBase64 = (v) => isString(v) && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v);

function readReseal(raw, common) {
  return Object.assign(common, {
    refers_to: field(raw, "refers_to", (v) => isString(v) && UUID.test(v)).toLowerCase(),
    envelope: field(raw, "envelope", (v) => isBase64(v) && v.length > 0),
    content_key: field(raw, "content_key", (v) => isBase64(v) && v.length === 44),
  });
}

const blank = (s) => !s.trim();

// What each kind must say (sync/note.py _REQUIRED, in the same words).
const REQUIRED = {
  advice_sought: [[(a) => Boolean(a.whom), "from whom advice was sought"], [(a) => a.child_named !== null, "whether the child was named"]],
  decision: [[(a) => a.decision !== "", "the decision"], [(a) => !blank(a.reasons), "the reasons for the decision"],
    [(a) => a.information_shared !== null, "whether information is shared"]],
  consent: [[(a) => a.consent !== "", "what happened about consent"],
    [(a) => a.consent !== "not_sought" || a.consent_ground !== "", "why consent was not sought"]],
  phone_referral: [[(a) => !blank(a.whom), "to whom the referral was made"]],
  fgm_police_report: [[(a) => !blank(a.reference), "the police's crime reference"]],
  information_shared: [[(a) => !blank(a.what), "what was shared"], [(a) => !blank(a.whom), "with whom"], [(a) => !blank(a.why), "why"]],
  family_told: [[(a) => a.told_nothing || !blank(a.what), "what the family was told"]],
  outcome: [[(a) => !blank(a.text), "the outcome"]],
  closed: [[(a) => !blank(a.text), "why the case is closed"]],
  reopened: [[(a) => !blank(a.text), "why the case is reopened"]],
  link_child: [[(a) => a.child !== null && Boolean(a.child.roster_id), "the child on the roster"]],
  link_notes: [[(a) => a.links.length > 0, "the notes it links"]],
};
export const ACTION_KINDS = [
  "advice_sought", "decision", "consent", "phone_referral", "written_referral", "acknowledgement", "chased",
  "fgm_police_report", "lado_informed", "information_shared", "family_told", "outcome", "closed", "reopened",
  "link_child", "link_notes",
];

function actionProblems(action, found) {
  if (ACTION_KINDS.indexOf(action.kind) === -1) return found; // a kind from a later version: shown, not refused
  if (action.at && isNaN(Date.parse(action.at))) found.push("at is not an ISO 8601 time");
  for (const [ok, words] of REQUIRED[action.kind] || []) if (!ok(action)) found.push(`a ${action.kind} action needs ${words}`);
  return found;
}

// What is missing, as sync/note.py `check` says it; empty when the note is complete.
function problems(note) {
  const found = [];
  if (isNaN(Date.parse(note.recorded_at))) found.push("recorded_at is not an ISO 8601 time");
  if (note.type === "action") return actionProblems(note, found);
  if (note.type === "reseal") return found;
  if (note.type === "addendum") {
    if (blank(note.text)) found.push("an addendum needs text");
    return found;
  }
  if (blank(note.child.name)) found.push("the child's name is empty");
  if (note.v < 2) return found; // version 1 asked for nothing more
  if (blank(note.words) && blank(note.seen)) found.push("neither what was said nor what was seen");
  if (!note.categories.length) found.push("no category");
  if (note.categories.indexOf("other") !== -1 && blank(note.category_other)) found.push("'other' ticked without saying what");
  if ((note.categories.indexOf("fgm") !== -1) !== (note.fgm_report !== null)) {
    found.push("an FGM concern needs its police report, and only an FGM concern has one");
  }
  const about = note.about_staff;
  if (about && !about.headteacher && !(about.name || about.person_id)) found.push("an allegation names no member of staff");
  note.body_map.forEach((m, i) => { if (!m.type) found.push(`mark ${i + 1} has no type`); });
  return found;
}

// The note in an opened envelope's content (bytes); throws NoteError.
export function readNote(content) {
  let raw;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(content));
  } catch (e) {
    throw malformed("not UTF-8 JSON");
  }
  return readContent(raw);
}

// The same checks for content already parsed: an author's own copy of what they sealed.
export function readContent(raw) {
  if (!isObject(raw) || !isString(raw.type)) throw malformed("no type");
  if (["concern", "addendum", "action", "reseal"].indexOf(raw.type) === -1) throw new NoteError("unknown_type", raw.type);
  const common = {
    type: raw.type,
    v: field(raw, "v", (v) => typeof v === "number" && Math.floor(v) === v && v >= 1),
    recorded_at: field(raw, "recorded_at", isString),
    author: "author" in raw ? readAuthor(raw.author) : null,
    sequence: field(raw, "sequence", isSequence, {}),
  };
  const read = { concern: readConcern, addendum: readAddendum, action: readAction, reseal: readReseal }[raw.type];
  const note = read(raw, common);
  const missing = problems(note);
  if (missing.length) throw new NoteError("incomplete", missing.join("; "));
  return note;
}
