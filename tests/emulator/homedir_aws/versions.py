"""Correction l (and o), versions and delete markers: reads of delete markers, version
ids that cannot be one, conditional deletes and copies, delete markers for keys with no
version, quiet DeleteObjects, and folders of deleted files, as S3 documents them.

It exists because homedir's version reads, restores and trash depend on what S3 answers
there, and moto differs: GetObject of a delete marker's versionId is 404 NoSuchVersion
(S3: 405 MethodNotAllowed with x-amz-delete-marker), a key whose current version is a
delete marker answers without the x-amz-delete-marker header, and a versionId that
cannot be one is 404 (S3: 400 InvalidArgument); NoSuchVersion, like NoSuchKey, is 403 to
callers without s3:ListBucket (the gate, c). DeleteObject: If-Match `*` is honoured (moto
refused it), checked under the key's lock (correction i, s3.py); a key with no version
gets a delete marker in a versioned bucket, with x-amz-delete-marker and
x-amz-version-id (moto added none). CopyObject: If-Match / If-None-Match apply to the
destination and x-amz-copy-source-if-match / -if-unmodified-since / -if-modified-since
to the source (moto checked only x-amz-copy-source-if-none-match), under the destination
key's lock. DeleteObjects with <Quiet>true</Quiet> reports errors only (moto listed
every deleted key). o: moto derived ListObjects(V2) CommonPrefixes from every key,
delete markers included, so a folder whose files were all deleted stayed listed; S3
lists current objects only, and a prefix with none is no folder.
"""

from __future__ import annotations

import calendar
import datetime
import email.utils
import re
import uuid
from typing import Any, Callable, Iterable

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend, s3_backends

from . import s3auth
from .listings import KeyIndex
from .request import AwsRequest
from .s3errors import INVALID_VERSION_ID, METHOD_NOT_ALLOWED, NO_SUCH_KEY, PRECONDITION_FAILED, S3Error, \
    s3_error_response
from .wsgi import StartResponse, header, rewrite_ok_body

VERSIONED_OPERATIONS = {"GetObject", "HeadObject", "DeleteObject", "CopyObject", "UploadPartCopy"}
"""Operations that read a versionId (their own, or their copy source's)."""

# A version id S3 could have issued (32 URL-safe characters), one moto issues (a UUID),
# or "null" (an object stored while versioning was off). Anything else cannot name a
# version: S3 answers 400 InvalidArgument "Invalid version id specified".
_VERSION_ID = re.compile(
    r"^(null|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9._]{32})$"
)
Answer = tuple[S3Error, list[tuple[str, str]]]


def _etag_matches(condition: str, etag: str) -> bool:
    """An If-Match / If-None-Match value (one ETag, quoted or not, or `*`) against an ETag."""
    condition = condition.strip()
    return condition == "*" or condition.replace('"', "") == etag.replace('"', "")


def _http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() if parsed is not None else None


def _seconds(moment: Any) -> int:
    """moto's naive-UTC last_modified, in whole seconds (HTTP dates have no fractions)."""
    return calendar.timegm(moment.timetuple())


