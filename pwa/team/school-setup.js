// Setting up a new school from the trust key holder's device, before anyone is enrolled
// (docs/trust-key.md, "Making it in the app"): the trust key is made here, with its backup and
// recovery sheet, and the school's first keyring (no team yet) is signed for a school id chosen
// here. The setup file carries the public half and that keyring to the admin
// (`lantern admin school create --setup`, server/school_setup.py). The backup is kept on this device
// too, sealed by its passphrase, so that the holder can take the key into the app once enrolled.

import { toBase64 } from "../common/bytes.js";
import { put } from "../common/db.js";
import { $, saveFile } from "../common/dom.js";
import { hideRecoverySheet, showRecoverySheet, slug } from "./recovery-sheet.js";
import { MIN_PASSPHRASE, dated, makeTrustKey, signKeyring, signingKey, writeBackup } from "./trust-key.js";

export const PENDING_KEY = "trustKeyPending";

// What is wrong with a new passphrase and its repeat, or "".
export function passphraseProblem(passphrase, again) {
  if (passphrase.length < MIN_PASSPHRASE) return `Use a passphrase of at least ${MIN_PASSPHRASE} characters: a few words you will remember.`;
  if (passphrase !== again) return "The two passphrases differ: type the same one twice.";
  return "";
}

// The setup file's text, and the backup's.
export async function makeSchool(schoolName, passphrase) {
  const key = await makeTrustKey();
  const schoolId = crypto.randomUUID();
  // No device is approved yet: the holder's own is, in the next version they sign (docs/protocol.md, "Approved devices").
  const first = dated({ v: 1, school_id: schoolId, school_name: schoolName, version: 1, issued_at: "", recipients: [], contacts: [], devices: [] });
  const setup = {
    lantern: "school-setup-v1", school_id: schoolId, trust_public_key: toBase64(key.publicKeyRaw),
    keyring: await signKeyring(await signingKey(key.pkcs8), first),
  };
  return { setupText: JSON.stringify(setup, null, 2) + "\n", backupText: await writeBackup(key, passphrase) };
}

async function submit(db, event) {
  event.preventDefault();
  const name = $("setup-school").value.trim();
  const passphrase = $("setup-passphrase").value;
  const problem = !name ? "Type the school's name, as staff know it." : passphraseProblem(passphrase, $("setup-passphrase-again").value);
  $("setup-error").textContent = problem;
  if (problem) return;
  $("setup-make").disabled = true;
  try {
    const { setupText, backupText } = await makeSchool(name, passphrase);
    await put(db, "settings", { backupText, schoolName: name }, PENDING_KEY);
    $("setup-passphrase").value = "";
    $("setup-passphrase-again").value = "";
    $("setup-form").hidden = true;
    $("setup-file-text").textContent = setupText;
    $("setup-file-save").onclick = () => saveFile(`lantern-school-setup-${slug(name)}.json`, setupText);
    $("setup-done").hidden = false;
    await showRecoverySheet("setup-sheet-place", backupText, name);
    document.body.dataset.schoolSetup = "made";
  } finally {
    $("setup-make").disabled = false;
  }
}

let listening = false;

// Shows the setup screen in place of the enrolment screen.
export function openSchoolSetup(db) {
  if (!listening) {
    listening = true;
    $("setup-back").addEventListener("click", () => {
      $("school-setup").hidden = true;
      $("enrol").hidden = false;
      $("enrol-heading").focus();
    });
    $("setup-form").addEventListener("submit", (event) => submit(db, event).catch((e) => {
      $("setup-error").textContent = "The trust key could not be made on this device: " + e.message;
    }));
  }
  $("enrol").hidden = true;
  $("school-setup").hidden = false;
  $("setup-form").hidden = false;
  $("setup-done").hidden = true;
  hideRecoverySheet();
  $("school-setup-heading").focus();
}
