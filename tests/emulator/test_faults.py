"""Fault injection through POST /_homedir/faults, and Cognito Identity DeleteIdentities."""

from __future__ import annotations

import threading
import time
import urllib.error
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config

from harness import ADMIN_KEY, REGION, Emulator, Stack, client, credentials, error_code, get_id, id_token, \
    http, provider, status_and_code, unique, user_credentials


@pytest.fixture(autouse=True)
def no_faults_left(emulator: Emulator) -> Iterator[None]:
    yield
    emulator.post_json("/_homedir/faults/reset", {})


def sdk(emulator: Emulator, service: str, key: tuple[str, ...] = ADMIN_KEY, attempts: int = 1) -> Any:
    """A client making exactly `attempts` attempts per call (1: no retries)."""
    access_key, secret_key, *token = key
    return boto3.client(
        service, region_name=REGION, endpoint_url=emulator.url,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        aws_session_token=token[0] if token else None,
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"},
                      s3={"addressing_style": "path"}),
    )


def test_cognito_throttle_and_error_shapes(emulator: Emulator, stack: Stack) -> None:
    logins = {provider(stack): id_token(emulator, stack)}
    identity = sdk(emulator, "cognito-identity")
    get = lambda: identity.get_id(IdentityPoolId=stack["IDENTITY_POOL_ID"], Logins=logins)  # noqa: E731
    assert emulator.post_json("/_homedir/faults", {"operation": "GetId", "kind": "throttle", "times": 1}) == {"ok": True}
    assert status_and_code(get) == (400, "TooManyRequestsException")
    get()  # `times` used up
    emulator.post_json("/_homedir/faults", {"operation": "AdminGetUser", "kind": "error"})
    idp = sdk(emulator, "cognito-idp")
    call = lambda: idp.admin_get_user(UserPoolId=stack["USER_POOL_ID"], Username="alice@example.com")  # noqa: E731
    assert status_and_code(call) == (500, "InternalErrorException")
    assert status_and_code(call) == (500, "InternalErrorException")  # no `times`: until reset
    emulator.post_json("/_homedir/faults/reset", {})
    assert call()["Enabled"]


def test_s3_throttle_and_error_shapes(emulator: Emulator, stack: Stack) -> None:
    key, home = user_credentials(emulator, stack, "alice@example.com")
    s3 = sdk(emulator, "s3", key)
    bucket = stack["BUCKET_NAME"]
    emulator.post_json("/_homedir/faults", {"operation": "PutObject", "kind": "throttle", "times": 1})
    emulator.post_json("/_homedir/faults", {"operation": "ListObjectsV2", "kind": "error", "times": 1})
    assert status_and_code(lambda: s3.put_object(Bucket=bucket, Key=home + "f", Body=b"")) == (503, "SlowDown")
    assert status_and_code(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=home)) == (500, "InternalError")
    s3.put_object(Bucket=bucket, Key=home + "f", Body=b"")


def test_faulted_requests_are_logged_so_retries_can_be_counted(emulator: Emulator, stack: Stack) -> None:
    logins = {provider(stack): id_token(emulator, stack)}
    emulator.get_json("/_homedir/calls/reset", method="POST")
    emulator.post_json("/_homedir/faults", {"operation": "GetId", "kind": "throttle", "times": 2})
    retrying = sdk(emulator, "cognito-identity", attempts=3)
    retrying.get_id(IdentityPoolId=stack["IDENTITY_POOL_ID"], Logins=logins)
    operations = [call["operation"] for call in emulator.get_json("/_homedir/calls")["calls"]]
    assert operations == ["GetId", "GetId", "GetId"]


def test_jwks_faults(emulator: Emulator, stack: Stack) -> None:
    url = f"{emulator.url}/{stack['USER_POOL_ID']}/.well-known/jwks.json"
    emulator.post_json("/_homedir/faults", {"operation": "jwks", "kind": "throttle", "times": 1})
    emulator.post_json("/_homedir/faults", {"operation": "jwks", "kind": "error", "times": 1})
    statuses = [http("GET", url, timeout=5)[0] for _ in range(3)]
    assert statuses == [429, 500, 200]


def test_a_delayed_request_does_not_block_others(emulator: Emulator, stack: Stack) -> None:
    key, home = user_credentials(emulator, stack, "alice@example.com")
    s3 = sdk(emulator, "s3", key)
    emulator.post_json("/_homedir/faults", {"operation": "HeadObject", "kind": "delay", "delay_secs": 1.5,
                                             "times": 1})
    s3.put_object(Bucket=stack["BUCKET_NAME"], Key=home + "slow", Body=b"x")
    finished: list[float] = []
    started = time.monotonic()
    slow = threading.Thread(target=lambda: (s3.head_object(Bucket=stack["BUCKET_NAME"], Key=home + "slow"),
                                            finished.append(time.monotonic() - started)))
    slow.start()
    time.sleep(0.2)
    assert emulator.get_json("/_homedir/health") == {"ok": True}
    fast = time.monotonic() - started
    slow.join(timeout=10)
    assert fast < 1.0 and finished and finished[0] >= 1.5


