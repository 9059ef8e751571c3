// Changing where things are: rename (a new name in the same folder, never a path), move
// and copy through the folder picker (server-side copy_from / move_from, each write
// conditional, a folder being all the files under it), and New folder (a folder record
// until a file lands in it, folders.js).

import { ApiError, pool } from "../api.js";
import { $, ask, clearMessages, count, displayName, fail, nameProblem, say, startProgress } from "../ui.js";
import { conflictResolver, freeName } from "./conflicts.js";
import { filesUnder, load } from "./listing.js";
import { pickFolder } from "./picker.js";
import { rememberSelection } from "./selection.js";
import { api, baseName, failures, folderLabel, parentOf, records, shown, state } from "./state.js";

export async function rename(entry) {
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
export async function moveOrCopy(operation, entries) {
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

export async function newFolder() {
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
