// Search through subfolders: with "Search subfolders" ticked, the filter lists the whole
// tree under the folder (GET /list with no delimiter) page after page, keeping what
// matches as it comes, with "Searching subfolders…" and Stop. In the trash it searches
// what the trash listing already holds.

import { $, count, fail } from "../ui.js";
import { fileEntry } from "./listing.js";
import { render } from "./render.js";
import { baseName, folderLabel, here, pageSize, parentOf, state } from "./state.js";

export function matches(name) {
  return name.toLocaleLowerCase().includes(state.filter.toLocaleLowerCase());
}

export function stopSearch() {
  if (state.search) {
    state.search.controller.abort();
    state.search = null;
  }
  $("search-status").hidden = true;
}

/** Lists the subtree under the folder page by page, keeping what matches; stoppable. */
export function startSearch() {
  stopSearch();
  if (!state.filter) {
    render();
    return;
  }
  const { api, records } = here();
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
