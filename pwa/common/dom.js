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
