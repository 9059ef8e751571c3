// The page: the account (sign-in with a second factor, sign-up with an emailed code,
// a forgotten password reset), folders with breadcrumbs, uploads (picker and
// drag-and-drop) with a progress bar per file, download, rename, delete, folder
// delete, versions with restore, and the trash with undelete. Every element is built
// with the DOM API (text, never HTML), so a file name can never become markup.

import { Api, ApiError } from "./api.js";
import { Auth, otpauthUri } from "./auth.js";
import { download, upload } from "./transfer.js";

const config = JSON.parse(document.getElementById("homedir-config").textContent);
const $ = (id) => document.getElementById(id);

const auth = new Auth(config);
const api = new Api(config, auth, () => showSignIn("Your session has ended. Sign in again."));

const state = { view: "files", prefix: "", versionsOf: null };

// ------------------------------------------------------------------ small helpers

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (name === "text") node.textContent = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function button(label, onclick, { ariaLabel, className } = {}) {
  return el("button", { type: "button", onclick, "aria-label": ariaLabel, class: className, text: label });
}

function formatSize(bytes) {
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

function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

function status(text) {
  $("status").textContent = text;
}

function showError(error) {
  const box = $("error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

/** Runs an action, showing what went wrong in words. */
async function attempt(action) {
  showError(null);
  try {
    return await action();
  } catch (error) {
    if (error?.name === "AbortError") return undefined;
    showError(error instanceof ApiError || error instanceof Error ? error : new Error("Something went wrong."));
    return undefined;
  }
}

/** A modal question; resolves to the text typed (or "" for a plain confirmation), or null. */
function ask({ title, text = "", label = "", value = "", ok = "OK" }) {
  const dialog = $("prompt");
  $("prompt-title").textContent = title;
  $("prompt-text").textContent = text;
  $("prompt-label").textContent = label;
  $("prompt-field").hidden = !label;
  $("prompt-ok").textContent = ok;
  const input = $("prompt-input");
  input.value = value;
  return new Promise((resolve) => {
    const finish = (answer) => {
      $("prompt-form").removeEventListener("submit", onSubmit);
      $("prompt-cancel").removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      resolve(answer);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      finish(label ? input.value.trim() : "");
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(null);
    };
    $("prompt-form").addEventListener("submit", onSubmit);
    $("prompt-cancel").addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    if (label) {
      input.focus();
      // Select the name without its extension, as file managers do.
      const dot = value.lastIndexOf(".");
      input.setSelectionRange(0, dot > 0 ? dot : value.length);
    } else {
      $("prompt-ok").focus();
    }
  });
}

// ------------------------------------------------------------------ the account
//
// One form at a time in the account card: sign in; the step Cognito asks for after
// the password (the authenticator app's code, setting one up, an invited user's own
// password); create an account and confirm it with the emailed code (where the stack
// allows sign-up); reset a forgotten password with an emailed code.

const STEPS = ["sign-in-form", "sign-up-form", "confirm-form", "forgot-form", "reset-form", "mfa-form", "mfa-setup-form", "new-password-form"];
// The email the current flow is about, and the sign-in step Cognito is waiting for.
const flow = { email: "", step: null };
const signUpOpen = config.signUp === true;

/** Passwords and codes never outlive the form they were typed into. */
function clearSecrets() {
  for (const input of $("sign-in-view").querySelectorAll('input[type="password"], input[autocomplete="one-time-code"]')) {
    input.value = "";
  }
}

/** Shows one form of the account card and puts the focus in it. */
function showStep(id, { focus } = {}) {
  clearSecrets();
  for (const step of STEPS) $(step).hidden = step !== id;
  $("account").hidden = true;
  $("files-view").hidden = true;
  $("sign-in-view").hidden = false;
  for (const input of document.querySelectorAll(".username-hint")) input.value = flow.email;
  const target = focus ? $(focus) : $(id).querySelector("input:not([hidden])");
  target?.focus();
}

/** Runs a form's action with its buttons disabled, showing what went wrong in words. */
function busy(form, action) {
  const buttons = [...$(form).querySelectorAll("button")];
  const focused = document.activeElement;
  return attempt(async () => {
    for (const b of buttons) b.disabled = true;
    try {
      return await action();
    } finally {
      for (const b of buttons) b.disabled = false;
      // A disabled button drops the focus: give it back if nothing else took it.
      if ((document.activeElement === document.body || !document.activeElement) && !$(form).hidden) focused?.focus();
    }
  });
}

function twoPasswords(first, second) {
  const password = $(first).value;
  if (!password) throw new Error("Choose a password.");
  if (password !== $(second).value) throw new Error("The two passwords differ: type the same one twice.");
  return password;
}

function emailCode(id) {
  const code = $(id).value.replace(/\s+/g, "");
  if (!code) throw new Error("Enter the code from the email.");
  return code;
}

function appCode(id) {
  const code = $(id).value.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(code)) throw new Error("Enter the 6-digit code your authenticator app shows now.");
  return code;
}

function backToSignIn(email, message = "") {
  flow.step = null;
  if (email) $("email").value = email;
  showStep("sign-in-form", { focus: $("email").value ? "password" : "email" });
  status(message);
}

function showSignIn(message) {
  auth.forget();
  flow.step = null;
  showStep("sign-in-form");
  showError(message ? new Error(message) : null);
  status("");
}

async function showFiles() {
  $("sign-in-view").hidden = true;
  $("account").hidden = false;
  $("account-email").textContent = auth.email;
  $("files-view").hidden = false;
  await setView(state.view);
}

async function enterHome() {
  clearSecrets();
  flow.step = null;
  state.prefix = "";
  state.view = "files";
  status(`Signed in as ${auth.email}.`);
  await showFiles();
  $("files-title").focus();
}

/** After the password (or a challenge's answer): the home, or the next step Cognito asks for. */
async function continueSignIn(step) {
  if (step.signedIn) {
    await enterHome();
    return;
  }
  flow.step = step;
  flow.email = step.email;
  status("");
  if (step.challenge === "SOFTWARE_TOKEN_MFA") {
    showStep("mfa-form");
  } else if (step.challenge === "NEW_PASSWORD_REQUIRED") {
    showStep("new-password-form");
  } else if (step.challenge === "MFA_SETUP") {
    let kinds = ["SOFTWARE_TOKEN_MFA"];
    try {
      kinds = JSON.parse(step.parameters.MFAS_CAN_SETUP || '["SOFTWARE_TOKEN_MFA"]');
    } catch {
      // Cognito sends a JSON list in a string; anything else: try the app.
    }
    if (Array.isArray(kinds) && !kinds.includes("SOFTWARE_TOKEN_MFA")) {
      backToSignIn(step.email);
      throw new Error("This account must set up a text-message second factor, which this page does not offer.");
    }
    const withKey = await auth.newKey(step).catch(challengeFailed);
    flow.step = withKey;
    $("mfa-key").textContent = withKey.secret;
    $("mfa-link").href = otpauthUri(step.email, withKey.secret);
    showStep("mfa-setup-form");
  }
}

/** A challenge whose session Cognito no longer accepts starts the sign-in over. */
function challengeFailed(error) {
  if (error?.code === "NotAuthorizedException") backToSignIn(flow.email);
  throw error;
}

function showConfirm(email, destination) {
  flow.email = email;
  $("confirm-text").textContent = destination
    ? `A code was sent to ${destination}. Enter it to confirm ${email}.`
    : `Enter the code emailed to ${email} when the account was created, or send a new one.`;
  showStep("confirm-form");
}

function showReset(email, destination) {
  flow.email = email;
  $("reset-text").textContent = `A code was sent to ${destination || email}. Enter it with your new password.`;
  showStep("reset-form");
}

$("to-sign-up").hidden = !signUpOpen;
$("invite-only").hidden = signUpOpen;

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const email = $("email").value.trim();
  const password = $("password").value;
  if (!email || !password) {
    showError(new Error("Enter your email and password."));
    return;
  }
  busy("sign-in-form", async () => {
    status("Signing in…");
    flow.email = email;
    let step;
    try {
      step = await auth.signIn(email, password);
    } catch (error) {
      status("");
      if (error.code === "UserNotConfirmedException") showConfirm(email, "");
      if (error.code === "PasswordResetRequiredException") {
        $("forgot-email").value = email;
        showStep("forgot-form", { focus: "forgot-send" });
      }
      throw error;
    }
    $("password").value = "";
    await continueSignIn(step);
  });
});

