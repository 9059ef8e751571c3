// Changing where things are: rename (a new name in the same folder, never a path), move
// and copy through the folder picker (server-side copy_from / move_from, each write
// conditional, a folder being all the files under it), within a space or between one's
// home and the team's space (from_space on the destination's request), and New folder
// (a folder record until a file lands in it, folders.js).

import { ApiError, pool } from "../api.js";
import { $, ask, clearMessages, count, displayName, fail, nameProblem, say, startProgress } from "../ui.js";
import { conflictResolver, freeName } from "./conflicts.js";
import { filesUnder, load } from "./listing.js";
import { pickFolder } from "./picker.js";
import { rememberSelection } from "./selection.js";
import { baseName, failures, folderIn, folderLabel, here, parentOf, shown, spaces, state } from "./state.js";

export async function rename(entry) {
  const space = here();
  const { api, records } = space;
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
  await transferTree("move", [entry], { space, prefix: parent }, { renameTo: typed, from: space });
}

/**
 * Move or copy through the folder picker, which opens where the entries are, or at the
 * root of the space `to` ("home" or "team": Copy to My files…, Copy to Team acme…).
 */
export async function moveOrCopy(operation, entries, { to } = {}) {
  if (!entries.length) return;
  const from = here();
  const target = await pickFolder(operation, entries, { from, start: to && spaces[to] ? { space: spaces[to], prefix: "" } : null });
  if (target === null) return;
  await transferTree(operation, entries, target, { from });
}

/**
 * Moves or copies `entries` of the space `from` into the folder `target` ({space,
 * prefix}: a folder of the same space or of the other one), a folder with all its
 * files, server-side, each write conditional (If-None-Match: *): a name that exists
 * there is asked about (replace, keep both, skip).
 */
async function transferTree(operation, entries, { space: to, prefix: target }, { renameTo, from }) {
  clearMessages();
  const across = to.id !== from.id;
  const moving = operation === "move";
  const verbing = renameTo ? "Renaming" : moving ? "Moving" : "Copying";
  const verbed = renameTo ? "Renamed" : moving ? "Moved" : "Copied";
  const into = folderIn(target, to, from);
  for (const entry of entries) {
    if (!across && entry.kind === "folder" && target.startsWith(entry.key)) throw new Error(`${shown(entry)} cannot go into itself.`);
  }
  if (!across && moving && !renameTo && entries.every((e) => parentOf(e.key) === target)) throw new Error(`${entries.length === 1 ? shown(entries[0]) : "They"} ${entries.length === 1 ? "is" : "are"} already in ${into}.`);
  const job = startProgress(`${verbing} ${entries.length === 1 ? shown(entries[0]) : count(entries.length, "item")}:`, 0);
  const steps = [];
  const failed = [];
  let done = 0;
  let skipped = 0;
  const resolve = conflictResolver(moving ? "moving" : "copying", to);
  try {
    for (const entry of entries) {
      if (entry.kind === "file") {
        steps.push({ source: entry.key, destination: target + baseName(entry.key), size: entry.size });
        continue;
      }
      const newPrefix = `${target}${renameTo ?? baseName(entry.key)}/`;
      const files = entry.empty ? [] : await filesUnder(from.api, entry.key, job.signal);
      for (const file of files) steps.push({ source: file.key, destination: newPrefix + file.key.slice(entry.key.length), size: file.size });
      from.records.move(entry.key, newPrefix, { copy: !moving, into: to.records });
      if (!files.length) to.records.add(newPrefix);
    }
    job.update(0, steps.length);
    const taken = new Set(steps.map((s) => s.destination));
    const parameter = moving ? "move_from" : "copy_from";
    // Across spaces, the destination's request names where the source is.
    const fromSpace = across ? from.id : undefined;
    await pool(
      steps,
      4,
      async (step) => {
        let destination = step.destination;
        let headers = { "If-None-Match": "*" };
        for (let attemptNumber = 0; attemptNumber < 5; attemptNumber++) {
          try {
            await to.api.json("PUT", "write-file", { key: destination, [parameter]: step.source, from_space: fromSpace }, { headers });
            break;
          } catch (error) {
            if (error.code !== "precondition_failed") {
              failed.push([step.source, error]);
              break;
            }
            const existing = await to.api.stat(destination);
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
              destination = await freeName(to.api, destination, taken);
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
  const { api, records } = here();
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
