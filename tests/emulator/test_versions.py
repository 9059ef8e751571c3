"""Versions, delete markers and conditional deletes and copies (correction l), and what
a user's own credentials may do with history: read and list it, never destroy it.
Each test names the AWS page it follows."""

from __future__ import annotations

import base64
import datetime
import threading
import zlib
from typing import Any, Callable

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest

from harness import Emulator, Stack, error_code, http, run_together, unique, user_credentials

FAKE_VERSION = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"[:32]  # S3's shape, never issued here


def failure(call: Callable[[], Any]) -> tuple[str, int, dict[str, str]]:
    """(error code, HTTP status, response headers) of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], \
        response["ResponseMetadata"]["HTTPHeaders"]


# --------------------------------------------------------------------------
# Direct credentials: history can be read, never destroyed
# --------------------------------------------------------------------------


def test_users_read_and_list_their_versions_but_cannot_destroy_history(
    stack: Stack, alice: Any, bob: Any
) -> None:
    """The role grants s3:GetObjectVersion and s3:ListBucketVersions (with the s3:prefix
    rule of ListBucket) in the own home, never s3:DeleteObjectVersion or
    s3:PutBucketVersioning (infra-policies/cases.json)."""
    (s3, home), (b, bob_home) = alice, bob
    bucket = stack["BUCKET_NAME"]
    key = home + unique("history")
    v1 = s3.put_object(Bucket=bucket, Key=key, Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key=key, Body=b"two")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key=key, VersionId=v1)["Body"].read() == b"one"
    assert s3.head_object(Bucket=bucket, Key=key, VersionId=v1)["VersionId"] == v1
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [(v2, True), (v1, False)]
    s3.list_object_versions(Bucket=bucket, Prefix=home)
    # A versioned copy source needs s3:GetObjectVersion on it: the own home only.
    s3.copy_object(Bucket=bucket, Key=key + "-restored", CopySource={"Bucket": bucket, "Key": key, "VersionId": v1})
    assert s3.get_object(Bucket=bucket, Key=key + "-restored")["Body"].read() == b"one"

    denied: dict[str, Callable[[], Any]] = {
        "delete a version": lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=v1),
        "delete a version in a batch": lambda: s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key, "VersionId": v1}]}),
        "suspend versioning": lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}),
        "expire versions": lambda: s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [{
                "ID": "x", "Status": "Enabled", "Filter": {"Prefix": home},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}),
        "tag a version": lambda: s3.put_object_tagging(
            Bucket=bucket, Key=key, VersionId=v1, Tagging={"TagSet": []}),
        "list versions without prefix": lambda: s3.list_object_versions(Bucket=bucket),
        "list versions of home/": lambda: s3.list_object_versions(Bucket=bucket, Prefix="home/"),
        "list versions above the home": lambda: s3.list_object_versions(Bucket=bucket, Prefix=home[:-1]),
        "bob lists alice's versions": lambda: b.list_object_versions(Bucket=bucket, Prefix=home),
        "bob reads alice's version": lambda: b.get_object(Bucket=bucket, Key=key, VersionId=v1),
        "bob copies alice's version": lambda: b.copy_object(
            Bucket=bucket, Key=bob_home + "stolen", CopySource={"Bucket": bucket, "Key": key, "VersionId": v1}),
        "bob deletes alice's version": lambda: b.delete_object(Bucket=bucket, Key=key, VersionId=v1),
    }
    assert {name: error_code(call) for name, call in denied.items()} == dict.fromkeys(denied, "AccessDenied")
    assert [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix=key + "")["Versions"]
            if v["Key"] == key] == [v2, v1], "nothing was destroyed"


# --------------------------------------------------------------------------
# Delete markers
# --------------------------------------------------------------------------


def test_delete_markers_as_s3_answers_them(stack: Stack, alice: Any, admin: Any) -> None:
    """GetObject: "If the current version of the object is a delete marker, Amazon S3
    behaves as if the object was deleted and includes x-amz-delete-marker: true in the
    response. If the specified version in the request is a delete marker, the response
    returns a 405 Method Not Allowed error and the Last-Modified: timestamp response
    header." https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("deleted")
    written = s3.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key=key)
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] not in (None, "", written)
    marker = deleted["VersionId"]

    code, status, headers = failure(lambda: admin.get_object(Bucket=bucket, Key=key))
    assert (code, status) == ("NoSuchKey", 404)
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    code, status, headers = failure(lambda: s3.get_object(Bucket=bucket, Key=key))
    assert (code, status) == ("AccessDenied", 403), "no s3:ListBucket: 403, as for any missing key"
    assert "x-amz-delete-marker" not in headers
    for caller in (admin, s3):
        code, status, headers = failure(lambda: caller.get_object(Bucket=bucket, Key=key, VersionId=marker))
        assert (code, status) == ("MethodNotAllowed", 405)
        assert headers["x-amz-delete-marker"] == "true" and headers["last-modified"]
        code, status, headers = failure(lambda: caller.head_object(Bucket=bucket, Key=key, VersionId=marker))
        assert status == 405 and headers["x-amz-delete-marker"] == "true"
    assert s3.get_object(Bucket=bucket, Key=key, VersionId=written)["Body"].read() == b"x"


