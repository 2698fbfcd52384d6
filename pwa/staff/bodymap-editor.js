// Editing a body map: add a mark by tapping or clicking the outline, or by keyboard ("Add a mark",
// arrow keys, Enter); select a mark to say what it is; move it by dragging or with the arrow keys;
// delete it. The marks are plain data and every change redraws them through renderBodyMap, the same
// renderer the DSL's side uses, so what the author sees is what the team will see.

import {
  COLOUR_SUGGESTIONS, MARK_SIZES, MARK_TYPES, isOnBody, markPlace, renderBodyMap,
} from "../common/bodymap.js";
import { el } from "../common/dom.js";

// One arrow press moves a mark 2 units of the 100 x 200 drawing either way: the same distance on
// screen across and down. Shift moves five times as far.
const STEP_X = 0.02;
const STEP_Y = 0.01;
const BIG = 5;
const DRAG_THRESHOLD_PX = 6; // less than this between press and release is a tap, not a drag
// Where a keyboard mark starts: the middle of the chest or back, or if a mark is already there, the
// first of these places that is free, so the new marker never hides a mark.
const STARTS = [{ x: 0.5, y: 0.35 }, { x: 0.5, y: 0.47 }, { x: 0.5, y: 0.1 }, { x: 0.5, y: 0.6 }, { x: 0.5, y: 0.85 }];
const NEAR = 0.12;
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

const clamp = (v) => Math.min(1, Math.max(0, v));

function radios(name, legend, items, hintId) {
  const set = el("fieldset", { class: "radios compact", id: name });
  if (hintId) set.setAttribute("aria-describedby", hintId);
  set.appendChild(el("legend", {}, legend));
  for (const item of items) {
    const row = el("div", { class: "check" });
    row.appendChild(el("input", { type: "radio", name, id: `${name}_${item.code}`, value: item.code }));
    row.appendChild(el("label", { for: `${name}_${item.code}` }, item.label));
    set.appendChild(row);
  }
  return set;
}

// The panel where the selected mark is described. Built once; shown while a mark is selected.
function buildPanel(errorId) {
  const panel = el("fieldset", { class: "bodymap-panel", id: "mark-panel", hidden: "" });
  panel.appendChild(el("legend", { id: "mark-legend" }));
  panel.appendChild(radios("mark_type", "What kind of mark is it?", MARK_TYPES, errorId));
  panel.appendChild(radios("mark_size", "How big is it? (optional)", MARK_SIZES));
  panel.appendChild(el("label", { for: "mark_colour" }, "Colour (optional)"));
  panel.appendChild(el("input", { id: "mark_colour", list: "mark_colours", autocomplete: "off" }));
  const colours = el("datalist", { id: "mark_colours" });
  for (const c of COLOUR_SUGGESTIONS) colours.appendChild(el("option", { value: c }));
  panel.appendChild(colours);
  panel.appendChild(el("label", { for: "mark_description" }, "What it looks like (optional)"));
  panel.appendChild(el("textarea", { id: "mark_description", rows: "2", "aria-describedby": "mark_description-hint" }));
  panel.appendChild(el("p", { id: "mark_description-hint", class: "hint" },
    "Only what you could see without examining the child, for example its shape."));
  const actions = el("div", { class: "actions" });
  actions.appendChild(el("button", { type: "button", id: "mark_done" }, "Done with this mark"));
  actions.appendChild(el("button", { type: "button", id: "mark_delete", class: "danger" }, "Delete this mark"));
  panel.appendChild(actions);
  return panel;
}

