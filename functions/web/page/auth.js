// The account, straight from the browser to the Cognito user pool API (the public app
// client, no secret): sign-in with USER_PASSWORD_AUTH (the flow the template's client
// allows) and the steps Cognito may ask for after the password (an authenticator
// app's code, setting one up, an invited user's new password), refresh with
// REFRESH_TOKEN_AUTH, sign-out with RevokeToken; sign-up with its emailed code, and a
// forgotten password reset with one. The tokens live in sessionStorage: they survive
// a reload, not the tab, and no other site can read them. Cognito's refusals become
// sentences chosen by the exception's name; its own text is shown only where it is a
// rule the person must follow (a password policy).

const STORAGE_KEY = "homedir.session";
// Refresh this long before the ID token expires, so no request leaves with a token
// that expires on the way.
const REFRESH_MARGIN_MS = 120_000;

/** Something Cognito refused (or could not be asked), in words; `code` is its exception. */
export class AuthError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const TOO_MANY = "Too many attempts; wait a while and try again.";
const SIGN_IN_AGAIN = "The sign-in took too long; sign in again.";
const WRONG_CODE = "That code is not the one sent; check it and try again.";
const EXPIRED_CODE = "That code has expired; ask for a new one.";

// What each step calls a failure it has no better word for.
const FALLBACK = {
  signIn: "Sign-in failed; try again.",
  refresh: "Your session has ended. Sign in again.",
  revoke: "Signing out at Cognito failed.",
  signUp: "The account could not be created; try again.",
  confirm: "The account could not be confirmed; try again.",
  resend: "No new code could be sent; try again.",
  forgot: "No code could be sent; try again.",
  reset: "The password could not be changed; try again.",
  mfa: "Sign-in failed; try again.",
  setUp: "The authenticator app could not be set up; try again.",
  newPassword: "The new password could not be set; try again.",
};

/**
 * Cognito's rule for a password, from InvalidPasswordException's message
 * ("Password did not conform with policy: Password must have uppercase characters"):
 * the part after the prefix, as plain text, one sentence.
 */
