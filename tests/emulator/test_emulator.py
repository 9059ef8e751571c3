"""Proves each correction homedir_emulator.py makes to moto (see its docstring).

Run: .venv/bin/python -m pytest tests/emulator -q
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HERE = Path(__file__).resolve().parent
ADMIN_KEY = ("AKIAHOMEDIRADMIN000", "local")
FUNCTION_KEY = ("AKIAHOMEDIRFUNCTION0", "local")
REGION = "us-east-1"
IDENTITY_ID = re.compile(r"^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# --------------------------------------------------------------------------
# Running the scripts
# --------------------------------------------------------------------------


@dataclass
class Emulator:
    process: subprocess.Popen[str]
    url: str
    state_dir: Path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)

    def get_json(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_emulator(state_dir: Path, port: int, *extra_args: str) -> Emulator:
    """Start the launcher and wait for its `ready URL` line."""
    log = open(state_dir.parent / f"{state_dir.name}.log", "w")
    process = subprocess.Popen(
        [sys.executable, str(HERE / "homedir_emulator.py"), "--port", str(port),
         "--state-dir", str(state_dir), *extra_args],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    readable, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if readable else ""
    if not line.startswith("ready "):
        process.kill()
        pytest.fail(f"emulator did not start: {line!r}, see {log.name}")
    return Emulator(process, line.split()[1], state_dir)


def provision(emulator: Emulator, out: Path) -> dict[str, str]:
    subprocess.run(
        [sys.executable, str(HERE / "provision.py"), "--endpoint", emulator.url, "--region", REGION,
         "--out", str(out), "--demo-users", "--signing-key", str(emulator.state_dir / "signing-key.pem")],
        check=True, capture_output=True, text=True,
    )
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = start_emulator(tmp_path_factory.mktemp("emulator") / "state", free_port())
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return provision(emulator, tmp_path_factory.mktemp("stack") / "stack.env")


# --------------------------------------------------------------------------
# AWS clients and tokens
# --------------------------------------------------------------------------


def client(
    emulator: Emulator, service: str, key: tuple[str, ...] = ADMIN_KEY, signature_version: str | None = None
) -> Any:
    access_key, secret_key, *session_token = key
    return boto3.client(
        service, region_name=REGION, endpoint_url=emulator.url,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        aws_session_token=session_token[0] if session_token else None,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      signature_version=signature_version),
    )


def sign_in(emulator: Emulator, client_id: str, email: str, password: str) -> dict[str, str]:
    return client(emulator, "cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]


def id_token(emulator: Emulator, stack: dict[str, str], email: str = "alice@example.com") -> str:
    return sign_in(emulator, stack["USER_POOL_CLIENT_ID"], email, stack["DEMO_PASSWORD"])["IdToken"]


def provider(stack: dict[str, str], pool_key: str = "USER_POOL_ID") -> str:
    return f"cognito-idp.{REGION}.amazonaws.com/{stack[pool_key]}"


def get_id(emulator: Emulator, stack: dict[str, str], logins: dict[str, str] | None) -> str:
    arguments = {"IdentityPoolId": stack["IDENTITY_POOL_ID"]}
    if logins is not None:
        arguments["Logins"] = logins
    return client(emulator, "cognito-identity").get_id(**arguments)["IdentityId"]


def credentials(emulator: Emulator, identity_id: str, logins: dict[str, str] | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"IdentityId": identity_id}
    if logins is not None:
        arguments["Logins"] = logins
    return client(emulator, "cognito-identity").get_credentials_for_identity(**arguments)["Credentials"]


def user_credentials(emulator: Emulator, stack: dict[str, str], email: str) -> tuple[tuple[str, ...], str]:
    """The user's issued (access key, secret, session token) and home prefix."""
    logins = {provider(stack): id_token(emulator, stack, email)}
    identity_id = get_id(emulator, stack, logins)
    issued = credentials(emulator, identity_id, logins)
    return (issued["AccessKeyId"], issued["SecretKey"], issued["SessionToken"]), f"home/{identity_id}/"


def user_s3(emulator: Emulator, stack: dict[str, str], email: str) -> tuple[Any, str]:
    """An S3 client with the user's issued credentials, and the user's home prefix."""
    key, home = user_credentials(emulator, stack, email)
    return client(emulator, "s3", key), home


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


