// A worker that checks and decrypts envelopes for the team's inbox (team/opener.js hands it batches):
// all ten checks of docs/envelope.md, "Opening", exactly as common/envelope.js runs them on a page.
// Its only job is the cryptography, so that a device catching up on thousands of envelopes uses
// every core; what an envelope says is read, and kept, by the page.
//
// A message: {id, envelopes: [bytes], recipient: {privateKey (a CryptoKey), publicKeyRaw},
// authors: [public key bytes, or null, one per envelope]}. The answer: {id, results}, each
// {header, content, contentKey} or {error: an envelope error code}.

import { EnvelopeError, open } from "../common/envelope.js";

self.onmessage = async (event) => {
  const { id, envelopes, recipient, authors } = event.data;
  const results = await Promise.all(envelopes.map(async (envelope, i) => {
    try {
      return await open(envelope, {
        recipientPrivateKey: recipient.privateKey, recipientPublicKeyRaw: recipient.publicKeyRaw, authorPublicKeyRaw: authors[i],
      });
    } catch (e) {
      return { error: e instanceof EnvelopeError ? e.code : "worker_failed", detail: String(e && e.message) };
    }
  }));
  self.postMessage({ id, results });
};