export function passwordRule(message) {
  const text = String(message || "")
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .replace(/^\s*Password did not conform with policy:\s*/i, "")
    .trim()
    .slice(0, 300);
  if (!text) return "That password does not meet the rules; choose another one.";
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The words for Cognito's exception `type` (with its `message`) during `step`. */
export function describe(type, message, step) {
  const text = String(message || "");
  switch (type) {
    case "InvalidPasswordException":
      return passwordRule(text);
    case "CodeMismatchException":
      return step === "mfa"
        ? "That code is not right; enter the current code from your authenticator app."
        : WRONG_CODE;
    case "ExpiredCodeException":
      return step === "mfa" ? "That code has expired; enter the current one." : EXPIRED_CODE;
    case "EnableSoftwareTokenMFAException":
      return "That code does not match the new key; check the key in your app and enter its current code.";
    case "UsernameExistsException":
      return "An account with that email already exists: sign in, or reset its password.";
    case "LimitExceededException":
    case "TooManyRequestsException":
    case "TooManyFailedAttemptsException":
      return TOO_MANY;
    case "UserNotConfirmedException":
      return "This account is not confirmed yet: enter the code emailed to you, or send a new one.";
    case "PasswordResetRequiredException":
      return "This account's password must be reset: send yourself a code.";
    case "CodeDeliveryFailureException":
      return "The code could not be sent; try again later.";
    case "SoftwareTokenMFANotFoundException":
      return "This homedir does not offer authenticator apps; ask its operator.";
    case "UserNotFoundException":
      return step === "signIn" ? "Wrong email or password." : "There is no account with that email.";
    case "NotAuthorizedException":
      if (/attempts exceeded/i.test(text)) return TOO_MANY;
      if (step === "signUp") return "Sign-up is closed here: an operator invites people. Ask yours for an invitation.";
      if (step === "confirm") return "This account is already confirmed: sign in.";
      if (step === "forgot" || step === "reset") return "This account's password can only be reset by an operator.";
      if (step === "mfa" || step === "setUp" || step === "newPassword") return SIGN_IN_AGAIN;
      if (step === "refresh") return FALLBACK.refresh;
      return "Wrong email or password.";
    case "InvalidParameterException":
      if (/already confirmed/i.test(text)) return "This account is already confirmed: sign in.";
      if (step === "signIn") return "Enter your email and password.";
      if (step === "signUp") return "Enter a valid email address and a password.";
      if (step === "forgot") return "This account has no verified email to send a code to; ask an operator.";
      return "Check what you entered and try again.";
    default:
      return FALLBACK[step] || "That did not work; try again.";
  }
}

function decodeClaims(token) {
  const payload = token.split(".")[1] || "";
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const text = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * The `otpauth://` URI an authenticator app reads for a new key (Google's Key Uri
 * Format): `otpauth://totp/homedir:<email>?secret=<KEY>&issuer=homedir`.
 */
export function otpauthUri(email, secret) {
  const account = encodeURIComponent(email).replace(/%40/g, "@");
  return `otpauth://totp/homedir:${account}?secret=${encodeURIComponent(secret)}&issuer=homedir`;
}

/**
 * Where a sign-in stands after a call: `{ signedIn: true }`, or the step Cognito
 * asks for next: `{ challenge, session, parameters, email }`.
 */
export class Auth {
  constructor(config) {
    this.config = config;
    this.refreshing = null;
    // Called (after the request that needed it) with each renewed session: a new ID
    // token carries the claims as they are now, a team an operator changed included.
    this.onRenewed = null;
  }

  /** The stored session, or null. */
  get session() {
    try {
      return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    } catch {
      return null;
    }
  }

  get signedIn() {
    return this.session !== null;
  }

  get email() {
    return this.session?.email ?? "";
  }

  /** The user pool's `sub` of the signed-in user (stable when the email changes), or "". */
  get userId() {
    try {
      return decodeClaims(this.session?.idToken || "").sub || "";
    } catch {
      return "";
    }
  }

  async #call(target, body, step) {
    let response;
    try {
      response = await fetch(this.config.cognitoUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
        },
        body: JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      throw new AuthError("Cannot reach the sign-in service. Check your connection.", "network");
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const type = String(answer.__type || "").split("#").pop();
      throw new AuthError(describe(type, answer.message ?? answer.Message, step), type);
    }
    return answer;
  }

  #store(result, refreshToken, email) {
    const claims = decodeClaims(result.IdToken);
    const session = {
      idToken: result.IdToken,
      refreshToken,
      email: claims.email || email,
      expiresAt: claims.exp * 1000,
    };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    return session;
  }

  /** Tokens (signed in), or the challenge Cognito asks for next. */
  #next(answer, email) {
    if (answer.AuthenticationResult) {
      const result = answer.AuthenticationResult;
      this.#store(result, result.RefreshToken, email);
      return { signedIn: true };
    }
    const challenge = answer.ChallengeName;
    if (!["SOFTWARE_TOKEN_MFA", "MFA_SETUP", "NEW_PASSWORD_REQUIRED"].includes(challenge)) {
      throw new AuthError(
        "This account needs a sign-in step this page does not offer (such as a text-message code); complete it once in another client.",
        challenge || "unknown",
      );
    }
    return { challenge, session: answer.Session, parameters: answer.ChallengeParameters || {}, email };
  }

  async #respond(step, email, challenge, session, responses) {
    const answer = await this.#call(
      "RespondToAuthChallenge",
      {
        ClientId: this.config.clientId,
        ChallengeName: challenge,
        Session: session,
        ChallengeResponses: { USERNAME: email, ...responses },
      },
      step,
    );
    return this.#next(answer, email);
  }

  // ---------------------------------------------------------------- signing in

  async signIn(email, password) {
    const answer = await this.#call(
      "InitiateAuth",
      {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: this.config.clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      },
      "signIn",
    );
    return this.#next(answer, email);
  }

  /** SOFTWARE_TOKEN_MFA: the authenticator app's current code. */
  answerCode(step, code) {
    return this.#respond("mfa", step.email, "SOFTWARE_TOKEN_MFA", step.session, { SOFTWARE_TOKEN_MFA_CODE: code });
  }

  /** NEW_PASSWORD_REQUIRED: an invited user's own password instead of the emailed one. */
  newPassword(step, password) {
    return this.#respond("newPassword", step.email, "NEW_PASSWORD_REQUIRED", step.session, { NEW_PASSWORD: password });
  }

  /** MFA_SETUP, first half: a new TOTP key; the step now carries it and a new session. */
  async newKey(step) {
    const answer = await this.#call("AssociateSoftwareToken", { Session: step.session }, "setUp");
    if (!answer.SecretCode) throw new AuthError(FALLBACK.setUp, "no_secret");
    return { ...step, session: answer.Session, secret: answer.SecretCode };
  }

  /** MFA_SETUP, second half: the new key's first code, then the sign-in finishes. */
  async verifyKey(step, code) {
    const answer = await this.#call(
      "VerifySoftwareToken",
      { Session: step.session, UserCode: code, FriendlyDeviceName: "homedir web" },
      "setUp",
    );
    if (answer.Status !== "SUCCESS") {
      throw new AuthError(describe("EnableSoftwareTokenMFAException", "", "setUp"), "EnableSoftwareTokenMFAException");
    }
    return this.#respond("setUp", step.email, "MFA_SETUP", answer.Session, {});
  }

  async #refresh(session) {
    const answer = await this.#call(
      "InitiateAuth",
      {
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: this.config.clientId,
        AuthParameters: { REFRESH_TOKEN: session.refreshToken },
      },
      "refresh",
    );
    // A refresh answers without a new refresh token: keep the one we have.
    const renewed = this.#store(answer.AuthenticationResult, session.refreshToken, session.email);
    setTimeout(() => this.onRenewed?.(renewed), 0);
    return renewed;
  }

  /** A valid ID token, refreshed first when it is about to expire. */
  async idToken() {
    const session = this.session;
    if (!session) throw new AuthError("You are signed out.", "signed_out");
    if (session.expiresAt - Date.now() > REFRESH_MARGIN_MS) return session.idToken;
    this.refreshing ??= this.#refresh(session).finally(() => {
      this.refreshing = null;
    });
    try {
      return (await this.refreshing).idToken;
    } catch (error) {
      this.forget();
      throw new AuthError("Your session has ended. Sign in again.", error.code);
    }
  }

  /**
   * Forgets the tokens, then revokes the refresh token at Cognito (which also ends
   * the access tokens issued with it). Resolves to whether Cognito confirmed it.
   */
  async signOut() {
    const session = this.session;
    this.forget();
    if (!session?.refreshToken) return true;
    try {
      await this.#call("RevokeToken", { ClientId: this.config.clientId, Token: session.refreshToken }, "revoke");
      return true;
    } catch {
      return false;
    }
  }

  forget() {
    sessionStorage.removeItem(STORAGE_KEY);
  }

  // ---------------------------------------------------------------- account

  /** SignUp: `{ confirmed, destination }` (where the code went, masked by Cognito). */
  async signUp(email, password) {
    const answer = await this.#call(
      "SignUp",
      {
        ClientId: this.config.clientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: "email", Value: email }],
      },
      "signUp",
    );
    return { confirmed: answer.UserConfirmed === true, destination: answer.CodeDeliveryDetails?.Destination || "" };
  }

  confirmSignUp(email, code) {
    return this.#call("ConfirmSignUp", { ClientId: this.config.clientId, Username: email, ConfirmationCode: code }, "confirm");
  }

  /** ResendConfirmationCode: where the new code went. */
  async resendCode(email) {
    const answer = await this.#call("ResendConfirmationCode", { ClientId: this.config.clientId, Username: email }, "resend");
    return answer.CodeDeliveryDetails?.Destination || "";
  }

  /** ForgotPassword: where the code went. */
  async forgotPassword(email) {
    const answer = await this.#call("ForgotPassword", { ClientId: this.config.clientId, Username: email }, "forgot");
    return answer.CodeDeliveryDetails?.Destination || "";
  }

  confirmForgotPassword(email, code, password) {
    return this.#call(
      "ConfirmForgotPassword",
      { ClientId: this.config.clientId, Username: email, ConfirmationCode: code, Password: password },
      "reset",
    );
  }
}
