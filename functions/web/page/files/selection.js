// Selecting many: checkboxes, shift-click ranges, select all and clear; the toolbar
// turns into the selection's actions while anything is selected, and the selection
// is kept in the URL (place.js), so it survives a reload.

import { writePlace } from "../place.js";
import { $, count } from "../ui.js";
import { state } from "./state.js";

function selectionNames() {
  return [...state.selection].filter((key) => key.startsWith(state.prefix)).map((key) => key.slice(state.prefix.length));
}

export function rememberSelection() {
  writePlace({ space: state.space, view: state.view, prefix: state.prefix, selection: selectionNames() }, { push: false });
}

export function toggle(entry, { shift, on }) {
  const keys = state.visible.map((e) => e.key);
  const at = keys.indexOf(entry.key);
  const from = shift && state.anchor ? keys.indexOf(state.anchor) : -1;
  if (from >= 0 && at >= 0) {
    const [low, high] = from < at ? [from, at] : [at, from];
    for (const key of keys.slice(low, high + 1)) {
      if (on) state.selection.add(key);
      else state.selection.delete(key);
    }
  } else if (on) state.selection.add(entry.key);
  else state.selection.delete(entry.key);
  state.anchor = entry.key;
  drawSelection();
  rememberSelection();
}

export function selectAll(on) {
  for (const entry of state.visible) {
    if (on) state.selection.add(entry.key);
    else state.selection.delete(entry.key);
  }
  drawSelection();
  rememberSelection();
}

export function clearSelection() {
  state.selection.clear();
  state.anchor = null;
  drawSelection();
  rememberSelection();
}

export function selectedEntries() {
  const byKey = new Map([...state.entries, ...(state.search?.results || [])].map((e) => [e.key, e]));
  return [...state.selection].map((key) => byKey.get(key)).filter(Boolean);
}

export function drawSelection() {
  // Keys no longer listed leave the selection.
  const listed = new Set([...state.entries, ...(state.search?.results || [])].map((e) => e.key));
  if (!state.busy && !state.wantedSelection) {
    for (const key of state.selection) if (!listed.has(key)) state.selection.delete(key);
  }
  for (const tr of $("rows").children) {
    const on = state.selection.has(tr.dataset.key);
    tr.classList.toggle("selected", on);
    const box = tr.querySelector(".pick-box");
    if (box) box.checked = on;
  }
  const visibleSelected = state.visible.filter((e) => state.selection.has(e.key)).length;
  const all = $("select-all");
  all.checked = state.visible.length > 0 && visibleSelected === state.visible.length;
  all.indeterminate = visibleSelected > 0 && visibleSelected < state.visible.length;
  all.disabled = state.visible.length === 0;
  const n = state.selection.size;
  const files = state.view === "files";
  $("selection-bar").hidden = n === 0;
  $("folder-actions").hidden = !files || n > 0;
  $("selection-count").textContent = `${n.toLocaleString()} selected`;
  const selected = selectedEntries();
  $("bulk-download").hidden = !files;
  $("bulk-download").disabled = !selected.some((e) => e.kind === "file");
  $("bulk-move").hidden = !files;
  $("bulk-copy").hidden = !files;
  $("bulk-delete").hidden = !files;
  $("bulk-restore").hidden = files;
  const loaded = state.view === "files" && state.cursor ? "+" : "";
  $("summary").textContent = state.visible.length
    ? `${count(state.visible.length, "item")}${loaded}${n ? ` · ${n.toLocaleString()} selected` : ""}`
    : "";
}
