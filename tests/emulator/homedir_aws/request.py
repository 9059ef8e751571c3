"""Reading an AWS request before moto does: which service, which operation, whose
credentials, and for S3 which bucket and key.

It exists because every correction is keyed on the operation (the call log and the fault
injection name operations as AWS does, and the S3 gate authorizes per operation), while
moto only routes by URL. Signatures are not checked here (sigv4.py and s3gate.py do that).
"""

from __future__ import annotations

import io
import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .lambdas import API_PREFIX as LAMBDA_API_PREFIX, operation_of as lambda_operation
from .wsgi import header, request_path

_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/\s,]+)/[^/]*/[^/]*/([^/\s,]+)/")
_SIGV2 = re.compile(r"^AWS ([^:\s]+):")
_TARGET_SERVICES = {
    "AWSCognitoIdentityService": "cognito-identity",
    "AWSCognitoIdentityProviderService": "cognito-idp",
    "DynamoDB_20120810": "dynamodb",
}
_BUCKET_SUBRESOURCES = {
    "acl": "Acl", "policy": "Policy", "location": "Location", "versioning": "Versioning",
    "tagging": "Tagging", "cors": "Cors", "lifecycle": "LifecycleConfiguration",
    "encryption": "Encryption", "notification": "NotificationConfiguration",
    "logging": "Logging", "website": "Website", "replication": "Replication",
    "ownershipControls": "OwnershipControls", "publicAccessBlock": "PublicAccessBlock",
    "accelerate": "AccelerateConfiguration", "requestPayment": "RequestPayment",
    "object-lock": "ObjectLockConfiguration", "policyStatus": "PolicyStatus",
}
_OBJECT_SUBRESOURCES = {
    "tagging": "Tagging", "acl": "Acl", "retention": "Retention",
    "legal-hold": "LegalHold", "attributes": "Attributes",
}
_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Post", "HEAD": "Head"}


@dataclass
class AwsRequest:
    method: str
    service: str
    operation: str
    access_key: str | None
    session_token: str | None
    query: dict[str, str]
    bucket: str = ""
    key: str = ""


def _form_action(environ: dict[str, Any]) -> str:
    """`Action` of a query-protocol body (IAM, STS), leaving the body readable."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return ""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]


def _s3_bucket_and_key(environ: dict[str, Any]) -> tuple[str, str]:
    """Path-style, as SDKs send it to 127.0.0.1 or localhost; otherwise
    virtual-hosted, with the bucket as the host's first label, as moto reads it."""
    host = urlsplit("//" + header(environ, "Host")).hostname or ""
    path = request_path(environ).lstrip("/")
    first_label = host.split(".")[0]
    if "." in host and not host.startswith("localhost") and not _is_ip(host) and first_label != "s3":
        return first_label, path
    bucket, _, key = path.partition("/")
    return bucket, key


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def s3_operation(method: str, bucket: str, key: str, query: dict[str, str], copy_source: bool) -> str:
    """S3 operation name from method, path and query, e.g. PUT /b/k -> PutObject."""
    verb = _VERBS.get(method, method.title())
    if not bucket:
        return "ListBuckets" if method == "GET" else f"{verb}Service"
    if key:
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return {
                "PUT": "UploadPartCopy" if copy_source else "UploadPart",
                "POST": "CompleteMultipartUpload",
                "DELETE": "AbortMultipartUpload",
                "GET": "ListParts",
            }.get(method, f"{verb}Upload")
        if "restore" in query:
            return "RestoreObject"
        for name, noun in _OBJECT_SUBRESOURCES.items():
            if name in query:
                return f"{verb}Object{noun}"
        if method == "PUT" and copy_source:
            return "CopyObject"
        return f"{verb}Object"
    if method == "GET":
        if query.get("list-type") == "2":
            return "ListObjectsV2"
        if "versions" in query:
            return "ListObjectVersions"
        if "uploads" in query:
            return "ListMultipartUploads"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    for name, noun in _BUCKET_SUBRESOURCES.items():
        if name in query:
            return f"{verb}Bucket{noun}"
    return {
        "GET": "ListObjects",
        "PUT": "CreateBucket",
        "DELETE": "DeleteBucket",
        "HEAD": "HeadBucket",
        "POST": "PostObject",
    }.get(method, f"{verb}Bucket")


def _credential_scope(environ: dict[str, Any], auth_query: dict[str, str]) -> tuple[str, str] | None:
    """(access key, signing service) from a SigV4 header or a presigned URL."""
    match = _CREDENTIAL_SCOPE.search(header(environ, "Authorization"))
    if match:
        return match.group(1), match.group(2)
    parts = auth_query.get("x-amz-credential", "").split("/")
    return (parts[0], parts[3]) if len(parts) == 5 else None


def read_request(environ: dict[str, Any]) -> AwsRequest:
    """Who calls which operation of which service (signatures aren't checked)."""
    method = environ.get("REQUEST_METHOD", "GET")
    query = {
        name: values[0]
        for name, values in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
    }
    auth_query = {name.lower(): value for name, value in query.items()}  # presigned URLs vary the case
    scope = _credential_scope(environ, auth_query)
    sigv2 = _SIGV2.match(header(environ, "Authorization"))
    target = header(environ, "X-Amz-Target")
    if scope:
        access_key, service = scope
    else:
        access_key = sigv2.group(1) if sigv2 else auth_query.get("awsaccesskeyid")
        # Unsigned: Cognito's JSON APIs name themselves in X-Amz-Target; moto defaults to S3.
        service = _TARGET_SERVICES.get(target.split(".")[0], target.split(".")[0].lower()) if target else "s3"
    session_token = header(environ, "X-Amz-Security-Token") or auth_query.get("x-amz-security-token")
    request = AwsRequest(method, service, "", access_key, session_token or None, query)

    path = request_path(environ)
    if path == LAMBDA_API_PREFIX or path.startswith(LAMBDA_API_PREFIX + "/"):
        # Lambda's REST API (lambdas.py), signed or not: never an S3 bucket.
        request.service, request.operation = "lambda", lambda_operation(method, path)
    elif target:
        request.operation = target.split(".", 1)[-1]
    elif service == "s3":
        request.bucket, request.key = _s3_bucket_and_key(environ)
        copy_source = bool(header(environ, "X-Amz-Copy-Source"))
        request.operation = s3_operation(method, request.bucket, request.key, query, copy_source)
    else:
        request.operation = query.get("Action") or _form_action(environ) or f"{method} {request_path(environ)}"
    return request


def is_signed(environ: dict[str, Any]) -> bool:
    query = environ.get("QUERY_STRING", "").lower()
    presigned = "x-amz-credential=" in query or "awsaccesskeyid=" in query
    return presigned or bool(header(environ, "Authorization"))
