"""infra-policies/cases.json replayed over HTTP: every case a real S3 request can express
is sent to the emulator's S3 with the credentials the local identity pool issued to a
user standing for the case's identity, and must get the decision the table (and the two
evaluators, test_iam.py and infra::policies) expects: Allow is served, ImplicitDeny and
ExplicitDeny are 403 AccessDenied. One kind of Allow is served as S3 serves it: an
allowed PutObjectAcl on the stack's bucket, whose Object Ownership is BucketOwnerEnforced,
is authorized and then refused by the bucket, 400 AccessControlListNotSupported (correction
aa). So each s3:PutObjectAcl case that names an ACL is also sent as the upload that names
it (a PutObject with those headers, which needs s3:PutObjectAcl besides s3:PutObject, as
rclone 1.60's uploads do): Allow is 200, a denial 403.

The identities are users of the stack's own user pool, their `custom:team` set by the
administrator to the table's `principal_tags` (no tag: no team), so the tags reach S3
the way they do in AWS: ID token claim -> the identity pool's principal-tag map
(template.yaml's IdentityPoolTeamTag) -> session tag on the credentials ->
aws:PrincipalTag/team in the request context. `{A}`, `{B}`, ... become their real
Identity IDs, `{bucket}` the stack's bucket, `{other_bucket}` a bucket of the account the
role is not granted. An identity whose tag the stack's user pool cannot hold (E's empty
team: custom:team is 1-63 characters) is a user of a pool made here, identical but for
that constraint, federated by an identity pool made here whose authenticated role has
the stack role's own policies.

What a request cannot express is left out, each for a reason named in NOT_EXPRESSIBLE
(the emulator stands in for S3's HTTPS endpoint, so a case about plain HTTP or an older
TLS version; an action that is no S3 operation of its own; an object action on a bucket
ARN), and the test checks that nothing else is.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from harness import ADMIN_KEY, REGION, Emulator, Stack, client, code_of, http, unique

from homedir_aws import iam

CASES = json.loads((iam.POLICY_DIR / "cases.json").read_text())
PASSWORD = "Homedir-Cases-1"

NOT_EXPRESSIBLE = {
    "transport": "the emulator serves S3's HTTPS endpoint: every request is TLS 1.3",
    "no operation": "the action is no S3 operation of its own",
    "object action on the bucket": "an object action on the bucket's ARN is no request",
}
NO_OPERATION = {"s3:GetObjectVersionForReplication", "s3:ReplicateDelete", "s3:BypassGovernanceRetention"}


# --------------------------------------------------------------------------
# Sending signed requests, keys exactly as written (no dot-segment clean-up)
# --------------------------------------------------------------------------


def send(emulator: Emulator, key: tuple[str, ...], method: str, bucket: str, object_key: str = "",
         query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
         body: bytes = b"") -> tuple[int, bytes, dict[str, str]]:
    """A SigV4 header-signed S3 request, path-style; (status, body, headers)."""
    path = "/" + urllib.parse.quote(bucket) + ("/" + urllib.parse.quote(object_key, safe="/~") if object_key else "")
    text = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                    for k, v in sorted((query or {}).items()))
    url = emulator.url + path + (f"?{text}" if text else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    access_key, secret_key, *token = key
    S3SigV4Auth(Credentials(access_key, secret_key, token[0] if token else None), "s3", REGION).add_auth(request)
    status, answer_headers, answer = http(method, url, body or None, dict(request.headers.items()))
    return status, answer, answer_headers


# --------------------------------------------------------------------------
# The identities
# --------------------------------------------------------------------------


@dataclass
class Identity:
    name: str
    identity_id: str
    key: tuple[str, ...]


def _sign_in(idp: Any, client_id: str, email: str) -> str:
    return idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
                             AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]["IdToken"]


def _member(emulator: Emulator, pool_id: str, client_id: str, identity_pool: str, team: str | None) -> Identity:
    idp = client(emulator, "cognito-idp")
    email = f"{unique('case')}@example.com"
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if team is not None:
        attributes.append({"Name": "custom:team", "Value": team})
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS", UserAttributes=attributes)
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    cognito = client(emulator, "cognito-identity")
    logins = {f"cognito-idp.{REGION}.amazonaws.com/{pool_id}": _sign_in(idp, client_id, email)}
    identity_id = cognito.get_id(IdentityPoolId=identity_pool, Logins=logins)["IdentityId"]
    issued = cognito.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
    return Identity("", identity_id, (issued["AccessKeyId"], issued["SecretKey"], issued["SessionToken"]))


def _pool_like_the_stacks(emulator: Emulator, stack: Stack) -> tuple[str, str, str]:
    """(user pool, client, identity pool) like the stack's, but custom:team of 0-63
    characters, and an authenticated role holding the stack role's policies."""
    idp, cognito, iam_client = (client(emulator, name) for name in ("cognito-idp", "cognito-identity", "iam"))
    pool_id = idp.create_user_pool(
        PoolName=unique("cases"), UsernameAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {"Name": "team", "AttributeDataType": "String", "Mutable": True,
                 "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "63"}}],
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="cases", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        ReadAttributes=["email", "email_verified", "custom:team"], WriteAttributes=["email"],
    )["UserPoolClient"]["ClientId"]
    provider_name = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    identity_pool = cognito.create_identity_pool(
        IdentityPoolName=unique("cases").replace("-", "_"), AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": provider_name, "ClientId": client_id}],
    )["IdentityPoolId"]
    roles = cognito.get_identity_pool_roles(IdentityPoolId=stack["IDENTITY_POOL_ID"])["Roles"]
    stack_role = roles["authenticated"].rsplit("/", 1)[-1]
    trust = (iam.POLICY_DIR / "authenticated-trust-policy.json").read_text().replace("${IdentityPool}", identity_pool)
    role_name = unique("cases-role")
    role_arn = iam_client.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    for name in iam_client.list_role_policies(RoleName=stack_role)["PolicyNames"]:
        document = iam_client.get_role_policy(RoleName=stack_role, PolicyName=name)["PolicyDocument"]
        iam_client.put_role_policy(RoleName=role_name, PolicyName=name,
                                   PolicyDocument=document if isinstance(document, str) else json.dumps(document))
    for attached in iam_client.list_attached_role_policies(RoleName=stack_role)["AttachedPolicies"]:
        iam_client.attach_role_policy(RoleName=role_name, PolicyArn=attached["PolicyArn"])
    cognito.set_identity_pool_roles(IdentityPoolId=identity_pool, Roles={"authenticated": role_arn})
    cognito.set_principal_tag_attribute_map(IdentityPoolId=identity_pool, IdentityProviderName=provider_name,
                                            UseDefaults=False, PrincipalTags={"team": "custom:team"})
    return pool_id, client_id, identity_pool


@pytest.fixture(scope="module")
def identities(emulator: Emulator, stack: Stack) -> dict[str, Identity]:
    """One user per identity of the table, tagged as `principal_tags` says."""
    made: dict[str, Identity] = {}
    mirror: tuple[str, str, str] | None = None
    for name in CASES["identities"]:
        team = CASES["principal_tags"].get(name, {}).get("team")
        if team is None or 1 <= len(team) <= 63:
            identity = _member(emulator, stack["USER_POOL_ID"], stack["USER_POOL_CLIENT_ID"],
                               stack["IDENTITY_POOL_ID"], team)
        else:
            mirror = mirror or _pool_like_the_stacks(emulator, stack)
            identity = _member(emulator, *mirror, team)
        identity.name = name
        made[name] = identity
    return made


@pytest.fixture(scope="module")
def other_bucket(emulator: Emulator) -> str:
    bucket = f"{unique('other')}-bucket"
    s3 = client(emulator, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


# --------------------------------------------------------------------------
# A case as a request
# --------------------------------------------------------------------------


@dataclass
class Replay:
    method: str
    bucket: str
    key: str = ""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    prepare: Callable[["Replay"], None] | None = None


def expand(text: str, names: dict[str, str], table_ids: dict[str, str], real_ids: dict[str, str]) -> str:
    for name, value in names.items():
        text = text.replace("{" + name + "}", value)
    for name, table_id in table_ids.items():  # a table ID written out (e.g. upper case)
        text = text.replace(table_id.upper(), real_ids[name].upper()).replace(table_id, real_ids[name])
    return text


def acl_headers(context: dict[str, Any]) -> dict[str, str]:
    """The ACL headers (x-amz-acl, x-amz-grant-*) a case's context names."""
    return {name.removeprefix("s3:"): value for name, value in context.items()
            if name == "s3:x-amz-acl" or name.startswith("s3:x-amz-grant-")}


def _tagging() -> bytes:
    return b'<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>'


def replay_of(case: dict[str, Any], emulator: Emulator, stack: Stack, identities: dict[str, Identity],
              other_bucket: str) -> Replay | str:
    """The request standing for the case, or the NOT_EXPRESSIBLE reason it has none."""
    context = case["context"]
    if context.get("aws:SecureTransport") is False or context.get("s3:TlsVersion", 1.3) != 1.3:
        return "transport"
    action = case["action"]
    if action in NO_OPERATION:
        return "no operation"
    real_ids = {name: identity.identity_id for name, identity in identities.items()}
    names = {"bucket": stack["BUCKET_NAME"], "other_bucket": other_bucket, "prefix": stack.get("HOME_PREFIX", "home"),
             "team_prefix": stack.get("TEAM_PREFIX", "teams"), **real_ids}
    resource = expand(case["resource"], names, CASES["identities"], real_ids)
    bucket, _, key = resource.removeprefix("arn:aws:s3:::").partition("/")
    has_key = "/" in resource.removeprefix("arn:aws:s3:::")
    value = {name: expand(v, names, CASES["identities"], real_ids) if isinstance(v, str) else v
             for name, v in context.items()}
    headers = {name.removeprefix("s3:"): v for name, v in value.items()
               if name in ("s3:x-amz-storage-class", "s3:x-amz-server-side-encryption",
                           "s3:x-amz-server-side-encryption-customer-algorithm")}
    acl = acl_headers(value) or {"x-amz-acl": "private"}

    if not has_key:
        listing = {"s3:ListBucket": {"list-type": "2"}, "s3:ListBucketVersions": {"versions": ""},
                   "s3:ListBucketMultipartUploads": {"uploads": ""}}
        if action in listing:
            query = dict(listing[action])
            if "s3:prefix" in value:
                query["prefix"] = value["s3:prefix"]
            return Replay("GET", bucket, query=query)
        bucket_operations = {
            "s3:GetBucketVersioning": Replay("GET", bucket, query={"versioning": ""}),
            "s3:PutBucketVersioning": Replay("PUT", bucket, query={"versioning": ""}, body=(
                b'<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>')),
            "s3:PutLifecycleConfiguration": Replay("PUT", bucket, query={"lifecycle": ""}, body=(
                b"<LifecycleConfiguration><Rule><ID>x</ID><Filter><Prefix>x/</Prefix></Filter>"
                b"<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>")),
            "s3:PutBucketPolicy": Replay("PUT", bucket, query={"policy": ""}, body=json.dumps(
                {"Version": "2012-10-17", "Statement": []}).encode()),
            # A bucket that holds objects: even a wrongly allowed delete would not remove it.
            "s3:DeleteBucket": Replay("DELETE", bucket),
        }
        return bucket_operations.get(action, "object action on the bucket")

    admin = client(emulator, "s3")

    def existing(replay: Replay) -> None:
        _, _, answer = send(emulator, ADMIN_KEY, "PUT", replay.bucket, replay.key, body=b"case")
        if "versionId" in replay.query:
            replay.query["versionId"] = answer.get("x-amz-version-id", "null")

    def upload(replay: Replay) -> None:
        replay.query["uploadId"] = admin.create_multipart_upload(Bucket=replay.bucket, Key=replay.key)["UploadId"]

    versioned = {"versionId": ""}
    if action in ("s3:GetObject", "s3:GetObjectVersion") and "s3:x-amz-copy-source" in value:
        # A copy's source: CopyObject into the caller's own home, which it may write.
        own = f"{names['prefix']}/{identities[case['identity']].identity_id}/{unique('copy')}"

        def source(replay: Replay) -> None:
            _, _, answer = send(emulator, ADMIN_KEY, "PUT", bucket, key, body=b"case")
            version = f"?versionId={answer.get('x-amz-version-id', 'null')}" if action.endswith("Version") else ""
            replay.headers["x-amz-copy-source"] = urllib.parse.quote(f"{bucket}/{key}", safe="/~") + version

        return Replay("PUT", stack["BUCKET_NAME"], own, prepare=source)
    objects: dict[str, Replay] = {
        "s3:GetObject": Replay("GET", bucket, key, prepare=existing),
        "s3:GetObjectVersion": Replay("GET", bucket, key, dict(versioned), prepare=existing),
        "s3:PutObject": Replay("PUT", bucket, key, headers=headers, body=b"case"),
        "s3:DeleteObject": Replay("DELETE", bucket, key, prepare=existing),
        "s3:DeleteObjectVersion": Replay("DELETE", bucket, key, dict(versioned), prepare=existing),
        "s3:AbortMultipartUpload": Replay("DELETE", bucket, key, prepare=upload),
        "s3:ListMultipartUploadParts": Replay("GET", bucket, key, prepare=upload),
        "s3:GetObjectAcl": Replay("GET", bucket, key, {"acl": ""}, prepare=existing),
        "s3:PutObjectAcl": Replay("PUT", bucket, key, {"acl": ""}, acl, prepare=existing),
        "s3:GetObjectVersionAcl": Replay("GET", bucket, key, {"acl": "", **versioned}, prepare=existing),
        "s3:PutObjectVersionAcl": Replay("PUT", bucket, key, {"acl": "", **versioned}, acl, prepare=existing),
        "s3:GetObjectTagging": Replay("GET", bucket, key, {"tagging": ""}, prepare=existing),
        "s3:PutObjectTagging": Replay("PUT", bucket, key, {"tagging": ""}, body=_tagging(), prepare=existing),
        "s3:DeleteObjectTagging": Replay("DELETE", bucket, key, {"tagging": ""}, prepare=existing),
        "s3:GetObjectVersionTagging": Replay("GET", bucket, key, {"tagging": "", **versioned}, prepare=existing),
        "s3:PutObjectVersionTagging": Replay("PUT", bucket, key, {"tagging": "", **versioned}, body=_tagging(),
                                             prepare=existing),
        "s3:DeleteObjectVersionTagging": Replay("DELETE", bucket, key, {"tagging": "", **versioned},
                                                prepare=existing),
        "s3:GetObjectVersionAttributes": Replay("GET", bucket, key, {"attributes": "", **versioned},
                                                {"x-amz-object-attributes": "ETag"}, prepare=existing),
        "s3:PutObjectRetention": Replay("PUT", bucket, key, {"retention": ""}, body=(
            b"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>"),
            prepare=existing),
        "s3:PutObjectLegalHold": Replay("PUT", bucket, key, {"legal-hold": ""},
                                        body=b"<LegalHold><Status>ON</Status></LegalHold>", prepare=existing),
        "s3:RestoreObject": Replay("POST", bucket, key, {"restore": ""},
                                   body=b"<RestoreRequest><Days>1</Days></RestoreRequest>", prepare=existing),
    }
    if action not in objects:
        raise AssertionError(f"case {case['name']}: no request for {action}; add one or a reason")
    return objects[action]


# --------------------------------------------------------------------------
# The replay
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def over_quota(emulator: Emulator, stack: Stack, identities: dict[str, Identity]) -> Any:
    """The table's `over_quota` written as the usage function writes it: a new default
    version of one of the stack's quota policies naming the real Identity IDs of its
    homes and its teams; the deployed version is the default again afterwards."""
    iam_client = client(emulator, "iam")
    arn = client(emulator, "cloudformation").describe_stack_resource(
        StackName=stack["STACK_NAME"], LogicalResourceId="QuotaDenyPolicy1")["StackResourceDetail"]["PhysicalResourceId"]
    previous = iam_client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    deployed = iam_client.get_policy_version(PolicyArn=arn, VersionId=previous)["PolicyVersion"]["Document"]
    homes = [identities[name].identity_id for name in CASES["over_quota"]["homes"]]
    written = iam.quota_deny_as_written(deployed, homes, CASES["over_quota"]["teams"])
    version = iam_client.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(written),
                                               SetAsDefault=True)["PolicyVersion"]["VersionId"]
    yield written
    iam_client.set_default_policy_version(PolicyArn=arn, VersionId=previous)
    iam_client.delete_policy_version(PolicyArn=arn, VersionId=version)


def test_every_case_a_request_can_express_is_decided_over_http_as_the_table_says(
    emulator: Emulator, stack: Stack, identities: dict[str, Identity], other_bucket: str, over_quota: Any
) -> None:
    sent, uploaded, left_out, wrong = 0, 0, {reason: [] for reason in NOT_EXPRESSIBLE}, []
    for case in CASES["cases"]:
        replay = replay_of(case, emulator, stack, identities, other_bucket)
        if isinstance(replay, str):
            left_out[replay].append(case["name"])
            continue
        if replay.prepare is not None:
            replay.prepare(replay)
        key = identities[case["identity"]].key
        status, body, _ = send(emulator, key, replay.method, replay.bucket, replay.key, replay.query,
                               replay.headers, replay.body)
        sent += 1
        denied = status == 403 and code_of(body) == "AccessDenied"
        served = status < 400
        if case["action"] == "s3:PutObjectAcl" and replay.bucket == stack["BUCKET_NAME"]:
            # authorized, then refused by the bucket's BucketOwnerEnforced
            served = status == 400 and code_of(body) == "AccessControlListNotSupported"
        if denied != (case["expect"] != "Allow") or (not denied and not served):
            wrong.append(f"{case['name']} ({case['expect']}): {replay.method} /{replay.bucket}/{replay.key}"
                         f"?{replay.query} -> {status} {code_of(body)}")
        if case["action"] == "s3:PutObjectAcl" and acl_headers(case["context"]):
            # The upload that names the same ACL: s3:PutObject and s3:PutObjectAcl.
            status, body, _ = send(emulator, key, "PUT", replay.bucket, replay.key,
                                   headers=replay.headers, body=b"case")
            uploaded += 1
            if (status, code_of(body) if status >= 400 else "") != (
                    (200, "") if case["expect"] == "Allow" else (403, "AccessDenied")):
                wrong.append(f"{case['name']} ({case['expect']}) as an upload: PUT /{replay.bucket}/{replay.key}"
                             f" {replay.headers} -> {status} {code_of(body)}")
    assert not wrong, "\n".join(wrong)
    assert uploaded >= 30, uploaded  # the ACL cases, each also as an upload
    # Only the cases no request can express are left out, and they are few.
    assert all(re.search(r"plain_http|over_tls|without_tls", name) for name in left_out["transport"]), left_out
    assert sent >= len(CASES["cases"]) - 20, (sent, left_out)
    team_cases = [case for case in CASES["cases"] if "{team_prefix}" in case["resource"]
                  or "{team_prefix}" in json.dumps(case["context"])]
    skipped_team = [name for names in left_out.values() for name in names
                    if any(case["name"] == name for case in team_cases)]
    assert skipped_team == ["a_denied_team_get_without_tls"], skipped_team
