"""S3 as the emulator serves it (correction c): who may call it, how signatures are
checked, and what the authenticated role's real policy documents allow. Every request here
is a real HTTP request, signed by boto3 or fetched from a presigned URL with urllib."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Callable

import botocore.auth
import botocore.exceptions
import pytest

import harness
from harness import ADMIN_KEY, FUNCTION_KEY, Emulator, Stack, client, code_of, error_code, get_id, id_token, \
    presign, provider, run_together, unique, user_credentials


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, bytes]:
    """(status, body) of a plain HTTP request, errors included."""
    status, _, answer = harness.http(method, url, body, headers, timeout=10)
    return status, answer


# --------------------------------------------------------------------------
# Authorization by the policy documents
# --------------------------------------------------------------------------


def test_issued_credentials_reach_only_their_home(emulator: Emulator, stack: Stack, alice: Any, bob: Any) -> None:
    bucket = stack["BUCKET_NAME"]
    (a, alice_home), (b, bob_home) = alice, bob
    note = alice_home + "notes/ä b?.txt"
    a.put_object(Bucket=bucket, Key=note, Body=b"hello")
    assert a.get_object(Bucket=bucket, Key=note)["Body"].read() == b"hello"
    a.head_object(Bucket=bucket, Key=note)
    assert [item["Key"] for item in a.list_objects_v2(Bucket=bucket, Prefix=alice_home + "notes/")["Contents"]] == [note]
    a.list_objects(Bucket=bucket, Prefix=alice_home)

    denied = {
        "get another home": lambda: b.get_object(Bucket=bucket, Key=note),
        "put another home": lambda: b.put_object(Bucket=bucket, Key=alice_home + "x", Body=b""),
        "delete another home": lambda: b.delete_object(Bucket=bucket, Key=note),
        "list another home": lambda: b.list_objects_v2(Bucket=bucket, Prefix=alice_home),
        "list without prefix": lambda: b.list_objects_v2(Bucket=bucket),
        "list with an empty prefix": lambda: b.list_objects_v2(Bucket=bucket, Prefix=""),
        "list above own home": lambda: b.list_objects_v2(Bucket=bucket, Prefix=bob_home[:-1]),
        "put outside homes": lambda: b.put_object(Bucket=bucket, Key="elsewhere.txt", Body=b""),
        "put the home key itself": lambda: b.put_object(Bucket=bucket, Key=bob_home[:-1], Body=b""),
        "list buckets": b.list_buckets,
        "copy from another home": lambda: b.copy_object(
            Bucket=bucket, Key=bob_home + "copy", CopySource={"Bucket": bucket, "Key": note}),
        "copy into another home": lambda: a.copy_object(
            Bucket=bucket, Key=bob_home + "copy", CopySource={"Bucket": bucket, "Key": note}),
    }
    assert {name: error_code(call) for name, call in denied.items()} == dict.fromkeys(denied, "AccessDenied")
    assert error_code(lambda: b.head_object(Bucket=bucket, Key=note)) == "403"  # HEAD errors have no body
    a.delete_object(Bucket=bucket, Key=note)


def test_only_the_home_bucket_is_reachable(emulator: Emulator, stack: Stack, alice: Any) -> None:
    other = "homedir-other-" + uuid.uuid4().hex[:8]
    client(emulator, "s3").create_bucket(Bucket=other)
    s3, home = alice
    assert error_code(lambda: s3.put_object(Bucket=other, Key=home + "x", Body=b"")) == "AccessDenied"
    assert error_code(lambda: s3.list_objects_v2(Bucket=other, Prefix=home)) == "AccessDenied"


def test_policy_denies_other_storage_classes_and_customer_keys(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("guarded")
    s3.put_object(Bucket=bucket, Key=key, Body=b"x", StorageClass="STANDARD", ServerSideEncryption="AES256")
    denied = {
        "glacier": lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", StorageClass="GLACIER"),
        "sse-kms": lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", ServerSideEncryption="aws:kms"),
        "sse-c": lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", SSECustomerAlgorithm="AES256",
                                       SSECustomerKey="k" * 32),
        "glacier multipart": lambda: s3.create_multipart_upload(Bucket=bucket, Key=key, StorageClass="GLACIER"),
        "glacier copy": lambda: s3.copy_object(Bucket=bucket, Key=key + "-copy", StorageClass="GLACIER",
                                               CopySource={"Bucket": bucket, "Key": key}),
        "acl": lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", ACL="public-read"),
        "tagging": lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", Tagging="a=b"),
        "a `..` segment": lambda: s3.put_object(Bucket=bucket, Key=home + "a/../b", Body=b"x"),
        "an empty segment": lambda: s3.put_object(Bucket=bucket, Key=home + "a//b", Body=b"x"),
    }
    assert {name: error_code(call) for name, call in denied.items()} == dict.fromkeys(denied, "AccessDenied")


def test_version_deletion_subresources_and_bucket_settings_are_denied(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("versioned")
    version = s3.put_object(Bucket=bucket, Key=key, Body=b"v1")["VersionId"]
    assert version and version != "null"  # provision.py turns versioning on, as the template does
    # Reading and listing versions is allowed (test_versions.py); destroying them is not.
    assert s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read() == b"v1"
    denied: dict[str, Callable[[], Any]] = {
        "delete a version": lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=version),
        "version acl": lambda: s3.get_object_acl(Bucket=bucket, Key=key, VersionId=version),
        "list uploads": lambda: s3.list_multipart_uploads(Bucket=bucket, Prefix=home),
        "object acl": lambda: s3.get_object_acl(Bucket=bucket, Key=key),
        "put object acl": lambda: s3.put_object_acl(Bucket=bucket, Key=key, ACL="private"),
        "object tagging": lambda: s3.get_object_tagging(Bucket=bucket, Key=key),
        "put object tagging": lambda: s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": []}),
        "bucket versioning": lambda: s3.get_bucket_versioning(Bucket=bucket),
        "suspend versioning": lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}),
        "bucket policy": lambda: s3.put_bucket_policy(Bucket=bucket, Policy="{}"),
        "bucket acl": lambda: s3.get_bucket_acl(Bucket=bucket),
        "bucket lifecycle": lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket),
        "delete bucket": lambda: s3.delete_bucket(Bucket=bucket),
    }
    codes = {name: error_code(call) for name, call in denied.items()}
    assert codes == dict.fromkeys(denied, "AccessDenied")


def test_delete_objects_needs_every_key(stack: Stack, alice: Any, bob: Any) -> None:
    (s3, home), (_, bob_home) = alice, bob
    bucket = stack["BUCKET_NAME"]
    keys = [home + unique("batch-1"), home + unique("batch-2")]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    mixed = {"Objects": [{"Key": keys[0]}, {"Key": bob_home + "theirs"}]}
    assert error_code(lambda: s3.delete_objects(Bucket=bucket, Delete=mixed)) == "AccessDenied"
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys]})
    assert sorted(item["Key"] for item in deleted["Deleted"]) == sorted(keys)


# --------------------------------------------------------------------------
# Multipart uploads and copies inside the home
# --------------------------------------------------------------------------


def test_multipart_upload_in_own_home(stack: Stack, alice: Any, bob: Any) -> None:
    (s3, home), (b, _) = alice, bob
    bucket = stack["BUCKET_NAME"]
    key = home + unique("big")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"a" * 5 * 1024 * 1024)
    second = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=2, Body=b"b")
    # ListParts needs s3:ListMultipartUploadParts, which the role grants in the own home.
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]] == [1, 2]
    assert error_code(lambda: b.list_parts(Bucket=bucket, Key=key, UploadId=upload)) == "AccessDenied"
    assert error_code(lambda: b.upload_part(
        Bucket=bucket, Key=key, UploadId=upload, PartNumber=3, Body=b"c")) == "AccessDenied"
    assert error_code(lambda: b.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)) == "AccessDenied"
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]})
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 5 * 1024 * 1024 + 1

    # AbortMultipartUpload needs s3:AbortMultipartUpload, which the role grants in the own home.
    other = s3.create_multipart_upload(Bucket=bucket, Key=key + "-2")["UploadId"]
    abandoned = s3.create_multipart_upload(Bucket=bucket, Key=key + "-3")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key=key + "-3", UploadId=abandoned)
    copy_part = s3.upload_part_copy(Bucket=bucket, Key=key + "-2", UploadId=other, PartNumber=1,
                                    CopySource={"Bucket": bucket, "Key": key})
    assert copy_part["CopyPartResult"]["ETag"]
    assert error_code(lambda: b.create_multipart_upload(Bucket=bucket, Key=home + "theirs")) == "AccessDenied"


def test_copy_object_in_own_home(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    source = home + unique("original")
    s3.put_object(Bucket=bucket, Key=source, Body=b"copied")
    s3.copy_object(Bucket=bucket, Key=source + "-copy", CopySource={"Bucket": bucket, "Key": source})
    assert s3.get_object(Bucket=bucket, Key=source + "-copy")["Body"].read() == b"copied"
    version = s3.head_object(Bucket=bucket, Key=source)["VersionId"]
    s3.put_object(Bucket=bucket, Key=source, Body=b"overwritten")
    # A versioned source needs s3:GetObjectVersion, which the role grants in the own home.
    s3.copy_object(Bucket=bucket, Key=source + "-v", CopySource={"Bucket": bucket, "Key": source, "VersionId": version})
    assert s3.get_object(Bucket=bucket, Key=source + "-v")["Body"].read() == b"copied"


def test_a_bucket_owner_enforced_bucket_takes_no_acl_but_bucket_owner_full_control(
    stack: Stack, admin: Any
) -> None:
    """Correction aa, with the admin key so that only the bucket decides: the stack's
    bucket is BucketOwnerEnforced (template.yaml), so PutObject, CopyObject and
    CreateMultipartUpload accept no ACL or bucket-owner-full-control, anything else is
    400 AccessControlListNotSupported, and every PutObjectAcl is refused; reading an ACL
    still works (PutObject, PutObjectAcl and "Troubleshooting" of Object Ownership:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html)."""
    bucket = stack["BUCKET_NAME"]
    key = unique("owned")
    admin.put_object(Bucket=bucket, Key=key, Body=b"none")
    admin.put_object(Bucket=bucket, Key=key, Body=b"full", ACL="bucket-owner-full-control")
    admin.copy_object(Bucket=bucket, Key=key + "-copy", CopySource={"Bucket": bucket, "Key": key},
                      ACL="bucket-owner-full-control")
    upload = admin.create_multipart_upload(Bucket=bucket, Key=key + "-parts", ACL="bucket-owner-full-control")
    admin.abort_multipart_upload(Bucket=bucket, Key=key + "-parts", UploadId=upload["UploadId"])
    refused: dict[str, Callable[[], Any]] = {
        **{f"put {acl}": (lambda acl=acl: admin.put_object(Bucket=bucket, Key=key, Body=b"x", ACL=acl))
           for acl in ("private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-read")},
        "put granting read": lambda: admin.put_object(
            Bucket=bucket, Key=key, Body=b"x", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"'),
        "put granting full control": lambda: admin.put_object(
            Bucket=bucket, Key=key, Body=b"x", GrantFullControl='id="75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"'),
        "copy public-read": lambda: admin.copy_object(Bucket=bucket, Key=key + "-copy", ACL="public-read",
                                                      CopySource={"Bucket": bucket, "Key": key}),
        "multipart public-read": lambda: admin.create_multipart_upload(Bucket=bucket, Key=key, ACL="public-read"),
        "acl private": lambda: admin.put_object_acl(Bucket=bucket, Key=key, ACL="private"),
        "acl bucket-owner-full-control": lambda: admin.put_object_acl(
            Bucket=bucket, Key=key, ACL="bucket-owner-full-control"),
        "acl in the body": lambda: admin.put_object_acl(Bucket=bucket, Key=key, AccessControlPolicy={
            "Owner": admin.get_object_acl(Bucket=bucket, Key=key)["Owner"], "Grants": []}),
    }
    codes = {name: error_code(call) for name, call in refused.items()}
    assert codes == dict.fromkeys(refused, "AccessControlListNotSupported")
    assert admin.get_object(Bucket=bucket, Key=key)["Body"].read() == b"full"
    assert admin.get_object_acl(Bucket=bucket, Key=key)["Grants"]
    # A bucket without OwnershipControls keeps moto's own ACLs.
    other = "homedir-acls-" + uuid.uuid4().hex[:8]
    admin.create_bucket(Bucket=other)
    admin.put_object(Bucket=other, Key=key, Body=b"x", ACL="public-read")


def test_users_may_name_bucket_owner_full_control_and_no_other_acl(stack: Stack, alice: Any, bob: Any) -> None:
    """An upload that names an ACL needs s3:PutObjectAcl besides s3:PutObject (PutObject,
    Permissions: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html); the
    role allows it for bucket-owner-full-control alone, in the caller's own spaces
    (infra-policies/README.md), which the bucket then accepts. PutObjectAcl itself is
    authorized with that ACL and refused by the bucket (400); any other ACL or a grant is
    refused by IAM first (403)."""
    (s3, home), (_, bob_home) = alice, bob
    bucket = stack["BUCKET_NAME"]
    key = home + unique("acl")
    s3.put_object(Bucket=bucket, Key=key, Body=b"rclone 1.60", ACL="bucket-owner-full-control")
    s3.copy_object(Bucket=bucket, Key=key + "-copy", CopySource={"Bucket": bucket, "Key": key},
                   ACL="bucket-owner-full-control")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key + "-parts", ACL="bucket-owner-full-control")
    s3.abort_multipart_upload(Bucket=bucket, Key=key + "-parts", UploadId=upload["UploadId"])
    assert s3.get_object(Bucket=bucket, Key=key + "-copy")["Body"].read() == b"rclone 1.60"
    everyone = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'
    codes = {
        "put private": error_code(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", ACL="private")),
        "put public-read": error_code(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", ACL="public-read")),
        "put granting read": error_code(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x", GrantRead=everyone)),
        "copy public-read": error_code(lambda: s3.copy_object(
            Bucket=bucket, Key=key + "-copy", ACL="public-read", CopySource={"Bucket": bucket, "Key": key})),
        "multipart public-read": error_code(lambda: s3.create_multipart_upload(
            Bucket=bucket, Key=key, ACL="public-read")),
        "put into bob's home": error_code(lambda: s3.put_object(
            Bucket=bucket, Key=bob_home + "x", Body=b"x", ACL="bucket-owner-full-control")),
        "acl public-read": error_code(lambda: s3.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")),
        "acl of bob's file": error_code(lambda: s3.put_object_acl(
            Bucket=bucket, Key=bob_home + "x", ACL="bucket-owner-full-control")),
        "acl bucket-owner-full-control": error_code(lambda: s3.put_object_acl(
            Bucket=bucket, Key=key, ACL="bucket-owner-full-control")),
    }
    assert codes == {**dict.fromkeys(codes, "AccessDenied"),
                     "acl bucket-owner-full-control": "AccessControlListNotSupported"}
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"rclone 1.60"


def test_racing_conditional_writes_have_exactly_one_winner(stack: Stack, alice: Any) -> None:
    """Correction i: S3 checks a precondition and stores as one step
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html);
    of many writers with the same If-Match, or If-None-Match: *, exactly one wins."""
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("raced")
    etag = s3.put_object(Bucket=bucket, Key=key, Body=b"0")["ETag"]
    fresh = home + unique("created")

    def race(write: Callable[[int], Any]) -> list[str]:
        outcomes: list[str] = []

        def attempt(i: int) -> None:
            try:
                write(i)
                outcomes.append("ok")
            except botocore.exceptions.ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

        run_together(attempt, 12)
        return outcomes

    replaced = race(lambda i: s3.put_object(Bucket=bucket, Key=key, Body=f"v{i}".encode(), IfMatch=etag))
    assert replaced.count("ok") == 1, replaced
    assert set(replaced) <= {"ok", "PreconditionFailed"}, replaced
    created = race(lambda i: s3.put_object(Bucket=bucket, Key=fresh, Body=f"v{i}".encode(), IfNoneMatch="*"))
    assert created.count("ok") == 1, created
    assert set(created) <= {"ok", "PreconditionFailed"}, created


# --------------------------------------------------------------------------
# 404 only for callers who may list
# --------------------------------------------------------------------------


def test_missing_keys_are_403_without_list_permission_and_404_with_it(
    emulator: Emulator, stack: Stack, alice: Any
) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    missing = home + unique("missing")
    admin = client(emulator, "s3")
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key=missing)) == "AccessDenied"
    assert error_code(lambda: s3.head_object(Bucket=bucket, Key=missing)) == "403"
    assert error_code(lambda: s3.copy_object(
        Bucket=bucket, Key=missing + "-copy", CopySource={"Bucket": bucket, "Key": missing})) == "AccessDenied"
    assert error_code(lambda: admin.get_object(Bucket=bucket, Key=missing)) == "NoSuchKey"
    assert error_code(lambda: admin.head_object(Bucket=bucket, Key=missing)) == "404"
    # Other answers pass unchanged: a failed precondition on an existing key is still 412.
    s3.put_object(Bucket=bucket, Key=missing, Body=b"now here")
    assert error_code(lambda: s3.put_object(Bucket=bucket, Key=missing, Body=b"x", IfNoneMatch="*")) == \
        "PreconditionFailed"


# --------------------------------------------------------------------------
# Which keys are accepted at all
# --------------------------------------------------------------------------


def test_admin_key_is_unrestricted(emulator: Emulator, stack: Stack, alice: Any) -> None:
    s3, home = alice
    s3.put_object(Bucket=stack["BUCKET_NAME"], Key=home + "admin-can-read", Body=b"x")
    admin = client(emulator, "s3")
    assert admin.get_object(Bucket=stack["BUCKET_NAME"], Key=home + "admin-can-read")["Body"].read() == b"x"
    assert admin.list_objects_v2(Bucket=stack["BUCKET_NAME"])["KeyCount"] >= 1
    admin.get_bucket_versioning(Bucket=stack["BUCKET_NAME"])
    # Not signature-checked: any secret works with the admin key.
    assert client(emulator, "s3", (ADMIN_KEY[0], "wrong")).list_buckets()["Buckets"]


def test_function_role_has_no_s3_but_may_call_cognito(emulator: Emulator, stack: Stack) -> None:
    s3 = client(emulator, "s3", FUNCTION_KEY)
    home = f"home/{get_id(emulator, stack, {provider(stack): id_token(emulator, stack)})}/"
    assert error_code(lambda: s3.get_object(Bucket=stack["BUCKET_NAME"], Key=home + "x")) == "AccessDenied"
    assert error_code(lambda: s3.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=home)) == "AccessDenied"
    user = client(emulator, "cognito-idp", FUNCTION_KEY).admin_get_user(
        UserPoolId=stack["USER_POOL_ID"], Username="alice@example.com")
    assert user["Enabled"]


def test_unknown_keys_are_refused(emulator: Emulator, stack: Stack) -> None:
    s3 = client(emulator, "s3", ("AKIAEXAMPLEUNKNOWN01", "secret"))
    assert error_code(lambda: s3.list_objects_v2(Bucket=stack["BUCKET_NAME"])) == "InvalidAccessKeyId"


def test_unsigned_s3_requests_are_refused_but_public_documents_are_not(emulator: Emulator, stack: Stack) -> None:
    status, body = http("GET", f"{emulator.url}/{stack['BUCKET_NAME']}?list-type=2")
    assert (status, code_of(body)) == (403, "AccessDenied")
    status, _ = http("GET", f"{emulator.url}/{stack['USER_POOL_ID']}/.well-known/jwks.json")
    assert status == 200
    status, _ = http("GET", f"{emulator.url}/moto-api/")
    assert status == 200


def test_issued_credentials_need_their_session_token(emulator: Emulator, stack: Stack) -> None:
    (access, secret, token), home = user_credentials(emulator, stack, "alice@example.com")
    for key in [(access, secret), (access, secret, token[:-4] + "AAAA")]:
        s3 = client(emulator, "s3", key)
        assert error_code(lambda: s3.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=home)) == "InvalidToken"


def test_sigv2_is_not_accepted_from_issued_credentials(emulator: Emulator, stack: Stack) -> None:
    key, home = user_credentials(emulator, stack, "alice@example.com")
    s3 = client(emulator, "s3", key, signature_version="s3")
    assert error_code(lambda: s3.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=home)) == "InvalidRequest"


# --------------------------------------------------------------------------
# SigV4 in the Authorization header
# --------------------------------------------------------------------------

AWKWARD_KEYS = [
    "with space", "two  spaces", "plus+sign", "percent%20literal", "100%", "question?mark", "hash#tag",
    "tilde~", "日本/語.txt", "equals=sign&amp", "semi;colon,comma", "star*paren(1)", "quote'dq\"",
    "emoji-😀", "at@dollar$", "trailing-space ",
]


@pytest.mark.parametrize("name", AWKWARD_KEYS)
def test_signed_requests_with_awkward_keys(stack: Stack, alice: Any, name: str) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + "awkward/" + name
    s3.put_object(Bucket=bucket, Key=key, Body=name.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == name.encode()
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]
    assert [item["Key"] for item in listed] == [key]
    s3.copy_object(Bucket=bucket, Key=key + ".copy", CopySource={"Bucket": bucket, "Key": key})
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key}, {"Key": key + ".copy"}]})


def test_a_wrong_secret_does_not_match(emulator: Emulator, stack: Stack) -> None:
    (access, _, token), home = user_credentials(emulator, stack, "alice@example.com")
    s3 = client(emulator, "s3", (access, "not-the-secret", token))
    assert error_code(lambda: s3.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=home)) == \
        "SignatureDoesNotMatch"


def test_a_request_changed_after_signing_does_not_match(stack: Stack, alice: Any) -> None:
    s3, home = alice

    def change_path(request: Any, **_: Any) -> None:
        request.url = request.url.replace("signed-key", "other-key")

    s3.meta.events.register_first("before-send.s3.PutObject", change_path)
    try:
        assert error_code(lambda: s3.put_object(
            Bucket=stack["BUCKET_NAME"], Key=home + "signed-key", Body=b"x")) == "SignatureDoesNotMatch"
    finally:
        s3.meta.events.unregister("before-send.s3.PutObject", change_path)


def test_request_time_too_skewed(monkeypatch: pytest.MonkeyPatch, stack: Stack, alice: Any) -> None:
    s3, home = alice
    skewed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=16)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_, **__: skewed)
    assert error_code(lambda: s3.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=home)) == \
        "RequestTimeTooSkewed"


# --------------------------------------------------------------------------
# SigV4 presigned URLs
# --------------------------------------------------------------------------


def test_presigned_get_and_put(stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("presigned 日本+%?#~=.txt")
    url = presign(s3, "put_object", {"Bucket": bucket, "Key": key, "ContentLength": 5})
    assert http("PUT", url, b"12345") == (200, b""), url
    assert http("PUT", url, b"123456")[0] == 403  # another Content-Length than signed
    assert code_of(http("PUT", url, b"123456")[1]) == "SignatureDoesNotMatch"
    get_url = presign(s3, "get_object", {"Bucket": bucket, "Key": key})
    assert http("GET", get_url) == (200, b"12345")
    edited = get_url.replace("presigned", "presignee", 1)
    assert code_of(http("GET", edited)[1]) == "SignatureDoesNotMatch"
    other_home = presign(s3, "get_object", {"Bucket": bucket, "Key": "home/someone-else/f"})
    assert code_of(http("GET", other_home)[1]) == "AccessDenied"


def test_presigned_upload_part(emulator: Emulator, stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    key = home + unique("parts")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    url = presign(s3, "upload_part", {"Bucket": bucket, "Key": key, "UploadId": upload, "PartNumber": 1,
                                      "ContentLength": 3})
    assert code_of(http("PUT", url.replace("partNumber=1", "partNumber=2"), b"abc")[1]) == "SignatureDoesNotMatch"
    status, _ = http("PUT", url, b"abc")
    assert status == 200
    admin = client(emulator, "s3")
    assert [part["Size"] for part in admin.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]] == [3]


def test_presigned_url_expiry(monkeypatch: pytest.MonkeyPatch, stack: Stack, alice: Any) -> None:
    s3, home = alice
    bucket = stack["BUCKET_NAME"]
    s3.put_object(Bucket=bucket, Key=home + "expiring", Body=b"x")
    ten_minutes_ago = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_, **__: ten_minutes_ago)
    expired = presign(s3, "get_object", {"Bucket": bucket, "Key": home + "expiring"}, expires=60)
    still_valid = presign(s3, "get_object", {"Bucket": bucket, "Key": home + "expiring"}, expires=3600)
    status, body = http("GET", expired)
    assert (status, code_of(body)) == (403, "AccessDenied") and b"Request has expired" in body
    assert http("GET", still_valid) == (200, b"x")
    too_long = presign(s3, "get_object", {"Bucket": bucket, "Key": home + "expiring"}, expires=604801)
    status, body = http("GET", too_long)
    assert (status, code_of(body)) == (400, "AuthorizationQueryParametersError")
