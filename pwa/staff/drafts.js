// Drafts: what the unlocked person has typed and not yet saved, kept as they type so that a closed
// tab, a flat battery or the inactivity lock loses nothing. One draft per profile, encrypted under
// that person's profile key (pwa/common/vault.js) before it reaches IndexedDB: never plaintext there,
// nor in localStorage or sessionStorage. It is put back after their unlock, and deleted in the same
// transaction that queues the note it became (pwa/common/outbox.js enqueue).

import { get, put, transaction } from "../common/db.js";
import { openLocal, sealLocal } from "../common/vault.js";

const FIELDS = { INPUT: true, TEXTAREA: true, SELECT: true };
const KIND = "draft"; // the vault's kind; the id is the profile's
export const SAVE_AFTER_MS = 500; // after the last keystroke: often enough to lose little, rarely enough to cost nothing

// --- A form's answers as plain data, and back.

function fieldsOf(form, skip) {
  const out = [];
  for (const node of form.elements) {
    if (!FIELDS[node.tagName] || !node.id || node.type === "button" || node.type === "submit") continue;
    if (skip && skip.contains(node)) continue;
    out.push(node);
  }
  return out;
}

// {id: value} for text, {id: true/false} for boxes, for every field of `form` with an id, apart from
// those inside `skip` (an element: the body map's mark panel, whose answers live in the marks).
export function readFields(form, skip) {
  const state = {};
  for (const node of fieldsOf(form, skip)) {
    state[node.id] = node.type === "checkbox" || node.type === "radio" ? node.checked : node.value;
  }
  return state;
}

export function writeFields(form, state) {
  for (const id in state) {
    const node = document.getElementById(id);
    if (!node || !form.contains(node)) continue; // a field a later version dropped
    if (node.type === "checkbox" || node.type === "radio") node.checked = state[id] === true;
    else node.value = state[id];
  }
}

// True when nothing in `state` differs from an empty form.
export function isBlank(state) {
  for (const id in state) if (state[id] !== "" && state[id] !== false) return false;
  return true;
}

// --- Keeping one person's draft.

// `capture()` returns the draft to keep, or null when there is nothing worth keeping (then the
// stored one is deleted). Writes go one after another, so an older draft never lands on a newer one.
// `onState("pending" | "kept" | "none")` hears when typing waits to be kept, and when it has been.
export function createDrafts(db, capture, { delayMs = SAVE_AFTER_MS, onError, onState } = {}) {
  let session = null; // {profileId, key} while someone is unlocked
  let timer = null;
  let held = false;
  let chain = Promise.resolve();

  const tell = (state) => { if (onState) onState(state); };

  function write(owner, value) {
    chain = chain.then(async () => {
      if (value === null) {
        await transaction(db, "drafts", "readwrite", (s) => { s.drafts.delete(owner.profileId); });
      } else {
        const sealed = await sealLocal(owner.key, KIND, owner.profileId, value);
        await put(db, "drafts", { profileId: owner.profileId, iv: sealed.iv, data: sealed.data });
      }
      if (!timer) tell(value === null ? "none" : "kept");
    }).catch((e) => { if (onError) onError(e); });
    return chain;
  }

  // Captures the form now (synchronously, before anything can clear it) and writes it.
  function flush() {
    clearTimeout(timer);
    timer = null;
    if (!session || held) return chain;
    return write(session, capture());
  }

  return {
    // From an unlock: whose drafts these are, and their key.
    start(profileId, key) {
      session = { profileId, key };
      held = false;
    },
    // The draft of the person unlocked, or null. One that cannot be opened is left where it is.
    async load() {
      if (!session) return null;
      const record = await get(db, "drafts", session.profileId);
      if (!record) return null;
      try {
        return await openLocal(session.key, KIND, session.profileId, record);
      } catch (e) {
        return null;
      }
    },
    // Something was typed: keep it once typing pauses.
    changed() {
      if (!session || held) return;
      clearTimeout(timer);
      timer = setTimeout(flush, delayMs);
      tell("pending");
    },
    flush,
    // Before a save: no draft write may land after the transaction that deletes the draft.
    async hold() {
      clearTimeout(timer);
      timer = null;
      held = true;
      await chain;
    },
    release() {
      held = false;
    },
    // At lock: keeps what is on screen, then forgets the key. Capture happens before this returns,
    // so the caller may clear the form at once.
    stop() {
      const done = held ? chain : flush();
      session = null;
      held = false;
      return done;
    },
  };
}
