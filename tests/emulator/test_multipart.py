"""Multipart uploads and presigned transfers as S3 serves them (corrections c, i, j):
an upload ID names one upload of one key, CompleteMultipartUpload checks parts and
preconditions atomically, presigned part URLs sign their Content-Length, and large
bodies move through presigned URLs at a usable speed. Real HTTP requests throughout,
signed by boto3 or sent with urllib to presigned URLs."""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import os
import threading
import time
import uuid
from typing import Any, Callable

import botocore.auth
import botocore.exceptions
import pytest

from harness import Stack, code_of, error_code, http, presign, status_and_code, unique

MIB = 1024 * 1024


def exists(admin: Any, bucket: str, key: str) -> bool:
    try:
        admin.head_object(Bucket=bucket, Key=key)
        return True
    except botocore.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] in ("404", "NoSuchKey"), error.response
        return False


def upload_operations(s3: Any, bucket: str, key: str, upload_id: str, source: dict[str, str]
                      ) -> dict[str, Callable[[], Any]]:
    """The five operations that name an upload, each on (bucket, key, upload_id)."""
    return {
        "UploadPart": lambda: s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=b"x"),
        "UploadPartCopy": lambda: s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2,
                                                      CopySource=source),
        "ListParts": lambda: s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id),
        "CompleteMultipartUpload": lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]}),
        "AbortMultipartUpload": lambda: s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id),
    }


