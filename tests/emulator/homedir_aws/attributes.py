"""Correction s: an app client writes only the attributes its WriteAttributes allow.

moto stores an app client's WriteAttributes and ignores them: SignUp and
UpdateUserAttributes write any attribute, email_verified and custom attributes included.
Cognito checks each attribute a client writes for the user:

- "If an app tries to update an attribute that isn't writable, the app gets a
  NotAuthorizedException exception ... Required attributes in a user pool are always
  writable." (Amazon Cognito Developer Guide, "Attribute permissions and scopes":
  https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-attributes.html#user-pool-settings-attribute-permissions-and-scopes);
  Cognito's message is "A client attempted to write unauthorized attribute".
- "When you don't specify the WriteAttributes for your app client, your app can write
  the values of the Standard attributes of your user pool." (CreateUserPoolClient,
  WriteAttributes: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolClient.html).
  The standard attributes are the seventeen OpenID Connect ones the same guide lists
  ("Standard attributes"): email_verified and phone_number_verified are not among them
  (an administrator marks an address verified), nor are custom attributes, which an app
  writes only when its WriteAttributes lists them ("By default, any new custom
  attributes aren't available until you set read and write permissions for them").

Administrators (AdminCreateUser, AdminUpdateUserAttributes) are not governed by an app
client: WriteAttributes is what "their access token authorizes them to set or modify"
(CreateUserPoolClient, WriteAttributes), and the IAM-authorized operations may set any
attribute the schema has, custom ones an app client may not write included ("You can
create and update developer-only attributes only with IAM-authenticated API operations.
Use app client read/write permissions instead.", SchemaAttributeType:
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_SchemaAttributeType.html;
AdminUpdateUserAttributes:
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminUpdateUserAttributes.html).
AdminCreateUser's page says nothing of app client permissions (it names no client).

Also here, moto being silent on both:

- ReadAttributes: an ID token carries the user attributes its app client may read, and
  no others. moto put every custom attribute in every ID token, and with no
  ReadAttributes none of the standard ones. Cognito: "When you don't specify the
  ReadAttributes for your app client, your app can read the values of email_verified,
  phone_number_verified, and the standard attributes of your user pool."
  (CreateUserPoolClient, ReadAttributes); the ID token "contains claims about the
  identity of the authenticated user, such as name, email, and phone_number", with
  email_verified / phone_number_verified as JSON booleans (Understanding the identity
  (ID) token: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html).
  An email username stays in the token as moto puts it (the pools here all read email).
- The schema: every attribute written (SignUp, UpdateUserAttributes, AdminCreateUser,
  AdminUpdateUserAttributes) must be one the pool has, and a custom String attribute's
  value must have a length within its StringAttributeConstraints (MinLength /
  MaxLength: "The minimum and maximum length values of an attribute that is of the
  string type, for example custom:department", StringAttributeConstraintsType:
  https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_StringAttributeConstraintsType.html);
  otherwise InvalidParameterException (the operations' pages name the error, not the
  message): "Attributes did not conform to the schema: Type for attribute {NAME} could
  not be determined" (Cognito's wording as users report it) for an unknown attribute,
  "Attributes did not conform to the schema: NAME: String must be no longer than N
  characters" / "... no shorter than N characters" (the emulator's wording) for a
  length. moto checked neither.
"""

from __future__ import annotations

from typing import Any, Iterable

from moto.cognitoidp.models import (
    CognitoIdpUserPool,
    CognitoIdpUserPoolAttribute,
    CognitoIdpUserPoolClient,
)
from moto.cognitoidp.responses import CognitoIdpResponse

from .userpools import ClientContext, UnknownResource, cognito_error, not_authorized, pool_by_id

STANDARD_ATTRIBUTES = frozenset({
    "address", "birthdate", "email", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "picture", "preferred_username",
    "profile", "updated_at", "website", "zoneinfo",
})
"""Amazon Cognito Developer Guide, "Standard attributes"."""

VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})
"""Readable by default (CreateUserPoolClient, ReadAttributes); JSON booleans in tokens."""


def writable(context: ClientContext) -> set[str]:
    """The attributes the app client may write for its users."""
    listed = context.client.extended_config.get("WriteAttributes")
    allowed = set(listed) if listed else set(STANDARD_ATTRIBUTES)
    required = {name for name, attribute in context.pool.schema_attributes.items()
                if getattr(attribute, "required", False) and name != "sub"}
    return allowed | required


