"""Create homedir's AWS resources in the local emulator and write them to an env file.

    python tests/emulator/provision.py --endpoint URL --region us-east-1
        --out .local/stack.env [--demo-users] [--name homedir-local]
        [--signing-key PATH]

Mirrors what template.yaml declares (user pool, app client, identity pool,
authenticated role, versioned bucket with the template's CORS rule) and adds what only negative tests need: a second
user pool with its own client ("-other") and a second client in the main pool
that the identity pool does not list. Resources are found by name before they
are created, so running it twice against the same emulator reuses them. Finally
the emulator is told which bucket is the home bucket (POST /_homedir/home-buckets), so
the authenticated role's policy documents are evaluated with it as ${HomeBucket}.

All calls use the emulator's admin key (ADMIN_ACCESS_KEY / "local"), never
the caller's ambient credentials: this script must not touch real AWS.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import string
import sys
import urllib.request
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.exceptions import ClientError

ADMIN_ACCESS_KEY = "AKIAHOMEDIRADMIN000"
ADMIN_SECRET_KEY = "local"
HOME_PREFIX = "home"
DEMO_USERS = ("alice@example.com", "bob@example.com")
DEMO_PASSWORD = "Homedir-Demo-1"  # upper, lower, digit, symbol, >= 8
POLICY_DIR = Path(__file__).resolve().parents[2] / "infra-policies"


def admin_session(region: str) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=ADMIN_ACCESS_KEY,
        aws_secret_access_key=ADMIN_SECRET_KEY,
        region_name=region,
    )


def first_match(pages: Any, key: str, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    return next((item for page in pages for item in page.get(key, []) if predicate(item)), None)


def ensure_user_pool(idp: Any, name: str) -> str:
    """A pool with email as username and the template's password and recovery rules."""
    pages = idp.get_paginator("list_user_pools").paginate(MaxResults=60)
    existing = first_match(pages, "UserPools", lambda pool: pool["Name"] == name)
    if existing:
        return existing["Id"]
    return idp.create_user_pool(
        PoolName=name,
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "TemporaryPasswordValidityDays": 7,
            }
        },
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
        MfaConfiguration="OFF",
    )["UserPool"]["Id"]