def test_list_parts_answers_with_the_documented_root_element(stack: Stack, alice: Any) -> None:
    """Correction k: the response root is ListPartsResult
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html)."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + uuid.uuid4().hex
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")
    roots: list[str] = []

    def keep_root(http_response: Any, **_: Any) -> None:
        root = http_response.content.split(b"?>", 1)[-1].strip()
        roots.append(root[1:].split(b" ")[0].split(b">")[0].decode())

    s3.meta.events.register("after-call.s3.ListParts", keep_root)
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]
    s3.meta.events.unregister("after-call.s3.ListParts", keep_root)
    assert [p["PartNumber"] for p in parts] == [1]
    assert roots == ["ListPartsResult"]


# --------------------------------------------------------------------------
# An upload ID names one upload of one key (correction j)
# --------------------------------------------------------------------------


def test_an_upload_id_of_another_key_is_no_such_upload(stack: Stack, alice: Any, bob: Any, admin: Any) -> None:
    """moto finds uploads by id alone: Bob, on a key of his own home, could list, fill,
    complete (into Alice's key) or abort Alice's upload. S3 answers NoSuchUpload."""
    (a, alice_home), (b, bob_home) = alice, bob
    bucket = stack["BUCKET_NAME"]
    key = alice_home + unique("video.mp4")
    upload = a.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = a.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"alice's part")
    alice_source = {"Bucket": bucket, "Key": alice_home + unique("source")}
    a.put_object(Bucket=bucket, Key=alice_source["Key"], Body=b"source")
    bob_source = {"Bucket": bucket, "Key": bob_home + unique("source")}
    b.put_object(Bucket=bucket, Key=bob_source["Key"], Body=b"source")

    attempts = {
        "alice, another key of hers": upload_operations(a, bucket, alice_home + unique("other"), upload,
                                                        alice_source),
        "bob, a key of his": upload_operations(b, bucket, bob_home + unique("mine"), upload, bob_source),
        "bob, the same name in his home": upload_operations(b, bucket, bob_home + key[len(alice_home):], upload,
                                                            bob_source),
        "admin, another key": upload_operations(admin, bucket, alice_home + unique("admin"), upload, alice_source),
    }
    for who, operations in attempts.items():
        for operation, call in operations.items():
            assert status_and_code(call) == (404, "NoSuchUpload"), f"{who}: {operation}"

    # On Alice's own key Bob is refused by IAM first, as S3 authorizes before looking.
    for operation, call in upload_operations(b, bucket, key, upload, bob_source).items():
        assert status_and_code(call) == (403, "AccessDenied"), f"bob on alice's key: {operation}"

    # Nothing happened to Alice's upload, and nothing was created anywhere.
    parts = a.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, part["ETag"], 12)]
    assert not exists(admin, bucket, key)
    a.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert admin.get_object(Bucket=bucket, Key=key)["Body"].read() == b"alice's part"


def test_an_upload_id_of_another_bucket_is_no_such_upload(stack: Stack, admin: Any) -> None:
    bucket = stack["BUCKET_NAME"]
    other = "homedir-other-" + uuid.uuid4().hex[:8]
    admin.create_bucket(Bucket=other)
    key = unique("same-key")
    upload = admin.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    source = {"Bucket": bucket, "Key": unique("source")}
    admin.put_object(Bucket=bucket, Key=source["Key"], Body=b"source")
    for operation, call in upload_operations(admin, other, key, upload, source).items():
        assert status_and_code(call) == (404, "NoSuchUpload"), operation
    assert admin.list_parts(Bucket=bucket, Key=key, UploadId=upload).get("Parts", []) == []


def test_an_unknown_upload_id_is_no_such_upload(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    source = {"Bucket": bucket, "Key": home + unique("source")}
    s3.put_object(Bucket=bucket, Key=source["Key"], Body=b"source")
    for operation, call in upload_operations(s3, bucket, home + unique("k"), "not-an-upload", source).items():
        assert status_and_code(call) == (404, "NoSuchUpload"), operation


def test_after_abort_the_upload_is_gone_and_nothing_was_stored(stack: Stack, alice: Any, admin: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("aborted")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"x" * 1024)
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
    source = {"Bucket": bucket, "Key": home + unique("source")}
    s3.put_object(Bucket=bucket, Key=source["Key"], Body=b"source")
    for operation, call in upload_operations(s3, bucket, key, upload, source).items():
        assert status_and_code(call) == (404, "NoSuchUpload"), operation
    assert status_and_code(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})) == (404, "NoSuchUpload")
    assert not exists(admin, bucket, key)
    listed = admin.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
    assert [u for u in listed if u["UploadId"] == upload] == []


def test_a_completed_upload_takes_no_more_parts(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("done")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"done")
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert status_and_code(lambda: s3.upload_part(
        Bucket=bucket, Key=key, UploadId=upload, PartNumber=2, Body=b"more")) == (404, "NoSuchUpload")
    assert status_and_code(lambda: s3.list_parts(Bucket=bucket, Key=key, UploadId=upload)) == (404, "NoSuchUpload")
    assert status_and_code(lambda: s3.abort_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload)) == (404, "NoSuchUpload")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"done"


# --------------------------------------------------------------------------
# CompleteMultipartUpload: parts and preconditions
# --------------------------------------------------------------------------


def test_complete_checks_part_sizes_numbers_etags_and_order(stack: Stack, alice: Any, admin: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("checked")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    big = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"a" * 5 * MIB)["ETag"]
    small = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=2, Body=b"b")["ETag"]
    tiny = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=3, Body=b"c")["ETag"]

    def complete(*parts: tuple[int, str]) -> Callable[[], Any]:
        return lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})

    assert status_and_code(complete((1, big), (2, small), (3, tiny))) == (400, "EntityTooSmall")
    assert status_and_code(complete((1, big), (4, small))) == (400, "InvalidPart")
    assert status_and_code(complete((1, big), (2, tiny))) == (400, "InvalidPart")
    assert status_and_code(complete((2, small), (1, big))) == (400, "InvalidPartOrder")
    assert status_and_code(complete((1, big), (1, big))) == (400, "InvalidPartOrder")
    assert not exists(admin, bucket, key)
    # A failed completion leaves the upload as it was.
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]] == [1, 2, 3]
    etag = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": big}, {"PartNumber": 3, "ETag": tiny}]})["ETag"]
    assert etag.strip('"').endswith("-2")
    assert admin.head_object(Bucket=bucket, Key=key)["ContentLength"] == 5 * MIB + 1


def test_complete_checks_the_declared_object_size(stack: Stack, alice: Any, admin: Any) -> None:
    """Correction t: x-amz-mp-object-size (MpuObjectSize) must equal the size of the
    completed object, else 400 InvalidRequest and nothing is stored
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html)."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("sized")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"a" * 5 * MIB)["ETag"]
    last = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=2, Body=b"tail")["ETag"]
    unused = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=3, Body=b"never listed")["ETag"]
    size = 5 * MIB + 4
    parts = {"Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": last}]}

    for declared in (size - 1, size + 1, size + len(b"never listed"), 0):
        assert status_and_code(lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, MpuObjectSize=declared)) == \
            (400, "InvalidRequest")
    assert not exists(admin, bucket, key)
    # The upload is left as it was: all its parts, and it still completes.
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]] == [1, 2, 3]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, MpuObjectSize=size)
    assert admin.head_object(Bucket=bucket, Key=key)["ContentLength"] == size
    assert unused  # part 3 was uploaded, not completed


