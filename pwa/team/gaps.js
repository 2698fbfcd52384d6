// Records the server never handed this device (docs/protocol.md, "Gaps"; sync/gaps.py is its twin):
// per signing device, a number missing from its sequence to this device's key, below the highest
// this device has opened. What it cannot see, a drop after the last record, its author's device
// shows as "not yet confirmed by the team".

// `records` as openedRecords gives them, each with `authorKeyId` and `number` (null when the record
// carries none). Resolves to [{authorKeyId, signer, first, last, after: recordId | null, before:
// recordId}], one per run of missing numbers (a range: a number is the signing device's to write), by
// device.
export function findGaps(records) {
  const byDevice = new Map();
  for (const r of records) {
    if (!r.note || !Number.isInteger(r.number) || !r.authorKeyId) continue;
    if (!byDevice.has(r.authorKeyId)) byDevice.set(r.authorKeyId, { signer: r.numberedBy, held: new Map() });
    const held = byDevice.get(r.authorKeyId).held;
    if (!held.has(r.number)) held.set(r.number, r.recordId);
  }
  const gaps = [];
  for (const [authorKeyId, { signer, held }] of [...byDevice].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const numbers = [...held.keys()].sort((a, b) => a - b);
    let previous = null;
    let expected = 1;
    for (const n of numbers) {
      if (n > expected) gaps.push({ authorKeyId, signer, first: expected, last: n - 1, after: previous, before: held.get(n) });
      previous = held.get(n);
      expected = n + 1;
    }
  }
  return gaps;
}
