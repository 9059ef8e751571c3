"""An S3 request's way from the gate to moto: the gate's verdict (correction c), one
writer per key (i), then each S3 correction in turn (multipart.py, versions.py and the
ones below), and last moto itself.

It exists to keep, in one place, the order in which S3's checks apply (authorization
before anything about the object; the upload, version and precondition checks under the
key's lock), and the corrections that are about the request path rather than one S3
feature:

c. (the end of the gate) a 404 NoSuchKey from moto (and any 404 to HEAD) becomes 403
   AccessDenied unless the caller may s3:ListBucket on the bucket with the object
   request's context. And the bucket policy is the gate's alone to evaluate: moto's own
   object-level check of it ignores Condition (its put_bucket_policy says so), so the
   template's TLS-only Deny (a Bool aws:SecureTransport condition) would deny every
   request; moto keeps the policy (GetBucketPolicy answers it) but no longer decides with
   it (Policy evaluation logic, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
f. Form-typed uploads. moto's request parser treats a body sent as
   application/x-www-form-urlencoded or multipart/form-data as form fields, so PutObject
   would store an empty object (curl's --data-binary sends that type by default). For
   object PUTs the body goes to moto as application/octet-stream, and the client's
   Content-Type is restored on the stored object, as S3 keeps it.
i. Atomic conditional writes (KeyLocks). moto checks If-Match / If-None-Match and then
   stores, so two racing writers could both pass; writes to one key (PutObject,
   CopyObject, CompleteMultipartUpload, AbortMultipartUpload, DeleteObject) are
   serialized, so the check and the store are one step, as S3 documents.
m. Ranged GetObject (bytes=a-b) reads only those bytes from the object's buffer; moto
   reads the whole object and slices it. Headers, preconditions and errors still come
   from moto (a HEAD of the same request).
u. (applied here, written in overrides.py) GetObject's and HeadObject's response-*
   parameters set their headers on every 200 and 206, ranged GETs and HEADs included.
aa. (applied here, written in ownership.py) on a BucketOwnerEnforced bucket, an object
   write naming an ACL other than bucket-owner-full-control, and every PutObjectAcl,
   is 400 AccessControlListNotSupported, after the gate and before anything else.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from typing import Any, Iterable, Iterator

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from . import overrides, ownership, s3events
from .multipart import UPLOAD_OPERATIONS, MultipartUploads, list_parts_result
from .request import AwsRequest
from .s3errors import ACCESS_DENIED, INVALID_CONTINUATION_TOKEN, S3Error, s3_error_response
from .s3gate import Caller, S3Gate
from .versions import QUIET, VERSIONED_OPERATIONS, Versions, quiet_delete_result
from .wsgi import Capture, StartResponse, header, read_body

# Body types moto would parse as form fields instead of storing (correction f).
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

KEY_WRITES = {"PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject", "AbortMultipartUpload"}
"""Operations that replace or remove the object at one key (or end an upload of it)."""

NOT_FOUND_CODES = (b"<Code>NoSuchKey</Code>", b"<Code>NoSuchVersion</Code>")
"""Answers S3 gives only to callers who may s3:ListBucket: "If the object you request
doesn't exist" (a key, or a version of it) "the error that Amazon S3 returns depends on
whether you also have the s3:ListBucket permission" (GetObject, Permissions)."""


_SINGLE_RANGE = re.compile(r"bytes=(\d+)-(\d+)")
"""A Range of one span with both ends, the form correction m serves itself."""


