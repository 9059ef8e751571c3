"""Correction c, the S3 gate: decides, before moto sees a request, whether S3 would serve
it, in S3's order: authentication (known key, session token, credential expiry, request
time, signature; sigv4.py), then authorization of the actions the operation needs
(s3auth.py) by the policy documents the stack deployed (iam.py): the identity policies of
the role the credentials are for, as IAM holds them, and the bucket's policy, as S3
holds it.

It exists because moto checks neither signatures nor IAM, and homedir's isolation rests
on both: the functions must use the per-user credentials, stay inside the caller's home,
and sign exactly as S3 verifies. In S3's order:
- unsigned S3 requests: 403 AccessDenied (the bucket grants nothing to anonymous
  callers). The user pools' unsigned .well-known documents, the unsigned Cognito JSON
  calls (GetId, GetCredentialsForIdentity, InitiateAuth) and /moto-api never reach it.
- ADMIN_ACCESS_KEY: the account administrator, unrestricted, signature not checked.
- FUNCTION_ACCESS_KEY: the functions' execution role, no S3 permission at all: every S3
  request is 403 AccessDenied (its other calls: servicegate.py).
- a deployed function's own credentials (lambdas.py, correction ab): authenticated like
  issued keys (session token, time, SigV4 with the function's secret), then decided by
  its execution role's documents and the bucket policy, as for any role; the file API's
  role has no S3 permission, so its functions' keys get 403 like the key above.
- any other key not issued by GetCredentialsForIdentity (cognito.py): 403
  InvalidAccessKeyId.
- issued keys: SigV2 is refused (400 InvalidRequest); a missing or different session
  token is 400 InvalidToken; expired keys 400 ExpiredToken; a header-signed request more
  than 15 minutes off is 403 RequestTimeTooSkewed; a presigned URL past X-Amz-Date +
  X-Amz-Expires is 403 AccessDenied "Request has expired" (Expires over 604800: 400
  AuthorizationQueryParametersError); then the SigV4 signature is recomputed with the
  issued secret (403 SignatureDoesNotMatch); then the actions the operation needs
  (s3auth.required_checks) are evaluated by iam.py against the role's documents in the
  emulator's IAM (inline and attached managed policies of the role GetCredentialsForIdentity
  assumed, identitypools.py) and the bucket's policy in the emulator's S3, read at request
  time, with ${cognito-identity.amazonaws.com:sub} = the caller's Identity ID, the
  session's principal tags as aws:PrincipalTag/<tag> (identitypools.py), and the
  request counted as TLS 1.3 (the emulator stands in for S3's HTTPS endpoint). Any action not
  Allowed: 403 AccessDenied. DeleteObjects is denied whole if any key is denied.
- a 404 NoSuchKey from moto (and any 404 to HEAD) becomes 403 AccessDenied unless the
  caller may s3:ListBucket on the bucket with the object request's context
  (S3Gate.hides_missing_key; applied in s3.py).
The README's table names the AWS page behind each rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from moto.core import DEFAULT_ACCOUNT_ID

from . import sigv4
from .cognito import IdentityRegistry
from .lambdas import REGISTRY as LAMBDAS
from .request import AwsRequest
from .s3auth import DeployedPolicies, S3Call
from .s3errors import ACCESS_DENIED, EXPIRED_TOKEN, INVALID_ACCESS_KEY, INVALID_TOKEN, SIGV4_ONLY, S3Error
from .wsgi import read_body

FUNCTION_ACCESS_KEY = "AKIAHOMEDIRFUNCTION0"
"""Access key standing for the functions' execution role: no S3 at all."""

ADMIN_ACCESS_KEY = "AKIAHOMEDIRADMIN000"
"""Access key the harness provisions with: the account administrator, unrestricted."""


@dataclass(frozen=True)
class Caller:
    """An identity calling S3 with credentials the emulator issued for a role."""

    identity_id: str
    role_arn: str
    call: S3Call
    tags: tuple[tuple[str, str], ...] = ()  # the session's principal tags
    session: str = "CognitoIdentityCredentials"  # the role session's name (a function's: its name)

    @property
    def principal(self) -> str:
        role = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:assumed-role/{role}/{self.session}"


