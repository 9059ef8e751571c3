// The file manager: a folder's listing (paged), sorted and filtered, with a search
// through subfolders; checkboxes, shift-click ranges and select all, with bulk
// download, move, copy, delete and restore behind one progress view; move and copy
// anywhere through a folder picker; folders made here that stay until a file lands;
// uploads of files and whole folders (picker and drop) that ask before replacing
// anything; delete at once with an Undo; previews, links to share, versions; the
// trash, browsable by folder, with file and folder restore; for a team's member, the
// same in the team's space, with a switch between the two. Where you are (space, view,
// folder, selection) lives in the URL's fragment (place.js).
//
// This module starts and stops the file manager and wires the page's controls; the
// work is in files/, one module per responsibility (docs/web.md, "No build step"):
// state (what they share), spaces (My files and the team's), listing (places,
// loading), render (rows, chrome), selection, search, uploads, downloads, trash (delete, Undo, restore), moves (rename,
// move, copy, new folder), conflicts (the overwrite question), picker (the folder
// picker), preview, share, versions and usage (the usage bar).

import { readPlace } from "./place.js";
import { Transfers } from "./transfer.js";
import { $, attempt, background, closeMenu, say } from "./ui.js";
import { downloadItems } from "./files/downloads.js";
import { go, load, loadMore } from "./files/listing.js";
import { moveOrCopy, newFolder } from "./files/moves.js";
import { drawSortHeaders, render } from "./files/render.js";
import { startSearch, stopSearch } from "./files/search.js";
import { clearSelection, selectAll, selectedEntries } from "./files/selection.js";
import { learnTeam, lostTeam, startSpaces, switchSpace } from "./files/spaces.js";
import { provide, state, transfers } from "./files/state.js";
import { deleteItems, restoreItems } from "./files/trash.js";
import { dropped, uploadItems } from "./files/uploads.js";
import { hideUsage } from "./files/usage.js";

// ------------------------------------------------------------------ starting and stopping

export function initFiles(dependencies) {
  provide({ ...dependencies, transfers: new Transfers() });
  // A team changed by an operator reaches the user with their next token; one removed
  // shows as the API's no_team.
  dependencies.auth.onRenewed = () => background(learnTeam);
  dependencies.api.onNoTeam = () => background(lostTeam);
  wireControls();
}

/** Shows the files of the signed-in user at the place the URL names. */
export async function showFiles() {
  startSpaces();
  const place = readPlace(location.hash);
  const saved = JSON.parse(localStorage.getItem("homedir.sort") || "null");
  if (saved && ["name", "size", "modified"].includes(saved.by)) state.sort = { by: saved.by, dir: saved.dir === -1 ? -1 : 1 };
  // Which team (if any): before a team place is shown, beside the listing otherwise.
  const learning = learnTeam();
  if (place.space === "team") await learning;
  await go(place, { push: false, force: true });
  await learning;
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
  hideUsage();
  $("rows").replaceChildren();
  $("transfers").hidden = true;
  if (forgetPlace) history.replaceState(null, "", `${location.pathname}${location.search}`);
}

// ------------------------------------------------------------------ the controls

function wireControls() {
  $("show-files").addEventListener("click", () => attempt(() => go({ space: state.space, view: "files", prefix: state.view === "files" ? "" : state.prefix })));
  $("show-trash").addEventListener("click", () => attempt(() => go({ space: state.space, view: "trash", prefix: state.view === "trash" ? "" : state.prefix })));
  $("space-home").addEventListener("click", () => attempt(() => switchSpace("home")));
  $("space-team").addEventListener("click", () => attempt(() => switchSpace("team")));
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

