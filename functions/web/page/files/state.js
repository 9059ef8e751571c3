// What the file manager's modules share: the one state of the view (which space, where
// in it, what it lists, what is selected, how it is sorted and filtered), the page's
// API, settings, account and transfer panel (set once by files.js), the spaces (each
// with its API and folder records), the listing's page size, and the small helpers
// every module uses for keys and names.

import { FolderRecords } from "../folders.js";
import { displayName } from "../ui.js";

export const PARALLEL = 6;

export let api;
export let config;
export let auth;
export let transfers;

/** files.js hands over the page's parts: `api`, `config`, `auth`, `transfers`. */
export function provide(parts) {
  ({ api, config, auth, transfers } = { api, config, auth, transfers, ...parts });
}

/**
 * The spaces of the signed-in user: `home`, and `team` while their token names a team
 * (files/spaces.js keeps it up to date). Each is {id, team, api, records, label,
 * title}: `api` names the space in every request, `records` are its folders that stay
 * until a file lands, `label` is its root in breadcrumbs and messages ("Home", "Team
 * acme") and `title` its name on the switch ("My files", "Team acme").
 */
export const spaces = { home: null, team: null };

export function makeSpace(id, team = null) {
  const label = id === "team" ? `Team ${team}` : "Home";
  return { id, team, api: api.in(id), records: new FolderRecords(auth.userId, team), label, title: id === "team" ? label : "My files" };
}

/**
 * The space on screen. Every action takes it once, when it starts, and works there to
 * its end (an upload, a bulk delete and its Undo included), whatever is on screen by then.
 */
export function here() {
  return spaces[state.space] || spaces.home;
}

export const state = {
  space: "home", // "home" or "team"
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
/** A folder's name, or the space's root ("Home", "Team acme"). */
export const folderLabel = (prefix, space = here()) => (prefix ? displayName(prefix.replace(/\/$/, "")) : space.label);
/** A folder of `space` as seen from `from`: its name alone in the same space, "q3 in Team acme" in another. */
export const folderIn = (prefix, space, from) => {
  if (space.id === from.id) return folderLabel(prefix, space);
  return prefix ? `${folderLabel(prefix, space)} in ${space.title}` : space.title;
};
export const shown = (entry) => displayName(entry.name);

export function failures(verb, failed) {
  if (!failed.length) return null;
  const names = failed.slice(0, 3).map(([key, error]) => `${displayName(baseName(key))} (${error.message.replace(/\.$/, "")})`);
  const more = failed.length > 3 ? ` and ${failed.length - 3} more` : "";
  return new Error(`Could not ${verb} ${names.join(", ")}${more}.`);
}
