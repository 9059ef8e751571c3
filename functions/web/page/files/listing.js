// Places and loading: going to a place (a space, a view, a folder and a selection, kept
// in the URL's fragment by place.js), loading a folder's listing page by page (Load more,
// Load all) and the trash (grouped by folder), with the busy state while a view waits;
// an answer for a view that is no longer on screen is dropped (state.generation).

import { writePlace } from "../place.js";
import { $, attempt, closeMenu, count, fail } from "../ui.js";
import { drawChrome, render } from "./render.js";
import { startSearch, stopSearch } from "./search.js";
import { drawSelection } from "./selection.js";
import { here, pageSize, spaces, state } from "./state.js";
import { followUsage, usageChanged } from "./usage.js";

/** Goes to a place ({space, view, prefix, selection}); a new history entry unless `push` is false. */
export async function go(place, { push = true, force = false } = {}) {
  if (place.space === "team" && !spaces.team) {
    // A team place (a reload, Back) for an account that has no team now.
    fail(new Error("Your account belongs to no team, so there is no team space to show: here are My files."));
    place = { space: "home", view: place.view, prefix: "", selection: [] };
  }
  const space = place.space || "home";
  const moved = force || space !== state.space || place.view !== state.view || place.prefix !== state.prefix;
  state.space = space;
  state.view = place.view;
  state.prefix = place.prefix;
  if (moved) {
    state.selection.clear();
    state.anchor = null;
    stopSearch();
    state.filter = "";
    $("filter").value = "";
  }
  state.wantedSelection = place.selection?.length ? place.selection : null;
  writePlace({ space: state.space, view: state.view, prefix: state.prefix, selection: place.selection || [] }, { push });
  closeMenu({ focus: false });
  drawChrome();
  followUsage();
  await load({ keep: !moved });
}

export function openFolder(prefix) {
  return attempt(() => go({ space: state.space, view: state.view, prefix }));
}

function setBusy(busy, text = "Loading…") {
  state.busy = busy;
  if (busy) $("listing").setAttribute("aria-busy", "true");
  else $("listing").removeAttribute("aria-busy");
  $("loading-text").textContent = text;
  $("loading").hidden = !busy || state.visible.length > 0;
}

/** Loads the view; `keep` leaves the rows on screen while it loads (a refresh), else they go at once. */
export async function load({ keep = false } = {}) {
  const generation = ++state.generation;
  // A reload of the same view follows an action (or Refresh): the usage may have moved.
  if (keep) usageChanged();
  state.failed = false;
  setBusy(true);
  if (!keep) {
    state.entries = [];
    state.trashFiles = [];
    state.cursor = null;
    render();
  }
  try {
    if (state.view === "trash") await loadTrash(generation);
    else await loadFolder(generation);
  } catch (error) {
    if (generation === state.generation) state.failed = true;
    throw error;
  } finally {
    if (generation === state.generation) {
      setBusy(false);
      render();
    }
  }
  if (generation !== state.generation) return;
  if (state.deep && state.filter) startSearch();
}

export function fileEntry(file, prefix) {
  return { kind: "file", key: file.key, name: file.key.slice(prefix.length), size: file.size, modified: file.last_modified, etag: file.etag };
}

function folderEntry(folder, prefix, extra = {}) {
  return { kind: "folder", key: folder, name: folder.slice(prefix.length).replace(/\/$/, ""), ...extra };
}

async function loadFolder(generation, cursor = null) {
  const { api, records } = here();
  const prefix = state.prefix;
  const page = await api.page({ prefix, delimiter: "/", limit: pageSize(), cursor: cursor || undefined });
  if (generation !== state.generation) return;
  const folders = page.folders.map((f) => folderEntry(f, prefix));
  // A key ending in "/" (the S3 console's folder objects) has no name here: the folder shows it.
  const files = page.files.filter((f) => f.key.length > prefix.length && !f.key.endsWith("/")).map((f) => fileEntry(f, prefix));
  const real = new Set(folders.map((f) => f.key));
  const landed = [...real];
  if (prefix && (page.files.length || page.folders.length)) landed.push(prefix);
  records.landed(landed);
  const kept = cursor ? state.entries.filter((e) => !(e.empty && real.has(e.key))) : [];
  const known = new Set(kept.map((e) => e.key));
  const fresh = [...folders, ...files].filter((e) => !known.has(e.key));
  const all = [...kept, ...fresh];
  const listed = new Set(all.map((e) => e.key));
  for (const record of records.childrenOf(prefix)) {
    if (!listed.has(record)) all.push(folderEntry(record, prefix, { empty: true }));
  }
  state.entries = all;
  state.cursor = page.next_cursor;
  render();
  applyWantedSelection();
}

export async function loadMore({ everything = false } = {}) {
  const generation = state.generation;
  setBusy(true, "Loading more…");
  try {
    do {
      await loadFolder(generation, state.cursor);
    } while (everything && state.cursor && generation === state.generation);
  } finally {
    if (generation === state.generation) {
      setBusy(false);
      render();
    }
  }
}

function trashEntries(files, prefix) {
  const direct = [];
  const folders = new Map();
  for (const file of files) {
    const rest = file.key.slice(prefix.length);
    const cut = rest.indexOf("/");
    if (cut < 0) {
      direct.push({ kind: "file", key: file.key, name: rest, size: file.size, modified: file.deleted_at, versionId: file.version_id, etag: file.etag });
      continue;
    }
    const key = prefix + rest.slice(0, cut + 1);
    const folder = folders.get(key) || folderEntry(key, prefix, { files: 0, size: 0, modified: null });
    folder.files++;
    folder.size += file.size || 0;
    if (!folder.modified || (file.deleted_at && file.deleted_at > folder.modified)) folder.modified = file.deleted_at;
    folders.set(key, folder);
  }
  return [...folders.values(), ...direct];
}

async function loadTrash(generation) {
  const { api } = here();
  const prefix = state.prefix;
  await api.all({ prefix, deleted: 1 }, "files", {
    onPage: (files) => {
      if (generation !== state.generation) return;
      state.trashFiles = files.slice();
      state.entries = trashEntries(state.trashFiles, prefix);
      setBusy(true, `Loading the trash… ${count(files.length, "file")} so far`);
      render();
      applyWantedSelection();
    },
  });
}

function applyWantedSelection() {
  if (!state.wantedSelection) return;
  const wanted = new Set(state.wantedSelection.map((name) => state.prefix + name));
  const present = state.entries.filter((e) => wanted.has(e.key));
  for (const entry of present) state.selection.add(entry.key);
  if (!state.cursor || present.length === wanted.size) state.wantedSelection = null;
  drawSelection();
}

/** Every file under `prefix` in the space of `api` (a subtree listing, page after page). */
export async function filesUnder(api, prefix, signal) {
  return api.all({ prefix }, "files", { signal });
}
