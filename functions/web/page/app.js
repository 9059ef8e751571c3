// The page: the account (sign-in with a second factor, sign-up with an emailed code,
// a forgotten password reset), then the file manager (files.js). Every element is
// built with the DOM API (text, never HTML), so a file name can never become markup.

import { Api } from "./api.js";
import { Auth, otpauthUri } from "./auth.js";
import { initFiles, leaveFiles, showFiles as showFileManager } from "./files.js";
import { $, attempt, fail, say } from "./ui.js";

const config = JSON.parse(document.getElementById("homedir-config").textContent);

const auth = new Auth(config);
const api = new Api(config, auth, () => showSignIn("Your session has ended. Sign in again."));

/** Says what happened; an empty text clears the line (an error stays). */
const status = (text) => say(text);
const showError = (error) => fail(error);

initFiles({ api, auth, config });

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

function showSignIn(message, { forgetPlace = false } = {}) {
  auth.forget();
  flow.step = null;
  leaveFiles({ forgetPlace });
  document.body.classList.remove("signed-in");
  document.title = "homedir";
  showStep("sign-in-form");
  status("");
  showError(message ? new Error(message) : null);
}

async function showFiles() {
  $("sign-in-view").hidden = true;
  $("account").hidden = false;
  $("account-email").textContent = auth.email;
  $("files-view").hidden = false;
  document.body.classList.add("signed-in");
  await showFileManager();
}

/** Signed in: the place the URL names (a reload after the session ended returns there), else Home. */
async function enterHome() {
  clearSecrets();
  flow.step = null;
  status(`Signed in as ${auth.email}.`);
  await showFiles();
  $("upload").focus();
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
  showSignIn("", { forgetPlace: true });
  status(revoked ? "Signed out." : "Signed out here; Cognito could not be reached to end the session everywhere, so it ends when it expires.");
});

// ------------------------------------------------------------------ start

if (auth.signedIn) attempt(showFiles);
else showSignIn();