def test_complete_checks_the_declared_size_of_a_one_part_upload(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("one-part")
    upload, parts = start_one_part(s3, bucket, key, b"0123456789")
    assert status_and_code(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, MpuObjectSize=9)) == (400, "InvalidRequest")
    assert s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts,
                                        MpuObjectSize=10)["ETag"]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"0123456789"


def start_one_part(s3: Any, bucket: str, key: str, body: bytes) -> tuple[str, dict[str, Any]]:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=body)["ETag"]
    return upload, {"Parts": [{"PartNumber": 1, "ETag": etag}]}


def test_complete_honours_if_none_match_and_if_match(stack: Stack, alice: Any, admin: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("conditional")

    # Missing key: If-None-Match: * creates; If-Match is 403 to issued keys (no
    # unconditional s3:ListBucket), 404 NoSuchKey to the admin.
    upload, parts = start_one_part(s3, bucket, key, b"missing")
    assert status_and_code(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, IfMatch='"abc"')) == (403, "AccessDenied")
    assert status_and_code(lambda: admin.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, IfMatch='"abc"')) == (404, "NoSuchKey")
    first = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts,
                                         IfNoneMatch="*")["ETag"]

    # Existing key: If-None-Match: * fails; If-Match with another ETag fails; with the
    # current ETag it replaces.
    upload, parts = start_one_part(s3, bucket, key, b"second")
    assert status_and_code(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, IfNoneMatch="*")) == (
        412, "PreconditionFailed")
    assert status_and_code(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts,
        IfMatch='"0123456789abcdef0123456789abcdef-1"')) == (412, "PreconditionFailed")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"missing"
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, IfMatch=first)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"second"


