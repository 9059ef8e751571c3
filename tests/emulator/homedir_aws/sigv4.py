"""AWS Signature Version 4 verification for S3 requests, as S3 checks it.

The emulator verifies the signatures of requests signed with credentials it issued, so a
client that signs wrongly (a key encoded twice, a header it forgot to sign, a presigned URL
edited after signing) fails locally as it would against S3. It follows:

- Authenticating Requests: Using the Authorization Header (AWS Signature Version 4)
  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
- Signature Calculations for the Authorization Header: Transferring Payload in a Single
  Chunk (AWS Signature Version 4) — the canonical request: HTTP method, canonical URI (the
  path URI-encoded once: S3 does not normalize or double-encode it), canonical query
  string (names and values URI-encoded, sorted), canonical headers (the SignedHeaders,
  lower-cased, values trimmed with sequential spaces folded), SignedHeaders, and the
  payload hash as sent in x-amz-content-sha256.
  https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
- Authenticating Requests: Using Query Parameters (AWS Signature Version 4) — presigned
  URLs: X-Amz-Algorithm, -Credential, -Date, -Expires (at most 604800 seconds),
  -SignedHeaders, -Signature, -Security-Token; the canonical query string leaves out
  X-Amz-Signature; the payload is UNSIGNED-PAYLOAD.
  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
- Error responses (Amazon S3 API Reference), for the codes and statuses:
  SignatureDoesNotMatch 403, RequestTimeTooSkewed 403 (more than 15 minutes apart),
  AccessDenied 403 "Request has expired", AuthorizationQueryParametersError 400,
  AuthorizationHeaderMalformed 400.
  https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html

Not verified: the per-chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies and
whether a hex x-amz-content-sha256 equals the body's hash (the seed signature, which
covers the header's value, is verified), and the credential scope's region.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_PRESIGNED_EXPIRES = 604800  # seven days
MAX_CLOCK_SKEW = 15 * 60
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_AUTH_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)
_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")


@dataclass(frozen=True)
class SigError:
    """An S3 error answer: HTTP status line, code, message."""

    status: str
    code: str
    message: str


def _malformed_header(message: str) -> SigError:
    return SigError("400 Bad Request", "AuthorizationHeaderMalformed", message)


def _malformed_query(message: str) -> SigError:
    return SigError("400 Bad Request", "AuthorizationQueryParametersError", message)


SIGNATURE_DOES_NOT_MATCH = SigError(
    "403 Forbidden", "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.",
)
REQUEST_EXPIRED = SigError("403 Forbidden", "AccessDenied", "Request has expired")
TIME_TOO_SKEWED = SigError(
    "403 Forbidden", "RequestTimeTooSkewed",
    "The difference between the request time and the current time is too large.",
)


@dataclass(frozen=True)
class SignedRequest:
    """The SigV4 fields of a request, from its Authorization header or its query."""

    access_key: str
    scope_date: str
    region: str
    service: str
    amz_date: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    expires: int | None = None


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def header(environ: Mapping[str, Any], name: str) -> str | None:
    """A request header from the WSGI environ (None if absent)."""
    key = name.upper().replace("-", "_")
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return environ.get(key)
    return environ.get("HTTP_" + key)


def raw_target(environ: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The request target exactly as sent: (path, query) bytes. werkzeug keeps it in
    REQUEST_URI / RAW_URI (latin-1 text of the raw bytes); PATH_INFO is already decoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/")
        raw = path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
    target = raw.encode("latin-1")
    if target.startswith((b"http://", b"https://")):  # absolute form: keep only the path
        target = b"/" + target.split(b"/", 3)[-1] if target.count(b"/") >= 3 else b"/"
    path, _, query = target.partition(b"?")
    return path, query


def _query_pairs(raw_query: bytes) -> list[tuple[bytes, bytes]]:
    """Query parameters, percent-decoded once (`+` stays a plus, as S3 reads it)."""
    pairs = []
    for part in raw_query.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append((unquote_to_bytes(name), unquote_to_bytes(value)))
    return pairs


def _query_param(pairs: list[tuple[bytes, bytes]], name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in pairs:
        if key.lower() == wanted:
            return value.decode("utf-8", "replace")
    return None


def _split_credential(credential: str) -> tuple[str, str, str, str] | None:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    return parts[0], parts[1], parts[2], parts[3]


def parse(environ: Mapping[str, Any]) -> SignedRequest | SigError | None:
    """The request's SigV4 fields; a SigError if they are malformed; None if the request
    carries no SigV4 authentication at all."""
    authorization = header(environ, "Authorization") or ""
    if authorization.startswith(ALGORITHM):
        return _parse_header(environ, authorization)
    _, raw_query = raw_target(environ)
    pairs = _query_pairs(raw_query)
    if _query_param(pairs, "X-Amz-Credential") is None and _query_param(pairs, "X-Amz-Algorithm") is None:
        return None
    return _parse_query(pairs)


def _parse_header(environ: Mapping[str, Any], authorization: str) -> SignedRequest | SigError:
    match = _AUTH_HEADER.match(authorization)
    if not match:
        return _malformed_header("The authorization header is malformed.")
    credential = _split_credential(match["credential"])
    if credential is None:
        return _malformed_header("The authorization header is malformed; the Credential is mal-formed.")
    amz_date = header(environ, "X-Amz-Date") or ""
    if not _AMZ_DATE.match(amz_date):
        return SigError("403 Forbidden", "AccessDenied",
                        "AWS authentication requires a valid Date or x-amz-date header")
    access_key, scope_date, region, service = credential
    return SignedRequest(access_key, scope_date, region, service, amz_date,
                         tuple(match["signed"].split(";")), match["signature"].lower(), presigned=False)


def _parse_query(pairs: list[tuple[bytes, bytes]]) -> SignedRequest | SigError:
    fields = {name: _query_param(pairs, f"X-Amz-{name}")
              for name in ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature")}
    missing = [name for name, value in fields.items() if value is None]
    if missing:
        return _malformed_query(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
    if fields["Algorithm"] != ALGORITHM:
        return _malformed_query("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
    credential = _split_credential(fields["Credential"] or "")
    if credential is None:
        return _malformed_query("Error parsing the X-Amz-Credential parameter.")
    if not _AMZ_DATE.match(fields["Date"] or ""):
        return _malformed_query("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    try:
        expires = int(fields["Expires"] or "")
    except ValueError:
        return _malformed_query("X-Amz-Expires should be a number")
    if expires < 0:
        return _malformed_query("X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGNED_EXPIRES:
        return _malformed_query("X-Amz-Expires must be less than a week (in seconds) that is 604800")
    access_key, scope_date, region, service = credential
    return SignedRequest(access_key, scope_date, region, service, fields["Date"] or "",
                         tuple((fields["SignedHeaders"] or "").split(";")),
                         (fields["Signature"] or "").lower(), presigned=True, expires=expires)


# --------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------


def amz_date_to_epoch(amz_date: str) -> float:
    return float(calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ")))


def check_time(signed: SignedRequest, now: float) -> SigError | None:
    """Presigned: valid from X-Amz-Date for X-Amz-Expires seconds. Header-signed: the
    request time may differ from the server's by at most 15 minutes."""
    signed_at = amz_date_to_epoch(signed.amz_date)
    if signed.presigned:
        if now > signed_at + (signed.expires or 0):
            return REQUEST_EXPIRED
        return None
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        return TIME_TOO_SKEWED
    return None


