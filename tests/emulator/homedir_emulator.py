"""Local AWS emulator for homedir: moto in server mode plus a few corrections.

    python tests/emulator/homedir_emulator.py --port P [--host 127.0.0.1]
        [--state-dir DIR] [--home-prefix home] [--home-bucket NAME]...
        [--credentials-ttl 90]

moto (pinned 5.2.5) is good enough for user pools and S3, but its Cognito
Identity accepts anything, and it enforces no IAM. homedir's security rests on
exactly those two services, so local tests would pass code that real AWS
rejects. This launcher runs moto's own WSGI app and corrects, as little as
possible:

a. GetId (monkeypatch of moto's CognitoIdentityResponse.get_id).
   moto returns a new random Identity ID per call and ignores Logins. Here the
   single Logins entry must name a provider configured on the identity pool
   (CognitoIdentityProviders[].ProviderName) and carry an ID token that
   verifies like Cognito checks it: RS256 with moto's bundled key (kid
   "dummy"), iss = "https://" + provider name, aud = a configured ClientId,
   token_use = "id", exp in the future. The same (pool, provider, sub) always
   gets the same "<region>:<uuid>"; other users get other IDs. No Logins is
   only allowed when the pool allows unauthenticated identities. Failures are
   NotAuthorizedException; an unknown pool is ResourceNotFoundException.

b. GetCredentialsForIdentity (monkeypatch). moto returns fixed fake keys for
   any identity. Here the identity must exist, and its Logins token must
   verify as in (a) and belong to that identity. Every call issues fresh keys
   ("ASIA" + 16 characters) valid for --credentials-ttl seconds (default 90,
   or env HOMEDIR_EMULATOR_CREDENTIALS_TTL); the emulator remembers which
   identity each key belongs to and when it expires.

c. S3 authentication and authorization (WSGI middleware, S3Gate; modules sigv4.py,
   s3auth.py, iam.py). moto checks neither signatures nor IAM. Here, in S3's order:
   - unsigned S3 requests: 403 AccessDenied (the bucket grants nothing to anonymous
     callers). The user pools' unsigned .well-known documents, the unsigned Cognito
     JSON calls (GetId, GetCredentialsForIdentity, InitiateAuth) and /moto-api pass.
   - ADMIN_ACCESS_KEY: the account administrator, unrestricted, signature not checked.
   - FUNCTION_ACCESS_KEY: the functions' execution role, no S3 permission at all:
     every S3 request is 403 AccessDenied (Cognito calls pass).
   - any other key not issued by (b): 403 InvalidAccessKeyId.
   - issued keys: SigV2 is refused (400 InvalidRequest); a missing or different
     session token is 400 InvalidToken; expired keys 400 ExpiredToken; a header-signed
     request more than 15 minutes off is 403 RequestTimeTooSkewed; a presigned URL past
     X-Amz-Date + X-Amz-Expires is 403 AccessDenied "Request has expired" (Expires over
     604800: 400 AuthorizationQueryParametersError); then the SigV4 signature is
     recomputed with the issued secret (403 SignatureDoesNotMatch); then the actions
     the operation needs (s3auth.required_checks) are evaluated by iam.py against
     infra-policies/authenticated-s3-policy.json + bucket-policy.json, with
     ${HomeBucket} = the requested bucket if it is a registered home bucket
     (provision.py registers its bucket; --home-bucket), ${HomePrefix} = --home-prefix,
     ${cognito-identity.amazonaws.com:sub} = the caller's Identity ID, and the request
     counted as TLS 1.3 (the emulator stands in for S3's HTTPS endpoint). Any action
     not Allowed: 403 AccessDenied. DeleteObjects is denied whole if any key is denied.
   - a 404 NoSuchKey from moto (and any 404 to HEAD) becomes 403 AccessDenied unless
     the caller may s3:ListBucket on the bucket with the object request's context.
   The README's table names the AWS page behind each rule.

d. Call log (WSGI middleware). Every AWS API request is recorded as
   {"service", "operation", "access_key"} so tests can assert which calls the
   code made, and with which credentials. JWKS fetches are only counted.
       GET  /_homedir/health       -> {"ok": true}
       GET  /_homedir/calls        -> {"calls": [...], "jwks_fetches": N}
       POST /_homedir/calls/reset  -> clears both (not the faults)
       POST /_homedir/home-buckets {"bucket": NAME} -> {"ok": true}

e. Start-up. With --state-dir, writes signing-key.pem (moto's ID-token
   signing key as PKCS#8 PEM; test-only, so tests can forge validly signed
   tokens that are expired or for the wrong audience) and emulator.pid.
   Prints "ready http://HOST:PORT" once the server answers (--port 0 picks a
   free port) and stops cleanly on SIGTERM/SIGINT.

f. Form-typed uploads (WSGI middleware). moto's request parser treats a body
   sent as application/x-www-form-urlencoded or multipart/form-data as form
   fields, so PutObject would store an empty object (curl's --data-binary
   sends that type by default). For object PUTs the middleware hands moto the
   body as application/octet-stream and restores the client's Content-Type on
   the stored object, as S3 keeps it.

g. Fault injection (faults.py). POST /_homedir/faults {"operation", "kind":
   "throttle"|"error"|"delay", "times"?, "delay_secs"?} makes matching requests
   (operation as the call log names it, or "jwks") fail as the service would:
   Cognito 400 TooManyRequestsException / 500 InternalErrorException, S3 503 SlowDown /
   500 InternalError, JWKS 429 / 500; or sleep, then proceed. Faulted requests are
   still logged. POST /_homedir/faults/reset clears them.

h. DeleteIdentities (moto lacks it). Forgets the identities: GetCredentialsForIdentity
   for them is ResourceNotFoundException, the next GetId for the same login creates a
   new Identity ID, and moto's ListIdentities drops them.

i. Atomic conditional writes (KeyLocks). moto checks If-Match / If-None-Match and
   then stores, so two racing writers could both pass; writes to one key
   (PutObject, CopyObject, CompleteMultipartUpload, AbortMultipartUpload,
   DeleteObject) are serialized,
   so the check and the store are one step, as S3 documents.

j. Multipart uploads (MultipartUploads). moto finds an upload by its id alone: an
   uploadId of one key, used on another key of the same bucket, lists, uploads
   to, completes (into the ORIGINAL key) or aborts that upload, so a user could
   act on another user's upload from their own home; an unknown id is a 500
   (KeyError) for UploadPart and CompleteMultipartUpload. Here UploadPart,
   UploadPartCopy, ListParts, CompleteMultipartUpload and AbortMultipartUpload
   whose uploadId is unknown, finished, or names an upload of another key or
   bucket answer 404 NoSuchUpload, as S3 does (an upload ID names one upload of
   one key). CompleteMultipartUpload also gets what moto lacks: parts not in
   ascending order are 400 InvalidPartOrder (moto's check never advances), and
   If-Match is honoured (412 PreconditionFailed; a missing key 404 NoSuchKey,
   which (c) turns into 403 for issued keys), under the key's lock (i), like
   If-None-Match. Abort takes the key's lock too, so it cannot interleave with a
   Complete of the same key.

k. ListParts answers with the root element ListPartsResult (the API Reference's
   response syntax); moto names it ListPartsResponse, which boto3 tolerates and
   aws-sdk-rust rejects.

l. Versions, delete markers and conditions (Versions). moto answers GetObject of a
   delete marker's versionId with 404 NoSuchVersion (S3: 405 MethodNotAllowed with
   x-amz-delete-marker), a key whose current version is a delete marker without the
   x-amz-delete-marker header, and a versionId that cannot be one with 404 (S3: 400
   InvalidArgument); NoSuchVersion, like NoSuchKey, is 403 to callers without
   s3:ListBucket (c). DeleteObject: If-Match `*` is honoured (moto refused it), checked
   under the key's lock; a key with no version gets a delete marker in a versioned
   bucket, with x-amz-delete-marker and x-amz-version-id (moto added none). CopyObject:
   If-Match / If-None-Match apply to the destination and x-amz-copy-source-if-match /
   -if-unmodified-since / -if-modified-since to the source (moto checked only
   x-amz-copy-source-if-none-match), under the destination key's lock. DeleteObjects
   with <Quiet>true</Quiet> reports errors only (moto listed every deleted key).

m. Ranged GetObject (bytes=a-b) reads only those bytes from the object's buffer;
   moto reads the whole object and slices it. Headers, preconditions and errors
   still come from moto (a HEAD of the same request).

n. CORS (Cors). A browser page calls Cognito's InitiateAuth and PUTs presigned parts
   to S3 from its own origin; moto answered no preflight (the gate refused the unsigned
   OPTIONS) and put no CORS header on Cognito's answers. Here Cognito answers its
   preflight (POST; Content-Type, X-Amz-Target) and every answer with
   Access-Control-Allow-Origin *, and S3 evaluates the bucket's CORS rules for a
   preflight and adds the matching rule's Allow-Origin and Expose-Headers (ETag) to
   the answer, as the S3 User Guide's "Using cross-origin resource sharing" describes.

o. Folders of deleted files. moto derived ListObjects(V2) CommonPrefixes from every
   key, delete markers included, so a folder whose files were all deleted stayed
   listed; S3 lists current objects only, and a prefix with none is no folder.

The request log shows method, path and status only: never query strings
(presigned URLs carry session tokens there) nor headers.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import calendar
import contextlib
import datetime
import email.utils
import io
import ipaddress
import json
import os
import re
import secrets
import signal
import string
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto.cognitoidentity.exceptions import ResourceNotFoundError
from moto.cognitoidentity.models import CognitoIdentityPool, cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.core.exceptions import JsonRESTError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend, s3_backends
from moto.utilities.utils import load_resource
from werkzeug.serving import make_server

import s3auth
import sigv4
from faults import FaultError, Faults, cognito_fault_body, jwks_fault_status, parse_fault, s3_fault
from s3auth import AuthenticatedRole, S3Call

# Body types moto would parse as form fields instead of storing (correction f).
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FUNCTION_ACCESS_KEY = "AKIAHOMEDIRFUNCTION0"
"""Access key standing for the functions' execution role: no S3 at all."""

