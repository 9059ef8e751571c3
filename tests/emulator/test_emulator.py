"""Proves each correction the emulator makes to moto's Cognito (see the docstring of
homedir_aws/cognito.py), the call log, start-up, provision.py and id_token.py. S3
authentication and authorization are in test_s3.py, faults in test_faults.py, the IAM
evaluator in test_iam.py.

Run: .venv/bin/python -m pytest tests/emulator -q
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import (
    FUNCTION_KEY, HERE, IDENTITY_ID, Emulator, b64url, claims_of, client,
    credentials, error_code, get_id, id_token, moto_key, provider, provision, sign_in, sign_jwt,
    start_emulator, user_s3,
)


# --------------------------------------------------------------------------
# e. start-up and state files
# --------------------------------------------------------------------------


def test_health_and_state_files(emulator: Emulator, stack: dict[str, str]) -> None:
    assert emulator.get_json("/_homedir/health") == {"ok": True}
    assert (emulator.state_dir / "emulator.pid").read_text().strip() == str(emulator.process.pid)
    assert Path(stack["EMULATOR_SIGNING_KEY"]) == emulator.state_dir / "signing-key.pem"
    assert b"BEGIN PRIVATE KEY" in Path(stack["EMULATOR_SIGNING_KEY"]).read_bytes()


def test_signing_key_signs_tokens_the_emulator_accepts(emulator: Emulator, stack: dict[str, str]) -> None:
    real = id_token(emulator, stack)
    forged = sign_jwt(claims_of(real), moto_key(stack))
    assert forged != real
    forged_id = get_id(emulator, stack, {provider(stack): forged})
    assert forged_id == get_id(emulator, stack, {provider(stack): real})


# --------------------------------------------------------------------------
# a. GetId
# --------------------------------------------------------------------------


def test_get_id_is_stable_for_a_user(emulator: Emulator, stack: dict[str, str]) -> None:
    first = get_id(emulator, stack, {provider(stack): id_token(emulator, stack)})
    again = get_id(emulator, stack, {provider(stack): id_token(emulator, stack)})  # a new token
    assert IDENTITY_ID.match(first)
    assert again == first


def test_get_id_differs_between_users(emulator: Emulator, stack: dict[str, str]) -> None:
    alice = get_id(emulator, stack, {provider(stack): id_token(emulator, stack, "alice@example.com")})
    bob = get_id(emulator, stack, {provider(stack): id_token(emulator, stack, "bob@example.com")})
    assert alice != bob


@pytest.fixture(scope="module")
def other_pool_token(emulator: Emulator, stack: dict[str, str]) -> str:
    """An ID token of a user in the other user pool, which the identity pool doesn't trust."""
    idp = client(emulator, "cognito-idp")
    email = "mallory@example.com"
    idp.admin_create_user(UserPoolId=stack["OTHER_USER_POOL_ID"], Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=stack["OTHER_USER_POOL_ID"], Username=email,
                                Password=stack["DEMO_PASSWORD"], Permanent=True)
    return sign_in(emulator, stack["OTHER_USER_POOL_CLIENT_ID"], email, stack["DEMO_PASSWORD"])["IdToken"]


def test_get_id_rejects_a_provider_not_configured_on_the_pool(
    emulator: Emulator, stack: dict[str, str], other_pool_token: str
) -> None:
    logins = {provider(stack, "OTHER_USER_POOL_ID"): other_pool_token}
    assert error_code(lambda: get_id(emulator, stack, logins)) == "NotAuthorizedException"


