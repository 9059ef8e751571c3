// Uploads, downloads and the one transfer panel of the session.
//
// A file up to the API's single-PUT limit goes in one PUT to /write-file; a larger one
// is a multipart upload: POST /write-file starts it and hands out presigned part URLs,
// the parts go straight to S3 four at a time (the bucket's CORS rule exposes each
// part's ETag), and POST /write-file completes it. A completion S3 is still working
// on is answered 202: the same completion is sent again after `retry_after` seconds,
// never the parts. A failed upload keeps its upload id, so Retry sends only the parts
// S3 does not hold yet; Cancel aborts it (nothing of it stays).
// XMLHttpRequest, not fetch: only it reports upload progress.
//
// A download up to the single-PUT limit comes through the API with its progress in
// the panel; a larger one is handed to the browser through a presigned link
// (download=1), so the browser's own download shows its progress.

import { ApiError, describeAnswer, sleep } from "./api.js";
import { $, button, count, displayName, el, formatSize, icon, nameNode } from "./ui.js";

const PARALLEL_PARTS = 4;
const PART_ATTEMPTS = 3;
const COMPLETE_ATTEMPTS = 60;
const PARALLEL_TRANSFERS = 3;

function send(method, url, { headers = {}, body, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("aborted", "AbortError"));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new ApiError(0, "network", "Cannot reach the service. Check your connection."));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

function failure(xhr) {
  let answer = {};
  try {
    answer = JSON.parse(xhr.responseText) || {};
  } catch {
    // not JSON (S3 answers XML): the status says enough
  }
  const code = answer?.error?.code || "";
  return new ApiError(xhr.status, code, describeAnswer(xhr.status, answer));
}

/**
 * An upload of `file` to `key` that can be started again: `run({onProgress,
 * signal, headers})` resolves to the API's answer ({key, etag, size, ...});
 * `discard()` aborts a multipart upload left behind. `headers` carry the condition
 * (If-None-Match: * or If-Match: <etag>).
 */
