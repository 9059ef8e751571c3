// Previews: images, video, audio and PDF from a presigned link (the bucket's origin,
// never the page's; the API serves only passive types inline there), text read through
// the API and shown as text, never as markup; anything else, its facts and Download.
// Arrow keys step through the folder's files.

import { $, attempt, button, el, formatFullTime, formatSize, icon, modal, nameNode } from "../ui.js";
import { downloadItems } from "./downloads.js";
import { entryIcon } from "./render.js";
import { share } from "./share.js";
import { here, shown, state } from "./state.js";

const IMAGE = (type) => type.startsWith("image/") && !type.includes("svg") && !type.endsWith("+xml");
const TEXT = (type) => type.startsWith("text/") || /^application\/(json|xml|javascript|x-yaml|yaml|toml|x-sh|sql)$/.test(type) || type.endsWith("+json") || type.endsWith("+xml");
const TEXT_LIMIT = 1_000_000;

let previewing = null;

/**
 * Shows a file without downloading it. Images, video, audio and PDF load from a
 * presigned link (S3's origin, never the page's; the API serves only these passive
 * types inline there); text is read through the API and shown as text, never as
 * markup. Anything else: its facts and Download.
 */
export async function preview(entry) {
  const { api } = here();
  const dialog = $("preview");
  const siblings = state.visible.filter((e) => e.kind === "file");
  previewing = entry;
  const mine = entry;
  $("preview-title").replaceChildren(nameNode(entry.name));
  $("preview-meta").textContent = [formatSize(entry.size), entry.modified ? `modified ${formatFullTime(entry.modified)}` : ""].filter(Boolean).join(" · ");
  const index = siblings.findIndex((e) => e.key === entry.key);
  $("preview-prev").disabled = index <= 0;
  $("preview-next").disabled = index < 0 || index >= siblings.length - 1;
  const body = $("preview-body");
  body.replaceChildren(el("p", { class: "loading" }, el("span", { class: "spinner", "aria-hidden": "true" }), "Loading preview…"));
  body.setAttribute("aria-busy", "true");
  if (!dialog.open) {
    modal(dialog, ({ finish, on }) => {
      on($("preview-close"), "click", () => finish(null));
      on($("preview-download"), "click", () => downloadItems([previewing]));
      on($("preview-share"), "click", () => attempt(() => share(previewing)));
      on($("preview-prev"), "click", () => step(-1));
      on($("preview-next"), "click", () => step(1));
      on(dialog, "keydown", (event) => {
        if (event.target.closest?.("video, audio")) return;
        if (event.key === "ArrowLeft") step(-1);
        else if (event.key === "ArrowRight") step(1);
        else return;
        event.preventDefault();
      });
      queueMicrotask(() => $("preview-close").focus());
    }).then(() => {
      previewing = null;
      $("preview-body").replaceChildren();
    });
  }
  const step = (delta) => {
    const list = state.visible.filter((e) => e.kind === "file");
    const at = list.findIndex((e) => e.key === previewing?.key);
    const next = list[at + delta];
    if (next) attempt(() => preview(next));
  };
  const show = (...nodes) => {
    if (previewing !== mine) return;
    body.replaceChildren(...nodes);
    body.removeAttribute("aria-busy");
  };
  const none = (why) =>
    show(el("div", { class: "no-preview" }, icon(entryIcon(entry)), el("p", { text: why }), button("Download", () => downloadItems([entry]), { className: "primary", iconName: "download", ariaLabel: `Download ${shown(entry)}` })));
  try {
    const link = await api.link(entry.key, { expires: 900, version: entry.versionId });
    if (previewing !== mine) return;
    const type = String(link.content_type || "").split(";")[0].trim().toLowerCase();
    const label = shown(entry);
    if (IMAGE(type)) {
      const img = el("img", { src: link.url, alt: label, class: "preview-image" });
      img.addEventListener("error", () => none("This image could not be shown; download it to open it."), { once: true });
      show(img);
    } else if (type.startsWith("video/")) {
      show(el("video", { src: link.url, controls: true, preload: "metadata", class: "preview-media", "aria-label": label }));
    } else if (type.startsWith("audio/")) {
      show(el("audio", { src: link.url, controls: true, preload: "metadata", class: "preview-audio", "aria-label": label }));
    } else if (type === "application/pdf") {
      show(el("iframe", { src: link.url, title: `PDF: ${label}`, class: "preview-frame", referrerpolicy: "no-referrer" }));
    } else if (TEXT(type)) {
      if ((entry.size ?? 0) > TEXT_LIMIT) {
        none(`This text is ${formatSize(entry.size)}: too long to show here. Download it to read it.`);
        return;
      }
      const response = await api.call("GET", "read-file", { key: entry.key, version: entry.versionId });
      const text = new TextDecoder("utf-8", { fatal: false }).decode(await response.arrayBuffer());
      show(el("pre", { class: "preview-text", tabindex: "0", "aria-label": `Text of ${label}`, text }));
    } else {
      none(`No preview for this kind of file (${type || "no type"}). Download it to open it.`);
    }
  } catch (error) {
    if (previewing === mine) none(error.message);
  }
}
