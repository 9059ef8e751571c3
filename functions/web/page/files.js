// The file manager: a folder's listing (paged), sorted and filtered, with a search
// through subfolders; checkboxes, shift-click ranges and select all, with bulk
// download, move, copy, delete and restore behind one progress view; move and copy
// anywhere through a folder picker; folders made here that stay until a file lands;
// uploads of files and whole folders (picker and drop) that ask before replacing
// anything; delete at once with an Undo; previews, links to share, versions; the
// trash, browsable by folder, with file and folder restore. Where you are (view,
// folder, selection) lives in the URL's fragment (place.js).

import { ApiError, pool } from "./api.js";
import { FolderRecords } from "./folders.js";
import { readPlace, writePlace } from "./place.js";
import { Transfers, download, uploadJob } from "./transfer.js";
import {
  $, askConflict, ask, attempt, background, button, clearMessages, closeMenu, count, displayName, el, fail, formatFullTime, formatSize,
  formatTime, icon, keyProblem, lifetime, menuIsOpenFor, modal, nameNode, nameProblem, openMenu, say, startProgress,
} from "./ui.js";

const PARALLEL = 6;

let api;
let config;
let auth;
let records;
let transfers;

const state = {
  view: "files",
  prefix: "",
  entries: [], // what the view lists (folders and files directly under the prefix)
  trashFiles: [], // the trash: every deleted file under the prefix
  cursor: null, // the folder listing's next page
  generation: 0, // bumps on every load; an answer for an older one is dropped
  busy: false,
  selection: new Set(), // keys; a folder's ends with "/"
  anchor: null, // the key a shift-click extends from
  visible: [], // the rows as shown, in order
  sort: { by: "name", dir: 1 },
  filter: "",
  deep: false,
  search: null, // {controller, scanned, results, done, stopped}
  wantedSelection: null, // names from the URL, selected once listed
  failed: false, // the last load failed
};

/** The listing's page size: 1000 (the API's most), or `homedir.pageSize` in localStorage (1-1000). */
function pageSize() {
  const wanted = Number(localStorage.getItem("homedir.pageSize"));
  return Number.isInteger(wanted) && wanted >= 1 && wanted <= 1000 ? wanted : 1000;
}

const baseName = (key) => key.replace(/\/$/, "").split("/").pop();
const parentOf = (key) => {
  const trimmed = key.replace(/\/$/, "");
  const cut = trimmed.lastIndexOf("/");
  return cut < 0 ? "" : trimmed.slice(0, cut + 1);
};
const folderLabel = (prefix) => (prefix ? displayName(prefix.replace(/\/$/, "")) : "Home");
const shown = (entry) => displayName(entry.name);

// ------------------------------------------------------------------ starting and stopping

export function initFiles(dependencies) {
  ({ api, config, auth } = dependencies);
  transfers = new Transfers();
  wireControls();
}

/** Shows the files of the signed-in user at the place the URL names. */
export async function showFiles() {
  records = new FolderRecords(auth.userId);
  const place = readPlace(location.hash);
  const saved = JSON.parse(localStorage.getItem("homedir.sort") || "null");
  if (saved && ["name", "size", "modified"].includes(saved.by)) state.sort = { by: saved.by, dir: saved.dir === -1 ? -1 : 1 };
  await go(place, { push: false, force: true });
}

/** Signing out: nothing of this user stays on the screen or in flight. */
export function leaveFiles({ forgetPlace }) {
  state.generation++;
  transfers?.cancelAll();
  stopSearch();
  closeMenu({ focus: false });
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  state.entries = [];
  state.trashFiles = [];
  state.selection.clear();
  $("rows").replaceChildren();
  $("transfers").hidden = true;
  if (forgetPlace) history.replaceState(null, "", `${location.pathname}${location.search}`);
}

// ------------------------------------------------------------------ places

/** Goes to a place ({view, prefix, selection}); a new history entry unless `push` is false. */
async function go(place, { push = true, force = false } = {}) {
  const moved = force || place.view !== state.view || place.prefix !== state.prefix;
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
  writePlace({ view: state.view, prefix: state.prefix, selection: place.selection || [] }, { push });
  closeMenu({ focus: false });
  drawChrome();
  await load({ keep: !moved });
}

function openFolder(prefix) {
  return attempt(() => go({ view: state.view, prefix }));
}

function selectionNames() {
  return [...state.selection].filter((key) => key.startsWith(state.prefix)).map((key) => key.slice(state.prefix.length));
}

function rememberSelection() {
  writePlace({ view: state.view, prefix: state.prefix, selection: selectionNames() }, { push: false });
}

// ------------------------------------------------------------------ loading

function setBusy(busy, text = "Loading…") {
  state.busy = busy;
  if (busy) $("listing").setAttribute("aria-busy", "true");
  else $("listing").removeAttribute("aria-busy");
  $("loading-text").textContent = text;
  $("loading").hidden = !busy || state.visible.length > 0;
}

