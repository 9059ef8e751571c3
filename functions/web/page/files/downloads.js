// Downloads: each file is a transfer of the panel (transfer.js: small files through the
// API with their progress, large ones handed to the browser through a presigned link);
// folders are not downloaded.

import { download } from "../transfer.js";
import { count, say } from "../ui.js";
import { config, here, transfers } from "./state.js";

export function downloadItems(entries, { version } = {}) {
  const { api } = here();
  const files = entries.filter((e) => e.kind === "file");
  const folders = entries.length - files.length;
  for (const entry of files) {
    transfers.add({
      kind: "download",
      name: entry.path ? entry.path + entry.name : entry.name,
      key: entry.key,
      size: entry.size,
      run: ({ signal, progress }) => download(api, entry.key, { size: entry.size, version, maxFileBytes: config.maxFileBytes, signal, onProgress: progress }),
    });
  }
  if (files.length > 1 || folders) {
    say(`Downloading ${count(files.length, "file")}${folders ? `; folders are not downloaded (open one and select its files)` : ""}.`);
  }
}
