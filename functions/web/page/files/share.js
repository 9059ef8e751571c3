// Share: a presigned link with the lifetime asked for, copied to the clipboard, saying
// how long it really lives (S3 signs no longer than the credentials that sign it).

import { $, fail, lifetime, modal, say } from "../ui.js";
import { here, shown } from "./state.js";

export function share(entry) {
  const { api } = here();
  const dialog = $("share");
  const name = shown(entry);
  $("share-title").textContent = `Share ${name}`;
  $("share-result").hidden = true;
  $("share-url").value = "";
  $("share-create").textContent = "Create and copy link";
  return modal(dialog, ({ finish, on }) => {
    on($("share-close"), "click", () => finish(null));
    on($("share-form"), "submit", async (event) => {
      event.preventDefault();
      const create = $("share-create");
      create.disabled = true;
      create.textContent = "Creating the link…";
      try {
        const seconds = Number($("share-expiry").value);
        const downloadIt = $("share-download").checked;
        const link = await api.link(entry.key, { expires: seconds, download: downloadIt });
        const expires = new Date(link.expires_at);
        const left = (expires.getTime() - Date.now()) / 1000;
        $("share-url").value = link.url;
        $("share-result").hidden = false;
        let copied = false;
        try {
          await navigator.clipboard.writeText(link.url);
          copied = true;
        } catch {
          $("share-url").select();
          copied = document.execCommand?.("copy") === true;
        }
        const until = expires.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
        $("share-expires").textContent = `${copied ? "Copied. " : "Select the link and copy it. "}This link works until ${until} (${lifetime(left)} from now): anyone who has it can ${downloadIt ? "download" : "open"} ${name} until then.`;
        say(`${copied ? "Copied a link" : "Made a link"} to ${name}; it works for ${lifetime(left)}.`);
        create.textContent = "Create another link";
        $("share-url").focus();
        $("share-url").select();
      } catch (error) {
        fail(error);
        create.textContent = "Create and copy link";
      } finally {
        create.disabled = false;
      }
    });
    queueMicrotask(() => $("share-expiry").focus());
  });
}