export function uploadJob(api, file, maxFileBytes) {
  const contentType = file.type || "application/octet-stream";
  // A multipart upload's state, kept across retries.
  let multipart = null;

  async function single(key, { onProgress, signal, headers }) {
    const token = await api.auth.idToken();
    const xhr = await send("PUT", api.url("write-file", { key }), {
      headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType, ...headers },
      body: file,
      onProgress,
      signal,
    });
    if (xhr.status < 200 || xhr.status > 299) {
      const error = failure(xhr);
      if (error.code === "no_team") api.onNoTeam?.();
      throw error;
    }
    onProgress?.(file.size);
    return JSON.parse(xhr.responseText);
  }

  async function inParts(key, { onProgress, onNote, signal, headers }) {
    if (multipart && multipart.key !== key) await discard();
    if (!multipart) {
      const plan = await api.json(
        "POST",
        "write-file",
        { key },
        { body: JSON.stringify({ size: file.size, content_type: contentType }), headers: { "Content-Type": "application/json" }, signal },
      );
      multipart = { key, uploadId: plan.upload_id, partSize: plan.part_size, plan, etags: new Map(), complete: false };
    } else if (!multipart.complete) {
      // Resuming: what S3 holds, and fresh URLs for the rest.
      const plan = await api.json("GET", "write-file", { key, upload_id: multipart.uploadId }, { signal });
      for (const part of plan.uploaded) multipart.etags.set(part.number, part.etag);
      multipart.plan = plan;
    }
    const state = multipart;
    const sent = new Map();
    for (const number of state.etags.keys()) sent.set(number, Math.min(state.partSize, file.size - (number - 1) * state.partSize));
    const report = () => onProgress?.([...sent.values()].reduce((a, b) => a + b, 0));
    report();
    let plan = state.plan;
    while (!state.complete) {
      const queue = plan.parts.filter((part) => !state.etags.has(part.number));
      const worker = async () => {
        for (let part = queue.shift(); part; part = queue.shift()) {
          const start = (part.number - 1) * state.partSize;
          const blob = file.slice(start, start + part.size);
          let xhr;
          for (let attempt = 1; ; attempt++) {
            try {
              xhr = await send("PUT", part.url, {
                body: blob,
                signal,
                onProgress: (loaded) => {
                  sent.set(part.number, loaded);
                  report();
                },
              });
              if (xhr.status >= 500 && attempt < PART_ATTEMPTS) continue;
              break;
            } catch (error) {
              if (error.name === "AbortError" || attempt >= PART_ATTEMPTS) throw error;
            }
          }
          if (xhr.status < 200 || xhr.status > 299) {
            throw new ApiError(xhr.status, "part_refused", `The storage refused part ${part.number} (HTTP ${xhr.status}).`);
          }
          const etag = xhr.getResponseHeader("ETag");
          if (!etag) throw new ApiError(0, "no_etag", "The storage did not show the part's ETag (check the bucket's CORS rule).");
          sent.set(part.number, part.size);
          report();
          state.etags.set(part.number, etag);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_PARTS }, worker));
      if (!plan.next_part) break;
      plan = await api.json("GET", "write-file", { key, upload_id: state.uploadId, from_part: plan.next_part }, { signal });
    }
    state.complete = true;
    // Every part is at S3: from here on only the completion is ever repeated.
    const parts = [...state.etags.entries()].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }));
    const body = JSON.stringify({ parts });
    onNote?.("every part sent; being put together…");
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await api.call("POST", "write-file", { key, upload_id: state.uploadId }, { body, headers: { "Content-Type": "application/json", ...headers }, signal });
      } catch (error) {
        // A lost answer: ask again (the completion is idempotent); anything the API refused: stop.
        if (error.name === "AbortError" || error.status !== 0 || attempt >= COMPLETE_ATTEMPTS) throw error;
        await sleep(Math.min(1000 * attempt, 5000), signal);
        continue;
      }
      const answer = await response.json();
      if (response.status === 202 && attempt < COMPLETE_ATTEMPTS) {
        const wait = Math.max(1, Number(answer.retry_after) || 5);
        onNote?.(`still being put together; asking again in ${wait} s…`);
        await sleep(wait * 1000, signal);
        continue;
      }
      if (response.status === 202) throw new ApiError(202, "completing", "The storage is still putting the file together; try again later.");
      multipart = null;
      return answer;
    }
  }

  async function discard() {
    const state = multipart;
    multipart = null;
    if (state) await api.call("DELETE", "write-file", { key: state.key, upload_id: state.uploadId }).catch(() => {});
  }

  return {
    run(key, options) {
      return file.size <= maxFileBytes ? single(key, options) : inParts(key, options);
    },
    discard,
    get partsSent() {
      return multipart?.complete === true;
    },
  };
}

/** Hands `href` to the browser as a download named `name`. */
export function save(href, name) {
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * Downloads `key` (or one of its versions): a small file through the API, read with
 * its progress, then saved from memory; a large one handed to the browser through a
 * presigned link. Resolves to "saved" or "handed".
 */
export async function download(api, key, { size, version, maxFileBytes, onProgress, signal } = {}) {
  const name = key.split("/").pop();
  if (size !== undefined && size !== null && size <= maxFileBytes) {
    const response = await api.call("GET", "read-file", { key, version }, { signal });
    const total = Number(response.headers.get("Content-Length")) || size;
    const chunks = [];
    let received = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onProgress?.(received, total);
    }
    const blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "application/octet-stream" });
    const url = URL.createObjectURL(blob);
    save(url, name);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return "saved";
  }
  const link = await api.link(key, { version, download: true });
  save(link.url, name);
  return "handed";
}

// ------------------------------------------------------------------ the panel