ADMIN_ACCESS_KEY = "AKIAHOMEDIRADMIN000"
"""Access key the harness provisions with: the account administrator, unrestricted."""

MOTO_KEY_ID = "dummy"
DEFAULT_CREDENTIALS_TTL = "90"
TTL_ENV = "HOMEDIR_EMULATOR_CREDENTIALS_TTL"
EMULATOR_PATH = "/_homedir"


# --------------------------------------------------------------------------
# moto's ID-token signing key
# --------------------------------------------------------------------------


def _b64url_int(value: str) -> int:
    return int.from_bytes(_b64url_decode(value), "big")


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def moto_public_key() -> rsa.RSAPublicKey:
    """The key behind moto's JWKS: every moto user pool signs with it."""
    jwks = load_resource("cognitoidp/resources/jwks-public.json")
    jwk = next(key for key in jwks["keys"] if key["kid"] == MOTO_KEY_ID)
    return rsa.RSAPublicNumbers(_b64url_int(jwk["e"]), _b64url_int(jwk["n"])).public_key()


def moto_signing_key_pem() -> bytes:
    """moto's private signing key as PKCS#8 PEM.

    The bundled JWK holds only n, e and d, so the primes are recovered first.
    """
    jwk = load_resource("cognitoidp/resources/jwks-private.json")
    n, e, d = (_b64url_int(jwk[name]) for name in ("n", "e", "d"))
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    key = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    ).private_key()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# --------------------------------------------------------------------------
# ID token verification, as Cognito Identity does it for a user pool login
# --------------------------------------------------------------------------