$("mfa-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy("mfa-form", async () => {
    const code = appCode("mfa-code");
    status("Checking the code…");
    const step = await auth.answerCode(flow.step, code).catch(challengeFailed).finally(() => status(""));
    await continueSignIn(step);
  });
});

$("mfa-setup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy("mfa-setup-form", async () => {
    const code = appCode("mfa-setup-code");
    status("Checking the code…");
    const step = await auth.verifyKey(flow.step, code).catch(challengeFailed).finally(() => status(""));
    await continueSignIn(step);
  });
});

$("new-password-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy("new-password-form", async () => {
    const password = twoPasswords("new-password", "new-password2");
    status("Setting the password…");
    const step = await auth.newPassword(flow.step, password).catch(challengeFailed).finally(() => status(""));
    await continueSignIn(step);
  });
});

for (const back of document.querySelectorAll(".to-sign-in")) {
  back.addEventListener("click", () => {
    showError(null);
    backToSignIn(flow.email || $("email").value.trim());
  });
}

$("to-sign-up").addEventListener("click", () => {
  showError(null);
  status("");
  $("sign-up-email").value = $("email").value.trim();
  showStep("sign-up-form", { focus: $("sign-up-email").value ? "sign-up-password" : "sign-up-email" });
});

$("sign-up-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy("sign-up-form", async () => {
    const email = $("sign-up-email").value.trim();
    if (!email) throw new Error("Enter your email.");
    const password = twoPasswords("sign-up-password", "sign-up-password2");
    status("Creating the account…");
    const result = await auth.signUp(email, password).finally(() => status(""));
    flow.email = email;
    if (result.confirmed) backToSignIn(email, "Your account is ready: sign in.");
    else showConfirm(email, result.destination);
  });
});

