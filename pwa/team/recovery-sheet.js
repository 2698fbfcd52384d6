// The trust key's recovery sheet (docs/trust-key.md, "Backing it up"): the backup file's text with
// the school and the key's fingerprint, to print and keep with the USB sticks. The passphrase is
// never on it. One sheet, shown in the screen that made the backup: a new school's setup, or the
// trust key screen.

import { $, saveFile } from "../common/dom.js";
import { backupPublicKey, fingerprint } from "./trust-key.js";

// `place` is the id of the element the sheet is shown in.
export async function showRecoverySheet(place, backupText, schoolName) {
  const { publicKeyRaw } = backupPublicKey(backupText);
  $(place).appendChild($("recovery-sheet"));
  $("sheet-school").textContent = schoolName;
  $("sheet-fingerprint").textContent = await fingerprint(publicKeyRaw);
  $("sheet-made").textContent = new Date().toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
  $("sheet-text").textContent = backupText;
  $("sheet-print").onclick = () => window.print();
  $("sheet-save").onclick = () => saveFile(`lantern-trust-key-${slug(schoolName)}.json`, backupText);
  $("recovery-sheet").hidden = false;
  $("sheet-heading").focus();
}

export function hideRecoverySheet() {
  $("recovery-sheet").hidden = true;
  $("sheet-text").textContent = "";
}

export function slug(name) {
  return name.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase() || "school";
}
