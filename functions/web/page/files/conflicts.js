// A name that exists already: the overwrite question (replace, keep both, skip, with
// "do the same for the others"), the next free name for "keep both" ("name (1).ext"),
// and which names of a batch exist (one small listing per name, or the folder's
// listing when there are many).

import { pool } from "../api.js";
import { askConflict, displayName, formatFullTime, formatSize } from "../ui.js";
import { baseName, folderLabel, here, parentOf } from "./state.js";

/**
 * Asks what to do about names that exist in `space` (where the files go), one question
 * at a time, remembering "do the same for the others". `others` is how many conflicts
 * are still to come (null: unknown).
 */
export function conflictResolver(verb, space = here()) {
  let always = null;
  let chain = Promise.resolve();
  return ({ key, existing, incomingSize, others = null }) => {
    const ask = async () => {
      if (always) return always;
      const name = displayName(baseName(key));
      const where = folderLabel(parentOf(key), space);
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

/** "name (1).ext", "name (2).ext"… the first that neither exists (in the space of `api`) nor is `taken`. */
export async function freeName(api, key, taken = new Set()) {
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
export async function findExisting(api, keys, signal) {
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
