"""Correction g, fault injection: make chosen operations throttle, fail or stall, so the
Rust tests can prove retries, backoff and the 503 `upstream_throttled` /
`upstream_unavailable` answers. Faulted requests are still in the call log (calls.py).

    POST /_homedir/faults        {"operation": "GetId", "kind": "throttle"|"error"|"delay",
                                  "times": N (optional; default: until reset),
                                  "after": M (optional; default 0),
                                  "delay_secs": S (delay only)}      -> {"ok": true}
    POST /_homedir/faults/reset                                      -> {"ok": true}

"after": M lets the next M requests of the operation through untouched (each one
counts, whatever another fault does to it), then the fault applies, to `times`
requests or until reset: {"operation": "UploadPartCopy", "kind": "error", "after": 2,
"times": 1} fails the third part copy of a copy in parts, and only that one.

Error shapes, as the services document them:
- Cognito Identity and Cognito user pools (JSON): throttled is HTTP 400
  {"__type": "TooManyRequestsException", "message": "Rate exceeded"}; an internal error is
  HTTP 500 {"__type": "InternalErrorException", ...}. See the Errors section of e.g.
  GetId https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetId.html and
  AdminGetUser https://docs.aws.amazon.com/cognito-user-pools/latest/APIReference/API_AdminGetUser.html
- S3 (XML): 503 SlowDown "Please reduce your request rate." and 500 InternalError, from
  Error responses https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
- The user pool JWKS (a plain HTTPS document): 429 when throttled, 500 on error.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from .request import AwsRequest
from .s3errors import S3Error, s3_error_response
from .wsgi import StartResponse

KINDS = ("throttle", "error", "delay")


@dataclass
class Fault:
    operation: str
    kind: str
    times: int | None  # None: every matching request until reset
    delay_secs: float = 0.0
    after: int = 0  # matching requests still to let through before the fault applies


class FaultError(ValueError):
    """The fault request is not well-formed."""


def parse_fault(body: Any) -> Fault:
    """A Fault from the endpoint's JSON body, or FaultError saying what is wrong."""
    if not isinstance(body, dict):
        raise FaultError("body must be a JSON object")
    operation, kind = body.get("operation"), body.get("kind")
    if not isinstance(operation, str) or not operation:
        raise FaultError("operation must be a non-empty string")
    if kind not in KINDS:
        raise FaultError(f"kind must be one of {', '.join(KINDS)}")
    times = body.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise FaultError("times must be a positive integer")
    after = body.get("after", 0)
    if after is None:
        after = 0
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise FaultError("after must be a non-negative integer")
    delay = body.get("delay_secs", 0)
    if kind == "delay" and (not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0):
        raise FaultError("delay_secs must be a non-negative number")
    return Fault(operation, kind, times, float(delay or 0), after)


class Faults:
    """The active faults. Per request of an operation, every fault of that operation
    still waiting (`after`) counts it; of the others, the first added applies, and is
    consumed if it has `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, operation: str) -> Fault | None:
        """The fault to apply to one request of `operation`, counting it down."""
        applied = None
        with self._lock:
            for fault in list(self._faults):
                if fault.operation != operation:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                if applied is None:
                    applied = fault
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
        return applied


def cognito_fault_body(kind: str) -> tuple[str, dict[str, str]]:
    if kind == "throttle":
        return "400 Bad Request", {"__type": "TooManyRequestsException", "message": "Rate exceeded"}
    return "500 Internal Server Error", {"__type": "InternalErrorException",
                                         "message": "An internal error occurred (injected fault)."}


def s3_fault(kind: str) -> tuple[str, str, str]:
    if kind == "throttle":
        return "503 Slow Down", "SlowDown", "Please reduce your request rate."
    return "500 Internal Server Error", "InternalError", "We encountered an internal error. Please try again."


def jwks_fault_status(kind: str) -> str:
    return "429 Too Many Requests" if kind == "throttle" else "500 Internal Server Error"


def fault_response(kind: str, request: AwsRequest, start_response: StartResponse) -> list[bytes]:
    """An injected throttle or error, in the called service's own error shape."""
    if request.service == "s3":
        return s3_error_response(S3Error(*s3_fault(kind)), request, start_response)
    status, body = cognito_fault_body(kind)
    data = json.dumps(body).encode("utf-8")
    start_response(status, [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Length", str(len(data))),
        ("x-amzn-ErrorType", body["__type"]),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ])
    return [data]
