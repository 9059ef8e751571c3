"""Cognito: moto's user pool ID tokens verified as Cognito Identity verifies a login, the
identities and the credentials issued to them, and moto's Cognito Identity handlers
replaced (corrections a, b and h).

It exists because moto's Cognito Identity accepts anything: its GetId returns a new
random Identity ID on every call and ignores Logins, its GetCredentialsForIdentity hands
fixed keys to any identity, and it has no DeleteIdentities. homedir's S3 prefix is the
Identity ID and its isolation rests on the credentials, so locally they must behave as
in AWS:

a. GetId: the single Logins entry must name a provider configured on the identity pool
   (CognitoIdentityProviders[].ProviderName) and carry an ID token that verifies like
   Cognito checks it: RS256 with moto's bundled key (kid "dummy"), iss = "https://" +
   provider name, aud = a configured ClientId, token_use = "id", exp in the future. The
   same (pool, provider, sub) always gets the same "<region>:<uuid>"; other users get
   other IDs. No Logins is only allowed when the pool allows unauthenticated identities.
   Failures are NotAuthorizedException; an unknown pool is ResourceNotFoundException.
b. GetCredentialsForIdentity: the identity must exist, and its Logins token must verify
   as in (a) and belong to that identity. The credentials are for the role the pool's
   roles name for the identity's kind, as identitypools.py decides (y). Every call issues
   fresh keys ("ASIA" + 16 characters) valid for --credentials-ttl seconds; the registry
   remembers which identity and role each key belongs to and when it expires, for the S3
   gate (s3gate.py).
   With ServerSideTokenCheck on the provider (the template sets it), the user the token
   names must still exist in the user pool ("that identity pool will check with the
   integrated user pools to make sure that the user has not been globally signed out or
   deleted before the identity pool provides an OIDC token or AWS credentials",
   CognitoIdentityProvider, https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_CognitoIdentityProvider.html):
   GetCredentialsForIdentity, which provides credentials, is then NotAuthorizedException
   (the wording is the emulator's: AWS documents none); GetId, which provides neither, is
   not checked. Global sign-out is not checked, nor is a disabled user (the page names
   deleted and signed-out users only; the API's own user check refuses disabled ones).
h. DeleteIdentities (moto lacks it): forgets the identities. GetCredentialsForIdentity for
   them is ResourceNotFoundException, the next GetId for the same login creates a new
   Identity ID, and moto's ListIdentities drops them.

The Cognito half of CORS (correction n) is in cors.py.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto.cognitoidentity.exceptions import ResourceNotFoundError
from moto.cognitoidentity.models import CognitoIdentityPool, cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.core.exceptions import JsonRESTError
from moto.utilities.utils import load_resource

from . import identitypools

MOTO_KEY_ID = "dummy"


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
    role_arn: str  # the role assumed: its policies, as IAM holds them, decide S3 requests
    tags: tuple[tuple[str, str], ...] = ()  # the session's principal tags (aws:PrincipalTag/K)


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

    def issue_credentials(self, identity: Identity, role_arn: str,
                          tags: dict[str, str] | None = None) -> dict[str, Any]:
        """Fresh keys of the role for the identity, in GetCredentialsForIdentity's shape."""
        access_key = "ASIA" + _random_text(string.ascii_uppercase + string.digits, 16)
        secret_key = _random_text(string.ascii_letters + string.digits + "+/", 40)
        session_token = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
        expires_at = time.time() + self.credentials_ttl
        with self._lock:
            self._credentials[access_key] = IssuedCredentials(
                identity.identity_id, secret_key, session_token, expires_at, role_arn,
                tuple(sorted((tags or {}).items())),
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
# Corrections a, b and h: moto's Cognito Identity GetId / GetCredentialsForIdentity /
# DeleteIdentities
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
        identitypools.install()  # y: the pool's roles, which credentials are for

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
            provider, claims = self._authenticate(pool, logins)
            sub = claims["sub"]
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
        claims: dict[str, Any] = {}
        if identity.login is None:
            if logins:  # real Cognito would link the login; this emulator doesn't
                raise NotAuthorized(LOGINS_DONT_MATCH)
        elif not logins:
            raise NotAuthorized(f"Access to Identity '{identity_id}' is forbidden.")
        else:
            provider, claims = self._authenticate(pool, logins, server_side_check=True)
            if (provider, claims["sub"]) != identity.login:
                raise NotAuthorized(LOGINS_DONT_MATCH)
        tags = identitypools.principal_tags(pool, identity.login[0] if identity.login else None, claims)
        role_arn = identitypools.assumed_role(response.current_account, pool, identity_id, identity.login, tags)
        credentials = self.registry.issue_credentials(identity, role_arn, tags)
        return json.dumps({"IdentityId": identity_id, "Credentials": credentials})

    def _authenticate(self, pool: CognitoIdentityPool, logins: dict[str, str],
                      server_side_check: bool = False) -> tuple[str, dict[str, Any]]:
        """Verify the single login; return (provider name, the token's claims). With
        `server_side_check` (GetCredentialsForIdentity), a provider's ServerSideTokenCheck
        applies too."""
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
        checked = any(entry.get("ServerSideTokenCheck") for entry in pool.cognito_identity_providers or []
                      if entry.get("ProviderName") == provider)
        if server_side_check and checked and not _user_is_active(provider, claims["sub"]):
            raise NotAuthorized("Invalid login token. The user no longer exists in the user pool.")
        return provider, claims

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


def _user_is_active(provider: str, sub: str) -> bool:
    """Whether the user pool the provider names still holds a user with this sub."""
    from .userpools import UnknownResource, pool_by_id

    try:
        pool = pool_by_id(provider.partition("/")[2])
    except UnknownResource:
        return False
    return any(user.id == sub for user in pool.users.values())


def _listed_id(entry: Any) -> str:
    """moto lists identities as bare IDs; the emulator appends {"IdentityId": ...}."""
    return entry.get("IdentityId", "") if isinstance(entry, dict) else str(entry)