def test_deleting_a_key_with_no_version_adds_a_delete_marker(stack: Stack, alice: Any, admin: Any) -> None:
    """In a versioning-enabled bucket a simple DELETE inserts a delete marker, whether or
    not the key has versions, and answers x-amz-delete-marker / x-amz-version-id.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html;
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("never-written")
    answer = s3.delete_object(Bucket=bucket, Key=key)
    assert answer["DeleteMarker"] is True and answer["VersionId"]
    listed = admin.list_object_versions(Bucket=bucket, Prefix=key)
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == \
        [(key, answer["VersionId"], True)]
    assert "Versions" not in listed
    again = s3.delete_object(Bucket=bucket, Key=key)
    assert again["DeleteMarker"] is True and again["VersionId"] != answer["VersionId"]
    assert s3.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 0
    s3.put_object(Bucket=bucket, Key=key, Body=b"now")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"now"


def test_version_ids_that_do_not_exist_or_cannot_exist(stack: Stack, alice: Any, admin: Any) -> None:
    """A version that does not exist is 404 NoSuchVersion to a caller who may
    s3:ListBucket, else 403 (GetObject, Permissions: "If the object you request doesn't
    exist, the error that Amazon S3 returns depends on whether you also have the
    s3:ListBucket permission"); one that cannot be a version id is 400 InvalidArgument
    (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("v")
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert failure(lambda: admin.get_object(Bucket=bucket, Key=key, VersionId=FAKE_VERSION))[:2] == \
        ("NoSuchVersion", 404)
    assert failure(lambda: s3.get_object(Bucket=bucket, Key=key, VersionId=FAKE_VERSION))[:2] == \
        ("AccessDenied", 403)
    assert failure(lambda: s3.head_object(Bucket=bucket, Key=key, VersionId=FAKE_VERSION))[1] == 403
    other = admin.put_object(Bucket=bucket, Key=key + "-other", Body=b"y")["VersionId"]
    assert failure(lambda: admin.get_object(Bucket=bucket, Key=key, VersionId=other))[:2] == \
        ("NoSuchVersion", 404), "a version of another key"
    for malformed in ("not a version!", "abc", "x" * 33):
        assert failure(lambda: s3.get_object(Bucket=bucket, Key=key, VersionId=malformed))[:2] == \
            ("InvalidArgument", 400)
        assert failure(lambda: admin.get_object(Bucket=bucket, Key=key, VersionId=malformed))[:2] == \
            ("InvalidArgument", 400)
        assert failure(lambda: s3.copy_object(Bucket=bucket, Key=key + "-c", CopySource={
            "Bucket": bucket, "Key": key, "VersionId": malformed}))[:2] == ("InvalidArgument", 400)


def test_writes_answer_their_version_id(stack: Stack, alice: Any) -> None:
    """PutObject, CopyObject and CompleteMultipartUpload answer x-amz-version-id in a
    versioned bucket (moto's own behaviour, pinned).
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("w")
    put = s3.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"]
    copied = s3.copy_object(Bucket=bucket, Key=key + "-c", CopySource={"Bucket": bucket, "Key": key})
    assert copied["VersionId"] and copied["CopySourceVersionId"] == put
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key + "-m")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key + "-m", UploadId=upload, PartNumber=1, Body=b"p")
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key + "-m", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done["VersionId"] == s3.head_object(Bucket=bucket, Key=key + "-m")["VersionId"]


# --------------------------------------------------------------------------
# Listing versions
# --------------------------------------------------------------------------


def test_list_object_versions_pages_2500_versions_in_key_then_newest_first_order(
    stack: Stack, alice: Any, admin: Any
) -> None:
    """Versions and delete markers ordered by key, then newest first, IsLatest on the
    current one, paginated with MaxKeys / KeyMarker + VersionIdMarker / NextKeyMarker +
    NextVersionIdMarker / IsTruncated (moto's own behaviour, pinned), for keys that are
    prefixes of others. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    base = home + unique("many") + "/"
    keys = [base + "a", base + "a/b", base + "a1", base + "b"]
    made: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        for i in range(worker, 2500, 4):  # one key per worker: each key's order is known
            key = keys[worker]
            answer = (admin.delete_object(Bucket=bucket, Key=key) if i % 50 == 49
                      else admin.put_object(Bucket=bucket, Key=key, Body=str(i).encode()))
            with lock:
                made.append((key, answer["VersionId"], i))

    run_together(write, 4)
    expected = [(k, v) for k, v, _ in sorted(made, key=lambda m: (m[0], -m[2]))]
    latest = {k: v for k, v, _ in sorted(made, key=lambda m: m[2])}

    pages, listed, markers = 0, [], {}
    while True:
        page = s3.list_object_versions(Bucket=bucket, Prefix=base, MaxKeys=1000, **markers)
        pages += 1
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) == (1000 if page["IsTruncated"] else 500)
        listed += [(e["Key"], e["VersionId"], e["IsLatest"]) for e in entries]
        for version in page.get("Versions", []):
            assert {"ETag", "Size", "LastModified"} <= set(version)
        if not page["IsTruncated"]:
            assert "NextKeyMarker" not in page
            break
        markers = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    assert pages == 3
    order = {version: n for n, (_, version) in enumerate(expected)}
    assert sorted(listed, key=lambda e: order[e[1]]) == \
        [(k, v, latest[k] == v) for k, v in expected]
    one_key = s3.list_object_versions(Bucket=bucket, Prefix=base + "a", MaxKeys=1000)
    first_page_keys = {e["Key"] for e in one_key.get("Versions", []) + one_key.get("DeleteMarkers", [])}
    assert first_page_keys == {base + "a", base + "a/b"} and one_key["IsTruncated"], \
        "a prefix matches longer keys (a/b, then a1 on the next page): callers filter exact matches"


# --------------------------------------------------------------------------
# Conditional deletes
# --------------------------------------------------------------------------


def test_conditional_delete(stack: Stack, alice: Any, admin: Any) -> None:
    """DeleteObject If-Match: deletes only if the current version's ETag matches (`*`:
    any), else 412; no current object (none, or a delete marker) 404 NoSuchKey, 403 to
    callers without s3:ListBucket.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html;
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("cond")
    first = s3.put_object(Bucket=bucket, Key=key, Body=b"1")["ETag"]
    second = s3.put_object(Bucket=bucket, Key=key, Body=b"2")["ETag"]
    assert failure(lambda: s3.delete_object(Bucket=bucket, Key=key, IfMatch=first))[:2] == \
        ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"2", "a failed condition deletes nothing"
    deleted = s3.delete_object(Bucket=bucket, Key=key, IfMatch=second)
    assert deleted["DeleteMarker"] is True and deleted["VersionId"]
    assert failure(lambda: admin.delete_object(Bucket=bucket, Key=key, IfMatch=second))[:2] == ("NoSuchKey", 404)
    assert failure(lambda: admin.delete_object(Bucket=bucket, Key=key, IfMatch="*"))[:2] == ("NoSuchKey", 404)
    assert failure(lambda: s3.delete_object(Bucket=bucket, Key=key, IfMatch="*"))[:2] == ("AccessDenied", 403)
    s3.put_object(Bucket=bucket, Key=key, Body=b"3")
    assert s3.delete_object(Bucket=bucket, Key=key, IfMatch="*")["DeleteMarker"] is True
    never = home + unique("never")
    assert failure(lambda: admin.delete_object(Bucket=bucket, Key=never, IfMatch="*"))[:2] == ("NoSuchKey", 404)
    assert "DeleteMarkers" not in admin.list_object_versions(Bucket=bucket, Prefix=never), \
        "a failed conditional delete adds no marker"


def test_racing_conditional_deletes_and_writes_have_one_outcome(stack: Stack, alice: Any) -> None:
    """Conditional deletes are checked and applied in one step with every write to the
    key (correction i): of 12 deletes with the same If-Match racing a rewrite, either
    exactly one delete wins, or the rewrite came first and none does."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("race")
    etag = s3.put_object(Bucket=bucket, Key=key, Body=b"0")["ETag"]
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        try:
            if i == 0:
                s3.put_object(Bucket=bucket, Key=key, Body=b"rewritten")
                outcomes.append("put")
            else:
                s3.delete_object(Bucket=bucket, Key=key, IfMatch=etag)
                outcomes.append("ok")
        except botocore.exceptions.ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    run_together(attempt, 13)
    assert outcomes.count("ok") <= 1, outcomes
    assert set(outcomes) <= {"ok", "put", "PreconditionFailed", "AccessDenied"}, outcomes
    markers = s3.list_object_versions(Bucket=bucket, Prefix=key).get("DeleteMarkers", [])
    assert len(markers) == outcomes.count("ok")


# --------------------------------------------------------------------------
# Conditional copies
# --------------------------------------------------------------------------


def test_copy_destination_conditions(stack: Stack, alice: Any, admin: Any) -> None:
    """CopyObject If-Match / If-None-Match: * apply to the destination: 412 when they
    fail; If-Match on a destination with no current object is 404 NoSuchKey (403 without
    s3:ListBucket), as PutObject's If-Match.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html;
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    source, dest = home + unique("src"), home + unique("dst")
    s3.put_object(Bucket=bucket, Key=source, Body=b"source")
    copy = {"Bucket": bucket, "Key": source}
    assert failure(lambda: admin.copy_object(Bucket=bucket, Key=dest, CopySource=copy, IfMatch='"x"'))[:2] == \
        ("NoSuchKey", 404)
    assert failure(lambda: s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, IfMatch='"x"'))[:2] == \
        ("AccessDenied", 403)
    s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, IfNoneMatch="*")
    assert failure(lambda: s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, IfNoneMatch="*"))[:2] == \
        ("PreconditionFailed", 412)
    etag = s3.head_object(Bucket=bucket, Key=dest)["ETag"]
    s3.put_object(Bucket=bucket, Key=dest, Body=b"changed")
    assert failure(lambda: s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, IfMatch=etag))[:2] == \
        ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key=dest)["Body"].read() == b"changed"
    current = s3.head_object(Bucket=bucket, Key=dest)["ETag"]
    s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, IfMatch=current)
    assert s3.get_object(Bucket=bucket, Key=dest)["Body"].read() == b"source"
    s3.delete_object(Bucket=bucket, Key=dest)  # a delete marker is no current object
    s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, IfNoneMatch="*")


def test_copy_source_conditions_and_versions(stack: Stack, alice: Any, admin: Any) -> None:
    """x-amz-copy-source-if-match / -if-none-match / -if-modified-since /
    -if-unmodified-since apply to the source (412 when they fail), and
    x-amz-copy-source: bucket/key?versionId=V copies that version.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    source, dest = home + unique("src"), home + unique("dst")
    old = s3.put_object(Bucket=bucket, Key=source, Body=b"old")
    new = s3.put_object(Bucket=bucket, Key=source, Body=b"new")
    copy = {"Bucket": bucket, "Key": source}
    past, future = datetime.datetime(2000, 1, 1), datetime.datetime(2100, 1, 1)
    failing: dict[str, dict[str, Any]] = {
        "if-match, another etag": {"CopySourceIfMatch": old["ETag"]},
        "if-none-match, its etag": {"CopySourceIfNoneMatch": new["ETag"]},
        "if-modified-since the future": {"CopySourceIfModifiedSince": future},
        "if-unmodified-since 2000": {"CopySourceIfUnmodifiedSince": past},
        "if-none-match false beats if-modified-since true": {
            "CopySourceIfNoneMatch": new["ETag"], "CopySourceIfModifiedSince": past},
    }
    for name, condition in failing.items():
        assert failure(lambda: s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, **condition))[:2] == \
            ("PreconditionFailed", 412), name
    assert failure(lambda: s3.head_object(Bucket=bucket, Key=dest))[1] == 403, "nothing was copied"
    passing: dict[str, dict[str, Any]] = {
        "if-match, its etag": {"CopySourceIfMatch": new["ETag"]},
        "if-match true beats if-unmodified-since false": {
            "CopySourceIfMatch": new["ETag"], "CopySourceIfUnmodifiedSince": past},
        "if-none-match, another etag": {"CopySourceIfNoneMatch": old["ETag"]},
        "if-modified-since 2000": {"CopySourceIfModifiedSince": past},
        "if-unmodified-since the future": {"CopySourceIfUnmodifiedSince": future},
    }
    for name, condition in passing.items():
        s3.copy_object(Bucket=bucket, Key=dest, CopySource=copy, **condition)
        assert s3.get_object(Bucket=bucket, Key=dest)["Body"].read() == b"new", name
    restored = s3.copy_object(Bucket=bucket, Key=source, CopySource={**copy, "VersionId": old["VersionId"]},
                              CopySourceIfMatch=old["ETag"], IfMatch=new["ETag"])
    assert restored["CopySourceVersionId"] == old["VersionId"]
    assert s3.get_object(Bucket=bucket, Key=source)["Body"].read() == b"old"
    assert failure(lambda: admin.copy_object(Bucket=bucket, Key=dest, CopySource={
        **copy, "VersionId": FAKE_VERSION}))[:2] == ("NoSuchVersion", 404)


# --------------------------------------------------------------------------
# DeleteObjects
# --------------------------------------------------------------------------


def _signed_delete_objects(emulator: Emulator, stack: Stack, key: tuple[str, ...], body: bytes,
                           headers: dict[str, str]) -> tuple[int, bytes]:
    """DeleteObjects as aws-sdk-rust sends it: a flexible checksum header, no Content-MD5."""
    url = f"{emulator.url}/{stack['BUCKET_NAME']}?delete"
    request = botocore.awsrequest.AWSRequest("POST", url, data=body, headers=headers)
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(*key), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    status, _, answer = http("POST", url, body, dict(prepared.headers), timeout=10)
    return status, answer


def test_delete_objects_adds_markers_and_takes_a_flexible_checksum(
    emulator: Emulator, stack: Stack, alice: Any
) -> None:
    """DeleteObjects in a versioned bucket adds a delete marker per key and reports it
    (<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>); it "requires a Content-MD5
    or a checksum header" (x-amz-checksum-crc32, -crc64nvme, ... as the SDKs send):
    moto accepts the checksum header without Content-MD5, pinned here.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html"""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    keys = [home + unique("batch-a"), home + unique("batch-b")]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    body = ("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>false</Quiet>"
            + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys) + "</Delete>").encode()
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    credentials, _ = user_credentials(emulator, stack, "alice@example.com")
    status, answer = _signed_delete_objects(emulator, stack, credentials, body, {
        "Content-Type": "application/xml", "x-amz-checksum-crc32": crc, "x-amz-sdk-checksum-algorithm": "CRC32"})
    assert status == 200, answer
    for key in keys:
        assert f"<Key>{key}</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>".encode() in answer \
            or (f"<Key>{key}</Key>".encode() in answer and b"<DeleteMarker>true</DeleteMarker>" in answer)
        assert s3.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 0
        markers = s3.list_object_versions(Bucket=bucket, Prefix=key)["DeleteMarkers"]
        assert [m["IsLatest"] for m in markers] == [True]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Quiet": True, "Objects": [{"Key": k} for k in keys]})
    assert "Deleted" not in quiet and "Errors" not in quiet
