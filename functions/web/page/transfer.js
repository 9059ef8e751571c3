// Uploads and downloads. A file up to the API's single-PUT limit goes in one PUT to
// /write-file; a larger one is a multipart upload: POST /write-file starts it and
// hands out presigned part URLs, the parts go straight to S3 in parallel (the bucket's
// CORS rule exposes each part's ETag), and POST /write-file completes it.
// XMLHttpRequest, not fetch: only it reports upload progress.

import { ApiError, describeStatus } from "./api.js";

const PARALLEL_PARTS = 4;
const PART_ATTEMPTS = 3;

function send(method, url, { headers = {}, body, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
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
  let code = "";
  try {
    code = JSON.parse(xhr.responseText)?.error?.code || "";
  } catch {
    // not JSON (S3 answers XML): the status says enough
  }
  return new ApiError(xhr.status, code, describeStatus(xhr.status, code));
}

/**
 * Uploads `file` to `key`; `onProgress(bytesSent)` as it goes. Resolves to the
 * API's answer ({key, etag, size, ...}).
 */
export async function upload(api, file, key, { onProgress, signal, maxFileBytes, headers = {} } = {}) {
  const contentType = file.type || "application/octet-stream";
  if (file.size <= maxFileBytes) {
    const token = await api.auth.idToken();
    const xhr = await send("PUT", api.url("write-file", { key }), {
      headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType, ...headers },
      body: file,
      onProgress,
      signal,
    });
    if (xhr.status < 200 || xhr.status > 299) throw failure(xhr);
    onProgress?.(file.size);
    return JSON.parse(xhr.responseText);
  }
  return uploadInParts(api, file, key, contentType, { onProgress, signal, headers });
}

async function uploadInParts(api, file, key, contentType, { onProgress, signal, headers }) {
  let plan = await api.json(
    "POST",
    "write-file",
    { key },
    { body: JSON.stringify({ size: file.size, content_type: contentType }), headers: { "Content-Type": "application/json" }, signal },
  );
  const uploadId = plan.upload_id;
  const sent = new Map();
  const report = () => onProgress?.([...sent.values()].reduce((a, b) => a + b, 0));
  const etags = [];
  try {
    for (;;) {
      const queue = [...plan.parts];
      const worker = async () => {
        for (let part = queue.shift(); part; part = queue.shift()) {
          const start = (part.number - 1) * plan.part_size;
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
          if (!etag) {
            throw new ApiError(0, "no_etag", "The storage did not show the part's ETag (check the bucket's CORS rule).");
          }
          sent.set(part.number, part.size);
          report();
          etags.push({ number: part.number, etag });
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_PARTS }, worker));
      if (!plan.next_part) break;
      plan = await api.json("GET", "write-file", { key, upload_id: uploadId, from_part: plan.next_part }, { signal });
    }
    etags.sort((a, b) => a.number - b.number);
    return await api.json(
      "POST",
      "write-file",
      { key, upload_id: uploadId },
      { body: JSON.stringify({ parts: etags }), headers: { "Content-Type": "application/json", ...headers }, signal },
    );
  } catch (error) {
    // Nothing half-done stays behind (the bucket's lifecycle rule would abort it too).
    await api.call("DELETE", "write-file", { key, upload_id: uploadId }).catch(() => {});
    throw error;
  }
}

/** Hands `href` to the browser as a download named `name`. */
function save(href, name) {
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * Downloads `key` (or one of its versions): a small file through the API into a blob,
 * a large one by handing the browser a presigned link (download=1 makes S3 send it as
 * an attachment with the file's name).
 */
export async function download(api, key, { size, version, maxFileBytes } = {}) {
  const name = key.split("/").pop();
  if (size !== undefined && size <= maxFileBytes) {
    const response = await api.call("GET", "read-file", { key, version });
    const url = URL.createObjectURL(await response.blob());
    save(url, name);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return;
  }
  const link = await api.json("GET", "read-file", { key, version, link: 1, download: 1 });
  save(link.url, name);
}