class NotAuthorized(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("NotAuthorizedException", message)


def verify_id_token(
    token: str,
    issuer: str,
    client_ids: set[str | None],
    public_key: rsa.RSAPublicKey,
    now: float,
) -> dict[str, Any]:
    """Return the claims of a user pool ID token, or raise NotAuthorized.

    `client_ids` holds the provider's configured ClientIds; None among them
    means "any client", as when a provider is configured without ClientId.
    """
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64url_decode(header_b64))
        claims = json.loads(_b64url_decode(payload_b64))
        signature = _b64url_decode(signature_b64)
    except (AttributeError, ValueError, binascii.Error, UnicodeDecodeError):
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")

    if header.get("alg") != "RS256" or header.get("kid") != MOTO_KEY_ID:
        raise NotAuthorized("Invalid login token. Couldn't verify signed token.")
    try:
        public_key.verify(
            signature,
            f"{header_b64}.{payload_b64}".encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise NotAuthorized("Invalid login token. Couldn't verify signed token.")

    if claims.get("iss") != issuer:
        raise NotAuthorized("Invalid login token. Issuer doesn't match providerName")
    if None not in client_ids and claims.get("aud") not in client_ids:
        raise NotAuthorized("Invalid login token. Incorrect token audience.")
    if claims.get("token_use") != "id":
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or expires <= now:
        raise NotAuthorized(f"Invalid login token. Token expired: {int(now)} >= {expires}")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
    return claims


# --------------------------------------------------------------------------
# Identities and the credentials issued to them
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    identity_id: str
    pool_id: str
    login: tuple[str, str] | None  # (provider name, user sub); None if unauthenticated


@dataclass(frozen=True)
class IssuedCredentials:
    identity_id: str
    secret_key: str  # kept to verify the SigV4 signatures made with it
    session_token: str
    expires_at: float


def _random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class IdentityRegistry:
    """Remembers identities (stable per user) and the keys issued to them."""

    def __init__(self, credentials_ttl: float):
        self.credentials_ttl = credentials_ttl
        self._lock = threading.Lock()
        self._by_login: dict[tuple[str, str, str], Identity] = {}
        self._by_id: dict[str, Identity] = {}
        self._credentials: dict[str, IssuedCredentials] = {}

    def identity_for_login(self, pool_id: str, provider: str, sub: str) -> tuple[Identity, bool]:
        """The user's identity in the pool, created on first use; (identity, created)."""
        with self._lock:
            existing = self._by_login.get((pool_id, provider, sub))
            if existing:
                return existing, False
            identity = Identity(self._new_id(pool_id), pool_id, (provider, sub))
            self._by_login[(pool_id, provider, sub)] = identity
            self._by_id[identity.identity_id] = identity
            return identity, True

    def new_unauthenticated(self, pool_id: str) -> Identity:
        with self._lock:
            identity = Identity(self._new_id(pool_id), pool_id, None)
            self._by_id[identity.identity_id] = identity
            return identity

    def get(self, identity_id: str) -> Identity | None:
        with self._lock:
            return self._by_id.get(identity_id)

    def issue_credentials(self, identity: Identity) -> dict[str, Any]:
        """Fresh keys for the identity, in GetCredentialsForIdentity's shape."""
        access_key = "ASIA" + _random_text(string.ascii_uppercase + string.digits, 16)
        secret_key = _random_text(string.ascii_letters + string.digits + "+/", 40)
        session_token = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
        expires_at = time.time() + self.credentials_ttl
        with self._lock:
            self._credentials[access_key] = IssuedCredentials(
                identity.identity_id, secret_key, session_token, expires_at
            )
        return {
            "AccessKeyId": access_key,
            "SecretKey": secret_key,
            "SessionToken": session_token,
            "Expiration": expires_at,
        }

    def credentials(self, access_key: str) -> IssuedCredentials | None:
        with self._lock:
            return self._credentials.get(access_key)

    def forget(self, identity_id: str) -> Identity | None:
        """DeleteIdentities: the identity disappears, and the next GetId for the same
        login creates a new Identity ID. Credentials already issued stay valid until they
        expire, as STS credentials do."""
        with self._lock:
            identity = self._by_id.pop(identity_id, None)
            if identity is not None and identity.login is not None:
                self._by_login.pop((identity.pool_id, *identity.login), None)
            return identity

    @staticmethod
    def _new_id(pool_id: str) -> str:
        region = pool_id.split(":", 1)[0]
        return f"{region}:{uuid.uuid4()}"


# --------------------------------------------------------------------------
# Corrections a and b: moto's Cognito Identity GetId / GetCredentialsForIdentity
# --------------------------------------------------------------------------


LOGINS_DONT_MATCH = (
    "Logins don't match. Please include at least one valid login for this identity or identity pool."
)


class CognitoIdentityCorrections:
    """Replacements for moto's GetId and GetCredentialsForIdentity handlers."""

    def __init__(self, registry: IdentityRegistry):
        self.registry = registry
        self.public_key = moto_public_key()

    def install(self) -> None:
        CognitoIdentityResponse.get_id = lambda response: self.get_id(response)
        CognitoIdentityResponse.get_credentials_for_identity = (
            lambda response: self.get_credentials_for_identity(response)
        )
        # moto 5.2.5 does not implement DeleteIdentities at all.
        CognitoIdentityResponse.delete_identities = lambda response: self.delete_identities(response)

    def delete_identities(self, response: CognitoIdentityResponse) -> str:
        """Cognito Identity DeleteIdentities: forget each identity (unknown IDs are
        ignored) and drop it from moto's ListIdentities.
        https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_DeleteIdentities.html"""
        ids = response._get_param("IdentityIdsToDelete") or []
        if not isinstance(ids, list) or not 1 <= len(ids) <= 60:
            raise JsonRESTError("InvalidParameterException", "IdentityIdsToDelete must hold 1-60 identities.")
        for identity_id in ids:
            identity = self.registry.forget(identity_id)
            if identity is None:
                continue
            listed = self._moto_backend(response.current_account, identity.pool_id).pools_identities
            entries = listed.get(identity.pool_id, {}).get("Identities", [])
            entries[:] = [entry for entry in entries if _listed_id(entry) != identity_id]
        return json.dumps({"UnprocessedIdentityIds": []})

    def get_id(self, response: CognitoIdentityResponse) -> str:
        pool_id = response._get_param("IdentityPoolId") or ""
        pool = self._find_pool(response.current_account, pool_id)
        logins = response._get_param("Logins") or {}
        if logins:
            provider, sub = self._authenticate(pool, logins)
            identity, created = self.registry.identity_for_login(pool_id, provider, sub)
        elif pool.allow_unauthenticated_identities:
            identity, created = self.registry.new_unauthenticated(pool_id), True
        else:
            raise NotAuthorized("Unauthenticated access is not supported for this identity pool.")
        if created:  # keep moto's ListIdentities in step
            identities = self._moto_backend(response.current_account, pool_id).pools_identities
            identities[pool_id]["Identities"].append({"IdentityId": identity.identity_id})
        return json.dumps({"IdentityId": identity.identity_id})

    def get_credentials_for_identity(self, response: CognitoIdentityResponse) -> str:
        identity_id = response._get_param("IdentityId") or ""
        identity = self.registry.get(identity_id)
        if identity is None:
            raise ResourceNotFoundError(f"Identity '{identity_id}' not found.")
        pool = self._find_pool(response.current_account, identity.pool_id)
        logins = response._get_param("Logins") or {}
        if identity.login is None:
            if logins:  # real Cognito would link the login; this emulator doesn't
                raise NotAuthorized(LOGINS_DONT_MATCH)
        elif not logins:
            raise NotAuthorized(f"Access to Identity '{identity_id}' is forbidden.")
        elif self._authenticate(pool, logins) != identity.login:
            raise NotAuthorized(LOGINS_DONT_MATCH)
        credentials = self.registry.issue_credentials(identity)
        return json.dumps({"IdentityId": identity_id, "Credentials": credentials})

    def _authenticate(self, pool: CognitoIdentityPool, logins: dict[str, str]) -> tuple[str, str]:
        """Verify the single login; return (provider name, user sub)."""
        if not isinstance(logins, dict) or len(logins) != 1:
            raise NotAuthorized("Invalid login token. The emulator accepts exactly one login.")
        ((provider, token),) = logins.items()
        client_ids = {
            entry.get("ClientId")
            for entry in pool.cognito_identity_providers or []
            if entry.get("ProviderName") == provider
        }
        if not client_ids:
            raise NotAuthorized("Token is not from a supported provider of this identity pool.")
        claims = verify_id_token(
            token, f"https://{provider}", client_ids, self.public_key, time.time()
        )
        return provider, claims["sub"]

    @staticmethod
    def _moto_backend(account: str, pool_id: str) -> Any:
        # GetId is unsigned, so the region comes from the pool ID, as in moto.
        return cognitoidentity_backends[account][pool_id.split(":", 1)[0]]

    def _find_pool(self, account: str, pool_id: str) -> CognitoIdentityPool:
        try:
            pool = self._moto_backend(account, pool_id).identity_pools.get(pool_id)
        except KeyError:  # not a region moto knows
            pool = None
        if pool is None:
            raise ResourceNotFoundError(f"IdentityPool '{pool_id}' not found.")
        return pool


def _listed_id(entry: Any) -> str:
    """moto lists identities as bare IDs; the emulator appends {"IdentityId": ...}."""
    return entry.get("IdentityId", "") if isinstance(entry, dict) else str(entry)


# --------------------------------------------------------------------------
# Reading an AWS request: service, operation, credentials, S3 target
# --------------------------------------------------------------------------

_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/\s,]+)/[^/]*/[^/]*/([^/\s,]+)/")
_SIGV2 = re.compile(r"^AWS ([^:\s]+):")
_TARGET_SERVICES = {
    "AWSCognitoIdentityService": "cognito-identity",
    "AWSCognitoIdentityProviderService": "cognito-idp",
}
_BUCKET_SUBRESOURCES = {
    "acl": "Acl", "policy": "Policy", "location": "Location", "versioning": "Versioning",
    "tagging": "Tagging", "cors": "Cors", "lifecycle": "LifecycleConfiguration",
    "encryption": "Encryption", "notification": "NotificationConfiguration",
    "logging": "Logging", "website": "Website", "replication": "Replication",
    "ownershipControls": "OwnershipControls", "publicAccessBlock": "PublicAccessBlock",
    "accelerate": "AccelerateConfiguration", "requestPayment": "RequestPayment",
    "object-lock": "ObjectLockConfiguration", "policyStatus": "PolicyStatus",
}
_OBJECT_SUBRESOURCES = {
    "tagging": "Tagging", "acl": "Acl", "retention": "Retention",
    "legal-hold": "LegalHold", "attributes": "Attributes",
}
_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Post", "HEAD": "Head"}


@dataclass
class AwsRequest:
    method: str
    service: str
    operation: str
    access_key: str | None
    session_token: str | None
    query: dict[str, str]
    bucket: str = ""
    key: str = ""


def _header(environ: dict[str, Any], name: str) -> str:
    return environ.get("HTTP_" + name.upper().replace("-", "_"), "")


def _path(environ: dict[str, Any]) -> str:
    """PATH_INFO as text: WSGI hands it over as latin-1 decoded bytes."""
    return environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")


def _form_action(environ: dict[str, Any]) -> str:
    """`Action` of a query-protocol body (IAM, STS), leaving the body readable."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return ""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]


def _s3_bucket_and_key(environ: dict[str, Any]) -> tuple[str, str]:
    """Path-style, as SDKs send it to 127.0.0.1 or localhost; otherwise
    virtual-hosted, with the bucket as the host's first label, as moto reads it."""
    host = urlsplit("//" + _header(environ, "Host")).hostname or ""
    path = _path(environ).lstrip("/")
    first_label = host.split(".")[0]
    if "." in host and not host.startswith("localhost") and not _is_ip(host) and first_label != "s3":
        return first_label, path
    bucket, _, key = path.partition("/")
    return bucket, key


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def s3_operation(method: str, bucket: str, key: str, query: dict[str, str], copy_source: bool) -> str:
    """S3 operation name from method, path and query, e.g. PUT /b/k -> PutObject."""
    verb = _VERBS.get(method, method.title())
    if not bucket:
        return "ListBuckets" if method == "GET" else f"{verb}Service"
    if key:
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return {
                "PUT": "UploadPartCopy" if copy_source else "UploadPart",
                "POST": "CompleteMultipartUpload",
                "DELETE": "AbortMultipartUpload",
                "GET": "ListParts",
            }.get(method, f"{verb}Upload")
        if "restore" in query:
            return "RestoreObject"
        for name, noun in _OBJECT_SUBRESOURCES.items():
            if name in query:
                return f"{verb}Object{noun}"
        if method == "PUT" and copy_source:
            return "CopyObject"
        return f"{verb}Object"
    if method == "GET":
        if query.get("list-type") == "2":
            return "ListObjectsV2"
        if "versions" in query:
            return "ListObjectVersions"
        if "uploads" in query:
            return "ListMultipartUploads"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    for name, noun in _BUCKET_SUBRESOURCES.items():
        if name in query:
            return f"{verb}Bucket{noun}"
    return {
        "GET": "ListObjects",
        "PUT": "CreateBucket",
        "DELETE": "DeleteBucket",
        "HEAD": "HeadBucket",
        "POST": "PostObject",
    }.get(method, f"{verb}Bucket")