BAD_TOKENS = [
    "signed_by_another_key",
    "tampered_payload",
    "other_pools_token_under_our_provider",
    "unlisted_client",
    "access_token",
    "expired",
    "not_a_jwt",
]


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_get_id_rejects_tokens_that_do_not_verify(
    emulator: Emulator, stack: dict[str, str], other_pool_token: str, kind: str
) -> None:
    claims = claims_of(id_token(emulator, stack))
    password = stack["DEMO_PASSWORD"]
    make = {
        "signed_by_another_key": lambda: sign_jwt(claims, rsa.generate_private_key(65537, 2048)),
        "tampered_payload": lambda: _tampered(id_token(emulator, stack), sub="someone-else"),
        "other_pools_token_under_our_provider": lambda: other_pool_token,  # wrong iss
        "unlisted_client": lambda: sign_in(  # wrong aud
            emulator, stack["OTHER_CLIENT_ID"], "alice@example.com", password)["IdToken"],
        "access_token": lambda: sign_in(
            emulator, stack["USER_POOL_CLIENT_ID"], "alice@example.com", password)["AccessToken"],
        "expired": lambda: sign_jwt({**claims, "exp": int(time.time()) - 5}, moto_key(stack)),
        "not_a_jwt": lambda: "garbage",
    }
    logins = {provider(stack): make[kind]()}
    assert error_code(lambda: get_id(emulator, stack, logins)) == "NotAuthorizedException"


def _tampered(token: str, **changes: Any) -> str:
    header, _, signature = token.split(".")
    return ".".join([header, b64url(json.dumps({**claims_of(token), **changes}).encode()), signature])


