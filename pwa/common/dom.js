// The two DOM helpers every screen uses. Text goes in as textContent, never as HTML, so whatever
// someone typed is shown as typed, and nothing typed can become markup.

export const $ = (id) => document.getElementById(id);

// A new element with these attributes and, when given, this text.
export function el(name, attrs, text) {
  const node = document.createElement(name);
  for (const k in attrs || {}) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Offers `text` as a file to save (a download), named `name`.
export function saveFile(name, text, type = "application/json") {
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// The text of a file dragged onto a box, or null. The app has no file picker at all
// (tests/browser/test_bodymap.py), so that no photo can be taken or attached anywhere in it: files
// come in as text, pasted or dropped.
export async function droppedText(event) {
  const file = event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files[0];
  if (!file) return null;
  event.preventDefault();
  return file.text();
}
