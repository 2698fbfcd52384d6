// What each error code means to the person holding the device, and what they can do about it.
// The code itself is shown too, in brackets, so that a DSL or administrator can look it up.

const ENROL = {
  code_malformed: "That code is not complete or has a typing mistake. A code has 40 letters and numbers (the numbers are 2 to 7), usually in ten groups of four.",
  offline: "This device could not reach the Lantern server. Check the network, then try again.",
  enrolment_code_invalid: "The server does not know that code. Check it, or ask your Lantern administrator for a new one.",
  enrolment_code_expired: "That code has expired. Ask your Lantern administrator for a new one.",
  enrolment_code_used: "That code has already been used: each code works once. Ask your Lantern administrator for a new one.",
  invalid_proof: "The server could not check this device's key. Reload the page and try again.",
  rate_limited: "Too many attempts from this network. Wait a few minutes, then try again.",
  trust_key_mismatch: "This server is not the school your code came from, so this device was not set up. Tell your DSL or Lantern administrator.",
  keyring_bad_signature: "The server's list of the safeguarding team is not signed by your school, so this device was not set up. Tell your DSL or Lantern administrator.",
  keyring_rollback: "The server gave an older list of the safeguarding team than your code was made with, so this device was not set up. Tell your DSL or Lantern administrator.",
  keyring_invalid: "The server's list of the safeguarding team does not belong to your school, so this device was not set up. Tell your DSL or Lantern administrator.",
  bad_answer: "The server gave an answer this app cannot use, so this device was not set up. Tell your Lantern administrator.",
  no_keyring: "Your school has not finished setting up Lantern: the list of its safeguarding team is not published yet. Tell your Lantern administrator.",
  conflict: "The server already knows this device's key. Try again; if it happens again, tell your Lantern administrator.",
  no_demo_school: "This server has no demo school.",
};

export function enrolMessage(code) {
  const text = ENROL[code] || "This device could not be set up. Tell your Lantern administrator.";
  return `${text} (${code})`;
}

// A refused keyring changes nothing about where notes go, which is what the person needs to hear.
export function keyringWarning(code) {
  return "The server sent a list of the safeguarding team that this device cannot trust, so it was not used. "
    + `Your notes are still sealed to the team this device already knows. Tell your DSL. (${code})`;
}

// The keyring held is past its expiry: a server may be holding a newer one back, or the trust key
// holder has not signed the next. Notes still go, to the people this device knows.
export function keyringExpiredWarning(expiry) {
  return `This device's list of the safeguarding team is out of date: it expired on ${expiry.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" })}. `
    + "Your notes are still sealed to the team it names. Tell your DSL, who signs a new one.";
}

function contactLine(content, kind) {
  for (const c of content.contacts || []) if (c.kind === kind) return ` ${c.name}: ${c.phone}.`;
  return "";
}

// Nothing was sealed, so nothing was sent: the person must know at once, and whom to tell instead.
export function noRecipientsMessage(route, content) {
  if (route.kind === "allegation") {
    const who = route.aboutHead ? "chair of governors" : "headteacher";
    return `Your school has not set up its ${who} in Lantern, so this note cannot be sealed to them and nothing was sent. `
      + `Tell the ${who} yourself, or the local authority's designated officer (LADO).${contactLine(content, "lado")}`;
  }
  if (route.kind === "people") {
    return "None of the people who could read that note can receive additions on this device now, so nothing was sent. "
      + "Tell your DSL.";
  }
  return "This device knows no DSL to send notes to, so it cannot seal this note. Tell your Lantern administrator.";
}