def test_complete_races_put_with_exactly_one_winner(stack: Stack, alice: Any) -> None:
    """If-None-Match: * on CompleteMultipartUpload and on PutObject of the same key,
    at the same moment: the check and the store are one step (correction i), so one
    wins and the other gets 412, every round."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    for round_ in range(8):
        key = home + unique(f"race-{round_}")
        upload, parts = start_one_part(s3, bucket, key, b"complete")
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def attempt(name: str, call: Callable[[], Any]) -> None:
            barrier.wait()
            try:
                call()
                outcomes[name] = "won"
            except botocore.exceptions.ClientError as error:
                outcomes[name] = error.response["Error"]["Code"]

        threads = [
            threading.Thread(target=attempt, args=("complete", lambda: s3.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=parts, IfNoneMatch="*"))),
            threading.Thread(target=attempt, args=("put", lambda: s3.put_object(
                Bucket=bucket, Key=key, Body=b"put", IfNoneMatch="*"))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes.values()) == ["PreconditionFailed", "won"], outcomes
        winner = "complete" if outcomes["complete"] == "won" else "put"
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == winner.encode()


# --------------------------------------------------------------------------
# Presigned URLs for parts and downloads
# --------------------------------------------------------------------------


def test_presigned_part_urls_sign_length_key_and_part(stack: Stack, alice: Any, admin: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("signed parts")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    url = presign(s3, "upload_part", {"Bucket": bucket, "Key": key, "UploadId": upload, "PartNumber": 1,
                                      "ContentLength": 4})
    for body in (b"abc", b"abcde", b""):
        status, _, answer = http("PUT", url, body)
        assert (status, code_of(answer)) == (403, "SignatureDoesNotMatch"), len(body)
    other_key = url.replace("signed%20parts", "signed%20partz", 1)
    assert other_key != url
    assert (lambda r: (r[0], code_of(r[2])))(http("PUT", other_key, b"abcd")) == (403, "SignatureDoesNotMatch")
    other_part = url.replace("partNumber=1", "partNumber=2", 1)
    assert other_part != url
    assert (lambda r: (r[0], code_of(r[2])))(http("PUT", other_part, b"abcd")) == (403, "SignatureDoesNotMatch")
    assert admin.list_parts(Bucket=bucket, Key=key, UploadId=upload).get("Parts", []) == []
    status, headers, _ = http("PUT", url, b"abcd")
    assert status == 200 and headers["etag"] == '"' + hashlib.md5(b"abcd").hexdigest() + '"'
    assert [p["Size"] for p in admin.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]] == [4]


def test_an_expired_part_url_is_refused(monkeypatch: pytest.MonkeyPatch, stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("late part")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    ten_minutes_ago = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_, **__: ten_minutes_ago)
    url = presign(s3, "upload_part", {"Bucket": bucket, "Key": key, "UploadId": upload, "PartNumber": 1,
                                      "ContentLength": 1}, expires=60)
    status, _, body = http("PUT", url, b"x")
    assert (status, code_of(body)) == (403, "AccessDenied") and b"Request has expired" in body


def test_ranged_gets_read_only_the_range_and_keep_every_header(stack: Stack, alice: Any) -> None:
    """Correction m: a ranged GetObject is served from the object's buffer at the
    range, with moto's headers and preconditions (API_GetObject, "Range")."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("ranged.bin")
    first = os.urandom(50_000)
    v1 = s3.put_object(Bucket=bucket, Key=key, Body=first, ContentType="video/mp4")
    second = os.urandom(40_000)
    v2 = s3.put_object(Bucket=bucket, Key=key, Body=second, ContentType="video/mp4")
    got = s3.get_object(Bucket=bucket, Key=key, Range="bytes=100-199")
    assert got["Body"].read() == second[100:200]
    assert got["ContentRange"] == "bytes 100-199/40000"
    assert (got["ETag"], got["ContentType"], got["VersionId"]) == (v2["ETag"], "video/mp4", v2["VersionId"])
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    old = s3.get_object(Bucket=bucket, Key=key, Range="bytes=49990-60000", VersionId=v1["VersionId"])
    assert old["Body"].read() == first[49990:]
    assert old["ContentRange"] == "bytes 49990-49999/50000"
    # Preconditions and errors are still moto's (S3's) answers.
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-9", IfMatch='"nope"')) == \
        "PreconditionFailed"
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-9",
                                            IfNoneMatch=v2["ETag"])) == "304"
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key=key, Range="bytes=50000-50009")) == "InvalidRange"
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key=home + unique("missing"), Range="bytes=0-9")) == \
        "AccessDenied"


def test_presigned_get_serves_ranges_and_response_header_overrides(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("film.bin")
    data = os.urandom(100_000)
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="video/mp4")
    url = presign(s3, "get_object", {"Bucket": bucket, "Key": key})
    status, headers, body = http("GET", url, headers={"Range": "bytes=1000-1999"})
    assert (status, body) == (206, data[1000:2000])
    assert headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    status, _, body = http("GET", url, headers={"Range": "bytes=-10"})
    assert (status, body) == (206, data[-10:])
    status, _, body = http("GET", url)
    assert (status, body) == (200, data)

    disposition = "attachment; filename=\"film.bin\"; filename*=UTF-8''film.bin"
    download = presign(s3, "get_object", {"Bucket": bucket, "Key": key,
                                           "ResponseContentDisposition": disposition})
    status, headers, body = http("GET", download)
    assert (status, body) == (200, data)
    assert headers["content-disposition"] == disposition
    assert headers["content-type"] == "video/mp4"
    # The override is signed: a URL edited to another disposition does not match.
    edited = download.replace("attachment", "inline", 1)
    status, _, body = http("GET", edited)
    assert (status, code_of(body)) == (403, "SignatureDoesNotMatch")


OVERRIDES = {
    "ResponseContentType": ("content-type", "application/octet-stream"),
    "ResponseContentDisposition": ("content-disposition", "attachment; filename=\"page.html\""),
    "ResponseCacheControl": ("cache-control", "no-store"),
    "ResponseContentLanguage": ("content-language", "de"),
    "ResponseContentEncoding": ("content-encoding", "identity"),
    "ResponseExpires": ("expires", "Thu, 01 Dec 1994 16:00:00 GMT"),
}
"""GetObject's response-* parameters and the header each sets
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Overriding response
header values through the request")."""


