"""CORS as a browser page meets Cognito and S3 (correction n): the web page signs in
with InitiateAuth from its own origin and PUTs presigned parts straight to the bucket,
reading each part's ETag. Plain HTTP requests shaped as Chromium sends them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import harness
from harness import Emulator, Stack, client, user_s3

PAGE = "http://127.0.0.1:9000"


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    return harness.http(method, url, body, headers, timeout=30)


def preflight(url: str, method: str, headers: str, origin: str = PAGE) -> tuple[int, dict[str, str], bytes]:
    return http("OPTIONS", url, headers={
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    })


def test_cognito_answers_the_sign_in_preflight_for_any_origin(emulator: Emulator) -> None:
    before = len(emulator.get_json("/_homedir/calls")["calls"])
    for origin in (PAGE, "https://files.example.com"):
        status, headers, _ = preflight(emulator.url + "/", "POST", "content-type,x-amz-target", origin)
        assert status == 200
        assert headers["access-control-allow-origin"] == "*"
        assert headers["access-control-allow-methods"] == "POST"
        allowed = {h.strip() for h in headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "x-amz-target"} <= allowed
    # A preflight is no AWS call.
    assert len(emulator.get_json("/_homedir/calls")["calls"]) == before


def test_cognito_refuses_a_preflight_for_other_methods_or_headers(emulator: Emulator) -> None:
    for method, headers in (("PUT", "content-type"), ("POST", "x-secret-header")):
        status, answer, _ = preflight(emulator.url + "/", method, headers)
        assert status == 403, (method, headers)
        assert "access-control-allow-origin" not in answer


def test_initiate_auth_from_a_page_carries_allow_origin(emulator: Emulator, stack: Stack) -> None:
    body = json.dumps({
        "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": stack["USER_POOL_CLIENT_ID"],
        "AuthParameters": {"USERNAME": "alice@example.com", "PASSWORD": stack["DEMO_PASSWORD"]},
    }).encode()
    headers = {
        "Origin": PAGE,
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    }
    status, answer, data = http("POST", emulator.url + "/", body, headers)
    assert status == 200
    assert answer["access-control-allow-origin"] == "*"
    assert "IdToken" in json.loads(data)["AuthenticationResult"]
    # A refused sign-in too: the page must be able to read the error type.
    wrong = json.dumps({**json.loads(body), "AuthParameters": {"USERNAME": "alice@example.com", "PASSWORD": "Wrong-1a!"}})
    status, answer, data = http("POST", emulator.url + "/", wrong.encode(), headers)
    assert status == 400
    assert answer["access-control-allow-origin"] == "*"
    assert "NotAuthorizedException" in json.loads(data)["__type"]


def test_presigned_part_put_from_a_page_passes_preflight_and_exposes_the_etag(
    emulator: Emulator, stack: Stack
) -> None:
    s3, home = user_s3(emulator, stack, "alice@example.com", signature_version="s3v4")
    bucket = stack["BUCKET_NAME"]
    object_key = f"{home}cors-{uuid.uuid4().hex[:8]}.bin"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=object_key)["UploadId"]
    url = s3.generate_presigned_url(
        "upload_part", Params={"Bucket": bucket, "Key": object_key, "UploadId": upload_id, "PartNumber": 1},
        ExpiresIn=300,
    )

    status, headers, _ = preflight(url, "PUT", "content-type")
    assert status == 200
    assert headers["access-control-allow-origin"] in ("*", PAGE)
    assert "PUT" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"]
    assert headers["access-control-max-age"] == "3600"

    status, headers, _ = http("PUT", url, b"part one", {"Origin": PAGE})
    assert status == 200
    assert headers["access-control-allow-origin"] in ("*", PAGE)
    exposed = {h.strip().lower() for h in headers["access-control-expose-headers"].split(",")}
    assert "etag" in exposed
    etag = headers["etag"]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=object_key, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert done["Key"] == object_key
    assert s3.get_object(Bucket=bucket, Key=object_key)["Body"].read() == b"part one"

    # A refused request still tells the page (it can read the error's status).
    status, headers, _ = http("PUT", url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), b"x", {"Origin": PAGE})
    assert status == 403
    assert headers["access-control-allow-origin"] in ("*", PAGE)


def test_s3_refuses_a_preflight_its_rule_does_not_allow(emulator: Emulator, stack: Stack) -> None:
    url = f"{emulator.url}/{stack['BUCKET_NAME']}/home/anything"
    for method in ("DELETE", "POST"):
        status, headers, body = preflight(url, method, "")
        assert status == 403, method
        assert b"CORSResponse" in body
        assert "access-control-allow-origin" not in headers
    status, _, _ = preflight(f"{emulator.url}/no-such-bucket-cors/k", "PUT", "")
    assert status == 403


def rules_of(admin: Any, bucket: str) -> list[dict[str, Any]]:
    return admin.get_bucket_cors(Bucket=bucket)["CORSRules"]


def test_provisioned_bucket_has_the_templates_cors_rule(emulator: Emulator, stack: Stack) -> None:
    (rule,) = rules_of(client(emulator, "s3"), stack["BUCKET_NAME"])
    assert rule["AllowedOrigins"] == ["*"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD", "PUT"]
    assert "ETag" in rule["ExposeHeaders"]


def test_s3_rule_with_listed_origins_answers_only_those(emulator: Emulator) -> None:
    admin = client(emulator, "s3")
    bucket = f"cors-{uuid.uuid4().hex[:10]}"
    admin.create_bucket(Bucket=bucket)
    admin.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET"],
        "AllowedHeaders": ["range"], "ExposeHeaders": ["ETag"],
    }]})
    url = f"{emulator.url}/{bucket}/k"
    status, headers, _ = preflight(url, "GET", "range", "https://files.example.com")
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://files.example.com"
    assert "Origin" in headers["vary"]
    assert preflight(url, "GET", "range", "https://evil.test")[0] == 403
    assert preflight(url, "GET", "x-other", "https://files.example.com")[0] == 403
