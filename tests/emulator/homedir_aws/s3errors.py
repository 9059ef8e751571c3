"""S3's error answers: every error the emulator gives in S3's place (code, HTTP status,
message, each from the AWS page that defines it) and S3's XML error shape.

It exists so that the gate and every S3 correction answer as S3 does, from one table:
clients (boto3, aws-sdk-rust) branch on these codes and statuses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Iterable

from .request import AwsRequest
from .wsgi import StartResponse


@dataclass(frozen=True)
class S3Error:
    status: str
    code: str
    message: str


# Error codes and statuses: Error responses, Amazon S3 API Reference
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
ACCESS_DENIED = S3Error("403 Forbidden", "AccessDenied", "Access Denied")
EXPIRED_TOKEN = S3Error("400 Bad Request", "ExpiredToken", "The provided token has expired.")
INVALID_TOKEN = S3Error(
    "400 Bad Request", "InvalidToken", "The provided token is malformed or otherwise invalid."
)
INVALID_ACCESS_KEY = S3Error(
    "403 Forbidden", "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
)
SIGV4_ONLY = S3Error(
    "400 Bad Request", "InvalidRequest",
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
)

# Error codes: CompleteMultipartUpload, "Special errors", and Error responses
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
NO_SUCH_UPLOAD = S3Error(
    "404 Not Found", "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
    "aborted or completed.",
)
INVALID_PART_ORDER = S3Error(
    "400 Bad Request", "InvalidPartOrder",
    "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
)
PRECONDITION_FAILED = S3Error(
    "412 Precondition Failed", "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
)
NO_SUCH_KEY = S3Error("404 Not Found", "NoSuchKey", "The specified key does not exist.")
# CompleteMultipartUpload, x-amz-mp-object-size: "If there's a mismatch between the
# specified object size value and the actual object size value, it results in an HTTP
# 400 InvalidRequest error." (the message is the emulator's own)
OBJECT_SIZE_MISMATCH = S3Error(
    "400 Bad Request", "InvalidRequest",
    "The specified x-amz-mp-object-size does not match the size of the object the parts make.",
)

# Error codes: Error responses, Amazon S3 API Reference
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
INVALID_VERSION_ID = S3Error("400 Bad Request", "InvalidArgument", "Invalid version id specified")
METHOD_NOT_ALLOWED = S3Error(
    "405 Method Not Allowed", "MethodNotAllowed", "The specified method is not allowed against this resource."
)
# ListObjectsV2 with a continuation token S3 did not issue: 400 InvalidArgument (moto
# looked the token up, found nothing and failed with a 500 TypeError).
INVALID_CONTINUATION_TOKEN = S3Error(
    "400 Bad Request", "InvalidArgument", "The continuation token provided is incorrect"
)

# An ACL that a BucketOwnerEnforced bucket refuses (correction aa; ownership.py names the
# pages): Troubleshooting, Object Ownership
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html
ACL_NOT_SUPPORTED = S3Error("400 Bad Request", "AccessControlListNotSupported", "The bucket does not allow ACLs")

# A preflight that no CORS rule of the bucket allows (correction n; cors.py names the pages).
CORS_NOT_ALLOWED = S3Error(
    "403 Forbidden", "AccessForbidden",
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted "
    "by the resource's CORS spec.",
)


def s3_error_response(
    error: S3Error, request: AwsRequest, start_response: StartResponse,
    extra_headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    request_id = secrets.token_hex(8).upper()
    body = b"" if request.method == "HEAD" else (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{error.code}</Code><Message>{error.message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>homedir-emulator</HostId></Error>"
    ).encode("utf-8")
    start_response(error.status, [
        ("Content-Type", "application/xml"),
        ("Content-Length", str(len(body))),
        ("x-amz-request-id", request_id),
        *extra_headers,
    ])
    return [body]