def test_get_id_needs_logins_when_unauthenticated_identities_are_off(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    assert error_code(lambda: get_id(emulator, stack, None)) == "NotAuthorizedException"
    assert error_code(lambda: get_id(emulator, stack, {})) == "NotAuthorizedException"


def test_unauthenticated_identities_only_where_the_pool_allows_them(emulator: Emulator) -> None:
    identity = client(emulator, "cognito-identity")
    pool_id = identity.create_identity_pool(
        IdentityPoolName="guests", AllowUnauthenticatedIdentities=True)["IdentityPoolId"]
    guest = identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert IDENTITY_ID.match(guest)
    # No unauthenticated role on the pool yet: no credentials (y).
    assert error_code(lambda: identity.get_credentials_for_identity(IdentityId=guest)) == \
        "InvalidIdentityPoolConfigurationException"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}}]}
    role = client(emulator, "iam").create_role(RoleName=f"guests-{uuid.uuid4().hex[:8]}",
                                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": role})
    issued = identity.get_credentials_for_identity(IdentityId=guest)["Credentials"]
    assert issued["AccessKeyId"].startswith("ASIA")


def test_get_id_for_an_unknown_pool(emulator: Emulator, stack: dict[str, str]) -> None:
    unknown = {**stack, "IDENTITY_POOL_ID": "us-east-1:00000000-0000-0000-0000-000000000000"}
    logins = {provider(stack): id_token(emulator, stack)}
    assert error_code(lambda: get_id(emulator, unknown, logins)) == "ResourceNotFoundException"


def test_errors_are_shaped_like_aws_json(emulator: Emulator, stack: dict[str, str]) -> None:
    request = urllib.request.Request(
        emulator.url + "/",
        data=json.dumps({"IdentityPoolId": stack["IDENTITY_POOL_ID"]}).encode(),
        headers={"X-Amz-Target": "AWSCognitoIdentityService.GetId",
                 "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400
    body = json.load(caught.value)
    assert body["__type"] == "NotAuthorizedException" and body["message"]


# --------------------------------------------------------------------------
# b. GetCredentialsForIdentity
# --------------------------------------------------------------------------


def test_credentials_are_fresh_per_call_and_expire_after_the_ttl(
    emulator: Emulator, stack: dict[str, str]
) -> None:
    logins = {provider(stack): id_token(emulator, stack)}
    identity_id = get_id(emulator, stack, logins)
    first, second = credentials(emulator, identity_id, logins), credentials(emulator, identity_id, logins)
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", first["AccessKeyId"])
    for field in ("AccessKeyId", "SecretKey", "SessionToken"):
        assert first[field] != second[field]
    assert abs(first["Expiration"].timestamp() - (time.time() + 90)) < 5


def test_credentials_refuse_another_users_token(emulator: Emulator, stack: dict[str, str]) -> None:
    alice = get_id(emulator, stack, {provider(stack): id_token(emulator, stack, "alice@example.com")})
    bobs_logins = {provider(stack): id_token(emulator, stack, "bob@example.com")}
    assert error_code(lambda: credentials(emulator, alice, bobs_logins)) == "NotAuthorizedException"


def test_credentials_need_logins(emulator: Emulator, stack: dict[str, str]) -> None:
    alice = get_id(emulator, stack, {provider(stack): id_token(emulator, stack)})
    assert error_code(lambda: credentials(emulator, alice, None)) == "NotAuthorizedException"


def test_credentials_for_an_unknown_identity(emulator: Emulator, stack: dict[str, str]) -> None:
    logins = {provider(stack): id_token(emulator, stack)}
    unknown = "us-east-1:00000000-0000-0000-0000-000000000000"
    assert error_code(lambda: credentials(emulator, unknown, logins)) == "ResourceNotFoundException"


# --------------------------------------------------------------------------
# f. form-typed uploads, and expiry / shutdown
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_form_typed_uploads_are_stored_verbatim(
    emulator: Emulator, stack: dict[str, str], content_type: str
) -> None:
    alice, alice_home = user_s3(emulator, stack, "alice@example.com")
    key = alice_home + "form-typed"
    body = b"a=1&b=2 is not a form here"
    alice.put_object(Bucket=stack["BUCKET_NAME"], Key=key, Body=body, ContentType=content_type)
    stored = client(emulator, "s3").get_object(Bucket=stack["BUCKET_NAME"], Key=key)
    assert stored["Body"].read() == body
    assert stored["ContentType"] == content_type


def test_expired_credentials_and_clean_shutdown(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path / "state", 0, "--credentials-ttl", "1")
    try:
        stack = provision(emulator, tmp_path / "stack.env")
        s3, home = user_s3(emulator, stack, "alice@example.com")
        s3.put_object(Bucket=stack["BUCKET_NAME"], Key=home + "a", Body=b"a")
        time.sleep(1.1)
        assert error_code(
            lambda: s3.get_object(Bucket=stack["BUCKET_NAME"], Key=home + "a")
        ) == "ExpiredToken"
    finally:
        assert emulator.stop() == 0
    assert not (tmp_path / "state" / "emulator.pid").exists()


# --------------------------------------------------------------------------
# d. call log
# --------------------------------------------------------------------------


def test_call_log_records_calls_in_order_and_resets(emulator: Emulator, stack: dict[str, str]) -> None:
    token = id_token(emulator, stack)
    emulator.get_json("/_homedir/calls/reset", method="POST")

    emulator.get_json(f"/{stack['USER_POOL_ID']}/.well-known/jwks.json")
    client(emulator, "cognito-idp", FUNCTION_KEY).admin_get_user(
        UserPoolId=stack["USER_POOL_ID"], Username="alice@example.com")
    logins = {provider(stack): token}
    identity_id = get_id(emulator, stack, logins)
    issued = credentials(emulator, identity_id, logins)
    s3 = client(emulator, "s3", (issued["AccessKeyId"], issued["SecretKey"], issued["SessionToken"]))
    s3.put_object(Bucket=stack["BUCKET_NAME"], Key=f"home/{identity_id}/log", Body=b"")
    s3.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=f"home/{identity_id}/")
    s3.delete_object(Bucket=stack["BUCKET_NAME"], Key=f"home/{identity_id}/log")

    log = emulator.get_json("/_homedir/calls")
    assert log["jwks_fetches"] == 1
    assert log["calls"] == [
        {"service": "cognito-idp", "operation": "AdminGetUser", "access_key": FUNCTION_KEY[0]},
        # SDKs send these two unsigned, as Cognito needs no credentials for them.
        {"service": "cognito-identity", "operation": "GetId", "access_key": None},
        {"service": "cognito-identity", "operation": "GetCredentialsForIdentity", "access_key": None},
        {"service": "s3", "operation": "PutObject", "access_key": issued["AccessKeyId"]},
        {"service": "s3", "operation": "ListObjectsV2", "access_key": issued["AccessKeyId"]},
        {"service": "s3", "operation": "DeleteObject", "access_key": issued["AccessKeyId"]},
    ]

    emulator.get_json("/_homedir/calls/reset", method="POST")
    assert emulator.get_json("/_homedir/calls") == {"calls": [], "jwks_fetches": 0}


# --------------------------------------------------------------------------
# deploy.py (with provision.py's fixtures) and id_token.py
# --------------------------------------------------------------------------


def test_deploy_writes_every_setting_and_is_idempotent(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    expected = {
        "AWS_ENDPOINT_URL", "AWS_REGION", "STACK_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "IDENTITY_POOL_ID",
        "BUCKET_NAME", "HOME_PREFIX", "TEAM_PREFIX", "OTHER_USER_POOL_ID", "OTHER_USER_POOL_CLIENT_ID",
        "OTHER_CLIENT_ID", "DEMO_USER_1_EMAIL", "DEMO_USER_2_EMAIL", "DEMO_PASSWORD", "EMULATOR_SIGNING_KEY",
        "UPLOAD_ID_KEY",
    }
    assert expected <= stack.keys()
    assert re.fullmatch(r"homedir-local-homebucket-[a-z0-9]+", stack["BUCKET_NAME"])
    assert re.fullmatch(r"[A-Za-z0-9]{64}", stack["UPLOAD_ID_KEY"])  # GenerateSecretString: 64, no punctuation
    identity = client(emulator, "cognito-identity")
    pool = identity.describe_identity_pool(IdentityPoolId=stack["IDENTITY_POOL_ID"])
    assert pool["AllowUnauthenticatedIdentities"] is False
    assert pool["CognitoIdentityProviders"] == [
        {"ProviderName": provider(stack), "ClientId": stack["USER_POOL_CLIENT_ID"],
         "ServerSideTokenCheck": True}
    ]
    again = provision(emulator, tmp_path / "again.env")
    # the functions' settings go to a file beside each env file: the same content
    assert Path(again.pop("FUNCTIONS_CONFIG")).read_text() == Path(stack["FUNCTIONS_CONFIG"]).read_text()
    assert again == {key: value for key, value in stack.items() if key != "FUNCTIONS_CONFIG"}


def test_token_script_signs_up_new_users_and_prints_only_the_token(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    stack_env = tmp_path / "stack.env"
    stack_env.write_text("".join(f"{key}={value}\n" for key, value in stack.items()))
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "USER_POOL"))
    }
    environment["HOMEDIR_STACK_ENV"] = str(stack_env)
    result = subprocess.run(
        [sys.executable, str(HERE.parents[1] / "scripts" / "id_token.py"), "carol@example.com"],
        env=environment, capture_output=True, text=True, check=True,
    )
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.count(".") == 2
    assert claims_of(token)["email"] == "carol@example.com"
    assert IDENTITY_ID.match(get_id(emulator, stack, {provider(stack): token}))

    wrong = subprocess.run(
        [sys.executable, str(HERE.parents[1] / "scripts" / "id_token.py"), "carol@example.com", "Wrong-Password-1"],
        env=environment, capture_output=True, text=True,
    )
    assert wrong.returncode != 0 and wrong.stdout == "" and "NotAuthorized" in wrong.stderr


# ---------------------------------------------------------------------------------
# Every correction names the AWS page it follows


def test_every_correction_module_names_the_aws_pages_it_follows() -> None:
    """The package's index lists each correction with the module that holds it; each of
    those modules cites the AWS documentation its behaviour follows (a local test is
    only as true as the emulator under it)."""
    import re

    import homedir_aws

    package = Path(homedir_aws.__file__).parent
    # Join the index's continuation lines (indented) to the line they continue.
    index = re.sub(r"\n {2,}", " ", homedir_aws.__doc__ or "")
    listed = re.findall(r"^([a-z]{1,2})\. .*?\.{3,} (.+)$", index, flags=re.MULTILINE)
    assert [letter for letter, _ in listed] == [*"abcdefghijklmnopqrstuvwxyz", "aa", "ab", "ac", "ad", "ae", "af", "ag"], listed
    # d (the call log and control endpoints), e (start-up) and w (saved state) are the
    # emulator's own tooling, not behaviours of AWS.
    own_tooling = {"d", "e", "w"}
    for letter, modules in listed:
        if letter in own_tooling:
            continue
        for module in re.findall(r"[a-z0-9_]+\.py", modules):
            text = (package / module).read_text()
            assert "docs.aws.amazon.com" in text, f"correction {letter}: {module} cites no AWS page"