# --------------------------------------------------------------------------
# The canonical request and the signature
# --------------------------------------------------------------------------


def uri_encode(data: bytes, keep_slash: bool) -> str:
    """SigV4 UriEncode: every byte except A-Z a-z 0-9 - _ . ~ (and `/` in paths) as %XY."""
    return quote(data, safe="/-_.~" if keep_slash else "-_.~")


def canonical_uri(raw_path: bytes) -> str:
    """The path as S3 canonicalizes it: decoded once, then URI-encoded once."""
    return uri_encode(unquote_to_bytes(raw_path), keep_slash=True) or "/"


def canonical_query(raw_query: bytes, presigned: bool) -> str:
    pairs = [
        (uri_encode(name, keep_slash=False), uri_encode(value, keep_slash=False))
        for name, value in _query_pairs(raw_query)
        if not (presigned and name == b"X-Amz-Signature")
    ]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _header_value(environ: Mapping[str, Any], name: str) -> str:
    value = header(environ, name)
    if value is None:
        return ""
    return " ".join(value.split())  # trim and fold sequential whitespace


def canonical_request(environ: Mapping[str, Any], signed: SignedRequest) -> str:
    raw_path, raw_query = raw_target(environ)
    headers = "".join(f"{name}:{_header_value(environ, name)}\n" for name in signed.signed_headers)
    if signed.presigned:
        payload = _query_param(_query_pairs(raw_query), "X-Amz-Content-Sha256") or UNSIGNED_PAYLOAD
    else:
        payload = header(environ, "X-Amz-Content-Sha256") or ""
    return "\n".join([
        environ.get("REQUEST_METHOD", "GET"),
        canonical_uri(raw_path),
        canonical_query(raw_query, signed.presigned),
        headers,
        ";".join(signed.signed_headers),
        payload,
    ])


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signature(secret_key: str, signed: SignedRequest, request: str) -> str:
    scope = f"{signed.scope_date}/{signed.region}/{signed.service}/aws4_request"
    string_to_sign = "\n".join([
        ALGORITHM, signed.amz_date, scope, hashlib.sha256(request.encode("utf-8")).hexdigest(),
    ])
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), signed.scope_date)
    for part in (signed.region, signed.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def check_signature(environ: Mapping[str, Any], signed: SignedRequest, secret_key: str) -> SigError | None:
    """None if the signature is the one the secret key makes for this request."""
    if "host" not in signed.signed_headers:
        return SIGNATURE_DOES_NOT_MATCH  # SigV4 always signs Host
    if not signed.presigned and header(environ, "X-Amz-Content-Sha256") is None:
        return SigError("400 Bad Request", "InvalidRequest",
                        "Missing required header for this request: x-amz-content-sha256")
    expected = signature(secret_key, signed, canonical_request(environ, signed))
    if not hmac.compare_digest(expected, signed.signature):
        return SIGNATURE_DOES_NOT_MATCH
    return None
