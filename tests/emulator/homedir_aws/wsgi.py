"""WSGI plumbing every other module shares: reading the environ (headers, path, body) and
answering (JSON, or an answer held back to be looked at or rewritten first).

It exists because the emulator sits in front of moto's WSGI app: each correction reads
the request before moto does, and some change moto's answer before it leaves.
"""

from __future__ import annotations

import io
import json
from typing import Any, Callable, Iterable

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]


def header(environ: dict[str, Any], name: str) -> str:
    return environ.get("HTTP_" + name.upper().replace("-", "_"), "")


def request_path(environ: dict[str, Any]) -> str:
    """PATH_INFO as text: WSGI hands it over as latin-1 decoded bytes."""
    return environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, leaving it readable for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    body = stream.read(length) if length else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def json_response(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class Capture:
    """A start_response that keeps the status and headers (of its first call) instead
    of sending them, so that an answer can be looked at before it goes out."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: Headers = []

    def __call__(self, status: str, headers: Headers, *_: Any) -> Callable[[bytes], None]:
        if self.status is None:
            self.status, self.headers = status, headers
        return lambda data: None


def rewrite_ok_body(
    call: Callable[[StartResponse], Iterable[bytes]], start_response: StartResponse,
    rewrite: Callable[[bytes], bytes],
) -> list[bytes]:
    """Answer with what `call` answers, its body changed by `rewrite` if the status is
    200 (Content-Length follows the new body)."""
    capture = Capture()
    body = b"".join(call(capture))
    status, headers = capture.status, capture.headers
    assert status is not None, "the app answered without calling start_response"
    if status.startswith("200"):
        body = rewrite(body)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]