def _credential_scope(environ: dict[str, Any], auth_query: dict[str, str]) -> tuple[str, str] | None:
    """(access key, signing service) from a SigV4 header or a presigned URL."""
    match = _CREDENTIAL_SCOPE.search(_header(environ, "Authorization"))
    if match:
        return match.group(1), match.group(2)
    parts = auth_query.get("x-amz-credential", "").split("/")
    return (parts[0], parts[3]) if len(parts) == 5 else None


def read_request(environ: dict[str, Any]) -> AwsRequest:
    """Who calls which operation of which service (signatures aren't checked)."""
    method = environ.get("REQUEST_METHOD", "GET")
    query = {
        name: values[0]
        for name, values in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
    }
    auth_query = {name.lower(): value for name, value in query.items()}  # presigned URLs vary the case
    scope = _credential_scope(environ, auth_query)
    sigv2 = _SIGV2.match(_header(environ, "Authorization"))
    target = _header(environ, "X-Amz-Target")
    if scope:
        access_key, service = scope
    else:
        access_key = sigv2.group(1) if sigv2 else auth_query.get("awsaccesskeyid")
        # Unsigned: Cognito's JSON APIs name themselves in X-Amz-Target; moto defaults to S3.
        service = _TARGET_SERVICES.get(target.split(".")[0], target.split(".")[0].lower()) if target else "s3"
    session_token = _header(environ, "X-Amz-Security-Token") or auth_query.get("x-amz-security-token")
    request = AwsRequest(method, service, "", access_key, session_token or None, query)

    if target:
        request.operation = target.split(".", 1)[-1]
    elif service == "s3":
        request.bucket, request.key = _s3_bucket_and_key(environ)
        copy_source = bool(_header(environ, "X-Amz-Copy-Source"))
        request.operation = s3_operation(method, request.bucket, request.key, query, copy_source)
    else:
        request.operation = query.get("Action") or _form_action(environ) or f"{method} {_path(environ)}"
    return request


# --------------------------------------------------------------------------
# Correction c: S3 authentication and authorization
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Error:
    status: str
    code: str
    message: str


# Error codes and statuses: Error responses, Amazon S3 API Reference
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
ACCESS_DENIED = S3Error("403 Forbidden", "AccessDenied", "Access Denied")
EXPIRED_TOKEN = S3Error("400 Bad Request", "ExpiredToken", "The provided token has expired.")
INVALID_TOKEN = S3Error(
    "400 Bad Request", "InvalidToken", "The provided token is malformed or otherwise invalid."
)
INVALID_ACCESS_KEY = S3Error(
    "403 Forbidden", "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
)
SIGV4_ONLY = S3Error(
    "400 Bad Request", "InvalidRequest",
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
)
NOT_FOUND_CODES = (b"<Code>NoSuchKey</Code>", b"<Code>NoSuchVersion</Code>")
"""Answers S3 gives only to callers who may s3:ListBucket: "If the object you request
doesn't exist" (a key, or a version of it) "the error that Amazon S3 returns depends on
whether you also have the s3:ListBucket permission" (GetObject, Permissions)."""


@dataclass(frozen=True)
class Caller:
    """An identity calling S3 with credentials the emulator issued."""

    identity_id: str
    call: S3Call

    @property
    def principal(self) -> str:
        return f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:assumed-role/homedir-authenticated/CognitoIdentityCredentials"


class S3Gate:
    """Decides, before moto sees it, whether S3 would serve a request, in S3's order:
    authentication (known key, session token, credential expiry, request time,
    signature), then authorization by the role's policy documents.

    - ADMIN_ACCESS_KEY plays the account administrator: unrestricted, not signature-checked.
    - FUNCTION_ACCESS_KEY plays the functions' execution role, which has no S3 permission:
      every S3 request is 403 AccessDenied.
    - Keys issued by GetCredentialsForIdentity: SigV4 verified with the issued secret, then
      the authenticated role's identity policy and the bucket policy (infra-policies/).
    - Any other key: 403 InvalidAccessKeyId. Unsigned requests: 403 AccessDenied (the
      bucket grants nothing to anonymous callers).
    """

    def __init__(self, registry: IdentityRegistry, role: AuthenticatedRole):
        self.registry = registry
        self.role = role

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
        caller = Caller(issued.identity_id, self._s3_call(environ, request))
        if not self.role.authorize(caller.call, caller.identity_id, caller.principal):
            return ACCESS_DENIED
        return caller

    def hides_missing_key(self, caller: Caller) -> bool:
        """S3 answers a missing key with 404 only to callers allowed s3:ListBucket on the
        bucket (with the object request's context: no s3:prefix); others get 403.
        GetObject, Permissions: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html"""
        return not self.role.may_list(caller.call, caller.identity_id, caller.principal)

    @staticmethod
    def _s3_call(environ: dict[str, Any], request: AwsRequest) -> S3Call:
        delete_keys: tuple[tuple[str, str | None], ...] = ()
        if request.operation == "DeleteObjects":
            delete_keys = _delete_objects_keys(_read_body(environ))
        return S3Call(request.operation, request.bucket, request.key, request.query,
                      lambda name: sigv4.header(environ, name), delete_keys)


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, leaving it readable for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    body = stream.read(length) if length else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    environ["wsgi.input"] = io.BytesIO(body)
    return body


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


# --------------------------------------------------------------------------
# Correction d and the WSGI middleware tying it together
# --------------------------------------------------------------------------


