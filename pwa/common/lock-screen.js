// The lock screen ("Who is recording?") and choosing a PIN. It shows the people who record on this
// device, by name, and how many notes wait to be sent from it, and nothing else: no note, no draft,
// no list. Whoever is chosen unlocks with their own PIN (pwa/common/profiles.js); the markup is in
// pwa/index.html (#lock, #pin-setup), ids here are its ids.

import { $, el } from "./dom.js";
import { PinError, getProfile, setPin, unlock, unlockState } from "./profiles.js";


function clockTime(ms) {
  return new Date(ms).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

function minutes(ms) {
  const m = Math.max(1, Math.ceil(ms / 60000));
  return m === 1 ? "1 minute" : `${m} minutes`;
}

export function waitMessage(retryAt, now = Date.now()) {
  return `Too many wrong tries. You can try again at ${clockTime(retryAt)}, in ${minutes(retryAt - now)}.`;
}

const LOCKED_OUT = "This person is locked out of this device after too many wrong PINs, and their drafts here were erased. "
  + "Notes they saved are still being sent. To record again, ask your DSL or Lantern administrator for a new set-up code, "
  + "then use \"Add another person to this device\".";

export function pinMessage(e) {
  if (e.code === "wrong_pin") {
    const tries = e.left === 1 ? "1 more wrong try" : `${e.left} more wrong tries`;
    const wait = e.retryAt ? ` ${waitMessage(e.retryAt)}` : "";
    return `That PIN is not right. After ${tries} this device locks you out until you set it up again.${wait}`;
  }
  if (e.code === "wait") return waitMessage(e.retryAt);
  if (e.code === "locked_out") return LOCKED_OUT;
  return "This person has no PIN yet.";
}

const NEW_PIN = {
  pin_short: { field: "new-pin", text: "Use at least 6 numbers or letters." },
  pin_simple: { field: "new-pin", text: "That PIN is too easy to guess. Avoid one number repeated and runs like 123456." },
  pin_mismatch: { field: "new-pin-again", text: "The two PINs are not the same. Type it again." },
};

// `onUnlocked(profile, key)` runs after a right PIN, and after a PIN is chosen; `onAddPerson()` when
// someone asks to add themselves; `onNeedsPin(profile)` when the person chosen has no PIN yet (they
// enrolled and closed the app before choosing one, or their profile predates PINs).
export function createLockScreen(db, { onUnlocked, onAddPerson, onNeedsPin }) {
  let profiles = [];
  let chosen = null; // the profile whose PIN is being typed, or chosen
  let busy = false;

  function selected() {
    for (const p of profiles) if (p.id === chosen) return p;
    return null;
  }

  function setError(text) {
    if ($("pin-error").textContent !== text) $("pin-error").textContent = text;
    if (text) $("pin").setAttribute("aria-invalid", "true");
    else $("pin").removeAttribute("aria-invalid");
  }

  // Shows what the chosen person can do now: type their PIN, wait, or nothing (locked out).
  function showChoice() {
    const profile = selected();
    const state = profile ? unlockState(profile).state : "none";
    $("unlock-fields").hidden = state === "locked_out" || state === "none";
    $("locked-out").hidden = state !== "locked_out";
    $("locked-out").textContent = state === "locked_out" ? LOCKED_OUT : "";
    setError(state === "wait" ? waitMessage(profile.retryAt) : "");
  }

  function drawPeople() {
    const list = $("people-list");
    while (list.firstChild) list.removeChild(list.firstChild);
    for (const p of profiles) {
      const row = el("div", { class: "check" });
      const input = el("input", { type: "radio", name: "person", id: "person-" + p.id, value: p.id });
      input.checked = p.id === chosen;
      row.appendChild(input);
      const locked = unlockState(p).state === "locked_out";
      row.appendChild(el("label", { for: "person-" + p.id }, p.enrolment.person.name + (locked ? " (locked out)" : "")));
      list.appendChild(row);
    }
  }

  async function submitUnlock(event) {
    event.preventDefault();
    const profile = selected();
    if (!profile || busy) return;
    const pin = $("pin").value;
    if (!pin) {
      setError("Type your PIN.");
      $("pin").focus();
      return;
    }
    busy = true;
    $("unlock-submit").disabled = true;
    try {
      const key = await unlock(db, profile.id, pin);
      $("pin").value = "";
      setError("");
      await onUnlocked(await refreshed(profile.id), key);
    } catch (e) {
      if (!(e instanceof PinError)) throw e;
      Object.assign(profile, await refreshed(profile.id));
      $("pin").value = ""; // with the message, not before it
      if (e.code === "locked_out") {
        drawPeople();
        showChoice();
        $("locked-out").focus();
      } else {
        setError(pinMessage(e));
        $("pin").focus();
      }
    } finally {
      busy = false;
      $("unlock-submit").disabled = false;
    }
  }

  // The profile as stored now: its failure count and wait changed with the attempt.
  function refreshed(id) {
    return getProfile(db, id);
  }

  // --- Choosing a PIN, once, after an enrolment (or for a profile from before PINs).

  let settingUp = null;

  function clearNewPinErrors() {
    for (const id of ["new-pin", "new-pin-again"]) {
      $(id + "-error").textContent = "";
      $(id).removeAttribute("aria-invalid");
    }
  }

  async function submitPin(event) {
    event.preventDefault();
    if (!settingUp || busy) return;
    clearNewPinErrors();
    busy = true;
    $("pin-save").disabled = true;
    try {
      const key = await setPin(db, settingUp.id, $("new-pin").value, $("new-pin-again").value);
      const profile = settingUp;
      settingUp = null;
      $("pin-setup").reset();
      await onUnlocked(profile, key);
    } catch (e) {
      if (!(e instanceof PinError) || !NEW_PIN[e.code]) throw e;
      const problem = NEW_PIN[e.code];
      const message = $(problem.field + "-error");
      message.appendChild(el("span", { class: "visually-hidden" }, "Error: "));
      message.appendChild(document.createTextNode(problem.text));
      $(problem.field).setAttribute("aria-invalid", "true");
      if (e.code === "pin_mismatch") $("new-pin-again").value = "";
      $(problem.field).focus();
    } finally {
      busy = false;
      $("pin-save").disabled = false;
    }
  }

  $("unlock-form").addEventListener("submit", (event) => { submitUnlock(event).catch((e) => setError("Could not unlock: " + e.message)); });
  $("people-list").addEventListener("change", (event) => {
    if (event.target.name !== "person") return;
    chosen = event.target.value;
    $("pin").value = "";
    if (selected() && unlockState(selected()).state === "no_pin") onNeedsPin(selected());
    else showChoice();
  });
  $("add-person").addEventListener("click", () => onAddPerson());
  $("pin-setup").addEventListener("submit", (event) => {
    submitPin(event).catch((e) => { $("new-pin-error").textContent = "Could not save the PIN: " + e.message; });
  });

  return {
    // Shows the lock screen for `all` profiles, with the device-wide count of notes waiting.
    // `message` says why it locked; `focus` moves the focus here (the screen the person was on is gone).
    // Returns false when it went to choosing a PIN instead (the only person has none).
    show(all, { message = "", focus = false } = {}) {
      profiles = all;
      // Nobody is chosen for the next person on a shared device (who last used it is not on show).
      chosen = profiles.length === 1 ? profiles[0].id : null;
      if (profiles.length === 1 && unlockState(profiles[0]).state === "no_pin") {
        onNeedsPin(profiles[0]);
        return false;
      }
      drawPeople();
      showChoice();
      $("lock-message").textContent = message;
      $("lock-message").hidden = !message;
      $("pin-setup").hidden = true;
      $("lock").hidden = false;
      if (focus) $(chosen && !$("unlock-fields").hidden ? "pin" : "lock-heading").focus();
      return true;
    },
    // The PIN a profile without one must choose before anything else.
    showPinSetup(profile, { focus = true } = {}) {
      settingUp = profile;
      chosen = profile.id;
      $("pin-setup").reset();
      clearNewPinErrors();
      $("pin-setup-name").textContent = profile.enrolment.person.name;
      $("lock").hidden = true;
      $("pin-setup").hidden = false;
      if (focus) $("pin-setup-heading").focus();
    },
    hide() {
      $("pin").value = "";
      setError("");
      $("lock").hidden = true;
      $("pin-setup").hidden = true;
      $("pin-setup").reset();
      settingUp = null;
    },
  };
}