def check_writable(context: ClientContext, attributes: Iterable[dict[str, Any]] | None) -> None:
    """NotAuthorizedException if the client writes an attribute it may not; then the
    schema's checks (check_schema)."""
    allowed = writable(context)
    attributes = list(attributes or [])
    for attribute in attributes:
        if not isinstance(attribute, dict) or attribute.get("Name") not in allowed:
            raise not_authorized("A client attempted to write unauthorized attribute")
    check_schema(context.pool, attributes)


def readable(client: CognitoIdpUserPoolClient) -> set[str]:
    """The attributes the app client may read (and its ID tokens carry)."""
    listed = client.extended_config.get("ReadAttributes")
    return set(listed) if listed else set(STANDARD_ATTRIBUTES | VERIFIED_FLAGS)


# --------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------


def schema_problem(pool: CognitoIdpUserPool, name: Any, value: Any) -> str | None:
    """Why the pool's schema refuses `name` = `value`, in Cognito's words; None if it
    does not."""
    known = pool.schema_attributes.get(name) if isinstance(name, str) else None
    if known is None and name not in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA:
        return f"Type for attribute {{{name}}} could not be determined"
    if known is None or not getattr(known, "custom", False) or known.data_type != "String":
        return None
    constraints = known.string_constraints or {}
    length = len(value) if isinstance(value, str) else 0
    maximum, minimum = constraints.get("MaxLength"), constraints.get("MinLength")
    if maximum not in (None, "") and length > int(maximum):
        return f"{name}: String must be no longer than {int(maximum)} characters"
    if minimum not in (None, "") and length < int(minimum):
        return f"{name}: String must be no shorter than {int(minimum)} characters"
    return None


def check_schema(pool: CognitoIdpUserPool, attributes: Iterable[Any] | None) -> None:
    """InvalidParameterException for the first attribute the schema refuses."""
    for attribute in attributes or []:
        if not isinstance(attribute, dict):
            continue
        problem = schema_problem(pool, attribute.get("Name"), attribute.get("Value"))
        if problem is not None:
            raise cognito_error("InvalidParameterException", f"Attributes did not conform to the schema: {problem}")


# --------------------------------------------------------------------------
# Installing: the administrator's writes, the ID token
# --------------------------------------------------------------------------


def _admin_write(response: CognitoIdpResponse, original: Any) -> str:
    """AdminCreateUser / AdminUpdateUserAttributes: the schema's checks, then moto's (an
    unknown pool stays moto's ResourceNotFoundException)."""
    try:
        pool = pool_by_id(response._get_param("UserPoolId") or "")
    except UnknownResource:
        return original(response)
    check_schema(pool, response._get_param("UserAttributes", []) or [])
    return original(response)


def handlers() -> dict[str, Any]:
    return {"admin_create_user": _admin_write, "admin_update_user_attributes": _admin_write}


def _id_token_claims(pool: CognitoIdpUserPool, client_id: str, username: str) -> dict[str, Any]:
    """The user's attributes the client may read, as ID token claims."""
    client = pool.clients.get(client_id)
    allowed = readable(client) if client is not None else set()
    claims: dict[str, Any] = {}
    for attribute in pool._get_user(username).attributes:
        name = attribute.get("Name")
        if name in allowed and name != "sub":
            value = attribute.get("Value")
            claims[name] = str(value).lower() == "true" if name in VERIFIED_FLAGS else value
    return claims


def create_id_token(pool: CognitoIdpUserPool, client_id: str, username: str, origin_jti: str) -> tuple[str, int]:
    """Replaces CognitoIdpUserPool.create_id_token: moto's, with only readable attributes."""
    extra_data = _id_token_claims(pool, client_id, username)
    extra_data["origin_jti"] = origin_jti
    user = pool._get_user(username)
    if len(user.groups) > 0:
        extra_data["cognito:groups"] = [group.group_name for group in user.groups]
    id_token, expires_in = pool.create_jwt(client_id, username, "id", extra_data=extra_data)
    pool.id_tokens[id_token] = (client_id, username)
    return id_token, expires_in


def install() -> None:
    CognitoIdpUserPool.create_id_token = create_id_token