class CallLog:
    """Ordered record of AWS API calls, plus a count of JWKS fetches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[dict[str, str | None]] = []
        self._jwks_fetches = 0

    def record(self, request: AwsRequest) -> None:
        entry = {"service": request.service, "operation": request.operation, "access_key": request.access_key}
        with self._lock:
            self._calls.append(entry)

    def count_jwks_fetch(self) -> None:
        with self._lock:
            self._jwks_fetches += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": list(self._calls), "jwks_fetches": self._jwks_fetches}

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._jwks_fetches = 0


StartResponse = Callable[..., Any]

# A user pool's public documents, fetched unsigned. Pool IDs contain "_", which
# bucket names can't, so no path-style S3 request looks like this.
_USER_POOL_WELL_KNOWN = re.compile(
    r"^/[a-z0-9-]+_[A-Za-z0-9]+/\.well-known/(jwks\.json|openid-configuration)$"
)


def _is_signed(environ: dict[str, Any]) -> bool:
    query = environ.get("QUERY_STRING", "").lower()
    presigned = "x-amz-credential=" in query or "awsaccesskeyid=" in query
    return presigned or bool(_header(environ, "Authorization"))


KEY_WRITES = {"PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject", "AbortMultipartUpload"}
"""Operations that replace or remove the object at one key (or end an upload of it)."""

UPLOAD_OPERATIONS = {
    "UploadPart", "UploadPartCopy", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload",
}
"""Operations that name an existing multipart upload by its uploadId."""

# Error codes: CompleteMultipartUpload, "Special errors", and Error responses
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
NO_SUCH_UPLOAD = S3Error(
    "404 Not Found", "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
    "aborted or completed.",
)
INVALID_PART_ORDER = S3Error(
    "400 Bad Request", "InvalidPartOrder",
    "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
)
PRECONDITION_FAILED = S3Error(
    "412 Precondition Failed", "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
)
NO_SUCH_KEY = S3Error("404 Not Found", "NoSuchKey", "The specified key does not exist.")


class MultipartUploads:
    """Correction j: an upload ID names one upload of one key, as in S3.

    - UploadPart, UploadPartCopy, ListParts, CompleteMultipartUpload and
      AbortMultipartUpload with an uploadId that does not exist (never did, or was
      aborted or completed) or that belongs to another key or bucket: 404 NoSuchUpload.
      "Multipart upload overview": "When you send a request to initiate a multipart
      upload, Amazon S3 returns a response with an upload ID, which is a unique
      identifier for your multipart upload. You must include this upload ID whenever
      you upload parts, list the parts, complete an upload, or stop an upload."
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html;
      NoSuchUpload in UploadPart, ListParts, AbortMultipartUpload and
      CompleteMultipartUpload (API Reference, "Errors"/"Special errors"):
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html,
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html,
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html,
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html.
      moto looks uploads up by id only (a user could list, fill, complete or abort
      another user's upload from a key in their own home) and answers an unknown id
      with a 500. moto's retry of a Complete whose object already stands at the same
      key (same upload id) stays a 200, as moto serves it.
    - CompleteMultipartUpload: parts must be listed in ascending part-number order, else
      400 InvalidPartOrder (moto never advances its "previous part" and lets any order
      through); If-Match: <etag> completes only over that current object, else 412
      PreconditionFailed, and a missing key is 404 NoSuchKey (403 AccessDenied to
      callers without s3:ListBucket, correction c), as PutObject's If-Match:
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
      (Request headers: If-Match, If-None-Match);
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html.
      EntityTooSmall (a part other than the last under 5 MiB) and InvalidPart (a part
      not uploaded, or an ETag that does not match) are moto's own checks, which
      follow the API reference.
    Runs after authorization (S3 refuses an unauthorized caller with 403 before
    looking at the upload), and for Complete under the key's lock (correction i).
    """

    @staticmethod
    def error(environ: dict[str, Any], request: AwsRequest) -> S3Error | None:
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        bucket = backend.buckets.get(request.bucket)
        if bucket is None:
            return None  # moto answers NoSuchBucket
        upload_id = request.query.get("uploadId", "")
        upload = bucket.multiparts.get(upload_id)
        if upload is None or upload.key_name != request.key:
            if request.operation == "CompleteMultipartUpload" and upload is None:
                existing = backend.get_object(request.bucket, request.key)
                multipart = getattr(existing, "multipart", None)
                if multipart is not None and multipart.id == upload_id:
                    return None  # a retried Complete of this very upload
            return NO_SUCH_UPLOAD
        if request.operation != "CompleteMultipartUpload":
            return None
        numbers = _complete_part_numbers(_read_body(environ))
        if numbers is not None and any(b <= a for a, b in zip(numbers, numbers[1:])):
            return INVALID_PART_ORDER
        if_match = _header(environ, "If-Match")
        if if_match:
            current = backend.get_object(request.bucket, request.key)
            if current is None:
                return NO_SUCH_KEY
            if if_match.replace('"', "") != current.etag.replace('"', ""):
                return PRECONDITION_FAILED
        return None


def _complete_part_numbers(body: bytes) -> list[int] | None:
    """The PartNumber of each <Part> of a CompleteMultipartUpload body, in order;
    None if the body is not that XML (moto then answers MalformedXML)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    numbers = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Part":
            continue
        for child in element:
            if child.tag.rsplit("}", 1)[-1] == "PartNumber":
                try:
                    numbers.append(int((child.text or "").strip()))
                except ValueError:
                    return None
    return numbers


VERSIONED_OPERATIONS = {"GetObject", "HeadObject", "DeleteObject", "CopyObject", "UploadPartCopy"}
"""Operations that read a versionId (their own, or their copy source's)."""

# Error codes: Error responses, Amazon S3 API Reference
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
INVALID_VERSION_ID = S3Error("400 Bad Request", "InvalidArgument", "Invalid version id specified")
# ListObjectsV2 with a continuation token S3 did not issue: 400 InvalidArgument (moto
# looked the token up, found nothing and failed with a 500 TypeError).
INVALID_CONTINUATION_TOKEN = S3Error(
    "400 Bad Request", "InvalidArgument", "The continuation token provided is incorrect"
)


def _known_continuation_token(request: AwsRequest) -> bool:
    token = request.query.get("continuation-token")
    if not token:
        return True
    return token in s3_backends[DEFAULT_ACCOUNT_ID]["aws"]._pagination_tokens
METHOD_NOT_ALLOWED = S3Error(
    "405 Method Not Allowed", "MethodNotAllowed", "The specified method is not allowed against this resource."
)
# A version id S3 could have issued (32 URL-safe characters), one moto issues (a UUID),
# or "null" (an object stored while versioning was off). Anything else cannot name a
# version: S3 answers 400 InvalidArgument "Invalid version id specified".
_VERSION_ID = re.compile(
    r"^(null|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9._]{32})$"
)
Answer = tuple[S3Error, list[tuple[str, str]]]


def _etag_matches(condition: str, etag: str) -> bool:
    """An If-Match / If-None-Match value (one ETag, quoted or not, or `*`) against an ETag."""
    condition = condition.strip()
    return condition == "*" or condition.replace('"', "") == etag.replace('"', "")


def _http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() if parsed is not None else None


def _seconds(moment: Any) -> int:
    """moto's naive-UTC last_modified, in whole seconds (HTTP dates have no fractions)."""
    return calendar.timegm(moment.timetuple())


class Versions:
    """Correction l: versions, delete markers and conditions as S3 documents them.

    - A versionId that cannot name a version (GetObject, HeadObject, DeleteObject, and a
      copy source's ?versionId=) is 400 InvalidArgument (moto: 404 NoSuchVersion).
      Error responses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
    - GetObject of a versionId that is a delete marker: 405 MethodNotAllowed with
      `x-amz-delete-marker: true` and `Last-Modified` (moto: 404 NoSuchVersion; its
      HeadObject already answers 405); GetObject of a key whose current version is a
      delete marker: 404 NoSuchKey with `x-amz-delete-marker: true` and the marker's
      `x-amz-version-id` (moto sent no header), which correction c still turns into 403
      for callers without s3:ListBucket. GetObject, "x-amz-delete-marker" and
      Permissions: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html;
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html
    - DeleteObject with If-Match: deletes (in a versioned bucket, adds a delete marker)
      only if the current version's ETag matches, `*` matching any; else 412
      PreconditionFailed (moto refused `*`). No current object (never written, or the
      current version is a delete marker): 404 NoSuchKey, as moto already answered
      ("Conditional delete evaluations only apply to the current version of the
      object"; a delete that loses to a concurrent delete gets 404 Not Found "because
      the object key no longer exists"). It needs s3:GetObject too (s3auth). Checked
      under the key's lock (correction i), so a conditional delete racing a write has
      one outcome. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
      (If-Match); https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
      x-amz-if-match-size / x-amz-if-match-last-modified-time are for directory buckets
      only (same reference) and are not emulated.
    - DeleteObject (and each key of DeleteObjects) without versionId of a key that has no
      version at all, in a versioned bucket: S3 still adds a delete marker and answers
      `x-amz-delete-marker: true` and its `x-amz-version-id` (DeleteObjects: <DeleteMarker>
      and <DeleteMarkerVersionId>); moto added nothing and reported no marker.
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html;
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
    - CopyObject: If-Match / If-None-Match: * are the DESTINATION's conditions (moto
      ignored both): 412 PreconditionFailed when they fail; If-Match on a destination
      with no current object is 404 NoSuchKey, as for PutObject's If-Match (403 to
      callers without s3:ListBucket). The source's x-amz-copy-source-if-match /
      -if-unmodified-since / -if-none-match / -if-modified-since: 412 when they fail
      (moto honoured only -if-none-match), with the reference's precedence: a true
      -if-match overrides a false -if-unmodified-since; a false -if-none-match fails
      whatever -if-modified-since says. Under the destination key's lock.
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html (If-Match,
      If-None-Match, x-amz-copy-source-if-*);
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    """

    @staticmethod
    def answer(environ: dict[str, Any], request: AwsRequest) -> Answer | None:
        """An error answer S3 would give before moto's; None to let moto serve it."""
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        version_id = request.query.get("versionId")
        source = None
        if request.operation in ("CopyObject", "UploadPartCopy"):
            source = s3auth.copy_source(_header(environ, "X-Amz-Copy-Source"))
            version_id = source[2] if source else None
        if version_id is not None and not _VERSION_ID.match(version_id):
            return INVALID_VERSION_ID, []
        bucket = backend.buckets.get(request.bucket)
        if bucket is None:
            return None
        if request.operation == "GetObject":
            return Versions._get_delete_marker(bucket, request.key, version_id)
        if request.operation == "CopyObject" and source is not None:
            error = Versions._copy_source_condition(environ, backend, source) or \
                Versions._copy_destination_condition(environ, bucket, request.key)
            return (error, []) if error else None
        return None

    @staticmethod
    def _get_delete_marker(bucket: Any, key: str, version_id: str | None) -> Answer | None:
        versions = bucket.keys.getlist(key, default=[]) if key in bucket.keys else []
        if version_id is None:
            current = versions[-1] if versions else None
            if isinstance(current, FakeDeleteMarker):
                return NO_SUCH_KEY, [("x-amz-delete-marker", "true"), ("x-amz-version-id", current.version_id)]
            return None
        for version in versions:
            if isinstance(version, FakeDeleteMarker) and version.version_id == version_id:
                return METHOD_NOT_ALLOWED, [
                    ("x-amz-delete-marker", "true"), ("x-amz-version-id", version_id),
                    ("Last-Modified", email.utils.formatdate(_seconds(version.last_modified), usegmt=True)),
                    ("Allow", "DELETE"),
                ]
        return None

    @staticmethod
    def _copy_source_condition(environ: dict[str, Any], backend: Any, source: tuple[str, str, str | None]
                               ) -> S3Error | None:
        copied = backend.get_object(source[0], source[1], version_id=source[2])
        if copied is None:
            return None  # moto answers NoSuchKey / NoSuchVersion
        modified = _seconds(copied.last_modified)
        if_match = _header(environ, "X-Amz-Copy-Source-If-Match")
        unmodified_since = _http_date(_header(environ, "X-Amz-Copy-Source-If-Unmodified-Since"))
        if if_match:
            if not _etag_matches(if_match, copied.etag):
                return PRECONDITION_FAILED
        elif unmodified_since is not None and modified > unmodified_since:
            return PRECONDITION_FAILED
        if_none_match = _header(environ, "X-Amz-Copy-Source-If-None-Match")
        modified_since = _http_date(_header(environ, "X-Amz-Copy-Source-If-Modified-Since"))
        if if_none_match:
            if _etag_matches(if_none_match, copied.etag):
                return PRECONDITION_FAILED
        elif modified_since is not None and modified <= modified_since:
            return PRECONDITION_FAILED
        return None

    @staticmethod
    def _copy_destination_condition(environ: dict[str, Any], bucket: Any, key: str) -> S3Error | None:
        current = bucket.keys[key] if key in bucket.keys else None
        live = current if isinstance(current, FakeKey) else None
        if_none_match = _header(environ, "If-None-Match")
        if if_none_match and live is not None and _etag_matches(if_none_match, live.etag):
            return PRECONDITION_FAILED
        if_match = _header(environ, "If-Match")
        if if_match:
            if live is None:
                return NO_SUCH_KEY
            if not _etag_matches(if_match, live.etag):
                return PRECONDITION_FAILED
        return None

    @staticmethod
    def delete_precondition(bucket: Any, key: str, if_match: str) -> S3Error | None:
        current = bucket.keys[key] if key in bucket.keys else None
        if not isinstance(current, FakeKey):
            return NO_SUCH_KEY
        return None if _etag_matches(if_match, current.etag) else PRECONDITION_FAILED

    @staticmethod
    def install() -> None:
        """Patch moto's S3Backend.delete_object, which DeleteObject and DeleteObjects both
        use, so that a key with no version gets a delete marker in a versioned bucket."""
        original = S3Backend.delete_object

        def delete_object(backend: Any, bucket_name: str, key_name: str, version_id: str | None = None,
                          bypass: bool = False) -> tuple[bool, dict[str, Any]]:
            bucket = backend.get_bucket(bucket_name)
            if version_id is None and getattr(bucket, "is_versioned", False) and key_name not in bucket.keys:
                marker = Versions.add_delete_marker(bucket, key_name)
                return True, {"version-id": marker.version_id, "delete-marker": "true"}
            return original(backend, bucket_name, key_name, version_id=version_id, bypass=bypass)

        S3Backend.delete_object = delete_object  # type: ignore[method-assign]

        # Correction o: a folder whose every key is deleted (a delete marker is current)
        # is no CommonPrefix, as in S3, where a listing of current objects never sees
        # delete markers; moto derived the folders from every key, markers included.
        original_list = S3Backend.list_objects

        def list_objects(backend: Any, bucket: Any, prefix: str | None, delimiter: str | None,
                         marker: str | None, max_keys: int | None) -> Any:
            keys, folders, truncated, next_marker = original_list(backend, bucket, prefix, delimiter, marker, max_keys)
            if delimiter and folders:
                live = [name for name, key in bucket.keys.items() if not isinstance(key, FakeDeleteMarker)]
                folders = [folder for folder in folders if any(name.startswith(folder) for name in live)]
            return keys, folders, truncated, next_marker

        S3Backend.list_objects = list_objects  # type: ignore[method-assign]

    @staticmethod
    def add_delete_marker(bucket: Any, key: str) -> FakeDeleteMarker:
        """A delete marker for a key with no version (moto's constructor wants a FakeKey)."""
        marker = FakeDeleteMarker.__new__(FakeDeleteMarker)
        marker.key = None
        marker.name = key
        marker.last_modified = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        marker._version_id = str(uuid.uuid4())
        bucket.keys[key] = marker
        return marker


_SINGLE_RANGE = re.compile(r"bytes=(\d+)-(\d+)")
"""A Range of one span with both ends, the form correction m serves itself."""


class KeyLocks:
    """Correction i: writes to one key take effect one at a time.

    S3 evaluates a conditional write's precondition and stores the object as one
    step: of two writers racing with the same If-Match or If-None-Match, one wins
    and the other gets 412 PreconditionFailed (or 409 ConditionalRequestConflict);
    Amazon S3 User Guide, "How to prevent object overwrites with conditional
    writes", https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html.
    moto checks, then stores, in two steps on a threaded server, so both racers
    could pass the check and an update would be lost. Serializing every write to a
    key (other keys are not held up) restores S3's guarantee.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    @contextlib.contextmanager
    def holding(self, bucket: str, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault((bucket, key), threading.Lock())
        with lock:
            yield


def _list_parts_result(
    call: Callable[[StartResponse], Iterable[bytes]], start_response: StartResponse
) -> list[bytes]:
    """Correction k: ListParts answers with the root element `ListPartsResult`, as the
    S3 API Reference's response syntax shows
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html); moto 5.2.5
    names it `ListPartsResponse`, which boto3 tolerates and aws-sdk-rust rejects."""
    captured: list[tuple[str, list[tuple[str, str]]]] = []

    def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], None]:
        captured.append((status, headers))
        return lambda data: None

    body = b"".join(call(capture))
    status, headers = captured[0]
    if status.startswith("200"):
        body = body.replace(b"<ListPartsResponse", b"<ListPartsResult", 1).replace(
            b"</ListPartsResponse>", b"</ListPartsResult>", 1)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]


_QUIET = re.compile(rb"<Quiet>\s*true\s*</Quiet>", re.IGNORECASE)
_DELETED = re.compile(rb"<Deleted>.*?</Deleted>", re.DOTALL)


def _quiet_delete_result(
    call: Callable[[StartResponse], Iterable[bytes]], start_response: StartResponse
) -> list[bytes]:
    """Correction l (DeleteObjects): "When you add this element [Quiet], you must set its
    value to true" and the response "includes only keys where the delete operation
    encountered an error"; moto reports every deleted key anyway.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html"""
    captured: list[tuple[str, list[tuple[str, str]]]] = []

    def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], None]:
        captured.append((status, headers))
        return lambda data: None

    body = b"".join(call(capture))
    status, headers = captured[0]
    if status.startswith("200"):
        body = _DELETED.sub(b"", body)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]


