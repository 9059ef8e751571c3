// The homedir API, same origin as the page. Keys travel in the query string, which
// the API decodes the way forms encode it (URLSearchParams: `+` and %20 are a space,
// %2B a plus sign), so every query here is built by URLSearchParams.

import { formatSize } from "./ui.js";

/** A failed API call: the HTTP status, the API's error code and words for people. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The API's error codes (docs/api.md, "Errors"), in words. Never the raw body.
const MESSAGES = {
  invalid_key: "That name cannot be used: no empty, \".\" or \"..\" parts, no \"/\" at either end, no control or text-direction characters.",
  invalid_request: "The request was refused as malformed.",
  missing_token: "Your session has ended. Sign in again.",
  invalid_token: "Your session has ended. Sign in again.",
  user_disabled: "This account is disabled.",
  no_team: "Your account no longer belongs to a team, so its space is closed to you: you are back in My files.",
  forbidden: "You do not have access to that file.",
  not_found: "That file no longer exists.",
  method_not_allowed: "The service does not offer that operation.",
  precondition_failed: "The file changed in the meantime. Refresh and try again.",
  payload_too_large: "That file is too large for this operation.",
  upstream_throttled: "The service is busy. Try again in a moment.",
  upstream_unavailable: "The service is unavailable right now. Try again in a moment.",
  internal: "Something went wrong on the server.",
  quota_exceeded: "This space is full: delete what you can spare, and ask an operator to empty the trash and old versions, or for more room.",
};

export function describeStatus(status, code) {
  return MESSAGES[code] || `The service answered with an error (HTTP ${status}).`;
}

/**
 * A 507 in words, from the numbers it carries ({used, quota, size} in bytes): how full
 * the space is, and what the write needed when the space was not full yet; then how
 * room is made (deleting frees nothing until the old versions expire).
 */
export function quotaMessage({ used, quota, size }) {
  const head =
    used >= quota
      ? `This space is full: it holds ${formatSize(used)} of its ${formatSize(quota)} quota.`
      : `This space has no room for this: it holds ${formatSize(used)} of its ${formatSize(quota)} quota (${formatSize(quota - used)} free), and this needs ${formatSize(size)}.`;
  return `${head} Deleted files and old versions count until they expire: delete what you can spare, and ask an operator to empty the trash and old versions, or for more room.`;
}

/** The words for an error answer: its code's, or a 507's with its numbers. Never the raw body. */
export function describeAnswer(status, answer) {
  const error = answer?.error || {};
  const code = error.code || "";
  if (code === "quota_exceeded" && [error.used, error.quota, error.size].every(Number.isFinite)) return quotaMessage(error);
  return describeStatus(status, code);
}

/** `name=value&…` for the values that are set, form-encoded. */
export function encodeQuery(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== false) query.append(name, String(value));
  }
  return query.toString();
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      },
      { once: true },
    );
  });
export { sleep };

