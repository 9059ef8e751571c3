"""Correction d, the call log: every AWS API request, in order, as
{"service", "operation", "access_key"}, plus a count of JWKS fetches.

It exists so that tests can assert which calls the code under test made, with which
credentials (the functions' own key, or the per-user keys Cognito issued), and how often
it fetched the user pool's JWKS. Served at GET /_homedir/calls, cleared by
POST /_homedir/calls/reset (app.py).
"""

from __future__ import annotations

import threading
from typing import Any

from .request import AwsRequest


class CallLog:
    """Ordered record of AWS API calls, plus a count of JWKS fetches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[dict[str, str | None]] = []
        self._jwks_fetches = 0

    def record(self, request: AwsRequest) -> None:
        entry = {"service": request.service, "operation": request.operation, "access_key": request.access_key}
        with self._lock:
            self._calls.append(entry)

    def count_jwks_fetch(self) -> None:
        with self._lock:
            self._jwks_fetches += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": list(self._calls), "jwks_fetches": self._jwks_fetches}

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._jwks_fetches = 0