# --------------------------------------------------------------------------
# Correction n: CORS, as a browser page meets Cognito and S3
# --------------------------------------------------------------------------

# Cognito's user pool API is called from browsers (public app clients, the Amplify and
# amazon-cognito-identity-js libraries, homedir's page): it answers a preflight for its
# JSON POST and puts Access-Control-Allow-Origin: * on its answers; no origin list
# can be configured. Unauthenticated operations such as InitiateAuth:
# https://docs.aws.amazon.com/cognito/latest/developerguide/user-pools-API-operations.html
# The headers are the ones AWS's browser SDKs send; AWS does not document the exact list.
COGNITO_CORS_ALLOWED_HEADERS = ("content-type", "x-amz-target", "x-amz-user-agent", "cache-control")
COGNITO_CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
)
CORS_NOT_ALLOWED = S3Error(
    "403 Forbidden", "AccessForbidden",
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted "
    "by the resource's CORS spec.",
)


def _cors_pattern_matches(pattern: str, value: str) -> bool:
    """An AllowedOrigin or AllowedHeader with at most one `*` wildcard (S3's rule)."""
    regex = ".*".join(re.escape(part) for part in pattern.lower().split("*"))
    return re.fullmatch(regex, value.lower()) is not None


def _requested_headers(environ: dict[str, Any]) -> list[str]:
    raw = _header(environ, "Access-Control-Request-Headers")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