/**
 * The transfers of this session: each {kind, name, key, size, run(ctx)} runs in
 * turn (three at a time), with progress, speed, Cancel and Retry. The panel opens
 * when a transfer starts; Clear finished (and closing the panel) removes what is done.
 */
export class Transfers {
  constructor() {
    this.items = [];
    this.running = 0;
    this.nextId = 1;
    this.pending = null;
    $("transfers-close").addEventListener("click", () => this.close());
    $("transfers-clear").addEventListener("click", () => this.clearFinished());
    $("show-transfers").addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    this.render();
  }

  get isOpen() {
    return !$("transfers").hidden;
  }

  open() {
    $("transfers").hidden = false;
    $("show-transfers").setAttribute("aria-expanded", "true");
  }

  close() {
    $("transfers").hidden = true;
    $("show-transfers").setAttribute("aria-expanded", "false");
    this.clearFinished();
    if (document.activeElement === document.body) $("show-transfers").focus();
  }

  clearFinished() {
    this.items = this.items.filter((item) => item.state === "queued" || item.state === "running" || item.state === "failed");
    this.render();
  }

  /** Cancels everything (signing out). */
  cancelAll() {
    for (const item of this.items) this.cancel(item);
    this.items = [];
    this.render();
  }

  /**
   * Adds a transfer; resolves when it ends (done, failed, cancelled) to the item,
   * whose `state` says which and `result` is what `run` resolved to. A retried
   * item resolves again through `onEnd`.
   */
  add({ kind, name, key, size, run, onEnd, discard }) {
    const item = { id: this.nextId++, kind, name, key, size, run, onEnd, discard, state: "queued", sent: 0, speed: 0, error: "", controller: null, result: undefined };
    this.items.push(item);
    this.open();
    const ended = new Promise((resolve) => {
      item.resolve = resolve;
    });
    this.pump();
    this.render();
    return ended;
  }

  pump() {
    while (this.running < PARALLEL_TRANSFERS) {
      const item = this.items.find((i) => i.state === "queued");
      if (!item) break;
      this.start(item);
    }
  }

  async start(item) {
    this.running++;
    item.state = "running";
    item.error = "";
    item.code = "";
    item.note = "";
    item.sent = 0;
    item.speed = 0;
    item.mark = { at: performance.now(), bytes: 0 };
    item.controller = new AbortController();
    this.render();
    try {
      item.result = await item.run({
        signal: item.controller.signal,
        progress: (sent, total) => this.progress(item, sent, total),
        note: (text) => {
          item.note = text;
          this.render();
        },
      });
      item.state = item.result === "skipped" ? "skipped" : "done";
      item.sent = item.size ?? item.sent;
    } catch (error) {
      if (error?.name === "AbortError") {
        item.state = "cancelled";
      } else {
        item.state = "failed";
        item.error = error?.message || "It failed.";
        item.code = error?.code || "";
      }
    } finally {
      this.running--;
      item.controller = null;
      this.render();
      item.resolve?.(item);
      item.onEnd?.(item);
      this.pump();
    }
  }

  progress(item, sent, total) {
    item.sent = sent;
    if (total && !item.size) item.size = total;
    const now = performance.now();
    const elapsed = now - item.mark.at;
    if (elapsed >= 500) {
      const rate = ((sent - item.mark.bytes) * 1000) / elapsed;
      item.speed = item.speed ? item.speed * 0.5 + rate * 0.5 : rate;
      item.mark = { at: now, bytes: sent };
    }
    this.render();
  }

  cancel(item) {
    if (item.state === "running") item.controller?.abort();
    else if (item.state === "queued") {
      item.state = "cancelled";
      item.resolve?.(item);
      item.onEnd?.(item);
    } else return;
    // A cancelled multipart upload leaves nothing behind.
    item.discard?.();
    this.render();
  }

  retry(item) {
    item.state = "queued";
    item.resolve = null;
    this.pump();
    this.render();
  }

  remove(item) {
    if (item.state === "running" || item.state === "queued") this.cancel(item);
    this.items = this.items.filter((i) => i !== item);
    this.render();
  }