def test_a_fault_after_n_requests_fails_a_part_copy_mid_way(emulator: Emulator, stack: Stack) -> None:
    """"after": 2, "times": 1 lets two UploadPartCopy requests through, fails the third
    (S3's 500 InternalError), and only it: the retried part and the completion succeed."""
    s3 = sdk(emulator, "s3")
    bucket, mib = stack["BUCKET_NAME"], 1024 * 1024
    source, target = unique("copy-source"), unique("copy-target")
    body = bytes(range(256)) * (11 * mib // 256)
    s3.put_object(Bucket=bucket, Key=source, Body=body)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=target)["UploadId"]
    ranges = [(0, 5 * mib - 1), (5 * mib, 10 * mib - 1), (10 * mib, len(body) - 1)]
    emulator.post_json("/_homedir/faults", {"operation": "UploadPartCopy", "kind": "error", "after": 2, "times": 1})

    def copy(number: int) -> str:
        first, last = ranges[number - 1]
        return s3.upload_part_copy(
            Bucket=bucket, Key=target, UploadId=upload, PartNumber=number,
            CopySource={"Bucket": bucket, "Key": source}, CopySourceRange=f"bytes={first}-{last}",
        )["CopyPartResult"]["ETag"]

    etags = [copy(1), copy(2)]
    assert status_and_code(lambda: copy(3)) == (500, "InternalError")
    etags.append(copy(3))  # the fault is used up
    s3.complete_multipart_upload(Bucket=bucket, Key=target, UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]})
    assert s3.get_object(Bucket=bucket, Key=target)["Body"].read() == body


def test_a_fault_after_n_requests_without_times_lasts_until_reset(emulator: Emulator, stack: Stack) -> None:
    logins = {provider(stack): id_token(emulator, stack)}
    identity = sdk(emulator, "cognito-identity")
    get = lambda: identity.get_id(IdentityPoolId=stack["IDENTITY_POOL_ID"], Logins=logins)  # noqa: E731
    emulator.post_json("/_homedir/faults", {"operation": "GetId", "kind": "throttle", "after": 1})
    get()
    assert status_and_code(get) == (400, "TooManyRequestsException")
    assert status_and_code(get) == (400, "TooManyRequestsException")
    emulator.post_json("/_homedir/faults/reset", {})
    get()


def test_a_waiting_fault_counts_the_requests_other_faults_hit(emulator: Emulator, stack: Stack) -> None:
    """`after` counts every request of the operation, also one another fault answers;
    of the faults due, the first added applies."""
    url = f"{emulator.url}/{stack['USER_POOL_ID']}/.well-known/jwks.json"
    emulator.post_json("/_homedir/faults", {"operation": "jwks", "kind": "error", "times": 1})
    emulator.post_json("/_homedir/faults", {"operation": "jwks", "kind": "throttle", "after": 1, "times": 1})
    emulator.post_json("/_homedir/faults", {"operation": "jwks", "kind": "error", "after": 0, "times": 1})
    statuses = [http("GET", url, timeout=5)[0] for _ in range(4)]
    assert statuses == [500, 429, 500, 200]


@pytest.mark.parametrize("body", [
    {"operation": "GetId", "kind": "explode"},
    {"kind": "throttle"},
    {"operation": "GetId", "kind": "throttle", "times": 0},
    {"operation": "GetId", "kind": "delay", "delay_secs": "soon"},
    {"operation": "GetId", "kind": "throttle", "after": -1},
    {"operation": "GetId", "kind": "throttle", "after": "2"},
    {"operation": "GetId", "kind": "throttle", "after": True},
])
def test_malformed_faults_are_refused(emulator: Emulator, body: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        emulator.post_json("/_homedir/faults", body)
    assert caught.value.code == 400


# --------------------------------------------------------------------------
# DeleteIdentities
# --------------------------------------------------------------------------


def test_deleted_identities_are_forgotten(emulator: Emulator, stack: Stack) -> None:
    logins = {provider(stack): id_token(emulator, stack, "bob@example.com")}
    old = get_id(emulator, stack, logins)
    identity = client(emulator, "cognito-identity")
    listed = lambda: [entry["IdentityId"] for entry in identity.list_identities(  # noqa: E731
        IdentityPoolId=stack["IDENTITY_POOL_ID"], MaxResults=60)["Identities"]]
    assert old in listed()
    assert identity.delete_identities(IdentityIdsToDelete=[old])["UnprocessedIdentityIds"] == []
    assert error_code(lambda: credentials(emulator, old, logins)) == "ResourceNotFoundException"
    new = get_id(emulator, stack, logins)
    assert new != old
    assert new in listed() and old not in listed()
    credentials(emulator, new, logins)
