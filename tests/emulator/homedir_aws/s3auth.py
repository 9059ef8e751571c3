"""Which IAM actions an S3 request needs, on which resources, with which request context,
and what the policy documents the stack deployed decide about them (the caller's role's
identity policies in IAM, the bucket's policy in S3: DeployedPolicies).

Followed pages:
- Required permissions for Amazon S3 API operations (Amazon S3 User Guide): operation →
  policy action(s) and resource type (bucket ARN or object ARN).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
- Actions, resources, and condition keys for Amazon S3 (Service Authorization Reference):
  the extra actions a request needs (PutObject with an ACL also needs s3:PutObjectAcl, with
  tagging s3:PutObjectTagging, with object-lock headers s3:PutObjectRetention /
  s3:PutObjectLegalHold; CopyObject needs s3:GetObject[Version] on the source) and the
  condition keys (s3:prefix, s3:delimiter, s3:max-keys, s3:versionid, s3:x-amz-acl,
  s3:x-amz-copy-source, s3:x-amz-storage-class, s3:x-amz-server-side-encryption[...],
  s3:TlsVersion).
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
- Multipart upload and permissions (Amazon S3 User Guide): Create/UploadPart/Complete need
  s3:PutObject, Abort s3:AbortMultipartUpload, ListParts s3:ListMultipartUploadParts,
  ListMultipartUploads s3:ListBucketMultipartUploads.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
- How to perform conditional deletes (Amazon S3 User Guide): a DeleteObject with If-Match
  also needs s3:GetObject.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
- AWS global condition context keys (IAM User Guide): aws:SecureTransport.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping
from urllib.parse import unquote

from . import iam

IDENTITY_VARIABLE = "cognito-identity.amazonaws.com:sub"

GetHeader = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Check:
    """One IAM action the request needs on one resource."""

    action: str
    resource: str


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


# --------------------------------------------------------------------------
# Operation → actions
# --------------------------------------------------------------------------

# Object-level operations whose action is simply s3:<name> (or a versioned variant).
_OBJECT_ACTIONS: dict[str, tuple[str, str | None]] = {
    # operation: (action, action when the request names a versionId)
    "GetObject": ("s3:GetObject", "s3:GetObjectVersion"),
    "HeadObject": ("s3:GetObject", "s3:GetObjectVersion"),
    "DeleteObject": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "UploadPart": ("s3:PutObject", None),
    "CompleteMultipartUpload": ("s3:PutObject", None),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", None),
    "ListParts": ("s3:ListMultipartUploadParts", None),
    "GetObjectAcl": ("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
    "PutObjectAcl": ("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
    "GetObjectTagging": ("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
    "PutObjectTagging": ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
    "DeleteObjectTagging": ("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    "GetObjectRetention": ("s3:GetObjectRetention", None),
    "PutObjectRetention": ("s3:PutObjectRetention", None),
    "GetObjectLegalHold": ("s3:GetObjectLegalHold", None),
    "PutObjectLegalHold": ("s3:PutObjectLegalHold", None),
    "RestoreObject": ("s3:RestoreObject", None),
    "PostObjectSelect": ("s3:GetObject", None),
}

# Bucket-level operations: the action, on the bucket ARN.
_BUCKET_ACTIONS: dict[str, str] = {
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "CreateBucket": "s3:CreateBucket",
    "DeleteBucket": "s3:DeleteBucket",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "PutBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "GetBucketObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutBucketObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
}

_GRANT_HEADERS = ("x-amz-acl", "x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write-acp",
                  "x-amz-grant-full-control")
_CONTEXT_HEADERS = (
    "x-amz-acl", "x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write",
    "x-amz-grant-write-acp", "x-amz-grant-full-control", "x-amz-storage-class",
    "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm", "x-amz-metadata-directive",
    "x-amz-copy-source",
)


@dataclass(frozen=True)
class S3Call:
    """The parts of an S3 request that authorization looks at."""

    operation: str
    bucket: str
    key: str
    query: Mapping[str, str]
    header: GetHeader
    delete_keys: tuple[tuple[str, str | None], ...] = ()  # DeleteObjects: (key, version id)


def copy_source(value: str) -> tuple[str, str, str | None] | None:
    """x-amz-copy-source ("[/]bucket/key[?versionId=V]", the key URL-encoded) as
    (bucket, key, version id); None if it is not of that form (e.g. an access point ARN)."""
    path, _, query = value.partition("?")
    version = None
    if query:
        name, _, version_value = query.partition("=")
        if name != "versionId":
            return None
        version = unquote(version_value)
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key or bucket.startswith("arn:"):
        return None
    return bucket, key, version


def _write_extras(call: S3Call, resource: str) -> list[Check]:
    """What PutObject-like requests need besides s3:PutObject, per their headers."""
    extras = []
    if any(call.header(name) is not None for name in _GRANT_HEADERS):
        extras.append(Check("s3:PutObjectAcl", resource))
    if call.header("x-amz-tagging") is not None:
        extras.append(Check("s3:PutObjectTagging", resource))
    if call.header("x-amz-object-lock-mode") is not None or \
            call.header("x-amz-object-lock-retain-until-date") is not None:
        extras.append(Check("s3:PutObjectRetention", resource))
    if call.header("x-amz-object-lock-legal-hold") is not None:
        extras.append(Check("s3:PutObjectLegalHold", resource))
    return extras


def _source_check(call: S3Call) -> Check | None:
    source = copy_source(call.header("x-amz-copy-source") or "")
    if source is None:
        return None
    bucket, key, version = source
    return Check("s3:GetObjectVersion" if version else "s3:GetObject", object_arn(bucket, key))


def required_checks(call: S3Call) -> list[Check] | None:
    """Every (action, resource) the request needs; None if it cannot be authorized at all
    (e.g. a copy source this emulator cannot read)."""
    if not call.bucket:
        return [Check("s3:ListAllMyBuckets" if call.operation == "ListBuckets" else "s3:" + call.operation, "*")]
    if call.operation == "DeleteObjects":
        # Each key needs s3:DeleteObject (s3:DeleteObjectVersion with a VersionId). S3
        # reports a denied key as an <Error> entry; this emulator denies the whole request.
        if not call.delete_keys:
            return None
        return [Check("s3:DeleteObjectVersion" if version else "s3:DeleteObject", object_arn(call.bucket, key))
                for key, version in call.delete_keys]
    if not call.key:
        action = _BUCKET_ACTIONS.get(call.operation, "s3:" + call.operation)
        return [Check(action, bucket_arn(call.bucket))]
    resource = object_arn(call.bucket, call.key)
    versioned = "versionId" in call.query
    if call.operation in ("PutObject", "CreateMultipartUpload"):
        return [Check("s3:PutObject", resource), *_write_extras(call, resource)]
    if call.operation in ("CopyObject", "UploadPartCopy"):
        source = _source_check(call)
        if source is None:
            return None
        extras = _write_extras(call, resource) if call.operation == "CopyObject" else []
        return [Check("s3:PutObject", resource), *extras, source]
    if call.operation == "GetObjectAttributes":
        return [Check("s3:GetObjectVersion" if versioned else "s3:GetObject", resource),
                Check("s3:GetObjectVersionAttributes" if versioned else "s3:GetObjectAttributes", resource)]
    plain, with_version = _OBJECT_ACTIONS.get(call.operation, ("s3:" + call.operation, None))
    checks = [Check(with_version if versioned and with_version else plain, resource)]
    if call.operation == "DeleteObject" and call.header("if-match") is not None:
        # "To perform conditional deletes with the If-Match header ..., you must have the
        # s3:DeleteObject and s3:GetObject permissions." (How to perform conditional
        # deletes, https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html)
        checks.append(Check("s3:GetObject", resource))
    return checks


# --------------------------------------------------------------------------
# Request context
# --------------------------------------------------------------------------


def request_context(call: S3Call, identity_id: str,
                    tags: tuple[tuple[str, str], ...] = ()) -> dict[str, iam.ContextValue]:
    """The keys IAM sees. The emulator stands in for S3's HTTPS endpoint, so every request
    counts as TLS 1.3 (aws:SecureTransport true, s3:TlsVersion 1.3) even though it
    arrived over plain HTTP on 127.0.0.1. The session's principal tags (the identity
    pool's mapped claims) are aws:PrincipalTag/<tag> (AWS global condition context keys,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag)."""
    context: dict[str, iam.ContextValue] = {
        "aws:SecureTransport": True,
        "s3:TlsVersion": 1.3,
    }
    if identity_id:  # identity pool credentials (a function's role has no Identity ID)
        context[IDENTITY_VARIABLE] = identity_id
    for key, value in tags:
        context[f"aws:PrincipalTag/{key}"] = value
    for name in _CONTEXT_HEADERS:
        value = call.header(name)
        if value is not None:
            context["s3:" + name] = value
    source = copy_source(call.header("x-amz-copy-source") or "")
    if source:  # the documented form: bucket/key, decoded
        context["s3:x-amz-copy-source"] = f"{source[0]}/{source[1]}"
    if "versionId" in call.query:
        context["s3:versionid"] = call.query["versionId"]
    if call.operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads"):
        for parameter in ("prefix", "delimiter", "max-keys"):
            if parameter in call.query:  # present only when the request has the parameter
                context["s3:" + parameter] = call.query[parameter]
    return context