$("confirm-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy("confirm-form", async () => {
    const code = emailCode("confirm-code");
    await auth.confirmSignUp(flow.email, code).catch((error) => {
      if (error.code === "NotAuthorizedException") backToSignIn(flow.email);
      throw error;
    });
    backToSignIn(flow.email, "Your email is confirmed: sign in with your password.");
  });
});

$("resend").addEventListener("click", () =>
  busy("confirm-form", async () => {
    const destination = (await auth.resendCode(flow.email)) || flow.email;
    $("confirm-code").value = "";
    $("confirm-text").textContent = `A new code was sent to ${destination}; the one before it no longer works.`;
    status(`A new code was sent to ${destination}.`);
    $("confirm-code").focus();
  }),
);

$("to-forgot").addEventListener("click", () => {
  showError(null);
  status("");
  $("forgot-email").value = $("email").value.trim();
  showStep("forgot-form", { focus: $("forgot-email").value ? "forgot-send" : "forgot-email" });
});

$("forgot-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy("forgot-form", async () => {
    const email = $("forgot-email").value.trim();
    if (!email) throw new Error("Enter the email of your account.");
    status("Sending a code…");
    const destination = await auth.forgotPassword(email).finally(() => status(""));
    showReset(email, destination);
  });
});

$("reset-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy("reset-form", async () => {
    const code = emailCode("reset-code");
    const password = twoPasswords("reset-password", "reset-password2");
    status("Setting the new password…");
    await auth.confirmForgotPassword(flow.email, code, password).finally(() => status(""));
    backToSignIn(flow.email, "Your password is changed: sign in with the new one.");
  });
});