def test_presigned_gets_and_heads_override_every_response_header(stack: Stack, alice: Any) -> None:
    """Active content (here HTML) served as an attachment of type application/octet-stream,
    on a whole GET (moto's own), a ranged GET and a HEAD (correction u)."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("page.html")
    page = b"<html><script>alert(1)</script></html>" * 100
    s3.put_object(Bucket=bucket, Key=key, Body=page, ContentType="text/html", CacheControl="max-age=60")
    params = {"Bucket": bucket, "Key": key, **{name: value for name, (_, value) in OVERRIDES.items()}}

    status, headers, body = http("GET", presign(s3, "get_object", params))
    assert (status, body) == (200, page)
    assert {header: headers.get(header) for header, _ in OVERRIDES.values()} == dict(OVERRIDES.values())

    status, headers, body = http("GET", presign(s3, "get_object", params), headers={"Range": "bytes=10-19"})
    assert (status, body) == (206, page[10:20])
    assert {header: headers.get(header) for header, _ in OVERRIDES.values()} == dict(OVERRIDES.values())

    status, headers, _ = http("HEAD", presign(s3, "head_object", params))
    assert status == 200
    assert {header: headers.get(header) for header, _ in OVERRIDES.values()} == dict(OVERRIDES.values())
    assert headers["content-length"] == str(len(page))

    # Without overrides: the stored headers.
    status, headers, _ = http("GET", presign(s3, "get_object", {"Bucket": bucket, "Key": key}))
    assert (headers["content-type"], headers.get("content-disposition")) == ("text/html", None)
    assert headers["cache-control"] == "max-age=60"
    # Header-signed requests too (boto3 sends the parameters in the query string).
    got = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-4", ResponseContentType="application/octet-stream",
                        ResponseContentDisposition="attachment")
    assert (got["ContentType"], got["ContentDisposition"]) == ("application/octet-stream", "attachment")
    head = s3.head_object(Bucket=bucket, Key=key, ResponseContentType="application/octet-stream")
    assert head["ContentType"] == "application/octet-stream"


# --------------------------------------------------------------------------
# Large bodies through presigned URLs
# --------------------------------------------------------------------------

LARGE_MIB = int(os.environ.get("HOMEDIR_EMULATOR_LARGE_MIB", "64"))
PART_MIB = int(os.environ.get("HOMEDIR_EMULATOR_PART_MIB", "8"))


def test_a_large_file_moves_through_presigned_part_urls_and_a_presigned_get(
    stack: Stack, alice: Any, admin: Any
) -> None:
    """LARGE_MIB (default 64; HOMEDIR_EMULATOR_LARGE_MIB=256 for the measurement in the
    README) uploaded in PART_MIB parts, 4 in flight, and read back, all through
    presigned URLs with urllib: the bytes arrive intact, and the throughput is printed
    (pytest -s) and bounded below so a per-byte regression in the emulator shows."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("large.bin")
    size, part_size = LARGE_MIB * MIB, PART_MIB * MIB
    data = os.urandom(size)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/octet-stream")["UploadId"]
    numbers = range(1, (size + part_size - 1) // part_size + 1)
    urls = {n: presign(s3, "upload_part", {"Bucket": bucket, "Key": key, "UploadId": upload, "PartNumber": n,
                                           "ContentLength": len(data[(n - 1) * part_size:n * part_size])})
            for n in numbers}

    def put(n: int) -> tuple[int, str]:
        body = memoryview(data)[(n - 1) * part_size:n * part_size]
        status, headers, answer = http("PUT", urls[n], bytes(body))
        assert status == 200, (n, answer[:300])
        return n, headers["etag"]

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        etags = dict(pool.map(put, numbers))
    uploaded = time.monotonic() - started
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etags[n]} for n in numbers]})
    completed = time.monotonic() - started

    url = presign(s3, "get_object", {"Bucket": bucket, "Key": key})
    started = time.monotonic()
    status, headers, body = http("GET", url)
    downloaded = time.monotonic() - started
    assert status == 200 and int(headers["content-length"]) == size
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    admin.delete_object(Bucket=bucket, Key=key)

    mb = size / 1e6
    print(f"\n{LARGE_MIB} MiB in {PART_MIB} MiB parts, 4 in flight: upload {mb / uploaded:.0f} MB/s "
          f"({mb / completed:.0f} MB/s with Complete), presigned GET {mb / downloaded:.0f} MB/s")
    assert mb / completed > 5 and mb / downloaded > 5, "the emulator is pathologically slow with large bodies"