// `root` is an empty element inside the form; `errorId` is the id of the body map's error message,
// which the "what kind of mark" question points to. `onChange(marks)` hears of every change.
export function createBodyMapEditor(root, { errorId, onChange }) {
  let marks = [];
  let selected = -1;
  let pending = null;
  let drag = null;
  let swallowClick = false;

  const map = el("div", { class: "bodymap-editor" });
  const panel = buildPanel(errorId);
  const status = el("p", { class: "visually-hidden", "aria-live": "polite", id: "bodymap-status" });
  root.appendChild(map);
  root.appendChild(status);
  root.appendChild(panel);
  const field = (id) => panel.querySelector("#" + id);

  function announce(text) {
    status.textContent = text;
  }

  function changed() {
    if (onChange) onChange(marks.slice());
  }

  // Redraws the map; `focus` names what gets the focus afterwards: a mark's number, "pending", or an
  // "add-<side>" button. Focus is put back explicitly because redrawing replaces those buttons.
  function draw(focus) {
    renderBodyMap(map, marks, { editable: true, selected, pending, idPrefix: "bodymap-edit-" });
    let target = null;
    if (focus === "pending") target = map.querySelector("[data-pending]");
    else if (typeof focus === "number") target = map.querySelector(`.bodymap-mark[data-mark="${focus + 1}"]`);
    else if (typeof focus === "string" && focus.indexOf("add-") === 0) target = map.querySelector(`[data-add="${focus.slice(4)}"]`);
    if (target) target.focus();
  }

  function fillPanel() {
    const mark = marks[selected];
    field("mark-legend").textContent = `Mark ${selected + 1}: ${markPlace(mark)}`;
    for (const input of panel.querySelectorAll("input[name=mark_type]")) input.checked = input.value === mark.type;
    for (const input of panel.querySelectorAll("input[name=mark_size]")) input.checked = input.value === mark.size;
    field("mark_colour").value = mark.colour;
    field("mark_description").value = mark.description;
  }

  function focusPanel() {
    const checked = panel.querySelector("input[name=mark_type]:checked");
    (checked || panel.querySelector("input[name=mark_type]")).focus();
  }

  // Selects a mark and opens its panel; `moveFocus` takes the person to its first question.
  function select(index, moveFocus) {
    selected = index;
    panel.hidden = false;
    fillPanel();
    draw(moveFocus ? null : index);
    if (moveFocus) focusPanel();
  }

  function deselect(focusMark) {
    const was = selected;
    selected = -1;
    panel.hidden = true;
    draw(focusMark ? was : null);
  }

  function addMark(side, x, y) {
    marks.push({ side, x, y, type: "", size: "", colour: "", description: "" });
    const index = marks.length - 1;
    announce(`Mark ${index + 1} added: ${markPlace(marks[index])}. Now say what kind of mark it is.`);
    changed();
    select(index, true);
  }

  function deleteSelected() {
    const gone = marks[selected];
    const number = selected + 1;
    marks.splice(selected, 1);
    selected = -1;
    panel.hidden = true;
    const renumbered = number <= marks.length ? " Later marks have new numbers." : "";
    announce(`Mark ${number} deleted.${renumbered}`);
    changed();
    draw("add-" + gone.side);
  }

  // A point on the figure under the pointer, as fractions of its box.
  function pointIn(area, clientX, clientY) {
    const r = area.getBoundingClientRect();
    return { x: clamp((clientX - r.left) / r.width), y: clamp((clientY - r.top) / r.height) };
  }

  function freeStart(side) {
    const taken = (p) => marks.some((m) => m.side === side && Math.abs(m.x - p.x) < NEAR && Math.abs(m.y - p.y) < NEAR / 2);
    for (const p of STARTS) if (!taken(p)) return p;
    return STARTS[0];
  }

  function moveBy(position, key, big) {
    const d = ARROWS[key];
    const n = big ? BIG : 1;
    position.x = clamp(position.x + d[0] * STEP_X * n);
    position.y = clamp(position.y + d[1] * STEP_Y * n);
  }

  map.addEventListener("click", (event) => {
    if (swallowClick) {
      swallowClick = false; // the end of a drag, not a tap
      return;
    }
    const t = event.target;
    const add = t.closest("[data-add]");
    const edit = t.closest("[data-edit]");
    const markButton = t.closest(".bodymap-mark[data-mark]");
    const area = t.closest(".bodymap-figure");
    if (add) {
      const side = add.getAttribute("data-add");
      pending = Object.assign({ side }, freeStart(side));
      if (selected !== -1) { selected = -1; panel.hidden = true; }
      draw("pending");
    } else if (t.closest("[data-pending]")) {
      const p = pending;
      pending = null;
      addMark(p.side, p.x, p.y);
    } else if (edit || markButton) {
      select(Number((edit || markButton).getAttribute(edit ? "data-edit" : "data-mark")) - 1, true);
    } else if (area) {
      const side = area.getAttribute("data-side");
      const p = pointIn(area, event.clientX, event.clientY);
      if (isOnBody(side, p.x, p.y)) {
        pending = null;
        addMark(side, p.x, p.y);
      } else {
        announce("That is outside the outline. Tap or click on the body to add a mark there.");
      }
    }
  });

  map.addEventListener("keydown", (event) => {
    const t = event.target;
    const isPending = !!t.closest("[data-pending]");
    const markButton = t.closest(".bodymap-mark[data-mark]");
    if (!isPending && !markButton) return;
    if (ARROWS[event.key]) {
      event.preventDefault(); // the arrow moves the mark, not the page
      if (isPending) {
        moveBy(pending, event.key, event.shiftKey);
        draw("pending");
      } else {
        const index = Number(markButton.getAttribute("data-mark")) - 1;
        moveBy(marks[index], event.key, event.shiftKey);
        if (index === selected) fillPanel();
        changed();
        draw(index);
      }
    } else if (isPending && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault(); // placed here, once: no click follows
      const p = pending;
      pending = null;
      addMark(p.side, p.x, p.y);
    } else if (isPending && event.key === "Escape") {
      event.preventDefault();
      const side = pending.side;
      pending = null;
      announce("No mark added.");
      draw("add-" + side);
    }
  });

  // Dragging a mark: the pointer is captured so the drag keeps going outside the button, and the
  // mark follows it without a redraw (which would replace the button and drop the capture).
  map.addEventListener("pointerdown", (event) => {
    const markButton = event.target.closest(".bodymap-mark[data-mark]");
    if (!markButton || event.button > 0) return;
    drag = {
      index: Number(markButton.getAttribute("data-mark")) - 1, id: event.pointerId, node: markButton,
      area: markButton.closest(".bodymap-figure"), x0: event.clientX, y0: event.clientY, moved: false,
    };
    if (markButton.setPointerCapture) markButton.setPointerCapture(event.pointerId);
  });
  map.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    if (!drag.moved && Math.abs(event.clientX - drag.x0) + Math.abs(event.clientY - drag.y0) < DRAG_THRESHOLD_PX) return;
    drag.moved = true;
    const p = pointIn(drag.area, event.clientX, event.clientY);
    drag.node.style.left = p.x * 100 + "%";
    drag.node.style.top = p.y * 100 + "%";
    drag.point = p;
  });
  function endDrag(event) {
    if (!drag || event.pointerId !== drag.id) return;
    const d = drag;
    drag = null;
    if (!d.moved || event.type === "pointercancel") {
      if (d.moved) draw(); // put it back where it was
      return;
    }
    swallowClick = true;
    setTimeout(() => { swallowClick = false; }, 0); // if no click follows the release, forget it
    marks[d.index].x = d.point.x;
    marks[d.index].y = d.point.y;
    announce(`Mark ${d.index + 1} moved: ${markPlace(marks[d.index])}.`);
    if (d.index === selected) fillPanel();
    changed();
    draw(d.index);
  }
  map.addEventListener("pointerup", endDrag);
  map.addEventListener("pointercancel", endDrag);

  panel.addEventListener("change", (event) => {
    if (selected === -1) return;
    const t = event.target;
    if (t.name === "mark_type") marks[selected].type = t.value;
    else if (t.name === "mark_size") marks[selected].size = t.value;
    else return;
    changed();
    draw();
  });
  panel.addEventListener("input", (event) => {
    if (selected === -1) return;
    if (event.target.id === "mark_colour") marks[selected].colour = event.target.value;
    else if (event.target.id === "mark_description") marks[selected].description = event.target.value;
    else return;
    changed();
    draw();
  });
  field("mark_done").addEventListener("click", () => deselect(true));
  field("mark_delete").addEventListener("click", deleteSelected);

  draw();

  return {
    marks: () => marks.map((m) => Object.assign({}, m)),
    clear() {
      marks = [];
      selected = -1;
      pending = null;
      panel.hidden = true;
      announce("");
      draw();
      changed();
    },
    // Puts back marks as marks() gave them (a draft being restored), with none selected.
    load(saved) {
      marks = saved.map((m) => ({
        side: m.side === "back" ? "back" : "front", x: Number(m.x) || 0, y: Number(m.y) || 0,
        type: m.type || "", size: m.size || "", colour: m.colour || "", description: m.description || "",
      }));
      selected = -1;
      pending = null;
      panel.hidden = true;
      draw();
    },
    // Opens mark `index` at its first question, e.g. to show what a save refused.
    showMark(index) {
      pending = null;
      select(index, true);
    },
  };
}