  render() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = null;
      this.draw();
    });
  }

  draw() {
    const active = this.items.filter((i) => i.state === "running" || i.state === "queued").length;
    const failed = this.items.filter((i) => i.state === "failed").length;
    const badge = $("transfers-count");
    badge.textContent = active ? String(active) : failed ? "!" : "";
    badge.hidden = !active && !failed;
    $("show-transfers").setAttribute("aria-label", active ? `Transfers, ${count(active, "running")}` : failed ? `Transfers, ${count(failed, "failed")}` : "Transfers");
    const done = this.items.filter((i) => i.state === "done" || i.state === "skipped").length;
    $("transfers-summary").textContent = this.items.length
      ? [active && `${active} in progress`, done && `${done} done`, failed && `${failed} failed`].filter(Boolean).join(", ")
      : "Nothing uploaded or downloaded yet in this session.";
    $("transfers-clear").disabled = !this.items.some((i) => i.state === "done" || i.state === "cancelled" || i.state === "skipped");
    const focusedId = document.activeElement?.closest?.("#transfers-list li")?.dataset.id;
    const focusedRole = document.activeElement?.dataset?.role;
    const rows = this.items.map((item) => this.row(item));
    $("transfers-list").replaceChildren(...rows);
    if (focusedId && focusedRole) {
      const again = $("transfers-list").querySelector(`li[data-id="${focusedId}"] [data-role="${focusedRole}"]`);
      (again || $("transfers-close")).focus();
    }
  }

  row(item) {
    const verb = item.kind === "upload" ? "Uploading" : "Downloading";
    const shown = displayName(item.name);
    const size = item.size ?? 0;
    const progress = el("progress", { max: String(Math.max(size, 1)), value: String(item.state === "done" ? Math.max(size, 1) : Math.min(item.sent, Math.max(size, 1))), "aria-label": `${verb} ${shown}` });
    if (item.state === "queued") progress.removeAttribute("value");
    let note;
    if (item.state === "queued") note = "waiting…";
    else if (item.state === "running") {
      note = item.note || `${formatSize(item.sent)} of ${formatSize(size)}${item.speed > 0 ? ` · ${formatSize(item.speed)}/s` : ""}`;
    } else if (item.state === "done") note = item.kind === "upload" ? "uploaded" : item.result === "handed" ? "handed to your browser's downloads" : "downloaded";
    else if (item.state === "skipped") note = "skipped: a file with that name exists";
    else if (item.state === "cancelled") note = "cancelled";
    else note = item.error || "failed";
    const actions = [];
    if (item.state === "running" || item.state === "queued") {
      actions.push(button("Cancel", () => this.cancel(item), { ariaLabel: `Cancel ${item.kind === "upload" ? "the upload" : "the download"} of ${shown}`, iconName: "close", iconOnly: true, attributes: { "data-role": "cancel" } }));
    }
    if (item.state === "failed" || item.state === "cancelled") {
      actions.push(button("Retry", () => this.retry(item), { ariaLabel: `Retry ${shown}`, iconName: "refresh", iconOnly: true, attributes: { "data-role": "retry" } }));
    }
    if (item.state !== "running" && item.state !== "queued") {
      actions.push(button("Remove", () => this.remove(item), { ariaLabel: `Remove ${shown} from the list`, iconName: "close", iconOnly: true, className: "quiet", attributes: { "data-role": "remove" } }));
    }
    return el(
      "li",
      { class: `transfer ${item.state}`, "data-id": String(item.id), "data-key": item.key },
      el("span", { class: "transfer-icon" }, icon(item.kind === "upload" ? "upload" : "download")),
      el("span", { class: "transfer-name", title: item.key }, nameNode(item.name)),
      el("span", { class: "transfer-actions" }, actions),
      progress,
      el("span", { class: "transfer-note", text: note }),
    );
  }
}