def ensure_app_client(idp: Any, user_pool_id: str, name: str) -> str:
    """A public client (no secret) allowing password, SRP and refresh-token auth;
    one-hour ID and access tokens, as in the template."""
    pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=user_pool_id, MaxResults=60)
    existing = first_match(pages, "UserPoolClients", lambda client: client["ClientName"] == name)
    if existing:
        return existing["ClientId"]
    return idp.create_user_pool_client(
        UserPoolId=user_pool_id,
        ClientName=name,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
        IdTokenValidity=60,
        AccessTokenValidity=60,
        RefreshTokenValidity=30,
        TokenValidityUnits={"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "days"},
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]


def ensure_identity_pool(identity: Any, name: str, provider_name: str, client_id: str) -> str:
    """Authenticated identities only, trusting exactly one user pool client."""
    pools = identity.list_identity_pools(MaxResults=60)["IdentityPools"]
    existing = next((pool for pool in pools if pool["IdentityPoolName"] == name), None)
    if existing:
        return existing["IdentityPoolId"]
    return identity.create_identity_pool(
        IdentityPoolName=name,
        AllowUnauthenticatedIdentities=False,
        AllowClassicFlow=False,
        CognitoIdentityProviders=[
            {"ProviderName": provider_name, "ClientId": client_id, "ServerSideTokenCheck": True}
        ],
    )["IdentityPoolId"]


def policy_document(name: str, substitutions: dict[str, str]) -> str | None:
    """One of the template's IAM documents from infra-policies/, with the template's
    parameters filled in; IAM's own ${cognito-identity...} variables stay as they are."""
    path = POLICY_DIR / name
    if not path.is_file():
        return None
    text = path.read_text()
    for parameter, value in substitutions.items():
        text = text.replace("${" + parameter + "}", value)
    return text


def ensure_authenticated_role(iam: Any, name: str, identity_pool_id: str, bucket: str) -> str:
    """The role Cognito would hand out. Informational only: moto can't attach it
    (SetIdentityPoolRoles is not implemented) and the emulator plays it instead."""
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchEntity":
            raise
    trust = policy_document("authenticated-trust-policy.json", {"IdentityPool": identity_pool_id})
    arn = iam.create_role(
        RoleName=name, MaxSessionDuration=3600,
        AssumeRolePolicyDocument=trust or json.dumps(fallback_trust_policy(identity_pool_id)),
    )["Role"]["Arn"]
    home_policy = policy_document(
        "authenticated-s3-policy.json",
        {"AWS::Partition": "aws", "HomeBucket": bucket, "HomePrefix": HOME_PREFIX},
    )
    if home_policy:
        iam.put_role_policy(RoleName=name, PolicyName="per-user-home", PolicyDocument=home_policy)
    return arn


def fallback_trust_policy(identity_pool_id: str) -> dict[str, Any]:
    """Used only if infra-policies/ has no trust policy (yet)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }],
    }


def ensure_bucket(s3: Any, name: str, region: str) -> str:
    """Reuse a bucket named <name>-xxxxxxxx, else create one with a random suffix."""
    ours = re.compile(re.escape(name) + "-[a-z]{8}")
    for bucket in s3.list_buckets().get("Buckets", []):
        if ours.fullmatch(bucket["Name"]):
            return bucket["Name"]
    bucket_name = f"{name}-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket_name, **location)
    return bucket_name


def ensure_versioning(s3: Any, bucket: str) -> None:
    """Versioning on, as the template's bucket (VersioningConfiguration: Enabled)."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def ensure_cors(s3: Any, bucket: str) -> None:
    """The template's CORS rule with its CorsAllowedOrigins default ("*"): browsers (the
    web page) GET/HEAD presigned downloads and PUT presigned parts, and read each part's
    ETag to complete an upload."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["*"],
        "AllowedMethods": ["GET", "PUT", "HEAD"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag", "Last-Modified", "x-amz-version-id"],
        "MaxAgeSeconds": 3600,
    }]})


def register_home_bucket(endpoint: str, bucket: str) -> None:
    """Tell the emulator which bucket is the template's HomeBucket: the authenticated
    role's policy documents are evaluated with it as ${HomeBucket} (README: S3 rules)."""
    request = urllib.request.Request(
        f"{endpoint}/_homedir/home-buckets", data=json.dumps({"bucket": bucket}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def ensure_confirmed_user(idp: Any, user_pool_id: str, email: str, password: str) -> None:
    """A confirmed user with a permanent password (reset if the user exists)."""
    try:
        idp.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
    except idp.exceptions.UsernameExistsException:
        pass
    idp.admin_set_user_password(UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True)


def provision(endpoint: str, region: str, name: str, demo_users: bool) -> dict[str, str]:
    """Create (or find) everything; return the env file's settings."""
    session = admin_session(region)
    idp = session.client("cognito-idp", endpoint_url=endpoint)
    identity = session.client("cognito-identity", endpoint_url=endpoint)

    user_pool_id = ensure_user_pool(idp, f"{name}-users")
    client_id = ensure_app_client(idp, user_pool_id, f"{name}-client")
    unlisted_client_id = ensure_app_client(idp, user_pool_id, f"{name}-client-unlisted")
    other_pool_id = ensure_user_pool(idp, f"{name}-users-other")
    other_client_id = ensure_app_client(idp, other_pool_id, f"{name}-client-other")

    provider_name = f"cognito-idp.{region}.amazonaws.com/{user_pool_id}"
    identity_pool_id = ensure_identity_pool(identity, f"{name}-identities", provider_name, client_id)
    s3 = session.client("s3", endpoint_url=endpoint)
    bucket = ensure_bucket(s3, name, region)
    ensure_versioning(s3, bucket)
    ensure_cors(s3, bucket)
    register_home_bucket(endpoint, bucket)
    role_arn = ensure_authenticated_role(
        session.client("iam", endpoint_url=endpoint), f"{name}-authenticated", identity_pool_id, bucket
    )

    settings = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "USER_POOL_ID": user_pool_id,
        "USER_POOL_CLIENT_ID": client_id,
        "IDENTITY_POOL_ID": identity_pool_id,
        "BUCKET_NAME": bucket,
        "HOME_PREFIX": HOME_PREFIX,
        "AUTHENTICATED_ROLE_ARN": role_arn,
        "OTHER_USER_POOL_ID": other_pool_id,
        "OTHER_USER_POOL_CLIENT_ID": other_client_id,
        "OTHER_CLIENT_ID": unlisted_client_id,
    }
    if demo_users:
        for number, email in enumerate(DEMO_USERS, start=1):
            ensure_confirmed_user(idp, user_pool_id, email, DEMO_PASSWORD)
            settings[f"DEMO_USER_{number}_EMAIL"] = email
        settings["DEMO_PASSWORD"] = DEMO_PASSWORD
    return settings


def write_env_file(path: Path, settings: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Provision homedir's resources in the local emulator.")
    parser.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:4566")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--out", type=Path, required=True, help="env file to write, e.g. .local/stack.env")
    parser.add_argument("--name", default="homedir-local", help="name prefix of every resource")
    parser.add_argument("--demo-users", action="store_true", help="also create alice and bob, confirmed")
    parser.add_argument("--signing-key", type=Path, help="the emulator's signing-key.pem, recorded for tests")
    args = parser.parse_args(argv)

    settings = provision(args.endpoint.rstrip("/"), args.region, args.name, args.demo_users)
    if args.signing_key:
        settings["EMULATOR_SIGNING_KEY"] = str(args.signing_key.resolve())
    write_env_file(args.out, settings)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
