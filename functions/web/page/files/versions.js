// A file's versions: each with its time and size (or "deleted"), Download, and Restore
// for an older one (it becomes the current version; the current one stays a version).

import { $, attempt, button, displayName, el, formatFullTime, formatSize, modal, say } from "../ui.js";
import { downloadItems } from "./downloads.js";
import { load } from "./listing.js";
import { baseName, here } from "./state.js";

export async function showVersions(entry) {
  const { api } = here();
  const key = entry.key;
  const name = displayName(baseName(key));
  const dialog = $("versions-dialog");
  $("versions-title").textContent = `Versions of ${name}`;
  $("versions").replaceChildren();
  const draw = async () => {
    $("versions-loading").hidden = false;
    try {
      const versions = await api.all({ key, versions: 1 }, "versions");
      const items = versions.map((version) => {
        const when = formatFullTime(version.last_modified);
        const label = version.deleted ? `deleted ${when}` : `${when}, ${formatSize(version.size)}`;
        return el(
          "li",
          { class: version.deleted ? "deleted" : "" },
          el("span", { class: "version-text", text: label }),
          version.latest ? el("span", { class: "badge", text: version.deleted ? "in the trash" : "current" }) : null,
          el(
            "span",
            { class: "version-actions" },
            version.deleted ? null : button("Download", () => downloadItems([{ kind: "file", key, name: baseName(key), size: version.size }], { version: version.version_id }), { ariaLabel: `Download the version of ${when}`, iconName: "download" }),
            version.deleted || version.latest
              ? null
              : button(
                  "Restore",
                  () =>
                    attempt(async () => {
                      await api.json("PUT", "write-file", { key, restore: version.version_id });
                      say(`Restored the version of ${when} of ${name}.`);
                      await draw();
                      await load({ keep: true });
                    }),
                  { ariaLabel: `Restore the version of ${when}`, iconName: "restore" },
                ),
          ),
        );
      });
      $("versions").replaceChildren(...items);
    } finally {
      $("versions-loading").hidden = true;
    }
  };
  const closed = modal(dialog, ({ finish, on }) => {
    on($("close-versions"), "click", () => finish(null));
    queueMicrotask(() => $("close-versions").focus());
  });
  await draw();
  return closed;
}
