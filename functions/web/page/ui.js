// What every part of the page shares: elements built with the DOM API (text, never
// HTML, so a file name can never become markup), names with their invisible
// characters made visible, sizes and times, the one message line (each message
// replaces the last), the modal questions, the actions menu and the progress view.

export const $ = (id) => document.getElementById(id);

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (name === "text") node.textContent = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** An icon from the page's sprite (index.html), hidden from assistive technology. */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/**
 * A button. `label` is its visible text; with `iconName` and `iconOnly` the text is
 * for assistive technology only (and its tooltip); `ariaLabel` names it when the
 * text alone would be ambiguous ("Download" → "Download notes.txt").
 */
export function button(label, onclick, { ariaLabel, className, iconName, iconOnly, title, attributes = {} } = {}) {
  const node = el("button", { type: "button", class: className, "aria-label": ariaLabel, title: title ?? (iconOnly ? ariaLabel || label : undefined), ...attributes });
  if (iconName) node.append(icon(iconName));
  node.append(iconOnly ? el("span", { class: "visually-hidden", text: label }) : el("span", { class: "label", text: label }));
  if (onclick) node.addEventListener("click", onclick);
  return node;
}

// ------------------------------------------------------------------ names

// Characters that show as nothing (or as a plain space) and so could make two names
// look alike: zero-width spaces and joiners, direction marks, word joiners and
// invisible operators, the BOM, soft hyphens, Hangul fillers, Mongolian vowel
// separator, combining grapheme joiner. (Bidirectional embeddings, overrides and
// isolates are refused by the API in new keys, but older keys may hold them.)
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const SPACE = /\s/u;

function codePoint(char) {
  return `U+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * A name cut into runs: plain text, and the characters a reader could not see,
 * each named by its code point (a space at either end as ⟨space⟩, other spaces
 * there by code point). A zero-width joiner inside an emoji sequence stays as it is.
 */
export function nameParts(name) {
  const chars = [...name];
  let start = 0;
  while (start < chars.length && SPACE.test(chars[start])) start++;
  let end = chars.length;
  while (end > start && SPACE.test(chars[end - 1])) end--;
  const parts = [];
  chars.forEach((char, i) => {
    const padding = i < start || i >= end;
    const joiner = char === "\u200d" && PICTOGRAPH.test(chars[i - 1] || "") && PICTOGRAPH.test(chars[i + 1] || "");
    const hidden = (INVISIBLE.test(char) && !joiner) || (padding && SPACE.test(char)) || /[\u0000-\u001f\u007f-\u009f]/u.test(char);
    if (hidden) {
      parts.push({ hidden: true, text: char === " " ? "⟨space⟩" : `⟨${codePoint(char)}⟩`, title: char === " " ? "a space at the start or end of the name" : codePoint(char) });
    } else if (parts.length && !parts[parts.length - 1].hidden) {
      parts[parts.length - 1].text += char;
    } else {
      parts.push({ hidden: false, text: char });
    }
  });
  return parts;
}

/** The name as text with its invisible characters spelled out (labels, messages). */
export function displayName(name) {
  return nameParts(name)
    .map((part) => part.text)
    .join("");
}

/** The name as an isolated run of text (<bdi>), invisible characters shown as marked tokens. */
export function nameNode(name, className = "file-name") {
  const node = el("bdi", { class: className });
  for (const part of nameParts(name)) {
    node.append(part.hidden ? el("span", { class: "invisible-char", title: part.title, text: part.text }) : part.text);
  }
  return node;
}

/** Why a new name (of a file or a folder, no "/") cannot be used, or "". */
export function nameProblem(name) {
  if (!name) return "Enter a name.";
  if (name.includes("/")) return "A name cannot contain \"/\". To put it in another folder, use Move to….";
  if (name === "." || name === "..") return "\".\" and \"..\" cannot be names.";
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(name)) return "A name cannot contain control characters.";
  if (/[\u202a-\u202e\u2066-\u2069]/u.test(name)) return "A name cannot contain text-direction control characters: they make a name show as something it is not.";
  return "";
}

/** Why a key (a path of names) cannot be used, or "". */
export function keyProblem(key) {
  for (const segment of key.split("/")) {
    if (!segment) return "it has an empty folder name";
    const problem = nameProblem(segment);
    if (problem) return problem;
  }
  return "";
}

export function formatSize(bytes) {
  if (bytes === undefined || bytes === null) return "";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} ${value === 1 ? "byte" : "bytes"}` : `${value.toFixed(value < 100 ? 1 : 0)} ${units[unit]}`;
}

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function formatFullTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** "1 file", "3 files". */
export function count(n, one, many = `${one}s`) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** "for 1 hour", "for 14 minutes", "for 40 seconds". */
export function lifetime(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600 && s % 3600 < 60) return count(Math.round(s / 3600), "hour");
  if (s >= 120) return count(Math.round(s / 60), "minute");
  return count(s, "second");
}

