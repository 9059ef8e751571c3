// Delete and restore: delete acts at once and its message offers Undo, which restores
// exactly what it deleted (files by the delete marker they got, a folder's files by the
// versions the trash names, and its empty folders); restore from the trash, files one
// by one and folders with the API's folder restore, behind the one progress view.

import { pool } from "../api.js";
import { clearMessages, count, displayName, fail, say, startProgress } from "../ui.js";
import { filesUnder, load } from "./listing.js";
import { rememberSelection } from "./selection.js";
import { failures, here, PARALLEL, shown, state } from "./state.js";

/** Deletes at once; the message offers Undo, which restores exactly what this deleted. */
export async function deleteItems(entries) {
  if (!entries.length) return;
  const space = here();
  const { api, records } = space;
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
      contents.set(folder.key, folder.empty ? [] : await filesUnder(api, folder.key, job.signal));
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
  const undo = deletedFiles.length || deletedFolders.length ? () => undoDelete(space, deletedFiles, deletedFolders) : undefined;
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

/** Undo of a delete in `space` (the one it was done in, whatever is on screen now). */
async function undoDelete({ api, records }, deletedFiles, deletedFolders) {
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

export async function restoreItems(entries) {
  if (!entries.length) return;
  const { api } = here();
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
