// Drawing: the chrome around the listing (the space switch, places, title, breadcrumbs,
// sort headers),
// the rows (sorted, filtered, or a search's results), each row's quick actions and
// its actions menu, the empty and loading states and the listing's caption.

import {
  $, attempt, button, closeMenu, count, displayName, el, formatFullTime, formatSize, formatTime, icon, menuIsOpenFor, nameNode, openMenu,
} from "../ui.js";
import { downloadItems } from "./downloads.js";
import { openFolder } from "./listing.js";
import { moveOrCopy, rename } from "./moves.js";
import { preview } from "./preview.js";
import { matches } from "./search.js";
import { drawSelection, toggle } from "./selection.js";
import { share } from "./share.js";
import { folderLabel, here, shown, spaces, state } from "./state.js";
import { deleteItems, restoreItems } from "./trash.js";
import { showVersions } from "./versions.js";

export function drawChrome() {
  const files = state.view === "files";
  const space = here();
  const team = space.id === "team";
  drawSpaces();
  $("show-files").setAttribute("aria-pressed", String(files));
  $("show-trash").setAttribute("aria-pressed", String(!files));
  $("files-title").textContent = team ? `${space.label}: ${files ? "files" : "trash"}` : files ? "Files" : "Trash";
  $("folder-actions").hidden = !files || state.selection.size > 0;
  $("when-label").textContent = files ? "Modified" : "Deleted";
  $("files-view").classList.toggle("in-trash", !files);
  $("files-view").classList.toggle("in-team", team);
  // "b c · homedir", "Trash · b c · homedir"; in the team's space "q3 · Team acme · homedir".
  const title = files ? [folderLabel(state.prefix)] : ["Trash", ...(state.prefix ? [folderLabel(state.prefix)] : [])];
  if (team && (state.prefix || !files)) title.push(space.label);
  document.title = `${title.join(" · ")} · homedir`;
  drawBreadcrumbs();
  drawSortHeaders();
}

/** The switch between My files and the team's space: shown to a team's members only. */
function drawSpaces() {
  const team = spaces.team;
  $("spaces").hidden = !team;
  $("space-home").setAttribute("aria-pressed", String(state.space === "home"));
  $("space-team").setAttribute("aria-pressed", String(state.space === "team"));
  $("space-team-label").textContent = team ? team.title : "Team";
  $("space-team").title = team ? team.title : "";
}

function drawBreadcrumbs() {
  const list = $("breadcrumbs");
  list.replaceChildren();
  const space = here();
  const team = space.id === "team";
  const files = state.view === "files";
  const parts = state.prefix.split("/").filter(Boolean);
  // The root names the space: "Home" or "Team acme"; in the trash "Trash" or "Team acme trash".
  const root = files ? space.label : team ? `${space.label} trash` : "Trash";
  const crumbs = [[root, ""]];
  parts.forEach((part, i) => crumbs.push([part, `${parts.slice(0, i + 1).join("/")}/`]));
  crumbs.forEach(([name, prefix], i) => {
    const last = i === crumbs.length - 1;
    const top = files ? `${space.label} folder` : team ? `Top of the trash of ${space.label}` : "Top of the trash";
    const label = i === 0 ? top : `Folder ${displayName(name)}`;
    const content = i === 0 ? [icon(files ? (team ? "team" : "home") : "trash"), el("span", { text: name })] : [nameNode(name, "crumb-name")];
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

export function drawSortHeaders() {
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

export function entryIcon(entry) {
  if (entry.kind === "folder") return "folder";
  const name = entry.name.toLowerCase();
  if (/\.(png|jpe?g|gif|webp|avif|bmp|heic|tiff?)$/.test(name)) return "image";
  if (/\.(mp4|webm|mov|mkv|m4v|ogv)$/.test(name)) return "video";
  if (/\.(mp3|m4a|wav|ogg|oga|flac|aac|opus)$/.test(name)) return "audio";
  if (name.endsWith(".pdf")) return "pdf";
  if (/\.(txt|md|csv|json|log|ya?ml|xml|html?|js|ts|rs|py|sh|toml|ini|cfg)$/.test(name)) return "text";
  return "file";
}

export function render() {
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
  // For a team's member, a copy straight to the other space: its folder picker opens there.
  const other = spaces.team ? (state.space === "team" ? spaces.home : spaces.team) : null;
  const across = other ? [{ label: `Copy to ${other.title}…`, icon: other.id === "team" ? "team" : "home", action: run(() => moveOrCopy("copy", [entry], { to: other.id })) }] : [];
  if (entry.kind === "folder") {
    return [
      { label: "Open", icon: "folder", action: () => openFolder(entry.key) },
      { label: "Rename…", icon: "rename", action: run(() => rename(entry)) },
      { label: "Move to…", icon: "move", action: run(() => moveOrCopy("move", [entry])) },
      { label: "Copy to…", icon: "copy", action: run(() => moveOrCopy("copy", [entry])) },
      ...across,
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
    ...across,
    { label: "Versions…", icon: "versions", action: run(() => showVersions(entry)) },
    null,
    { label: "Delete", icon: "trash", danger: true, action: run(() => deleteItems([entry])) },
  ];
}