// ------------------------------------------------------------------ messages

let undoAction = null;

/**
 * Says what happened, replacing the last message (an error included). `undo`: an
 * action the message offers to undo until another message replaces it.
 */
export function say(text, { undo } = {}) {
  if (!text) {
    $("status").textContent = "";
    return;
  }
  $("error").hidden = true;
  $("error").textContent = "";
  $("status").textContent = text;
  undoAction = undo || null;
  $("undo").hidden = !undo;
}

/** Shows what went wrong, in words, replacing the last message. `null` clears the error only. */
export function fail(error) {
  const box = $("error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  $("status").textContent = "";
  undoAction = null;
  $("undo").hidden = true;
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

export function clearMessages() {
  say("");
  fail(null);
  undoAction = null;
  $("undo").hidden = true;
}

$("undo").addEventListener("click", () => {
  const action = undoAction;
  undoAction = null;
  $("undo").hidden = true;
  if (action) attempt(action);
});

/** Runs something the person did not just ask for (a refresh after a transfer): an error shows, nothing is cleared. */
export async function background(action) {
  try {
    return await action();
  } catch (error) {
    if (error?.name !== "AbortError") fail(error instanceof Error ? error : new Error("Something went wrong."));
    return undefined;
  }
}

/** Runs an action, showing what went wrong in words. */
export async function attempt(action) {
  fail(null);
  try {
    return await action();
  } catch (error) {
    if (error?.name === "AbortError") return undefined;
    console.warn(error);
    fail(error instanceof Error ? error : new Error("Something went wrong."));
    return undefined;
  }
}

// ------------------------------------------------------------------ dialogs

/** Opens a modal dialog; `finish(value)` closes it and resolves. */
function modal(dialog, setup) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const cleanups = [];
    const finish = (value) => {
      for (const cleanup of cleanups) cleanup();
      if (dialog.open) dialog.close();
      if (opener?.isConnected && document.contains(opener)) opener.focus();
      resolve(value);
    };
    const on = (target, type, handler) => {
      target.addEventListener(type, handler);
      cleanups.push(() => target.removeEventListener(type, handler));
    };
    on(dialog, "cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    setup({ finish, on });
    if (!dialog.open) dialog.showModal();
  });
}