# --------------------------------------------------------------------------
# Forging tokens
# --------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = "dummy") -> str:
    header = b64url(json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


def moto_key(stack: dict[str, str]) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(Path(stack["EMULATOR_SIGNING_KEY"]).read_bytes(), None)


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
# c. S3 authorization
# --------------------------------------------------------------------------


def test_issued_credentials_reach_only_their_home(emulator: Emulator, stack: dict[str, str]) -> None:
    bucket = stack["BUCKET_NAME"]
    alice, alice_home = user_s3(emulator, stack, "alice@example.com")
    bob, bob_home = user_s3(emulator, stack, "bob@example.com")
    note = alice_home + "notes/ä b?.txt"  # keys travel percent-encoded

    alice.put_object(Bucket=bucket, Key=note, Body=b"hello")
    assert alice.get_object(Bucket=bucket, Key=note)["Body"].read() == b"hello"
    alice.head_object(Bucket=bucket, Key=note)
    listed = alice.list_objects_v2(Bucket=bucket, Prefix=alice_home)["Contents"]
    assert [item["Key"] for item in listed] == [note]
    alice.list_objects(Bucket=bucket, Prefix=alice_home + "notes/")

    denied = {
        "get another home": lambda: bob.get_object(Bucket=bucket, Key=note),
        "put another home": lambda: bob.put_object(Bucket=bucket, Key=alice_home + "x", Body=b""),
        "delete another home": lambda: bob.delete_object(Bucket=bucket, Key=note),
        "list another home": lambda: bob.list_objects_v2(Bucket=bucket, Prefix=alice_home),
        "list without prefix": lambda: bob.list_objects_v2(Bucket=bucket),
        "list above own home": lambda: bob.list_objects_v2(Bucket=bucket, Prefix=bob_home[:-1]),
        "put outside homes": lambda: bob.put_object(Bucket=bucket, Key="elsewhere.txt", Body=b""),
        "look-alike path": lambda: bob.get_object(Bucket=bucket, Key=alice_home + ".well-known/jwks.json"),
        "list buckets": bob.list_buckets,
        "copy into own home": lambda: bob.copy_object(
            Bucket=bucket, Key=bob_home + "copy", CopySource={"Bucket": bucket, "Key": note}),
    }
    assert {name: error_code(call) for name, call in denied.items()} == dict.fromkeys(denied, "AccessDenied")
    assert error_code(lambda: bob.head_object(Bucket=bucket, Key=note)) == "403"  # HEAD errors have no body

    alice.delete_object(Bucket=bucket, Key=note)


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_presigned_urls_follow_the_same_rules(
    emulator: Emulator, stack: dict[str, str], signature_version: str
) -> None:
    bucket = stack["BUCKET_NAME"]
    key, alice_home = user_credentials(emulator, stack, "alice@example.com")
    alice = client(emulator, "s3", key, signature_version)
    alice.put_object(Bucket=bucket, Key=alice_home + "shared", Body=b"presigned")

    def fetch(key: str) -> int | bytes:
        url = alice.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            return error.code

    assert fetch(alice_home + "shared") == b"presigned"
    assert fetch("home/someone-else/shared") == 403
    alice.delete_object(Bucket=bucket, Key=alice_home + "shared")


def test_issued_credentials_need_their_session_token(emulator: Emulator, stack: dict[str, str]) -> None:
    logins = {provider(stack): id_token(emulator, stack)}
    identity_id = get_id(emulator, stack, logins)
    issued = credentials(emulator, identity_id, logins)
    without_token = client(emulator, "s3", (issued["AccessKeyId"], issued["SecretKey"]))
    home = f"home/{identity_id}/"
    assert error_code(
        lambda: without_token.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=home)
    ) == "InvalidToken"


def test_function_role_has_no_s3_but_may_call_cognito(emulator: Emulator, stack: dict[str, str]) -> None:
    s3 = client(emulator, "s3", FUNCTION_KEY)
    home = f"home/{get_id(emulator, stack, {provider(stack): id_token(emulator, stack)})}/"
    assert error_code(lambda: s3.get_object(Bucket=stack["BUCKET_NAME"], Key=home + "x")) == "AccessDenied"
    assert error_code(lambda: s3.list_objects_v2(Bucket=stack["BUCKET_NAME"], Prefix=home)) == "AccessDenied"
    user = client(emulator, "cognito-idp", FUNCTION_KEY).admin_get_user(
        UserPoolId=stack["USER_POOL_ID"], Username="alice@example.com")
    assert user["Enabled"]


def test_admin_key_is_unrestricted(emulator: Emulator, stack: dict[str, str]) -> None:
    alice, alice_home = user_s3(emulator, stack, "alice@example.com")
    alice.put_object(Bucket=stack["BUCKET_NAME"], Key=alice_home + "admin-can-read", Body=b"x")
    admin = client(emulator, "s3")
    obj = admin.get_object(Bucket=stack["BUCKET_NAME"], Key=alice_home + "admin-can-read")
    assert obj["Body"].read() == b"x"
    assert admin.list_objects_v2(Bucket=stack["BUCKET_NAME"])["KeyCount"] >= 1
    admin.delete_object(Bucket=stack["BUCKET_NAME"], Key=alice_home + "admin-can-read")


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
# provision.py and id_token.py
# --------------------------------------------------------------------------


def test_provision_writes_every_setting_and_is_idempotent(
    emulator: Emulator, stack: dict[str, str], tmp_path: Path
) -> None:
    expected = {
        "AWS_ENDPOINT_URL", "AWS_REGION", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "IDENTITY_POOL_ID",
        "BUCKET_NAME", "HOME_PREFIX", "OTHER_USER_POOL_ID", "OTHER_USER_POOL_CLIENT_ID", "OTHER_CLIENT_ID",
        "DEMO_USER_1_EMAIL", "DEMO_USER_2_EMAIL", "DEMO_PASSWORD", "EMULATOR_SIGNING_KEY",
    }
    assert expected <= stack.keys()
    assert re.fullmatch(r"homedir-local-[a-z]{8}", stack["BUCKET_NAME"])
    identity = client(emulator, "cognito-identity")
    pool = identity.describe_identity_pool(IdentityPoolId=stack["IDENTITY_POOL_ID"])
    assert pool["AllowUnauthenticatedIdentities"] is False
    assert pool["CognitoIdentityProviders"] == [
        {"ProviderName": provider(stack), "ClientId": stack["USER_POOL_CLIENT_ID"],
         "ServerSideTokenCheck": True}
    ]
    assert provision(emulator, tmp_path / "again.env") == stack


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
        [sys.executable, str(HERE / "id_token.py"), "carol@example.com"],
        env=environment, capture_output=True, text=True, check=True,
    )
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.count(".") == 2
    assert claims_of(token)["email"] == "carol@example.com"
    assert IDENTITY_ID.match(get_id(emulator, stack, {provider(stack): token}))

    wrong = subprocess.run(
        [sys.executable, str(HERE / "id_token.py"), "carol@example.com", "Wrong-Password-1"],
        env=environment, capture_output=True, text=True,
    )
    assert wrong.returncode != 0 and wrong.stdout == "" and "NotAuthorized" in wrong.stderr
