// The homedir API, same origin as the page. Keys travel percent-encoded in the query
// string (a space as %20: `+` is a literal plus to the API).

/** A failed API call: the HTTP status, the API's error code and words for people. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The API's error codes (README, "Errors"), in words. Never the raw body.
const MESSAGES = {
  invalid_key: "That name cannot be used: no empty, \".\" or \"..\" parts, no leading or trailing \"/\".",
  invalid_request: "The request was refused as malformed.",
  missing_token: "Your session has ended. Sign in again.",
  invalid_token: "Your session has ended. Sign in again.",
  user_disabled: "This account is disabled.",
  forbidden: "You do not have access to that file.",
  not_found: "That file no longer exists.",
  method_not_allowed: "The service does not offer that operation.",
  precondition_failed: "The file changed in the meantime. Refresh and try again.",
  payload_too_large: "That file is too large.",
  upstream_throttled: "The service is busy. Try again in a moment.",
  upstream_unavailable: "The service is unavailable right now. Try again in a moment.",
  internal: "Something went wrong on the server.",
};

export function describeStatus(status, code) {
  return MESSAGES[code] || `The service answered with an error (HTTP ${status}).`;
}

export function encodeQuery(params) {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join("&");
}

export class Api {
  /** `apiBase` is "" behind API Gateway (/list) and /lambda-url under cargo lambda watch (/lambda-url/list/). */
  constructor(config, auth, onSignedOut) {
    this.base = config.apiBase || "";
    this.auth = auth;
    this.onSignedOut = onSignedOut;
  }

  url(route, params = {}) {
    const path = this.base ? `${this.base}/${route}/` : `/${route}`;
    const query = encodeQuery(params);
    return query ? `${path}?${query}` : path;
  }

  /** Calls a route; resolves to the Response when it is 2xx, else throws ApiError. */
  async call(method, route, params = {}, { body, headers = {}, signal } = {}) {
    const token = await this.auth.idToken().catch((error) => {
      this.onSignedOut?.();
      throw new ApiError(401, "invalid_token", error.message);
    });
    let response;
    try {
      response = await fetch(this.url(route, params), {
        method,
        headers: { Authorization: `Bearer ${token}`, ...headers },
        body,
        signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "network", "Cannot reach the service. Check your connection.");
    }
    if (response.ok) return response;
    const answer = await response.json().catch(() => ({}));
    const code = answer?.error?.code || "";
    if (code === "missing_token" || code === "invalid_token") this.onSignedOut?.();
    throw new ApiError(response.status, code, describeStatus(response.status, code));
  }

  async json(method, route, params, options) {
    return (await this.call(method, route, params, options)).json();
  }

  /** Every page of a listing, following next_cursor. */
  async all(params, field) {
    const items = { files: [], folders: [], versions: [] };
    let cursor;
    do {
      const page = await this.json("GET", "list", { ...params, cursor });
      for (const name of ["files", "folders", "versions"]) {
        if (page[name]) items[name].push(...page[name]);
      }
      cursor = page.next_cursor;
    } while (cursor);
    return field ? items[field] : items;
  }

  /** Deletes everything under `prefix`, batch after batch; resolves to the count. */
  async deleteFolder(prefix, onBatch) {
    let deleted = 0;
    let cursor;
    do {
      const page = await this.json("DELETE", "delete", { prefix, cursor });
      deleted += page.deleted;
      onBatch?.(deleted);
      cursor = page.next_cursor;
    } while (cursor);
    return deleted;
  }
}