$("reset-resend").addEventListener("click", () =>
  busy("reset-form", async () => {
    const destination = (await auth.forgotPassword(flow.email)) || flow.email;
    $("reset-code").value = "";
    $("reset-text").textContent = `A new code was sent to ${destination}; the one before it no longer works.`;
    status(`A new code was sent to ${destination}.`);
    $("reset-code").focus();
  }),
);

$("sign-out").addEventListener("click", async () => {
  $("sign-out").disabled = true;
  const revoked = await auth.signOut();
  $("sign-out").disabled = false;
  showSignIn();
  status(revoked ? "Signed out." : "Signed out here; Cognito could not be reached to end the session everywhere, so it ends when it expires.");
});

// ------------------------------------------------------------------ listing

function setView(view) {
  state.view = view;
  state.versionsOf = null;
  $("versions-panel").hidden = true;
  $("show-files").setAttribute("aria-pressed", String(view === "files"));
  $("show-trash").setAttribute("aria-pressed", String(view === "trash"));
  $("toolbar").hidden = view !== "files";
  $("files-title").textContent = view === "files" ? "Files" : "Trash";
  return refresh();
}

function go(prefix) {
  state.prefix = prefix;
  state.versionsOf = null;
  $("versions-panel").hidden = true;
  return refresh();
}

function renderBreadcrumbs() {
  const list = $("breadcrumbs");
  list.replaceChildren();
  const parts = state.prefix.split("/").filter(Boolean);
  const crumbs = [["Home", ""]];
  parts.forEach((part, i) => crumbs.push([part, parts.slice(0, i + 1).join("/") + "/"]));
  crumbs.forEach(([name, prefix], i) => {
    const last = i === crumbs.length - 1;
    list.append(
      el(
        "li",
        {},
        last
          ? el("span", { "aria-current": "location", text: name })
          : button(name, () => attempt(() => go(prefix)), { ariaLabel: i === 0 ? "Home folder" : `Folder ${name}` }),
      ),
    );
  });
}

async function refresh() {
  renderBreadcrumbs();
  $("listing").setAttribute("aria-busy", "true");
  try {
    if (state.view === "trash") await renderTrash();
    else await renderFolder();
  } finally {
    $("listing").removeAttribute("aria-busy");
  }
}

async function renderFolder() {
  const { files, folders } = await api.all({ prefix: state.prefix, delimiter: "/" });
  const rows = [];
  for (const folder of folders) {
    const name = folder.slice(state.prefix.length).replace(/\/$/, "");
    rows.push(
      el(
        "tr",
        { class: "folder" },
        el("th", { scope: "row" }, button(`${name}/`, () => attempt(() => go(folder)), { ariaLabel: `Open folder ${name}`, className: "name" })),
        el("td", { class: "num" }),
        el("td", { class: "when" }),
        el("td", { class: "actions" }, button("Delete folder", () => attempt(() => deleteFolder(folder, name)), { ariaLabel: `Delete folder ${name}` })),
      ),
    );
  }
  for (const file of files) {
    const name = file.key.slice(state.prefix.length);
    const get = () => attempt(() => download(api, file.key, { size: file.size, maxFileBytes: config.maxFileBytes }));
    rows.push(
      el(
        "tr",
        { "data-key": file.key },
        el("th", { scope: "row" }, button(name, get, { ariaLabel: `Download ${name}`, className: "name" })),
        el("td", { class: "num", text: formatSize(file.size) }),
        el("td", { class: "when", text: formatTime(file.last_modified) }),
        el(
          "td",
          { class: "actions" },
          button("Download", get, { ariaLabel: `Download ${name}` }),
          button("Rename", () => attempt(() => rename(file.key, name)), { ariaLabel: `Rename ${name}` }),
          button("Versions", () => attempt(() => showVersions(file.key)), { ariaLabel: `Versions of ${name}` }),
          button("Delete", () => attempt(() => remove(file.key, name)), { ariaLabel: `Delete ${name}` }),
        ),
      ),
    );
  }
  $("rows").replaceChildren(...rows);
  $("empty").textContent = "This folder is empty.";
  $("empty").hidden = rows.length > 0;
  $("listing-caption").textContent = `Folder ${state.prefix || "Home"}: ${folders.length} folders, ${files.length} files`;
}

