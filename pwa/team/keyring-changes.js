// What a draft keyring would change, for the trust key holder to read before signing
// (docs/trust-key.md, "Signing in the app"). The draft comes from the server, so nothing in it is
// taken on trust: it is checked as any keyring is, and shown as a list of changes against the keyring
// this device holds, which the trust key signed.

import { fromBase64, inFours } from "../common/bytes.js";
import { RECIPIENT_KEY, keyProven } from "../common/key-proofs.js";
import { KeyringError, checkContent } from "../common/keyring.js";

// The draft's content, checked: a keyring of this school, one version after the one held.
export async function checkDraft(draft, held, schoolId) {
  let content;
  try {
    content = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64(draft.payload)));
  } catch (e) {
    throw new KeyringError("keyring_invalid", "the draft is not UTF-8 JSON");
  }
  await checkContent(content, schoolId);
  if (content.version !== held.version + 1) {
    throw new KeyringError("keyring_rollback", `the draft is version ${content.version}, after ${held.version}`);
  }
  return signable(content);
}

// Only the fields this version knows and shows: a field the server added would be signed unread, and a
// later version of Lantern might give it a meaning.
function signable(c) {
  return {
    v: c.v, school_id: c.school_id, school_name: c.school_name, version: c.version, issued_at: c.issued_at,
    recipients: c.recipients.map((r) => ({ key_id: r.key_id, person_id: r.person_id, role: r.role, name: r.name, public_key: r.public_key })),
    contacts: c.contacts.map((k) => ({ kind: k.kind, name: k.name, phone: k.phone })),
    devices: (c.devices || []).map((d) => ({ key_id: d.key_id, person_id: d.person_id, name: d.name, role: d.role, label: d.label || "" })),
  };
}

const ROLE_NAMES = {
  staff: "staff", admin: "Lantern administrator", dsl: "DSL", deputy_dsl: "deputy DSL", headteacher: "headteacher",
  chair_of_governors: "chair of governors",
};

export function roleName(role) {
  return ROLE_NAMES[role] || role;
}

// "1a2b 3c4d 5e6f 7a8b": the start of a key id, as each team member's app shows its own key.
function shortId(keyId) {
  return inFours(keyId.slice(0, 16));
}

function contactLine(c) {
  return `${c.kind}\u0000${c.name}\u0000${c.phone}`;
}

// [{change: "added" | "removed", what: "reader" | "contact" | "device" | "school", text, vouched}], in
// the order a person reads them: readers added, readers removed, contacts, devices. `sources` are the
// server's word on where each new key came from (GET /api/v1/keyring/draft): shown as said, beside the
// fingerprint that proves nothing by itself, so that the holder asks its owner. `vouched` maps the key
// id of each device that one of this app's own codes set up to that code (team/issued-codes.js
// vouchedDevices): such a device, and a reader key it made, are marked `vouched`, for these the holder
// need not ask anyone.
export function keyringChanges(heldContent, draftContent, sources = [], vouched = new Map()) {
  const held = new Set(heldContent.recipients.map((r) => r.key_id));
  const next = new Set(draftContent.recipients.map((r) => r.key_id));
  const from = new Map(sources.map((s) => [s.key_id, s]));
  const reader = (r) => `${r.name} (${roleName(r.role)}), key ${shortId(r.key_id)}`;
  const changes = [];
  for (const r of draftContent.recipients) {
    if (held.has(r.key_id)) continue;
    const source = from.get(r.key_id);
    const device = source && source.device_key_id
      ? `, made on the device "${source.device_label || "no name"}" (${shortId(source.device_key_id)}) on ${source.proposed_at.slice(0, 10)}`
      : ", registered by your Lantern administrator, not made on a device: compare it with its owner's before you sign";
    const ownCode = !!(source && source.device_key_id && vouched.has(source.device_key_id));
    changes.push({ change: "added", what: "reader", text: `New reader: ${reader(r)}${device}`, vouched: ownCode });
  }
  for (const r of heldContent.recipients) {
    if (!next.has(r.key_id)) changes.push({ change: "removed", what: "reader", text: `No longer a reader: ${reader(r)}` });
  }
  const heldContacts = new Set(heldContent.contacts.map(contactLine));
  const nextContacts = new Set(draftContent.contacts.map(contactLine));
  for (const c of draftContent.contacts) {
    if (!heldContacts.has(contactLine(c))) changes.push({ change: "added", what: "contact", text: `New number to call: ${c.name}, ${c.phone}` });
  }
  for (const c of heldContent.contacts) {
    if (!nextContacts.has(contactLine(c))) changes.push({ change: "removed", what: "contact", text: `Number removed: ${c.name}, ${c.phone}` });
  }
  // Devices: a keyring from before approvals approved none by name, so all of the draft's are new.
  const heldDevices = new Set((heldContent.devices || []).map((d) => d.key_id));
  const nextDevices = new Set((draftContent.devices || []).map((d) => d.key_id));
  const device = (d) => `"${d.label || "no name"}" (${shortId(d.key_id)}), enrolled to ${d.name} (${roleName(d.role)})`;
  for (const d of draftContent.devices || []) {
    if (heldDevices.has(d.key_id)) continue;
    const code = vouched.get(d.key_id);
    const how = code
      ? `, set up with the code you gave them on ${code.issuedAt.slice(0, 10)}`
      : `, set up with a code this app did not give: check with ${d.name} that it is theirs before you sign`;
    changes.push({ change: "added", what: "device", text: `New device: ${device(d)}${how}`, vouched: !!code });
  }
  for (const d of heldContent.devices || []) {
    if (!nextDevices.has(d.key_id)) changes.push({ change: "removed", what: "device", text: `Device no longer approved: ${device(d)}` });
  }
  if (heldContent.school_name !== draftContent.school_name) {
    changes.push({ change: "added", what: "school", text: `The school's name becomes ${draftContent.school_name}` });
  }
  return changes;
}

// A new reader's key is signed in only when the device that made it proved it its own, and that
// device is approved for the same person: by the keyring held, or in this very version, which the
// holder reads before signing. A key the server slipped in under someone's name is left out, and
// said. Keys an admin registered (no device) stay, marked as such in the changes.
// Resolves with {content: what to sign, leftOut: [{change: "left-out", what: "reader", text}]}.
export async function leaveOutUnproven(heldContent, content, sources, schoolId) {
  const held = new Set(heldContent.recipients.map((r) => r.key_id));
  const devices = new Map([...(heldContent.devices || []), ...(content.devices || [])].map((d) => [d.key_id, d]));
  const from = new Map(sources.map((s) => [s.key_id, s]));
  const kept = [];
  const leftOut = [];
  for (const r of content.recipients) {
    const source = from.get(r.key_id);
    if (held.has(r.key_id) || !source || !source.device_key_id) {
      kept.push(r);
      continue;
    }
    const device = devices.get(source.device_key_id);
    const samePerson = device && String(device.person_id).toLowerCase() === String(r.person_id).toLowerCase();
    const approved = new Set(samePerson ? [source.device_key_id] : []);
    if (samePerson && (await keyProven(approved, source.device_public_key || "", RECIPIENT_KEY, schoolId, fromBase64(r.public_key), source.proof || ""))) {
      kept.push(r);
    } else {
      leftOut.push({
        change: "left-out", what: "reader",
        text: `Left out: a key for ${r.name} (${shortId(r.key_id)}) that no approved device of theirs has signed as its own. `
          + "If they have just set up a device, ask them to open Lantern on it, then come back.",
      });
    }
  }
  return { content: Object.assign({}, content, { recipients: kept }), leftOut };
}
