"""schemathesis hooks for tests/contract/schemathesis.sh.

`cargo lambda watch` turns a request body with a textual Content-Type (text/*, JSON)
into the string body of a Lambda event, and answers a body that is not UTF-8 with
its own 500 before any function runs (`{"type":"https://httpstatuses.com/500",...}`).
API Gateway does not: it hands Lambda such a body base64-encoded. So such a body is
made UTF-8 here (invalid bytes replaced) before it is sent: the request stays as
malformed for the function as schemathesis meant it (not JSON, or the wrong type),
and what answers is the function, not the local tool.
"""

import schemathesis

TEXTUAL = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")


def _content_type(case):
    for name, value in (case.headers or {}).items():
        if name.lower() == "content-type" and isinstance(value, str):
            return value.lower()
    return (case.media_type or "").lower()


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    # Generated binary bodies come wrapped (schemathesis' Binary, its bytes in .data).
    raw = getattr(body, "data", body)
    if isinstance(raw, (bytes, bytearray)) and _content_type(case).startswith(TEXTUAL):
        try:
            bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            case.body = bytes(raw).decode("utf-8", "replace").encode("utf-8")