class KeyLocks:
    """Correction i: writes to one key take effect one at a time.

    S3 evaluates a conditional write's precondition and stores the object as one
    step: of two writers racing with the same If-Match or If-None-Match, one wins
    and the other gets 412 PreconditionFailed (or 409 ConditionalRequestConflict);
    Amazon S3 User Guide, "How to prevent object overwrites with conditional
    writes", https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html.
    moto checks, then stores, in two steps on a threaded server, so both racers
    could pass the check and an update would be lost. Serializing every write to a
    key (other keys are not held up) restores S3's guarantee.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    @contextlib.contextmanager
    def holding(self, bucket: str, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault((bucket, key), threading.Lock())
        with lock:
            yield


def _known_continuation_token(request: AwsRequest) -> bool:
    token = request.query.get("continuation-token")
    if not token:
        return True
    return token in s3_backends[DEFAULT_ACCOUNT_ID]["aws"]._pagination_tokens


class S3Service:
    """S3 requests, after the call log and the faults: the gate, then moto, corrected."""

    def __init__(self, moto_app: Any, gate: S3Gate):
        self.moto_app = moto_app
        self.gate = gate
        self.writes = KeyLocks()

    @staticmethod
    def install() -> None:
        """c: the bucket policy is decided by the gate, never by moto's condition-blind check."""
        from moto.iam.access_control import PermissionResult
        from moto.s3.models import FakeBucket

        FakeBucket.get_permission = lambda bucket, action, resource: PermissionResult.NEUTRAL

    def __call__(self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
                 ) -> Iterable[bytes]:
        verdict = self.gate.check(environ, request, time.time())
        if isinstance(verdict, S3Error):
            return s3_error_response(verdict, request, start_response)
        # Correction ad: what the request created or removed goes to the bucket's functions.
        return s3events.observe(environ, request, verdict,
                                lambda start: self._answer(environ, request, verdict, start), start_response)

    def _answer(self, environ: dict[str, Any], request: AwsRequest, verdict: Caller | None,
                start_response: StartResponse) -> Iterable[bytes]:
        if verdict is None:  # the admin key
            return self._to_moto(environ, request, start_response)
        return self._hide_missing_keys(environ, request, verdict, start_response)

    def _to_moto(self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse) -> Iterable[bytes]:
        if request.operation in KEY_WRITES:
            with self.writes.holding(request.bucket, request.key):
                return list(self._to_moto_unlocked(environ, request, start_response))
        return self._to_moto_unlocked(environ, request, start_response)

    def _to_moto_unlocked(
        self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        start_response = overrides.around(overrides.requested(request), start_response)  # correction u
        refused = ownership.refusal(environ, request)  # correction aa
        if refused is not None:
            return s3_error_response(refused, request, start_response)
        if request.operation in UPLOAD_OPERATIONS:
            error = MultipartUploads.error(environ, request)
            if error is not None:
                return s3_error_response(error, request, start_response)
        if request.operation == "ListObjectsV2" and not _known_continuation_token(request):
            return s3_error_response(INVALID_CONTINUATION_TOKEN, request, start_response)
        if request.operation in VERSIONED_OPERATIONS:
            answer = Versions.answer(environ, request)
            if answer is not None:
                error, headers = answer
                return s3_error_response(error, request, start_response, headers)
        if request.operation == "DeleteObject":
            return Versions.delete(self.moto_app, environ, request, start_response)
        if request.operation in ("PutObject", "UploadPart"):
            return self._put_form_typed_body_verbatim(environ, request, start_response)
        if request.operation == "ListParts":
            return list_parts_result(lambda start: self.moto_app(environ, start), start_response)
        if request.operation == "GetObject" and _SINGLE_RANGE.fullmatch(header(environ, "Range").strip()):
            return self._ranged_get(environ, request, start_response)
        if request.operation == "DeleteObjects" and QUIET.search(read_body(environ)):
            return quiet_delete_result(lambda start: self.moto_app(environ, start), start_response)
        return self.moto_app(environ, start_response)

    def _hide_missing_keys(
        self, environ: dict[str, Any], request: AwsRequest, caller: Caller, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Replace moto's 404 NoSuchKey by 403 AccessDenied for callers without
        s3:ListBucket, as S3 does (GetObject, HeadObject, a PutObject or
        CompleteMultipartUpload If-Match on a missing key, CopyObject's missing source)."""
        capture = Capture()
        response = self._to_moto(environ, request, capture)
        status, headers = capture.status, capture.headers
        assert status is not None, "moto answered without calling start_response"
        if not status.startswith("404"):
            # Streamed as moto produced it: a large GetObject body is not copied again.
            start_response(status, headers)
            return response
        body = b"".join(response)
        missing = request.method == "HEAD" or any(code in body for code in NOT_FOUND_CODES)
        if missing and self.gate.hides_missing_key(caller):
            return s3_error_response(ACCESS_DENIED, request, start_response)
        start_response(status, headers)
        return [body]

    def _ranged_get(
        self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Correction m: a ranged GetObject reads only the bytes asked for.

        S3 serves `Range: bytes=a-b` from the object without reading the rest
        (GetObject, "Range", https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
        moto reads the whole object and slices it, so a 4.5 MB range of a 256 MiB
        file costs a 256 MiB read, a cost no S3 client pays. Here moto answers a HEAD
        of the same request (its headers, and every precondition and error), and
        the bytes are read from the object's buffer at the range. Anything but a
        200 to the HEAD, or a range that starts past the end, goes to moto whole.
        """
        match = _SINGLE_RANGE.fullmatch(header(environ, "Range").strip())
        head_environ = dict(environ, REQUEST_METHOD="HEAD")
        head_environ.pop("HTTP_RANGE", None)
        capture = Capture()
        b"".join(self.moto_app(head_environ, capture))
        key = None
        if match and capture.status is not None and capture.status.startswith("200"):
            version = request.query.get("versionId") or None
            try:
                key = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object(request.bucket, request.key, version_id=version)
            except Exception:  # moto's own errors: let moto answer the GET
                key = None
        if key is None or match is None or int(match.group(1)) >= key.size:
            return self.moto_app(environ, start_response)
        begin, end = int(match.group(1)), min(int(match.group(2)), key.size - 1)
        with key.lock:
            key._value_buffer.seek(begin)
            data = key._value_buffer.read(end - begin + 1)
        skip = ("content-length", "content-range")
        headers = [(name, value) for name, value in capture.headers
                   if name.lower() not in skip and not name.lower().startswith("x-amz-checksum-")]
        headers += [("Content-Range", f"bytes {begin}-{end}/{key.size}"), ("Content-Length", str(len(data)))]
        start_response("206 Partial Content", headers)
        return [data]

    def _put_form_typed_body_verbatim(
        self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Correction (f): store form-typed object bodies as sent."""
        content_type = environ.get("CONTENT_TYPE", "")
        if not content_type.lower().startswith(FORM_CONTENT_TYPES):
            return self.moto_app(environ, start_response)
        environ["CONTENT_TYPE"] = "application/octet-stream"
        status: list[str] = []

        def remember_status(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        response = list(self.moto_app(environ, remember_status))
        if request.operation == "PutObject" and status and status[0].startswith("200"):
            stored = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object(request.bucket, request.key)
            if stored is not None:
                stored.set_metadata({"Content-Type": content_type})
        return response