/** Loads the view; `keep` leaves the rows on screen while it loads (a refresh), else they go at once. */
async function load({ keep = false } = {}) {
  const generation = ++state.generation;
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

function fileEntry(file, prefix) {
  return { kind: "file", key: file.key, name: file.key.slice(prefix.length), size: file.size, modified: file.last_modified, etag: file.etag };
}

function folderEntry(folder, prefix, extra = {}) {
  return { kind: "folder", key: folder, name: folder.slice(prefix.length).replace(/\/$/, ""), ...extra };
}

async function loadFolder(generation, cursor = null) {
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

async function loadMore({ everything = false } = {}) {
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

/** Every file under `prefix` (a subtree listing, page after page). */
async function filesUnder(prefix, signal) {
  return api.all({ prefix }, "files", { signal });
}

// ------------------------------------------------------------------ search through subfolders

function matches(name) {
  return name.toLocaleLowerCase().includes(state.filter.toLocaleLowerCase());
}

function stopSearch() {
  if (state.search) {
    state.search.controller.abort();
    state.search = null;
  }
  $("search-status").hidden = true;
}

/** Lists the subtree under the folder page by page, keeping what matches; stoppable. */
function startSearch() {
  stopSearch();
  if (!state.filter) {
    render();
    return;
  }
  const search = { controller: new AbortController(), scanned: 0, results: [], done: false, stopped: false };
  state.search = search;
  const prefix = state.prefix;
  const seenFolders = new Set();
  const addFolders = (key) => {
    const rest = key.slice(prefix.length).split("/");
    rest.pop();
    let path = prefix;
    for (const segment of rest) {
      path += `${segment}/`;
      if (!seenFolders.has(path) && matches(segment)) {
        seenFolders.add(path);
        search.results.push({ kind: "folder", key: path, name: segment, path: path.slice(prefix.length, -segment.length - 1) });
      }
    }
  };
  const report = () => {
    $("search-status").hidden = false;
    $("search-stop").hidden = search.done;
    const found = count(search.results.length, "match", "matches");
    $("search-text").textContent = search.done
      ? `${search.stopped ? "Search stopped" : "Searched"}: ${count(search.scanned, "file")} in ${folderLabel(prefix)} and its subfolders, ${found}.`
      : `Searching subfolders… ${count(search.scanned, "file")} looked at, ${found}.`;
  };
  report();
  render();
  if (state.view === "trash") {
    for (const file of state.trashFiles) {
      search.scanned++;
      addFolders(file.key);
      if (matches(baseName(file.key))) {
        search.results.push({ kind: "file", key: file.key, name: baseName(file.key), path: parentOf(file.key).slice(prefix.length), size: file.size, modified: file.deleted_at, versionId: file.version_id });
      }
    }
    search.done = true;
    report();
    render();
    return;
  }
  for (const record of records.all()) {
    if (record.startsWith(prefix) && record !== prefix) addFolders(`${record}x`);
  }
  (async () => {
    let cursor;
    try {
      do {
        const page = await api.page({ prefix, limit: pageSize(), cursor }, search.controller.signal);
        if (state.search !== search) return;
        for (const file of page.files) {
          if (file.key.endsWith("/")) continue;
          search.scanned++;
          addFolders(file.key);
          if (matches(baseName(file.key))) {
            search.results.push({ ...fileEntry(file, prefix), name: baseName(file.key), path: parentOf(file.key).slice(prefix.length) });
          }
        }
        cursor = page.next_cursor;
        report();
        render();
      } while (cursor && !search.controller.signal.aborted);
    } catch (error) {
      if (error.name !== "AbortError") fail(error);
    }
    if (state.search !== search) return;
    search.done = true;
    report();
    render();
  })();
}

// ------------------------------------------------------------------ drawing

function drawChrome() {
  const files = state.view === "files";
  $("show-files").setAttribute("aria-pressed", String(files));
  $("show-trash").setAttribute("aria-pressed", String(!files));
  $("files-title").textContent = files ? "Files" : "Trash";
  $("folder-actions").hidden = !files || state.selection.size > 0;
  $("when-label").textContent = files ? "Modified" : "Deleted";
  $("files-view").classList.toggle("in-trash", !files);
  document.title = `${files ? folderLabel(state.prefix) : `Trash${state.prefix ? ` · ${folderLabel(state.prefix)}` : ""}`} · homedir`;
  drawBreadcrumbs();
  drawSortHeaders();
}

function drawBreadcrumbs() {
  const list = $("breadcrumbs");
  list.replaceChildren();
  const parts = state.prefix.split("/").filter(Boolean);
  const root = state.view === "files" ? "Home" : "Trash";
  const crumbs = [[root, ""]];
  parts.forEach((part, i) => crumbs.push([part, `${parts.slice(0, i + 1).join("/")}/`]));
  crumbs.forEach(([name, prefix], i) => {
    const last = i === crumbs.length - 1;
    const label = i === 0 ? (state.view === "files" ? "Home folder" : "Top of the trash") : `Folder ${displayName(name)}`;
    const content = i === 0 ? [icon(state.view === "files" ? "home" : "trash"), el("span", { text: name })] : [nameNode(name, "crumb-name")];
    list.append(
      el(
        "li",
        {},
        last
          ? el("span", { "aria-current": "location", class: "current" }, content)
          : el("button", { type: "button", class: "crumb", "aria-label": label, onclick: () => openFolder(prefix) }, content),
      ),
    );
  });
}

function drawSortHeaders() {
  for (const column of ["name", "size", "modified"]) {
    const th = $(`sort-${column}`).closest("th");
    const active = state.sort.by === column;
    th.setAttribute("aria-sort", active ? (state.sort.dir === 1 ? "ascending" : "descending") : "none");
    th.classList.toggle("sorted", active);
    th.classList.toggle("descending", active && state.sort.dir === -1);
  }
}

function compare(a, b) {
  if (a.kind !== b.kind) return a.kind === "folder" ? -1 : 1;
  const byName = (a.path ?? "").localeCompare(b.path ?? "", undefined, { numeric: true }) || a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" }) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  let result;
  if (state.sort.by === "size") result = (a.size ?? -1) - (b.size ?? -1);
  else if (state.sort.by === "modified") result = String(a.modified || "").localeCompare(String(b.modified || ""));
  else result = byName;
  return (result || byName) * state.sort.dir;
}

function visibleEntries() {
  let list = state.search ? state.search.results : state.entries;
  if (state.filter && !state.search) list = list.filter((e) => matches(e.name));
  return [...list].sort(compare);
}

function entryIcon(entry) {
  if (entry.kind === "folder") return "folder";
  const name = entry.name.toLowerCase();
  if (/\.(png|jpe?g|gif|webp|avif|bmp|heic|tiff?)$/.test(name)) return "image";
  if (/\.(mp4|webm|mov|mkv|m4v|ogv)$/.test(name)) return "video";
  if (/\.(mp3|m4a|wav|ogg|oga|flac|aac|opus)$/.test(name)) return "audio";
  if (name.endsWith(".pdf")) return "pdf";
  if (/\.(txt|md|csv|json|log|ya?ml|xml|html?|js|ts|rs|py|sh|toml|ini|cfg)$/.test(name)) return "text";
  return "file";
}

function render() {
  const active = document.activeElement;
  const activeRow = active?.closest?.("#rows tr");
  const focusKey = activeRow?.dataset.key;
  const focusRole = active?.dataset?.role;
  const focusIndex = activeRow ? [...$("rows").children].indexOf(activeRow) : -1;
  state.visible = visibleEntries();
  const rows = state.visible.map((entry) => row(entry));
  $("rows").replaceChildren(...rows);
  if (focusKey && focusRole && !$("rows").contains(active)) {
    // The same control of the same row; if the row went (deleted, moved), the one now in its place.
    const same = rows.find((r) => r.dataset.key === focusKey) || rows[Math.min(focusIndex, rows.length - 1)];
    const again = same?.querySelector(`[data-role="${focusRole}"]`) || same?.querySelector('[data-role="open"]');
    if (again) again.focus({ preventScroll: true });
    else $("select-all").focus({ preventScroll: true });
  }
  const empty = $("empty");
  if (state.busy && !state.visible.length) {
    empty.hidden = true;
  } else if (!state.visible.length) {
    empty.hidden = false;
    if (state.failed) empty.textContent = state.view === "trash" ? "The trash could not be listed: see the message below." : "This folder could not be listed: see the message below.";
    else if (state.search) empty.textContent = state.search.done ? `Nothing in ${folderLabel(state.prefix)} or its subfolders matches “${state.filter}”.` : "Searching…";
    else if (state.filter) empty.textContent = `Nothing here matches “${state.filter}”. To look in subfolders too, tick Search subfolders.`;
    else if (state.view === "trash") empty.textContent = "The trash is empty.";
    else empty.textContent = "This folder is empty. Drop files here, or use Upload files….";
  } else empty.hidden = true;
  $("loading").hidden = !state.busy || state.visible.length > 0;
  const more = state.view === "files" && !state.search && state.cursor;
  $("more-bar").hidden = !more;
  if (more) $("more-text").textContent = `Showing the first ${count(state.entries.length, "item")} of this folder.`;
  const folders = state.visible.filter((e) => e.kind === "folder").length;
  const files = state.visible.length - folders;
  const where = state.view === "trash" ? `Trash of ${folderLabel(state.prefix)}` : `Folder ${folderLabel(state.prefix)}`;
  $("listing-caption").textContent = `${where}: ${count(folders, "folder")}, ${count(files, "file")}`;
  drawSelection();
}

function row(entry) {
  const name = shown(entry);
  const trash = state.view === "trash";
  const checkbox = el("input", { type: "checkbox", class: "pick-box", "aria-label": `Select ${name}`, "data-role": "select" });
  checkbox.checked = state.selection.has(entry.key);
  checkbox.addEventListener("click", (event) => toggle(entry, { shift: event.shiftKey, on: checkbox.checked }));
  const open =
    entry.kind === "folder"
      ? el("button", { type: "button", class: "name-button", "aria-label": `Open folder ${name}`, "data-role": "open", onclick: () => openFolder(entry.key) }, icon("folder"), nameNode(entry.name))
      : el("button", { type: "button", class: "name-button", "aria-label": `Open ${name}`, "data-role": "open", onclick: () => attempt(() => preview(entry)) }, icon(entryIcon(entry)), nameNode(entry.name));
  const nameCell = el("th", { scope: "row", class: "name" }, open);
  if (entry.path) nameCell.append(el("span", { class: "in-path" }, "in ", nameNode(entry.path ? entry.path.replace(/\/$/, "") : "", "path-name")));
  if (entry.empty) nameCell.append(el("span", { class: "tag", title: "Kept in this browser until a file lands in it", text: "empty" }));
  let size = "";
  if (entry.kind === "file") size = formatSize(entry.size);
  else if (entry.files) size = count(entry.files, "file");
  const actions = el("td", { class: "actions" });
  const quick = el("span", { class: "quick" });
  if (trash) {
    quick.append(
      entry.kind === "folder"
        ? button("Restore folder", () => attempt(() => restoreItems([entry])), { ariaLabel: `Restore folder ${name}`, iconName: "restore", iconOnly: true, attributes: { "data-role": "restore" } })
        : button("Restore", () => attempt(() => restoreItems([entry])), { ariaLabel: `Restore ${name}`, iconName: "restore", iconOnly: true, attributes: { "data-role": "restore" } }),
    );
  } else if (entry.kind === "file") {
    quick.append(
      button("Download", () => downloadItems([entry]), { ariaLabel: `Download ${name}`, iconName: "download", iconOnly: true, attributes: { "data-role": "download" } }),
      button("Copy link", () => attempt(() => share(entry)), { ariaLabel: `Copy link to ${name}`, iconName: "link", iconOnly: true, attributes: { "data-role": "share" } }),
    );
  }
  const more = button("More actions", null, { ariaLabel: `More actions for ${name}`, iconName: "more", iconOnly: true, className: "more", attributes: { "aria-haspopup": "menu", "aria-expanded": "false", "data-role": "more" } });
  more.addEventListener("click", () => {
    if (menuIsOpenFor(more)) closeMenu();
    else openMenu(more, menuItems(entry), `Actions for ${name}`);
  });
  actions.append(quick, more);
  const tr = el(
    "tr",
    { class: `${entry.kind}${entry.empty ? " pending" : ""}`, "data-key": entry.key, "data-kind": entry.kind, "data-name": entry.path ? entry.path + entry.name : entry.name },
    el("td", { class: "pick" }, checkbox),
    nameCell,
    el("td", { class: "num", text: size }),
    el("td", { class: "when", title: formatFullTime(entry.modified), text: formatTime(entry.modified) }),
    actions,
  );
  tr.addEventListener("click", (event) => {
    if (event.target.closest("button, input, a")) return;
    toggle(entry, { shift: event.shiftKey, on: !state.selection.has(entry.key) });
  });
  tr.addEventListener("dblclick", (event) => {
    if (event.target.closest("button, input, a")) return;
    open.click();
  });
  return tr;
}

function menuItems(entry) {
  const run = (action) => () => attempt(action);
  if (state.view === "trash") {
    if (entry.kind === "folder") {
      return [
        { label: "Open", icon: "folder", action: () => openFolder(entry.key) },
        { label: "Restore folder", icon: "restore", action: run(() => restoreItems([entry])) },
      ];
    }
    return [
      { label: "Restore", icon: "restore", action: run(() => restoreItems([entry])) },
      { label: "Download the deleted version", icon: "download", action: () => downloadItems([entry], { version: entry.versionId }) },
      { label: "Versions…", icon: "versions", action: run(() => showVersions(entry)) },
    ];
  }
  if (entry.kind === "folder") {
    return [
      { label: "Open", icon: "folder", action: () => openFolder(entry.key) },
      { label: "Rename…", icon: "rename", action: run(() => rename(entry)) },
      { label: "Move to…", icon: "move", action: run(() => moveOrCopy("move", [entry])) },
      { label: "Copy to…", icon: "copy", action: run(() => moveOrCopy("copy", [entry])) },
      null,
      { label: "Delete folder", icon: "trash", danger: true, action: run(() => deleteItems([entry])) },
    ];
  }
  return [
    { label: "Preview", icon: "open", action: run(() => preview(entry)) },
    { label: "Download", icon: "download", action: () => downloadItems([entry]) },
    { label: "Copy link…", icon: "link", action: run(() => share(entry)) },
    { label: "Rename…", icon: "rename", action: run(() => rename(entry)) },
    { label: "Move to…", icon: "move", action: run(() => moveOrCopy("move", [entry])) },
    { label: "Copy to…", icon: "copy", action: run(() => moveOrCopy("copy", [entry])) },
    { label: "Versions…", icon: "versions", action: run(() => showVersions(entry)) },
    null,
    { label: "Delete", icon: "trash", danger: true, action: run(() => deleteItems([entry])) },
  ];
}

// ------------------------------------------------------------------ selection

function toggle(entry, { shift, on }) {
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

function selectAll(on) {
  for (const entry of state.visible) {
    if (on) state.selection.add(entry.key);
    else state.selection.delete(entry.key);
  }
  drawSelection();
  rememberSelection();
}

function clearSelection() {
  state.selection.clear();
  state.anchor = null;
  drawSelection();
  rememberSelection();
}

function selectedEntries() {
  const byKey = new Map([...state.entries, ...(state.search?.results || [])].map((e) => [e.key, e]));
  return [...state.selection].map((key) => byKey.get(key)).filter(Boolean);
}

function drawSelection() {
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

// ------------------------------------------------------------------ messages about a batch

function failures(verb, failed) {
  if (!failed.length) return null;
  const names = failed.slice(0, 3).map(([key, error]) => `${displayName(baseName(key))} (${error.message.replace(/\.$/, "")})`);
  const more = failed.length > 3 ? ` and ${failed.length - 3} more` : "";
  return new Error(`Could not ${verb} ${names.join(", ")}${more}.`);
}

// ------------------------------------------------------------------ conflicts

/**
 * Asks what to do about names that exist, one question at a time, remembering
 * "do the same for the others". `others` is how many conflicts are still to come
 * (null: unknown).
 */
function conflictResolver(verb) {
  let always = null;
  let chain = Promise.resolve();
  return ({ key, existing, incomingSize, others = null }) => {
    const ask = async () => {
      if (always) return always;
      const name = displayName(baseName(key));
      const where = folderLabel(parentOf(key));
      const facts = existing ? ` (${formatSize(existing.size)}, modified ${formatFullTime(existing.last_modified)})` : "";
      const incoming = incomingSize === undefined ? "" : ` The one you are ${verb} is ${formatSize(incomingSize)}.`;
      const answer = await askConflict({
        title: `${name} already exists`,
        text: `${where} already has a file named ${name}${facts}.${incoming} Replace keeps the old one among its versions.`,
        others,
      });
      if (answer.all || answer.choice === "cancel") always = answer.choice;
      return answer.choice;
    };
    chain = chain.then(ask, ask);
    return chain;
  };
}

/** "name (1).ext", "name (2).ext"… the first that neither exists nor is `taken`. */
async function freeName(key, taken = new Set()) {
  const parent = parentOf(key);
  const name = baseName(key);
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let i = 1; i < 1000; i++) {
    const candidate = `${parent}${stem} (${i})${ext}`;
    if (taken.has(candidate)) continue;
    if (!(await api.stat(candidate))) {
      taken.add(candidate);
      return candidate;
    }
  }
  throw new Error(`No free name was found for ${displayName(name)}.`);
}

/** The files among `keys` that exist: Map key → {key, size, etag, last_modified}. */
async function findExisting(keys, signal) {
  const byParent = new Map();
  for (const key of keys) {
    const parent = parentOf(key);
    byParent.set(parent, [...(byParent.get(parent) || []), key]);
  }
  const existing = new Map();
  await pool([...byParent.entries()], 4, async ([parent, group]) => {
    if (group.length <= 10) {
      await pool(group, 4, async (key) => {
        const file = await api.stat(key, signal);
        if (file) existing.set(key, file);
      });
      return;
    }
    const wanted = new Set(group);
    const files = await api.all({ prefix: parent, delimiter: "/" }, "files", { signal });
    for (const file of files) if (wanted.has(file.key)) existing.set(file.key, file);
  });
  return existing;
}

// ------------------------------------------------------------------ uploads

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => background(() => load({ keep: true })), 300);
}

/**
 * Uploads `items` ({file, path}: path relative to the folder, "a/b.txt" for a
 * folder's file) into the current folder. Names that exist are asked about first
 * (replace, keep both, skip); every write is conditional, so a name taken meanwhile
 * is asked about again, never replaced silently.
 */
async function uploadItems(items, { emptyFolders = [] } = {}) {
  clearMessages();
  const prefix = state.prefix;
  for (const folder of emptyFolders) {
    if (!keyProblem(folder)) records.add(`${prefix}${folder}/`);
  }
  const refused = items.filter((item) => keyProblem(item.path));
  const planned = items.filter((item) => !keyProblem(item.path)).map((item) => ({ ...item, key: prefix + item.path }));
  // Names the API would refuse (a text-direction control, say) are not sent; the last message says which.
  const notSent = refused.length
    ? `not uploaded: ${refused.slice(0, 3).map((i) => `${displayName(i.path)} (${keyProblem(i.path).replace(/\.$/, "")})`).join(", ")}${refused.length > 3 ? ` and ${refused.length - 3} more` : ""}`
    : "";
  if (notSent) fail(new Error(`${notSent.charAt(0).toUpperCase()}${notSent.slice(1)}.`));
  if (!planned.length) {
    if (emptyFolders.length) refreshSoon();
    return;
  }
  if (!refused.length) say(`Checking ${count(planned.length, "name")}…`);
  const existing = await findExisting(planned.map((p) => p.key));
  const resolve = conflictResolver("uploading");
  const taken = new Set(planned.map((p) => p.key));
  const conflicts = planned.filter((p) => existing.has(p.key));
  let skipped = 0;
  const queue = [];
  for (const item of planned) {
    const found = existing.get(item.key);
    if (!found) {
      queue.push({ ...item, headers: { "If-None-Match": "*" } });
      continue;
    }
    const others = conflicts.length - conflicts.indexOf(item) - 1;
    const choice = await resolve({ key: item.key, existing: found, incomingSize: item.file.size, others });
    if (choice === "cancel") {
      say(`Upload cancelled: nothing was sent.`);
      return;
    }
    if (choice === "skip") skipped++;
    else if (choice === "replace") queue.push({ ...item, headers: { "If-Match": found.etag } });
    else queue.push({ ...item, key: await freeName(item.key, taken), headers: { "If-None-Match": "*" } });
  }
  if (!refused.length) clearMessages();
  const ended = queue.map((item) => {
    const job = uploadJob(api, item.file, config.maxFileBytes);
    let key = item.key;
    let headers = item.headers;
    const run = async ({ signal, progress, note }) => {
      for (;;) {
        try {
          return await job.run(key, { headers, signal, onNote: note, onProgress: (sent) => progress(sent, item.file.size) });
        } catch (error) {
          if (error.code !== "precondition_failed") throw error;
          // The name was taken (or changed) while this was on its way: ask again.
          const now = await api.stat(key);
          const choice = await resolve({ key, existing: now, incomingSize: item.file.size });
          if (choice === "skip" || choice === "cancel") {
            await job.discard();
            return "skipped";
          }
          if (choice === "replace") headers = now ? { "If-Match": now.etag } : { "If-None-Match": "*" };
          else {
            key = await freeName(key, taken);
            headers = { "If-None-Match": "*" };
          }
        }
      }
    };
    return transfers.add({
      kind: "upload",
      name: item.path,
      key,
      size: item.file.size,
      run,
      discard: job.discard,
      onEnd: (finished) => {
        if (finished.state === "done" && state.view === "files" && finished.key.startsWith(state.prefix)) refreshSoon();
      },
    });
  });
  const finished = await Promise.all(ended);
  const done = finished.filter((f) => f.state === "done").length;
  skipped += finished.filter((f) => f.state === "skipped").length;
  const failed = finished.filter((f) => f.state === "failed");
  const cancelled = finished.filter((f) => f.state === "cancelled").length;
  if (failed.length) {
    fail(new Error(`Could not upload ${failed.slice(0, 3).map((f) => displayName(f.name)).join(", ")}${failed.length > 3 ? ` and ${failed.length - 3} more` : ""}: see Transfers to retry.${notSent ? ` Also ${notSent}.` : ""}`));
  } else if (notSent) {
    fail(new Error(`Uploaded ${count(done, "file")}; ${notSent}.`));
  } else {
    let text = `Uploaded ${count(done, "file")}`;
    if (skipped) text += `; skipped ${count(skipped, "existing name")}`;
    if (cancelled) text += `; ${cancelled} cancelled`;
    say(`${text}.`);
  }
  if (state.view === "files" && state.prefix === prefix) await background(() => load({ keep: true }));
}

/** The files (and empty folders) a drop holds, walking dropped folders. */
function dropped(dataTransfer) {
  const files = [...(dataTransfer?.files || [])];
  const entries = [...(dataTransfer?.items || [])].map((item) => (item.kind === "file" ? item.webkitGetAsEntry?.() : null)).filter(Boolean);
  if (!entries.some((entry) => entry.isDirectory)) return Promise.resolve({ items: files.map((file) => ({ file, path: file.name })), emptyFolders: [] });
  const items = [];
  const emptyFolders = [];
  const walk = async (entry) => {
    const path = entry.fullPath.replace(/^\//, "");
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      items.push({ file, path });
      return;
    }
    const reader = entry.createReader();
    const children = [];
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      children.push(...batch);
    }
    if (!children.length) emptyFolders.push(path);
    for (const child of children) await walk(child);
  };
  return (async () => {
    for (const entry of entries) await walk(entry);
    return { items, emptyFolders };
  })();
}

// ------------------------------------------------------------------ downloads

function downloadItems(entries, { version } = {}) {
  const files = entries.filter((e) => e.kind === "file");
  const folders = entries.length - files.length;
  for (const entry of files) {
    transfers.add({
      kind: "download",
      name: entry.path ? entry.path + entry.name : entry.name,
      key: entry.key,
      size: entry.size,
      run: ({ signal, progress }) => download(api, entry.key, { size: entry.size, version, maxFileBytes: config.maxFileBytes, signal, onProgress: progress }),
    });
  }
  if (files.length > 1 || folders) {
    say(`Downloading ${count(files.length, "file")}${folders ? `; folders are not downloaded (open one and select its files)` : ""}.`);
  }
}

// ------------------------------------------------------------------ delete and undo

/** Deletes at once; the message offers Undo, which restores exactly what this deleted. */
async function deleteItems(entries) {
  if (!entries.length) return;
  clearMessages();
  const files = entries.filter((e) => e.kind === "file");
  const folders = entries.filter((e) => e.kind === "folder");
  const job = startProgress(entries.length === 1 ? `Deleting ${shown(entries[0])}:` : `Deleting ${count(entries.length, "item")}:`, files.length);
  const deletedFiles = [];
  const deletedFolders = [];
  const failed = [];
  let done = 0;
  try {
    // What each folder holds now, so that Undo brings back exactly that.
    const contents = new Map();
    for (const folder of folders) {
      if (job.signal.aborted) break;
      job.update(done, undefined, `Counting the files in ${shown(folder)}…`);
      contents.set(folder.key, folder.empty ? [] : await filesUnder(folder.key, job.signal));
    }
    const total = files.length + [...contents.values()].reduce((n, list) => n + list.length, 0);
    const label = entries.length === 1 ? `Deleting ${shown(entries[0])}:` : `Deleting ${count(entries.length, "item")}:`;
    job.update(done, total, label);
    await pool(
      files,
      PARALLEL,
      async (file) => {
        try {
          const marker = await api.deleteFile(file.key);
          if (marker !== null) deletedFiles.push({ key: file.key, marker });
        } catch (error) {
          failed.push([file.key, error]);
        }
        job.update(++done, total, label);
      },
      job.signal,
    );
    for (const folder of folders) {
      if (job.signal.aborted) break;
      const keys = contents.get(folder.key) || [];
      const hadRecords = records.all().filter((p) => p.startsWith(folder.key));
      const before = done;
      if (keys.length) await api.deleteFolder(folder.key, (n) => job.update(before + n, total, label), job.signal);
      done = before + keys.length;
      records.remove(folder.key);
      deletedFolders.push({ prefix: folder.key, keys: new Set(keys.map((f) => f.key)), records: hadRecords, name: folder.name });
    }
  } finally {
    job.end();
  }
  const stopped = job.signal.aborted;
  const fileCount = deletedFiles.length + deletedFolders.reduce((n, f) => n + f.keys.size, 0);
  const undo = deletedFiles.length || deletedFolders.length ? () => undoDelete(deletedFiles, deletedFolders) : undefined;
  let text;
  if (entries.length === 1 && deletedFolders.length === 1) text = `Deleted folder ${displayName(deletedFolders[0].name)} (${count(deletedFolders[0].keys.size, "file")}).`;
  else if (entries.length === 1 && deletedFiles.length === 1) text = `Deleted ${shown(entries[0])}.`;
  else if (folders.length) text = `Deleted ${count(files.length + folders.length, "item")} (${count(fileCount, "file")}).`;
  else text = `Deleted ${count(fileCount, "file")}.`;
  if (stopped) text = `Stopped: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
  const gone = files.length - deletedFiles.length - failed.length;
  if (gone > 0) text += ` ${count(gone, "file")} had already gone.`;
  if (failed.length) fail(failures("delete", failed));
  else say(text, { undo });
  for (const entry of entries) state.selection.delete(entry.key);
  rememberSelection();
  await load({ keep: true });
}

async function undoDelete(deletedFiles, deletedFolders) {
  const total = deletedFiles.length + deletedFolders.reduce((n, f) => n + f.keys.size, 0);
  const job = startProgress("Restoring:", total);
  let restored = 0;
  let changed = 0;
  let done = 0;
  try {
    await pool(deletedFiles, PARALLEL, async ({ key, marker }) => {
      if (await api.undeleteFile(key, marker)) restored++;
      else changed++;
      job.update(++done);
    });
    for (const folder of deletedFolders) {
      for (const record of folder.records) records.add(record);
      if (!folder.keys.size) continue;
      // The trash names the version each file comes back as.
      const trash = await api.all({ prefix: folder.prefix, deleted: 1 }, "files");
      const mine = trash.filter((file) => folder.keys.has(file.key));
      changed += folder.keys.size - mine.length;
      done += folder.keys.size - mine.length;
      await pool(mine, PARALLEL, async (file) => {
        try {
          await api.json("PUT", "write-file", { key: file.key, restore: file.version_id }, { headers: { "If-None-Match": "*" } });
          restored++;
        } catch (error) {
          if (error.code !== "precondition_failed") throw error;
          changed++;
        }
        job.update(++done);
      });
    }
  } finally {
    job.end();
  }
  const folderOnly = deletedFolders.length === 1 && !deletedFiles.length;
  let text = folderOnly ? `Restored folder ${displayName(deletedFolders[0].name)} (${count(restored, "file")})` : `Restored ${count(restored, "file")}`;
  if (changed) text += `; ${count(changed, "file")} had changed since and ${changed === 1 ? "was" : "were"} left as ${changed === 1 ? "it is" : "they are"}`;
  say(`${text}.`);
  await load({ keep: true });
}

// ------------------------------------------------------------------ restore from the trash

async function restoreItems(entries) {
  if (!entries.length) return;
  clearMessages();
  const files = entries.filter((e) => e.kind === "file");
  const folders = entries.filter((e) => e.kind === "folder");
  const job = startProgress(entries.length === 1 ? `Restoring ${shown(entries[0])}:` : `Restoring ${count(entries.length, "item")}:`, files.length + folders.reduce((n, f) => n + (f.files || 0), 0));
  let restored = 0;
  let skipped = 0;
  let done = 0;
  const failed = [];
  try {
    await pool(
      files,
      PARALLEL,
      async (file) => {
        try {
          await api.json("PUT", "write-file", { key: file.key, restore: file.versionId }, { headers: { "If-None-Match": "*" } });
          restored++;
        } catch (error) {
          if (error.code === "precondition_failed") skipped++;
          else failed.push([file.key, error]);
        }
        job.update(++done);
      },
      job.signal,
    );
    for (const folder of folders) {
      if (job.signal.aborted) break;
      const before = done;
      const total = await api.restoreFolder(folder.key, (t) => job.update(before + t.restored + t.skipped), job.signal);
      restored += total.restored;
      skipped += total.skipped;
      done = before + total.restored + total.skipped;
    }
  } finally {
    job.end();
  }
  let text;
  if (entries.length === 1 && folders.length === 1) text = `Restored folder ${shown(folders[0])} (${count(restored, "file")})`;
  else if (entries.length === 1 && restored === 1) text = `Restored ${shown(entries[0])}`;
  else text = `Restored ${count(restored, "file")}`;
  if (skipped) text += `; ${count(skipped, "file")} left in the trash (written again meanwhile, or a name the service no longer accepts)`;
  if (job.signal.aborted) text = `Stopped: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
  if (failed.length) fail(failures("restore", failed));
  else say(`${text}.`);
  for (const entry of entries) state.selection.delete(entry.key);
  rememberSelection();
  await load({ keep: true });
}

// ------------------------------------------------------------------ rename, move, copy

async function rename(entry) {
  const name = shown(entry);
  const parent = parentOf(entry.key);
  const old = baseName(entry.key);
  const typed = await ask({ title: `Rename ${name}`, label: "New name", value: old, ok: "Rename", check: nameProblem });
  if (typed === null || typed === old) return;
  if (entry.kind === "file") {
    const destination = parent + typed;
    // If-None-Match: * — a rename never replaces another file.
    try {
      await api.json("PUT", "write-file", { key: destination, move_from: entry.key }, { headers: { "If-None-Match": "*" } });
    } catch (error) {
      if (error.code !== "precondition_failed") throw error;
      if (await api.stat(destination)) throw new ApiError(412, error.code, `A file named ${displayName(typed)} already exists in ${folderLabel(parent)}.`);
      throw new ApiError(412, error.code, `${name} changed while it was renamed: its copy ${displayName(typed)} is kept and the original left as it is.`);
    }
    state.selection.delete(entry.key);
    say(`Renamed ${name} to ${displayName(typed)}.`);
    await load({ keep: true });
    return;
  }
  const target = `${parent}${typed}/`;
  if (records.has(target) || (await api.page({ prefix: target, limit: 1 })).files.length) {
    throw new Error(`A folder named ${displayName(typed)} already exists in ${folderLabel(parent)}.`);
  }
  await transferTree("move", [entry], parent, { renameTo: typed });
}

/** Move or copy through the folder picker. */
async function moveOrCopy(operation, entries) {
  if (!entries.length) return;
  const target = await pickFolder(operation, entries);
  if (target === null) return;
  await transferTree(operation, entries, target);
}

/**
 * Moves or copies `entries` into the folder `target` (a folder with all its files),
 * server-side, each write conditional (If-None-Match: *): a name that exists there is
 * asked about (replace, keep both, skip).
 */
async function transferTree(operation, entries, target, { renameTo } = {}) {
  clearMessages();
  const moving = operation === "move";
  const verbing = renameTo ? "Renaming" : moving ? "Moving" : "Copying";
  const verbed = renameTo ? "Renamed" : moving ? "Moved" : "Copied";
  const into = folderLabel(target);
  for (const entry of entries) {
    if (entry.kind === "folder" && target.startsWith(entry.key)) throw new Error(`${shown(entry)} cannot go into itself.`);
  }
  if (moving && !renameTo && entries.every((e) => parentOf(e.key) === target)) throw new Error(`${entries.length === 1 ? shown(entries[0]) : "They"} ${entries.length === 1 ? "is" : "are"} already in ${into}.`);
  const job = startProgress(`${verbing} ${entries.length === 1 ? shown(entries[0]) : count(entries.length, "item")}:`, 0);
  const steps = [];
  const failed = [];
  let done = 0;
  let skipped = 0;
  const resolve = conflictResolver(moving ? "moving" : "copying");
  try {
    for (const entry of entries) {
      if (entry.kind === "file") {
        steps.push({ source: entry.key, destination: target + baseName(entry.key), size: entry.size });
        continue;
      }
      const newPrefix = `${target}${renameTo ?? baseName(entry.key)}/`;
      const files = entry.empty ? [] : await filesUnder(entry.key, job.signal);
      for (const file of files) steps.push({ source: file.key, destination: newPrefix + file.key.slice(entry.key.length), size: file.size });
      records.move(entry.key, newPrefix, { copy: !moving });
      if (!files.length) records.add(newPrefix);
    }
    job.update(0, steps.length);
    const taken = new Set(steps.map((s) => s.destination));
    const parameter = moving ? "move_from" : "copy_from";
    await pool(
      steps,
      4,
      async (step) => {
        let destination = step.destination;
        let headers = { "If-None-Match": "*" };
        for (let attemptNumber = 0; attemptNumber < 5; attemptNumber++) {
          try {
            await api.json("PUT", "write-file", { key: destination, [parameter]: step.source }, { headers });
            break;
          } catch (error) {
            if (error.code !== "precondition_failed") {
              failed.push([step.source, error]);
              break;
            }
            const existing = await api.stat(destination);
            if (!existing) {
              failed.push([step.source, new Error("it changed while it was copied; the copy is kept and the original left as it is")]);
              break;
            }
            const choice = await resolve({ key: destination, existing, incomingSize: step.size });
            if (choice === "skip" || choice === "cancel") {
              skipped++;
              if (choice === "cancel") job.controller.abort();
              break;
            }
            if (choice === "replace") headers = { "If-Match": existing.etag };
            else {
              destination = await freeName(destination, taken);
              headers = { "If-None-Match": "*" };
            }
          }
        }
        job.update(++done);
      },
      job.signal,
    );
  } finally {
    job.end();
  }
  const what = entries.length === 1 ? shown(entries[0]) : count(entries.length, "item");
  let text = renameTo ? `Renamed ${shown(entries[0])} to ${displayName(renameTo)}` : `${verbed} ${what} to ${into}`;
  if (skipped) text += `; skipped ${count(skipped, "existing name")}`;
  if (job.signal.aborted) text = `Stopped: ${text.charAt(0).toLowerCase()}${text.slice(1)} (${done.toLocaleString()} of ${count(steps.length, "file")})`;
  if (failed.length) fail(failures(moving ? "move" : "copy", failed));
  else say(`${text}.`);
  if (moving) for (const entry of entries) state.selection.delete(entry.key);
  rememberSelection();
  await load({ keep: true });
}

// ------------------------------------------------------------------ the folder picker

/** Asks for a destination folder; resolves to its prefix ("" is Home), or null. */
function pickFolder(operation, entries) {
  const dialog = $("picker");
  const moving = operation === "move";
  const what = entries.length === 1 ? shown(entries[0]) : count(entries.length, "item");
  $("picker-title").textContent = `${moving ? "Move" : "Copy"} ${what} to…`;
  const excluded = entries.filter((e) => e.kind === "folder").map((e) => e.key);
  let at = state.prefix;
  let generation = 0;
  const draw = async () => {
    const mine = ++generation;
    const crumbs = $("picker-crumbs");
    crumbs.replaceChildren();
    const parts = at.split("/").filter(Boolean);
    const trail = [["Home", ""], ...parts.map((p, i) => [p, `${parts.slice(0, i + 1).join("/")}/`])];
    trail.forEach(([name, prefix], i) => {
      const last = i === trail.length - 1;
      const content = i === 0 ? [icon("home"), el("span", { text: name })] : [nameNode(name, "crumb-name")];
      crumbs.append(el("li", {}, last ? el("span", { "aria-current": "location", class: "current" }, content) : el("button", { type: "button", class: "crumb", "aria-label": i === 0 ? "Home folder" : `Folder ${displayName(name)}`, onclick: () => enter(prefix) }, content)));
    });
    const blocked = excluded.some((prefix) => at.startsWith(prefix));
    const ok = $("picker-ok");
    ok.textContent = `${moving ? "Move" : "Copy"} to ${folderLabel(at)}`;
    ok.disabled = blocked || (moving && entries.every((e) => parentOf(e.key) === at));
    $("picker-folders").replaceChildren();
    $("picker-empty").hidden = true;
    $("picker-loading").hidden = false;
    try {
      const folders = await api.all({ prefix: at, delimiter: "/" }, "folders");
      if (mine !== generation) return;
      const all = [...new Set([...folders, ...records.childrenOf(at)])].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      $("picker-folders").replaceChildren(
        ...all.map((prefix) => {
          const name = prefix.slice(at.length).replace(/\/$/, "");
          const inside = excluded.includes(prefix);
          return el(
            "li",
            {},
            el("button", { type: "button", class: "picker-folder", "aria-label": `Open folder ${displayName(name)}`, disabled: inside, title: inside ? "This is one of the folders being moved" : undefined, onclick: () => enter(prefix) }, icon("folder"), nameNode(name)),
          );
        }),
      );
      $("picker-empty").hidden = all.length > 0;
    } catch (error) {
      if (mine === generation) {
        $("picker-empty").textContent = error.message;
        $("picker-empty").hidden = false;
      }
    } finally {
      if (mine === generation) $("picker-loading").hidden = true;
    }
  };
  const enter = async (prefix) => {
    at = prefix;
    await draw();
    const first = $("picker-folders").querySelector("button:not([disabled])");
    (first || ($("picker-ok").disabled ? $("picker-cancel") : $("picker-ok"))).focus();
  };
  $("picker-empty").textContent = "No folders here.";
  return modal(dialog, ({ finish, on }) => {
    on($("picker-form"), "submit", (event) => {
      event.preventDefault();
      if (!$("picker-ok").disabled) finish(at);
    });
    on($("picker-cancel"), "click", () => finish(null));
    on($("picker-new"), "click", async () => {
      const name = await ask({ title: "New folder", text: `In ${folderLabel(at)}.`, label: "Folder name", ok: "Create", check: nameProblem });
      if (name === null) return;
      records.add(`${at}${name}/`);
      enter(`${at}${name}/`);
    });
    draw();
    queueMicrotask(() => $("picker-cancel").focus());
  });
}

// ------------------------------------------------------------------ previews

const IMAGE = (type) => type.startsWith("image/") && !type.includes("svg") && !type.endsWith("+xml");
const TEXT = (type) => type.startsWith("text/") || /^application\/(json|xml|javascript|x-yaml|yaml|toml|x-sh|sql)$/.test(type) || type.endsWith("+json") || type.endsWith("+xml");
const TEXT_LIMIT = 1_000_000;

let previewing = null;

/**
 * Shows a file without downloading it. Images, video, audio and PDF load from a
 * presigned link (S3's origin, never the page's; the API serves only these passive
 * types inline there); text is read through the API and shown as text, never as
 * markup. Anything else: its facts and Download.
 */
async function preview(entry) {
  const dialog = $("preview");
  const siblings = state.visible.filter((e) => e.kind === "file");
  previewing = entry;
  const mine = entry;
  $("preview-title").replaceChildren(nameNode(entry.name));
  $("preview-meta").textContent = [formatSize(entry.size), entry.modified ? `modified ${formatFullTime(entry.modified)}` : ""].filter(Boolean).join(" · ");
  const index = siblings.findIndex((e) => e.key === entry.key);
  $("preview-prev").disabled = index <= 0;
  $("preview-next").disabled = index < 0 || index >= siblings.length - 1;
  const body = $("preview-body");
  body.replaceChildren(el("p", { class: "loading" }, el("span", { class: "spinner", "aria-hidden": "true" }), "Loading preview…"));
  body.setAttribute("aria-busy", "true");
  if (!dialog.open) {
    modal(dialog, ({ finish, on }) => {
      on($("preview-close"), "click", () => finish(null));
      on($("preview-download"), "click", () => downloadItems([previewing]));
      on($("preview-share"), "click", () => attempt(() => share(previewing)));
      on($("preview-prev"), "click", () => step(-1));
      on($("preview-next"), "click", () => step(1));
      on(dialog, "keydown", (event) => {
        if (event.target.closest?.("video, audio")) return;
        if (event.key === "ArrowLeft") step(-1);
        else if (event.key === "ArrowRight") step(1);
        else return;
        event.preventDefault();
      });
      queueMicrotask(() => $("preview-close").focus());
    }).then(() => {
      previewing = null;
      $("preview-body").replaceChildren();
    });
  }
  const step = (delta) => {
    const list = state.visible.filter((e) => e.kind === "file");
    const at = list.findIndex((e) => e.key === previewing?.key);
    const next = list[at + delta];
    if (next) attempt(() => preview(next));
  };
  const show = (...nodes) => {
    if (previewing !== mine) return;
    body.replaceChildren(...nodes);
    body.removeAttribute("aria-busy");
  };
  const none = (why) =>
    show(el("div", { class: "no-preview" }, icon(entryIcon(entry)), el("p", { text: why }), button("Download", () => downloadItems([entry]), { className: "primary", iconName: "download", ariaLabel: `Download ${shown(entry)}` })));
  try {
    const link = await api.link(entry.key, { expires: 900, version: entry.versionId });
    if (previewing !== mine) return;
    const type = String(link.content_type || "").split(";")[0].trim().toLowerCase();
    const label = shown(entry);
    if (IMAGE(type)) {
      const img = el("img", { src: link.url, alt: label, class: "preview-image" });
      img.addEventListener("error", () => none("This image could not be shown; download it to open it."), { once: true });
      show(img);
    } else if (type.startsWith("video/")) {
      show(el("video", { src: link.url, controls: true, preload: "metadata", class: "preview-media", "aria-label": label }));
    } else if (type.startsWith("audio/")) {
      show(el("audio", { src: link.url, controls: true, preload: "metadata", class: "preview-audio", "aria-label": label }));
    } else if (type === "application/pdf") {
      show(el("iframe", { src: link.url, title: `PDF: ${label}`, class: "preview-frame", referrerpolicy: "no-referrer" }));
    } else if (TEXT(type)) {
      if ((entry.size ?? 0) > TEXT_LIMIT) {
        none(`This text is ${formatSize(entry.size)}: too long to show here. Download it to read it.`);
        return;
      }
      const response = await api.call("GET", "read-file", { key: entry.key, version: entry.versionId });
      const text = new TextDecoder("utf-8", { fatal: false }).decode(await response.arrayBuffer());
      show(el("pre", { class: "preview-text", tabindex: "0", "aria-label": `Text of ${label}`, text }));
    } else {
      none(`No preview for this kind of file (${type || "no type"}). Download it to open it.`);
    }
  } catch (error) {
    if (previewing === mine) none(error.message);
  }
}

// ------------------------------------------------------------------ share

function share(entry) {
  const dialog = $("share");
  const name = shown(entry);
  $("share-title").textContent = `Share ${name}`;
  $("share-result").hidden = true;
  $("share-url").value = "";
  $("share-create").textContent = "Create and copy link";
  return modal(dialog, ({ finish, on }) => {
    on($("share-close"), "click", () => finish(null));
    on($("share-form"), "submit", async (event) => {
      event.preventDefault();
      const create = $("share-create");
      create.disabled = true;
      create.textContent = "Creating the link…";
      try {
        const seconds = Number($("share-expiry").value);
        const downloadIt = $("share-download").checked;
        const link = await api.link(entry.key, { expires: seconds, download: downloadIt });
        const expires = new Date(link.expires_at);
        const left = (expires.getTime() - Date.now()) / 1000;
        $("share-url").value = link.url;
        $("share-result").hidden = false;
        let copied = false;
        try {
          await navigator.clipboard.writeText(link.url);
          copied = true;
        } catch {
          $("share-url").select();
          copied = document.execCommand?.("copy") === true;
        }
        const until = expires.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
        $("share-expires").textContent = `${copied ? "Copied. " : "Select the link and copy it. "}This link works until ${until} (${lifetime(left)} from now): anyone who has it can ${downloadIt ? "download" : "open"} ${name} until then.`;
        say(`${copied ? "Copied a link" : "Made a link"} to ${name}; it works for ${lifetime(left)}.`);
        create.textContent = "Create another link";
        $("share-url").focus();
        $("share-url").select();
      } catch (error) {
        fail(error);
        create.textContent = "Create and copy link";
      } finally {
        create.disabled = false;
      }
    });
    queueMicrotask(() => $("share-expiry").focus());
  });
}

// ------------------------------------------------------------------ versions

async function showVersions(entry) {
  const key = entry.key;
  const name = displayName(baseName(key));
  const dialog = $("versions-dialog");
  $("versions-title").textContent = `Versions of ${name}`;
  $("versions").replaceChildren();
  const draw = async () => {
    $("versions-loading").hidden = false;
    try {
      const versions = await api.all({ key, versions: 1 }, "versions");
      const items = versions.map((version) => {
        const when = formatFullTime(version.last_modified);
        const label = version.deleted ? `deleted ${when}` : `${when}, ${formatSize(version.size)}`;
        return el(
          "li",
          { class: version.deleted ? "deleted" : "" },
          el("span", { class: "version-text", text: label }),
          version.latest ? el("span", { class: "badge", text: version.deleted ? "in the trash" : "current" }) : null,
          el(
            "span",
            { class: "version-actions" },
            version.deleted ? null : button("Download", () => downloadItems([{ kind: "file", key, name: baseName(key), size: version.size }], { version: version.version_id }), { ariaLabel: `Download the version of ${when}`, iconName: "download" }),
            version.deleted || version.latest
              ? null
              : button(
                  "Restore",
                  () =>
                    attempt(async () => {
                      await api.json("PUT", "write-file", { key, restore: version.version_id });
                      say(`Restored the version of ${when} of ${name}.`);
                      await draw();
                      await load({ keep: true });
                    }),
                  { ariaLabel: `Restore the version of ${when}`, iconName: "restore" },
                ),
          ),
        );
      });
      $("versions").replaceChildren(...items);
    } finally {
      $("versions-loading").hidden = true;
    }
  };
  const closed = modal(dialog, ({ finish, on }) => {
    on($("close-versions"), "click", () => finish(null));
    queueMicrotask(() => $("close-versions").focus());
  });
  await draw();
  return closed;
}

// ------------------------------------------------------------------ new folder

async function newFolder() {
  const name = await ask({ title: "New folder", text: `In ${folderLabel(state.prefix)}.`, label: "Folder name", ok: "Create", check: nameProblem });
  if (name === null) return;
  const prefix = `${state.prefix}${name}/`;
  if (state.entries.some((e) => e.key === prefix) || (await api.page({ prefix, limit: 1 })).files.length) {
    say(`${displayName(name)} already exists here.`);
  } else {
    records.add(prefix);
    say(`Created folder ${displayName(name)}. It stays here, in this browser, until a file lands in it.`);
  }
  await load({ keep: true });
  const row = [...$("rows").children].find((r) => r.dataset.key === prefix);
  row?.querySelector('[data-role="open"]')?.focus();
}

// ------------------------------------------------------------------ the controls

function wireControls() {
  $("show-files").addEventListener("click", () => attempt(() => go({ view: "files", prefix: state.view === "files" ? "" : state.prefix })));
  $("show-trash").addEventListener("click", () => attempt(() => go({ view: "trash", prefix: state.view === "trash" ? "" : state.prefix })));
  $("refresh").addEventListener("click", () =>
    attempt(async () => {
      await load({ keep: true });
      say("Refreshed.");
    }),
  );
  $("upload").addEventListener("click", () => $("file-input").click());
  $("upload-folder").addEventListener("click", () => $("folder-input").click());
  $("file-input").addEventListener("change", () => {
    const files = [...$("file-input").files];
    $("file-input").value = "";
    attempt(() => uploadItems(files.map((file) => ({ file, path: file.name }))));
  });
  $("folder-input").addEventListener("change", () => {
    const files = [...$("folder-input").files];
    $("folder-input").value = "";
    attempt(() => uploadItems(files.map((file) => ({ file, path: file.webkitRelativePath || file.name }))));
  });
  $("new-folder").addEventListener("click", () => attempt(newFolder));

  const zone = $("drop-zone");
  const accepts = (event) => state.view === "files" && event.dataTransfer?.types.includes("Files");
  zone.addEventListener("dragover", (event) => {
    if (!accepts(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("dragging");
    if (state.view !== "files") return;
    event.preventDefault();
    const holding = dropped(event.dataTransfer);
    attempt(async () => {
      const { items, emptyFolders } = await holding;
      await uploadItems(items, { emptyFolders });
    });
  });

  $("select-all").addEventListener("change", () => selectAll($("select-all").checked));
  $("bulk-clear").addEventListener("click", () => {
    clearSelection();
    $("rows").querySelector(".pick-box")?.focus();
  });
  $("bulk-download").addEventListener("click", () => downloadItems(selectedEntries()));
  $("bulk-delete").addEventListener("click", () => attempt(() => deleteItems(selectedEntries())));
  $("bulk-move").addEventListener("click", () => attempt(() => moveOrCopy("move", selectedEntries())));
  $("bulk-copy").addEventListener("click", () => attempt(() => moveOrCopy("copy", selectedEntries())));
  $("bulk-restore").addEventListener("click", () => attempt(() => restoreItems(selectedEntries())));

  for (const column of ["name", "size", "modified"]) {
    $(`sort-${column}`).addEventListener("click", () => {
      state.sort = state.sort.by === column ? { by: column, dir: -state.sort.dir } : { by: column, dir: column === "name" ? 1 : -1 };
      localStorage.setItem("homedir.sort", JSON.stringify(state.sort));
      drawSortHeaders();
      render();
    });
  }

  let typing = null;
  $("filter").addEventListener("input", () => {
    state.filter = $("filter").value.trim();
    clearTimeout(typing);
    if (state.deep) typing = setTimeout(startSearch, 350);
    else render();
  });
  $("filter").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && $("filter").value) {
      event.preventDefault();
      $("filter").value = "";
      state.filter = "";
      stopSearch();
      render();
    }
  });
  $("deep").addEventListener("change", () => {
    state.deep = $("deep").checked;
    if (state.deep && state.filter) startSearch();
    else {
      stopSearch();
      render();
    }
  });
  $("search-stop").addEventListener("click", () => {
    if (!state.search) return;
    state.search.stopped = true;
    state.search.controller.abort();
    $("filter").focus();
  });
  $("load-more").addEventListener("click", () => attempt(() => loadMore()));
  $("load-all").addEventListener("click", () => attempt(() => loadMore({ everything: true })));

  $("listing").addEventListener("keydown", (event) => {
    if (event.target.closest("input[type=search]")) return;
    if (event.key === "Escape" && state.selection.size) {
      event.preventDefault();
      clearSelection();
    } else if ((event.key === "a" || event.key === "A") && (event.ctrlKey || event.metaKey) && !event.target.closest("input[type=text]")) {
      event.preventDefault();
      selectAll(true);
    } else if (event.key === "Delete" && state.selection.size && state.view === "files") {
      event.preventDefault();
      attempt(() => deleteItems(selectedEntries()));
    }
  });

  window.addEventListener("popstate", () => {
    if ($("files-view").hidden) return;
    attempt(() => go(readPlace(location.hash), { push: false }));
  });
}
