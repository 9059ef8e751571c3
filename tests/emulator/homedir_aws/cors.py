"""Correction n, CORS as a browser page meets Cognito and S3: Cognito's preflight and
its Allow-Origin on every answer; S3's bucket CORS rules evaluated for a preflight and
put on the answers.

It exists because homedir's web page calls Cognito's InitiateAuth and PUTs presigned
parts to S3 from its own origin, reading each part's ETag; moto answered no preflight
(the gate refused the unsigned OPTIONS) and put no CORS header on Cognito's answers.
Here Cognito answers its preflight (POST; Content-Type, X-Amz-Target) and every answer
with Access-Control-Allow-Origin *, and S3 evaluates the bucket's CORS rules for a
preflight and adds the matching rule's Allow-Origin and Expose-Headers (ETag) to the
answer, as the S3 User Guide's "Using cross-origin resource sharing" describes.
"""

from __future__ import annotations

import re
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from .request import AwsRequest
from .s3errors import CORS_NOT_ALLOWED, s3_error_response
from .wsgi import StartResponse, header

# Cognito's user pool API is called from browsers (public app clients, the Amplify and
# amazon-cognito-identity-js libraries, homedir's page): it answers a preflight for its
# JSON POST and puts Access-Control-Allow-Origin: * on its answers; no origin list
# can be configured. Unauthenticated operations such as InitiateAuth:
# https://docs.aws.amazon.com/cognito/latest/developerguide/user-pools-API-operations.html
# The headers are the ones AWS's browser SDKs send; AWS does not document the exact list.
COGNITO_CORS_ALLOWED_HEADERS = ("content-type", "x-amz-target", "x-amz-user-agent", "cache-control")
COGNITO_CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
)


def _cors_pattern_matches(pattern: str, value: str) -> bool:
    """An AllowedOrigin or AllowedHeader with at most one `*` wildcard (S3's rule)."""
    regex = ".*".join(re.escape(part) for part in pattern.lower().split("*"))
    return re.fullmatch(regex, value.lower()) is not None


def _requested_headers(environ: dict[str, Any]) -> list[str]:
    raw = header(environ, "Access-Control-Request-Headers")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


class Cors:
    """moto answers no preflight (the gate (c) refused the unsigned OPTIONS) and adds no
    CORS header to Cognito's answers. Here, as the services do:

    - OPTIONS / with Origin and Access-Control-Request-Method (the JSON APIs all POST
      to /): Cognito's preflight, 200 with Allow-Origin *, Allow-Methods POST and the
      requested headers when they are among COGNITO_CORS_ALLOWED_HEADERS; otherwise
      403 with no Allow-Origin, which the browser treats as refused. Every Cognito
      answer to a request with Origin carries Allow-Origin * and Expose-Headers.
    - OPTIONS on a bucket or key: S3 evaluates the bucket's CORS rules in order, the
      first whose AllowedOrigins match the Origin, AllowedMethods the requested method
      and AllowedHeaders every requested header wins: 200 with Allow-Origin (the
      origin, or * for a * rule), Allow-Methods, Allow-Headers, Expose-Headers,
      Max-Age and Vary; no match (or no configuration) is 403 AccessForbidden.
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html ("How does
      Amazon S3 evaluate the CORS configuration on a bucket?") and
      https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
    - any other S3 request with Origin (a presigned part PUT, a download): the
      matching rule's Allow-Origin and Expose-Headers are added to the answer, errors
      included, so the page can read the ETag.
    Preflights are not AWS calls and are not logged in the call log.
    """

    @staticmethod
    def is_preflight(environ: dict[str, Any]) -> bool:
        return (
            environ.get("REQUEST_METHOD") == "OPTIONS"
            and bool(header(environ, "Origin"))
            and bool(header(environ, "Access-Control-Request-Method"))
        )

    @staticmethod
    def cognito_preflight(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = header(environ, "Access-Control-Request-Method").upper()
        requested = _requested_headers(environ)
        if method != "POST" or any(name not in COGNITO_CORS_ALLOWED_HEADERS for name in requested):
            start_response("403 Forbidden", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", "POST"),
            ("Access-Control-Allow-Headers", ",".join(requested) or "content-type"),
            ("Access-Control-Max-Age", "86400"),
            ("Content-Length", "0"),
        ])
        return [b""]

    @staticmethod
    def rule_for(bucket_name: str, origin: str, method: str, headers: list[str]) -> Any:
        bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(bucket_name)
        for rule in getattr(bucket, "cors", None) or []:
            if not any(_cors_pattern_matches(allowed, origin) for allowed in rule.allowed_origins or []):
                continue
            if method.upper() not in [m.upper() for m in rule.allowed_methods or []]:
                continue
            allowed_headers = rule.allowed_headers or []
            if all(any(_cors_pattern_matches(a, h) for a in allowed_headers) for h in headers):
                return rule
        return None

    @staticmethod
    def _origin_headers(rule: Any, origin: str) -> list[tuple[str, str]]:
        headers = [
            ("Access-Control-Allow-Origin", "*" if "*" in rule.allowed_origins else origin),
            ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
        ]
        if rule.exposed_headers:
            headers.append(("Access-Control-Expose-Headers", ", ".join(rule.exposed_headers)))
        return headers

    @classmethod
    def s3_preflight(cls, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse) -> list[bytes]:
        origin = header(environ, "Origin")
        method = header(environ, "Access-Control-Request-Method")
        requested = _requested_headers(environ)
        rule = cls.rule_for(request.bucket, origin, method, requested) if request.bucket else None
        if rule is None:
            return s3_error_response(CORS_NOT_ALLOWED, request, start_response)
        headers = cls._origin_headers(rule, origin) + [
            ("Access-Control-Allow-Methods", ", ".join(m.upper() for m in rule.allowed_methods)),
            ("Content-Length", "0"),
        ]
        if requested:
            headers.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        if rule.max_age_seconds is not None:
            headers.append(("Access-Control-Max-Age", str(rule.max_age_seconds)))
        start_response("200 OK", headers)
        return [b""]

    @classmethod
    def around(cls, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse) -> StartResponse:
        """start_response with the CORS headers the answer to this request gets."""
        origin = header(environ, "Origin")
        if not origin:
            return start_response
        if request.service != "s3":
            extra = list(COGNITO_CORS_HEADERS)
        else:
            rule = cls.rule_for(request.bucket, origin, request.method, []) if request.bucket else None
            extra = cls._origin_headers(rule, origin) if rule is not None else []

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            kept = [(n, v) for n, v in headers if not n.lower().startswith("access-control-")]
            return start_response(status, kept + extra, *rest)

        return start

