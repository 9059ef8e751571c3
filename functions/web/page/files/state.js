// What the file manager's modules share: the one state of the view (where it is, what
// it lists, what is selected, how it is sorted and filtered), the page's API, settings
// and account, the folder records and the transfer panel (set once by files.js), the
// listing's page size, and the small helpers every module uses for keys and names.

import { displayName } from "../ui.js";

export const PARALLEL = 6;

export let api;
export let config;
export let auth;
export let records;
export let transfers;

/** files.js hands over the page's parts: `api`, `config`, `auth`, `records`, `transfers`. */
export function provide(parts) {
  ({ api, config, auth, records, transfers } = { api, config, auth, records, transfers, ...parts });
}

export const state = {
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
export function pageSize() {
  const wanted = Number(localStorage.getItem("homedir.pageSize"));
  return Number.isInteger(wanted) && wanted >= 1 && wanted <= 1000 ? wanted : 1000;
}

export const baseName = (key) => key.replace(/\/$/, "").split("/").pop();
export const parentOf = (key) => {
  const trimmed = key.replace(/\/$/, "");
  const cut = trimmed.lastIndexOf("/");
  return cut < 0 ? "" : trimmed.slice(0, cut + 1);
};
export const folderLabel = (prefix) => (prefix ? displayName(prefix.replace(/\/$/, "")) : "Home");
export const shown = (entry) => displayName(entry.name);

export function failures(verb, failed) {
  if (!failed.length) return null;
  const names = failed.slice(0, 3).map(([key, error]) => `${displayName(baseName(key))} (${error.message.replace(/\.$/, "")})`);
  const more = failed.length > 3 ? ` and ${failed.length - 3} more` : "";
  return new Error(`Could not ${verb} ${names.join(", ")}${more}.`);
}
