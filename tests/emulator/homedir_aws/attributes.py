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
client and keep moto's behaviour.
"""

from __future__ import annotations

from typing import Any, Iterable

from .userpools import ClientContext, not_authorized

STANDARD_ATTRIBUTES = frozenset({
    "address", "birthdate", "email", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "picture", "preferred_username",
    "profile", "updated_at", "website", "zoneinfo",
})
"""Amazon Cognito Developer Guide, "Standard attributes"."""


def writable(context: ClientContext) -> set[str]:
    """The attributes the app client may write for its users."""
    listed = context.client.extended_config.get("WriteAttributes")
    allowed = set(listed) if listed else set(STANDARD_ATTRIBUTES)
    required = {name for name, attribute in context.pool.schema_attributes.items()
                if getattr(attribute, "required", False) and name != "sub"}
    return allowed | required


def check_writable(context: ClientContext, attributes: Iterable[dict[str, Any]] | None) -> None:
    """NotAuthorizedException if the client writes an attribute it may not."""
    allowed = writable(context)
    for attribute in attributes or []:
        if not isinstance(attribute, dict) or attribute.get("Name") not in allowed:
            raise not_authorized("A client attempted to write unauthorized attribute")