class Cors:
    """moto answers no preflight (the gate (c) refused the unsigned OPTIONS) and adds no
    CORS header to Cognito's answers. Here, as the services do:

    - OPTIONS / with Origin and Access-Control-Request-Method (the JSON APIs all POST
      to /): Cognito's preflight, 200 with Allow-Origin *, Allow-Methods POST and the
      requested headers when they are among COGNITO_CORS_ALLOWED_HEADERS; otherwise
      403 with no Allow-Origin, which the browser treats as refused. Every Cognito
      answer to a request with Origin carries Allow-Origin * and Expose-Headers.
    - OPTIONS on a bucket or key: S3 evaluates the bucket's CORS rules in order, the
      first whose AllowedOrigins match the Origin, AllowedMethods the requested method
      and AllowedHeaders every requested header wins: 200 with Allow-Origin (the
      origin, or * for a * rule), Allow-Methods, Allow-Headers, Expose-Headers,
      Max-Age and Vary; no match (or no configuration) is 403 AccessForbidden.
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html ("How does
      Amazon S3 evaluate the CORS configuration on a bucket?") and
      https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
    - any other S3 request with Origin (a presigned part PUT, a download): the
      matching rule's Allow-Origin and Expose-Headers are added to the answer, errors
      included, so the page can read the ETag.
    Preflights are not AWS calls and are not logged in the call log.
    """

    @staticmethod
    def is_preflight(environ: dict[str, Any]) -> bool:
        return (
            environ.get("REQUEST_METHOD") == "OPTIONS"
            and bool(_header(environ, "Origin"))
            and bool(_header(environ, "Access-Control-Request-Method"))
        )

    @staticmethod
    def cognito_preflight(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = _header(environ, "Access-Control-Request-Method").upper()
        requested = _requested_headers(environ)
        if method != "POST" or any(name not in COGNITO_CORS_ALLOWED_HEADERS for name in requested):
            start_response("403 Forbidden", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", "POST"),
            ("Access-Control-Allow-Headers", ",".join(requested) or "content-type"),
            ("Access-Control-Max-Age", "86400"),
            ("Content-Length", "0"),
        ])
        return [b""]

    @staticmethod
    def rule_for(bucket_name: str, origin: str, method: str, headers: list[str]) -> Any:
        bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(bucket_name)
        for rule in getattr(bucket, "cors", None) or []:
            if not any(_cors_pattern_matches(allowed, origin) for allowed in rule.allowed_origins or []):
                continue
            if method.upper() not in [m.upper() for m in rule.allowed_methods or []]:
                continue
            allowed_headers = rule.allowed_headers or []
            if all(any(_cors_pattern_matches(a, h) for a in allowed_headers) for h in headers):
                return rule
        return None

    @staticmethod
    def _origin_headers(rule: Any, origin: str) -> list[tuple[str, str]]:
        headers = [
            ("Access-Control-Allow-Origin", "*" if "*" in rule.allowed_origins else origin),
            ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
        ]
        if rule.exposed_headers:
            headers.append(("Access-Control-Expose-Headers", ", ".join(rule.exposed_headers)))
        return headers

    @classmethod
    def s3_preflight(cls, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse) -> list[bytes]:
        origin = _header(environ, "Origin")
        method = _header(environ, "Access-Control-Request-Method")
        requested = _requested_headers(environ)
        rule = cls.rule_for(request.bucket, origin, method, requested) if request.bucket else None
        if rule is None:
            return _s3_error_response(CORS_NOT_ALLOWED, request, start_response)
        headers = cls._origin_headers(rule, origin) + [
            ("Access-Control-Allow-Methods", ", ".join(m.upper() for m in rule.allowed_methods)),
            ("Content-Length", "0"),
        ]
        if requested:
            headers.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        if rule.max_age_seconds is not None:
            headers.append(("Access-Control-Max-Age", str(rule.max_age_seconds)))
        start_response("200 OK", headers)
        return [b""]

    @classmethod
    def around(cls, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse) -> StartResponse:
        """start_response with the CORS headers the answer to this request gets."""
        origin = _header(environ, "Origin")
        if not origin:
            return start_response
        if request.service != "s3":
            extra = list(COGNITO_CORS_HEADERS)
        else:
            rule = cls.rule_for(request.bucket, origin, request.method, []) if request.bucket else None
            extra = cls._origin_headers(rule, origin) if rule is not None else []

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            kept = [(n, v) for n, v in headers if not n.lower().startswith("access-control-")]
            return start_response(status, kept + extra, *rest)

        return start


