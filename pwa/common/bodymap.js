// The body map: a neutral, child-proportioned outline, front and back, and the marks on it as vector
// data (docs/protocol.md, "Record content"). `renderBodyMap` is the one renderer: the staff app draws
// with it while editing (pwa/staff/bodymap-editor.js adds the interaction), and the DSL's side draws a
// received note with it, read-only. No images, no camera: only shapes and what the person wrote.

import { el } from "./dom.js";

export const SIDES = ["front", "back"];
export const MARK_TYPES = [
  { code: "bruise", label: "Bruise" },
  { code: "cut", label: "Cut" },
  { code: "burn", label: "Burn" },
  { code: "bite", label: "Bite" },
  { code: "scratch", label: "Scratch" },
  { code: "swelling", label: "Swelling" },
  { code: "other", label: "Other" },
];
export const MARK_SIZES = [
  { code: "under_1cm", label: "Under 1 cm" },
  { code: "1_to_3cm", label: "1 to 3 cm" },
  { code: "3_to_6cm", label: "3 to 6 cm" },
  { code: "over_6cm", label: "Over 6 cm" },
];
export const COLOUR_SUGGESTIONS = ["red", "pink", "purple", "blue", "green", "yellow", "brown", "black", "grey"];

// Each side is drawn in a 100 x 200 box; a mark's x and y are fractions of that box (0..1), from the
// top left as the viewer sees it. About a sixth of the height is head: a child of six to eight, not
// an adult. The parts are listed for the viewer's left half; the right half mirrors them. `near` says
// whether a viewer-left part is the child's right (seen from the front) or left (from the back).
const W = 100;
const H = 200;
const CENTRE_PARTS = [
  { kind: "ellipse", cx: 50, cy: 20, rx: 14, ry: 17, name: { front: "face", back: "back of the head" } },
  { kind: "rect", x: 44, y: 35, w: 12, h: 9, r: 2, name: { front: "neck", back: "back of the neck" } },
  { kind: "rect", x: 31, y: 42, w: 38, h: 70, r: 8, name: null, torso: true },
];
const LIMB_PARTS = [
  // The upper arm overlaps the torso a little, so the two join at the shoulder as one outline.
  { kind: "rect", x: 22, y: 44, w: 11, h: 36, r: 5, name: "upper arm" },
  { kind: "rect", x: 20, y: 78, w: 10, h: 35, r: 5, name: "forearm" },
  { kind: "ellipse", cx: 25, cy: 120, rx: 6, ry: 8, name: "hand" },
  { kind: "rect", x: 32, y: 108, w: 17, h: 42, r: 6, name: "thigh" },
  { kind: "rect", x: 34, y: 148, w: 14, h: 38, r: 5, name: "lower leg" },
  { kind: "ellipse", cx: 41, cy: 190, rx: 8, ry: 5, name: "foot" },
];
// The torso's name depends on the height within it, and on the side.
const TORSO_BANDS = [
  { below: 74, front: "chest", back: "upper back" },
  { below: 96, front: "tummy", back: "lower back" },
  { below: Infinity, front: "hips", back: "bottom" },
];

function mirror(part) {
  return part.kind === "ellipse"
    ? Object.assign({}, part, { cx: W - part.cx, mirrored: true })
    : Object.assign({}, part, { x: W - part.x - part.w, mirrored: true });
}

const PARTS = CENTRE_PARTS.concat(LIMB_PARTS, LIMB_PARTS.map(mirror));

function contains(part, px, py) {
  if (part.kind === "ellipse") {
    const dx = (px - part.cx) / part.rx;
    const dy = (py - part.cy) / part.ry;
    return dx * dx + dy * dy <= 1;
  }
  return px >= part.x && px <= part.x + part.w && py >= part.y && py <= part.y + part.h;
}

