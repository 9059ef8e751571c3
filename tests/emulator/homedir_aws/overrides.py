"""Correction u: GetObject's and HeadObject's response-* parameters set those headers
on every successful answer.

S3: "There are times when you want to override certain response header values of a
GetObject response. For example, you might override the Content-Disposition response
header value through your GetObject request. You can override values for a set of
response headers": response-cache-control, response-content-disposition,
response-content-encoding, response-content-language, response-content-type,
response-expires (GetObject, "Overriding response header values through the request":
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html); HeadObject takes the
same parameters (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html,
URI request parameters). They are part of a presigned URL's signed query.

moto applies them to a whole GetObject only: its HeadObject ignores them, and so did the
ranged GetObject the emulator serves itself (correction m, which takes its headers from
a HEAD), so a presigned download that asked for an attachment of type
application/octet-stream came back inline with the stored type as soon as it carried a
Range. Here every 200 or 206 answer to either operation carries the overrides.
"""

from __future__ import annotations

from typing import Any

from .request import AwsRequest
from .wsgi import Headers, StartResponse

OVERRIDES = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}


def requested(request: AwsRequest) -> dict[str, str]:
    """The headers a GetObject or HeadObject asks to override, by header name."""
    if request.operation not in ("GetObject", "HeadObject"):
        return {}
    return {header: request.query[name] for name, header in OVERRIDES.items() if name in request.query}


def around(overrides: dict[str, str], start_response: StartResponse) -> StartResponse:
    """A start_response that puts the overrides on a 200 or 206 answer."""
    if not overrides:
        return start_response
    replaced = {name.lower() for name in overrides}

    def start(status: str, headers: Headers, *rest: Any) -> Any:
        if status.startswith(("200", "206")):
            headers = [(name, value) for name, value in headers if name.lower() not in replaced]
            headers += list(overrides.items())
        return start_response(status, headers, *rest)

    return start
