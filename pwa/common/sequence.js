// Each record's place in its device's sequence of records to each recipient key (docs/protocol.md,
// "Gaps"): what lets a reader see a record the server dropped. The counts are kept with the profile
// whose device key signs the record, and a number is taken before sealing, so that no two records
// ever share one; a record sealed and then lost before it reached the server leaves a gap, which is
// the truth of it.

import { fromBase64, toHex } from "./bytes.js";
import { requestValue, transaction } from "./db.js";
import { keyId } from "./envelope.js";

// Takes the next number for each of `people` (keyring recipient entries) for `profileId`'s device.
// Resolves with {key id hex: number}.
async function take(db, profileId, people) {
  const ids = [];
  for (const person of people) ids.push(toHex(await keyId(fromBase64(person.public_key))));
  return transaction(db, "profiles", "readwrite", async (s) => {
    const profile = await requestValue(s.profiles.get(profileId));
    const counts = Object.assign({}, profile.sequences || {});
    const taken = {};
    for (const id of ids) {
      counts[id] = (counts[id] || 0) + 1;
      taken[id] = counts[id];
    }
    s.profiles.put(Object.assign(profile, { sequences: counts }));
    return taken;
  });
}

// `content` (a record's JSON bytes) with its `sequence` for `people`, as it will be sealed to them.
export async function numbered(db, profileId, content, people) {
  const record = JSON.parse(new TextDecoder().decode(content));
  record.sequence = await take(db, profileId, people);
  return new TextEncoder().encode(JSON.stringify(record));
}