/** Runs `work(item)` over `items`, `limit` at a time; stops taking new items once `signal` aborts. */
export async function pool(items, limit, work, signal) {
  const queue = [...items];
  const worker = async () => {
    while (queue.length && !signal?.aborted) await work(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

export class Api {
  /** `apiBase` is "" behind API Gateway (/list) and /lambda-url locally (/lambda-url/list/). */
  constructor(config, auth, onSignedOut) {
    this.base = config.apiBase || "";
    this.auth = auth;
    this.onSignedOut = onSignedOut;
    // The space every request names: "home" (the API's default) or "team" (docs/api.md, "Team spaces").
    this.space = "home";
    // Called when the API answers 403 no_team: the token no longer carries a team.
    this.onNoTeam = null;
  }

  /**
   * This API in `space` ("home" or "team"): the same base, token and callbacks (it
   * reads them from this one), every request naming that space. A long action takes
   * one when it starts and keeps it, so it ends in the space it began in.
   */
  in(space) {
    const view = Object.create(this);
    view.space = space;
    return view;
  }

  /**
   * A route's address: the one place every request of the page (fetch and the
   * uploads' XMLHttpRequests alike) gets its query, so the space is added here and
   * nowhere else (`space=team`; the home is the default and is not written).
   */
  url(route, params = {}) {
    const path = this.base ? `${this.base}/${route}/` : `/${route}`;
    const query = encodeQuery(this.space === "team" ? { ...params, space: "team" } : params);
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
    if (code === "no_team") this.onNoTeam?.();
    throw new ApiError(response.status, code, describeAnswer(response.status, answer));
  }

  async json(method, route, params, options) {
    return (await this.call(method, route, params, options)).json();
  }

  /** One page of a listing. */
  page(params, signal) {
    return this.json("GET", "list", params, { signal });
  }

  /** Every page of a listing, following next_cursor; `onPage(items)` after each. */
  async all(params, field, { signal, onPage } = {}) {
    const items = { files: [], folders: [], versions: [] };
    let cursor;
    do {
      const page = await this.page({ ...params, cursor }, signal);
      for (const name of ["files", "folders", "versions"]) {
        if (page[name]) items[name].push(...page[name]);
      }
      onPage?.(field ? items[field] : items, page);
      cursor = page.next_cursor;
    } while (cursor && !signal?.aborted);
    return field ? items[field] : items;
  }

  /** The file `key` as the listing shows it ({key, size, etag, last_modified}), or null. */
  async stat(key, signal) {
    // The key itself sorts first among the keys it is a prefix of.
    const page = await this.page({ prefix: key, limit: 1 }, signal);
    const file = page.files?.[0];
    return file && file.key === key ? file : null;
  }

  /** Deletes the file `key` if it exists (If-Match: *): the delete marker's version, or null if it was gone. */
  async deleteFile(key) {
    try {
      const response = await this.call("DELETE", "delete", { key }, { headers: { "If-Match": "*" } });
      return response.headers.get("x-version-id") || "";
    } catch (error) {
      if (error.code === "precondition_failed") return null;
      throw error;
    }
  }

  /**
   * Undoes the delete of `key` that wrote the delete marker `marker`: the newest version
   * before it comes back (as a new version). False when the file changed since (the
   * marker is no longer its current state) or has nothing to restore.
   */
  async undeleteFile(key, marker) {
    const versions = await this.all({ key, versions: 1 }, "versions");
    const current = versions.find((v) => v.latest);
    if (!current?.deleted || (marker && current.version_id !== marker)) return false;
    const before = versions.find((v) => !v.deleted);
    if (!before) return false;
    try {
      await this.json("PUT", "write-file", { key, restore: before.version_id }, { headers: { "If-None-Match": "*" } });
      return true;
    } catch (error) {
      if (error.code === "precondition_failed") return false;
      throw error;
    }
  }

  /** Deletes everything under `prefix`, batch after batch; `onBatch(total)`; resolves to the count. */
  async deleteFolder(prefix, onBatch, signal) {
    let deleted = 0;
    let cursor;
    do {
      const page = await this.json("DELETE", "delete", { prefix, cursor }, { signal });
      deleted += page.deleted;
      onBatch?.(deleted);
      cursor = page.next_cursor;
    } while (cursor && !signal?.aborted);
    return deleted;
  }

  /** Restores the deleted files under `prefix` (the API's folder restore), batch after batch. */
  async restoreFolder(prefix, onBatch, signal) {
    const total = { restored: 0, skipped: 0 };
    let cursor;
    do {
      const page = await this.json("PUT", "write-file", { prefix, undelete: 1, cursor }, { signal });
      total.restored += page.restored;
      total.skipped += page.skipped;
      onBatch?.(total);
      cursor = page.next_cursor;
    } while (cursor && !signal?.aborted);
    return total;
  }

  /** A presigned GET of `key`: {url, expires_at, size, etag, content_type, version_id}. */
  link(key, { expires, download, version } = {}) {
    return this.json("GET", "read-file", { key, version, link: 1, expires, download: download ? 1 : undefined });
  }
}
