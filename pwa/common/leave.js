// A person removing themselves from this device (docs/staff-app.md, "Leaving a device"), when they
// stop using a shared tablet or leave the school. The server is told first, so that the device key is
// revoked before it is deleted here (an administrator does not have to find it among the school's
// devices); then everything this device holds for them goes: their profile and device key, their
// wrapped profile key, their draft, their own copies, what they sent, their keyring and other keys,
// and for a team member their inbox. What they sent stays with the safeguarding team.

import { errorCode, signedFetch } from "./api.js";
import { getAllBy, requestValue, transaction } from "./db.js";
import { forgetOwner, openInboxDb } from "../team/inbox.js";
import { isPersonalSetting } from "./profiles.js";
import { isTeam } from "../team/recipient-key.js";

export class LeaveError extends Error {
  // `code`: notes_waiting (with `waiting`, how many), or the server's error code.
  constructor(code, waiting = 0) {
    super(code);
    this.name = "LeaveError";
    this.code = code;
    this.waiting = waiting;
  }
}

// Notes of theirs not yet on the server: they would be lost with the key that signs them.
export async function waitingFor(db, profileId) {
  return (await getAllBy(db, "outbox", "profileId", profileId)).length;
}

// Revokes this profile's device key on the server. Throws LeaveError, or OfflineError with no network:
// leaving needs the network, or the server would keep the device as enrolled.
export async function revokeOnServer(db, profile) {
  const waiting = await waitingFor(db, profile.id);
  if (waiting) throw new LeaveError("notes_waiting", waiting);
  const answer = await signedFetch(profile.device, "DELETE", "/api/v1/devices/self", null);
  // Already revoked (an administrator did it): leaving is all that is left to do.
  if (answer.status !== 200 && errorCode(answer) !== "device_revoked") throw new LeaveError(errorCode(answer));
}

// Deletes all this device holds for the profile.
export async function forgetProfile(db, profile) {
  await transaction(db, ["profiles", "drafts", "copies", "sent", "settings"], "readwrite", async (s) => {
    s.profiles.delete(profile.id);
    s.drafts.delete(profile.id);
    for (const key of await requestValue(s.copies.index("profileId").getAllKeys(profile.id))) s.copies.delete(key);
    for (const key of await requestValue(s.sent.index("profileId").getAllKeys(profile.id))) s.sent.delete(key);
    for (const name of await requestValue(s.settings.getAllKeys())) if (isPersonalSetting(name, profile)) s.settings.delete(name);
  });
  if (!isTeam(profile.enrolment)) return; // only the team has an inbox; staff devices never make one
  const inbox = await openInboxDb();
  try {
    await forgetOwner(inbox, profile.device.keyId);
  } finally {
    inbox.close();
  }
}
