// Uploads into the current folder: files (picker), whole folders (directory picker and
// drop, paths kept, empty folders recorded). Names that exist are asked about before
// anything is sent; every write is conditional, so a name taken while the upload
// travelled is asked about again, never replaced silently. The transfers themselves
// (single PUT or multipart, the panel) are transfer.js.

import { uploadJob } from "../transfer.js";
import { background, clearMessages, count, displayName, fail, keyProblem, say } from "../ui.js";
import { conflictResolver, findExisting, freeName } from "./conflicts.js";
import { load } from "./listing.js";
import { config, here, state, transfers } from "./state.js";
import { usageChanged } from "./usage.js";

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
export async function uploadItems(items, { emptyFolders = [] } = {}) {
  const space = here();
  const { api, records } = space;
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
  const existing = await findExisting(api, planned.map((p) => p.key));
  const resolve = conflictResolver("uploading", space);
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
    else queue.push({ ...item, key: await freeName(api, item.key, taken), headers: { "If-None-Match": "*" } });
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
            key = await freeName(api, key, taken);
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
        if (finished.state === "done" && state.space === space.id && state.view === "files" && finished.key.startsWith(state.prefix)) refreshSoon();
      },
    });
  });
  const finished = await Promise.all(ended);
  const done = finished.filter((f) => f.state === "done").length;
  skipped += finished.filter((f) => f.state === "skipped").length;
  const failed = finished.filter((f) => f.state === "failed");
  const cancelled = finished.filter((f) => f.state === "cancelled").length;
  const full = failed.find((f) => f.code === "quota_exceeded");
  if (full) {
    // No room: the space's numbers in words, not "see Transfers" (a retry cannot help).
    const names = failed.filter((f) => f.code === "quota_exceeded").map((f) => displayName(f.name));
    fail(new Error(`Could not upload ${names.slice(0, 3).join(", ")}${names.length > 3 ? ` and ${names.length - 3} more` : ""}. ${full.error}`));
  } else if (failed.length) {
    fail(new Error(`Could not upload ${failed.slice(0, 3).map((f) => displayName(f.name)).join(", ")}${failed.length > 3 ? ` and ${failed.length - 3} more` : ""}: see Transfers to retry.${notSent ? ` Also ${notSent}.` : ""}`));
  } else if (notSent) {
    fail(new Error(`Uploaded ${count(done, "file")}; ${notSent}.`));
  } else {
    let text = `Uploaded ${count(done, "file")}`;
    if (skipped) text += `; skipped ${count(skipped, "existing name")}`;
    if (cancelled) text += `; ${cancelled} cancelled`;
    say(`${text}.`);
  }
  if (state.space === space.id && state.view === "files" && state.prefix === prefix) await background(() => load({ keep: true }));
  else usageChanged();
}

/** The files (and empty folders) a drop holds, walking dropped folders. */
export function dropped(dataTransfer) {
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