/** A question with an optional text field; resolves to the text (or "" when there is none), or null. */
export function ask({ title, text = "", label = "", value = "", ok = "OK", check }) {
  const dialog = $("prompt");
  $("prompt-title").textContent = title;
  $("prompt-text").textContent = text;
  $("prompt-text").hidden = !text;
  $("prompt-label").textContent = label;
  $("prompt-field").hidden = !label;
  $("prompt-ok").textContent = ok;
  $("prompt-problem").hidden = true;
  const input = $("prompt-input");
  input.value = value;
  input.removeAttribute("aria-invalid");
  return modal(dialog, ({ finish, on }) => {
    on($("prompt-form"), "submit", (event) => {
      event.preventDefault();
      const answer = label ? input.value : "";
      const problem = label && check ? check(answer) : "";
      if (problem) {
        $("prompt-problem").textContent = problem;
        $("prompt-problem").hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      finish(answer);
    });
    on($("prompt-cancel"), "click", () => finish(null));
    queueMicrotask(() => {
      if (label) {
        input.focus();
        // Select the name without its extension, as file managers do.
        const dot = value.lastIndexOf(".");
        input.setSelectionRange(0, dot > 0 ? dot : value.length);
      } else {
        $("prompt-ok").focus();
      }
    });
  });
}

/**
 * A name that exists already: resolves to {choice: "replace" | "both" | "skip" |
 * "cancel", all: whether to do the same for the `others` conflicts still to come}.
 */
export function askConflict({ title, text, others, verb = "Replace" }) {
  const dialog = $("conflict");
  $("conflict-title").textContent = title;
  $("conflict-text").textContent = text;
  $("conflict-replace").textContent = verb;
  $("conflict-all").checked = false;
  // `others`: how many conflicts are still to come, or null when that is not known yet.
  const unknown = others === null || others === undefined;
  $("conflict-all-row").hidden = !unknown && others < 1;
  $("conflict-all-label").textContent = unknown ? "Do the same for any other conflicts" : `Do the same for the ${count(others, "other conflict")}`;
  return modal(dialog, ({ finish, on }) => {
    const answer = (choice) => finish({ choice, all: $("conflict-all").checked });
    on($("conflict-form"), "submit", (event) => event.preventDefault());
    on($("conflict-replace"), "click", () => answer("replace"));
    on($("conflict-both"), "click", () => answer("both"));
    on($("conflict-skip"), "click", () => answer("skip"));
    on($("conflict-cancel"), "click", () => answer("cancel"));
    queueMicrotask(() => $("conflict-both").focus());
  }).then((value) => value || { choice: "cancel", all: true });
}

export { modal };

// ------------------------------------------------------------------ the actions menu

let openMenuState = null;

export function closeMenu({ focus = true } = {}) {
  if (!openMenuState) return;
  const { menu, trigger, cleanup } = openMenuState;
  openMenuState = null;
  cleanup();
  menu.hidden = true;
  menu.replaceChildren();
  trigger.setAttribute("aria-expanded", "false");
  if (focus && trigger.isConnected) trigger.focus();
}

/**
 * Opens the actions menu under `trigger`: `items` are {label, ariaLabel, icon,
 * action, danger} (or null: a separator). Arrow keys, Home and End move, Escape
 * closes and gives the focus back, Tab closes.
 */
export function openMenu(trigger, items, label) {
  closeMenu({ focus: false });
  const menu = $("menu");
  menu.setAttribute("aria-label", label);
  const buttons = [];
  for (const item of items) {
    if (!item) {
      menu.append(el("div", { role: "separator", class: "menu-separator" }));
      continue;
    }
    const entry = button(item.label, () => {
      closeMenu();
      item.action();
    }, { className: item.danger ? "danger" : undefined, iconName: item.icon, ariaLabel: item.ariaLabel, attributes: { role: "menuitem", tabindex: "-1" } });
    buttons.push(entry);
    menu.append(entry);
  }
  menu.hidden = false;
  // Under the trigger, inside the window (CSSOM, which the policy allows; no style attribute).
  const box = trigger.getBoundingClientRect();
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  const left = Math.max(8, Math.min(box.right - width, window.innerWidth - width - 8));
  const below = box.bottom + 4;
  const top = below + height > window.innerHeight - 8 ? Math.max(8, box.top - height - 4) : below;
  menu.style.left = `${left + window.scrollX}px`;
  menu.style.top = `${top + window.scrollY}px`;
  trigger.setAttribute("aria-expanded", "true");
  const move = (index) => buttons[(index + buttons.length) % buttons.length]?.focus();
  const onKey = (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown") move(at + 1);
    else if (event.key === "ArrowUp") move(at - 1);
    else if (event.key === "Home") move(0);
    else if (event.key === "End") move(buttons.length - 1);
    else if (event.key === "Escape") closeMenu();
    else if (event.key === "Tab") {
      closeMenu({ focus: false });
      return;
    } else return;
    event.preventDefault();
  };
  const onOutside = (event) => {
    if (!menu.contains(event.target) && event.target !== trigger && !trigger.contains(event.target)) closeMenu({ focus: false });
  };
  menu.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", onOutside, true);
  window.addEventListener("resize", onOutside);
  openMenuState = {
    menu,
    trigger,
    cleanup: () => {
      menu.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onOutside, true);
      window.removeEventListener("resize", onOutside);
    },
  };
  move(0);
}

export function menuIsOpenFor(trigger) {
  return openMenuState?.trigger === trigger;
}

// ------------------------------------------------------------------ the progress view

let currentJob = null;

/**
 * The one progress view of a long action (bulk delete, move, copy, restore): a label,
 * a bar and Stop. Resolves nothing; `job.update(done, total, text)`, `job.signal`
 * (aborted by Stop), `job.end()`.
 */
export function startProgress(text, total) {
  currentJob?.controller.abort();
  const controller = new AbortController();
  const view = $("progress");
  const bar = $("progress-bar");
  const label = $("progress-text");
  const job = {
    controller,
    signal: controller.signal,
    update(done, newTotal = total, newText = text) {
      total = newTotal;
      text = newText;
      label.textContent = total ? `${text} ${done.toLocaleString()} of ${total.toLocaleString()}` : `${text} ${done ? done.toLocaleString() : ""}`.trim();
      if (total) {
        bar.max = Math.max(total, 1);
        bar.value = Math.min(done, total);
      } else {
        bar.removeAttribute("value");
      }
    },
    end() {
      if (currentJob === job) {
        currentJob = null;
        view.hidden = true;
      }
    },
  };
  currentJob = job;
  bar.setAttribute("aria-label", text);
  view.hidden = false;
  job.update(0, total, text);
  return job;
}

$("progress-stop").addEventListener("click", () => currentJob?.controller.abort());
