// The folder picker of Move to… and Copy to…: for a team's member, the two spaces (My
// files, the team's); its own breadcrumbs from the space's root, the folders where it
// stands (and the recorded empty ones), New folder…, and the destination button; a
// folder being moved cannot be entered.

import { $, ask, count, displayName, el, icon, modal, nameNode, nameProblem } from "../ui.js";
import { folderIn, folderLabel, parentOf, shown, spaces, state } from "./state.js";

/**
 * Asks for a destination folder for `entries` of the space `from`; it opens where they
 * are, or at `start` ({space, prefix}). Resolves to {space, prefix} ("" is the space's
 * root), or null.
 */
export function pickFolder(operation, entries, { from, start = null }) {
  const dialog = $("picker");
  const moving = operation === "move";
  const what = entries.length === 1 ? shown(entries[0]) : count(entries.length, "item");
  $("picker-title").textContent = `${moving ? "Move" : "Copy"} ${what} to…`;
  const excluded = entries.filter((e) => e.kind === "folder").map((e) => e.key);
  let at = start || { space: from, prefix: state.prefix };
  let generation = 0;
  const draw = async () => {
    const mine = ++generation;
    const { space, prefix: here } = at;
    const same = space.id === from.id;
    // The spaces, for a team's member.
    $("picker-spaces").hidden = !spaces.team;
    for (const id of ["home", "team"]) {
      const button = $(`picker-space-${id}`);
      button.setAttribute("aria-pressed", String(space.id === id));
      if (spaces[id]) button.querySelector(".label").textContent = spaces[id].title;
    }
    const crumbs = $("picker-crumbs");
    crumbs.replaceChildren();
    const parts = here.split("/").filter(Boolean);
    const trail = [[space.label, ""], ...parts.map((p, i) => [p, `${parts.slice(0, i + 1).join("/")}/`])];
    trail.forEach(([name, prefix], i) => {
      const last = i === trail.length - 1;
      const content = i === 0 ? [icon(space.id === "team" ? "team" : "home"), el("span", { text: name })] : [nameNode(name, "crumb-name")];
      crumbs.append(el("li", {}, last ? el("span", { "aria-current": "location", class: "current" }, content) : el("button", { type: "button", class: "crumb", "aria-label": i === 0 ? `${space.label} folder` : `Folder ${displayName(name)}`, onclick: () => enter({ space, prefix }) }, content)));
    });
    const blocked = same && excluded.some((prefix) => here.startsWith(prefix));
    const ok = $("picker-ok");
    ok.textContent = `${moving ? "Move" : "Copy"} to ${folderIn(here, space, from)}`;
    ok.disabled = blocked || (same && moving && entries.every((e) => parentOf(e.key) === here));
    $("picker-folders").replaceChildren();
    $("picker-empty").hidden = true;
    $("picker-loading").hidden = false;
    try {
      const folders = await space.api.all({ prefix: here, delimiter: "/" }, "folders");
      if (mine !== generation) return;
      const all = [...new Set([...folders, ...space.records.childrenOf(here)])].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      $("picker-folders").replaceChildren(
        ...all.map((prefix) => {
          const name = prefix.slice(here.length).replace(/\/$/, "");
          const inside = same && excluded.includes(prefix);
          return el(
            "li",
            {},
            el("button", { type: "button", class: "picker-folder", "aria-label": `Open folder ${displayName(name)}`, disabled: inside, title: inside ? "This is one of the folders being moved" : undefined, onclick: () => enter({ space, prefix }) }, icon("folder"), nameNode(name)),
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
  const enter = async (place) => {
    at = place;
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
    for (const id of ["home", "team"]) {
      on($(`picker-space-${id}`), "click", () => {
        if (spaces[id] && at.space.id !== id) enter({ space: spaces[id], prefix: "" });
      });
    }
    on($("picker-new"), "click", async () => {
      const name = await ask({ title: "New folder", text: `In ${folderLabel(at.prefix, at.space)}.`, label: "Folder name", ok: "Create", check: nameProblem });
      if (name === null) return;
      at.space.records.add(`${at.prefix}${name}/`);
      enter({ space: at.space, prefix: `${at.prefix}${name}/` });
    });
    draw();
    queueMicrotask(() => $("picker-cancel").focus());
  });
}