async function renderTrash() {
  const files = await api.all({ prefix: state.prefix, deleted: 1 }, "files");
  const rows = files.map((file) => {
    const name = file.key.slice(state.prefix.length);
    return el(
      "tr",
      { "data-key": file.key },
      el("th", { scope: "row", class: "name-text", text: name }),
      el("td", { class: "num", text: formatSize(file.size) }),
      el("td", { class: "when", text: `deleted ${formatTime(file.deleted_at)}` }),
      el(
        "td",
        { class: "actions" },
        file.version_id
          ? button("Restore", () => attempt(() => undelete(file, name)), { ariaLabel: `Restore ${name}` })
          : null,
      ),
    );
  });
  $("rows").replaceChildren(...rows);
  $("empty").textContent = "The trash is empty.";
  $("empty").hidden = rows.length > 0;
  $("listing-caption").textContent = `Trash of ${state.prefix || "Home"}: ${files.length} files`;
}

// ------------------------------------------------------------------ file operations

async function rename(key, name) {
  const typed = await ask({ title: `Rename ${name}`, label: "New name", value: name, ok: "Rename" });
  if (!typed || typed === name) return;
  const destination = state.prefix + typed;
  // If-None-Match: * — never overwrite another file by renaming onto it.
  await api.json("PUT", "write-file", { key: destination, move_from: key }, { headers: { "If-None-Match": "*" } }).catch((error) => {
    if (error.code === "precondition_failed") {
      throw new ApiError(412, error.code, `A file named ${typed} already exists here, or ${name} changed meanwhile.`);
    }
    throw error;
  });
  status(`Renamed ${name} to ${typed}.`);
  await refresh();
}

async function remove(key, name) {
  await api.call("DELETE", "delete", { key });
  status(`Deleted ${name}. It stays in the trash for a while.`);
  await refresh();
}

async function deleteFolder(prefix, name) {
  const ok = await ask({
    title: `Delete folder ${name}?`,
    text: "Every file in it goes to the trash, where each can be restored for a while.",
    ok: "Delete folder",
  });
  if (ok === null) return;
  const count = await api.deleteFolder(prefix, (n) => status(`Deleting ${name}: ${n} files so far…`));
  status(`Deleted folder ${name} (${count} ${count === 1 ? "file" : "files"}).`);
  await refresh();
}

async function undelete(file, name) {
  await api.json("PUT", "write-file", { key: file.key, restore: file.version_id });
  status(`Restored ${name}.`);
  await refresh();
}

async function showVersions(key) {
  state.versionsOf = key;
  const name = key.split("/").pop();
  const versions = await api.all({ key, versions: 1 }, "versions");
  $("versions-title").textContent = `Versions of ${name}`;
  const items = versions.map((version) => {
    const label = version.deleted ? `deleted ${formatTime(version.last_modified)}` : `${formatTime(version.last_modified)}, ${formatSize(version.size)}`;
    const when = formatTime(version.last_modified);
    return el(
      "li",
      {},
      el("span", { class: "version-text", text: label }),
      version.latest ? el("span", { class: "badge", text: "current" }) : null,
      el(
        "span",
        { class: "actions" },
        version.deleted
          ? null
          : button("Download", () => attempt(() => download(api, key, { size: version.size, version: version.version_id, maxFileBytes: config.maxFileBytes })), {
              ariaLabel: `Download the version of ${when}`,
            }),
        version.deleted || version.latest
          ? null
          : button(
              "Restore",
              () =>
                attempt(async () => {
                  await api.json("PUT", "write-file", { key, restore: version.version_id });
                  status(`Restored the version of ${when} of ${name}.`);
                  await refresh();
                  await showVersions(key);
                }),
              { ariaLabel: `Restore the version of ${when}` },
            ),
      ),
    );
  });
  $("versions").replaceChildren(...items);
  $("versions-panel").hidden = false;
  $("versions-title").setAttribute("tabindex", "-1");
  $("versions-title").focus();
}

