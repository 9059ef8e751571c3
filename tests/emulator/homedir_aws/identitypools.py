"""y. Identity pool roles: which IAM role an identity's credentials are for, as Cognito
Identity decides it, so that S3 is authorized with that role's deployed documents.

moto 5.2.5 answers SetIdentityPoolRoles and GetIdentityPoolRoles with HTTP 500 (not
implemented) and keeps no role for a pool; its GetCredentialsForIdentity hands out keys
whatever the pool's roles, and the emulator used to authorize every issued key with the
files in infra-policies/. Here:
- SetIdentityPoolRoles stores the pool's Roles ("authenticated" / "unauthenticated" ->
  role ARN); GetIdentityPoolRoles answers {"IdentityPoolId", "Roles"} (and "RoleMappings"
  when set). An unknown pool is ResourceNotFoundException; a key of Roles other than the
  two, or a value that is not a role ARN, InvalidParameterException. RoleMappings are not
  emulated (InvalidParameterException naming them): every identity gets the pool's role
  for its kind.
  https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_SetIdentityPoolRoles.html
  https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetIdentityPoolRoles.html
- GetCredentialsForIdentity issues credentials of the pool's authenticated role (an
  identity with a login) or unauthenticated role (one without), as Cognito assumes it
  with AssumeRoleWithWebIdentity: no such role set on the pool, no such role in IAM, or a
  trust policy that does not allow sts:AssumeRoleWithWebIdentity to the federated
  principal cognito-identity.amazonaws.com with this request's context
  (cognito-identity.amazonaws.com:aud = the pool's ID, :amr = ["authenticated", the
  provider, "<provider>:CognitoSignIn:<sub>"] or ["unauthenticated"], :sub = the Identity
  ID) -> InvalidIdentityPoolConfigurationException "Invalid identity pool configuration.
  Check assigned IAM roles for this pool."
  https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetCredentialsForIdentity.html
  (Errors: InvalidIdentityPoolConfigurationException)
  https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html
  https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html
- Attributes for access control: SetPrincipalTagAttributeMap stores, per identity
  provider, which token claim becomes which session tag (PrincipalTags, tag -> claim;
  UseDefaults: the provider's default mappings, for a user pool "username" <- sub and
  "client" <- aud); GetPrincipalTagAttributeMap answers it. GetCredentialsForIdentity
  then tags the session with each mapped claim the verified ID token carries ("it sets
  the value of the principal tag to the value of the user's claim", the
  AWS::Cognito::IdentityPoolPrincipalTag page; a claim it lacks makes no tag; a Boolean or
  number claim is its JSON text, "true"; a list or object claim makes none), which needs
  the role's trust policy to allow sts:TagSession as well ("Grant permission to tag
  users' sessions with the permission-only action sts:TagSession"; else
  InvalidIdentityPoolConfigurationException, the error of a role STS would not let
  Cognito assume; with no tag to set, no sts:TagSession is needed), and every S3 request
  made with those credentials carries the tags as aws:PrincipalTag/<tag> (s3gate.py).
  https://docs.aws.amazon.com/cognito/latest/developerguide/attributes-for-access-control.html
  https://docs.aws.amazon.com/cognito/latest/developerguide/using-afac-with-cognito-identity-pools.html
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cognito-identitypoolprincipaltag.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
  https://docs.aws.amazon.com/cognito/latest/developerguide/provider-mappings.html
  https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_SetPrincipalTagAttributeMap.html
  https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetPrincipalTagAttributeMap.html
- DescribeIdentityPool answers AllowClassicFlow (moto drops it).
  https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_DescribeIdentityPool.html

The role's permissions are then read, per S3 request, from the emulator's IAM (s3auth.py):
what the stack deployed, not a copy.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cognitoidentity.exceptions import ResourceNotFoundError
from moto.cognitoidentity.models import CognitoIdentityPool, cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.core.exceptions import JsonRESTError
from moto.iam.models import iam_backends

from . import iam

ROLES_ATTRIBUTE = "homedir_roles"
TAG_MAPS_ATTRIBUTE = "homedir_principal_tags"
DEFAULT_TAGS = {"username": "sub", "client": "aud"}
CLASSIC_FLOW_ATTRIBUTE = "homedir_allow_classic_flow"
ROLE_KINDS = ("authenticated", "unauthenticated")
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@/-]+/)?([\w+=,.@-]+)$")


class InvalidConfiguration(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("InvalidIdentityPoolConfigurationException",
                         "Invalid identity pool configuration. Check assigned IAM roles for this pool.")


def invalid_parameter(message: str) -> JsonRESTError:
    return JsonRESTError("InvalidParameterException", message)


def find_pool(account: str, pool_id: str) -> CognitoIdentityPool:
    try:
        pool = cognitoidentity_backends[account][pool_id.split(":", 1)[0]].identity_pools.get(pool_id)
    except KeyError:  # not a region moto knows
        pool = None
    if pool is None:
        raise ResourceNotFoundError(f"IdentityPool '{pool_id}' not found.")
    return pool


def roles_of(pool: CognitoIdentityPool) -> dict[str, str]:
    return dict(getattr(pool, ROLES_ATTRIBUTE, None) or {})


def set_roles(pool: CognitoIdentityPool, roles: dict[str, Any], mappings: Any = None) -> None:
    if mappings:
        raise invalid_parameter("RoleMappings are not emulated: the local emulator gives every identity "
                                "the pool's role for its kind")
    if not isinstance(roles, dict):
        raise invalid_parameter("Roles must be a map")
    for kind, arn in roles.items():
        if kind not in ROLE_KINDS:
            raise invalid_parameter(f"Invalid key {kind} in Roles: must be authenticated or unauthenticated")
        if not isinstance(arn, str) or not _ROLE_ARN.match(arn):
            raise invalid_parameter(f"Invalid role ARN for {kind}: {arn}")
    setattr(pool, ROLES_ATTRIBUTE, dict(roles))


def role_name(arn: str) -> str | None:
    match = _ROLE_ARN.match(arn)
    return match.group(1) if match else None


def find_role(account: str, arn: str) -> Any:
    """The IAM role an ARN names, or None."""
    name = role_name(arn)
    if name is None:
        return None
    for backend in iam_backends.get(account, {}).values():
        for role in backend.roles.values():
            if role.arn == arn or (role.name == name and role.arn.endswith("/" + name)):
                return role
    return None


def tag_map(pool: CognitoIdentityPool, provider: str) -> dict[str, Any] | None:
    return (getattr(pool, TAG_MAPS_ATTRIBUTE, None) or {}).get(provider)


def set_tag_map(pool: CognitoIdentityPool, provider: str, tags: dict[str, Any] | None, use_defaults: bool) -> None:
    if not any(entry.get("ProviderName") == provider for entry in pool.cognito_identity_providers or []):
        raise invalid_parameter(f"{provider} is not an identity provider of this identity pool")
    if not isinstance(tags or {}, dict) or not all(isinstance(v, str) for v in (tags or {}).values()):
        raise invalid_parameter("PrincipalTags must map tag names to claim names")
    maps = dict(getattr(pool, TAG_MAPS_ATTRIBUTE, None) or {})
    maps[provider] = {"UseDefaults": bool(use_defaults), "PrincipalTags": dict(tags or {})}
    setattr(pool, TAG_MAPS_ATTRIBUTE, maps)


def clear_tag_map(pool: CognitoIdentityPool, provider: str) -> None:
    maps = dict(getattr(pool, TAG_MAPS_ATTRIBUTE, None) or {})
    maps.pop(provider, None)
    setattr(pool, TAG_MAPS_ATTRIBUTE, maps)


def principal_tags(pool: CognitoIdentityPool, provider: str | None, claims: dict[str, Any]) -> dict[str, str]:
    """The session tags the pool puts on credentials for a login of `provider`."""
    mapping = tag_map(pool, provider) if provider else None
    if not mapping:
        return {}
    wanted = dict(DEFAULT_TAGS) if mapping["UseDefaults"] else {}
    wanted.update(mapping["PrincipalTags"])
    # A claim's value as the token's JSON has it: a Boolean claim (email_verified is
    # JSON true in an ID token) is tagged "true", not Python's "True".
    return {tag: claims[claim] if isinstance(claims[claim], str) else json.dumps(claims[claim])
            for tag, claim in wanted.items() if isinstance(claims.get(claim), (str, int, float, bool))}


def assumed_role(account: str, pool: CognitoIdentityPool, identity_id: str,
                 login: tuple[str, str] | None, tags: dict[str, str] | None = None) -> str:
    """The ARN of the role Cognito would assume for this identity; or
    InvalidIdentityPoolConfigurationException."""
    kind = "authenticated" if login else "unauthenticated"
    arn = roles_of(pool).get(kind)
    role = find_role(account, arn) if arn else None
    if role is None:
        raise InvalidConfiguration()
    if login:
        provider, sub = login
        amr: list[str] = ["authenticated", provider, f"{provider}:CognitoSignIn:{sub}"]
    else:
        amr = ["unauthenticated"]
    context = {
        f"{COGNITO_IDENTITY}:aud": pool.identity_pool_id,
        f"{COGNITO_IDENTITY}:amr": amr,
        f"{COGNITO_IDENTITY}:sub": identity_id,
    }
    try:
        trust = json.loads(role.assume_role_policy_document)
        actions = ["sts:AssumeRoleWithWebIdentity"] + (["sts:TagSession"] if tags else [])
        decisions = [iam.evaluate_trust(trust, action, ("Federated", COGNITO_IDENTITY), context)
                     for action in actions]
    except (ValueError, iam.UnsupportedPolicy):
        raise InvalidConfiguration()
    if any(decision != iam.ALLOW for decision in decisions):
        raise InvalidConfiguration()
    return role.arn


# --------------------------------------------------------------------------
# The API operations moto lacks
# --------------------------------------------------------------------------


def set_identity_pool_roles(response: CognitoIdentityResponse) -> str:
    pool = find_pool(response.current_account, response._get_param("IdentityPoolId") or "")
    set_roles(pool, response._get_param("Roles") or {}, response._get_param("RoleMappings"))
    return ""


def get_identity_pool_roles(response: CognitoIdentityResponse) -> str:
    pool = find_pool(response.current_account, response._get_param("IdentityPoolId") or "")
    return json.dumps({"IdentityPoolId": pool.identity_pool_id, "Roles": roles_of(pool)})


def set_principal_tag_attribute_map(response: CognitoIdentityResponse) -> str:
    pool = find_pool(response.current_account, response._get_param("IdentityPoolId") or "")
    provider = response._get_param("IdentityProviderName") or ""
    use_defaults = bool(response._get_param("UseDefaults"))
    tags = response._get_param("PrincipalTags") or {}
    set_tag_map(pool, provider, tags, use_defaults)
    return json.dumps({"IdentityPoolId": pool.identity_pool_id, "IdentityProviderName": provider,
                       "UseDefaults": use_defaults, "PrincipalTags": tags})


def get_principal_tag_attribute_map(response: CognitoIdentityResponse) -> str:
    pool = find_pool(response.current_account, response._get_param("IdentityPoolId") or "")
    provider = response._get_param("IdentityProviderName") or ""
    mapping = tag_map(pool, provider) or {"UseDefaults": False, "PrincipalTags": {}}
    return json.dumps({"IdentityPoolId": pool.identity_pool_id, "IdentityProviderName": provider,
                       "UseDefaults": mapping["UseDefaults"], "PrincipalTags": mapping["PrincipalTags"]})


def _describe_with_classic_flow(original: Any) -> Any:
    def to_json(pool: CognitoIdentityPool) -> str:
        described = json.loads(original(pool))
        described["AllowClassicFlow"] = bool(getattr(pool, CLASSIC_FLOW_ATTRIBUTE, False))
        return json.dumps(described)
    return to_json


def install() -> None:
    CognitoIdentityResponse.set_identity_pool_roles = set_identity_pool_roles
    CognitoIdentityResponse.get_identity_pool_roles = get_identity_pool_roles
    CognitoIdentityResponse.set_principal_tag_attribute_map = set_principal_tag_attribute_map
    CognitoIdentityResponse.get_principal_tag_attribute_map = get_principal_tag_attribute_map
    if not getattr(CognitoIdentityPool.to_json, "homedir", False):
        CognitoIdentityPool.to_json = _describe_with_classic_flow(CognitoIdentityPool.to_json)
        CognitoIdentityPool.to_json.homedir = True