class Versions:
    """Correction l: versions, delete markers and conditions as S3 documents them.

    - A versionId that cannot name a version (GetObject, HeadObject, DeleteObject, and a
      copy source's ?versionId=) is 400 InvalidArgument (moto: 404 NoSuchVersion).
      Error responses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
    - GetObject of a versionId that is a delete marker: 405 MethodNotAllowed with
      `x-amz-delete-marker: true` and `Last-Modified` (moto: 404 NoSuchVersion; its
      HeadObject already answers 405); GetObject of a key whose current version is a
      delete marker: 404 NoSuchKey with `x-amz-delete-marker: true` and the marker's
      `x-amz-version-id` (moto sent no header), which correction c still turns into 403
      for callers without s3:ListBucket. GetObject, "x-amz-delete-marker" and
      Permissions: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html;
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html
    - DeleteObject with If-Match: deletes (in a versioned bucket, adds a delete marker)
      only if the current version's ETag matches, `*` matching any; else 412
      PreconditionFailed (moto refused `*`). No current object (never written, or the
      current version is a delete marker): 404 NoSuchKey, as moto already answered
      ("Conditional delete evaluations only apply to the current version of the
      object"; a delete that loses to a concurrent delete gets 404 Not Found "because
      the object key no longer exists"). It needs s3:GetObject too (s3auth). Checked
      under the key's lock (correction i), so a conditional delete racing a write has
      one outcome. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
      (If-Match); https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
      x-amz-if-match-size / x-amz-if-match-last-modified-time are for directory buckets
      only (same reference) and are not emulated.
    - DeleteObject (and each key of DeleteObjects) without versionId of a key that has no
      version at all, in a versioned bucket: S3 still adds a delete marker and answers
      `x-amz-delete-marker: true` and its `x-amz-version-id` (DeleteObjects: <DeleteMarker>
      and <DeleteMarkerVersionId>); moto added nothing and reported no marker.
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html;
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
    - CopyObject: If-Match / If-None-Match: * are the DESTINATION's conditions (moto
      ignored both): 412 PreconditionFailed when they fail; If-Match on a destination
      with no current object is 404 NoSuchKey, as for PutObject's If-Match (403 to
      callers without s3:ListBucket). The source's x-amz-copy-source-if-match /
      -if-unmodified-since / -if-none-match / -if-modified-since: 412 when they fail
      (moto honoured only -if-none-match), with the reference's precedence: a true
      -if-match overrides a false -if-unmodified-since; a false -if-none-match fails
      whatever -if-modified-since says. Under the destination key's lock.
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html (If-Match,
      If-None-Match, x-amz-copy-source-if-*);
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    """

    @staticmethod
    def answer(environ: dict[str, Any], request: AwsRequest) -> Answer | None:
        """An error answer S3 would give before moto's; None to let moto serve it."""
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        version_id = request.query.get("versionId")
        source = None
        if request.operation in ("CopyObject", "UploadPartCopy"):
            source = s3auth.copy_source(header(environ, "X-Amz-Copy-Source"))
            version_id = source[2] if source else None
        if version_id is not None and not _VERSION_ID.match(version_id):
            return INVALID_VERSION_ID, []
        bucket = backend.buckets.get(request.bucket)
        if bucket is None:
            return None
        if request.operation == "GetObject":
            return Versions._get_delete_marker(bucket, request.key, version_id)
        if request.operation == "CopyObject" and source is not None:
            error = Versions._copy_source_condition(environ, backend, source) or \
                Versions._copy_destination_condition(environ, bucket, request.key)
            return (error, []) if error else None
        return None

    @staticmethod
    def _get_delete_marker(bucket: Any, key: str, version_id: str | None) -> Answer | None:
        versions = bucket.keys.getlist(key, default=[]) if key in bucket.keys else []
        if version_id is None:
            current = versions[-1] if versions else None
            if isinstance(current, FakeDeleteMarker):
                return NO_SUCH_KEY, [("x-amz-delete-marker", "true"), ("x-amz-version-id", current.version_id)]
            return None
        for version in versions:
            if isinstance(version, FakeDeleteMarker) and version.version_id == version_id:
                return METHOD_NOT_ALLOWED, [
                    ("x-amz-delete-marker", "true"), ("x-amz-version-id", version_id),
                    ("Last-Modified", email.utils.formatdate(_seconds(version.last_modified), usegmt=True)),
                    ("Allow", "DELETE"),
                ]
        return None

    @staticmethod
    def _copy_source_condition(environ: dict[str, Any], backend: Any, source: tuple[str, str, str | None]
                               ) -> S3Error | None:
        copied = backend.get_object(source[0], source[1], version_id=source[2])
        if copied is None:
            return None  # moto answers NoSuchKey / NoSuchVersion
        modified = _seconds(copied.last_modified)
        if_match = header(environ, "X-Amz-Copy-Source-If-Match")
        unmodified_since = _http_date(header(environ, "X-Amz-Copy-Source-If-Unmodified-Since"))
        if if_match:
            if not _etag_matches(if_match, copied.etag):
                return PRECONDITION_FAILED
        elif unmodified_since is not None and modified > unmodified_since:
            return PRECONDITION_FAILED
        if_none_match = header(environ, "X-Amz-Copy-Source-If-None-Match")
        modified_since = _http_date(header(environ, "X-Amz-Copy-Source-If-Modified-Since"))
        if if_none_match:
            if _etag_matches(if_none_match, copied.etag):
                return PRECONDITION_FAILED
        elif modified_since is not None and modified <= modified_since:
            return PRECONDITION_FAILED
        return None

    @staticmethod
    def _copy_destination_condition(environ: dict[str, Any], bucket: Any, key: str) -> S3Error | None:
        current = bucket.keys[key] if key in bucket.keys else None
        live = current if isinstance(current, FakeKey) else None
        if_none_match = header(environ, "If-None-Match")
        if if_none_match and live is not None and _etag_matches(if_none_match, live.etag):
            return PRECONDITION_FAILED
        if_match = header(environ, "If-Match")
        if if_match:
            if live is None:
                return NO_SUCH_KEY
            if not _etag_matches(if_match, live.etag):
                return PRECONDITION_FAILED
        return None

    @staticmethod
    def delete_precondition(bucket: Any, key: str, if_match: str) -> S3Error | None:
        current = bucket.keys[key] if key in bucket.keys else None
        if not isinstance(current, FakeKey):
            return NO_SUCH_KEY
        return None if _etag_matches(if_match, current.etag) else PRECONDITION_FAILED

    @staticmethod
    def install() -> None:
        """Patch moto's S3Backend.delete_object, which DeleteObject and DeleteObjects both
        use, so that a key with no version gets a delete marker in a versioned bucket."""
        original = S3Backend.delete_object

        def delete_object(backend: Any, bucket_name: str, key_name: str, version_id: str | None = None,
                          bypass: bool = False) -> tuple[bool, dict[str, Any]]:
            bucket = backend.get_bucket(bucket_name)
            if version_id is None and getattr(bucket, "is_versioned", False) and key_name not in bucket.keys:
                marker = Versions.add_delete_marker(bucket, key_name)
                return True, {"version-id": marker.version_id, "delete-marker": "true"}
            return original(backend, bucket_name, key_name, version_id=version_id, bypass=bypass)

        S3Backend.delete_object = delete_object  # type: ignore[method-assign]

        # Correction o: a folder whose every key is deleted (a delete marker is current)
        # is no CommonPrefix, as in S3, where a listing of current objects never sees
        # delete markers; moto derived the folders from every key, markers included.
        original_list = S3Backend.list_objects

        def list_objects(backend: Any, bucket: Any, prefix: str | None, delimiter: str | None,
                         marker: str | None, max_keys: int | None) -> Any:
            keys, folders, truncated, next_marker = original_list(backend, bucket, prefix, delimiter, marker, max_keys)
            if delimiter and folders:
                folders = [folder for folder in folders if Versions._has_current_object(bucket.keys, folder)]
            return keys, folders, truncated, next_marker

        S3Backend.list_objects = list_objects  # type: ignore[method-assign]

    @staticmethod
    def _has_current_object(store: Any, folder: str) -> bool:
        """Some key under the folder has a current version that is no delete marker
        (only the folder's keys are read: correction v's index)."""
        for name in KeyIndex.under(store, folder):
            current = store.get(name)
            if current is not None and not isinstance(current, FakeDeleteMarker):
                return True
        return False

    @staticmethod
    def add_delete_marker(bucket: Any, key: str) -> FakeDeleteMarker:
        """A delete marker for a key with no version (moto's constructor wants a FakeKey)."""
        marker = FakeDeleteMarker.__new__(FakeDeleteMarker)
        marker.key = None
        marker.name = key
        marker.last_modified = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        marker._version_id = str(uuid.uuid4())
        bucket.keys[key] = marker
        return marker

    @staticmethod
    def delete(
        moto_app: Any, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Correction l (DeleteObject): If-Match on the current version, `*` included,
        checked under the key's lock."""
        bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(request.bucket)
        if bucket is None:
            return moto_app(environ, start_response)  # NoSuchBucket
        if_match = header(environ, "If-Match")
        if if_match:
            error = Versions.delete_precondition(bucket, request.key, if_match)
            if error is not None:
                return s3_error_response(error, request, start_response)
            # Checked here under the key's lock; moto's own check refuses `*`.
            environ.pop("HTTP_IF_MATCH", None)
        return moto_app(environ, start_response)


QUIET = re.compile(rb"<Quiet>\s*true\s*</Quiet>", re.IGNORECASE)
_DELETED = re.compile(rb"<Deleted>.*?</Deleted>", re.DOTALL)


def quiet_delete_result(
    call: Callable[[StartResponse], Iterable[bytes]], start_response: StartResponse
) -> list[bytes]:
    """Correction l (DeleteObjects): "When you add this element [Quiet], you must set its
    value to true" and the response "includes only keys where the delete operation
    encountered an error"; moto reports every deleted key anyway.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html"""
    return rewrite_ok_body(call, start_response, lambda body: _DELETED.sub(b"", body))