$("close-versions").addEventListener("click", () => {
  const key = state.versionsOf;
  state.versionsOf = null;
  $("versions-panel").hidden = true;
  const row = [...document.querySelectorAll("#rows tr")].find((tr) => tr.dataset.key === key);
  (row?.querySelector("button") || $("files-title")).focus();
});

// ------------------------------------------------------------------ uploads

async function uploadAll(files) {
  if (!files.length) return;
  showError(null);
  const prefix = state.prefix;
  let done = 0;
  const failed = [];
  await Promise.all(
    [...files].map(async (file) => {
      const progress = el("progress", { max: String(Math.max(file.size, 1)), value: "0", "aria-label": `Uploading ${file.name}` });
      const note = el("span", { class: "upload-note", text: "waiting…" });
      const item = el("li", {}, el("span", { class: "upload-name", text: file.name }), progress, note);
      $("uploads").append(item);
      try {
        await upload(api, file, prefix + file.name, {
          maxFileBytes: config.maxFileBytes,
          onProgress: (sent) => {
            progress.value = sent;
            note.textContent = `${formatSize(sent)} of ${formatSize(file.size)}`;
          },
        });
        progress.value = Math.max(file.size, 1);
        note.textContent = "uploaded";
        item.classList.add("done");
        done++;
      } catch (error) {
        note.textContent = error.message || "failed";
        item.classList.add("failed");
        failed.push(file.name);
      }
    }),
  );
  status(failed.length ? `Uploaded ${done} files; ${failed.length} failed: ${failed.join(", ")}.` : `Uploaded ${done} ${done === 1 ? "file" : "files"}.`);
  if (failed.length) showError(new Error(`Could not upload ${failed.join(", ")}; see the list of uploads.`));
  if (state.view === "files" && state.prefix === prefix) await attempt(refresh);
}

$("upload").addEventListener("click", () => $("file-input").click());
$("file-input").addEventListener("change", () => {
  const files = [...$("file-input").files];
  $("file-input").value = "";
  uploadAll(files);
});

const zone = $("drop-zone");
zone.addEventListener("dragover", (event) => {
  if (state.view !== "files" || !event.dataTransfer?.types.includes("Files")) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
  zone.classList.add("dragging");
});
zone.addEventListener("dragleave", (event) => {
  if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
});
zone.addEventListener("drop", (event) => {
  zone.classList.remove("dragging");
  if (state.view !== "files") return;
  event.preventDefault();
  uploadAll([...(event.dataTransfer?.files || [])]);
});

$("new-folder").addEventListener("click", () =>
  attempt(async () => {
    const name = await ask({ title: "New folder", label: "Folder name", ok: "Create" });
    if (!name) return;
    const clean = name.replace(/^\/+|\/+$/g, "");
    if (!clean) return;
    await go(`${state.prefix}${clean}/`);
    status(`Folder ${clean}: it exists once a file is uploaded into it.`);
  }),
);

$("refresh").addEventListener("click", () => attempt(refresh).then(() => status("Refreshed.")));
$("show-files").addEventListener("click", () => attempt(() => setView("files")));
$("show-trash").addEventListener("click", () => attempt(() => setView("trash")));

// ------------------------------------------------------------------ start

if (auth.signedIn) attempt(showFiles);
else showSignIn();
