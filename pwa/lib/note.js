// A concern note's content (docs/protocol.md, "Note content v1"), sealed whole inside an envelope.

export function concernContent(form, now = new Date()) {
  const text = (name) => (form.elements[name].value || "").trim();
  return new TextEncoder().encode(JSON.stringify({
    v: 1,
    type: "concern",
    child: { name: text("child") },
    incident_at: text("incident_at"),
    recorded_at: now.toISOString(),
    words: text("words"),
    seen: text("seen"),
    urgent: form.elements.urgent.checked,
  }));
}