# --------------------------------------------------------------------------
# The documents that decide: the caller's role and the bucket's policy, as deployed
# --------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _parsed(text: str) -> dict:
    """A policy document's JSON, parsed once per distinct text (documents are small, and
    the same few are read on every request)."""
    return json.loads(text)


def _text(document: str | bytes) -> str:
    return document.decode() if isinstance(document, bytes) else document


_NOTHING: dict = {"Version": "2012-10-17", "Statement": []}
"""A document that allows nothing."""


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _names(statement: Mapping[str, Any], principal: str) -> bool:
    """Whether a resource policy statement names this exact principal ARN."""
    named = statement.get("Principal")
    if not isinstance(named, Mapping):
        return False
    values = named.get("AWS")
    return principal in (values if isinstance(values, list) else [values])


class DeployedPolicies:
    """What decides an S3 request made with issued credentials, read at request time from
    the emulator's own services, as AWS reads them: the identity policies of the role the
    credentials are for (its inline policies and attached managed policies, in IAM), the
    role's permissions boundary (a managed policy, in IAM) and the bucket's policy (in
    S3). A stack update that changes a statement, or a new default version of a managed
    policy, changes the next decision, for credentials already issued too; a role that
    no longer exists grants nothing.

    Evaluated with the caller's Identity ID as ${cognito-identity.amazonaws.com:sub}
    (IAM policy elements: Variables and tags,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html) and
    the request counted as TLS 1.3, as "Policy evaluation logic" orders it
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
    an explicit Deny in any document (identity policy, boundary, bucket policy) wins;
    else the request is allowed when the identity policies allow it and the permissions
    boundary allows it too ("An entity's permissions boundary allows it to perform only
    the actions that are allowed by both its identity-based policies and its permissions
    boundaries", Permissions boundaries for IAM entities,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html), or
    when the bucket policy allows it: a bucket policy statement naming the role session's
    own ARN grants past the boundary, one naming anything else (the role, "*") is
    limited by the boundary's implicit deny like an identity policy (the same page,
    "Resource-based policies"). A managed policy decides by its default version at the
    time of the request ("Versioning IAM policies",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html);
    a boundary ARN that names no policy allows nothing."""

    @staticmethod
    def _role(role_arn: str) -> Any:
        from .identitypools import find_role

        return find_role(role_arn.split(":")[4], role_arn) if role_arn.count(":") >= 5 else None

    @staticmethod
    def _default_version(policy: Any) -> dict | None:
        default = next((v for v in policy.versions if v.is_default), None)
        return _parsed(_text(default.document)) if default is not None else None

    def identity_documents(self, role_arn: str) -> list[dict]:
        role = self._role(role_arn)
        if role is None:
            return []
        documents = [_parsed(_text(text)) for text in role.policies.values()]
        for policy in role.managed_policies.values():  # a managed policy decides by its default version
            document = self._default_version(policy)
            if document is not None:
                documents.append(document)
        return documents

    def boundary_document(self, role_arn: str) -> dict | None:
        """The default version of the role's permissions boundary; None without one."""
        role = self._role(role_arn)
        arn = getattr(role, "permissions_boundary_arn", None) if role is not None else None
        if not arn:
            return None
        from moto.iam.models import iam_backends

        for backend in iam_backends.get(arn.split(":")[4] or role.account_id, {}).values():
            policy = backend.managed_policies.get(arn)
            if policy is not None:
                return self._default_version(policy) or _NOTHING
        return _NOTHING

    def identity_decision(self, role_arn: str, request: iam.Request) -> str:
        """The role's identity policies, within its permissions boundary."""
        decision = iam.evaluate(self.identity_documents(role_arn), request)
        boundary = self.boundary_document(role_arn)
        if boundary is None or decision == iam.EXPLICIT_DENY:
            return decision
        bounded = iam.evaluate([boundary], request)
        if bounded == iam.EXPLICIT_DENY:
            return iam.EXPLICIT_DENY
        return decision if bounded == iam.ALLOW else iam.IMPLICIT_DENY

    def bucket_document(self, bucket: str) -> list[dict]:
        from moto.s3.models import s3_backends

        for account in s3_backends.values():
            for backend in account.values():
                found = backend.buckets.get(bucket)
                if found is not None:
                    return [_parsed(_text(found.policy))] if found.policy else []
        return []

    def documents(self, role_arn: str, bucket: str) -> list[dict]:
        return self.identity_documents(role_arn) + self.bucket_document(bucket)

    def decide(self, check: Check, context: Mapping[str, iam.ContextValue], role_arn: str, principal: str) -> str:
        bucket = check.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        request = iam.Request(check.action, check.resource, context, principal)
        identity = self.identity_decision(role_arn, request)
        resource_documents = self.bucket_document(bucket)
        resource = iam.evaluate(resource_documents, request)
        if iam.EXPLICIT_DENY in (identity, resource):
            return iam.EXPLICIT_DENY
        if identity == iam.ALLOW:
            return iam.ALLOW
        if resource == iam.ALLOW:
            boundary = self.boundary_document(role_arn)
            if boundary is None or iam.evaluate([boundary], request) == iam.ALLOW:
                return iam.ALLOW
            naming_session = [{"Statement": [statement for statement in _statements(document)
                                             if _names(statement, principal)]} for document in resource_documents]
            return iam.evaluate(naming_session, request)
        return iam.IMPLICIT_DENY

    def authorize(self, call: S3Call, identity_id: str, role_arn: str, principal: str,
                  tags: tuple[tuple[str, str], ...] = ()) -> bool:
        """Whether every action the request needs is allowed."""
        checks = required_checks(call)
        if checks is None:
            return False
        context = request_context(call, identity_id, tags)
        return all(self.decide(check, context, role_arn, principal) == iam.ALLOW for check in checks)

    def may_list(self, call: S3Call, identity_id: str, role_arn: str, principal: str,
                 tags: tuple[tuple[str, str], ...] = ()) -> bool:
        """s3:ListBucket on the bucket with the object request's own context (which has no
        s3:prefix): what S3 asks before telling a caller that a key does not exist."""
        context = request_context(call, identity_id, tags)
        check = Check("s3:ListBucket", bucket_arn(call.bucket))
        return self.decide(check, context, role_arn, principal) == iam.ALLOW