// Where on the child a point is, in words ("left forearm", "upper back"), or "" off the outline.
// Left and right are the child's, which is why the front view's left half is the child's right.
export function regionAt(side, x, y) {
  const px = x * W;
  const py = y * H;
  for (const part of PARTS) {
    if (!contains(part, px, py)) continue;
    if (part.torso) {
      for (const band of TORSO_BANDS) if (py < band.below) return band[side];
    }
    if (part.name && typeof part.name === "object") return part.name[side];
    const viewerLeft = !part.mirrored;
    const childRight = side === "front" ? viewerLeft : !viewerLeft;
    return (childRight ? "right " : "left ") + part.name;
  }
  return "";
}

export function isOnBody(side, x, y) {
  return regionAt(side, x, y) !== "";
}

const clamp = (v) => Math.min(1, Math.max(0, v));
const round = (v) => Math.round(clamp(v) * 10000) / 10000;

// The marks exactly as they go into the note: known fields only, numbers in range, text trimmed.
export function cleanMarks(marks) {
  return marks.map((m) => {
    const side = m.side === "back" ? "back" : "front";
    const x = round(m.x);
    const y = round(m.y);
    return {
      side, x, y,
      type: m.type || "",
      size: m.size || "",
      colour: String(m.colour || "").trim(),
      description: String(m.description || "").trim(),
      region: regionAt(side, x, y),
    };
  });
}

function labelOf(list, code) {
  for (const item of list) if (item.code === code) return item.label;
  return code; // a value from a later version: shown as it is
}

// "Bruise, 1 to 3 cm, purple", from whatever the mark has so far.
export function markSummary(mark) {
  const parts = [mark.type ? labelOf(MARK_TYPES, mark.type) : "Kind not chosen yet"];
  if (mark.size) parts.push(labelOf(MARK_SIZES, mark.size).toLowerCase());
  if (mark.colour) parts.push(mark.colour);
  return parts.join(", ");
}

// "front, the child's left forearm"
export function markPlace(mark) {
  const region = regionAt(mark.side, mark.x, mark.y);
  return region ? `${mark.side}, the child's ${region}` : `${mark.side}, beside the outline`;
}

// --- Drawing

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const k in attrs) el.setAttribute(k, String(attrs[k]));
  return el;
}

function shape(part, attrs) {
  return part.kind === "ellipse"
    ? svgEl("ellipse", Object.assign({ cx: part.cx, cy: part.cy, rx: part.rx, ry: part.ry }, attrs))
    : svgEl("rect", Object.assign({ x: part.x, y: part.y, width: part.w, height: part.h, rx: part.r }, attrs));
}

// The outline: every part drawn twice, thick strokes first and plain fills over them, so only the
// outer edge of the whole figure shows, as one shape. Decorative: the list of marks says it in words.
function outline(side) {
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "bodymap-outline", "aria-hidden": "true", focusable: "false" });
  const strokes = svgEl("g", { fill: "none", stroke: "#3b3b3b", "stroke-width": 2.5 });
  const fills = svgEl("g", { fill: "#e9e6e2" });
  for (const part of PARTS) {
    strokes.appendChild(shape(part, {}));
    fills.appendChild(shape(part, {}));
  }
  svg.appendChild(strokes);
  svg.appendChild(fills);
  // Which way round it is, in words inside the drawing's box: the child's right and left.
  const right = side === "front" ? 6 : W - 6;
  const left = side === "front" ? W - 6 : 6;
  svg.appendChild(svgEl("text", { x: right, y: H - 2, "text-anchor": side === "front" ? "start" : "end", class: "bodymap-lr" })).textContent = "R";
  svg.appendChild(svgEl("text", { x: left, y: H - 2, "text-anchor": side === "front" ? "end" : "start", class: "bodymap-lr" })).textContent = "L";
  return svg;
}

function place(node, mark) {
  node.style.left = clamp(mark.x) * 100 + "%";
  node.style.top = clamp(mark.y) * 100 + "%";
}

