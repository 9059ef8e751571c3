// The folder picker of Move to… and Copy to…: its own breadcrumbs from Home, the folders
// where it stands (and the recorded empty ones), New folder…, and the destination
// button; a folder being moved cannot be entered.

import { $, ask, count, displayName, el, icon, modal, nameNode, nameProblem } from "../ui.js";
import { api, folderLabel, parentOf, records, shown, state } from "./state.js";

/** Asks for a destination folder; resolves to its prefix ("" is Home), or null. */
export function pickFolder(operation, entries) {
  const dialog = $("picker");
  const moving = operation === "move";
  const what = entries.length === 1 ? shown(entries[0]) : count(entries.length, "item");
  $("picker-title").textContent = `${moving ? "Move" : "Copy"} ${what} to…`;
  const excluded = entries.filter((e) => e.kind === "folder").map((e) => e.key);
  let at = state.prefix;
  let generation = 0;
  const draw = async () => {
    const mine = ++generation;
    const crumbs = $("picker-crumbs");
    crumbs.replaceChildren();
    const parts = at.split("/").filter(Boolean);
    const trail = [["Home", ""], ...parts.map((p, i) => [p, `${parts.slice(0, i + 1).join("/")}/`])];
    trail.forEach(([name, prefix], i) => {
      const last = i === trail.length - 1;
      const content = i === 0 ? [icon("home"), el("span", { text: name })] : [nameNode(name, "crumb-name")];
      crumbs.append(el("li", {}, last ? el("span", { "aria-current": "location", class: "current" }, content) : el("button", { type: "button", class: "crumb", "aria-label": i === 0 ? "Home folder" : `Folder ${displayName(name)}`, onclick: () => enter(prefix) }, content)));
    });
    const blocked = excluded.some((prefix) => at.startsWith(prefix));
    const ok = $("picker-ok");
    ok.textContent = `${moving ? "Move" : "Copy"} to ${folderLabel(at)}`;
    ok.disabled = blocked || (moving && entries.every((e) => parentOf(e.key) === at));
    $("picker-folders").replaceChildren();
    $("picker-empty").hidden = true;
    $("picker-loading").hidden = false;
    try {
      const folders = await api.all({ prefix: at, delimiter: "/" }, "folders");
      if (mine !== generation) return;
      const all = [...new Set([...folders, ...records.childrenOf(at)])].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      $("picker-folders").replaceChildren(
        ...all.map((prefix) => {
          const name = prefix.slice(at.length).replace(/\/$/, "");
          const inside = excluded.includes(prefix);
          return el(
            "li",
            {},
            el("button", { type: "button", class: "picker-folder", "aria-label": `Open folder ${displayName(name)}`, disabled: inside, title: inside ? "This is one of the folders being moved" : undefined, onclick: () => enter(prefix) }, icon("folder"), nameNode(name)),
          );
        }),
      );
      $("picker-empty").hidden = all.length > 0;
    } catch (error) {
      if (mine === generation) {
        $("picker-empty").textContent = error.message;
        $("picker-empty").hidden = false;
      }
    } finally {
      if (mine === generation) $("picker-loading").hidden = true;
    }
  };
  const enter = async (prefix) => {
    at = prefix;
    await draw();
    const first = $("picker-folders").querySelector("button:not([disabled])");
    (first || ($("picker-ok").disabled ? $("picker-cancel") : $("picker-ok"))).focus();
  };
  $("picker-empty").textContent = "No folders here.";
  return modal(dialog, ({ finish, on }) => {
    on($("picker-form"), "submit", (event) => {
      event.preventDefault();
      if (!$("picker-ok").disabled) finish(at);
    });
    on($("picker-cancel"), "click", () => finish(null));
    on($("picker-new"), "click", async () => {
      const name = await ask({ title: "New folder", text: `In ${folderLabel(at)}.`, label: "Folder name", ok: "Create", check: nameProblem });
      if (name === null) return;
      records.add(`${at}${name}/`);
      enter(`${at}${name}/`);
    });
    draw();
    queueMicrotask(() => $("picker-cancel").focus());
  });
}
