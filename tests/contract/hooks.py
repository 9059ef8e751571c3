"""schemathesis hooks for tests/contract/schemathesis.sh.

A request body with a textual Content-Type (text/*, JSON) that is not UTF-8 is made
UTF-8 here (invalid bytes replaced) before it is sent: the request stays as malformed
for the function as schemathesis meant it (not JSON, or the wrong type).

This was a workaround for `cargo lambda watch`, which served the functions locally
before homedir-gateway: it turned such a body into the string body of a Lambda event
and answered a body that was not UTF-8 with its own 500 before any function ran.
homedir-gateway hands the function every body base64-encoded, so such a body reaches
the function as sent: the hook is no longer needed (the bounded run and a --fuzz run
without it, non-UTF-8 JSON and text bodies among their requests, passed), and can go.
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