function markNode(mark, index, options) {
  const number = String(index + 1);
  if (!options.editable) {
    const dot = el("span", { class: "bodymap-mark", "aria-hidden": "true" });
    dot.appendChild(el("span", { class: "bodymap-dot" }, number));
    place(dot, mark);
    return dot;
  }
  const selected = options.selected === index;
  const button = el("button", {
    type: "button", class: "bodymap-mark", "data-mark": number,
    "aria-pressed": selected ? "true" : "false",
    "aria-label": `Mark ${number}: ${markSummary(mark)}, ${markPlace(mark)}. Arrow keys move it.`,
  });
  button.appendChild(el("span", { class: "bodymap-dot" }, number));
  place(button, mark);
  return button;
}

function pendingNode(pending) {
  const button = el("button", {
    type: "button", class: "bodymap-mark bodymap-pending", "data-pending": "yes",
    "aria-label": `New mark, ${markPlace(pending)}. Move it with the arrow keys, press Enter to place it, or Escape to cancel.`,
  });
  button.appendChild(el("span", { class: "bodymap-dot" }, "+"));
  place(button, pending);
  return button;
}

function figure(side, marks, options) {
  const title = side === "front" ? "Front" : "Back";
  const count = marks.filter((m) => m.side === side).length;
  const box = el("div", { class: "bodymap-side", "data-side": side });
  const heading = el("p", { class: "bodymap-title", id: options.idPrefix + side + "-title" }, title);
  box.appendChild(heading);
  // Editing, the figure is a group of mark buttons; read-only, a picture the list below puts in words.
  const area = el("div", {
    class: "bodymap-figure", "data-side": side,
    role: options.editable ? "group" : "img", "aria-labelledby": options.idPrefix + side + "-title",
  });
  area.appendChild(outline(side));
  marks.forEach((mark, index) => {
    if (mark.side === side) area.appendChild(markNode(mark, index, options));
  });
  if (options.pending && options.pending.side === side) area.appendChild(pendingNode(options.pending));
  box.appendChild(area);
  if (!options.editable) {
    heading.textContent = `${title}: ${count === 1 ? "1 mark" : count + " marks"}`;
  } else {
    box.appendChild(el("button", { type: "button", class: "secondary", "data-add": side }, `Add a mark to the ${side}`));
  }
  return box;
}

function list(marks, options) {
  if (!marks.length) return el("p", { class: "bodymap-empty" }, options.editable ? "No marks yet." : "No marks were recorded.");
  const ol = el("ol", { class: "bodymap-list" });
  marks.forEach((mark, index) => {
    const li = el("li", { "data-mark": String(index + 1) });
    li.appendChild(el("span", { class: "bodymap-summary" }, `${markSummary(mark)}: ${markPlace(mark)}.`));
    if (mark.description) li.appendChild(el("span", { class: "bodymap-description" }, " " + mark.description));
    if (options.editable) {
      const edit = el("button", { type: "button", class: "link", "data-edit": String(index + 1) }, "Change");
      edit.appendChild(el("span", { class: "visually-hidden" }, ` mark ${index + 1}`));
      li.appendChild(edit);
    }
    ol.appendChild(li);
  });
  return ol;
}

// Draws the marks on the front and back outlines into `container` (emptied first), with a numbered
// list saying each mark in words, which is what a screen reader reads and what prints.
// options: editable (marks are buttons, and each side has an "Add a mark" button), selected (index
// of the selected mark or -1), pending (a mark being placed by keyboard: {side, x, y}), idPrefix.
export function renderBodyMap(container, marks, options) {
  const opts = Object.assign({ editable: false, selected: -1, pending: null, idPrefix: "bodymap-" }, options || {});
  while (container.firstChild) container.removeChild(container.firstChild);
  const sides = el("div", { class: "bodymap-sides" });
  for (const side of SIDES) sides.appendChild(figure(side, marks, opts));
  container.appendChild(sides);
  container.appendChild(list(marks, opts));
  container.classList.add("bodymap");
}