class S3Gate:
    """Decides, before moto sees it, whether S3 would serve a request, in S3's order:
    authentication (known key, session token, credential expiry, request time,
    signature), then authorization by the role's policy documents.

    - ADMIN_ACCESS_KEY plays the account administrator: unrestricted, not signature-checked.
    - FUNCTION_ACCESS_KEY plays the functions' execution role, which has no S3 permission:
      every S3 request is 403 AccessDenied.
    - Keys issued by GetCredentialsForIdentity: SigV4 verified with the issued secret, then
      the identity policies of their role and the bucket policy, as deployed.
    - Any other key: 403 InvalidAccessKeyId. Unsigned requests: 403 AccessDenied (the
      bucket grants nothing to anonymous callers).
    """

    def __init__(self, registry: IdentityRegistry, policies: DeployedPolicies | None = None):
        self.registry = registry
        self.policies = policies or DeployedPolicies()

    def check(self, environ: dict[str, Any], request: AwsRequest, now: float) -> S3Error | Caller | None:
        """An error to answer with; a Caller (issued credentials, allowed); or None
        (admin, allowed)."""
        signed = sigv4.parse(environ)
        if isinstance(signed, sigv4.SigError):
            return S3Error(signed.status, signed.code, signed.message)
        access_key = signed.access_key if signed else request.access_key
        if access_key is None:
            return ACCESS_DENIED
        if access_key == ADMIN_ACCESS_KEY:
            return None
        if access_key == FUNCTION_ACCESS_KEY:
            return ACCESS_DENIED
        function = LAMBDAS.by_access_key(access_key)
        if function is not None:
            if signed is None:
                return SIGV4_ONLY
            if request.session_token != function.session_token:
                return INVALID_TOKEN
            failure = sigv4.check_time(signed, now) or sigv4.check_signature(environ, signed, function.secret_key)
            if failure:
                return S3Error(failure.status, failure.code, failure.message)
            caller = Caller("", function.role_arn, self._s3_call(environ, request), (), function.name)
            if not self.policies.authorize(caller.call, "", caller.role_arn, caller.principal):
                return ACCESS_DENIED
            return caller
        issued = self.registry.credentials(access_key)
        if issued is None:
            return INVALID_ACCESS_KEY
        if signed is None:  # SigV2 with issued keys
            return SIGV4_ONLY
        if request.session_token != issued.session_token:
            return INVALID_TOKEN
        if now >= issued.expires_at:
            return EXPIRED_TOKEN
        failure = sigv4.check_time(signed, now) or sigv4.check_signature(environ, signed, issued.secret_key)
        if failure:
            return S3Error(failure.status, failure.code, failure.message)
        caller = Caller(issued.identity_id, issued.role_arn, self._s3_call(environ, request), issued.tags)
        if not self.policies.authorize(caller.call, caller.identity_id, caller.role_arn, caller.principal,
                                       caller.tags):
            return ACCESS_DENIED
        return caller

    def hides_missing_key(self, caller: Caller) -> bool:
        """S3 answers a missing key with 404 only to callers allowed s3:ListBucket on the
        bucket (with the object request's context: no s3:prefix); others get 403.
        GetObject, Permissions: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html"""
        return not self.policies.may_list(caller.call, caller.identity_id, caller.role_arn, caller.principal,
                                          caller.tags)

    @staticmethod
    def _s3_call(environ: dict[str, Any], request: AwsRequest) -> S3Call:
        delete_keys: tuple[tuple[str, str | None], ...] = ()
        if request.operation == "DeleteObjects":
            delete_keys = _delete_objects_keys(read_body(environ))
        return S3Call(request.operation, request.bucket, request.key, request.query,
                      lambda name: sigv4.header(environ, name), delete_keys)


def _delete_objects_keys(body: bytes) -> tuple[tuple[str, str | None], ...]:
    """(key, version id) of each <Object> in a DeleteObjects body; () if unreadable."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return ()
    keys = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Object":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
        keys.append((fields.get("Key", ""), fields.get("VersionId")))
    return tuple(keys)
