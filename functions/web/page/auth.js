// Sign-in straight to the Cognito user pool API from the browser: InitiateAuth with
// USER_PASSWORD_AUTH (the flow the template's public app client allows), refreshed with
// REFRESH_TOKEN_AUTH. The tokens live in sessionStorage: they survive a reload, not
// the tab, and no other site can read them.

const STORAGE_KEY = "homedir.session";
// Refresh this long before the ID token expires, so no request leaves with a token
// that expires on the way.
const REFRESH_MARGIN_MS = 120_000;

/** A sign-in or refresh that Cognito refused, in words. */
export class AuthError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const COGNITO_MESSAGES = {
  NotAuthorizedException: "Wrong email or password.",
  UserNotFoundException: "Wrong email or password.",
  UserNotConfirmedException: "This account is not confirmed yet: confirm it with the code you were sent.",
  PasswordResetRequiredException: "This account's password must be reset first.",
  TooManyRequestsException: "Too many attempts; wait a moment and try again.",
  LimitExceededException: "Too many attempts; wait a moment and try again.",
  InvalidParameterException: "Enter your email and password.",
};

function decodeClaims(token) {
  const payload = token.split(".")[1] || "";
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const text = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export class Auth {
  constructor(config) {
    this.config = config;
    this.refreshing = null;
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

  async #call(target, body) {
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
      throw new AuthError(COGNITO_MESSAGES[type] || "Sign-in failed; try again.", type);
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

  async signIn(email, password) {
    const answer = await this.#call("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: this.config.clientId,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    });
    if (!answer.AuthenticationResult) {
      throw new AuthError(
        answer.ChallengeName === "NEW_PASSWORD_REQUIRED"
          ? "This account must choose a new password first (homedir login on the command line, or the hosted UI)."
          : "This account needs a sign-in step this page does not offer.",
        answer.ChallengeName,
      );
    }
    const result = answer.AuthenticationResult;
    return this.#store(result, result.RefreshToken, email);
  }

  async #refresh(session) {
    const answer = await this.#call("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: this.config.clientId,
      AuthParameters: { REFRESH_TOKEN: session.refreshToken },
    });
    // A refresh answers without a new refresh token: keep the one we have.
    return this.#store(answer.AuthenticationResult, session.refreshToken, session.email);
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

  /** Forgets the tokens and, best effort, revokes the refresh token at Cognito. */
  async signOut() {
    const session = this.session;
    this.forget();
    if (session?.refreshToken) {
      await this.#call("RevokeToken", {
        ClientId: this.config.clientId,
        Token: session.refreshToken,
      }).catch(() => {});
    }
  }

  forget() {
    sessionStorage.removeItem(STORAGE_KEY);
  }
}