class HomedirMiddleware:
    """Serves /_homedir/*, logs AWS calls, injects faults and guards S3 before moto."""

    def __init__(self, moto_app: Any, gate: S3Gate, calls: CallLog, faults: Faults):
        self.moto_app = moto_app
        self.gate = gate
        self.calls = calls
        self.faults = faults
        self.writes = KeyLocks()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = _path(environ)
        if path == EMULATOR_PATH or path.startswith(EMULATOR_PATH + "/"):
            return self._emulator_endpoint(environ, path, start_response)
        if path == "/moto-api" or path.startswith("/moto-api/"):
            return self.moto_app(environ, start_response)
        well_known = not _is_signed(environ) and _USER_POOL_WELL_KNOWN.match(path)
        if well_known:
            if well_known.group(1) == "jwks.json":
                self.calls.count_jwks_fetch()
                fault = self.faults.take("jwks")
                if fault and fault.kind != "delay":
                    return _json_response(start_response, jwks_fault_status(fault.kind), {"error": fault.kind})
                if fault:
                    time.sleep(fault.delay_secs)
            return self.moto_app(environ, start_response)

        if Cors.is_preflight(environ):
            if path == "/":
                return Cors.cognito_preflight(environ, start_response)
            return Cors.s3_preflight(environ, read_request(environ), start_response)

        request = read_request(environ)
        start_response = Cors.around(environ, request, start_response)
        self.calls.record(request)
        fault = self.faults.take(request.operation)
        if fault and fault.kind != "delay":
            return _fault_response(fault.kind, request, start_response)
        if fault:
            time.sleep(fault.delay_secs)
        if request.service != "s3":
            return self.moto_app(environ, start_response)

        verdict = self.gate.check(environ, request, time.time())
        if isinstance(verdict, S3Error):
            return _s3_error_response(verdict, request, start_response)
        if verdict is None:  # the admin key
            return self._to_moto(environ, request, start_response)
        return self._hide_missing_keys(environ, request, verdict, start_response)

    def _to_moto(self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse) -> Iterable[bytes]:
        if request.operation in KEY_WRITES:
            with self.writes.holding(request.bucket, request.key):
                return list(self._to_moto_unlocked(environ, request, start_response))
        return self._to_moto_unlocked(environ, request, start_response)

    def _to_moto_unlocked(
        self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        if request.operation in UPLOAD_OPERATIONS:
            error = MultipartUploads.error(environ, request)
            if error is not None:
                return _s3_error_response(error, request, start_response)
        if request.operation == "ListObjectsV2" and not _known_continuation_token(request):
            return _s3_error_response(INVALID_CONTINUATION_TOKEN, request, start_response)
        if request.operation in VERSIONED_OPERATIONS:
            answer = Versions.answer(environ, request)
            if answer is not None:
                error, headers = answer
                return _s3_error_response(error, request, start_response, headers)
        if request.operation == "DeleteObject":
            return self._delete_object(environ, request, start_response)
        if request.operation in ("PutObject", "UploadPart"):
            return self._put_form_typed_body_verbatim(environ, request, start_response)
        if request.operation == "ListParts":
            return _list_parts_result(lambda start: self.moto_app(environ, start), start_response)
        if request.operation == "GetObject" and _SINGLE_RANGE.fullmatch(_header(environ, "Range").strip()):
            return self._ranged_get(environ, request, start_response)
        if request.operation == "DeleteObjects" and _QUIET.search(_read_body(environ)):
            return _quiet_delete_result(lambda start: self.moto_app(environ, start), start_response)
        return self.moto_app(environ, start_response)

    def _delete_object(
        self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Correction l (DeleteObject): If-Match on the current version, `*` included,
        checked under the key's lock."""
        bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(request.bucket)
        if bucket is None:
            return self.moto_app(environ, start_response)  # NoSuchBucket
        if_match = _header(environ, "If-Match")
        if if_match:
            error = Versions.delete_precondition(bucket, request.key, if_match)
            if error is not None:
                return _s3_error_response(error, request, start_response)
            # Checked here under the key's lock; moto's own check refuses `*`.
            environ.pop("HTTP_IF_MATCH", None)
        return self.moto_app(environ, start_response)

    def _hide_missing_keys(
        self, environ: dict[str, Any], request: AwsRequest, caller: Caller, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Replace moto's 404 NoSuchKey by 403 AccessDenied for callers without
        s3:ListBucket, as S3 does (GetObject, HeadObject, a PutObject or
        CompleteMultipartUpload If-Match on a missing key, CopyObject's missing source)."""
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], None]:
            captured.append((status, headers))
            return lambda data: None

        response = self._to_moto(environ, request, capture)
        status, headers = captured[0]
        if not status.startswith("404"):
            # Streamed as moto produced it: a large GetObject body is not copied again.
            start_response(status, headers)
            return response
        body = b"".join(response)
        missing = request.method == "HEAD" or any(code in body for code in NOT_FOUND_CODES)
        if missing and self.gate.hides_missing_key(caller):
            return _s3_error_response(ACCESS_DENIED, request, start_response)
        start_response(status, headers)
        return [body]

    def _ranged_get(
        self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Correction m: a ranged GetObject reads only the bytes asked for.

        S3 serves `Range: bytes=a-b` from the object without reading the rest
        (GetObject, "Range", https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
        moto reads the whole object and slices it, so a 4.5 MB range of a 256 MiB
        file costs a 256 MiB read, a cost no S3 client pays. Here moto answers a HEAD
        of the same request (its headers, and every precondition and error), and
        the bytes are read from the object's buffer at the range. Anything but a
        200 to the HEAD, or a range that starts past the end, goes to moto whole.
        """
        match = _SINGLE_RANGE.fullmatch(_header(environ, "Range").strip())
        head_environ = dict(environ, REQUEST_METHOD="HEAD")
        head_environ.pop("HTTP_RANGE", None)
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], None]:
            captured.append((status, headers))
            return lambda data: None

        b"".join(self.moto_app(head_environ, capture))
        key = None
        if match and captured and captured[0][0].startswith("200"):
            version = request.query.get("versionId") or None
            try:
                key = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object(request.bucket, request.key, version_id=version)
            except Exception:  # moto's own errors: let moto answer the GET
                key = None
        if key is None or match is None or int(match.group(1)) >= key.size:
            return self.moto_app(environ, start_response)
        begin, end = int(match.group(1)), min(int(match.group(2)), key.size - 1)
        with key.lock:
            key._value_buffer.seek(begin)
            data = key._value_buffer.read(end - begin + 1)
        skip = ("content-length", "content-range")
        headers = [(name, value) for name, value in captured[0][1]
                   if name.lower() not in skip and not name.lower().startswith("x-amz-checksum-")]
        headers += [("Content-Range", f"bytes {begin}-{end}/{key.size}"), ("Content-Length", str(len(data)))]
        start_response("206 Partial Content", headers)
        return [data]

    def _put_form_typed_body_verbatim(
        self, environ: dict[str, Any], request: AwsRequest, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Correction (f): store form-typed object bodies as sent."""
        content_type = environ.get("CONTENT_TYPE", "")
        if not content_type.lower().startswith(FORM_CONTENT_TYPES):
            return self.moto_app(environ, start_response)
        environ["CONTENT_TYPE"] = "application/octet-stream"
        status: list[str] = []

        def remember_status(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        response = list(self.moto_app(environ, remember_status))
        if request.operation == "PutObject" and status and status[0].startswith("200"):
            stored = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object(request.bucket, request.key)
            if stored is not None:
                stored.set_metadata({"Content-Type": content_type})
        return response

    def _emulator_endpoint(
        self, environ: dict[str, Any], path: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        routes: dict[tuple[str, str], Callable[[Any], Any]] = {
            ("GET", f"{EMULATOR_PATH}/health"): lambda _: {"ok": True},
            ("GET", f"{EMULATOR_PATH}/calls"): lambda _: self.calls.snapshot(),
            ("POST", f"{EMULATOR_PATH}/calls/reset"): lambda _: _done(self.calls.reset),
            ("POST", f"{EMULATOR_PATH}/faults"): lambda body: _done(lambda: self.faults.add(parse_fault(body))),
            ("POST", f"{EMULATOR_PATH}/faults/reset"): lambda _: _done(self.faults.reset),
            ("POST", f"{EMULATOR_PATH}/home-buckets"): self._add_home_bucket,
        }
        handler = routes.get((environ["REQUEST_METHOD"], path.rstrip("/")))
        if handler is None:
            return _json_response(start_response, "404 Not Found", {"error": "unknown emulator endpoint"})
        try:
            body = json.loads(_read_body(environ) or b"null")
            return _json_response(start_response, "200 OK", handler(body))
        except (ValueError, FaultError) as error:
            return _json_response(start_response, "400 Bad Request", {"error": str(error)})

    def _add_home_bucket(self, body: Any) -> dict[str, bool]:
        """Register a bucket the authenticated role reaches (its ${HomeBucket})."""
        bucket = body.get("bucket") if isinstance(body, dict) else None
        if not isinstance(bucket, str) or not bucket:
            raise ValueError("bucket must be a non-empty string")
        self.gate.role.add_home_bucket(bucket)
        return {"ok": True}


def _done(action: Callable[[], Any]) -> dict[str, bool]:
    action()
    return {"ok": True}


def _json_response(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _fault_response(kind: str, request: AwsRequest, start_response: StartResponse) -> list[bytes]:
    """An injected throttle or error, in the called service's own error shape."""
    if request.service == "s3":
        return _s3_error_response(S3Error(*s3_fault(kind)), request, start_response)
    status, body = cognito_fault_body(kind)
    data = json.dumps(body).encode("utf-8")
    start_response(status, [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Length", str(len(data))),
        ("x-amzn-ErrorType", body["__type"]),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ])
    return [data]


def _s3_error_response(
    error: S3Error, request: AwsRequest, start_response: StartResponse,
    extra_headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    request_id = secrets.token_hex(8).upper()
    body = b"" if request.method == "HEAD" else (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{error.code}</Code><Message>{error.message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>homedir-emulator</HostId></Error>"
    ).encode("utf-8")
    start_response(error.status, [
        ("Content-Type", "application/xml"),
        ("Content-Length", str(len(body))),
        ("x-amz-request-id", request_id),
        *extra_headers,
    ])
    return [body]


class QuietRequestHandler(MotoRequestHandler):
    """Logs method, path and status only: query strings may hold session tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "")).path
        self.log("info", "%s %s %s", getattr(self, "command", "-"), path, code)


# --------------------------------------------------------------------------
# Start-up
# --------------------------------------------------------------------------


def build_app(credentials_ttl: float, home_prefix: str, home_buckets: Iterable[str] = ()) -> HomedirMiddleware:
    registry = IdentityRegistry(credentials_ttl)
    CognitoIdentityCorrections(registry).install()
    Versions.install()
    moto_app = DomainDispatcherApplication(create_backend_app)
    gate = S3Gate(registry, AuthenticatedRole(home_prefix, home_buckets))
    return HomedirMiddleware(moto_app, gate, CallLog(), Faults())


def write_state(state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    key_path = state_dir / "signing-key.pem"
    key_path.write_bytes(moto_signing_key_pem())
    key_path.chmod(0o600)
    (state_dir / "emulator.pid").write_text(f"{os.getpid()}\n")


def wait_until_healthy(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}{EMULATOR_PATH}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="moto with homedir's Cognito Identity and S3 corrections")
    parser.add_argument("--port", type=int, required=True, help="port to listen on (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--state-dir", type=Path, help="where to write signing-key.pem and emulator.pid")
    parser.add_argument("--home-prefix", default="home", help="S3 prefix of the homes (default home)")
    parser.add_argument(
        "--home-bucket", action="append", default=[],
        help="a bucket the authenticated role reaches (repeatable; provision.py also registers its bucket)",
    )
    parser.add_argument(
        "--credentials-ttl",
        type=float,
        default=os.environ.get(TTL_ENV, DEFAULT_CREDENTIALS_TTL),  # argparse applies `type` to it
        help=f"lifetime in seconds of issued credentials (default 90, env {TTL_ENV})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = build_app(args.credentials_ttl, args.home_prefix, args.home_bucket)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=QuietRequestHandler)
    url = f"http://{args.host}:{server.server_port}"

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, name="moto-server", daemon=True)
    serving.start()
    try:
        if args.state_dir:
            write_state(args.state_dir)
        wait_until_healthy(url)
        print(f"ready {url}", flush=True)
        stop.wait()
    finally:
        server.shutdown()
        serving.join(timeout=5)
        if args.state_dir:
            (args.state_dir / "emulator.pid").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
